-- generic preset: a queue table of the application's own (MedLink's
-- submit_queue style). Seed: 3 due pending (oldest 5 min), 1 pending in the
-- future (run_at), 1 running, 2 failed in the window + 1 old, 4 done in the
-- window + 2 old.
CREATE TABLE submit_queue (
  id bigserial PRIMARY KEY,
  status text NOT NULL,
  run_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  payload jsonb
);
CREATE INDEX submit_queue_status ON submit_queue (status, run_at);
INSERT INTO submit_queue (status, run_at, created_at, updated_at) VALUES
  ('pending', now() - interval '5 min', now() - interval '5 min', now() - interval '5 min'),
  ('pending', now() - interval '2 min', now() - interval '2 min', now() - interval '2 min'),
  ('pending', now(), now(), now()),
  ('pending', now() + interval '1 hour', now(), now()),
  ('running', now() - interval '1 min', now() - interval '1 min', now()),
  ('failed', now() - interval '10 min', now() - interval '10 min', now() - interval '3 min'),
  ('failed', now() - interval '10 min', now() - interval '10 min', now() - interval '4 min'),
  ('failed', now() - interval '2 hour', now() - interval '2 hour', now() - interval '1 hour'),
  ('done', now() - interval '9 min', now() - interval '9 min', now() - interval '1 min'),
  ('done', now() - interval '9 min', now() - interval '9 min', now() - interval '2 min'),
  ('done', now() - interval '9 min', now() - interval '9 min', now() - interval '3 min'),
  ('done', now() - interval '9 min', now() - interval '9 min', now() - interval '4 min'),
  ('done', now() - interval '3 hour', now() - interval '3 hour', now() - interval '2 hour'),
  ('done', now() - interval '3 hour', now() - interval '3 hour', now() - interval '2 hour');
