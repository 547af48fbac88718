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
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "probe-plugin.h"
#include "lib/redact.h"
#include "plugins/common/ppg.h"
#include "plugins/common/pstate.h"
#include "plugins/pgqueue/presets.h"

#define CHECK "pgqueue.health"
#define STATE_MAX (256 * 1024)
#define HIST_MAX 2000

static const probe_setting settings[] = {
    {"conninfo", PROBE_SET_STRING, NULL, PROBE_SETTING_REQUIRED | PROBE_SETTING_SECRET,
     "libpq conninfo or postgresql:// URI of the queue's database"},
    {"password_file", PROBE_SET_STRING, NULL, PROBE_SETTING_FILE,
     "file holding the database password"},
    {"preset", PROBE_SET_STRING, "\"generic\"", 0,
     "generic, pgmq, pg-boss, graphile-worker, river, oban, que, solid-queue, procrastinate"},
    {"schema", PROBE_SET_STRING, NULL, 0, "schema of the queue tables (default: the library's)"},
    {"table", PROBE_SET_STRING, NULL, 0, "generic: the queue table ([schema.]name)"},
    {"queue", PROBE_SET_STRING, NULL, 0, "pgmq: the queue name; others: only this queue"},
    {"status_column", PROBE_SET_STRING, "\"status\"", 0, "generic: the status column"},
    {"pending_values", PROBE_SET_LIST, "[\"pending\",\"queued\",\"ready\",\"available\"]", 0,
     "generic: statuses of jobs waiting for a worker"},
    {"running_values", PROBE_SET_LIST, "[\"running\",\"processing\",\"in_progress\",\"active\"]", 0,
     "generic: statuses of jobs being worked"},
    {"failed_values", PROBE_SET_LIST, "[\"failed\",\"dead\",\"error\"]", 0,
     "generic: statuses of jobs that failed for good"},
    {"done_values", PROBE_SET_LIST, "[\"done\",\"completed\",\"succeeded\"]", 0,
     "generic: statuses of completed jobs"},
    {"created_column", PROBE_SET_STRING, "\"created_at\"", 0, "generic: when a job was enqueued"},
    {"updated_column", PROBE_SET_STRING, "\"updated_at\"", 0,
     "generic: when a job's status last changed"},
    {"run_at_column", PROBE_SET_STRING, NULL, 0, "generic: when a job becomes due (optional)"},
    {"window", PROBE_SET_DURATION, "\"15m\"", 0, "window for failed/completed counts"},
    {"failed_warning", PROBE_SET_INT, "3", 0, "warning at this many failures in the window"},
    {"failed_critical", PROBE_SET_INT, "10", 0, "critical at this many failures in the window"},
    {"depth_warning", PROBE_SET_INT, "100", 0, "warning when depth stays above this ..."},
    {"depth_for", PROBE_SET_DURATION, "\"10m\"", 0, "... for this long"},
    {"stall_after", PROBE_SET_DURATION, "\"10m\"", 0,
     "critical when work waits this long and nothing completed in this long"},
    {"poison_reads", PROBE_SET_INT, "5", 0, "pgmq: a message read this often is poison (failed)"},
    {NULL, 0, NULL, 0, NULL}};

/* What the plugin remembers between runs for one queue. */
typedef struct qstate {
  int have;          /* a previous run was recorded */
  double t;          /* its DB time */
  double first;      /* first observation */
  double depth_high; /* since when depth > depth_warning (0: not) */
  double last_done;  /* newest run that saw a completion (0: none) */
  int have_counts;
  double live, max_id, poison;
  double (*hist)[5]; /* [t, completions, failures seen by timestamp since the
                        previous run, completions, failures derived] */
  size_t nhist;
} qstate;

