/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pgqueue.c: the pgqueue plugin. Inspects a job queue held in PostgreSQL
 * (a generic table or one of the common queue libraries, see presets.c)
 * over a read-only, time-bounded session and reports check pgqueue.health:
 * depth, in_flight, failed_window, completed_window,
 * oldest_pending_age_seconds; warning at failed_warning failures in the
 * window or depth above depth_warning for depth_for; critical at
 * failed_critical failures or a stalled queue (work due for stall_after and
 * nothing completed in stall_after).
 *
 * State (host->state_dir, one small JSON file per queue): the previous
 * run's DB time, row count and id high-water mark (for libraries that
 * delete finished jobs), since when depth has been high, and the
 * completions/failures each run saw, so that windows survive pruning.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "probe-plugin.h"
#include "lib/redact.h"
#include "lib/statefile.h"
#include "plugins/common/pkit.h"
#include "plugins/common/ppg.h"
#include "plugins/common/pstate.h"
#include "plugins/pgqueue/pgqjudge.h"
#include "plugins/pgqueue/presets.h"

#define CHECK "pgqueue.health"
#define STATE_MAX (256 * 1024)

/* PostgreSQL type OIDs of the query's parameters (pg_type.dat). */
#define PG_OID_INT8 20
#define PG_OID_TEXT 25
#define PG_OID_FLOAT8 701
#define PG_OID_TEXT_ARRAY 1009

#define PRESETS                                                 \
  "generic, pgmq, pg-boss, graphile-worker, river, oban, que, " \
  "solid-queue, procrastinate"

static const probe_setting settings[] = {
    {"conninfo", PROBE_SET_STRING, NULL,
     PROBE_SETTING_REQUIRED | PROBE_SETTING_SECRET,
     "libpq conninfo or postgresql:// URI of the queue's database"},
    {"password_file", PROBE_SET_STRING, NULL, PROBE_SETTING_FILE,
     "file holding the database password"},
    {"preset", PROBE_SET_STRING, "\"generic\"", 0,
     "generic, pgmq, pg-boss, graphile-worker, river, oban, que, solid-queue, procrastinate"},
    {"schema", PROBE_SET_STRING, NULL, 0,
     "schema of the queue tables (default: the library's)"},
    {"table", PROBE_SET_STRING, NULL, 0,
     "generic: the queue table ([schema.]name)"},
    {"queue", PROBE_SET_STRING, NULL, 0,
     "pgmq: the queue name; others: only this queue"},
    {"status_column", PROBE_SET_STRING, "\"status\"", 0,
     "generic: the status column"},
    {"pending_values", PROBE_SET_LIST,
     "[\"pending\",\"queued\",\"ready\",\"available\"]", 0,
     "generic: statuses of jobs waiting for a worker"},
    {"running_values", PROBE_SET_LIST,
     "[\"running\",\"processing\",\"in_progress\",\"active\"]", 0,
     "generic: statuses of jobs being worked"},
    {"failed_values", PROBE_SET_LIST, "[\"failed\",\"dead\",\"error\"]", 0,
     "generic: statuses of jobs that failed for good"},
    {"done_values", PROBE_SET_LIST, "[\"done\",\"completed\",\"succeeded\"]", 0,
     "generic: statuses of completed jobs"},
    {"created_column", PROBE_SET_STRING, "\"created_at\"", 0,
     "generic: when a job was enqueued"},
    {"updated_column", PROBE_SET_STRING, "\"updated_at\"", 0,
     "generic: when a job's status last changed"},
    {"run_at_column", PROBE_SET_STRING, NULL, 0,
     "generic: when a job becomes due (optional)"},
    {"window", PROBE_SET_DURATION, "\"15m\"", 0,
     "window for failed/completed counts"},
    {"failed_warning", PROBE_SET_INT, "3", 0,
     "warning at this many failures in the window"},
    {"failed_critical", PROBE_SET_INT, "10", 0,
     "critical at this many failures in the window"},
    {"depth_warning", PROBE_SET_INT, "100", 0,
     "warning when depth stays above this ..."},
    {"depth_for", PROBE_SET_DURATION, "\"10m\"", 0, "... for this long"},
    {"stall_after", PROBE_SET_DURATION, "\"10m\"", 0,
     "critical when work waits this long and nothing completed in this long"},
    {"poison_reads", PROBE_SET_INT, "5", 0,
     "pgmq: a message read this often is poison (failed)"},
    {NULL, 0, NULL, 0, NULL}};

