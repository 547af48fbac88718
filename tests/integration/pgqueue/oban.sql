-- Oban: oban_jobs after sorentwo/oban lib/oban/migrations V01 (table,
-- oban_job_state, utc_datetime_usec = timestamp without time zone in UTC),
-- V08 (discarded_at, priority, tags, index (state, queue, priority,
-- scheduled_at, id)) and V09 (meta, cancelled_at, 'cancelled').
CREATE TYPE oban_job_state AS ENUM ('available', 'scheduled', 'executing', 'retryable', 'completed', 'discarded', 'cancelled');
CREATE TABLE oban_jobs (
  id bigserial PRIMARY KEY,
  state oban_job_state NOT NULL DEFAULT 'available',
  queue text NOT NULL DEFAULT 'default',
  worker text NOT NULL,
  args jsonb NOT NULL,
  errors jsonb[] NOT NULL DEFAULT ARRAY[]::jsonb[],
  attempt integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 20,
  inserted_at timestamp without time zone NOT NULL DEFAULT timezone('UTC', now()),
  scheduled_at timestamp without time zone NOT NULL DEFAULT timezone('UTC', now()),
  attempted_at timestamp without time zone,
  completed_at timestamp without time zone,
  attempted_by text[],
  discarded_at timestamp without time zone,
  priority integer DEFAULT 0,
  tags character varying(255)[] DEFAULT ARRAY[]::character varying[],
  meta jsonb DEFAULT '{}'::jsonb,
  cancelled_at timestamp without time zone
);
CREATE INDEX oban_jobs_queue_index ON oban_jobs (queue);
CREATE INDEX oban_jobs_state_queue_priority_scheduled_at_id_index ON oban_jobs (state, queue, priority, scheduled_at, id);
INSERT INTO oban_jobs (state, worker, args, scheduled_at, completed_at, discarded_at) VALUES
  ('available', 'Submit', '{}', timezone('UTC', now()) - interval '5 min', NULL, NULL),
  ('available', 'Submit', '{}', timezone('UTC', now()) - interval '2 min', NULL, NULL),
  ('available', 'Submit', '{}', timezone('UTC', now()), NULL, NULL),
  ('scheduled', 'Submit', '{}', timezone('UTC', now()) + interval '1 hour', NULL, NULL),
  ('executing', 'Submit', '{}', timezone('UTC', now()) - interval '1 min', NULL, NULL),
  ('discarded', 'Submit', '{}', timezone('UTC', now()) - interval '10 min', NULL, timezone('UTC', now()) - interval '3 min'),
  ('discarded', 'Submit', '{}', timezone('UTC', now()) - interval '10 min', NULL, timezone('UTC', now()) - interval '4 min'),
  ('discarded', 'Submit', '{}', timezone('UTC', now()) - interval '2 hour', NULL, timezone('UTC', now()) - interval '1 hour'),
  ('completed', 'Submit', '{}', timezone('UTC', now()) - interval '9 min', timezone('UTC', now()) - interval '1 min', NULL),
  ('completed', 'Submit', '{}', timezone('UTC', now()) - interval '9 min', timezone('UTC', now()) - interval '2 min', NULL),
  ('completed', 'Submit', '{}', timezone('UTC', now()) - interval '9 min', timezone('UTC', now()) - interval '3 min', NULL),
  ('completed', 'Submit', '{}', timezone('UTC', now()) - interval '9 min', timezone('UTC', now()) - interval '4 min', NULL),
  ('completed', 'Submit', '{}', timezone('UTC', now()) - interval '3 hour', timezone('UTC', now()) - interval '2 hour', NULL);
