/*
 * ledger.c: the ledger plugin, check `ledger.chain`.
 *
 * Verifies the iTrans ledger (format v1, probe-agent-ledger(7)) from a
 * snapshot file or a PostgreSQL table with the lverify engine, and turns
 * what it finds into one result line. Between runs it keeps a checkpoint
 * (last verified seq, hash, byte offset, line) in its state directory,
 * written atomically, so a daemon run verifies only what was appended:
 *   - incremental run: resume at the checkpoint's event, which must still
 *     be there with the same hash; verify what follows;
 *   - full run: every `full_every`, when there is no usable checkpoint, and
 *     when the checkpoint no longer matches the source. A full run holds
 *     the ledger to the checkpoint: a ledger that now ends before it, or
 *     whose event at the checkpoint's seq has another hash, is critical
 *     with reason `rollback` (delete the state file to accept a rebuilt
 *     ledger).
 * Optional: max_idle (critical when the newest event is older), and
 * service_verify_url (the service's own GET /ledger/verify; critical when
 * the service calls the ledger intact and the probe does not).
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins/common/lsrc.h"
#include "plugins/common/pledger_settings.h"
#include "plugins/common/phttp.h"
#include "plugins/common/ppg.h"
#include "plugins/common/psandbox.h"
#include "plugins/common/pstate.h"
#include "plugins/common/putil.h"
#include "plugins/ledger/lcompare.h"
#include "plugins/ledger/lplan.h"
#include "plugins/ledger/lverify.h"
#include "plugins/ledger/lxmin.h"
#include "probe-plugin.h"

#define STATE_FILE "checkpoint.json"

static const probe_setting ledger_settings[] = {
  PLEDGER_SOURCE_SETTINGS,
  {"password_file", PROBE_SET_STRING, NULL,
   PROBE_SETTING_FILE | PROBE_SETTING_SECRET,
   "PostgreSQL: file holding the password (instead of one in source)"},
  {"incremental", PROBE_SET_BOOL, "true", 0,
   "verify only what was appended since the last run's checkpoint"},
  {"full_every", PROBE_SET_DURATION, "86400", 0,
   "re-verify the whole ledger at least this often"},
  {"full_budget", PROBE_SET_DURATION, NULL, 0,
   "time a full pass may take on every run (default: 10% of the interval); "
   "a ledger whose last full pass took longer runs incrementally between "
   "full passes spaced to stay within it on average (0: only full_every)"},
  {"max_idle", PROBE_SET_DURATION, "0", 0,
   "critical when the newest event is older than this (0: off)"},
  {"service_verify_url", PROBE_SET_STRING, NULL, 0,
   "the service's own GET /ledger/verify, compared with the probe's verdict"},
  {"threads", PROBE_SET_INT, "0", 0,
   "worker threads for hashing (0: one per CPU)"},
  PLEDGER_MAX_LINE_SETTING,
  {"compare_with", PROBE_SET_STRING, NULL, 0,
   "a second copy (backup snapshot, restored instance's conninfo): verified, "
   "and a prefix of source or source of it (check ledger.compare); read in "
   "step with a full pass over source"},
  {"compare_table", PROBE_SET_STRING, "\"ledger_events\"", 0,
   "compare_with on PostgreSQL: its table"},
  {"compare_column", PROBE_SET_STRING, "\"event\"", 0,
   "compare_with on PostgreSQL: its json/jsonb column"},
  {"max_lag_events", PROBE_SET_INT, "100", 0,
   "ledger.compare: warning when one copy is more than this many events behind"},
  {NULL, 0, NULL, 0, NULL}};

/* The state kept between runs. */
typedef struct lstate {
  int valid;
  char source[512];
  lv_checkpoint cp;
  double last_full, last_run;
  double full_seconds; /* how long the last full pass took */
  int64_t prev_head;   /* the ledger's real head seq at the last run */
  int stale;           /* a stored time lies in the future */
  uint64_t pg_xmin8;   /* table: snapshot xmin (xid8) when the last run began */
} lstate;

/* Loads the state; valid=0 when absent or unusable. Returns -1 with why
 * filled when a checkpoint is there but was refused or unreadable (a link,
 * another user's file, one writable by others, not JSON). */