/* A JSON array of strings -> a PostgreSQL text[] literal ({"a","b"}).
   malloc'd, or NULL when json is not an array of strings. */
static char *list_to_pgarray(const char *json)
{
  cJSON *a = cJSON_Parse(json);
  char *out = NULL;
  size_t cap = 0, len = 0;
  if(!cJSON_IsArray(a))
    goto done;
  FILE *f = open_memstream(&out, &cap);
  if(!f)
    goto done;
  fputc('{', f);
  int first = 1;
  const cJSON *e;
  cJSON_ArrayForEach(e, a) {
    if(!cJSON_IsString(e)) {
      fclose(f);
      free(out);
      out = NULL;
      goto done;
    }
    if(!first)
      fputc(',', f);
    first = 0;
    fputc('"', f);
    for(const char *p = e->valuestring; *p; p++) {
      if(*p == '"' || *p == '\\')
        fputc('\\', f);
      fputc(*p, f);
    }
    fputc('"', f);
  }
  fputc('}', f);
  fclose(f);
  (void)len;
done:
  cJSON_Delete(a);
  return out;
}

/* Loads the state file; a missing or unreadable one is a first run. */
static void state_load(const char *dir, const char *name, qstate *st)
{
  memset(st, 0, sizeof(*st));
  cJSON *j = pstate_read_json(dir, name, STATE_MAX);
  if(!j)
    return;
  if(!cJSON_IsObject(j))
    goto out;
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "t");
  if(!cJSON_IsNumber(t))
    goto out;
  st->have = 1;
  st->t = t->valuedouble;
#define NUM(field, key)                                         \
  do {                                                          \
    const cJSON *v_ = cJSON_GetObjectItemCaseSensitive(j, key); \
    if(cJSON_IsNumber(v_))                                      \
      st->field = v_->valuedouble;                              \
  } while(0)
  NUM(first, "first");
  NUM(depth_high, "depth_high_since");
  NUM(last_done, "last_completion");
  const cJSON *live = cJSON_GetObjectItemCaseSensitive(j, "live");
  const cJSON *maxid = cJSON_GetObjectItemCaseSensitive(j, "max_id");
  if(cJSON_IsNumber(live) && cJSON_IsNumber(maxid)) {
    st->have_counts = 1;
    st->live = live->valuedouble;
    st->max_id = maxid->valuedouble;
    NUM(poison, "poison");
  }
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "hist");
  int n = cJSON_IsArray(h) ? cJSON_GetArraySize(h) : 0;
  if(n > PGQ_HIST_MAX)
    n = PGQ_HIST_MAX;
  if(n > 0 && (st->hist = calloc((size_t)n, sizeof(*st->hist)))) {
    const cJSON *e;
    cJSON_ArrayForEach(e, h) {
      if(st->nhist >= (size_t)n)
        break;
      if(cJSON_GetArraySize(e) != 5)
        continue;
      int ok = 1;
      for(int k = 0; k < 5; k++) {
        const cJSON *x = cJSON_GetArrayItem(e, k);
        if(!cJSON_IsNumber(x))
          ok = 0;
        else
          st->hist[st->nhist][k] = x->valuedouble;
      }
      if(ok)
        st->nhist++;
    }
  }
out:
  cJSON_Delete(j);
}

