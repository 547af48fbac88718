/* SPDX-License-Identifier: Apache-2.0 */
/*
 * claims.c: the claims plugin, checks `claims.lifecycle`, `claims.trace`
 * and `claims.first`.
 *
 * Follows each claim's journey (ledger format section 4) from the stored
 * truth: the ledger's own events (read with the ledger plugin's source,
 * plugins/common/lsrc), the anchor plugin's confirmations file (which
 * events a confirmed anchor covers; the chain is never asked here) and,
 * when configured, MedLink's own table (read-only session, ids in batches
 * as one array parameter). The ledger is read incrementally: the state
 * holds the claims in flight, the finished ones the window may still count
 * and the position of the last event read (offset, line, seq and hash);
 * a position whose event is no longer there (a rollback or rewrite) makes
 * the run start over from the top, and the line says so. Which claims are
 * kept depends only on the events (cstore.h), so incremental runs give the
 * numbers of a full pass.
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

#include "lib/dbuf.h"
#include "plugins/claims/cjudge.h"
#include "plugins/claims/cstore.h"
#include "plugins/common/lsrc.h"
#include "plugins/common/pkit.h"
#include "plugins/common/pledger_settings.h"
#include "plugins/common/ppg.h"
#include "plugins/common/pstate.h"
#include "plugins/common/putil.h"
#include "plugins/common/pverdict.h"
#include "probe-plugin.h"
#include "plugins/common/psandbox.h"

#define STATE_FILE "claims.state"
#define STATE_VERSION "2" /* 2: binary body (cstore_save) */
#define STATE_MAX ((size_t)1 << 30)
#define ANCHOR_FILE "confirmed.json"

static const probe_setting claims_settings[] = {
    PLEDGER_SOURCE_SETTINGS,
    {"incremental", PROBE_SET_BOOL, "true", 0,
     "read only what was appended since the last run"},
    {"window", PROBE_SET_DURATION, "\"15m\"", 0,
     "the lifecycle metrics count what happened in this window"},
    {"stuck_after", PROBE_SET_DURATION, "\"15m\"", 0,
     "a claim not complete this long after its submission is stuck"},
    {"callback_grace", PROBE_SET_DURATION, "\"5m\"", 0,
     "a decided claim without delivered (and arrived) callback this long is overdue"},
    {"anchor_grace", PROBE_SET_DURATION, "\"30m\"", 0,
     "a complete claim not anchored this long after completion is unanchored"},
    {"max_in_flight", PROBE_SET_INT, "1000000", 0,
     "most claims in flight kept; past it the line is unknown"},
    {"p95_warning", PROBE_SET_NUMBER, "3", 0,
     "warning when lifecycle p95 exceeds this (s)"},
    {"p95_critical", PROBE_SET_NUMBER, "5", 0,
     "critical when lifecycle p95 exceeds this (s)"},
    {"callback_warning", PROBE_SET_NUMBER, "0.99", 0,
     "warning when callback_success_ratio is below this"},
    {"callback_critical", PROBE_SET_NUMBER, "0.95", 0,
     "critical when callback_success_ratio is below this"},
    {"failed_warning", PROBE_SET_INT, "3", 0,
     "warning at this many failed claims in the window"},
    {"failed_critical", PROBE_SET_INT, "10", 0,
     "critical at this many failed claims in the window"},
    {"claim_ids", PROBE_SET_LIST, "[]", 0,
     "claims to trace (e.g. the synthetic claim of cutover step 8)"},
    {"first", PROBE_SET_INT, "0", 0,
     "trace the first N non-synthetic claims submitted at or after since (step 11)"},
    {"since", PROBE_SET_STRING, NULL, 0, "RFC 3339 UTC time for first"},
    {"first_failed_critical", PROBE_SET_INT, "2", 0,
     "claims.first is critical when more than this many failed (rollback trigger)"},
    {"anchor_state", PROBE_SET_STRING, NULL, 0,
     "the anchor plugin's state directory (default: sibling \"anchor\" of this one)"},
    {"medlink_conninfo", PROBE_SET_STRING, NULL, PROBE_SETTING_SECRET,
     "MedLink's PostgreSQL conninfo/URI (optional)"},
    {"password_file", PROBE_SET_STRING, NULL,
     PROBE_SETTING_FILE | PROBE_SETTING_SECRET,
     "MedLink: file holding the database password"},
    {"medlink_table", PROBE_SET_STRING, "\"claims\"", 0,
     "MedLink: the claims table"},
    {"medlink_id_column", PROBE_SET_STRING, "\"itrans_claim_id\"", 0,
     "MedLink: column holding the iTrans claim id"},
    {"medlink_status_column", PROBE_SET_STRING, "\"status\"", 0,
     "MedLink: status column"},
    {"medlink_updated_column", PROBE_SET_STRING, "\"updated_at\"", 0,
     "MedLink: when the row last changed"},
    {"medlink_done_values", PROBE_SET_LIST,
     "[\"adjudicated\",\"approved\",\"denied\",\"rejected\"]", 0,
     "MedLink: statuses that mean the callback arrived"},
    {"medlink_batch", PROBE_SET_INT, "1000", 0, "MedLink: ids per query"},
    {"id_prefix", PROBE_SET_STRING, "\"claim-\"", 0,
     "aggregate_id prefix of claims"},
    {"type_submitted", PROBE_SET_STRING, "\"ClaimSubmitted\"", 0, "event type"},
    {"type_validated", PROBE_SET_STRING, "\"ClaimValidated\"", 0, "event type"},
    {"type_adjudicated", PROBE_SET_STRING, "\"ClaimAdjudicated\"", 0,
     "event type"},
    {"type_rejected", PROBE_SET_STRING, "\"ClaimRejected\"", 0, "event type"},
    {"type_failed", PROBE_SET_STRING, "\"ClaimFailed\"", 0, "event type"},
    {"type_callback_delivered", PROBE_SET_STRING, "\"CallbackDelivered\"", 0,
     "event type"},
    {"type_callback_failed", PROBE_SET_STRING, "\"CallbackFailed\"", 0,
     "event type"},
    {"member_synthetic", PROBE_SET_STRING, "\"synthetic\"", 0,
     "payload member"},
    {"member_decision", PROBE_SET_STRING, "\"decision\"", 0, "payload member"},
    {"member_final", PROBE_SET_STRING, "\"final\"", 0, "payload member"},
    PLEDGER_MAX_LINE_SETTING,
    {NULL, 0, NULL, 0, NULL}};

/* The run's settings (strings live until pkit_free(&kit)). */
typedef struct cconf {
  pkit kit;
  lsrc_options src;
  cstore_conf sc;
  int incremental;
  double window, stuck_after, cb_grace, anchor_grace;
  long long max_in_flight, failed_warn, failed_crit, first_failed_crit;
  double p95_warn, p95_crit, cb_warn, cb_crit;
  const char *since_text, *anchor_state, *ml_conninfo, *ml_table, *ml_id,
      *ml_status, *ml_updated, *ml_pwfile;
  long long ml_batch;
  char **pins;
  size_t npin;
  char **done_values;
  size_t ndone;
  char fp[256]; /* what the kept claims depend on */
} cconf;

/* The position of the last event read. */
typedef struct cpos {
  uint64_t offset, line;
  int64_t seq;
  char hash[65];
} cpos;

