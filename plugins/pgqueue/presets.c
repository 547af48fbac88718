/* SPDX-License-Identifier: Apache-2.0 */
/*
 * presets.c: one read-only query per job-queue library, built from each
 * library's own schema (source file and version named above each one) and
 * written so that the library's own indexes serve it. Every query returns
 * the single row described by enum pgq_col. Identifiers from settings are
 * quoted with PQescapeIdentifier; values travel as parameters.
 *
 * Window helpers: $1 is the window in seconds, $2 the previous run's DB
 * time (NULL on a first run, which then looks back one window).
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/common/ppg.h"
#include "plugins/pgqueue/presets.h"

#define WIN "(now() - make_interval(secs => $1::float8))"
#define SINCE "coalesce(to_timestamp($2::float8), " WIN ")"
/* Oban and Rails store UTC in timestamp without time zone */
#define UNOW "(now() AT TIME ZONE 'UTC')"
#define UWIN "(" UNOW " - make_interval(secs => $1::float8))"
#define USINCE "coalesce(to_timestamp($2::float8) AT TIME ZONE 'UTC', " UWIN ")"
#define AGE(x) "extract(epoch from (now() - (" x ")))::float8"
#define UAGE(x) "extract(epoch from (" UNOW " - (" x ")))::float8"
/* optional queue filter on column c, parameter $3 */
#define QF(c) " AND ($3::text IS NULL OR " c " = $3::text)"

static const char *const presets[] = {"generic",       "pgmq",
                                      "pg-boss",       "graphile-worker",
                                      "river",         "oban",
                                      "que",           "solid-queue",
                                      "procrastinate", NULL};

int pgq_preset_known(const char *name)
{
  for(int i = 0; name && presets[i]; i++)
    if(strcmp(presets[i], name) == 0)
      return 1;
  return 0;
}

/* malloc'd printf, NULL on failure. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
  va_list ap;
  char *s = NULL;
  va_start(ap, f);
  if(vasprintf(&s, f, ap) < 0)
    s = NULL;
  va_end(ap);
  return s;
}

/* Quoted "schema"."name" (schema may be NULL: name alone). */
static char *qname(PGconn *conn, const char *schema, const char *name)
{
  char *n = sym_PQescapeIdentifier(conn, name, strlen(name));
  if(!n || !schema) {
    char *r = n ? strdup(n) : NULL;
    sym_PQfreemem(n);
    return r;
  }
  char *s = sym_PQescapeIdentifier(conn, schema, strlen(schema));
  char *r = s ? fmt("%s.%s", s, n) : NULL;
  sym_PQfreemem(s);
  sym_PQfreemem(n);
  return r;
}

/* A single text value from a catalog query with one text parameter, or
   NULL (no row, NULL value or error). malloc'd. */
static char *catalog_value(PGconn *conn, const char *sql, const char *p1,
                           const char *p2)
{
  const char *params[2] = {p1, p2};
  PGresult *r =
      sym_PQexecParams(conn, sql, p2 ? 2 : 1, NULL, params, NULL, NULL, 0);
  char *v = NULL;
  if(sym_PQresultStatus(r) == PGRES_TUPLES_OK && sym_PQntuples(r) == 1 &&
     !sym_PQgetisnull(r, 0, 0))
    v = strdup(sym_PQgetvalue(r, 0, 0));
  sym_PQclear(r);
  return v;
}

/* 1 when schema.table exists (a table or a view). */
static int rel_exists(PGconn *conn, const char *schema, const char *table)
{
  char *v = catalog_value(
      conn,
      "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
      " ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
      schema, table);
  int ok = v != NULL;
  free(v);
  return ok;
}

/* A preset's table: the quoted schema.table when it exists, else NULL
 * with err "<label> table <schema>.<table> not found" (NULL without err
 * when out of memory). */
static char *preset_table(PGconn *conn, const char *schema, const char *table,
                          const char *label, char *err, size_t errlen)
{
  if(!rel_exists(conn, schema, table)) {
    snprintf(err, errlen, "%s table %s.%s not found", label, schema, table);
    return NULL;
  }
  return qname(conn, schema, table);
}