static int state_load(const probe_host *h, probe_ctx *ctx, lstate *st,
                      char *why, size_t whylen)
{
  const char *dir = h->state_dir(ctx);
  char *text = NULL;
  size_t len = 0;
  cJSON *j, *x;
  int rc;
  memset(st, 0, sizeof(*st));
  if(!dir)
    return 0;
  rc = pstate_read(dir, STATE_FILE, 65536, &text, &len);
  if(rc < 0) {
    snprintf(why, whylen, "%s/%s refused: %s", dir, STATE_FILE,
             errno == ELOOP ? "a symbolic link"
             : errno == EPERM ? "not a regular file of this user, or "
                                "writable by others"
                              : strerror(errno));
    return -1;
  }
  if(rc > 0)
    return 0;
  j = cJSON_ParseWithLength(text, len);
  free(text);
  if(!j) {
    snprintf(why, whylen, "%s/%s is not JSON", dir, STATE_FILE);
    return -1;
  }
  x = cJSON_GetObjectItem(j, "source");
  if(cJSON_IsString(x))
    snprintf(st->source, sizeof(st->source), "%s", x->valuestring);
  x = cJSON_GetObjectItem(j, "seq");
  if(cJSON_IsNumber(x))
    st->cp.seq = (int64_t)x->valuedouble;
  x = cJSON_GetObjectItem(j, "hash");
  if(cJSON_IsString(x) && strlen(x->valuestring) == 64)
    memcpy(st->cp.hash, x->valuestring, 65);
  x = cJSON_GetObjectItem(j, "offset");
  if(cJSON_IsNumber(x))
    st->cp.offset = (uint64_t)x->valuedouble;
  x = cJSON_GetObjectItem(j, "line");
  if(cJSON_IsNumber(x))
    st->cp.line = (uint64_t)x->valuedouble;
  x = cJSON_GetObjectItem(j, "last_full");
  if(cJSON_IsNumber(x))
    st->last_full = x->valuedouble;
  x = cJSON_GetObjectItem(j, "last_run");
  if(cJSON_IsNumber(x))
    st->last_run = x->valuedouble;
  x = cJSON_GetObjectItem(j, "head_seq");
  if(cJSON_IsNumber(x))
    st->prev_head = (int64_t)x->valuedouble;
  x = cJSON_GetObjectItem(j, "pg_xmin");
  if(cJSON_IsString(x))
    st->pg_xmin8 = strtoull(x->valuestring, NULL, 10);
  x = cJSON_GetObjectItem(j, "full_seconds");
  if(cJSON_IsNumber(x) && x->valuedouble >= 0)
    st->full_seconds = x->valuedouble;
  st->valid = st->cp.seq > 0 && st->cp.hash[0] && st->source[0];
  cJSON_Delete(j);
  return 0;
}

/* Writes the state atomically. Returns 0, 1 when there is no state
 * directory (the host has said why), or -1 with why filled. */
static int state_save(const probe_host *h, probe_ctx *ctx, const lstate *st,
                      char *why, size_t whylen)
{
  const char *dir = h->state_dir(ctx);
  cJSON *j;
  char *text;
  int rc;
  if(!dir)
    return 1;
  j = cJSON_CreateObject();
  if(!j) {
    snprintf(why, whylen, "out of memory");
    return -1;
  }
  cJSON_AddNumberToObject(j, "version", 1);
  cJSON_AddStringToObject(j, "source", st->source);
  cJSON_AddNumberToObject(j, "seq", (double)st->cp.seq);
  cJSON_AddStringToObject(j, "hash", st->cp.hash);
  cJSON_AddNumberToObject(j, "offset", (double)st->cp.offset);
  cJSON_AddNumberToObject(j, "line", (double)st->cp.line);
  cJSON_AddNumberToObject(j, "head_seq", (double)st->prev_head);
  cJSON_AddNumberToObject(j, "last_full", st->last_full);
  cJSON_AddNumberToObject(j, "last_run", st->last_run);
  cJSON_AddNumberToObject(j, "full_seconds", st->full_seconds);
  if(st->pg_xmin8) {
    char xb[24];
    snprintf(xb, sizeof(xb), "%" PRIu64, st->pg_xmin8);
    cJSON_AddStringToObject(j, "pg_xmin", xb);
  }
  text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  if(!text) {
    snprintf(why, whylen, "out of memory");
    return -1;
  }
  rc = pstate_write(dir, STATE_FILE, text, strlen(text));
  if(rc != 0)
    snprintf(why, whylen, "cannot write %s/%s: %s", dir, STATE_FILE,
             strerror(errno));
  free(text);
  return rc;
}

/* Seconds since the epoch of an RFC 3339 UTC time, or -1. */
static double parse_ts(const char *s)
{
  struct tm tm;
  int y, mo, d, hh, mi, n = 0;
  double sec;
  memset(&tm, 0, sizeof(tm));
  if(sscanf(s, "%4d-%2d-%2dT%2d:%2d:%lf%n", &y, &mo, &d, &hh, &mi, &sec, &n) !=
         6 ||
     (s[n] != 'Z' && strcmp(s + n, "+00:00") != 0))
    return -1;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = hh;
  tm.tm_min = mi;
  tm.tm_sec = 0;
  return (double)timegm(&tm) + sec;
}