/* RFC 3339 UTC with milliseconds. */
static void iso_ms(double t, char *buf, size_t len)
{
  struct tm tm;
  time_t s = (time_t)floor(t);
  int ms = (int)llround((t - floor(t)) * 1000);
  if(ms >= 1000) {
    s++;
    ms -= 1000;
  }
  size_t l;
  gmtime_r(&s, &tm);
  if(ms < 0)
    ms = 0;
  if(ms > 999)
    ms = 999;
  l = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + l, len - l, ".%03dZ", ms);
}

/* A JSON array of strings from a setting, malloc'd; -1 when not one. */
static int string_list(const probe_host *h, probe_ctx *ctx, const char *key,
                       char ***out, size_t *n)
{
  const char *js;
  cJSON *j, *x;
  size_t i = 0;
  *out = NULL;
  *n = 0;
  if(h->conf_json(ctx, key, &js) != 0)
    return 0;
  j = cJSON_Parse(js);
  if(!cJSON_IsArray(j)) {
    cJSON_Delete(j);
    return -1;
  }
  *out = calloc((size_t)cJSON_GetArraySize(j) + 1, sizeof(char *));
  if(!*out) {
    cJSON_Delete(j);
    return -1;
  }
  cJSON_ArrayForEach(x, j) {
    if(!cJSON_IsString(x) || !((*out)[i] = strdup(x->valuestring))) {
      while(i > 0)
        free((*out)[--i]);
      free(*out);
      *out = NULL;
      cJSON_Delete(j);
      return -1;
    }
    i++;
  }
  *n = i;
  cJSON_Delete(j);
  return 0;
}

/* Frees a string_list. */
static void free_list(char **l, size_t n)
{
  size_t i;
  for(i = 0; l && i < n; i++)
    free(l[i]);
  free(l);
}

/* Reads the settings into c. 0, or -1 with why (misconfigured). */
static int conf_read(probe_ctx *ctx, const probe_host *h, cconf *c, char *why,
                     size_t whylen)
{
  long long first = 0;
  const char *s;
  size_t i, l;
  pkit *k = &c->kit;
  memset(c, 0, sizeof(*c));
  pkit_init(k, ctx, h, claims_settings);
  pledger_settings_read(k, &c->src);
  c->incremental = pkit_bool(k, "incremental");
  c->window = pkit_duration(k, "window");
  c->stuck_after = pkit_duration(k, "stuck_after");
  c->cb_grace = pkit_duration(k, "callback_grace");
  c->anchor_grace = pkit_duration(k, "anchor_grace");
  c->max_in_flight = pkit_int(k, "max_in_flight");
  c->p95_warn = pkit_number(k, "p95_warning");
  c->p95_crit = pkit_number(k, "p95_critical");
  c->cb_warn = pkit_number(k, "callback_warning");
  c->cb_crit = pkit_number(k, "callback_critical");
  c->failed_warn = pkit_int(k, "failed_warning");
  c->failed_crit = pkit_int(k, "failed_critical");
  c->first_failed_crit = pkit_int(k, "first_failed_critical");
  first = pkit_int(k, "first");
  c->since_text = pkit_opt(k, "since");
  c->anchor_state = pkit_opt(k, "anchor_state");
  c->ml_conninfo = pkit_opt(k, "medlink_conninfo");
  c->ml_pwfile = pkit_opt(k, "password_file");
  c->ml_table = pkit_str(k, "medlink_table");
  c->ml_id = pkit_str(k, "medlink_id_column");
  c->ml_status = pkit_str(k, "medlink_status_column");
  c->ml_updated = pkit_str(k, "medlink_updated_column");
  c->ml_batch = pkit_int(k, "medlink_batch");
  if(c->ml_batch < 1 || c->ml_batch > 100000)
    c->ml_batch = (long long)pkit_default(k, "medlink_batch");
  c->sc.id_prefix = pkit_str(k, "id_prefix");
  c->sc.t_sub = pkit_str(k, "type_submitted");
  c->sc.t_val = pkit_str(k, "type_validated");
  c->sc.t_adj = pkit_str(k, "type_adjudicated");
  c->sc.t_rej = pkit_str(k, "type_rejected");
  c->sc.t_fail = pkit_str(k, "type_failed");
  c->sc.t_cb_ok = pkit_str(k, "type_callback_delivered");
  c->sc.t_cb_fail = pkit_str(k, "type_callback_failed");
  c->sc.m_synth = pkit_str(k, "member_synthetic");
  c->sc.m_decision = pkit_str(k, "member_decision");
  c->sc.m_final = pkit_str(k, "member_final");
  if(string_list(h, ctx, "claim_ids", &c->pins, &c->npin) != 0) {
    snprintf(why, whylen, "claim_ids must be a list of strings");
    return -1;
  }
  if(string_list(h, ctx, "medlink_done_values", &c->done_values, &c->ndone) !=
     0) {
    snprintf(why, whylen, "medlink_done_values must be a list of strings");
    return -1;
  }
  if(first < 0 || first > 100000) {
    snprintf(why, whylen, "first must be 0..100000");
    return -1;
  }
  c->sc.first = (uint32_t)first;
  c->sc.since = 0;
  if(first > 0) {
    if(!c->since_text || (c->sc.since = cst_parse_ts(c->since_text)) < 0) {
      snprintf(why, whylen, "first needs since, an RFC 3339 UTC time");
      return -1;
    }
  }
  c->sc.pin_ids = (const char *const *)c->pins;
  c->sc.npin = c->npin;
  c->sc.retain = c->window + (c->anchor_grace > c->cb_grace ? c->anchor_grace
                                                            : c->cb_grace);
  /* the fingerprint: what decides which claims the state holds */
  l = (size_t)snprintf(c->fp, sizeof(c->fp), "%.3f/%u/%.3f/%zu", c->sc.retain,
                       c->sc.first, c->sc.since, c->npin);
  for(i = 0; i < c->npin && l < sizeof(c->fp); i++)
    l += (size_t)snprintf(c->fp + l, sizeof(c->fp) - l, "/%s", c->pins[i]);
  s = c->sc.id_prefix;
  if(l < sizeof(c->fp))
    snprintf(c->fp + l, sizeof(c->fp) - l, "/%s/%s/%s/%s/%s/%s/%s/%s/%s/%s/%s",
             s, c->sc.t_sub, c->sc.t_val, c->sc.t_adj, c->sc.t_rej,
             c->sc.t_fail, c->sc.t_cb_ok, c->sc.t_cb_fail, c->sc.m_synth,
             c->sc.m_decision, c->sc.m_final);
  return 0;
}

/* FNV-1a of the fingerprint as 16 hex digits (state files hold words). */
static void fp_hex(const char *fp, char out[17])
{
  uint64_t h = 1469598103934665603ull;
  while(*fp) {
    h ^= (unsigned char)*fp++;
    h *= 1099511628211ull;
  }
  snprintf(out, 17, "%016" PRIx64, h);
}

/* Loads the state: 1 with store and position filled when usable, 0 when
 * there is none (or it is for another source or other settings: *why says
 * so), -1 when it was refused or unreadable (*why). */