/* 1 when schema.table has column col. */
static int col_exists(PGconn *conn, const char *schema, const char *table,
                      const char *col)
{
  char *rel = qname(conn, schema, table);
  if(!rel)
    return 0;
  char *v = catalog_value(
      conn,
      "SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass($1)"
      " AND attname = $2 AND NOT attisdropped",
      rel, col);
  free(rel);
  int ok = v != NULL;
  free(v);
  return ok;
}

void pgq_query_free(pgq_query *q)
{
  if(!q)
    return;
  free(q->sql);
  free(q->relation);
  for(size_t i = 0; i < sizeof(q->owned) / sizeof(q->owned[0]); i++)
    free(q->owned[i]);
  memset(q, 0, sizeof(*q));
}

/* generic: a table of the user's own, described by settings. */
static int build_generic(PGconn *conn, const pgq_conf *c, pgq_query *q,
                         char *err, size_t errlen)
{
  char *t = NULL, *s = NULL, *cr = NULL, *up = NULL, *ra = NULL;
  if(!c->table || !*c->table) {
    snprintf(err, errlen, "preset generic needs the setting 'table'");
    return -1;
  }
  t = c->schema ? qname(conn, c->schema, c->table)
                : ppg_quote_qualified(conn, c->table);
  s = qname(conn, NULL, c->status_column);
  cr = qname(conn, NULL, c->created_column);
  up = qname(conn, NULL, c->updated_column);
  ra = c->run_at_column && *c->run_at_column
           ? qname(conn, NULL, c->run_at_column)
           : NULL;
  if(!t || !s || !cr || !up || (c->run_at_column && *c->run_at_column && !ra)) {
    snprintf(err, errlen, "cannot quote the table or column names");
    goto err;
  }
  char due[256];
  snprintf(due, sizeof(due), "%s%s%s", ra ? " AND " : "", ra ? ra : "",
           ra ? " <= now()" : "");
  char notdue[256];
  snprintf(notdue, sizeof(notdue), "%s%s", ra ? ra : "false",
           ra ? " > now()" : "");
  /* one scan; statuses compared as text so that enum and text columns work */
  q->sql = fmt(
      "SELECT extract(epoch from now())::float8,"
      " count(*) FILTER (WHERE %1$s::text = ANY($3::text[])%2$s),"
      " count(*) FILTER (WHERE %1$s::text = ANY($4::text[])),"
      " count(*) FILTER (WHERE %1$s::text = ANY($3::text[]) AND %3$s),"
      " " AGE(
          "min(%4$s) FILTER (WHERE %1$s::text = ANY($3::text[])%2$s)") ","
                                                                       " count(*) FILTER (WHERE %1$s::text = ANY($5::text[]) AND %5$s >= " WIN
                                                                       "),"
                                                                       " count(*) FILTER (WHERE %1$s::text = ANY($6::text[]) AND %5$s >= " WIN
                                                                       "),"
                                                                       " count(*) FILTER (WHERE %1$s::text = ANY($5::text[]) AND %5$s > " SINCE
                                                                       "),"
                                                                       " count(*) FILTER (WHERE %1$s::text = ANY($6::text[]) AND %5$s > " SINCE
                                                                       "),"
                                                                       " " AGE(
                                                                           "max(%5$s) FILTER (WHERE %1$s::text = ANY($6::text[]))") ","
                                                                                                                                    " NULL::bigint, NULL::bigint, NULL::bigint FROM %6$s",
      s, due, notdue, cr, up, t);
  q->params[2] = c->pending_values;
  q->params[3] = c->running_values;
  q->params[4] = c->failed_values;
  q->params[5] = c->done_values;
  q->nparams = 6;
  q->relation = t;
  t = NULL;
  q->note = "completions and failures from the status and timestamp columns";
  free(s), free(cr), free(up), free(ra);
  return q->sql ? 0 : -1;
err:
  free(t), free(s), free(cr), free(up), free(ra);
  return -1;
}