/* Writes the state file atomically; failures are logged, not fatal. */
static void state_save(probe_ctx *ctx, const probe_host *host, const char *dir,
                       const char *name, const qstate *st, int counts)
{
  if(!dir)
    return;
  cJSON *j = cJSON_CreateObject();
  cJSON *h = cJSON_CreateArray();
  if(!j || !h) {
    cJSON_Delete(j);
    cJSON_Delete(h);
    return;
  }
  cJSON_AddNumberToObject(j, "v", 1);
  cJSON_AddNumberToObject(j, "t", st->t);
  cJSON_AddNumberToObject(j, "first", st->first);
  if(st->depth_high > 0)
    cJSON_AddNumberToObject(j, "depth_high_since", st->depth_high);
  if(st->last_done > 0)
    cJSON_AddNumberToObject(j, "last_completion", st->last_done);
  if(counts) {
    cJSON_AddNumberToObject(j, "live", st->live);
    cJSON_AddNumberToObject(j, "max_id", st->max_id);
    cJSON_AddNumberToObject(j, "poison", st->poison);
  }
  for(size_t i = 0; i < st->nhist; i++) {
    cJSON_AddItemToArray(h, cJSON_CreateDoubleArray(st->hist[i], 5));
  }
  cJSON_AddItemToObject(j, "hist", h);
  char *txt = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  if(!txt || pstate_write(dir, name, txt, strlen(txt)) < 0)
    host->log(ctx, PROBE_LOG_WARNING, "cannot write state %s/%s: %s", dir, name,
              strerror(errno));
  free(txt);
}

/* A value of the result row as a number; *isnull set when NULL. */
static double col(const PGresult *r, int c, int *isnull)
{
  if(sym_PQgetisnull(r, 0, c)) {
    if(isnull)
      *isnull = 1;
    return 0;
  }
  if(isnull)
    *isnull = 0;
  return strtod(sym_PQgetvalue(r, 0, c), NULL);
}

/* Where a settings problem is reported: the run stops at it, check_config
 * names it, or both. */
enum { FOR_RUN = 1, FOR_CHECK = 2 };

#define MAX_PROBLEMS 8

/* The settings of a run, read once for run and check_config alike. */
typedef struct pgq_settings {
  pgq_conf c;
  pgq_limits lim;
  const char *conninfo, *preset, *password_file;
  char *lists[4]; /* text[] literals of the four *_values settings */
  size_t nbad;
  struct {
    const char *key;
    int where;
    char why[240];
  } bad[MAX_PROBLEMS];
} pgq_settings;

static const char *const list_keys[4] = {"pending_values", "running_values",
                                         "failed_values", "done_values"};

/* Records one problem with setting key. */
static void problem(pgq_settings *s, const char *key, int where,
                    const char *fmt, ...) PROBE_PRINTF(4, 5);
static void problem(pgq_settings *s, const char *key, int where,
                    const char *fmt, ...)
{
  if(s->nbad >= MAX_PROBLEMS)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->bad[s->nbad].why, sizeof(s->bad[0].why), fmt, ap);
  va_end(ap);
  s->bad[s->nbad].key = key;
  s->bad[s->nbad++].where = where;
}