static int state_load(const probe_host *h, probe_ctx *ctx, const cconf *cf,
                      const char *target, cstore *st, cpos *pos, char *why,
                      size_t whylen)
{
  const char *dir = h->state_dir(ctx);
  char *text = NULL, *body, src[1024], fp[32], fph[17], ver[32];
  size_t len = 0;
  int rc, n = 0;
  if(!dir)
    return 0;
  rc = pstate_read(dir, STATE_FILE, STATE_MAX, &text, &len);
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
  memset(pos, 0, sizeof(*pos));
  if(!strncmp(text, "claims-state 1 ", 15)) {
    /* the text body of earlier versions: read once more from the top */
    snprintf(why, whylen, "the state is of an earlier format");
    free(text);
    return 0;
  }
  body = strstr(text, "\n--\n");
  if(!body ||
     sscanf(text,
            "%31s " STATE_VERSION " %1023s %31s %" SCNu64 " %" SCNu64
            " %" SCNd64 " %64s%n",
            ver, src, fp, &pos->offset, &pos->line, &pos->seq, pos->hash,
            &n) != 7 ||
     strcmp(ver, "claims-state") != 0 || text + n != body ||
     strlen(pos->hash) != 64 || pos->seq < 1) {
    snprintf(why, whylen, "%s/%s is not a claims state", dir, STATE_FILE);
    free(text);
    return -1;
  }
  body += 4;
  fp_hex(cf->fp, fph);
  {
    /* the target is stored as one word: spaces as %20 (cstore's escape) */
    char tw[1024];
    size_t i, o = 0;
    for(i = 0; target[i] && o + 4 < sizeof(tw); i++)
      if((unsigned char)target[i] <= ' ' || target[i] == '%')
        o += (size_t)snprintf(tw + o, sizeof(tw) - o, "%%%02X",
                              (unsigned char)target[i]);
      else
        tw[o++] = target[i];
    tw[o] = 0;
    if(strcmp(tw, src) != 0) {
      snprintf(why, whylen, "the state is of another source");
      free(text);
      return 0;
    }
  }
  if(strcmp(fp, fph) != 0) {
    snprintf(why, whylen, "settings that decide which claims are kept changed");
    free(text);
    return 0;
  }
  if(cstore_load(st, body, len - (size_t)(body - text), why, whylen) != 0) {
    free(text);
    return -1;
  }
  free(text);
  return 1;
}

/* Writes the state atomically. 0, 1 without a state directory, -1 (why). */
static int state_save(const probe_host *h, probe_ctx *ctx, const cconf *cf,
                      const char *target, const cstore *st, const cpos *pos,
                      char *why, size_t whylen)
{
  const char *dir = h->state_dir(ctx);
  char *body = NULL, *all, head[1400], fph[17], tw[1024];
  size_t blen = 0, hl, i, o = 0;
  int rc;
  if(!dir)
    return 1;
  for(i = 0; target[i] && o + 4 < sizeof(tw); i++)
    if((unsigned char)target[i] <= ' ' || target[i] == '%')
      o += (size_t)snprintf(tw + o, sizeof(tw) - o, "%%%02X",
                            (unsigned char)target[i]);
    else
      tw[o++] = target[i];
  tw[o] = 0;
  fp_hex(cf->fp, fph);
  hl = (size_t)snprintf(head, sizeof(head),
                        "claims-state " STATE_VERSION " %s %s %" PRIu64
                        " %" PRIu64 " %" PRId64 " %s\n--\n",
                        tw[0] ? tw : "-", fph, pos->offset, pos->line, pos->seq,
                        pos->hash);
  if(cstore_save(st, &body, &blen) != 0 || !(all = malloc(hl + blen))) {
    free(body);
    snprintf(why, whylen, "out of memory");
    return -1;
  }
  memcpy(all, head, hl);
  memcpy(all + hl, body, blen);
  free(body);
  /* one fsync: a rename lost in a crash leaves the previous state, an
   * earlier position with the table of that position, as good to resume */
  rc = pstate_write_flags(dir, STATE_FILE, all, hl + blen, PSTATE_NO_DIR_SYNC);
  if(rc != 0)
    snprintf(why, whylen, "cannot write %s/%s: %s", dir, STATE_FILE,
             strerror(errno));
  free(all);
  return rc;
}

/* Reads the anchor plugin's confirmations (anchor-confirmed format). */
static void anchors_load(const probe_host *h, probe_ctx *ctx, const cconf *cf,
                         double now, anchors *a)
{
  char dir[1024], *text = NULL;
  size_t len = 0;
  const char *sd = h->state_dir(ctx);
  cJSON *j = NULL, *x, *e;
  double up;
  int rc;
  memset(a, 0, sizeof(*a));
  if(cf->anchor_state)
    snprintf(dir, sizeof(dir), "%s", cf->anchor_state);
  else if(sd) {
    const char *sl = strrchr(sd, '/');
    if(sl)
      snprintf(dir, sizeof(dir), "%.*s/anchor", (int)(sl - sd), sd);
    else
      snprintf(dir, sizeof(dir), "anchor");
  }
  else {
    snprintf(a->why, sizeof(a->why),
             "no state directory to find the anchor "
             "plugin's confirmations");
    return;
  }
  rc = pstate_read(dir, ANCHOR_FILE, 4u << 20, &text, &len);
  if(rc != 0) {
    snprintf(a->why, sizeof(a->why), "%s %s/%s%s%s",
             rc > 0 ? "no anchor confirmations at" : "cannot use", dir,
             ANCHOR_FILE, rc > 0 ? " (is the anchor plugin running?)" : ": ",
             rc > 0 ? "" : strerror(errno));
    return;
  }
  j = cJSON_ParseWithLength(text, len);
  free(text);
  x = cJSON_GetObjectItemCaseSensitive(j, "version");
  if(!cJSON_IsObject(j) || !cJSON_IsNumber(x) || x->valuedouble != 1) {
    snprintf(a->why, sizeof(a->why), "%s/%s: not version 1 JSON", dir,
             ANCHOR_FILE);
    goto out;
  }
  x = cJSON_GetObjectItemCaseSensitive(j, "updated_at");
  up = cJSON_IsString(x) ? cst_parse_ts(x->valuestring) : -1;
  if(up < 0) {
    snprintf(a->why, sizeof(a->why), "%s/%s: no updated_at", dir, ANCHOR_FILE);
    goto out;
  }
  if(up > now + 5) {
    snprintf(a->why, sizeof(a->why),
             "%s/%s is stale: updated_at lies in the future", dir, ANCHOR_FILE);
    goto out;
  }
  x = cJSON_GetObjectItemCaseSensitive(j, "covered_seq");
  if(!cJSON_IsNumber(x) || putil_exact_int(x->valuedouble, &a->covered) != 0 ||
     a->covered < 0) {
    snprintf(a->why, sizeof(a->why), "%s/%s: no covered_seq", dir, ANCHOR_FILE);
    goto out;
  }
  x = cJSON_GetObjectItemCaseSensitive(j, "tx_hash");
  if(cJSON_IsString(x))
    snprintf(a->tx, sizeof(a->tx), "%s", x->valuestring);
  x = cJSON_GetObjectItemCaseSensitive(j, "block_time");
  if(cJSON_IsString(x))
    snprintf(a->block_time, sizeof(a->block_time), "%s", x->valuestring);
  x = cJSON_GetObjectItemCaseSensitive(j, "anchors");
  if(cJSON_IsArray(x) && cJSON_GetArraySize(x) > 0 &&
     cJSON_GetArraySize(x) <= 1000) {
    a->list = calloc((size_t)cJSON_GetArraySize(x), sizeof(*a->list));
    if(a->list)
      cJSON_ArrayForEach(e, x) {
        cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "from_seq");
        cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "to_seq");
        cJSON *tx = cJSON_GetObjectItemCaseSensitive(e, "tx_hash");
        if(cJSON_IsNumber(f) && cJSON_IsNumber(t) && cJSON_IsString(tx) &&
           putil_exact_int(f->valuedouble, &a->list[a->n].from) == 0 &&
           putil_exact_int(t->valuedouble, &a->list[a->n].to) == 0) {
          snprintf(a->list[a->n].tx, sizeof(a->list[a->n].tx), "%s",
                   tx->valuestring);
          a->n++;
        }
      }
  }
  a->known = 1;