/* pgmq, tembo-io/pgmq pgmq-extension/sql/pgmq.sql (1.4.x,
   create_non_partitioned): pgmq.q_<queue>(msg_id identity, read_ct,
   enqueued_at, vt, message), index q_<queue>_vt_idx on (vt). A message is
   visible when vt <= now(); reading sets vt ahead and bumps read_ct;
   delete/archive/pop remove it from q_<queue>. */
static int build_pgmq(PGconn *conn, const pgq_conf *c, pgq_query *q, char *err,
                      size_t errlen)
{
  if(!c->queue || !*c->queue) {
    snprintf(err, errlen,
             "preset pgmq needs the setting 'queue' (the pgmq queue name)");
    return -1;
  }
  const char *schema = c->schema ? c->schema : "pgmq";
  char *tname = fmt("q_%s", c->queue);
  if(!tname)
    return -1;
  for(char *p = tname; *p; p++) /* pgmq.format_table_name lower()s */
    *p = (char)tolower((unsigned char)*p);
  if(!rel_exists(conn, schema, tname)) {
    snprintf(err, errlen, "pgmq queue table %s.%s not found", schema, tname);
    free(tname);
    return -1;
  }
  char *t = qname(conn, schema, tname);
  free(tname);
  if(!t)
    return -1;
  q->sql = fmt(
      "SELECT extract(epoch from now())::float8,"
      " (SELECT count(*) FROM %1$s WHERE vt <= now() AND read_ct < $3::bigint),"
      " (SELECT count(*) FROM %1$s WHERE vt > now() AND read_ct > 0),"
      " (SELECT count(*) FROM %1$s WHERE vt > now() AND read_ct = 0),"
      " (SELECT " AGE(
          "min(enqueued_at)") " FROM %1$s WHERE vt <= now() AND read_ct < $3::bigint),"
                              " NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::float8,"
                              " (SELECT count(*) FROM %1$s),"
                              " coalesce(pg_sequence_last_value(pg_get_serial_sequence($4::text, 'msg_id')), 0),"
                              " (SELECT count(*) FROM %1$s WHERE read_ct >= $3::bigint)",
      t);
  q->owned[0] = fmt("%lld", c->poison_reads);
  q->owned[1] = strdup(t);
  q->params[2] = q->owned[0];
  q->params[3] = q->owned[1];
  q->nparams = 4;
  q->relation = t;
  q->derived_completions = 1;
  q->derived_failures = 1;
  q->note =
      "pgmq keeps no finished messages in the queue table: completions are the "
      "messages that left it between runs (deleted or archived), failures the "
      "growth of poison messages (read_ct >= poison_reads), both from the plugin's state";
  return q->sql && q->owned[0] && q->owned[1] ? 0 : -1;
}

/* pg-boss v10, timgit/pg-boss src/plans.js: pgboss.job partitioned by
   name; state enum created < retry < active < completed < cancelled <
   failed; index job_i5 (name, start_after) WHERE state < 'active'.
   completeJobs/failJobs set completed_on. */
static int build_pgboss(PGconn *conn, const pgq_conf *c, pgq_query *q,
                        char *err, size_t errlen)
{
  const char *schema = c->schema ? c->schema : "pgboss";
  char *t = preset_table(conn, schema, "job", "pg-boss", err, errlen);
  if(!t)
    return -1;
  /* waiting work through job_i5 (state < 'active'); everything pg-boss
     does not index (active, finished by completed_on) in one scan */
  q->sql = fmt(
      "WITH s AS (SELECT"
      "   count(*) FILTER (WHERE state = 'active') AS active,"
      "   count(*) FILTER (WHERE state = 'failed' AND completed_on >= " WIN
      ") AS fw,"
      "   count(*) FILTER (WHERE state = 'completed' AND completed_on >= " WIN
      ") AS cw,"
      "   count(*) FILTER (WHERE state = 'failed' AND completed_on > " SINCE
      ") AS fs,"
      "   count(*) FILTER (WHERE state = 'completed' AND completed_on > " SINCE
      ") AS cs,"
      "   max(completed_on) FILTER (WHERE state = 'completed') AS last"
      " FROM %1$s WHERE state >= 'active'" QF(
          "name") ")"
                  " SELECT extract(epoch from now())::float8,"
                  " (SELECT count(*) FROM %1$s WHERE state < 'active' AND start_after <= now()" QF(
                      "name") "),"
                              " s.active,"
                              " (SELECT count(*) FROM %1$s WHERE state < 'active' AND start_after > now()" QF(
                                  "name") "),"
                                          " (SELECT " AGE(
                                              "min(greatest(created_on, start_after))") " FROM %1$s"
                                                                                        "   WHERE state < 'active' AND start_after <= now()" QF(
                                                                                            "name") "),"
                                                                                                    " s.fw, s.cw, s.fs, s.cs, " AGE(
                                                                                                        "s.last") ","
                                                                                                                  " NULL::bigint, NULL::bigint, NULL::bigint FROM s",
      t);
  q->params[2] = c->queue && *c->queue ? c->queue : NULL;
  q->nparams = 3;
  q->relation = t;
  q->note = "completions and failures from state and completed_on";
  return q->sql ? 0 : -1;
}