/* Formats seconds as "42s", "15m", "1h5m", "2d3h". */
static void human(double s, char *buf, size_t n)
{
  long v = s < 0 ? 0 : (long)(s + 0.5);
  if(v < 120)
    snprintf(buf, n, "%lds", v);
  else if(v < 7200)
    snprintf(buf, n, "%ldm", v / 60);
  else if(v < 172800)
    snprintf(buf, n, "%ldh%ldm", v / 3600, (v % 3600) / 60);
  else
    snprintf(buf, n, "%ldd%ldh", v / 86400, (v % 86400) / 3600);
}

/* 64-bit FNV-1a, names the state file of a queue. */
static uint64_t fnv(const char *s, uint64_t h)
{
  for(; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ull;
  }
  return h;
}

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
  cJSON_ArrayForEach(e, a)
  {
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
  char *buf = NULL;
  size_t len = 0;
  if(!dir || pstate_read(dir, name, STATE_MAX, &buf, &len) != 0)
    return;
  cJSON *j = cJSON_Parse(buf);
  free(buf);
  if(!cJSON_IsObject(j))
    goto out;
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "t");
  if(!cJSON_IsNumber(t))
    goto out;
  st->have = 1;
  st->t = t->valuedouble;
#define NUM(field, key)                                                    \
  do {                                                                     \
    const cJSON *v_ = cJSON_GetObjectItemCaseSensitive(j, key);            \
    if(cJSON_IsNumber(v_))                                                 \
      st->field = v_->valuedouble;                                         \
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
  if(n > HIST_MAX)
    n = HIST_MAX;
  if(n > 0 && (st->hist = calloc((size_t)n, sizeof(*st->hist)))) {
    const cJSON *e;
    cJSON_ArrayForEach(e, h)
    {
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

/* Reads a one-line secret file into buf (trailing newline removed). */
static int read_secret_file(const char *path, char *buf, size_t n)
{
  FILE *f = fopen(path, "re");
  if(!f)
    return -1;
  size_t r = fread(buf, 1, n - 1, f);
  int bad = ferror(f) || (r == n - 1 && fgetc(f) != EOF);
  fclose(f);
  if(bad)
    return -1;
  buf[r] = '\0';
  while(r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == '\r'))
    buf[--r] = '\0';
  return 0;
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

/* Reports an unknown line and returns 0 (the run did report). */
static int unknown(probe_ctx *ctx, const probe_host *host, const char *target, const char *msg)
{
  probe_result *res = host->result_begin(ctx, CHECK, target);
  if(!res)
    return -1;
  host->result_status(res, PROBE_UNKNOWN, "%s", msg);
  return host->result_emit(res) == 0 ? 0 : -1;
}

/* Optional string setting; NULL when unset or empty. */
static const char *opt(probe_ctx *ctx, const probe_host *host, const char *key)
{
  const char *v = NULL;
  if(host->conf_string(ctx, key, &v) != 0 || !v || !*v)
    return NULL;
  return v;
}

static int pgq_run(probe_ctx *ctx, const probe_host *host)
{
  char err[512], target[1024], statename[64];
  const char *conninfo = opt(ctx, host, "conninfo");
  const char *preset = opt(ctx, host, "preset");
  char *redacted = NULL, *pend = NULL, *runv = NULL, *failv = NULL, *donev = NULL;
  PGconn *conn = NULL;
  PGresult *res = NULL;
  pgq_query q = {0};
  qstate st = {0};
  int rc = 0;

  if(!preset)
    preset = "generic";
  redacted = redact_target(conninfo ? conninfo : "");
  pgq_conf c = {0};
  c.schema = opt(ctx, host, "schema");
  c.table = opt(ctx, host, "table");
  c.queue = opt(ctx, host, "queue");
  c.status_column = opt(ctx, host, "status_column");
  c.created_column = opt(ctx, host, "created_column");
  c.updated_column = opt(ctx, host, "updated_column");
  c.run_at_column = opt(ctx, host, "run_at_column");
  snprintf(target, sizeof(target), "%s (%s%s%s)", redacted ? redacted : "?", preset,
           c.table || c.queue ? " " : "", c.table ? c.table : c.queue ? c.queue : "");
  if(!conninfo) {
    rc = unknown(ctx, host, target, "setting 'conninfo' is missing");
    goto out;
  }
  if(!pgq_preset_known(preset)) {
    snprintf(err, sizeof(err), "unknown preset '%s' (generic, pgmq, pg-boss, graphile-worker, "
             "river, oban, que, solid-queue, procrastinate)", preset);
    rc = unknown(ctx, host, target, err);
    goto out;
  }
  if(!c.status_column)
    c.status_column = "status";
  if(!c.created_column)
    c.created_column = "created_at";
  if(!c.updated_column)
    c.updated_column = "updated_at";
  const char *js;
  struct {
    const char *key, *def;
    char **out;
  } lists[] = {{"pending_values", "[\"pending\"]", &pend},
               {"running_values", "[\"running\"]", &runv},
               {"failed_values", "[\"failed\"]", &failv},
               {"done_values", "[\"done\"]", &donev}};
  for(size_t i = 0; i < 4; i++) {
    js = NULL;
    if(host->conf_json(ctx, lists[i].key, &js) != 0 || !js)
      js = lists[i].def;
    if(!(*lists[i].out = list_to_pgarray(js))) {
      snprintf(err, sizeof(err), "setting '%s' must be a list of strings", lists[i].key);
      rc = unknown(ctx, host, target, err);
      goto out;
    }
  }
  c.pending_values = pend;
  c.running_values = runv;
  c.failed_values = failv;
  c.done_values = donev;
  long long fwarn = 3, fcrit = 10, dwarn = 100, poison = 5;
  double window = 900, depth_for = 600, stall_after = 600;
  host->conf_int(ctx, "failed_warning", &fwarn);
  host->conf_int(ctx, "failed_critical", &fcrit);
  host->conf_int(ctx, "depth_warning", &dwarn);
  host->conf_int(ctx, "poison_reads", &poison);
  host->conf_duration(ctx, "window", &window);
  host->conf_duration(ctx, "depth_for", &depth_for);
  host->conf_duration(ctx, "stall_after", &stall_after);
  if(window <= 0)
    window = 900;
  c.poison_reads = poison > 0 ? poison : 5;

  const char *pwfile = opt(ctx, host, "password_file");
  if(pwfile) {
    char pw[1024];
    if(read_secret_file(pwfile, pw, sizeof(pw)) < 0) {
      snprintf(err, sizeof(err), "cannot read password_file %s: %s", pwfile,
               errno ? strerror(errno) : "too long");
      rc = unknown(ctx, host, target, err);
      goto out;
    }
    /* this child process is the plugin's own: libpq picks it up */
    setenv("PGPASSWORD", pw, 1);
    explicit_bzero(pw, sizeof(pw));
  }

  double tl = host->time_left ? host->time_left(ctx) : 10;
  double timeout = tl - 1 > 30 ? 30 : tl - 1;
  if(timeout < 1)
    timeout = 1;
  conn = ppg_connect(conninfo, timeout, err, sizeof(err));
  if(!conn) {
    rc = unknown(ctx, host, target, err);
    goto out;
  }
  if(pgq_build(conn, preset, &c, &q, err, sizeof(err)) < 0) {
    rc = unknown(ctx, host, target, err);
    goto out;
  }
  /* the relation as people write it, for the target and details */
  char rel[256];
  size_t rl = 0;
  for(const char *p = q.relation ? q.relation : ""; *p && rl + 1 < sizeof(rel); p++)
    if(*p != '"')
      rel[rl++] = *p;
  rel[rl] = '\0';
  if(!c.table && !c.queue)
    snprintf(target, sizeof(target), "%s (%s %s)", redacted, preset, rel);

  uint64_t h = fnv(preset, 1469598103934665603ull);
  h = fnv("|", h);
  h = fnv(redacted, h);
  h = fnv("|", h);
  h = fnv(q.relation ? q.relation : "", h);
  h = fnv("|", h);
  h = fnv(c.queue ? c.queue : "", h);
  snprintf(statename, sizeof(statename), "queue-%016llx.json", (unsigned long long)h);
  const char *sdir = host->state_dir ? host->state_dir(ctx) : NULL;
  state_load(sdir, statename, &st);

  char winbuf[32], prevbuf[32];
  snprintf(winbuf, sizeof(winbuf), "%.3f", window);
  snprintf(prevbuf, sizeof(prevbuf), "%.6f", st.t);
  q.params[0] = winbuf;
  /* a previous run older than the window adds nothing the window has not */
  q.params[1] = NULL;
  Oid types[8] = {701, 701, 25, 25, 25, 25, 25, 25};
  if(strcmp(preset, "pgmq") == 0)
    types[2] = 20;
  if(strcmp(preset, "generic") == 0)
    types[2] = types[3] = types[4] = types[5] = 1009; /* text[] */
  /* first pass learns the DB time; the window start is then decided */
  res = sym_PQexecParams(conn, "SELECT extract(epoch from now())::float8", 0, NULL, NULL,
                         NULL, NULL, 0);
  if(sym_PQresultStatus(res) != PGRES_TUPLES_OK) {
    ppg_error(conn, res, err, sizeof(err));
    rc = unknown(ctx, host, target, err);
    goto out;
  }
  double dbnow = strtod(sym_PQgetvalue(res, 0, 0), NULL);
  sym_PQclear(res);
  if(st.have && st.t <= dbnow && st.t > dbnow - window)
    q.params[1] = prevbuf;
  res = sym_PQexecParams(conn, q.sql, q.nparams, types, q.params, NULL, NULL, 0);
  if(sym_PQresultStatus(res) != PGRES_TUPLES_OK || sym_PQntuples(res) != 1 ||
     sym_PQnfields(res) != PGQ_NCOLS) {
    char qerr[400];
    ppg_error(conn, res, qerr, sizeof(qerr));
    snprintf(err, sizeof(err), "query on %s failed: %s", q.relation ? q.relation : "?", qerr);
    rc = unknown(ctx, host, target, err);
    goto out;
  }

  int n_fw, n_cw, n_fs, n_cs, n_last, n_live, n_old;
  double now = col(res, PGQ_NOW, NULL);
  double depth = col(res, PGQ_DEPTH, NULL);
  double inflight = col(res, PGQ_IN_FLIGHT, NULL);
  double sched = col(res, PGQ_SCHEDULED, NULL);
  double oldest = col(res, PGQ_OLDEST_AGE, &n_old);
  double fw = col(res, PGQ_FAILED_WIN, &n_fw);
  double cw = col(res, PGQ_COMPLETED_WIN, &n_cw);
  double fs = col(res, PGQ_FAILED_SINCE, &n_fs);
  double cs = col(res, PGQ_COMPLETED_SINCE, &n_cs);
  double last_age = col(res, PGQ_LAST_DONE_AGE, &n_last);
  double live = col(res, PGQ_LIVE, &n_live);
  double maxid = col(res, PGQ_MAX_ID, NULL);
  double pois = col(res, PGQ_POISON, NULL);
  if(n_old)
    oldest = 0;

  /* what this run saw since the previous one */
  /* (on a first run $2 is NULL and the "since" counts span the whole
     window, which the timestamp window already counts: not history) */
  int have_prev = q.params[1] != NULL;
  double c_delta = n_cs || !have_prev ? 0 : cs, f_delta = n_fs || !have_prev ? 0 : fs;
  double c_der = 0, f_der = 0;
  int derived_ready = 0;
  if(q.derived_completions && !n_live) {
    if(st.have && st.have_counts && maxid >= st.max_id) {
      double gone = st.live + (maxid - st.max_id) - live;
      c_der = gone > 0 ? gone : 0;
      derived_ready = 1;
    }
  }
  if(q.derived_failures && st.have && st.have_counts && pois > st.poison)
    f_der = pois - st.poison;

  /* history: keep one window, add this run */
  size_t keep = 0;
  double hc = 0, hf = 0, hcd = 0, hfd = 0;
  for(size_t i = 0; i < st.nhist; i++)
    if(st.hist[i][0] > now - window && st.hist[i][0] <= now)
      memmove(st.hist[keep++], st.hist[i], sizeof(st.hist[i]));
  st.nhist = keep;
  if(st.nhist >= HIST_MAX) {
    memmove(st.hist, st.hist + 1, (st.nhist - 1) * sizeof(*st.hist));
    st.nhist--;
  }
  double(*nh)[5] = realloc(st.hist, (st.nhist + 1) * sizeof(*st.hist));
  if(nh) {
    st.hist = nh;
    st.hist[st.nhist][0] = now;
    st.hist[st.nhist][1] = c_delta;
    st.hist[st.nhist][2] = f_delta;
    st.hist[st.nhist][3] = c_der;
    st.hist[st.nhist][4] = f_der;
    st.nhist++;
  }
  for(size_t i = 0; i < st.nhist; i++) {
    hc += st.hist[i][1];
    hf += st.hist[i][2];
    hcd += st.hist[i][3];
    hfd += st.hist[i][4];
  }
  /* timestamped events: the table's window, or what runs saw if the
     library pruned some; derived ones (rows gone, poison growth) add up */
  double completed = (n_cw ? hc : (cw > hc ? cw : hc)) + hcd;
  double failed = (n_fw ? hf : (fw > hf ? fw : hf)) + hfd;
  if(c_delta > 0 || c_der > 0)
    st.last_done = now;
  if(!st.have || st.first <= 0)
    st.first = now;

  /* stall: work due for stall_after and no completion known in stall_after */
  int recent = 0, decided = 1;
  if(!n_last && last_age <= stall_after)
    recent = 1;
  if(st.last_done > 0 && now - st.last_done <= stall_after)
    recent = 1;
  if(n_cw && !recent && now - st.first < stall_after && depth > 0 && oldest >= stall_after)
    decided = 0; /* completions only observed: not watched long enough */
  int stalled = depth > 0 && oldest >= stall_after && !recent && decided;

  /* depth high for depth_for */
  if(depth > (double)dwarn)
    st.depth_high = st.have && st.depth_high > 0 ? st.depth_high : now;
  else
    st.depth_high = 0;
  int depth_warn = st.depth_high > 0 && now - st.depth_high >= depth_for;

  st.t = now;
  st.live = live;
  st.max_id = maxid;
  st.poison = pois;
  state_save(ctx, host, sdir, statename, &st, q.derived_completions || q.derived_failures);

  char wb[32], ob[32], sb[32], db[32];
  human(window, wb, sizeof(wb));
  human(oldest, ob, sizeof(ob));
  human(stall_after, sb, sizeof(sb));
  human(depth_for, db, sizeof(db));
  probe_result *r = host->result_begin(ctx, CHECK, target);
  if(!r) {
    rc = -1;
    goto out;
  }
  if(stalled)
    host->result_status(r, PROBE_CRITICAL,
                        "queue stalled: %.0f jobs waiting, oldest for %s, nothing completed in %s "
                        "(stall_after=%s)",
                        depth, ob, sb, sb);
  else if(failed >= (double)fcrit)
    host->result_status(r, PROBE_CRITICAL, "%.0f jobs failed in the last %s (failed_critical=%lld)",
                        failed, wb, fcrit);
  else if(failed >= (double)fwarn)
    host->result_status(r, PROBE_WARNING, "%.0f jobs failed in the last %s (failed_warning=%lld)",
                        failed, wb, fwarn);
  else if(depth_warn)
    host->result_status(r, PROBE_WARNING, "depth %.0f above %lld for %s or more (depth_warning=%lld, "
                        "depth_for=%s)", depth, dwarn, db, dwarn, db);
  else
    host->result_status(r, PROBE_OK,
                        "%.0f waiting, %.0f in flight, %.0f completed and %.0f failed in the last %s",
                        depth, inflight, completed, failed, wb);
  host->result_metric(r, "depth", depth);
  host->result_metric(r, "in_flight", inflight);
  host->result_metric(r, "failed_window", failed);
  if(PROBE_HOST_HAS_THRESHOLD(host)) {
    /* counts: ">= N" is "above N - 1" */
    host->result_threshold(r, "depth", (double)dwarn, NAN);
    host->result_threshold(r, "failed_window", (double)fwarn - 1, (double)fcrit - 1);
  }
  host->result_metric(r, "completed_window", completed);
  host->result_metric(r, "oldest_pending_age_seconds", oldest);
  host->result_metric(r, "scheduled", sched);
  host->result_metric(r, "window_seconds", window);
  if(strcmp(preset, "pgmq") == 0)
    host->result_metric(r, "poison", pois);
  host->result_detail_string(r, "preset", preset);
  host->result_detail_string(r, "relation", rel);
  host->result_detail_string(r, "counting", q.note);
  host->result_detail_bool(r, "stalled", stalled);
  if(!decided)
    host->result_detail_string(r, "stall", "undecided: completions are observed between runs "
                                           "and the queue has not been watched for stall_after yet");
  if(q.derived_completions && !derived_ready)
    host->result_detail_string(r, "completions",
                               "first run: completions are counted from the next run on");
  if(st.depth_high > 0)
    host->result_detail_number(r, "depth_high_seconds", now - st.depth_high);
  if(!n_last)
    host->result_detail_number(r, "last_completion_age_seconds", last_age);
  rc = host->result_emit(r) == 0 ? 0 : -1;

out:
  if(res) /* NULL, and so is sym_PQclear, when libpq could not be opened */
    sym_PQclear(res);
  if(conn)
    sym_PQfinish(conn);
  pgq_query_free(&q);
  free(st.hist);
  free(redacted);
  free(pend), free(runv), free(failv), free(donev);
  return rc;
}

/* Checks the settings' meaning without connecting (--check-config). */
static int pgq_check_config(probe_ctx *ctx, const probe_host *host)
{
  int bad = 0;
  const char *preset = opt(ctx, host, "preset");
  if(!preset)
    preset = "generic";
  if(!pgq_preset_known(preset)) {
    host->config_error(ctx, "preset",
                       "unknown preset '%s' (generic, pgmq, pg-boss, graphile-worker, river, "
                       "oban, que, solid-queue, procrastinate)", preset);
    bad = 1;
  }
  if(strcmp(preset, "generic") == 0 && !opt(ctx, host, "table")) {
    host->config_error(ctx, "table", "preset generic needs the queue table");
    bad = 1;
  }
  if(strcmp(preset, "pgmq") == 0 && !opt(ctx, host, "queue")) {
    host->config_error(ctx, "queue", "preset pgmq needs the pgmq queue name");
    bad = 1;
  }
  const char *keys[] = {"pending_values", "running_values", "failed_values", "done_values"};
  for(size_t i = 0; i < 4; i++) {
    const char *js = NULL;
    if(host->conf_json(ctx, keys[i], &js) == 0 && js) {
      char *a = list_to_pgarray(js);
      if(!a) {
        host->config_error(ctx, keys[i], "must be a list of strings");
        bad = 1;
      }
      free(a);
    }
  }
  const char *ci = opt(ctx, host, "conninfo");
  if(ci && !ppg_looks_like_conninfo(ci)) {
    host->config_error(ctx, "conninfo", "is not a libpq conninfo or postgresql:// URI");
    bad = 1;
  }
  return bad;
}

/* PostgreSQL, over TCP or its unix socket. */
PROBE_PLUGIN_EXPORT const probe_sandbox probe_plugin_sandbox = {
  PROBE_SANDBOX_VERSION, PROBE_NEEDS_NETWORK
};

PROBE_PLUGIN_EXPORT const probe_plugin probe_plugin_entry = {
    PROBE_PLUGIN_ABI, "pgqueue", PACKAGE_VERSION,
    "job queues in PostgreSQL: depth, failures, stalls (generic and 8 queue libraries)",
    settings, NULL, pgq_run, NULL, pgq_check_config};
