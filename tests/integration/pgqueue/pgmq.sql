-- pgmq: tables as pgmq.create_non_partitioned() makes them, from
-- tembo-io/pgmq pgmq-extension/sql/pgmq.sql (pgmq 1.4.x). Queue "claims".
-- Seed: 3 visible (oldest enqueued 5 min ago, one of them re-visible after a
-- read), 1 in flight (read, vt ahead), 1 delayed (never read, vt ahead),
-- 2 poison (read_ct >= 5).
CREATE SCHEMA pgmq;
CREATE TABLE pgmq.meta (
    queue_name VARCHAR UNIQUE NOT NULL,
    is_partitioned BOOLEAN NOT NULL,
    is_unlogged BOOLEAN NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL
);
CREATE TABLE pgmq.q_claims (
    msg_id BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    read_ct INT DEFAULT 0 NOT NULL,
    enqueued_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    vt TIMESTAMP WITH TIME ZONE NOT NULL,
    message JSONB
);
CREATE TABLE pgmq.a_claims (
  msg_id BIGINT PRIMARY KEY,
  read_ct INT DEFAULT 0 NOT NULL,
  enqueued_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
  archived_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
  vt TIMESTAMP WITH TIME ZONE NOT NULL,
  message JSONB
);
CREATE INDEX q_claims_vt_idx ON pgmq.q_claims (vt ASC);
CREATE INDEX archived_at_idx_claims ON pgmq.a_claims (archived_at);
INSERT INTO pgmq.meta (queue_name, is_partitioned, is_unlogged) VALUES ('claims', false, false);
INSERT INTO pgmq.q_claims (read_ct, enqueued_at, vt, message) VALUES
  (0, now() - interval '5 min', now() - interval '5 min', '{"n":1}'),
  (1, now() - interval '2 min', now() - interval '1 min', '{"n":2}'),
  (0, now(), now(), '{"n":3}'),
  (1, now() - interval '1 min', now() + interval '30 s', '{"n":4}'),
  (0, now(), now() + interval '1 hour', '{"n":5}'),
  (5, now() - interval '1 hour', now() - interval '1 min', '{"n":6}'),
  (7, now() - interval '1 hour', now() + interval '30 s', '{"n":7}');