/* graphile-worker, graphile/worker sql/000011.sql (jobs with is_available
   generated column, index jobs_main_index (priority, run_at) WHERE
   is_available) and sql/000016.sql (v0.16: table renamed _private_jobs,
   `jobs` becomes a view). complete_jobs() deletes the row; a job whose
   attempts reached max_attempts and is not locked has failed for good;
   fail_job sets updated_at. Locks older than 4 hours are dead. */
static int build_graphile(PGconn *conn, const pgq_conf *c, pgq_query *q,
                          char *err, size_t errlen)
{
  const char *schema = c->schema ? c->schema : "graphile_worker";
  const char *tab =
      rel_exists(conn, schema, "_private_jobs") ? "_private_jobs" : "jobs";
  if(!rel_exists(conn, schema, tab)) {
    snprintf(err, errlen,
             "graphile-worker table %s._private_jobs or %s.jobs not found",
             schema, schema);
    return -1;
  }
  if(c->queue && *c->queue) {
    snprintf(err, errlen, "preset graphile-worker does not filter by 'queue'");
    return -1;
  }
  int avail = col_exists(conn, schema, tab, "is_available");
  const char *ready = avail ? "is_available = true"
                            : "locked_at IS NULL AND attempts < max_attempts";
  char *t = qname(conn, schema, tab);
  if(!t)
    return -1;
  /* available work through jobs_main_index; the rest in one scan (the
     table holds only unfinished and failed jobs) */
  q->sql = fmt(
      "WITH s AS (SELECT count(*) AS live,"
      "   count(*) FILTER (WHERE locked_at IS NOT NULL AND locked_at > now() - interval '4 hours') AS running,"
      "   count(*) FILTER (WHERE attempts >= max_attempts AND locked_at IS NULL AND updated_at >= " WIN
      ") AS fw,"
      "   count(*) FILTER (WHERE attempts >= max_attempts AND locked_at IS NULL AND updated_at > " SINCE
      ") AS fs"
      " FROM %1$s)"
      " SELECT extract(epoch from now())::float8,"
      " (SELECT count(*) FROM %1$s WHERE %2$s AND run_at <= now()),"
      " s.running,"
      " (SELECT count(*) FROM %1$s WHERE %2$s AND run_at > now()),"
      " (SELECT " AGE(
          "min(run_at)") " FROM %1$s WHERE %2$s AND run_at <= now()),"
                         " s.fw, NULL::bigint, s.fs, NULL::bigint, NULL::float8, s.live,"
                         " coalesce(pg_sequence_last_value(pg_get_serial_sequence($3::text, 'id')), 0),"
                         " NULL::bigint FROM s",
      t, ready);
  /* pg_get_serial_sequence wants the (quoted when needed) relation name */
  q->params[2] = t;
  q->nparams = 3;
  q->relation = t;
  q->derived_completions = 1;
  q->note =
      "graphile-worker deletes completed jobs: completions are the jobs that left "
      "the table between runs (from the plugin's state); failures from attempts >= "
      "max_attempts and updated_at";
  return q->sql ? 0 : -1;
}