out:
  cJSON_Delete(j);
}

/* Appends s to a PostgreSQL text[] literal being built in b (after its
 * "{"), quoted and escaped. */
static int arr_add(dbuf *b, const char *s)
{
  int bad = 0;
  if(b->len > 1)
    bad |= dbuf_addc(b, ',');
  bad |= dbuf_addc(b, '"');
  for(; *s && !bad; s++) {
    if(*s == '"' || *s == '\\')
      bad |= dbuf_addc(b, '\\');
    bad |= dbuf_addc(b, *s);
  }
  bad |= dbuf_addc(b, '"');
  return bad ? -1 : 0;
}

/* The text[] literal of ids[i..end-1] in arr (emptied first, its memory
 * reused), marking their rows asked. 0, or -1 out of memory. */
static int batch_literal(claim **ids, size_t i, size_t end, mlrow *rows,
                         dbuf *arr)
{
  size_t k;
  dbuf_reset(arr);
  if(dbuf_addc(arr, '{') != 0)
    return -1;
  for(k = i; k < end; k++) {
    if(arr_add(arr, ids[k]->id) != 0)
      return -1;
    rows[k].asked = 1;
  }
  return dbuf_addc(arr, '}');
}

/* Fills rows[i..end-1] from one batch's result (id, status, updated). */
static void batch_rows(const cconf *cf, const PGresult *res, claim **ids,
                       size_t i, size_t end, mlrow *rows)
{
  int r, nt = sym_PQntuples(res);
  for(r = 0; r < nt; r++) {
    const char *id = sym_PQgetvalue(res, r, 0);
    const char *stv = sym_PQgetvalue(res, r, 1);
    size_t d, k;
    for(k = i; k < end; k++)
      if(!strcmp(ids[k]->id, id))
        break;
    if(k == end)
      continue;
    rows[k].found = 1;
    snprintf(rows[k].status, sizeof(rows[k].status), "%s",
             sym_PQgetisnull(res, r, 1) ? "" : stv);
    snprintf(rows[k].updated, sizeof(rows[k].updated), "%s",
             sym_PQgetisnull(res, r, 2) ? "" : sym_PQgetvalue(res, r, 2));
    for(d = 0; d < cf->ndone; d++)
      if(!sym_PQgetisnull(res, r, 1) && !strcmp(stv, cf->done_values[d]))
        rows[k].done = 1;
  }
}

/* Asks MedLink for the rows of the claims in ids (batches of ml_batch,
 * `id = ANY($1)`), filling rows[i]. 0, or -1 with err. */
static int medlink_read(const cconf *cf, double timeout, claim **ids, size_t n,
                        mlrow *rows, char *err, size_t errlen)
{
  PGconn *conn;
  char *qt = NULL, *qi = NULL, *qs = NULL, *qu = NULL, *sql = NULL;
  dbuf arr;
  size_t i = 0;
  int rc = -1;
  dbuf_init(&arr, 0);
  conn =
      ppg_connect_pwfile(cf->ml_conninfo, cf->ml_pwfile, timeout, err, errlen);
  if(!conn)
    return -1;
  qt = ppg_quote_qualified(conn, cf->ml_table);
  qi = sym_PQescapeIdentifier(conn, cf->ml_id, strlen(cf->ml_id));
  qs = sym_PQescapeIdentifier(conn, cf->ml_status, strlen(cf->ml_status));
  qu = sym_PQescapeIdentifier(conn, cf->ml_updated, strlen(cf->ml_updated));
  if(!qt || !qi || !qs || !qu) {
    putil_seterr(err, errlen, "cannot quote MedLink's table or column names");
    goto out;
  }
  if(asprintf(&sql,
              "SELECT %s::text, %s::text, to_char(%s AT TIME ZONE 'UTC', "
              "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM %s WHERE %s = ANY($1)",
              qi, qs, qu, qt, qi) < 0) {
    sql = NULL;
    putil_seterr(err, errlen, "out of memory");
    goto out;
  }
  while(i < n) {
    const char *pv[1];
    PGresult *res;
    size_t end = i + (size_t)cf->ml_batch < n ? i + (size_t)cf->ml_batch : n;
    if(batch_literal(ids, i, end, rows, &arr) != 0) {
      putil_seterr(err, errlen, "out of memory");
      goto out;
    }
    pv[0] = arr.data;
    res = sym_PQexecParams(conn, sql, 1, NULL, pv, NULL, NULL, 0);
    if(sym_PQresultStatus(res) != PGRES_TUPLES_OK) {
      ppg_error(conn, res, err, errlen);
      sym_PQclear(res);
      goto out;
    }
    batch_rows(cf, res, ids, i, end, rows);
    sym_PQclear(res);
    i = end;
  }
  rc = 0;
out:
  dbuf_free(&arr);
  free(sql);
  free(qt);
  if(qi)
    sym_PQfreemem(qi);
  if(qs)
    sym_PQfreemem(qs);
  if(qu)
    sym_PQfreemem(qu);
  sym_PQfinish(conn);
  return rc;
}

/* Emits a cJSON value as a detail and frees it. */
static void detail_json(const probe_host *h, probe_result *r, const char *key,
                        cJSON *v)
{
  char *t = v ? cJSON_PrintUnformatted(v) : NULL;
  if(t)
    h->result_detail_json(r, key, t);
  free(t);
  cJSON_Delete(v);
}

/* The result of one claim's trace. */
typedef struct trace {
  probe_status st;
  char missing[40];
  char why[1600];
} trace;

/* A traced claim's stages, times and oddities as details of r. */
static void trace_details(const probe_host *h, probe_result *r, const claim *c,
                          const mlrow *ml)
{
  char b[40];
  if(c->sub > 0) {
    iso_ms(c->sub, b, sizeof(b));
    h->result_detail_string(r, "submitted_at", b);
  }
  if(c->val > 0) {
    iso_ms(c->val, b, sizeof(b));
    h->result_detail_string(r, "validated_at", b);
  }
  if(c->dec > 0) {
    iso_ms(c->dec, b, sizeof(b));
    h->result_detail_string(r, "decided_at", b);
    h->result_detail_string(r, "decision", c->decision);
  }
  if(c->del > 0) {
    iso_ms(c->del, b, sizeof(b));
    h->result_detail_string(r, "callback_delivered_at", b);
  }
  if(c->fail > 0) {
    iso_ms(c->fail, b, sizeof(b));
    h->result_detail_string(r, "failed_at", b);
  }
  if(c->flags & CL_SYNTH)
    h->result_detail_bool(r, "synthetic", 1);
  if(c->dups)
    h->result_detail_number(r, "duplicate_submissions", c->dups);
  if(c->cb_fails)
    h->result_detail_number(r, "callback_failures", c->cb_fails);
  if(c->flags & (CL_OOO_CB | CL_OOO_DEC))
    h->result_detail_string(r, "out_of_order",
                            c->flags & CL_OOO_CB ? "callback before decision"
                                                 : "event before submission");
  if(c->nx) {
    cJSON *arr = cJSON_CreateArray();
    unsigned i;
    for(i = 0; arr && i < c->nx; i++) {
      cJSON *o = cJSON_CreateObject();
      iso_ms(c->x[i].ts, b, sizeof(b));
      cJSON_AddStringToObject(o, "type", c->x[i].type);
      cJSON_AddStringToObject(o, "ts", b);
      cJSON_AddNumberToObject(o, "seq", (double)c->x[i].seq);
      cJSON_AddItemToArray(arr, o);
    }
    detail_json(h, r, "other_events", arr);
  }
  if(ml && ml->asked) {
    h->result_detail_bool(r, "medlink_row", ml->found);
    if(ml->found) {
      h->result_detail_string(r, "medlink_status", ml->status);
      if(ml->done && ml->updated[0])
        h->result_detail_string(r, "arrived_at", ml->updated);
    }
  }
}

