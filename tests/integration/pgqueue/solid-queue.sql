-- Solid Queue: the tables the plugin reads, as rails/solid_queue
-- lib/generators/solid_queue/install/templates/db/queue_schema.rb defines
-- them for PostgreSQL (t.datetime = timestamp(6) without time zone, UTC).
CREATE TABLE solid_queue_jobs (
  id bigserial PRIMARY KEY,
  queue_name varchar NOT NULL,
  class_name varchar NOT NULL,
  arguments text,
  priority integer NOT NULL DEFAULT 0,
  active_job_id varchar,
  scheduled_at timestamp(6),
  finished_at timestamp(6),
  concurrency_key varchar,
  created_at timestamp(6) NOT NULL,
  updated_at timestamp(6) NOT NULL
);
CREATE INDEX index_solid_queue_jobs_on_active_job_id ON solid_queue_jobs (active_job_id);
CREATE INDEX index_solid_queue_jobs_on_class_name ON solid_queue_jobs (class_name);
CREATE INDEX index_solid_queue_jobs_on_finished_at ON solid_queue_jobs (finished_at);
CREATE INDEX index_solid_queue_jobs_for_filtering ON solid_queue_jobs (queue_name, finished_at);
CREATE INDEX index_solid_queue_jobs_for_alerting ON solid_queue_jobs (scheduled_at, finished_at);
CREATE TABLE solid_queue_ready_executions (
  id bigserial PRIMARY KEY,
  job_id bigint NOT NULL REFERENCES solid_queue_jobs (id) ON DELETE CASCADE,
  queue_name varchar NOT NULL,
  priority integer NOT NULL DEFAULT 0,
  created_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX index_solid_queue_ready_executions_on_job_id ON solid_queue_ready_executions (job_id);
CREATE INDEX index_solid_queue_poll_all ON solid_queue_ready_executions (priority, job_id);
CREATE INDEX index_solid_queue_poll_by_queue ON solid_queue_ready_executions (queue_name, priority, job_id);
CREATE TABLE solid_queue_claimed_executions (
  id bigserial PRIMARY KEY,
  job_id bigint NOT NULL REFERENCES solid_queue_jobs (id) ON DELETE CASCADE,
  process_id bigint,
  created_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX index_solid_queue_claimed_executions_on_job_id ON solid_queue_claimed_executions (job_id);
CREATE INDEX index_solid_queue_claimed_executions_on_process_id_and_job_id ON solid_queue_claimed_executions (process_id, job_id);
CREATE TABLE solid_queue_failed_executions (
  id bigserial PRIMARY KEY,
  job_id bigint NOT NULL REFERENCES solid_queue_jobs (id) ON DELETE CASCADE,
  error text,
  created_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX index_solid_queue_failed_executions_on_job_id ON solid_queue_failed_executions (job_id);
CREATE TABLE solid_queue_scheduled_executions (
  id bigserial PRIMARY KEY,
  job_id bigint NOT NULL REFERENCES solid_queue_jobs (id) ON DELETE CASCADE,
  queue_name varchar NOT NULL,
  priority integer NOT NULL DEFAULT 0,
  scheduled_at timestamp(6) NOT NULL,
  created_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX index_solid_queue_scheduled_executions_on_job_id ON solid_queue_scheduled_executions (job_id);
CREATE INDEX index_solid_queue_dispatch_all ON solid_queue_scheduled_executions (scheduled_at, priority, job_id);
CREATE TABLE solid_queue_blocked_executions (
  id bigserial PRIMARY KEY,
  job_id bigint NOT NULL REFERENCES solid_queue_jobs (id) ON DELETE CASCADE,
  queue_name varchar NOT NULL,
  priority integer NOT NULL DEFAULT 0,
  concurrency_key varchar NOT NULL,
  expires_at timestamp(6) NOT NULL,
  created_at timestamp(6) NOT NULL
);
-- jobs 1-3 ready (oldest ready 5 min), 4 scheduled, 5 claimed, 6-8 failed
-- (2 in the window), 9-13 finished (4 in the window)
INSERT INTO solid_queue_jobs (id, queue_name, class_name, finished_at, created_at, updated_at)
SELECT i, 'default', 'SubmitJob',
  CASE WHEN i BETWEEN 9 AND 12 THEN timezone('UTC', now()) - (i - 8) * interval '1 min'
       WHEN i = 13 THEN timezone('UTC', now()) - interval '2 hour' END,
  timezone('UTC', now()) - interval '10 min', timezone('UTC', now())
FROM generate_series(1, 13) i;
SELECT setval('solid_queue_jobs_id_seq', 13);
INSERT INTO solid_queue_ready_executions (job_id, queue_name, created_at) VALUES
  (1, 'default', timezone('UTC', now()) - interval '5 min'),
  (2, 'default', timezone('UTC', now()) - interval '2 min'),
  (3, 'default', timezone('UTC', now()));
INSERT INTO solid_queue_scheduled_executions (job_id, queue_name, scheduled_at, created_at) VALUES
  (4, 'default', timezone('UTC', now()) + interval '1 hour', timezone('UTC', now()));
INSERT INTO solid_queue_claimed_executions (job_id, process_id, created_at) VALUES
  (5, 1, timezone('UTC', now()));
INSERT INTO solid_queue_failed_executions (job_id, error, created_at) VALUES
  (6, 'boom', timezone('UTC', now()) - interval '3 min'),
  (7, 'boom', timezone('UTC', now()) - interval '4 min'),
  (8, 'old', timezone('UTC', now()) - interval '1 hour');