/* River, riverqueue/river riverdriver/riverpgxv5/migration/main/
   002_initial_schema.up.sql (+004 'pending'): river_job.state enum,
   finalized_at; indexes river_job_prioritized_fetching_index (state,
   queue, priority, scheduled_at, id) and river_job_state_and_finalized_at_index. */
static int build_river(PGconn *conn, const pgq_conf *c, pgq_query *q, char *err,
                       size_t errlen)
{
  const char *schema = c->schema ? c->schema : "public";
  char *t = preset_table(conn, schema, "river_job", "river", err, errlen);
  if(!t)
    return -1;
  q->sql = fmt(
      "SELECT extract(epoch from now())::float8,"
      " (SELECT count(*) FROM %1$s WHERE state = 'available'" QF(
          "queue") "),"
                   " (SELECT count(*) FROM %1$s WHERE state = 'running'" QF(
                       "queue") "),"
                                " (SELECT count(*) FROM %1$s WHERE state IN ('scheduled', 'retryable')" QF(
                                    "queue") "),"
                                             " (SELECT " AGE("min(scheduled_at)") " FROM %1$s WHERE state = 'available'" QF(
                                                 "queue") "),"
                                                          " (SELECT count(*) FROM %1$s WHERE state = 'discarded' AND finalized_at >= " WIN
                                                              QF("queue") "),"
                                                                          " (SELECT count(*) FROM %1$s WHERE state = 'completed' AND finalized_at >= " WIN
                                                                              QF("queue") "),"
                                                                                          " (SELECT count(*) FROM %1$s WHERE state = 'discarded' AND finalized_at > " SINCE
                                                                                              QF("queue") "),"
                                                                                                          " (SELECT count(*) FROM %1$s WHERE state = 'completed' AND finalized_at > " SINCE
                                                                                                              QF("queue") "),"
                                                                                                                          " (SELECT " AGE("max(finalized_at)") " FROM %1$s WHERE state = 'completed'" QF(
                                                                                                                              "queue") "),"
                                                                                                                                       " NULL::bigint, NULL::bigint, NULL::bigint",
      t);
  q->params[2] = c->queue && *c->queue ? c->queue : NULL;
  q->nparams = 3;
  q->relation = t;
  q->note = "completions and failures (discarded) from state and finalized_at";
  return q->sql ? 0 : -1;
}

/* Oban, sorentwo/oban lib/oban/migrations V01 (oban_jobs, oban_job_state,
   utc_datetime_usec = timestamp without time zone in UTC), V08
   (discarded_at, index (state, queue, priority, scheduled_at, id)), V09
   ('cancelled'). Oban's pruner deletes finished jobs (max_age 60 s by
   default), so windows add up what each run saw since the previous one. */
static int build_oban(PGconn *conn, const pgq_conf *c, pgq_query *q, char *err,
                      size_t errlen)
{
  const char *schema = c->schema ? c->schema : "public";
  char *t = preset_table(conn, schema, "oban_jobs", "oban", err, errlen);
  if(!t)
    return -1;
  q->sql = fmt(
      "SELECT extract(epoch from now())::float8,"
      " (SELECT count(*) FROM %1$s WHERE state = 'available'" QF(
          "queue") "),"
                   " (SELECT count(*) FROM %1$s WHERE state = 'executing'" QF(
                       "queue") "),"
                                " (SELECT count(*) FROM %1$s WHERE state IN ('scheduled', 'retryable')" QF(
                                    "queue") "),"
                                             " (SELECT " UAGE("min(scheduled_at)") " FROM %1$s WHERE state = 'available'" QF(
                                                 "queue") "),"
                                                          " (SELECT count(*) FROM %1$s WHERE state = 'discarded' AND discarded_at >= " UWIN
                                                              QF("queue") "),"
                                                                          " (SELECT count(*) FROM %1$s WHERE state = 'completed' AND completed_at >= " UWIN
                                                                              QF("queue") "),"
                                                                                          " (SELECT count(*) FROM %1$s WHERE state = 'discarded' AND discarded_at > " USINCE
                                                                                              QF("queue") "),"
                                                                                                          " (SELECT count(*) FROM %1$s WHERE state = 'completed' AND completed_at > " USINCE
                                                                                                              QF("queue") "),"
                                                                                                                          " (SELECT " UAGE("max(completed_at)") " FROM %1$s WHERE state = 'completed'" QF(
                                                                                                                              "queue") "),"
                                                                                                                                       " NULL::bigint, NULL::bigint, NULL::bigint",
      t);
  q->params[2] = c->queue && *c->queue ? c->queue : NULL;
  q->nparams = 3;
  q->relation = t;
  q->note =
      "completions and failures (discarded) from state and completed_at/discarded_at; "
      "Oban's pruner deletes finished jobs, so windows also add up what each run saw "
      "since the previous one (plugin state)";
  return q->sql ? 0 : -1;
}