/* The first stage a traced claim misses and what that makes of it (t);
 * returns the stage, or NULL when it is complete (or failed: t says so). */
static const char *trace_judge(const cconf *cf, const claim *c, const char *id,
                               const mlrow *ml, const anchors *an, int anch,
                               double now, trace *t)
{
  const char *m = NULL;
  double since_t = 0, grace = 0;
  if(claim_failed(c)) {
    t->st = PROBE_CRITICAL;
    snprintf(t->missing, sizeof(t->missing), "%s",
             c->flags & CL_FAIL_CLAIM ? "decided" : "callback_delivered");
    snprintf(t->why, sizeof(t->why), "claim %s failed (%s)", id,
             c->flags & CL_FAIL_CLAIM ? "ClaimFailed"
                                      : "final CallbackFailed: dead letter");
    return NULL;
  }
  if(c->sub <= 0)
    m = "submitted";
  else if(c->dec <= 0 && c->val <= 0)
    m = "validated", since_t = c->sub, grace = cf->stuck_after;
  else if(c->dec <= 0)
    m = "decided", since_t = c->sub, grace = cf->stuck_after;
  else if(!claim_complete(c))
    m = "callback_delivered", since_t = c->dec, grace = cf->cb_grace;
  else if(ml && ml->asked && !ml->done)
    m = "arrived", since_t = c->del, grace = cf->cb_grace;
  else if(!an->known)
    m = "anchored";
  else if(!anch)
    m = "anchored", since_t = c->del, grace = cf->anchor_grace;
  if(!m) {
    t->st = PROBE_OK;
    snprintf(t->why, sizeof(t->why), "claim %s complete in %.3f s%s, anchored",
             id, cj_latency(c), ml && ml->asked ? ", arrived in MedLink" : "");
  }
  else {
    snprintf(t->missing, sizeof(t->missing), "%s", m);
    if(!strcmp(m, "submitted")) {
      t->st = PROBE_CRITICAL;
      snprintf(t->why, sizeof(t->why),
               "claim %s has events but no submission (out of order)", id);
    }
    else if(!strcmp(m, "anchored") && !an->known) {
      t->st = PROBE_UNKNOWN;
      snprintf(t->why, sizeof(t->why),
               "claim %s complete; anchored unknown: %s", id, an->why);
    }
    else if(now - since_t <= grace) {
      t->st = PROBE_WARNING;
      snprintf(t->why, sizeof(t->why),
               "claim %s waits for %s (%.0f s of %.0f s grace)", id, m,
               now - since_t, grace);
    }
    else {
      t->st = PROBE_CRITICAL;
      snprintf(t->why, sizeof(t->why),
               "claim %s: %s missing %.0f s, past its %.0f s grace", id, m,
               now - since_t, grace);
    }
  }
  return m;
}

/* Judges one claim for claims.trace and emits its line. */
static void trace_claim(probe_ctx *ctx, const probe_host *h, const cconf *cf,
                        const claim *c, const char *id, const mlrow *ml,
                        const anchors *an, double now, trace *t)
{
  probe_result *r = h->result_begin(ctx, "claims.trace", id);
  const char *tx = NULL, *m;
  int64_t to = 0;
  int anch;
  memset(t, 0, sizeof(*t));
  if(!c) {
    t->st = PROBE_WARNING;
    snprintf(t->missing, sizeof(t->missing), "submitted");
    snprintf(t->why, sizeof(t->why), "claim %s not (yet) in the ledger", id);
    h->result_detail_string(r, "missing_stage", t->missing);
    h->result_status(r, t->st, "%s", t->why);
    h->result_emit(r);
    return;
  }
  trace_details(h, r, c, ml);
  anch = claim_complete(c) && cj_anchored_by(an, c->done_seq, &tx, &to);
  if(anch) {
    h->result_detail_string(r, "anchored_tx", tx);
    h->result_detail_number(r, "anchored_seq", (double)to);
  }
  if(claim_complete(c) && c->sub > 0)
    h->result_metric(r, "latency_seconds", cj_latency(c));
  /* the first missing stage */
  m = trace_judge(cf, c, id, ml, an, anch, now, t);
  if(m)
    h->result_detail_string(r, "missing_stage", m);
  h->result_status(r, t->st, "%s", t->why);
  h->result_emit(r);
}

/* One run's settings, reading position, findings and verdict, handed from
 * phase to phase: read settings, load the position, scan the ledger,
 * gather MedLink's rows, judge, emit, remember. */
typedef struct crun {
  probe_ctx *ctx;
  const probe_host *h;
  cconf cf;
  cstore st;
  cpos pos, start;
  anchors an;
  pverdict v;
  const char *mode, *full_why;
  char *target;
  int have_state, resumed, bad, partial, stdin_src;
  uint64_t events;
  double now;
  claim **mlc; /* MedLink: the claims asked about, in the store's order */
  mlrow *mlr;
  size_t nml;
  cj_medlink ml;
  char why[600], load_why[600], state_err[600], mlerr[512];
} crun;

/* Starts over from the top: an empty store and no position. 0, or -1 out
 * of memory. */
static int start_over(crun *x)
{
  cstore_free(&x->st);
  memset(&x->pos, 0, sizeof(x->pos));
  return cstore_init(&x->st, &x->cf.sc);
}

/* The kept store and position, when the state is usable. 0, or -1 out of
 * memory. */
static int load_position(crun *x)
{
  int lr;
  if(x->stdin_src || !x->cf.incremental) {
    x->full_why = x->stdin_src ? "standard input" : "incremental=false";
    return 0;
  }
  lr = state_load(x->h, x->ctx, &x->cf, x->target, &x->st, &x->pos, x->load_why,
                  sizeof(x->load_why));
  if(lr > 0) {
    x->have_state = 1;
    return 0;
  }
  if(lr < 0)
    x->h->log(x->ctx, PROBE_LOG_WARNING, "%s", x->load_why);
  if(x->load_why[0])
    x->full_why = x->load_why;
  return start_over(x);
}

/* Opens the ledger at the kept position (or the top). 1 opened, 0 it
 * cannot be read (x->v says why), -1 out of memory. */