/* The service's verdict in a /ledger/verify body: 1 intact, 0 broken, -1
 * unknown. Accepts {"intact"|"valid"|"ok": bool} or {"status": "..."}. */
static int service_verdict(const char *body)
{
  static const char *const keys[] = {"intact", "valid", "ok", "verified"};
  cJSON *j = cJSON_Parse(body), *x;
  int v = -1;
  size_t i;
  if(!j)
    return -1;
  for(i = 0; i < sizeof(keys) / sizeof(keys[0]) && v < 0; i++) {
    x = cJSON_GetObjectItem(j, keys[i]);
    if(cJSON_IsBool(x))
      v = cJSON_IsTrue(x) ? 1 : 0;
  }
  x = cJSON_GetObjectItem(j, "status");
  if(v < 0 && cJSON_IsString(x)) {
    const char *s = x->valuestring;
    if(!strcmp(s, "ok") || !strcmp(s, "intact") || !strcmp(s, "valid") ||
       !strcmp(s, "verified"))
      v = 1;
    else
      v = 0;
  }
  cJSON_Delete(j);
  return v;
}

/* Human words of a reason for the summary. */
static const char *reason_words(lv_reason r)
{
  switch(r) {
  case LV_TRUNCATED: return "truncated last line";
  case LV_PARSE_ERROR: return "parse error";
  case LV_MISSING_MEMBER: return "missing member";
  case LV_BAD_TYPE: return "bad member type";
  case LV_SEQ_GAP: return "seq gap";
  case LV_SEQ_REPEAT: return "seq repeated";
  case LV_SEQ_ORDER: return "seq out of order";
  case LV_BAD_GENESIS: return "bad genesis prev_hash";
  case LV_PREV_HASH_MISMATCH: return "prev_hash mismatch";
  case LV_HASH_MISMATCH: return "hash mismatch";
  case LV_ANCHOR_MISMATCH: return "anchor mismatch";
  case LV_ROLLBACK: return "rollback";
  default: return "ok";
  }
}

/* Sets PGPASSWORD from password_file (this run's own process), whole. */
static int use_password_file(probe_ctx *ctx, const probe_host *h)
{
  const char *pf;
  char err[256];
  if(h->conf_string(ctx, "password_file", &pf) != 0)
    return 0;
  if(pledger_password_env(pf, err, sizeof(err)) == 0)
    return 0;
  h->log(ctx, PROBE_LOG_WARNING, "%s", err);
  return -1;
}

