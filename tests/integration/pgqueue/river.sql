-- River: river_job as in riverqueue/river riverdriver/riverpgxv5/migration/
-- main/002_initial_schema.up.sql, plus the 'pending' state of 004.
CREATE TYPE river_job_state AS ENUM('available', 'cancelled', 'completed', 'discarded', 'retryable', 'running', 'scheduled');
ALTER TYPE river_job_state ADD VALUE IF NOT EXISTS 'pending' AFTER 'discarded';
CREATE TABLE river_job(
  id bigserial PRIMARY KEY,
  state river_job_state NOT NULL DEFAULT 'available',
  attempt smallint NOT NULL DEFAULT 0,
  max_attempts smallint NOT NULL,
  attempted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT NOW(),
  finalized_at timestamptz,
  scheduled_at timestamptz NOT NULL DEFAULT NOW(),
  priority smallint NOT NULL DEFAULT 1,
  args jsonb,
  attempted_by text[],
  errors jsonb[],
  kind text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  queue text NOT NULL DEFAULT 'default',
  tags varchar(255)[],
  CONSTRAINT finalized_or_finalized_at_null CHECK ((state IN ('cancelled', 'completed', 'discarded') AND finalized_at IS NOT NULL) OR finalized_at IS NULL),
  CONSTRAINT max_attempts_is_positive CHECK (max_attempts > 0),
  CONSTRAINT priority_in_range CHECK (priority >= 1 AND priority <= 4),
  CONSTRAINT queue_length CHECK (char_length(queue) > 0 AND char_length(queue) < 128),
  CONSTRAINT kind_length CHECK (char_length(kind) > 0 AND char_length(kind) < 128)
);
CREATE INDEX river_job_kind ON river_job USING btree(kind);
CREATE INDEX river_job_state_and_finalized_at_index ON river_job USING btree(state, finalized_at) WHERE finalized_at IS NOT NULL;
CREATE INDEX river_job_prioritized_fetching_index ON river_job USING btree(state, queue, priority, scheduled_at, id);
INSERT INTO river_job (state, max_attempts, kind, scheduled_at, finalized_at) VALUES
  ('available', 25, 'submit', now() - interval '5 min', NULL),
  ('available', 25, 'submit', now() - interval '2 min', NULL),
  ('available', 25, 'submit', now(), NULL),
  ('scheduled', 25, 'submit', now() + interval '1 hour', NULL),
  ('retryable', 25, 'submit', now() + interval '1 min', NULL),
  ('running', 25, 'submit', now() - interval '1 min', NULL),
  ('discarded', 25, 'submit', now() - interval '10 min', now() - interval '3 min'),
  ('discarded', 25, 'submit', now() - interval '10 min', now() - interval '4 min'),
  ('discarded', 25, 'submit', now() - interval '2 hour', now() - interval '1 hour'),
  ('completed', 25, 'submit', now() - interval '9 min', now() - interval '1 min'),
  ('completed', 25, 'submit', now() - interval '9 min', now() - interval '2 min'),
  ('completed', 25, 'submit', now() - interval '9 min', now() - interval '3 min'),
  ('completed', 25, 'submit', now() - interval '9 min', now() - interval '4 min'),
  ('completed', 25, 'submit', now() - interval '3 hour', now() - interval '2 hour'),
  ('cancelled', 25, 'submit', now() - interval '3 hour', now() - interval '2 min');
