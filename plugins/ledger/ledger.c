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
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins/common/lsrc.h"
#include "plugins/common/phttp.h"
#include "plugins/common/ppg.h"
#include "plugins/common/psandbox.h"
#include "plugins/common/pstate.h"
#include "plugins/ledger/lverify.h"
#include "probe-plugin.h"

#define STATE_FILE "checkpoint.json"

static const probe_setting ledger_settings[] = {
  {"source", PROBE_SET_STRING, NULL, PROBE_SETTING_REQUIRED,
   "ledger snapshot (JSON Lines, .gz, - for stdin) or PostgreSQL conninfo/URI"},
  {"table", PROBE_SET_STRING, "\"ledger_events\"", 0,
   "PostgreSQL: table holding one event per row (schema.table allowed)"},
  {"column", PROBE_SET_STRING, "\"event\"", 0,
   "PostgreSQL: json/jsonb column holding the whole event"},
  {"password_file", PROBE_SET_STRING, NULL,
   PROBE_SETTING_FILE | PROBE_SETTING_SECRET,
   "PostgreSQL: file holding the password (instead of one in source)"},
  {"incremental", PROBE_SET_BOOL, "true", 0,
   "verify only what was appended since the last run's checkpoint"},
  {"full_every", PROBE_SET_DURATION, "86400", 0,
   "re-verify the whole ledger at least this often"},
  {"max_idle", PROBE_SET_DURATION, "0", 0,
   "critical when the newest event is older than this (0: off)"},
  {"service_verify_url", PROBE_SET_STRING, NULL, 0,
   "the service's own GET /ledger/verify, compared with the probe's verdict"},
  {"threads", PROBE_SET_INT, "0", 0,
   "worker threads for hashing (0: one per CPU)"},
  {"max_line_bytes", PROBE_SET_INT, "16777216", 0,
   "longest event accepted, in bytes"},
  {NULL, 0, NULL, 0, NULL}};

/* The state kept between runs. */
typedef struct lstate {
  int valid;
  char source[512];
  lv_checkpoint cp;
  double last_full, last_run;
  int64_t prev_head; /* head seq at the last run */
} lstate;

/* Loads the state; valid=0 when absent or unreadable. */
static void state_load(const probe_host *h, probe_ctx *ctx, lstate *st)
{
  const char *dir = h->state_dir(ctx);
  char *text = NULL;
  size_t len = 0;
  cJSON *j, *x;
  memset(st, 0, sizeof(*st));
  if(!dir || pstate_read(dir, STATE_FILE, 65536, &text, &len) != 0)
    return;
  j = cJSON_ParseWithLength(text, len);
  free(text);
  if(!j)
    return;
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
  st->valid = st->cp.seq > 0 && st->cp.hash[0] && st->source[0];
  cJSON_Delete(j);
}