/* Reads and checks every setting (defaults: the table's, through pkit). */
static void read_settings(pkit *k, pgq_settings *s)
{
  memset(s, 0, sizeof(*s));
  s->conninfo = pkit_opt(k, "conninfo");
  s->preset = pkit_nonempty(k, "preset");
  s->password_file = pkit_opt(k, "password_file");
  pgq_conf *c = &s->c;
  c->schema = pkit_opt(k, "schema");
  c->table = pkit_opt(k, "table");
  c->queue = pkit_opt(k, "queue");
  c->status_column = pkit_nonempty(k, "status_column");
  c->created_column = pkit_nonempty(k, "created_column");
  c->updated_column = pkit_nonempty(k, "updated_column");
  c->run_at_column = pkit_opt(k, "run_at_column");
  c->poison_reads = pkit_int(k, "poison_reads");
  if(c->poison_reads <= 0)
    c->poison_reads = (long long)pkit_default(k, "poison_reads");
  s->lim.failed_warning = pkit_int(k, "failed_warning");
  s->lim.failed_critical = pkit_int(k, "failed_critical");
  s->lim.depth_warning = pkit_int(k, "depth_warning");
  s->lim.window = pkit_duration(k, "window");
  if(s->lim.window <= 0)
    s->lim.window = pkit_default(k, "window");
  s->lim.depth_for = pkit_duration(k, "depth_for");
  s->lim.stall_after = pkit_duration(k, "stall_after");
  if(!s->conninfo)
    problem(s, "conninfo", FOR_RUN, "is missing");
  const char *preset = s->preset ? s->preset : "";
  if(!pgq_preset_known(preset))
    problem(s, "preset", FOR_RUN | FOR_CHECK, "unknown preset '%s' (%s)",
            preset, PRESETS);
  if(strcmp(preset, "generic") == 0 && !c->table)
    problem(s, "table", FOR_CHECK, "preset generic needs the queue table");
  if(strcmp(preset, "pgmq") == 0 && !c->queue)
    problem(s, "queue", FOR_CHECK, "preset pgmq needs the pgmq queue name");
  for(size_t i = 0; i < 4; i++) {
    const char *js = pkit_json(k, list_keys[i]);
    if(!js || !(s->lists[i] = list_to_pgarray(js)))
      problem(s, list_keys[i], FOR_RUN | FOR_CHECK,
              "must be a list of strings");
  }
  c->pending_values = s->lists[0];
  c->running_values = s->lists[1];
  c->failed_values = s->lists[2];
  c->done_values = s->lists[3];
  if(s->conninfo && !ppg_looks_like_conninfo(s->conninfo))
    problem(s, "conninfo", FOR_CHECK,
            "is not a libpq conninfo or postgresql:// URI");
}

static void settings_free(pgq_settings *s)
{
  for(size_t i = 0; i < 4; i++)
    free(s->lists[i]);
}

/* What gather opened and learnt besides the row. */
typedef struct session {
  PGconn *conn;
  pgq_query q;
  char *redacted; /* the conninfo as shown */
  char target[1024];
  char rel[256]; /* the relation as people write it */
  char statename[64];
  const char *sdir;
} session;

static void session_free(session *g)
{
  if(g->conn)
    sym_PQfinish(g->conn);
  pgq_query_free(&g->q);
  free(g->redacted);
}

/* The target before the query is built: conninfo, preset, table/queue. */
static void name_target(const pgq_settings *s, session *g)
{
  const pgq_conf *c = &s->c;
  snprintf(g->target, sizeof(g->target), "%s (%s%s%s)",
           g->redacted ? g->redacted : "?", s->preset ? s->preset : "?",
           c->table || c->queue ? " " : "",
           c->table   ? c->table
           : c->queue ? c->queue
                      : "");
}

/* After the query is built: the relation, the target, the state file. */
static void name_queue(const pgq_settings *s, session *g)
{
  size_t rl = 0;
  for(const char *p = g->q.relation ? g->q.relation : "";
      *p && rl + 1 < sizeof(g->rel); p++)
    if(*p != '"')
      g->rel[rl++] = *p;
  g->rel[rl] = '\0';
  if(!s->c.table && !s->c.queue)
    snprintf(g->target, sizeof(g->target), "%s (%s %s)", g->redacted, s->preset,
             g->rel);
  const char *parts[] = {s->preset, g->redacted, g->q.relation, s->c.queue};
  statefile_name("queue", "|", parts, 4, g->statename, sizeof(g->statename));
}

/* password_file, connection and the preset's query. */
static int open_session(probe_ctx *ctx, const probe_host *host,
                        const pgq_settings *s, session *g, char *err, size_t n)
{
  double tl = host->time_left ? host->time_left(ctx) : 10;
  double timeout = tl - 1 > 30 ? 30 : tl - 1;
  if(timeout < 1)
    timeout = 1;
  g->conn = ppg_connect_pwfile(s->conninfo, s->password_file, timeout, err, n);
  if(!g->conn)
    return -1;
  return pgq_build(g->conn, s->preset, &s->c, &g->q, err, n);
}