/* An RFC 3339 UTC time of t (seconds since the epoch). */
static void iso_time(double t, char *buf, size_t len)
{
  struct tm tm;
  time_t s = (time_t)t;
  gmtime_r(&s, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* An age for people: "40 s", "12 min", "3 h", "2 d". */
static void human_age(double sec, char *buf, size_t len)
{
  if(sec < 0)
    sec = 0;
  if(sec < 120)
    snprintf(buf, len, "%.0f s", sec);
  else if(sec < 7200)
    snprintf(buf, len, "%.0f min", sec / 60);
  else if(sec < 2 * 86400)
    snprintf(buf, len, "%.0f h", sec / 3600);
  else
    snprintf(buf, len, "%.0f d", sec / 86400);
}

/* A count with thousands separators: 1,000. */
static void human_count(uint64_t n, char *buf, size_t len)
{
  char raw[32], out[48];
  size_t rl, i, o = 0;
  snprintf(raw, sizeof(raw), "%" PRIu64, n);
  rl = strlen(raw);
  for(i = 0; i < rl; i++) {
    if(i > 0 && (rl - i) % 3 == 0)
      out[o++] = ',';
    out[o++] = raw[i];
  }
  out[o] = 0;
  snprintf(buf, len, "%s", out);
}

/* The plugin's run interval (its own, else the agent's, else 60 s). */
static double run_interval(probe_ctx *ctx, const probe_host *h)
{
  double iv = 0;
  if(h->conf_duration(ctx, "interval", &iv) != 0 || iv <= 0)
    if(h->conf_duration(ctx, "agent.interval", &iv) != 0 || iv <= 0)
      iv = 60;
  return iv;
}

/* Re-verifies the rows of a table that changed in place since the last
 * run (their seqs ascending, all at or before the checkpoint): each run of
 * consecutive changed seqs with one neighbour on either side, so that both
 * a row's own hash and its links hold. Returns 1 with *r the first bad
 * finding, 0 when all hold, -1 when they could not be read; *verified
 * counts the events read. */
static int verify_changed(const lv_options *base, const lstate *st,
                          const int64_t *seqs, size_t n, lv_result *r,
                          int64_t *verified)
{
  size_t i = 0;
  *verified = 0;
  while(i < n) {
    lv_options o = *base;
    size_t k = i;
    while(k + 1 < n && seqs[k + 1] == seqs[k] + 1)
      k++;
    o.resume = NULL;
    o.expect = NULL;
    o.on_event = NULL; /* segments out of order: nothing to compare */
    o.segment = 1;
    o.src.from_seq = seqs[i] > 1 ? seqs[i] - 1 : 1;
    o.src.to_seq = seqs[k] < st->cp.seq ? seqs[k] + 1 : st->cp.seq;
    if(lv_verify(&o, r) != 0)
      return -1; /* a full pass follows and says what is wrong */
    *verified += (int64_t)r->events;
    if(r->reason == LV_OK && r->head.seq != o.src.to_seq) {
      r->reason = LV_SEQ_GAP;
      r->bad_seq = r->head.seq + 1;
      snprintf(r->detail, sizeof(r->detail),
               "seq %" PRId64 " is missing (rows changed since the last run)",
               r->head.seq + 1);
    }
    if(r->reason != LV_OK)
      return 1;
    i = k + 1;
  }
  return 0;
}

/* compare_with: the copy's source options, from the live ledger's (its
 * timeout and line limit) and the compare_* settings. */
static void compare_options(probe_ctx *ctx, const probe_host *h, const lsrc_options *a,
                            const char *cmp, lsrc_options *b)
{
  *b = *a;
  b->source = cmp;
  b->start_offset = b->start_line = 0;
  b->from_seq = b->to_seq = 0;
  b->table = NULL;
  b->column = NULL;
  h->conf_string(ctx, "compare_table", &b->table);
  h->conf_string(ctx, "compare_column", &b->column);
}

/* compare_with: the line ledger.compare (lcompare.h), once the live pass
 * has fed the comparer cs. open_err: the copy could not be opened (cs is
 * NULL); r: this run's ledger.chain result; a_head: the live ledger's real
 * head (also past a bad event). A broken live ledger is still compared up
 * to its last intact event: the line says where the copies part. */
static void compare_line(probe_ctx *ctx, const probe_host *h, const lsrc_options *b,
                         lc_stream *cs, const char *open_err, const lv_result *r,
                         int64_t a_head)
{
  lc_result cr;
  long long max_lag = 100;
  int a_bad = r->reason != LV_OK;
  const char *a_hash = r->head.seq > 0 ? r->head.hash : NULL;
  h->conf_int(ctx, "max_lag_events", &max_lag);
  char *bt = lsrc_target(b);
  probe_result *res = h->result_begin(ctx, "ledger.compare", bt ? bt : "compare_with");
  free(bt);
  if(!res)
    return;
  if(!cs || r->source_error || lc_finish(cs, r->head.seq, &cr) != 0) {
    h->result_status(res, PROBE_UNKNOWN, "cannot compare: %s",
                     !cs ? open_err : r->source_error ? "the live ledger cannot be read"
                                                      : cr.error);
    h->result_emit(res);
    return;
  }
  long long lag = (long long)a_head - (long long)cr.b_head;
  char heads[300];
  snprintf(heads, sizeof(heads), "live head seq %lld (%.12s), copy head seq %lld (%.12s)",
           (long long)a_head, a_hash && *a_hash ? a_hash : "-", (long long)cr.b_head,
           cr.b_hash[0] ? cr.b_hash : "-");
  if(cr.fork_seq)
    h->result_status(res, PROBE_CRITICAL, "fork: the copies differ from seq %lld on; %s",
                     (long long)cr.fork_seq, heads);
  else if(cr.b_bad_seq)
    h->result_status(res, PROBE_CRITICAL, "the copy is broken at seq %lld (%s); %s",
                     (long long)cr.b_bad_seq, cr.b_detail, heads);
  else if(a_bad)
    h->result_status(res, PROBE_CRITICAL,
                     "the live ledger is not intact (see ledger.chain); the copy is, "
                     "and agrees with it up to seq %lld; %s", (long long)cr.a_seen, heads);
  else if(lag > max_lag || -lag > max_lag)
    h->result_status(res, PROBE_WARNING, "the %s lags by %lld events (max_lag_events=%lld); %s",
                     lag > 0 ? "copy" : "live ledger", lag > 0 ? lag : -lag, max_lag, heads);
  else
    h->result_status(res, PROBE_OK, "the copy is a prefix of the live ledger, %lld behind; %s",
                     lag > 0 ? lag : 0, heads);
  h->result_metric(res, "head_seq", (double)a_head);
  h->result_metric(res, "compare_head_seq", (double)cr.b_head);
  h->result_metric(res, "lag_events", (double)lag);
  h->result_metric(res, "compared_events", (double)cr.compared);
  if(cr.fork_seq)
    h->result_detail_number(res, "fork_seq", (double)cr.fork_seq);
  if(cr.b_bad_seq)
    h->result_detail_number(res, "compare_bad_seq", (double)cr.b_bad_seq);
  if(a_hash && *a_hash)
    h->result_detail_string(res, "head_hash", a_hash);
  if(cr.b_hash[0])
    h->result_detail_string(res, "compare_head_hash", cr.b_hash);
  h->result_emit(res);
}

/* The host and run a verification's progress goes to. */
typedef struct progress_to {
  probe_ctx *ctx;
  const probe_host *h;
} progress_to;

/* lv_options.progress: hands the verifier's progress to the agent, which
 * shows it on a terminal (and rate-limits it). */
static void report_progress(void *arg, uint64_t events, uint64_t bytes, int64_t total)
{
  progress_to *p = arg;
  p->h->progress(p->ctx, (double)events, (double)bytes, (double)total);
}

/* One run: verify, compare, report, remember. */
static int ledger_run(probe_ctx *ctx, const probe_host *h)
{
  progress_to prog = {ctx, h};
  lv_options o;
  lv_result r;
  lstate st, nst;
  const char *url = NULL, *full_why = "no usable checkpoint";
  char *target = NULL;
  long long threads = 0;
  int incremental = 1, full = 1, ran, have_real = 0;
  double full_every = 86400, max_idle = 0, now = putil_wall();
  double interval, budget = -1, t0, full_took = -1;
  int64_t real_head = 0, real_events = 0;
  int64_t changed_rows = 0, changed_verified = 0;
  int is_table, have_now8 = 0, changed_bad = 0;
  uint64_t now8 = 0;
  char xerr[256];
  const char *mode = "full";
  probe_result *res;
  probe_status status = PROBE_OK;
  char summary[512], state_err[512] = "", load_err[512] = "";

  memset(&o, 0, sizeof(o));
  pledger_settings_read(ctx, h, &o.src);
  h->conf_bool(ctx, "incremental", &incremental);
  h->conf_duration(ctx, "full_every", &full_every);
  h->conf_duration(ctx, "max_idle", &max_idle);
  h->conf_int(ctx, "threads", &threads);
  if(h->conf_string(ctx, "service_verify_url", &url) != 0)
    url = NULL;
  interval = run_interval(ctx, h);
  if(h->conf_duration(ctx, "full_budget", &budget) != 0 || budget < 0)
    budget = interval * 0.1;
  if(PROBE_HOST_HAS_PROGRESS(h)) {
    o.progress = report_progress;
    o.progress_arg = &prog;
  }
  o.threads = (int)(threads > 0 && threads < 64 ? threads : 0);
  target = lsrc_target(&o.src);
  is_table = o.src.source && ppg_looks_like_conninfo(o.src.source);
  res = h->result_begin(ctx, "ledger.chain", target ? target : "ledger");
  if(!o.src.source) {
    h->result_status(res, PROBE_UNKNOWN, "no ledger source configured");
    free(target);
    return h->result_emit(res);
  }
  /* a file (or stdin) and no service to ask: this run needs no socket */
  const char *cmp = NULL;
  if(h->conf_string(ctx, "compare_with", &cmp) != 0 || !*cmp)
    cmp = NULL;
  if(!url && !ppg_looks_like_conninfo(o.src.source) && !(cmp && ppg_looks_like_conninfo(cmp)) &&
     psandbox_no_network() != 0)
    h->log(ctx, PROBE_LOG_WARNING, "cannot drop the network for this run");
  if(use_password_file(ctx, h) != 0) {
    h->result_status(res, PROBE_UNKNOWN, "cannot read password_file");
    free(target);
    return h->result_emit(res);
  }
  /* compare_with: the copy's own pass starts now and runs in step with
   * this run's pass over the live ledger, then a full one (lcompare.h) */
  lsrc_options bopt;
  lc_stream *cmp_s = NULL;
  char cmp_err[300] = "";
  if(cmp) {
    char e[256];
    compare_options(ctx, h, &o.src, cmp, &bopt);
    if(!strcmp(cmp, "-") && !strcmp(o.src.source, "-"))
      snprintf(cmp_err, sizeof(cmp_err), "compare_with: source already reads standard input");
    else if(lc_open(&bopt, o.threads, &cmp_s, e, sizeof(e)) != 0)
      snprintf(cmp_err, sizeof(cmp_err), "compare_with: %s", e);
  }

  if(state_load(h, ctx, &st, load_err, sizeof(load_err)) < 0)
    h->log(ctx, PROBE_LOG_WARNING, "%s", load_err);
  {
    lp_input pin = {st.valid, !strcmp(st.source, target ? target : ""),
                    st.last_full, st.last_run, st.full_seconds, now,
                    interval, budget, full_every, incremental,
                    !strcmp(o.src.source, "-"), cmp_s != NULL};
    lp_plan plan;
    lp_choose(&pin, &plan);
    st.valid = plan.valid; /* another ledger's: start over */
    st.stale = plan.stale;
    full_why = plan.why;
    full = plan.full;
  }
  if(st.stale)
    h->log(ctx, PROBE_LOG_WARNING,
           "checkpoint written in the future (last_full %.0f, now %.0f): "
           "ignored, full pass", st.last_full, now);
  if(!full) {
    full = 1; /* until the incremental pass has run */
    int go = 1;
    if(is_table) {
      /* rows changed in place since the last run, found by their xmin */
      int64_t *cs = NULL;
      size_t cn = 0;
      int xr = st.pg_xmin8 ? lx_changes(&o.src, st.pg_xmin8, st.cp.seq, &now8,
                                        &cs, &cn, xerr, sizeof(xerr))
                           : 1;
      if(xr == 0)
        have_now8 = 1;
      if(xr != 0) {
        go = 0;
        full_why = xr < 0 ? "cannot read the rows' xmin"
                   : st.pg_xmin8 ? "cannot tell changed rows by xmin"
                                 : "no xmin recorded by the last run";
        if(xr < 0)
          h->log(ctx, PROBE_LOG_WARNING, "xmin: %s", xerr);
      }
      else if(cn > 0) {
        int vr = verify_changed(&o, &st, cs, cn, &r, &changed_verified);
        changed_rows = (int64_t)cn;
        if(vr > 0) {
          go = 0;
          full = 0;
          mode = "incremental";
          changed_bad = 1;
        }
        else if(vr < 0) {
          go = 0;
          full_why = "cannot read the changed rows";
          changed_verified = 0;
        }
      }
      free(cs);
    }
    if(go) {
      o.resume = &st.cp;
      full = 0;
      mode = "incremental";
      ran = lv_verify(&o, &r);
      if(ran == 0 && r.checkpoint_mismatch) {
        h->log(ctx, PROBE_LOG_INFO,
               "checkpoint (seq %" PRId64 ") no longer matches: full run",
               st.cp.seq);
        o.resume = NULL;
        full = 1;
        full_why = "checkpoint mismatch";
        mode = "full (checkpoint mismatch)";
      }
    }
  }
  if(full && is_table && !have_now8) {
    /* taken before the read: rows written during it are caught next run */
    int64_t *cs = NULL;
    size_t cn = 0;
    if(lx_changes(&o.src, 0, 0, &now8, &cs, &cn, xerr, sizeof(xerr)) == 0)
      have_now8 = 1;
    free(cs);
  }
  if(full) {
    if(st.stale)
      mode = "full (stale checkpoint)";
    o.expect = st.valid ? &st.cp : NULL;
    if(cmp_s) {
      o.on_event = lc_feed;
      o.on_event_arg = cmp_s;
    }
    t0 = putil_now();
    ran = lv_verify(&o, &r);
    full_took = putil_now() - t0;
  }
  (void)ran;

  /* the ledger's real extent, also past a bad event */
  if(!r.source_error) {
    if(r.reason == LV_OK) {
      real_head = r.head.seq;
      have_real = 1;
    }
    else if(lv_scan_head(&o.src, &real_events, &real_head) == 0)
      have_real = 1;
  }

  if(r.source_error) {
    status = PROBE_UNKNOWN;
    snprintf(summary, sizeof(summary), "cannot read the ledger: %s", r.error);
  }
  else if(r.reason != LV_OK) {
    status = PROBE_CRITICAL;
    if(r.reason == LV_ROLLBACK)
      snprintf(summary, sizeof(summary), "rollback: %s", r.detail);
    else if(r.bad_seq >= 0)
      snprintf(summary, sizeof(summary),
               "%s at seq %" PRId64 " (first bad event): %s",
               reason_words(r.reason), r.bad_seq, r.detail);
    else
      snprintf(summary, sizeof(summary),
               "%s at line %" PRIu64 " (first bad event): %s",
               reason_words(r.reason), r.bad_line, r.detail);
  }
  else if(r.head.seq == 0) {
    status = PROBE_UNKNOWN;
    snprintf(summary, sizeof(summary), "the ledger has no events");
  }
  else if(full)
    snprintf(summary, sizeof(summary),
             "ledger intact: whole ledger verified, %" PRId64
             " events, head seq %" PRId64 "%s",
             r.head.seq, r.head.seq,
             st.stale ? " (stale checkpoint from the future ignored)" : "");
  else {
    char n[48], age[32];
    human_count(r.events, n, sizeof(n));
    human_age(now - st.last_full, age, sizeof(age));
    snprintf(summary, sizeof(summary),
             "%s appended event%s verified, head seq %" PRId64
             "; whole ledger verified %s ago",
             n, r.events == 1 ? "" : "s", r.head.seq, age);
  }

  /* throughput and idleness, from the real head and the last run's */
  if(!r.source_error) {
    int64_t head = have_real ? real_head : r.head.seq;
    int64_t appended = have_real && st.valid && !st.stale &&
                               head >= st.prev_head
                           ? head - st.prev_head
                           : -1;
    if(r.reason == LV_OK || have_real) {
      h->result_metric(res, "events",
                       (double)(r.reason == LV_OK || !real_events
                                    ? head : real_events));
      h->result_metric(res, "head_seq", (double)head);
    }
    if(r.reason != LV_OK)
      h->result_metric(res, "verified_head_seq", (double)r.head.seq);
    h->result_metric(res, "verified_events",
                     (double)(r.events + (uint64_t)changed_verified));
    if(is_table && !full) {
      h->result_metric(res, "changed_rows", (double)changed_rows);
      if(changed_bad)
        h->result_detail_string(res, "found_by", "xmin (row changed in place)");
    }
    h->result_metric(res, "bytes", (double)r.bytes);
    h->result_metric(res, "anchors_checked", (double)r.anchors);
    if(appended >= 0) {
      double el = now - st.last_run;
      h->result_metric(res, "appended_events", (double)appended);
      if(st.last_run > 0 && el >= 0.001)
        h->result_metric(res, "append_rate_per_minute",
                         (double)appended * 60.0 / el);
      else
        h->result_detail_string(res, "append_rate_unavailable",
                                st.last_run > 0
                                    ? "less than 1 ms since the previous run"
                                    : "no previous run time");
    }
    if(r.reason == LV_OK && r.head.seq > 0) {
      h->result_detail_string(res, "head_hash", r.head.hash);
      if(r.head_ts[0])
        h->result_detail_string(res, "head_ts", r.head_ts);
    }
    if(r.anchors_unresolved > 0)
      h->result_detail_number(res, "anchors_unresolved",
                              (double)r.anchors_unresolved);
    if(status == PROBE_OK && max_idle > 0 && r.head.seq > 0) {
      double t = parse_ts(r.head_ts);
      if(t >= 0) {
        h->result_metric(res, "idle_seconds", now - t > 0 ? now - t : 0);
        if(PROBE_HOST_HAS_THRESHOLD(h)) /* critical from max_idle on */
          h->result_threshold(res, "idle_seconds", NAN, max_idle);
        if(now - t >= max_idle) {
          status = PROBE_CRITICAL;
          snprintf(summary, sizeof(summary),
                   "no new event for %.0f s (max_idle %.0f s), head seq %" PRId64,
                   now - t, max_idle, r.head.seq);
          h->result_detail_string(res, "reason", "idle");
        }
      }
    }
    /* what was verified, and when the whole ledger last was */
    if(r.reason == LV_OK) {
      double lf = full ? now : st.last_full;
      char at[40];
      iso_time(lf, at, sizeof(at));
      h->result_detail_string(res, "last_full_at", at);
      h->result_metric(res, "last_full_age_seconds", full ? 0 : now - lf);
    }
    h->result_metric(res, "full_pass_seconds",
                     round((full ? full_took : st.full_seconds) * 1000) / 1000);
    h->result_detail_number(res, "full_budget_seconds", budget);
    if(full)
      h->result_detail_string(res, "full_reason", full_why);
  }
  h->result_detail_string(res, "mode", mode);
  if(r.reason != LV_OK) {
    h->result_detail_string(res, "reason", lv_reason_name(r.reason));
    if(r.bad_seq >= 0)
      h->result_detail_number(res, "first_bad_seq", (double)r.bad_seq);
    if(r.bad_line > 0)
      h->result_detail_number(res, "line", (double)r.bad_line);
    h->result_detail_string(res, "detail", r.detail);
  }

  /* the service's own verdict */
  if(url && *url) {
    phttp_request rq;
    phttp_response rs;
    phttp_code pc;
    memset(&rq, 0, sizeof(rq));
    rq.method = "GET";
    rq.url = url;
    rq.timeout_s = h->time_left(ctx) > 2 ? (h->time_left(ctx) - 1) / 2 : 1;
    if(rq.timeout_s > 30)
      rq.timeout_s = 30;
    pc = phttp_fetch(&rq, &rs);
    if(pc != PHTTP_OK || rs.status != 200) {
      h->result_detail_string(res, "service_verify_error",
                              pc != PHTTP_OK ? rs.error : "HTTP status not 200");
      if(pc == PHTTP_OK)
        h->result_detail_number(res, "service_verify_status", (double)rs.status);
    }
    else {
      int sv = service_verdict(rs.body);
      if(sv < 0)
        h->result_detail_string(res, "service_verify_error",
                                "response has no intact/valid/status member");
      else {
        h->result_detail_bool(res, "service_intact", sv);
        if(sv == 1 && (status != PROBE_OK || r.source_error)) {
          char s2[sizeof(summary)];
          status = PROBE_CRITICAL;
          snprintf(s2, sizeof(s2), "service says intact, probe does not: %.400s",
                   summary);
          snprintf(summary, sizeof(summary), "%s", s2);
        }
        else if(sv == 0 && status == PROBE_OK) {
          status = PROBE_WARNING;
          snprintf(summary + strlen(summary), sizeof(summary) - strlen(summary),
                   "; but the service reports it broken");
        }
      }
    }
    phttp_response_free(&rs);
  }

  /* remember, before the line goes out so that it can say when this
   * failed: the head when intact; otherwise keep the old checkpoint (the
   * failure stays visible) but the real head and time, so that the append
   * rate after an incident stays true */
  if(!r.source_error && strcmp(o.src.source, "-") != 0) {
    int sr = 0, save = 0;
    nst = st;
    nst.stale = 0;
    snprintf(nst.source, sizeof(nst.source), "%s", target ? target : "");
    nst.last_run = now;
    if(have_real)
      nst.prev_head = real_head;
    if(st.stale) {
      nst.last_full = 0; /* never carry a time from the future */
      nst.full_seconds = 0;
    }
    if(full && full_took >= 0)
      nst.full_seconds = full_took;
    if(have_now8 && (r.reason == LV_OK || !st.pg_xmin8))
      nst.pg_xmin8 = now8; /* a bad row stays found until it is repaired */
    if(r.reason == LV_OK && r.head.seq > 0) {
      nst.cp = r.head;
      if(full)
        nst.last_full = now;
      nst.valid = 1;
      save = 1;
    }
    else if(st.valid)
      save = 1;
    if(save)
      sr = state_save(h, ctx, &nst, state_err, sizeof(state_err));
    if(sr < 0)
      h->result_detail_string(res, "state_error", state_err);
    else
      state_err[0] = 0;
  }
  if(load_err[0] && !state_err[0]) {
    snprintf(state_err, sizeof(state_err), "%s", load_err);
    h->result_detail_string(res, "state_error", state_err);
  }
  h->result_status(res, status, "%s", summary);
  h->result_emit(res);
  if(state_err[0]) {
    /* a state that could not be kept counts as unknown (SPEC 6) */
    res = h->result_begin(ctx, "ledger.state", target ? target : "ledger");
    h->result_status(res, PROBE_UNKNOWN,
                     "checkpoint not used or not kept: %s", state_err);
    h->result_emit(res);
  }
  if(cmp)
    compare_line(ctx, h, &bopt, cmp_s, cmp_err, &r, have_real ? real_head : r.head.seq);
  lc_close(cmp_s);
  free(target);
  return 0;
}

/* Checks the meaning of the settings (types are the agent's business). */
static int ledger_check_config(probe_ctx *ctx, const probe_host *h)
{
  const char *s;
  long long n;
  int bad = pledger_settings_check(ctx, h);
  if(h->conf_int(ctx, "threads", &n) == 0 && (n < 0 || n > 64)) {
    h->config_error(ctx, "threads", "must be 0..64");
    bad = 1;
  }
  if(h->conf_string(ctx, "compare_with", &s) == 0 && !strcmp(s, "-")) {
    const char *src;
    /* both passes run at once: one of them only may read standard input */
    if(h->conf_string(ctx, "source", &src) == 0 && !strcmp(src, "-")) {
      h->config_error(ctx, "compare_with", "source already reads standard input");
      bad = 1;
    }
  }
  if(h->conf_string(ctx, "service_verify_url", &s) == 0 &&
     strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) {
    h->config_error(ctx, "service_verify_url", "must be an http(s) URL");
    bad = 1;
  }
  return bad;
}

/* Sockets for a PostgreSQL source and service_verify_url; a run on a file
 * without service_verify_url drops them itself (psandbox_no_network). */
PROBE_PLUGIN_EXPORT const probe_sandbox probe_plugin_sandbox = {
  PROBE_SANDBOX_VERSION, PROBE_NEEDS_NETWORK
};

PROBE_PLUGIN_EXPORT const probe_plugin probe_plugin_entry = {
    PROBE_PLUGIN_ABI,
    "ledger",
    VERSION,
    "verifies the iTrans ledger's hash chain and anchors (format v1)",
    ledger_settings,
    NULL,
    ledger_run,
    NULL,
    ledger_check_config};
