-- Procrastinate 3.x: procrastinate_jobs and procrastinate_events as in
-- procrastinate-org/procrastinate procrastinate/sql/schema.sql (the
-- triggers that write events are left out: the seed writes the events a
-- worker would have caused).
CREATE TYPE procrastinate_job_status AS ENUM ('todo', 'doing', 'succeeded', 'failed', 'cancelled', 'aborting', 'aborted');
CREATE TYPE procrastinate_job_event_type AS ENUM ('deferred', 'started', 'deferred_for_retry', 'failed', 'succeeded', 'cancelled', 'abort_requested', 'aborted', 'scheduled');
CREATE TABLE procrastinate_jobs (
    id bigserial PRIMARY KEY,
    queue_name character varying(128) NOT NULL,
    task_name character varying(128) NOT NULL,
    priority integer DEFAULT 0 NOT NULL,
    lock text,
    queueing_lock text,
    args jsonb DEFAULT '{}' NOT NULL,
    status procrastinate_job_status DEFAULT 'todo'::procrastinate_job_status NOT NULL,
    scheduled_at timestamp with time zone NULL,
    attempts integer DEFAULT 0 NOT NULL,
    abort_requested boolean DEFAULT false NOT NULL,
    worker_id character varying(36) NULL,
    CONSTRAINT check_not_todo_abort_requested CHECK (NOT (status = 'todo' AND abort_requested = true))
);
CREATE TABLE procrastinate_events (
    id bigserial PRIMARY KEY,
    job_id bigint NOT NULL REFERENCES procrastinate_jobs ON DELETE CASCADE,
    type procrastinate_job_event_type,
    at timestamp with time zone DEFAULT NOW() NULL
);
CREATE UNIQUE INDEX procrastinate_jobs_queueing_lock_idx_v1 ON procrastinate_jobs (queueing_lock) WHERE status = 'todo';
CREATE UNIQUE INDEX procrastinate_jobs_lock_idx_v1 ON procrastinate_jobs (lock) WHERE status = 'doing';
CREATE INDEX procrastinate_jobs_queue_name_idx_v1 ON procrastinate_jobs(queue_name);
CREATE INDEX procrastinate_jobs_id_lock_idx_v1 ON procrastinate_jobs (id, lock) WHERE status = ANY (ARRAY['todo'::procrastinate_job_status, 'doing'::procrastinate_job_status]);
CREATE INDEX procrastinate_jobs_priority_idx_v1 ON procrastinate_jobs(priority desc, id asc) WHERE (status = 'todo'::procrastinate_job_status);
CREATE INDEX procrastinate_events_job_id_fkey_v1 ON procrastinate_events(job_id);
INSERT INTO procrastinate_jobs (id, queue_name, task_name, status, scheduled_at) VALUES
  (1, 'default', 'submit', 'todo', NULL),
  (2, 'default', 'submit', 'todo', now() - interval '1 min'),
  (3, 'default', 'submit', 'todo', NULL),
  (4, 'default', 'submit', 'todo', now() + interval '1 hour'),
  (5, 'default', 'submit', 'doing', NULL),
  (6, 'default', 'submit', 'failed', NULL),
  (7, 'default', 'submit', 'failed', NULL),
  (8, 'default', 'submit', 'failed', NULL),
  (9, 'default', 'submit', 'succeeded', NULL),
  (10, 'default', 'submit', 'succeeded', NULL),
  (11, 'default', 'submit', 'succeeded', NULL),
  (12, 'default', 'submit', 'succeeded', NULL),
  (13, 'default', 'submit', 'succeeded', NULL);
SELECT setval('procrastinate_jobs_id_seq', 13);
INSERT INTO procrastinate_events (job_id, type, at)
SELECT id, 'deferred', CASE id WHEN 1 THEN now() - interval '5 min' WHEN 2 THEN now() - interval '20 min'
                               WHEN 3 THEN now() WHEN 8 THEN now() - interval '3 hour'
                               WHEN 13 THEN now() - interval '3 hour' ELSE now() - interval '10 min' END
FROM procrastinate_jobs;
INSERT INTO procrastinate_events (job_id, type, at) VALUES
  (2, 'started', now() - interval '15 min'), (2, 'deferred_for_retry', now() - interval '14 min'),
  (5, 'started', now() - interval '1 min'),
  (6, 'failed', now() - interval '3 min'), (7, 'failed', now() - interval '4 min'),
  (8, 'failed', now() - interval '1 hour'),
  (9, 'succeeded', now() - interval '1 min'), (10, 'succeeded', now() - interval '2 min'),
  (11, 'succeeded', now() - interval '3 min'), (12, 'succeeded', now() - interval '4 min'),
  (13, 'succeeded', now() - interval '2 hour');