static int open_at(crun *x, lsrc **src)
{
  lsrc_options o = x->cf.src;
  char err[512];
  lsrc_code lc;
  for(;;) {
    if(x->have_state) {
      if(ppg_looks_like_conninfo(x->cf.src.source))
        o.from_seq = x->pos.seq;
      else {
        o.start_offset = x->pos.offset;
        o.start_line = x->pos.line;
      }
    }
    lc = lsrc_open(&o, src, err, sizeof(err));
    if(lc == LSRC_OK)
      return 1;
    if(!x->have_state || lc != LSRC_ERR_SEEK) {
      pverdict_add(&x->v, PROBE_UNKNOWN, "cannot read the ledger: %s", err);
      x->bad = 1;
      return 0;
    }
    x->have_state = 0;
    x->full_why = "the ledger is shorter than the last position "
                  "(rolled back or rewritten): started over";
    x->mode = "full (checkpoint mismatch)";
    if(start_over(x) != 0)
      return -1;
    o = x->cf.src;
  }
}

/* Whether the last event read is still there, unchanged (the source is at
 * the kept position). */
static int position_holds(crun *x, lsrc *src)
{
  lsrc_event e;
  cst_event ce;
  cstore scratch;
  int ok = 0;
  if(lsrc_next(src, &e) == LSRC_OK && e.terminated &&
     cstore_init(&scratch, &x->cf.sc) == 0) {
    if(cstore_apply(&scratch, e.text, e.len, &ce) != CST_PARSE &&
       ce.seq == x->pos.seq && !strcmp(ce.hash, x->pos.hash))
      ok = 1;
    cstore_free(&scratch);
  }
  return ok;
}

/* Opens the ledger where this run starts: at the kept position when its
 * event still holds, else from the top. As open_at. */
static int open_ledger(crun *x, lsrc **src)
{
  for(;;) {
    int rc = open_at(x, src);
    if(rc <= 0)
      return rc;
    x->start = x->pos;
    if(!x->have_state)
      return 1;
    if(position_holds(x, *src)) {
      x->resumed = 1;
      x->mode = "incremental";
      return 1;
    }
    lsrc_close(*src);
    *src = NULL;
    x->have_state = 0;
    x->full_why = "the last event read is no longer there unchanged "
                  "(ledger rolled back or rewritten): started over";
    x->mode = "full (checkpoint mismatch)";
    x->h->log(x->ctx, PROBE_LOG_INFO, "%s", x->full_why);
    if(start_over(x) != 0)
      return -1;
  }
}

/* The total a scan's progress is of: a file's size; for a table, its
 * bytes at the mean row size so far times its row estimate (less the rows
 * before from_seq), so that the percent is the share of rows read; -1 when
 * unknown or when the rows have outrun a stale estimate. */
static double scan_total(const lsrc *src, int64_t from_seq, uint64_t events)
{
  int64_t est;
  if(!lsrc_is_table(src))
    return (double)lsrc_file_size(src);
  est = lsrc_row_estimate(src);
  if(est > 0 && from_seq > 1)
    est -= from_seq - 1;
  if(est <= 0 || events == 0 || events > (uint64_t)est)
    return -1;
  return (double)lsrc_bytes(src) / (double)events * (double)est;
}

/* Progress of a long scan for the agent's updating line (issue 20): every
 * 64th event, so that the clock is read seldom; the host keeps it to a few
 * a second and shows it only on a terminal or with --progress. */
static void scan_progress(const crun *x, const lsrc *src)
{
  int64_t from = x->resumed && lsrc_is_table(src) ? x->start.seq : 0;
  if(x->events % 64 != 0 || !PROBE_HOST_HAS_PROGRESS(x->h))
    return;
  x->h->progress(x->ctx, (double)x->events, (double)lsrc_bytes(src),
                 scan_total(src, from, x->events));
}

/* Applies every event from the source's position on to the store. 0, or
 * -1 out of memory; a bad line or too many claims set x->bad. */
static int scan(crun *x, lsrc *src)
{
  lsrc_event e;
  lsrc_code lc;
  cst_event ev;
  for(;;) {
    cst_code cc;
    lc = lsrc_next(src, &e);
    if(lc == LSRC_EOF)
      break;
    if(lc != LSRC_OK) {
      pverdict_add(&x->v, PROBE_UNKNOWN,
                   "cannot read the ledger at line %" PRIu64 ": %s", e.line,
                   lsrc_error(src));
      x->bad = 1;
      break;
    }
    if(!e.terminated) {
      x->partial = 1; /* being written: read it next run */
      break;
    }
    cc = cstore_apply(&x->st, e.text, e.len, &ev);
    if(cc == CST_PARSE) {
      pverdict_add(&x->v, PROBE_UNKNOWN,
                   "ledger line %" PRIu64 " unreadable (%s); the ledger "
                   "plugin judges its integrity",
                   e.line, ev.why);
      x->bad = 1;
      snprintf(x->why, sizeof(x->why), "%s", ev.why);
      x->pos.line = e.line; /* for the details */
      break;
    }
    if(cc == CST_NOMEM)
      return -1;
    x->events++;
    scan_progress(x, src);
    x->pos.offset = e.offset;
    x->pos.line = e.line;
    x->pos.seq = ev.seq;
    memcpy(x->pos.hash, ev.hash, sizeof(x->pos.hash));
    if(ev.seq % CSTORE_SWEEP_EVERY == 0)
      cstore_sweep(&x->st);
    if((long long)x->st.in_flight > x->cf.max_in_flight) {
      pverdict_add(&x->v, PROBE_UNKNOWN,
                   "more than max_in_flight (%lld) claims in flight at seq "
                   "%" PRId64 ": not counted",
                   x->cf.max_in_flight, ev.seq);
      x->bad = 1;
      break;
    }
  }
  cstore_sweep(&x->st);
  return 0;
}

/* Whether MedLink is asked about c: delivered in the window, or traced. */
static int ml_wanted(const claim *c, double w0)
{
  return claim_complete(c) && (c->del >= w0 || (c->flags & CL_PINNED));
}

/* MedLink: the rows of the window's delivered claims and the traced ones.
 * 0, or -1 out of memory; a failed read is a finding in x->v. */
static int gather_medlink(crun *x)
{
  double w0 = x->now - x->cf.window, left = x->h->time_left(x->ctx);
  size_t cap = 0, b;
  claim *c;
  if(x->bad || !x->cf.ml_conninfo)
    return 0;
  for(b = 0; b < x->st.nb; b++)
    for(c = x->st.b[b]; c; c = c->next)
      cap += ml_wanted(c, w0);
  x->mlc = calloc(cap + 1, sizeof(*x->mlc));
  x->mlr = calloc(cap + 1, sizeof(*x->mlr));
  if(!x->mlc || !x->mlr)
    return -1;
  for(b = 0; b < x->st.nb; b++)
    for(c = x->st.b[b]; c; c = c->next)
      if(ml_wanted(c, w0))
        x->mlc[x->nml++] = c;
  x->ml.used = 1;
  if(x->nml == 0)
    x->ml.ok = 1;
  else if(medlink_read(&x->cf, left > 2 ? (left - 1) / 2 : 1, x->mlc, x->nml,
                       x->mlr, x->mlerr, sizeof(x->mlerr)) == 0)
    x->ml.ok = 1;
  else {
    pverdict_add(&x->v, PROBE_UNKNOWN, "cannot read MedLink's table: %s",
                 x->mlerr);
    memset(x->mlr, 0, (x->nml + 1) * sizeof(*x->mlr));
  }
  x->ml.c = x->mlc;
  x->ml.rows = x->mlr;
  x->ml.n = x->nml;
  return 0;
}

