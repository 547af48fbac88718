-- Que 1.x/2.x: que_jobs as left by que-rb/que lib/que/migrations/1..5
-- (4/up.sql: finished_at, expired_at, que_poll_idx). A worker holds
-- pg_advisory_lock(id) while it works a job (the test holds one for job 5).
-- Seed: 3 due open jobs (oldest 5 min), 1 future, 1 locked, 2 expired in
-- the window + 1 old, 4 finished in the window (que keeps a job only when it
-- calls finish) + 1 old.
CREATE TABLE que_jobs (
  priority smallint NOT NULL DEFAULT 100,
  run_at timestamptz NOT NULL DEFAULT now(),
  id bigserial PRIMARY KEY,
  job_class text NOT NULL,
  error_count integer NOT NULL DEFAULT 0,
  last_error_message text,
  queue text NOT NULL DEFAULT 'default',
  last_error_backtrace text,
  finished_at timestamptz,
  expired_at timestamptz,
  args jsonb NOT NULL DEFAULT '[]',
  data jsonb NOT NULL DEFAULT '{}',
  job_schema_version integer DEFAULT 1
);
CREATE INDEX que_poll_idx ON que_jobs (queue, priority, run_at, id) WHERE (finished_at IS NULL AND expired_at IS NULL);
CREATE INDEX que_jobs_data_gin_idx ON que_jobs USING gin (data jsonb_path_ops);
CREATE INDEX que_jobs_args_gin_idx ON que_jobs USING gin (args jsonb_path_ops);
INSERT INTO que_jobs (id, job_class, run_at, error_count, finished_at, expired_at) VALUES
  (1, 'Submit', now() - interval '5 min', 0, NULL, NULL),
  (2, 'Submit', now() - interval '2 min', 1, NULL, NULL),
  (3, 'Submit', now(), 0, NULL, NULL),
  (4, 'Submit', now() + interval '1 hour', 0, NULL, NULL),
  (5, 'Submit', now() - interval '1 min', 0, NULL, NULL),
  (6, 'Submit', now() - interval '10 min', 15, NULL, now() - interval '3 min'),
  (7, 'Submit', now() - interval '10 min', 15, NULL, now() - interval '4 min'),
  (8, 'Submit', now() - interval '2 hour', 15, NULL, now() - interval '1 hour'),
  (9, 'Submit', now() - interval '9 min', 0, now() - interval '1 min', NULL),
  (10, 'Submit', now() - interval '9 min', 0, now() - interval '2 min', NULL),
  (11, 'Submit', now() - interval '9 min', 0, now() - interval '3 min', NULL),
  (12, 'Submit', now() - interval '9 min', 0, now() - interval '4 min', NULL),
  (13, 'Submit', now() - interval '3 hour', 0, now() - interval '2 hour', NULL);
SELECT setval('que_jobs_id_seq', 13);
