-- pg-boss v10: job_state enum and the job table as in timgit/pg-boss
-- src/plans.js (createEnumJobState, createTableJob partitioned by name,
-- createTableJobCommon's default partition and index job_i5). The queue
-- table and its foreign key are left out: the plugin does not read them.
CREATE SCHEMA pgboss;
CREATE TYPE pgboss.job_state AS ENUM ('created', 'retry', 'active', 'completed', 'cancelled', 'failed');
CREATE TABLE pgboss.job (
  id uuid not null default gen_random_uuid(),
  name text not null,
  priority integer not null default(0),
  data jsonb,
  state pgboss.job_state not null default('created'),
  retry_limit integer not null default(2),
  retry_count integer not null default(0),
  retry_delay integer not null default(0),
  retry_backoff boolean not null default false,
  start_after timestamp with time zone not null default now(),
  started_on timestamp with time zone,
  singleton_key text,
  singleton_on timestamp without time zone,
  expire_in interval not null default interval '15 minutes',
  created_on timestamp with time zone not null default now(),
  completed_on timestamp with time zone,
  keep_until timestamp with time zone NOT NULL default now() + interval '14 days',
  output jsonb,
  policy text
) PARTITION BY LIST (name);
ALTER TABLE pgboss.job ADD PRIMARY KEY (name, id);
CREATE TABLE pgboss.job_common (LIKE pgboss.job INCLUDING DEFAULTS);
ALTER TABLE pgboss.job_common ADD PRIMARY KEY (name, id);
CREATE INDEX job_common_i5 ON pgboss.job_common (name, start_after) INCLUDE (priority, created_on, id) WHERE state < 'active';
ALTER TABLE pgboss.job ATTACH PARTITION pgboss.job_common DEFAULT;
INSERT INTO pgboss.job (name, state, start_after, created_on, started_on, completed_on) VALUES
  ('submit', 'created', now() - interval '5 min', now() - interval '5 min', NULL, NULL),
  ('submit', 'retry',   now() - interval '1 min', now() - interval '20 min', now() - interval '2 min', NULL),
  ('submit', 'created', now(), now(), NULL, NULL),
  ('submit', 'created', now() + interval '1 hour', now(), NULL, NULL),
  ('submit', 'active',  now() - interval '1 min', now() - interval '1 min', now(), NULL),
  ('submit', 'failed',  now() - interval '10 min', now() - interval '10 min', now() - interval '5 min', now() - interval '3 min'),
  ('submit', 'failed',  now() - interval '10 min', now() - interval '10 min', now() - interval '5 min', now() - interval '4 min'),
  ('submit', 'failed',  now() - interval '2 hour', now() - interval '2 hour', now() - interval '2 hour', now() - interval '1 hour'),
  ('submit', 'completed', now() - interval '9 min', now() - interval '9 min', now() - interval '9 min', now() - interval '1 min'),
  ('submit', 'completed', now() - interval '9 min', now() - interval '9 min', now() - interval '9 min', now() - interval '2 min'),
  ('submit', 'completed', now() - interval '9 min', now() - interval '9 min', now() - interval '9 min', now() - interval '3 min'),
  ('submit', 'completed', now() - interval '9 min', now() - interval '9 min', now() - interval '9 min', now() - interval '4 min'),
  ('submit', 'completed', now() - interval '3 hour', now() - interval '3 hour', now() - interval '3 hour', now() - interval '2 hour'),
  ('submit', 'cancelled', now() - interval '3 hour', now() - interval '3 hour', NULL, now() - interval '2 min');