/* The judgement's settings out of the run's. */
static void judge_conf(const cconf *c, cj_conf *j)
{
  j->window = c->window;
  j->stuck_after = c->stuck_after;
  j->cb_grace = c->cb_grace;
  j->anchor_grace = c->anchor_grace;
  j->p95_warn = c->p95_warn;
  j->p95_crit = c->p95_crit;
  j->cb_warn = c->cb_warn;
  j->cb_crit = c->cb_crit;
  j->failed_warn = c->failed_warn;
  j->failed_crit = c->failed_crit;
}

/* The tally's metrics, in the order the line has always had them. */
static void emit_tally(const crun *x, const cj_tally *t, probe_result *res)
{
  const probe_host *h = x->h;
  h->result_metric(res, "claims_submitted", (double)t->submitted);
  h->result_metric(res, "claims_completed", (double)t->completed);
  h->result_metric(res, "claims_failed", (double)t->failed);
  h->result_metric(res, "claims_in_flight", (double)x->st.in_flight);
  h->result_metric(res, "claims_stuck", (double)t->stuck);
  h->result_metric(res, "duplicate_submissions", (double)t->dups);
  h->result_metric(res, "out_of_order", (double)t->ooo);
  h->result_metric(res, "events_read", (double)x->events);
  h->result_metric(res, "claims_kept", (double)x->st.n);
  if(t->nlat) {
    h->result_metric(res, "lifecycle_p50_seconds", t->p50);
    h->result_metric(res, "lifecycle_p95_seconds", t->p95);
    h->result_metric(res, "lifecycle_p99_seconds", t->p99);
  }
  if(!x->ml.used || x->ml.ok) {
    h->result_metric(res, "callbacks_due", (double)cj_callbacks_due(t));
    if(cj_callbacks_due(t) > 0)
      h->result_metric(res, "callback_success_ratio", cj_callback_ratio(t));
    else
      h->result_detail_string(res, "callback_success_ratio_unavailable",
                              "no callback due in the window");
    h->result_metric(res, "callbacks_overdue", (double)t->cb_overdue);
    h->result_metric(res, "callbacks_final_failed", (double)t->cb_final);
    if(x->ml.used)
      h->result_metric(res, "callbacks_not_arrived", (double)t->cb_lag);
  }
  if(x->an.known) {
    h->result_metric(res, "claims_unanchored", (double)t->unanch);
    h->result_metric(res, "anchor_covered_seq", (double)x->an.covered);
  }
  else
    h->result_detail_string(res, "anchored_unknown", x->an.why);
}

/* The thresholds cj_judge applied to the tally's metrics, for Nagios
 * perfdata (the metrics must be on the line already: emit_tally). ">= N"
 * is "above N - 1"; the callback ratio alerts below (warn > crit). */
static void emit_thresholds(const crun *x, const cj_tally *t, probe_result *res)
{
  const probe_host *h = x->h;
  const cconf *c = &x->cf;
  if(!PROBE_HOST_HAS_THRESHOLD(h))
    return;
  h->result_threshold(res, "claims_failed", (double)c->failed_warn - 1,
                      (double)c->failed_crit - 1);
  h->result_threshold(res, "claims_stuck", 0, NAN);
  if(t->nlat)
    h->result_threshold(res, "lifecycle_p95_seconds", c->p95_warn, c->p95_crit);
  if((!x->ml.used || x->ml.ok) && cj_callbacks_due(t) > 0)
    h->result_threshold(res, "callback_success_ratio", c->cb_warn, c->cb_crit);
  if(x->an.known)
    h->result_threshold(res, "claims_unanchored", 0, NAN);
}

/* The tally's lists of claim ids, each when it is not empty. */
static void emit_lists(const crun *x, cj_tally *t, probe_result *res)
{
  static const struct {
    int list;
    const char *key;
  } keys[] = {{CJ_STUCK, "stuck"},
              {CJ_FAILED, "failed"},
              {CJ_OOO, "out_of_order"},
              {CJ_OVERDUE, "callbacks_overdue"},
              {CJ_UNANCHORED, "unanchored"},
              {CJ_NOT_ARRIVED, "not_arrived"},
              {CJ_DUPS, "duplicate_submissions"}};
  size_t k;
  if(t->ooo > 0)
    x->h->result_detail_string(res, "out_of_order_meaning",
                               "events of a claim in an impossible order "
                               "(callback before decision, decision before "
                               "submission)");
  for(k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
    cJSON *l = t->list[keys[k].list];
    t->list[keys[k].list] = NULL;
    if(cJSON_GetArraySize(l) > 0)
      detail_json(x->h, res, keys[k].key, l);
    else
      cJSON_Delete(l);
  }
}

/* claims.lifecycle's counts and verdict. 0, or -1 out of memory. */
static int judge_lifecycle(crun *x, probe_result *res)
{
  cj_conf jc;
  cj_tally t;
  judge_conf(&x->cf, &jc);
  if(cj_tally_claims(&x->st, &jc, &x->an, &x->ml, x->now, &t) != 0)
    return -1;
  emit_tally(x, &t, res);
  emit_thresholds(x, &t, res);
  cj_judge(&t, &jc, &x->an, &x->ml, &x->v);
  emit_lists(x, &t, res);
  cj_tally_free(&t);
  if(x->v.st == PROBE_OK)
    snprintf(x->v.text, sizeof(x->v.text),
             "%" PRIu64 " claims completed in the window, %zu in flight",
             t.completed, x->st.in_flight);
  return 0;
}

/* Remembers, before the lines go out, unless the read went wrong; a
 * resumed run that read nothing leaves the state as it is (the same
 * position, and a table that changes only with events). */
static void remember(crun *x, probe_result *res)
{
  if(x->bad || x->stdin_src || !x->cf.incremental || x->pos.seq <= 0 ||
     (x->resumed && x->events == 0))
    return;
  if(state_save(x->h, x->ctx, &x->cf, x->target, &x->st, &x->pos, x->state_err,
                sizeof(x->state_err)) < 0)
    x->h->result_detail_string(res, "state_error", x->state_err);
  else
    x->state_err[0] = 0;
}

/* The claims.lifecycle line. 0, or -1 out of memory (nothing emitted). */
static int emit_lifecycle(crun *x)
{
  const probe_host *h = x->h;
  probe_result *res = h->result_begin(x->ctx, "claims.lifecycle", x->target);
  if(!x->bad && judge_lifecycle(x, res) != 0) {
    h->result_discard(res);
    return -1;
  }
  if(x->bad && x->why[0])
    h->result_detail_string(res, "reason", x->why);
  if(x->bad && x->pos.line)
    h->result_detail_number(res, "line", (double)x->pos.line);
  h->result_detail_string(res, "mode", x->mode);
  /* the window the counts are over: probe-report adds up only lines whose
   * windows do not overlap, and needs it to tell which */
  h->result_detail_number(res, "window_seconds", x->cf.window);
  if(!x->resumed)
    h->result_detail_string(res, "full_reason", x->full_why);
  if(x->partial)
    h->result_detail_string(res, "partial_last_line",
                            "the last line has no newline yet; read next run");
  h->result_detail_number(res, "head_seq",
                          (double)(x->bad ? x->start.seq : x->pos.seq));
  remember(x, res);
  h->result_status(res, x->v.st, "%s", x->v.text);
  h->result_emit(res);
  return 0;
}

/* MedLink's row of claim c, or NULL. */
static const mlrow *ml_row_of(const crun *x, const claim *c)
{
  const mlrow *m = NULL;
  size_t i;
  for(i = 0; c && i < x->nml; i++)
    if(x->mlc[i] == c)
      m = &x->mlr[i];
  return m;
}