/* Que 1.x/2.x, que-rb/que lib/que/migrations/4/up.sql: que_jobs(id,
   queue, run_at, error_count, finished_at, expired_at, ...), index
   que_poll_idx (queue, priority, run_at, id) WHERE finished_at IS NULL AND
   expired_at IS NULL. A worker holds pg_try_advisory_lock(id) while it
   works a job; a job past its retries gets expired_at; a finished job is
   destroyed unless the job calls finish. */
static int build_que(PGconn *conn, const pgq_conf *c, pgq_query *q, char *err,
                     size_t errlen)
{
  const char *schema = c->schema ? c->schema : "public";
  char *t = preset_table(conn, schema, "que_jobs", "que", err, errlen);
  if(!t)
    return -1;
#define QUE_OPEN "finished_at IS NULL AND expired_at IS NULL"
#define QUE_LOCKED                                                                                \
  "EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.locktype = 'advisory'"                     \
  " AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())" \
  " AND l.objsubid = 1 AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = j.id)"
  /* open jobs through que_poll_idx; finished/expired rows (kept only
     when jobs call finish, or past their retries) and the row count in one
     scan */
  q->sql = fmt(
      "WITH s AS (SELECT count(*) AS live,"
      "   count(*) FILTER (WHERE expired_at >= " WIN ") AS fw,"
      "   count(*) FILTER (WHERE finished_at >= " WIN ") AS cw,"
      "   count(*) FILTER (WHERE expired_at > " SINCE ") AS fs,"
      "   count(*) FILTER (WHERE finished_at > " SINCE ") AS cs,"
      "   max(finished_at) AS last"
      " FROM %1$s WHERE true" QF(
          "queue") ")"
                   " SELECT extract(epoch from now())::float8,"
                   " (SELECT count(*) FROM %1$s j WHERE " QUE_OPEN
                   " AND run_at <= now()" QF(
                       "queue") "   AND NOT " QUE_LOCKED "),"
                                " (SELECT count(*) FROM %1$s j WHERE " QUE_OPEN QF(
                                    "queue") " AND " QUE_LOCKED "),"
                                             " (SELECT count(*) FROM %1$s j WHERE " QUE_OPEN
                                             " AND run_at > now()" QF(
                                                 "queue") "),"
                                                          " (SELECT " AGE("min(run_at)") " FROM %1$s j WHERE " QUE_OPEN " AND run_at <= now()" QF(
                                                              "queue") "   AND NOT " QUE_LOCKED
                                                                       "),"
                                                                       " s.fw, s.cw, s.fs, s.cs, " AGE(
                                                                           "s.last") ", s.live,"
                                                                                     " coalesce(pg_sequence_last_value(pg_get_serial_sequence($4::text, 'id')), 0),"
                                                                                     " NULL::bigint FROM s",
      t);
  q->params[2] = c->queue && *c->queue ? c->queue : NULL;
  q->params[3] = t;
  q->nparams = 4;
  q->relation = t;
  q->derived_completions = 1;
  q->note =
      "que destroys finished jobs: completions are finished_at rows plus the jobs that "
      "left the table between runs (from the plugin's state); failures from expired_at";
  return q->sql ? 0 : -1;
}