/* The row of the preset's query as observations. */
static void row_to_obs(const PGresult *res, pgq_obs *o)
{
  int null_old;
  o->now = col(res, PGQ_NOW, NULL);
  o->depth = col(res, PGQ_DEPTH, NULL);
  o->in_flight = col(res, PGQ_IN_FLIGHT, NULL);
  o->scheduled = col(res, PGQ_SCHEDULED, NULL);
  o->oldest_age = col(res, PGQ_OLDEST_AGE, &null_old);
  o->failed_win = col(res, PGQ_FAILED_WIN, &o->null_failed_win);
  o->completed_win = col(res, PGQ_COMPLETED_WIN, &o->null_completed_win);
  o->failed_since = col(res, PGQ_FAILED_SINCE, &o->null_failed_since);
  o->completed_since = col(res, PGQ_COMPLETED_SINCE, &o->null_completed_since);
  o->last_done_age = col(res, PGQ_LAST_DONE_AGE, &o->null_last_done_age);
  o->live = col(res, PGQ_LIVE, &o->null_live);
  o->max_id = col(res, PGQ_MAX_ID, NULL);
  o->poison = col(res, PGQ_POISON, NULL);
  if(null_old)
    o->oldest_age = 0;
}

/* Runs a query; 0 with *res holding one row of ncols, or -1 with err. */
static int query(session *g, const char *sql, int nparams, const Oid *types,
                 const char *const *params, int ncols, PGresult **res,
                 char *err, size_t n)
{
  *res = sym_PQexecParams(g->conn, sql, nparams, types, params, NULL, NULL, 0);
  if(sym_PQresultStatus(*res) == PGRES_TUPLES_OK && sym_PQntuples(*res) == 1 &&
     sym_PQnfields(*res) == ncols)
    return 0;
  ppg_error(g->conn, *res, err, n);
  return -1;
}

/* The DB time, then the preset's row: the window's start is the previous
 * run's DB time when that is inside the window. */
static int query_row(const pgq_settings *s, session *g, const qstate *st,
                     pgq_obs *o, char *err, size_t n)
{
  char winbuf[32], prevbuf[32], qerr[400];
  PGresult *res = NULL;
  snprintf(winbuf, sizeof(winbuf), "%.3f", s->lim.window);
  snprintf(prevbuf, sizeof(prevbuf), "%.6f", st->t);
  g->q.params[0] = winbuf;
  g->q.params[1] = NULL;
  Oid types[8] = {PG_OID_FLOAT8, PG_OID_FLOAT8, PG_OID_TEXT, PG_OID_TEXT,
                  PG_OID_TEXT,   PG_OID_TEXT,   PG_OID_TEXT, PG_OID_TEXT};
  if(strcmp(s->preset, "pgmq") == 0)
    types[2] = PG_OID_INT8;
  if(strcmp(s->preset, "generic") == 0)
    types[2] = types[3] = types[4] = types[5] = PG_OID_TEXT_ARRAY;
  if(query(g, "SELECT extract(epoch from now())::float8", 0, NULL, NULL, 1,
           &res, err, n) < 0)
    goto fail;
  double dbnow = strtod(sym_PQgetvalue(res, 0, 0), NULL);
  sym_PQclear(res);
  if(st->have && st->t <= dbnow && st->t > dbnow - s->lim.window)
    g->q.params[1] = prevbuf;
  if(query(g, g->q.sql, g->q.nparams, types, g->q.params, PGQ_NCOLS, &res, qerr,
           sizeof(qerr)) < 0) {
    snprintf(err, n, "query on %s failed: %s",
             g->q.relation ? g->q.relation : "?", qerr);
    goto fail;
  }
  row_to_obs(res, o);
  o->have_prev = g->q.params[1] != NULL;
  o->derived_completions = g->q.derived_completions;
  o->derived_failures = g->q.derived_failures;
  g->q.params[0] = g->q.params[1] = NULL; /* the buffers end here */
  sym_PQclear(res);
  return 0;
fail:
  g->q.params[0] = g->q.params[1] = NULL;
  if(res) /* NULL, and so is sym_PQclear, when libpq could not be opened */
    sym_PQclear(res);
  return -1;
}