/* claims.first: the first N claims in submission order, each traced, and
 * the line that counts them. 0, or -1 out of memory. */
static int emit_first(crun *x)
{
  const probe_host *h = x->h;
  const cconf *cf = &x->cf;
  claim **f = calloc(cf->sc.first + 1, sizeof(*f)), *c;
  size_t k, b, nf = 0, nok = 0, nfail = 0;
  cJSON *lf;
  probe_result *res;
  trace t;
  if(!f)
    return -1;
  lf = cJSON_CreateArray();
  for(b = 0; b < x->st.nb; b++)
    for(c = x->st.b[b]; c; c = c->next)
      if(c->first_idx >= 1 && c->first_idx <= cf->sc.first)
        f[c->first_idx - 1] = c;
  for(k = 0; k < cf->sc.first; k++) {
    if(!f[k])
      continue;
    nf++;
    trace_claim(x->ctx, h, cf, f[k], f[k]->id, ml_row_of(x, f[k]), &x->an,
                x->now, &t);
    if(t.st == PROBE_OK)
      nok++;
    else if(t.st == PROBE_CRITICAL) {
      nfail++;
      cj_list_add(lf, f[k]->id);
    }
  }
  res = h->result_begin(x->ctx, "claims.first", x->target);
  h->result_metric(res, "claims_found", (double)nf);
  h->result_metric(res, "claims_complete", (double)nok);
  h->result_metric(res, "claims_failed", (double)nfail);
  if(PROBE_HOST_HAS_THRESHOLD(h)) /* warning from 1 failed, critical above */
    h->result_threshold(res, "claims_failed", 0, (double)cf->first_failed_crit);
  h->result_detail_number(res, "first", cf->sc.first);
  h->result_detail_string(res, "since", cf->since_text);
  detail_json(h, res, "failed", lf);
  if((long long)nfail > cf->first_failed_crit)
    h->result_status(res, PROBE_CRITICAL,
                     "%zu/%u complete, %zu failed: more than %lld failed, "
                     "rollback trigger (checklist 3.1)",
                     nok, cf->sc.first, nfail, cf->first_failed_crit);
  else if(nfail > 0 || nok < cf->sc.first)
    h->result_status(res, PROBE_WARNING, "%zu/%u complete, %zu failed%s", nok,
                     cf->sc.first, nfail,
                     nf < cf->sc.first ? ", not all submitted yet" : "");
  else
    h->result_status(res, PROBE_OK, "%zu/%u complete", nok, cf->sc.first);
  h->result_emit(res);
  free(f);
  return 0;
}

/* claims.trace of each pinned claim, then claims.first. As emit_first. */
static int emit_traces(crun *x)
{
  size_t k;
  trace t;
  if(x->bad)
    return 0;
  for(k = 0; k < x->cf.npin; k++) {
    claim *c = cstore_get(&x->st, x->cf.pins[k]);
    trace_claim(x->ctx, x->h, &x->cf, c, x->cf.pins[k], ml_row_of(x, c), &x->an,
                x->now, &t);
  }
  return x->cf.sc.first ? emit_first(x) : 0;
}

/* claims.state, unknown, when the state was not kept or was refused. */
static void emit_state_line(const crun *x)
{
  probe_result *res;
  if(!x->state_err[0] && !(x->load_why[0] && !x->have_state && !x->resumed &&
                           strstr(x->load_why, "refused")))
    return;
  res = x->h->result_begin(x->ctx, "claims.state", x->target);
  x->h->result_status(res, PROBE_UNKNOWN, "state not used or not kept: %s",
                      x->state_err[0] ? x->state_err : x->load_why);
  x->h->result_emit(res);
}

/* The lifecycle line of a run that ran out of memory. */
static void emit_oom(crun *x)
{
  pkit_line(x->ctx, x->h, "claims.lifecycle", x->target ? x->target : "claims",
            PROBE_UNKNOWN, "out of memory");
}

/* Reads the settings and opens the store. 0, or -1 when the run ends
 * here (its line emitted). */
static int run_start(crun *x, probe_ctx *ctx, const probe_host *h)
{
  x->ctx = ctx;
  x->h = h;
  x->now = putil_wall();
  x->mode = "full";
  x->full_why = "no state";
  pverdict_init(&x->v);
  if(conf_read(ctx, h, &x->cf, x->why, sizeof(x->why)) != 0) {
    pkit_misconfigured(ctx, h, "claims.lifecycle", "claims", "%s", x->why);
    return -1;
  }
  x->target = lsrc_target(&x->cf.src);
  if(!x->target || cstore_init(&x->st, &x->cf.sc) != 0) {
    free(x->target);
    x->target = NULL;
    emit_oom(x);
    return -1;
  }
  x->stdin_src = !strcmp(x->cf.src.source, "-");
  /* a file ledger without MedLink needs no socket: none can be opened */
  if(!x->cf.ml_conninfo && !ppg_looks_like_conninfo(x->cf.src.source) &&
     psandbox_no_network() != 0)
    h->log(ctx, PROBE_LOG_WARNING, "could not drop the network for this run");
  return 0;
}

/* One run: read what was appended, judge, report, remember. */
static int claims_run(probe_ctx *ctx, const probe_host *h)
{
  crun *x = calloc(1, sizeof(*x));
  lsrc *src = NULL;
  int rc;
  if(!x)
    return -1;
  if(run_start(x, ctx, h) != 0)
    goto done;
  if(load_position(x) != 0)
    goto oom;
  rc = open_ledger(x, &src);
  if(rc < 0 || (rc > 0 && scan(x, src) != 0))
    goto oom;
  lsrc_close(src);
  src = NULL;
  anchors_load(h, ctx, &x->cf, x->now, &x->an);
  if(gather_medlink(x) != 0 || emit_lifecycle(x) != 0 || emit_traces(x) != 0)
    goto oom;
  emit_state_line(x);
  goto done;
oom:
  emit_oom(x);
done:
  lsrc_close(src);
  free(x->an.list);
  free(x->mlc);
  free(x->mlr);
  cstore_free(&x->st);
  free_list(x->cf.pins, x->cf.npin);
  free_list(x->cf.done_values, x->cf.ndone);
  pkit_free(&x->cf.kit);
  free(x->target);
  free(x);
  return 0;
}

/* Checks the meaning of the settings (types are the agent's business). */
static int claims_check_config(probe_ctx *ctx, const probe_host *h)
{
  cconf cf;
  char why[300];
  int bad = pledger_settings_check(ctx, h);
  if(conf_read(ctx, h, &cf, why, sizeof(why)) != 0) {
    h->config_error(ctx, NULL, "%s", why);
    bad = 1;
  }
  free_list(cf.pins, cf.npin);
  free_list(cf.done_values, cf.ndone);
  pkit_free(&cf.kit);
  return bad;
}

/* Sockets for a PostgreSQL ledger and MedLink's table; a run on a file
 * without MedLink drops them itself. */
PROBE_PLUGIN_EXPORT const probe_sandbox
    probe_plugin_sandbox = {PROBE_SANDBOX_VERSION, PROBE_NEEDS_NETWORK};

PROBE_PLUGIN_EXPORT const probe_plugin probe_plugin_entry = {
    PROBE_PLUGIN_ABI,
    "claims",
    VERSION,
    "follows each claim's lifecycle in the ledger (cutover steps 8, 9, 11)",
    claims_settings,
    NULL,
    claims_run,
    NULL,
    claims_check_config};