/* Solid Queue, rails/solid_queue lib/generators/solid_queue/install/
   templates/db/queue_schema.rb: solid_queue_jobs (finished_at, index
   index_solid_queue_jobs_on_finished_at) and the execution tables ready,
   claimed, scheduled, blocked, failed; Rails datetime = timestamp without
   time zone in UTC. Finished jobs are kept (preserve_finished_jobs) and
   cleared after a day by default. */
static int build_solid(PGconn *conn, const pgq_conf *c, pgq_query *q, char *err,
                       size_t errlen)
{
  const char *schema = c->schema ? c->schema : "public";
  static const char *const tabs[] = {"solid_queue_jobs",
                                     "solid_queue_ready_executions",
                                     "solid_queue_claimed_executions",
                                     "solid_queue_scheduled_executions",
                                     "solid_queue_failed_executions"};
  char *t[5] = {0};
  int rc = -1;
  for(int i = 0; i < 5; i++) {
    if(!rel_exists(conn, schema, tabs[i])) {
      snprintf(err, errlen, "solid-queue table %s.%s not found", schema,
               tabs[i]);
      goto out;
    }
    if(!(t[i] = qname(conn, schema, tabs[i])))
      goto out;
  }
  q->sql = fmt(
      "SELECT extract(epoch from now())::float8,"
      " (SELECT count(*) FROM %2$s WHERE true" QF(
          "queue_name") "),"
                        " (SELECT count(*) FROM %3$s c JOIN %1$s j ON j.id = c.job_id WHERE true" QF(
                            "j.queue_name") "),"
                                            " (SELECT count(*) FROM %4$s WHERE true" QF(
                                                "queue_name") "),"
                                                              " (SELECT " UAGE("min(created_at)") " FROM %2$s WHERE true" QF(
                                                                  "queue_name") "),"
                                                                                " (SELECT count(*) FROM %5$s f JOIN %1$s j ON j.id = f.job_id WHERE f.created_at >= " UWIN
                                                                                    QF("j.queue_name") "),"
                                                                                                       " (SELECT count(*) FROM %1$s WHERE finished_at >= " UWIN
                                                                                                           QF("queue_name") "),"
                                                                                                                            " (SELECT count(*) FROM %5$s f JOIN %1$s j ON j.id = f.job_id WHERE f.created_at > " USINCE
                                                                                                                                QF("j.queue_name") "),"
                                                                                                                                                   " (SELECT count(*) FROM %1$s WHERE finished_at > " USINCE
                                                                                                                                                       QF("queue_name") "),"
                                                                                                                                                                        " (SELECT " UAGE("max(finished_at)") " FROM %1$s WHERE finished_at IS NOT NULL" QF(
                                                                                                                                                                            "queue_name") "),"
                                                                                                                                                                                          " NULL::bigint, NULL::bigint, NULL::bigint",
      t[0], t[1], t[2], t[3], t[4]);
  q->params[2] = c->queue && *c->queue ? c->queue : NULL;
  q->nparams = 3;
  q->relation = t[0];
  t[0] = NULL;
  q->note =
      "depth from ready executions, in flight from claimed executions, failures from "
      "failed executions, completions from solid_queue_jobs.finished_at";
  rc = q->sql ? 0 : -1;
out:
  for(int i = 0; i < 5; i++)
    free(t[i]);
  return rc;
}

/* Procrastinate 3.x, procrastinate-org/procrastinate procrastinate/sql/
   schema.sql: procrastinate_jobs.status enum (todo, doing, succeeded,
   failed, cancelled, aborting, aborted), index procrastinate_jobs_priority_idx_v1
   WHERE status = 'todo'; jobs carry no timestamps of their own: the
   procrastinate_events table records each transition with `at`. */