/* The first problem the run stops at, as the line says it. */
static int report_problem(probe_ctx *ctx, const probe_host *host,
                          const pgq_settings *s, const char *target)
{
  for(size_t i = 0; i < s->nbad; i++) {
    if(!(s->bad[i].where & FOR_RUN))
      continue;
    if(strcmp(s->bad[i].key, "preset") == 0)
      return pkit_line(ctx, host, CHECK, target, PROBE_UNKNOWN, "%s",
                       s->bad[i].why);
    return pkit_line(ctx, host, CHECK, target, PROBE_UNKNOWN, "setting '%s' %s",
                     s->bad[i].key, s->bad[i].why);
  }
  return 1;
}

/* read settings -> gather (session, state, row) -> judge -> emit. */
static int pgq_run(probe_ctx *ctx, const probe_host *host)
{
  char err[512];
  pkit k;
  pgq_settings s;
  session g = {0};
  qstate st = {0};
  pgq_obs o = {0};
  pgq_verdict v;
  int rc;

  pkit_init(&k, ctx, host, settings);
  read_settings(&k, &s);
  g.redacted = redact_target(s.conninfo ? s.conninfo : "");
  name_target(&s, &g);
  if((rc = report_problem(ctx, host, &s, g.target)) <= 0)
    goto out;
  if(open_session(ctx, host, &s, &g, err, sizeof(err)) < 0)
    goto unknown;
  name_queue(&s, &g);
  g.sdir = host->state_dir ? host->state_dir(ctx) : NULL;
  state_load(g.sdir, g.statename, &st);
  if(query_row(&s, &g, &st, &o, err, sizeof(err)) < 0)
    goto unknown;
  pgq_judge(&s.lim, &o, &st, &v);
  state_save(ctx, host, g.sdir, g.statename, &st,
             g.q.derived_completions || g.q.derived_failures);
  pgq_shown w = {g.target, s.preset, g.rel, g.q.note};
  rc = pgq_emit(ctx, host, &w, &s.lim, &o, &st, &v);
  goto out;
unknown:
  rc = pkit_line(ctx, host, CHECK, g.target, PROBE_UNKNOWN, "%s", err);
out:
  session_free(&g);
  free(st.hist);
  settings_free(&s);
  pkit_free(&k);
  return rc;
}

/* Checks the settings' meaning without connecting (--check-config). */
static int pgq_check_config(probe_ctx *ctx, const probe_host *host)
{
  pkit k;
  pgq_settings s;
  int bad = 0;
  pkit_init(&k, ctx, host, settings);
  read_settings(&k, &s);
  for(size_t i = 0; i < s.nbad; i++)
    if(s.bad[i].where & FOR_CHECK) {
      host->config_error(ctx, s.bad[i].key, "%s", s.bad[i].why);
      bad = 1;
    }
  settings_free(&s);
  pkit_free(&k);
  return bad;
}

/* PostgreSQL, over TCP or its unix socket. */
PROBE_PLUGIN_EXPORT const probe_sandbox
    probe_plugin_sandbox = {PROBE_SANDBOX_VERSION, PROBE_NEEDS_NETWORK};

PROBE_PLUGIN_EXPORT const probe_plugin probe_plugin_entry = {
    PROBE_PLUGIN_ABI,
    "pgqueue",
    PACKAGE_VERSION,
    "job queues in PostgreSQL: depth, failures, stalls (generic and 8 queue libraries)",
    settings,
    NULL,
    pgq_run,
    NULL,
    pgq_check_config};
