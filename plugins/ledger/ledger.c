/* SPDX-License-Identifier: Apache-2.0 */
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

#include "lib/rfc3339.h"
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
  int64_t n;
  int rc;
  memset(st, 0, sizeof(*st));
  if(!dir)
    return 0;
  rc = pstate_read(dir, STATE_FILE, 65536, &text, &len);
  if(rc < 0) {
    snprintf(why, whylen, "%s/%s refused: %s", dir, STATE_FILE,
             errno == ELOOP   ? "a symbolic link"
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
  if(cJSON_IsNumber(x) && putil_exact_int(x->valuedouble, &n) == 0)
    st->cp.seq = n;
  x = cJSON_GetObjectItem(j, "hash");
  if(cJSON_IsString(x) && strlen(x->valuestring) == 64)
    memcpy(st->cp.hash, x->valuestring, 65);
  x = cJSON_GetObjectItem(j, "offset");
  if(cJSON_IsNumber(x) && putil_exact_int(x->valuedouble, &n) == 0 && n >= 0)
    st->cp.offset = (uint64_t)n;
  x = cJSON_GetObjectItem(j, "line");
  if(cJSON_IsNumber(x) && putil_exact_int(x->valuedouble, &n) == 0 && n >= 0)
    st->cp.line = (uint64_t)n;
  x = cJSON_GetObjectItem(j, "last_full");
  if(cJSON_IsNumber(x))
    st->last_full = x->valuedouble;
  x = cJSON_GetObjectItem(j, "last_run");
  if(cJSON_IsNumber(x))
    st->last_run = x->valuedouble;
  x = cJSON_GetObjectItem(j, "head_seq");
  if(cJSON_IsNumber(x) && putil_exact_int(x->valuedouble, &n) == 0)
    st->prev_head = n;
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

/* Seconds since the epoch of an RFC 3339 time (lib/rfc3339.h), or -1. */
static double parse_ts(const char *s)
{
  double t;
  return rfc3339_parse(s, &t) == 0 ? t : -1;
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
static void compare_options(probe_ctx *ctx, const probe_host *h,
                            const lsrc_options *a, const char *cmp,
                            lsrc_options *b)
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
 * head (also past a bad event); max_lag: max_lag_events. A broken live
 * ledger is still compared up to its last intact event: the line says
 * where the copies part. */
static void compare_line(probe_ctx *ctx, const probe_host *h,
                         const lsrc_options *b, lc_stream *cs,
                         const char *open_err, const lv_result *r,
                         int64_t a_head, long long max_lag)
{
  lc_result cr;
  int a_bad = r->reason != LV_OK;
  const char *a_hash = r->head.seq > 0 ? r->head.hash : NULL;
  char *bt = lsrc_target(b);
  probe_result *res =
      h->result_begin(ctx, "ledger.compare", bt ? bt : "compare_with");
  free(bt);
  if(!res)
    return;
  if(!cs || r->source_error || lc_finish(cs, r->head.seq, &cr) != 0) {
    h->result_status(res, PROBE_UNKNOWN, "cannot compare: %s",
                     !cs               ? open_err
                     : r->source_error ? "the live ledger cannot be read"
                                       : cr.error);
    h->result_emit(res);
    return;
  }
  long long lag = (long long)a_head - (long long)cr.b_head;
  char heads[300];
  snprintf(heads, sizeof(heads),
           "live head seq %lld (%.12s), copy head seq %lld (%.12s)",
           (long long)a_head, a_hash && *a_hash ? a_hash : "-",
           (long long)cr.b_head, cr.b_hash[0] ? cr.b_hash : "-");
  if(cr.fork_seq)
    h->result_status(res, PROBE_CRITICAL,
                     "fork: the copies differ from seq %lld on; %s",
                     (long long)cr.fork_seq, heads);
  else if(cr.b_bad_seq)
    h->result_status(res, PROBE_CRITICAL,
                     "the copy is broken at seq %lld (%s); %s",
                     (long long)cr.b_bad_seq, cr.b_detail, heads);
  else if(a_bad)
    h->result_status(
        res, PROBE_CRITICAL,
        "the live ledger is not intact (see ledger.chain); the copy is, "
        "and agrees with it up to seq %lld; %s",
        (long long)cr.a_seen, heads);
  else if(lag > max_lag || -lag > max_lag)
    h->result_status(res, PROBE_WARNING,
                     "the %s lags by %lld events (max_lag_events=%lld); %s",
                     lag > 0 ? "copy" : "live ledger", lag > 0 ? lag : -lag,
                     max_lag, heads);
  else
    h->result_status(res, PROBE_OK,
                     "the copy is a prefix of the live ledger, %lld behind; %s",
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
static void report_progress(void *arg, uint64_t events, uint64_t bytes,
                            int64_t total)
{
  progress_to *p = arg;
  p->h->progress(p->ctx, (double)events, (double)bytes, (double)total);
}

/* One run's settings, findings and verdict, handed from phase to phase:
 * read settings, plan, gather (the passes), judge, emit, remember. */
typedef struct lrun {
  probe_ctx *ctx;
  const probe_host *h;
  pkit kit; /* the settings, through the table's defaults */
  progress_to prog;
  lv_options o;
  lv_result r;
  lstate st;
  const char *url, *cmp, *full_why, *mode;
  char *target;
  int incremental, full, have_real, is_table, have_now8, changed_bad;
  double full_every, max_idle, now, interval, budget, full_took;
  long long max_lag;
  int64_t real_head, real_events, changed_rows, changed_verified;
  uint64_t now8;
  lsrc_options bopt;
  lc_stream *cmp_s;
  probe_status status;
  char cmp_err[300], summary[512], state_err[512], load_err[512];
} lrun;

/* Reads the run's settings into x (cleared first) through the settings
 * table (pkit.h): no default is restated here. */
static void run_settings(lrun *x, probe_ctx *ctx, const probe_host *h)
{
  long long threads;
  pkit *k = &x->kit;
  memset(x, 0, sizeof(*x));
  x->ctx = ctx;
  x->h = h;
  x->prog.ctx = ctx;
  x->prog.h = h;
  x->full = 1;
  x->budget = x->full_took = -1;
  x->now = putil_wall();
  x->full_why = "no usable checkpoint";
  x->mode = "full";
  x->status = PROBE_OK;
  pkit_init(k, ctx, h, ledger_settings);
  pledger_settings_read(k, &x->o.src);
  x->o.src.password_file = ppg_password_file(ctx, h); /* read at connect */
  x->incremental = pkit_bool(k, "incremental");
  x->full_every = pkit_duration(k, "full_every");
  x->max_idle = pkit_duration(k, "max_idle");
  x->max_lag = pkit_int(k, "max_lag_events");
  threads = pkit_int(k, "threads");
  x->url = pkit_opt(k, "service_verify_url");
  x->cmp = pkit_opt(k, "compare_with");
  x->interval = run_interval(ctx, h);
  if(h->conf_duration(ctx, "full_budget", &x->budget) != 0 || x->budget < 0)
    x->budget = x->interval * 0.1;
  if(PROBE_HOST_HAS_PROGRESS(h)) {
    x->o.progress = report_progress;
    x->o.progress_arg = &x->prog;
  }
  x->o.threads = (int)(threads > 0 && threads < 64 ? threads : 0);
  x->target = lsrc_target(&x->o.src);
  x->is_table = x->o.src.source && ppg_looks_like_conninfo(x->o.src.source);
}

/* compare_with: the copy's own pass starts now and runs in step with this
 * run's pass over the live ledger, then a full one (lcompare.h). */
static void open_compare(lrun *x)
{
  char e[256];
  if(!x->cmp)
    return;
  compare_options(x->ctx, x->h, &x->o.src, x->cmp, &x->bopt);
  if(!strcmp(x->cmp, "-") && !strcmp(x->o.src.source, "-"))
    snprintf(x->cmp_err, sizeof(x->cmp_err),
             "compare_with: source already reads standard input");
  else if(lc_open(&x->bopt, x->o.threads, &x->cmp_s, e, sizeof(e)) != 0)
    snprintf(x->cmp_err, sizeof(x->cmp_err), "compare_with: %s", e);
}

/* Loads the checkpoint and chooses the pass (lplan.h). */
static void plan_pass(lrun *x)
{
  lstate *st = &x->st;
  lp_plan plan;
  if(state_load(x->h, x->ctx, st, x->load_err, sizeof(x->load_err)) < 0)
    x->h->log(x->ctx, PROBE_LOG_WARNING, "%s", x->load_err);
  lp_input in = {st->valid,
                 !strcmp(st->source, x->target ? x->target : ""),
                 st->last_full,
                 st->last_run,
                 st->full_seconds,
                 x->now,
                 x->interval,
                 x->budget,
                 x->full_every,
                 x->incremental,
                 !strcmp(x->o.src.source, "-"),
                 x->cmp_s != NULL};
  lp_choose(&in, &plan);
  st->valid = plan.valid; /* another ledger's: start over */
  st->stale = plan.stale;
  x->full_why = plan.why;
  x->full = plan.full;
  if(st->stale)
    x->h->log(x->ctx, PROBE_LOG_WARNING,
              "checkpoint written in the future (last_full %.0f, now %.0f): "
              "ignored, full pass",
              st->last_full, x->now);
}

/* A table's rows changed in place since the last run, found by their xmin
 * and re-verified. 1 when the incremental pass may go on; 0 when a full
 * pass must run instead (x->full_why says why) or a changed row is bad
 * (x->changed_bad, the verdict in x->r). */
static int pass_changed_rows(lrun *x)
{
  int64_t *cs = NULL;
  size_t cn = 0;
  char xerr[256];
  int go = 1, xr = 1;
  if(x->st.pg_xmin8)
    xr = lx_changes(&x->o.src, x->st.pg_xmin8, x->st.cp.seq, &x->now8, &cs, &cn,
                    xerr, sizeof(xerr));
  if(xr == 0)
    x->have_now8 = 1;
  if(xr != 0) {
    go = 0;
    x->full_why = xr < 0           ? "cannot read the rows' xmin"
                  : x->st.pg_xmin8 ? "cannot tell changed rows by xmin"
                                   : "no xmin recorded by the last run";
    if(xr < 0)
      x->h->log(x->ctx, PROBE_LOG_WARNING, "xmin: %s", xerr);
  }
  else if(cn > 0) {
    int vr = verify_changed(&x->o, &x->st, cs, cn, &x->r, &x->changed_verified);
    x->changed_rows = (int64_t)cn;
    if(vr > 0) {
      go = 0;
      x->full = 0;
      x->mode = "incremental";
      x->changed_bad = 1;
    }
    else if(vr < 0) {
      go = 0;
      x->full_why = "cannot read the changed rows";
      x->changed_verified = 0;
    }
  }
  free(cs);
  return go;
}

/* The incremental pass, from the checkpoint; a full pass follows when it
 * cannot be used (x->full stays or becomes 1). */
static void pass_incremental(lrun *x)
{
  x->full = 1; /* until the incremental pass has run */
  if(x->is_table && !pass_changed_rows(x))
    return;
  x->o.resume = &x->st.cp;
  x->full = 0;
  x->mode = "incremental";
  if(lv_verify(&x->o, &x->r) == 0 && x->r.checkpoint_mismatch) {
    x->h->log(x->ctx, PROBE_LOG_INFO,
              "checkpoint (seq %" PRId64 ") no longer matches: full run",
              x->st.cp.seq);
    x->o.resume = NULL;
    x->full = 1;
    x->full_why = "checkpoint mismatch";
    x->mode = "full (checkpoint mismatch)";
  }
}

/* The full pass, held to the checkpoint and feeding the copy's comparer. */
static void pass_full(lrun *x)
{
  double t0;
  if(x->is_table && !x->have_now8) {
    /* taken before the read: rows written during it are caught next run */
    int64_t *cs = NULL;
    size_t cn = 0;
    char xerr[256];
    if(lx_changes(&x->o.src, 0, 0, &x->now8, &cs, &cn, xerr, sizeof(xerr)) == 0)
      x->have_now8 = 1;
    free(cs);
  }
  if(x->st.stale)
    x->mode = "full (stale checkpoint)";
  x->o.expect = x->st.valid ? &x->st.cp : NULL;
  if(x->cmp_s) {
    x->o.on_event = lc_feed;
    x->o.on_event_arg = x->cmp_s;
  }
  t0 = putil_now();
  lv_verify(&x->o, &x->r);
  x->full_took = putil_now() - t0;
}

/* The ledger's real extent, also past a bad event. */
static void real_extent(lrun *x)
{
  if(x->r.source_error)
    return;
  if(x->r.reason == LV_OK) {
    x->real_head = x->r.head.seq;
    x->have_real = 1;
  }
  else if(lv_scan_head(&x->o.src, &x->real_events, &x->real_head) == 0)
    x->have_real = 1;
}

/* The chain's status and summary from the passes' verdict. */
static void judge(lrun *x)
{
  const lv_result *r = &x->r;
  char *s = x->summary;
  size_t n = sizeof(x->summary);
  if(r->source_error) {
    x->status = PROBE_UNKNOWN;
    snprintf(s, n, "cannot read the ledger: %s", r->error);
  }
  else if(r->reason != LV_OK) {
    x->status = PROBE_CRITICAL;
    if(r->reason == LV_ROLLBACK)
      snprintf(s, n, "rollback: %s", r->detail);
    else if(r->bad_seq >= 0)
      snprintf(s, n, "%s at seq %" PRId64 " (first bad event): %s",
               reason_words(r->reason), r->bad_seq, r->detail);
    else
      snprintf(s, n, "%s at line %" PRIu64 " (first bad event): %s",
               reason_words(r->reason), r->bad_line, r->detail);
  }
  else if(r->head.seq == 0) {
    x->status = PROBE_UNKNOWN;
    snprintf(s, n, "the ledger has no events");
  }
  else if(x->full)
    snprintf(s, n,
             "ledger intact: whole ledger verified, %" PRId64
             " events, head seq %" PRId64 "%s",
             r->head.seq, r->head.seq,
             x->st.stale ? " (stale checkpoint from the future ignored)" : "");
  else {
    char c[48], age[32];
    human_count(r->events, c, sizeof(c));
    human_age(x->now - x->st.last_full, age, sizeof(age));
    snprintf(s, n,
             "%s appended event%s verified, head seq %" PRId64
             "; whole ledger verified %s ago",
             c, r->events == 1 ? "" : "s", r->head.seq, age);
  }
}

/* Throughput, from the real head and the last run's. */
static void emit_counts(const lrun *x, probe_result *res)
{
  const probe_host *h = x->h;
  const lv_result *r = &x->r;
  int64_t head = x->have_real ? x->real_head : r->head.seq;
  int64_t appended =
      x->have_real && x->st.valid && !x->st.stale && head >= x->st.prev_head
          ? head - x->st.prev_head
          : -1;
  if(r->reason == LV_OK || x->have_real) {
    h->result_metric(res, "events",
                     (double)(r->reason == LV_OK || !x->real_events
                                  ? head
                                  : x->real_events));
    h->result_metric(res, "head_seq", (double)head);
  }
  if(r->reason != LV_OK)
    h->result_metric(res, "verified_head_seq", (double)r->head.seq);
  h->result_metric(res, "verified_events",
                   (double)(r->events + (uint64_t)x->changed_verified));
  if(x->is_table && !x->full) {
    h->result_metric(res, "changed_rows", (double)x->changed_rows);
    if(x->changed_bad)
      h->result_detail_string(res, "found_by", "xmin (row changed in place)");
  }
  h->result_metric(res, "bytes", (double)r->bytes);
  h->result_metric(res, "anchors_checked", (double)r->anchors);
  if(appended >= 0) {
    double el = x->now - x->st.last_run;
    h->result_metric(res, "appended_events", (double)appended);
    if(x->st.last_run > 0 && el >= 0.001)
      h->result_metric(res, "append_rate_per_minute",
                       (double)appended * 60.0 / el);
    else
      h->result_detail_string(res, "append_rate_unavailable",
                              x->st.last_run > 0
                                  ? "less than 1 ms since the previous run"
                                  : "no previous run time");
  }
}

/* max_idle: critical when the newest event is older. */
static void judge_idle(lrun *x, probe_result *res)
{
  const probe_host *h = x->h;
  double t;
  if(x->status != PROBE_OK || x->max_idle <= 0 || x->r.head.seq <= 0)
    return;
  t = parse_ts(x->r.head_ts);
  if(t < 0)
    return;
  h->result_metric(res, "idle_seconds", x->now - t > 0 ? x->now - t : 0);
  if(PROBE_HOST_HAS_THRESHOLD(h)) /* critical from max_idle on */
    h->result_threshold(res, "idle_seconds", NAN, x->max_idle);
  if(x->now - t >= x->max_idle) {
    x->status = PROBE_CRITICAL;
    snprintf(x->summary, sizeof(x->summary),
             "no new event for %.0f s (max_idle %.0f s), head seq %" PRId64,
             x->now - t, x->max_idle, x->r.head.seq);
    h->result_detail_string(res, "reason", "idle");
  }
}

/* The chain line's metrics and details: what was verified, and when the
 * whole ledger last was. */
static void emit_chain(lrun *x, probe_result *res)
{
  const probe_host *h = x->h;
  const lv_result *r = &x->r;
  if(!r->source_error) {
    emit_counts(x, res);
    if(r->reason == LV_OK && r->head.seq > 0) {
      h->result_detail_string(res, "head_hash", r->head.hash);
      if(r->head_ts[0])
        h->result_detail_string(res, "head_ts", r->head_ts);
    }
    if(r->anchors_unresolved > 0)
      h->result_detail_number(res, "anchors_unresolved",
                              (double)r->anchors_unresolved);
    judge_idle(x, res);
    if(r->reason == LV_OK) {
      double lf = x->full ? x->now : x->st.last_full;
      char at[RFC3339_MAX];
      rfc3339_format(lf, 0, at, sizeof(at));
      h->result_detail_string(res, "last_full_at", at);
      h->result_metric(res, "last_full_age_seconds", x->full ? 0 : x->now - lf);
    }
    h->result_metric(
        res, "full_pass_seconds",
        round((x->full ? x->full_took : x->st.full_seconds) * 1000) / 1000);
    h->result_detail_number(res, "full_budget_seconds", x->budget);
    if(x->full)
      h->result_detail_string(res, "full_reason", x->full_why);
  }
  h->result_detail_string(res, "mode", x->mode);
  if(r->reason != LV_OK) {
    h->result_detail_string(res, "reason", lv_reason_name(r->reason));
    if(r->bad_seq >= 0)
      h->result_detail_number(res, "first_bad_seq", (double)r->bad_seq);
    if(r->bad_line > 0)
      h->result_detail_number(res, "line", (double)r->bad_line);
    h->result_detail_string(res, "detail", r->detail);
  }
}

/* service_verify_url: the service's own verdict, set against the probe's. */
static void judge_service(lrun *x, probe_result *res)
{
  const probe_host *h = x->h;
  phttp_request rq;
  phttp_response rs;
  phttp_code pc;
  int sv;
  double left = h->time_left(x->ctx);
  memset(&rq, 0, sizeof(rq));
  rq.method = "GET";
  rq.url = x->url;
  rq.timeout_s = left > 2 ? (left - 1) / 2 : 1;
  if(rq.timeout_s > 30)
    rq.timeout_s = 30;
  pc = phttp_fetch(&rq, &rs);
  if(pc != PHTTP_OK || rs.status != 200) {
    h->result_detail_string(res, "service_verify_error",
                            pc != PHTTP_OK ? rs.error : "HTTP status not 200");
    if(pc == PHTTP_OK)
      h->result_detail_number(res, "service_verify_status", (double)rs.status);
  }
  else if((sv = service_verdict(rs.body)) < 0)
    h->result_detail_string(res, "service_verify_error",
                            "response has no intact/valid/status member");
  else {
    h->result_detail_bool(res, "service_intact", sv);
    if(sv == 1 && (x->status != PROBE_OK || x->r.source_error)) {
      char s2[sizeof(x->summary)];
      x->status = PROBE_CRITICAL;
      snprintf(s2, sizeof(s2), "service says intact, probe does not: %.400s",
               x->summary);
      snprintf(x->summary, sizeof(x->summary), "%s", s2);
    }
    else if(sv == 0 && x->status == PROBE_OK) {
      size_t l = strlen(x->summary);
      x->status = PROBE_WARNING;
      snprintf(x->summary + l, sizeof(x->summary) - l,
               "; but the service reports it broken");
    }
  }
  phttp_response_free(&rs);
}

/* Remembers, before the line goes out so that it can say when this
 * failed: the head when intact; otherwise keeps the old checkpoint (the
 * failure stays visible) but the real head and time, so that the append
 * rate after an incident stays true. */
static void remember(lrun *x, probe_result *res)
{
  const lstate *st = &x->st;
  lstate nst;
  int sr = 0, save = 0;
  if(x->r.source_error || !strcmp(x->o.src.source, "-"))
    return;
  nst = *st;
  nst.stale = 0;
  snprintf(nst.source, sizeof(nst.source), "%s", x->target ? x->target : "");
  nst.last_run = x->now;
  if(x->have_real)
    nst.prev_head = x->real_head;
  if(st->stale) {
    nst.last_full = 0; /* never carry a time from the future */
    nst.full_seconds = 0;
  }
  if(x->full && x->full_took >= 0)
    nst.full_seconds = x->full_took;
  if(x->have_now8 && (x->r.reason == LV_OK || !st->pg_xmin8))
    nst.pg_xmin8 = x->now8; /* a bad row stays found until it is repaired */
  if(x->r.reason == LV_OK && x->r.head.seq > 0) {
    nst.cp = x->r.head;
    if(x->full)
      nst.last_full = x->now;
    nst.valid = 1;
    save = 1;
  }
  else if(st->valid)
    save = 1;
  if(save)
    sr = state_save(x->h, x->ctx, &nst, x->state_err, sizeof(x->state_err));
  if(sr < 0)
    x->h->result_detail_string(res, "state_error", x->state_err);
  else
    x->state_err[0] = 0;
}

/* Emits the chain line, then ledger.state when the checkpoint was not
 * used or not kept (unknown: SPEC 6), then ledger.compare. */
static void emit_lines(lrun *x, probe_result *res)
{
  const probe_host *h = x->h;
  const char *target = x->target ? x->target : "ledger";
  if(x->load_err[0] && !x->state_err[0]) {
    snprintf(x->state_err, sizeof(x->state_err), "%s", x->load_err);
    h->result_detail_string(res, "state_error", x->state_err);
  }
  h->result_status(res, x->status, "%s", x->summary);
  h->result_emit(res);
  if(x->state_err[0]) {
    res = h->result_begin(x->ctx, "ledger.state", target);
    h->result_status(res, PROBE_UNKNOWN, "checkpoint not used or not kept: %s",
                     x->state_err);
    h->result_emit(res);
  }
  if(x->cmp)
    compare_line(x->ctx, h, &x->bopt, x->cmp_s, x->cmp_err, &x->r,
                 x->have_real ? x->real_head : x->r.head.seq, x->max_lag);
}

/* One run: read settings, plan, verify, judge, report, remember. */
static int ledger_run(probe_ctx *ctx, const probe_host *h)
{
  lrun *x = calloc(1, sizeof(*x));
  probe_result *res;
  int rc = 0;
  if(!x)
    return -1;
  run_settings(x, ctx, h);
  res = h->result_begin(ctx, "ledger.chain", x->target ? x->target : "ledger");
  if(!x->o.src.source) {
    h->result_status(res, PROBE_UNKNOWN, "no ledger source configured");
    rc = h->result_emit(res);
    goto out;
  }
  /* a file (or stdin) and no service to ask: this run needs no socket */
  if(!x->url && !x->is_table && !(x->cmp && ppg_looks_like_conninfo(x->cmp)) &&
     psandbox_no_network() != 0)
    h->log(ctx, PROBE_LOG_WARNING, "cannot drop the network for this run");
  open_compare(x);
  plan_pass(x);
  if(!x->full)
    pass_incremental(x);
  if(x->full)
    pass_full(x);
  real_extent(x);
  judge(x);
  emit_chain(x, res);
  if(x->url)
    judge_service(x, res);
  remember(x, res);
  emit_lines(x, res);
out:
  lc_close(x->cmp_s);
  free(x->target);
  pkit_free(&x->kit);
  free(x);
  return rc;
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
      h->config_error(ctx, "compare_with",
                      "source already reads standard input");
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
PROBE_PLUGIN_EXPORT const probe_sandbox
    probe_plugin_sandbox = {PROBE_SANDBOX_VERSION, PROBE_NEEDS_NETWORK};

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
