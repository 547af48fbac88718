-- graphile-worker v0.16: the jobs table of graphile/worker sql/000011.sql,
-- renamed _private_jobs by sql/000016.sql. Completed jobs are deleted.
-- Seed: 3 due available (oldest run_at 5 min ago, one a retry), 1 future,
-- 1 locked (running its last attempt), 2 failed for good in the window + 1
-- old, 4 completed (not in the table: graphile deletes them).
CREATE SCHEMA graphile_worker;
CREATE TABLE graphile_worker._private_jobs (
  id bigint primary key generated always as identity,
  job_queue_id int null,
  task_id int not null,
  payload json default '{}'::json not null,
  priority smallint default 0 not null,
  run_at timestamptz default now() not null,
  attempts smallint default 0 not null,
  max_attempts smallint default 25 not null constraint jobs_max_attempts_check check (max_attempts >= 1),
  last_error text,
  created_at timestamptz default now() not null,
  updated_at timestamptz default now() not null,
  key text unique constraint jobs_key_check check (length(key) > 0 and length(key) <= 512),
  locked_at timestamptz,
  locked_by text,
  revision integer default 0 not null,
  flags jsonb,
  is_available boolean generated always as (((locked_at is null) and (attempts < max_attempts))) stored not null
);
CREATE INDEX jobs_main_index ON graphile_worker._private_jobs USING btree (priority, run_at)
  INCLUDE (id, task_id, job_queue_id) WHERE (is_available = true);
CREATE INDEX jobs_no_queue_index ON graphile_worker._private_jobs USING btree (priority, run_at)
  INCLUDE (id, task_id) WHERE (is_available = true and job_queue_id is null);
INSERT INTO graphile_worker._private_jobs (task_id, run_at, attempts, max_attempts, updated_at, locked_at, locked_by, last_error) VALUES
  (1, now() - interval '5 min', 0, 25, now() - interval '5 min', NULL, NULL, NULL),
  (1, now() - interval '1 min', 2, 25, now() - interval '2 min', NULL, NULL, 'timeout'),
  (1, now(), 0, 25, now(), NULL, NULL, NULL),
  (1, now() + interval '1 hour', 0, 25, now(), NULL, NULL, NULL),
  (1, now() - interval '1 min', 3, 3, now(), now(), 'worker-1', NULL),
  (1, now() - interval '1 min', 3, 3, now() - interval '3 min', NULL, NULL, 'boom'),
  (1, now() - interval '1 min', 25, 25, now() - interval '4 min', NULL, NULL, 'boom'),
  (1, now() - interval '2 hour', 25, 25, now() - interval '1 hour', NULL, NULL, 'old');