static int build_procrastinate(PGconn *conn, const pgq_conf *c, pgq_query *q,
                               char *err, size_t errlen)
{
  const char *schema = c->schema ? c->schema : "public";
  if(!rel_exists(conn, schema, "procrastinate_jobs") ||
     !rel_exists(conn, schema, "procrastinate_events")) {
    snprintf(err, errlen,
             "procrastinate tables %s.procrastinate_jobs/_events not found",
             schema);
    return -1;
  }
  char *t = qname(conn, schema, "procrastinate_jobs");
  char *e = qname(conn, schema, "procrastinate_events");
  if(!t || !e) {
    free(t);
    free(e);
    return -1;
  }
#define PR_DUE \
  "j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())"
  /* waiting work through the status partial indexes; the events of
     finished jobs in one pass */
  q->sql = fmt(
      "WITH s AS (SELECT"
      "   count(*) FILTER (WHERE e.type = 'failed' AND e.at >= " WIN ") AS fw,"
      "   count(*) FILTER (WHERE e.type = 'succeeded' AND e.at >= " WIN
      ") AS cw,"
      "   count(*) FILTER (WHERE e.type = 'failed' AND e.at > " SINCE ") AS fs,"
      "   count(*) FILTER (WHERE e.type = 'succeeded' AND e.at > " SINCE
      ") AS cs,"
      "   max(e.at) FILTER (WHERE e.type = 'succeeded') AS last"
      " FROM %2$s e JOIN %1$s j ON j.id = e.job_id"
      " WHERE e.type IN ('failed', 'succeeded')" QF(
          "j.queue_name") ")"
                          " SELECT extract(epoch from now())::float8,"
                          " (SELECT count(*) FROM %1$s j WHERE " PR_DUE QF(
                              "j.queue_name") "),"
                                              " (SELECT count(*) FROM %1$s j WHERE j.status = 'doing'" QF(
                                                  "j.queue_name") "),"
                                                                  " (SELECT count(*) FROM %1$s j WHERE j.status = 'todo' AND j.scheduled_at > now()" QF(
                                                                      "j.queue_name") "),"
                                                                                      " (SELECT " AGE(
                                                                                          "min(greatest(e.at, coalesce(j.scheduled_at, e.at)))") " FROM %1$s j"
                                                                                                                                                 "   JOIN %2$s e ON e.job_id = j.id AND e.type = 'deferred' WHERE " PR_DUE
                                                                                                                                                     QF("j.queue_name") "),"
                                                                                                                                                                        " s.fw, s.cw, s.fs, s.cs, " AGE(
                                                                                                                                                                            "s.last") ","
                                                                                                                                                                                      " NULL::bigint, NULL::bigint, NULL::bigint FROM s",
      t, e);
  free(e);
  q->params[2] = c->queue && *c->queue ? c->queue : NULL;
  q->nparams = 3;
  q->relation = t;
  q->note =
      "completions and failures from procrastinate_events (succeeded/failed); jobs "
      "deleted on completion (delete_job) take their events with them";
  return q->sql ? 0 : -1;
}

int pgq_build(PGconn *conn, const char *preset, const pgq_conf *conf,
              pgq_query *q, char *err, size_t errlen)
{
  memset(q, 0, sizeof(*q));
  int rc;
  err[0] = '\0';
  if(strcmp(preset, "generic") == 0)
    rc = build_generic(conn, conf, q, err, errlen);
  else if(strcmp(preset, "pgmq") == 0)
    rc = build_pgmq(conn, conf, q, err, errlen);
  else if(strcmp(preset, "pg-boss") == 0)
    rc = build_pgboss(conn, conf, q, err, errlen);
  else if(strcmp(preset, "graphile-worker") == 0)
    rc = build_graphile(conn, conf, q, err, errlen);
  else if(strcmp(preset, "river") == 0)
    rc = build_river(conn, conf, q, err, errlen);
  else if(strcmp(preset, "oban") == 0)
    rc = build_oban(conn, conf, q, err, errlen);
  else if(strcmp(preset, "que") == 0)
    rc = build_que(conn, conf, q, err, errlen);
  else if(strcmp(preset, "solid-queue") == 0)
    rc = build_solid(conn, conf, q, err, errlen);
  else if(strcmp(preset, "procrastinate") == 0)
    rc = build_procrastinate(conn, conf, q, err, errlen);
  else {
    snprintf(err, errlen, "unknown preset '%s'", preset);
    rc = -1;
  }
  if(rc < 0) {
    if(!err[0])
      snprintf(err, errlen, "preset %s: out of memory", preset);
    pgq_query_free(q);
  }
  return rc;
}