/* Writes the state atomically. */
static void state_save(const probe_host *h, probe_ctx *ctx, const lstate *st)
{
  const char *dir = h->state_dir(ctx);
  cJSON *j;
  char *text;
  if(!dir)
    return;
  j = cJSON_CreateObject();
  if(!j)
    return;
  cJSON_AddNumberToObject(j, "version", 1);
  cJSON_AddStringToObject(j, "source", st->source);
  cJSON_AddNumberToObject(j, "seq", (double)st->cp.seq);
  cJSON_AddStringToObject(j, "hash", st->cp.hash);
  cJSON_AddNumberToObject(j, "offset", (double)st->cp.offset);
  cJSON_AddNumberToObject(j, "line", (double)st->cp.line);
  cJSON_AddNumberToObject(j, "head_seq", (double)st->prev_head);
  cJSON_AddNumberToObject(j, "last_full", st->last_full);
  cJSON_AddNumberToObject(j, "last_run", st->last_run);
  text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  if(!text)
    return;
  if(pstate_write(dir, STATE_FILE, text, strlen(text)) != 0)
    h->log(ctx, PROBE_LOG_WARNING, "cannot write the checkpoint in %s", dir);
  free(text);
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

/* Sets PGPASSWORD from password_file (this run's own process). */
static int use_password_file(probe_ctx *ctx, const probe_host *h)
{
  const char *pf;
  FILE *f;
  char buf[1024];
  size_t n;
  if(h->conf_string(ctx, "password_file", &pf) != 0)
    return 0;
  f = fopen(pf, "r");
  if(!f)
    return -1;
  n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = 0;
  buf[strcspn(buf, "\r\n")] = 0;
  setenv("PGPASSWORD", buf, 1);
  memset(buf, 0, sizeof(buf));
  return 0;
}

/* One run: verify, compare, report, remember. */
static int ledger_run(probe_ctx *ctx, const probe_host *h)
{
  lv_options o;
  lv_result r;
  lstate st, nst;
  const char *url = NULL;
  char *target = NULL;
  long long threads = 0, maxline = 0;
  int incremental = 1, full = 1, ran;
  double full_every = 86400, max_idle = 0, now = (double)time(NULL);
  const char *mode = "full";
  probe_result *res;
  probe_status status = PROBE_OK;
  char summary[512];

  memset(&o, 0, sizeof(o));
  h->conf_string(ctx, "source", &o.src.source);
  h->conf_string(ctx, "table", &o.src.table);
  h->conf_string(ctx, "column", &o.src.column);
  h->conf_bool(ctx, "incremental", &incremental);
  h->conf_duration(ctx, "full_every", &full_every);
  h->conf_duration(ctx, "max_idle", &max_idle);
  h->conf_int(ctx, "threads", &threads);
  h->conf_int(ctx, "max_line_bytes", &maxline);
  if(h->conf_string(ctx, "service_verify_url", &url) != 0)
    url = NULL;
  o.threads = (int)(threads > 0 && threads < 64 ? threads : 0);
  o.src.max_line = maxline > 0 ? (size_t)maxline : 0;
  o.src.timeout_s = h->time_left(ctx) > 1 ? h->time_left(ctx) - 0.5 : 1;
  target = lsrc_target(&o.src);
  res = h->result_begin(ctx, "ledger.chain", target ? target : "ledger");
  if(!o.src.source) {
    h->result_status(res, PROBE_UNKNOWN, "no ledger source configured");
    free(target);
    return h->result_emit(res);
  }
  /* a file (or stdin) and no service to ask: this run needs no socket */
  if(!url && !ppg_looks_like_conninfo(o.src.source) && psandbox_no_network() != 0)
    h->log(ctx, PROBE_LOG_WARNING, "cannot drop the network for this run");
  if(use_password_file(ctx, h) != 0) {
    h->result_status(res, PROBE_UNKNOWN, "cannot read password_file");
    free(target);
    return h->result_emit(res);
  }

  state_load(h, ctx, &st);
  if(st.valid && strcmp(st.source, target ? target : "") != 0)
    st.valid = 0; /* another ledger: start over */
  if(st.valid && incremental && strcmp(o.src.source, "-") != 0 &&
     (full_every <= 0 || now - st.last_full < full_every)) {
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
      mode = "full (checkpoint mismatch)";
    }
  }
  if(full) {
    o.expect = st.valid ? &st.cp : NULL;
    ran = lv_verify(&o, &r);
  }
  (void)ran;

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
  else
    snprintf(summary, sizeof(summary),
             "ledger intact: %" PRId64 " events, head seq %" PRId64 " (%s)",
             r.head.seq, r.head.seq, mode);

  /* throughput and idleness */
  if(!r.source_error) {
    int64_t appended = st.valid && r.head.seq >= st.prev_head
                           ? r.head.seq - st.prev_head
                           : -1;
    h->result_metric(res, "events", (double)r.head.seq);
    h->result_metric(res, "head_seq", (double)r.head.seq);
    h->result_metric(res, "verified_events", (double)r.events);
    h->result_metric(res, "bytes", (double)r.bytes);
    h->result_metric(res, "anchors_checked", (double)r.anchors);
    if(appended >= 0) {
      h->result_metric(res, "appended_events", (double)appended);
      if(st.last_run > 0 && now > st.last_run)
        h->result_metric(res, "append_rate_per_minute",
                         (double)appended * 60.0 / (now - st.last_run));
    }
    if(r.head.seq > 0) {
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
        if(now - t >= max_idle) {
          status = PROBE_CRITICAL;
          snprintf(summary, sizeof(summary),
                   "no new event for %.0f s (max_idle %.0f s), head seq %" PRId64,
                   now - t, max_idle, r.head.seq);
          h->result_detail_string(res, "reason", "idle");
        }
      }
    }
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
  h->result_status(res, status, "%s", summary);
  h->result_emit(res);

  /* remember: the head when intact; otherwise keep the old checkpoint so
   * that the failure stays visible */
  if(!r.source_error) {
    nst = st;
    snprintf(nst.source, sizeof(nst.source), "%s", target ? target : "");
    nst.last_run = now;
    if(r.reason == LV_OK && r.head.seq > 0 && strcmp(o.src.source, "-") != 0) {
      nst.cp = r.head;
      nst.prev_head = r.head.seq;
      if(full)
        nst.last_full = now;
      nst.valid = 1;
      state_save(h, ctx, &nst);
    }
    else if(st.valid)
      state_save(h, ctx, &nst);
  }
  free(target);
  return 0;
}

/* Checks the meaning of the settings (types are the agent's business). */
static int ledger_check_config(probe_ctx *ctx, const probe_host *h)
{
  const char *s;
  long long n;
  int bad = 0;
  if(h->conf_string(ctx, "source", &s) == 0 && !*s) {
    h->config_error(ctx, "source", "must not be empty");
    bad = 1;
  }
  if(h->conf_int(ctx, "threads", &n) == 0 && (n < 0 || n > 64)) {
    h->config_error(ctx, "threads", "must be 0..64");
    bad = 1;
  }
  if(h->conf_int(ctx, "max_line_bytes", &n) == 0 && n < 256) {
    h->config_error(ctx, "max_line_bytes", "must be at least 256");
    bad = 1;
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
