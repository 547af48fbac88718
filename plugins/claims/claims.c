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

#include "plugins/claims/cstore.h"
#include "plugins/common/lsrc.h"
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
#define LIST_MAX 10

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
  {"p95_warning", PROBE_SET_NUMBER, "3", 0, "warning when lifecycle p95 exceeds this (s)"},
  {"p95_critical", PROBE_SET_NUMBER, "5", 0, "critical when lifecycle p95 exceeds this (s)"},
  {"callback_warning", PROBE_SET_NUMBER, "0.99", 0,
   "warning when callback_success_ratio is below this"},
  {"callback_critical", PROBE_SET_NUMBER, "0.95", 0,
   "critical when callback_success_ratio is below this"},
  {"failed_warning", PROBE_SET_INT, "3", 0, "warning at this many failed claims in the window"},
  {"failed_critical", PROBE_SET_INT, "10", 0, "critical at this many failed claims in the window"},
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
  {"medlink_table", PROBE_SET_STRING, "\"claims\"", 0, "MedLink: the claims table"},
  {"medlink_id_column", PROBE_SET_STRING, "\"itrans_claim_id\"", 0,
   "MedLink: column holding the iTrans claim id"},
  {"medlink_status_column", PROBE_SET_STRING, "\"status\"", 0, "MedLink: status column"},
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
  {"type_adjudicated", PROBE_SET_STRING, "\"ClaimAdjudicated\"", 0, "event type"},
  {"type_rejected", PROBE_SET_STRING, "\"ClaimRejected\"", 0, "event type"},
  {"type_failed", PROBE_SET_STRING, "\"ClaimFailed\"", 0, "event type"},
  {"type_callback_delivered", PROBE_SET_STRING, "\"CallbackDelivered\"", 0, "event type"},
  {"type_callback_failed", PROBE_SET_STRING, "\"CallbackFailed\"", 0, "event type"},
  {"member_synthetic", PROBE_SET_STRING, "\"synthetic\"", 0, "payload member"},
  {"member_decision", PROBE_SET_STRING, "\"decision\"", 0, "payload member"},
  {"member_final", PROBE_SET_STRING, "\"final\"", 0, "payload member"},
  PLEDGER_MAX_LINE_SETTING,
  {NULL, 0, NULL, 0, NULL}};

/* The run's settings. */
typedef struct cconf {
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

/* The anchor plugin's confirmations. */
typedef struct anchors {
  int known;
  char why[1400];
  int64_t covered;
  char tx[80], block_time[40];
  struct {
    int64_t from, to;
    char tx[80];
  } *list;
  size_t n;
} anchors;

/* MedLink's row for one claim. */
typedef struct mlrow {
  int asked, found, done;
  char status[40], updated[40];
} mlrow;


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
static int conf_read(probe_ctx *ctx, const probe_host *h, cconf *c,
                     char *why, size_t whylen)
{
  long long first = 0;
  const char *s;
  size_t i, l;
  memset(c, 0, sizeof(*c));
  pledger_settings_read(ctx, h, &c->src);
  c->incremental = 1;
  h->conf_bool(ctx, "incremental", &c->incremental);
  h->conf_duration(ctx, "window", &c->window);
  h->conf_duration(ctx, "stuck_after", &c->stuck_after);
  h->conf_duration(ctx, "callback_grace", &c->cb_grace);
  h->conf_duration(ctx, "anchor_grace", &c->anchor_grace);
  h->conf_int(ctx, "max_in_flight", &c->max_in_flight);
  h->conf_number(ctx, "p95_warning", &c->p95_warn);
  h->conf_number(ctx, "p95_critical", &c->p95_crit);
  h->conf_number(ctx, "callback_warning", &c->cb_warn);
  h->conf_number(ctx, "callback_critical", &c->cb_crit);
  h->conf_int(ctx, "failed_warning", &c->failed_warn);
  h->conf_int(ctx, "failed_critical", &c->failed_crit);
  h->conf_int(ctx, "first_failed_critical", &c->first_failed_crit);
  h->conf_int(ctx, "first", &first);
  if(h->conf_string(ctx, "since", &c->since_text) != 0)
    c->since_text = NULL;
  if(h->conf_string(ctx, "anchor_state", &c->anchor_state) != 0)
    c->anchor_state = NULL;
  if(h->conf_string(ctx, "medlink_conninfo", &c->ml_conninfo) != 0 ||
     !*c->ml_conninfo)
    c->ml_conninfo = NULL;
  if(h->conf_string(ctx, "password_file", &c->ml_pwfile) != 0)
    c->ml_pwfile = NULL;
  h->conf_string(ctx, "medlink_table", &c->ml_table);
  h->conf_string(ctx, "medlink_id_column", &c->ml_id);
  h->conf_string(ctx, "medlink_status_column", &c->ml_status);
  h->conf_string(ctx, "medlink_updated_column", &c->ml_updated);
  h->conf_int(ctx, "medlink_batch", &c->ml_batch);
  if(c->ml_batch < 1 || c->ml_batch > 100000)
    c->ml_batch = 1000;
  h->conf_string(ctx, "id_prefix", &c->sc.id_prefix);
  h->conf_string(ctx, "type_submitted", &c->sc.t_sub);
  h->conf_string(ctx, "type_validated", &c->sc.t_val);
  h->conf_string(ctx, "type_adjudicated", &c->sc.t_adj);
  h->conf_string(ctx, "type_rejected", &c->sc.t_rej);
  h->conf_string(ctx, "type_failed", &c->sc.t_fail);
  h->conf_string(ctx, "type_callback_delivered", &c->sc.t_cb_ok);
  h->conf_string(ctx, "type_callback_failed", &c->sc.t_cb_fail);
  h->conf_string(ctx, "member_synthetic", &c->sc.m_synth);
  h->conf_string(ctx, "member_decision", &c->sc.m_decision);
  h->conf_string(ctx, "member_final", &c->sc.m_final);
  if(string_list(h, ctx, "claim_ids", &c->pins, &c->npin) != 0) {
    snprintf(why, whylen, "claim_ids must be a list of strings");
    return -1;
  }
  if(string_list(h, ctx, "medlink_done_values", &c->done_values,
                 &c->ndone) != 0) {
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
  l = (size_t)snprintf(c->fp, sizeof(c->fp), "%.3f/%u/%.3f/%zu",
                       c->sc.retain, c->sc.first, c->sc.since, c->npin);
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
             errno == ELOOP ? "a symbolic link"
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
  if(!body || sscanf(text, "%31s " STATE_VERSION " %1023s %31s %" SCNu64 " %" SCNu64
                           " %" SCNd64 " %64s%n",
                     ver, src, fp, &pos->offset, &pos->line, &pos->seq,
                     pos->hash, &n) != 7 ||
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
                        "claims-state " STATE_VERSION " %s %s %" PRIu64 " %" PRIu64
                        " %" PRId64 " %s\n--\n",
                        tw[0] ? tw : "-", fph, pos->offset, pos->line,
                        pos->seq, pos->hash);
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
    snprintf(a->why, sizeof(a->why), "no state directory to find the anchor "
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
  if(!cJSON_IsNumber(x) || x->valuedouble < 0) {
    snprintf(a->why, sizeof(a->why), "%s/%s: no covered_seq", dir, ANCHOR_FILE);
    goto out;
  }
  a->covered = (int64_t)x->valuedouble;
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
        if(cJSON_IsNumber(f) && cJSON_IsNumber(t) && cJSON_IsString(tx)) {
          a->list[a->n].from = (int64_t)f->valuedouble;
          a->list[a->n].to = (int64_t)t->valuedouble;
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

/* Whether the event seq is covered; *tx and *to name the anchor. */
static int anchored_by(const anchors *a, int64_t seq, const char **tx,
                       int64_t *to)
{
  size_t i;
  if(!a->known || seq <= 0 || seq > a->covered)
    return 0;
  *tx = a->tx;
  *to = a->covered;
  for(i = 0; i < a->n; i++)
    if(seq >= a->list[i].from && seq <= a->list[i].to) {
      *tx = a->list[i].tx;
      *to = a->list[i].to;
      break;
    }
  return 1;
}

/* Appends s to a PostgreSQL text[] literal being built in b. */
static int arr_add(char **b, size_t *len, size_t *cap, const char *s)
{
  size_t need = *len + 2 * strlen(s) + 4;
  char *p;
  if(need > *cap) {
    size_t nc = need * 2;
    p = realloc(*b, nc);
    if(!p)
      return -1;
    *b = p;
    *cap = nc;
  }
  p = *b + *len;
  if(*len > 1)
    *p++ = ',';
  *p++ = '"';
  for(; *s; s++) {
    if(*s == '"' || *s == '\\')
      *p++ = '\\';
    *p++ = *s;
  }
  *p++ = '"';
  *len = (size_t)(p - *b);
  return 0;
}

/* Asks MedLink for the rows of the claims in ids (batches of ml_batch,
 * `id = ANY($1)`), filling rows[i]. 0, or -1 with err. */
static int medlink_read(const cconf *cf, double timeout, claim **ids,
                        size_t n, mlrow *rows, char *err, size_t errlen)
{
  PGconn *conn;
  char *qt = NULL, *qi = NULL, *qs = NULL, *qu = NULL, *sql = NULL;
  char *arr = NULL;
  size_t i = 0, k, alen, acap = 0;
  int rc = -1;
  if(cf->ml_pwfile && pledger_password_env(cf->ml_pwfile, err, errlen) != 0)
    return -1;
  conn = ppg_connect(cf->ml_conninfo, timeout, err, errlen);
  if(cf->ml_pwfile)
    unsetenv("PGPASSWORD");
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
    int r, nt;
    size_t end = i + (size_t)cf->ml_batch < n ? i + (size_t)cf->ml_batch : n;
    alen = 1;
    if(!arr) {
      acap = 4096;
      if(!(arr = malloc(acap))) {
        putil_seterr(err, errlen, "out of memory");
        goto out;
      }
    }
    arr[0] = '{';
    for(k = i; k < end; k++) {
      if(arr_add(&arr, &alen, &acap, ids[k]->id) != 0) {
        putil_seterr(err, errlen, "out of memory");
        goto out;
      }
      rows[k].asked = 1;
    }
    if(alen + 2 > acap) {
      char *p = realloc(arr, alen + 2);
      if(!p) {
        putil_seterr(err, errlen, "out of memory");
        goto out;
      }
      arr = p;
      acap = alen + 2;
    }
    arr[alen++] = '}';
    arr[alen] = 0;
    pv[0] = arr;
    res = sym_PQexecParams(conn, sql, 1, NULL, pv, NULL, NULL, 0);
    if(sym_PQresultStatus(res) != PGRES_TUPLES_OK) {
      ppg_error(conn, res, err, errlen);
      sym_PQclear(res);
      goto out;
    }
    nt = sym_PQntuples(res);
    for(r = 0; r < nt; r++) {
      const char *id = sym_PQgetvalue(res, r, 0);
      const char *stv = sym_PQgetvalue(res, r, 1);
      size_t d;
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
    sym_PQclear(res);
    i = end;
  }
  rc = 0;
out:
  free(arr);
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

/* A complete claim's lifecycle latency, to the microsecond (the times
 * are milliseconds; the difference of two doubles near 1.8e9 is not). */
static double latency(const claim *c)
{
  return round((c->del - c->sub) * 1e6) / 1e6;
}

/* qsort order of doubles. */
static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n-1]: v[ceil(p n) - 1]. */
static double pct(const double *v, size_t n, double p)
{
  size_t k = (size_t)ceil(p * (double)n);
  if(k < 1)
    k = 1;
  if(k > n)
    k = n;
  return v[k - 1];
}

/* A JSON list of up to LIST_MAX ids, built into a cJSON array. */
static void list_add(cJSON *arr, const char *id)
{
  if(arr && cJSON_GetArraySize(arr) < LIST_MAX)
    cJSON_AddItemToArray(arr, cJSON_CreateString(id));
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

/* Judges one claim for claims.trace and emits its line. */
static void trace_claim(probe_ctx *ctx, const probe_host *h, const cconf *cf,
                        const claim *c, const char *id, const mlrow *ml,
                        const anchors *an, double now, trace *t)
{
  probe_result *r = h->result_begin(ctx, "claims.trace", id);
  char b[40];
  const char *tx = NULL;
  int64_t to = 0;
  int anch;
  double since_t = 0, grace = 0;
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
  anch = claim_complete(c) && anchored_by(an, c->done_seq, &tx, &to);
  if(anch) {
    h->result_detail_string(r, "anchored_tx", tx);
    h->result_detail_number(r, "anchored_seq", (double)to);
  }
  if(claim_complete(c) && c->sub > 0)
    h->result_metric(r, "latency_seconds", latency(c));
  /* the first missing stage */
  if(claim_failed(c)) {
    t->st = PROBE_CRITICAL;
    snprintf(t->missing, sizeof(t->missing), "%s",
             c->flags & CL_FAIL_CLAIM ? "decided" : "callback_delivered");
    snprintf(t->why, sizeof(t->why), "claim %s failed (%s)", id,
             c->flags & CL_FAIL_CLAIM ? "ClaimFailed"
                                      : "final CallbackFailed: dead letter");
  }
  else {
    const char *m = NULL;
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
      snprintf(t->why, sizeof(t->why),
               "claim %s complete in %.3f s%s, anchored", id, latency(c),
               ml && ml->asked ? ", arrived in MedLink" : "");
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
      h->result_detail_string(r, "missing_stage", m);
    }
  }
  h->result_status(r, t->st, "%s", t->why);
  h->result_emit(r);
}

/* Progress of a long scan for the agent's updating line (issue 20): every
 * 64th event, so that the clock is read seldom; the host keeps it to a few
 * a second and shows it only on a terminal or with --progress. */
static void scan_progress(probe_ctx *ctx, const probe_host *h, const lsrc *src,
                          uint64_t events)
{
  if(events % 64 != 0 || !PROBE_HOST_HAS_PROGRESS(h))
    return;
  h->progress(ctx, (double)events, (double)lsrc_bytes(src),
              (double)lsrc_file_size(src));
}

/* One run: read what was appended, judge, report, remember. */
static int claims_run(probe_ctx *ctx, const probe_host *h)
{
  cconf cf;
  cstore st;
  cpos pos, start;
  anchors an;
  lsrc *src = NULL;
  lsrc_event e;
  lsrc_code lc;
  cst_event ev;
  char why[600] = "", load_why[600] = "", state_err[600] = "", *target = NULL;
  char mlerr[512] = "";
  const char *mode = "full", *full_why = "no state";
  probe_result *res;
  pverdict v;
  int have_state = 0, resumed = 0, bad = 0, partial = 0, overflow = 0;
  int stdin_src, i_ml = 0, ml_ok = 0;
  uint64_t events = 0;
  double now = putil_wall(), w0;
  claim **mlc = NULL;
  mlrow *mlr = NULL;
  size_t nml = 0, i;

  memset(&st, 0, sizeof(st));
  memset(&an, 0, sizeof(an));
  pverdict_init(&v);
  if(conf_read(ctx, h, &cf, why, sizeof(why)) != 0) {
    res = h->result_begin(ctx, "claims.lifecycle", "claims");
    h->result_status(res, PROBE_UNKNOWN, "misconfigured: %s", why);
    h->result_emit(res);
    goto done;
  }
  target = lsrc_target(&cf.src);
  if(!target || cstore_init(&st, &cf.sc) != 0) {
    res = h->result_begin(ctx, "claims.lifecycle", "claims");
    h->result_status(res, PROBE_UNKNOWN, "out of memory");
    h->result_emit(res);
    goto done;
  }
  stdin_src = !strcmp(cf.src.source, "-");
  /* a file ledger without MedLink needs no socket: none can be opened */
  if(!cf.ml_conninfo && !ppg_looks_like_conninfo(cf.src.source) &&
     psandbox_no_network() != 0)
    h->log(ctx, PROBE_LOG_WARNING, "could not drop the network for this run");
  memset(&pos, 0, sizeof(pos));
  if(!stdin_src && cf.incremental) {
    int lr = state_load(h, ctx, &cf, target, &st, &pos, load_why,
                        sizeof(load_why));
    if(lr > 0)
      have_state = 1;
    else {
      if(lr < 0)
        h->log(ctx, PROBE_LOG_WARNING, "%s", load_why);
      if(load_why[0])
        full_why = load_why;
      cstore_free(&st);
      if(cstore_init(&st, &cf.sc) != 0)
        goto oom;
      memset(&pos, 0, sizeof(pos));
    }
  }
  else
    full_why = stdin_src ? "standard input" : "incremental=false";

reopen:
  {
    lsrc_options o = cf.src;
    char err[512];
    if(have_state) {
      if(ppg_looks_like_conninfo(cf.src.source))
        o.from_seq = pos.seq;
      else {
        o.start_offset = pos.offset;
        o.start_line = pos.line;
      }
    }
    lc = lsrc_open(&o, &src, err, sizeof(err));
    if(lc != LSRC_OK) {
      if(have_state && lc == LSRC_ERR_SEEK) {
        have_state = 0;
        full_why = "the ledger is shorter than the last position "
                   "(rolled back or rewritten): started over";
        mode = "full (checkpoint mismatch)";
        cstore_free(&st);
        if(cstore_init(&st, &cf.sc) != 0)
          goto oom;
        memset(&pos, 0, sizeof(pos));
        goto reopen;
      }
      pverdict_add(&v, PROBE_UNKNOWN, "cannot read the ledger: %s", err);
      bad = 1;
      goto report;
    }
  }
  start = pos;
  if(have_state) {
    /* the last event read must still be there, unchanged */
    cst_event ce;
    cstore scratch_store;
    int ok = 0;
    lc = lsrc_next(src, &e);
    if(lc == LSRC_OK && e.terminated && cstore_init(&scratch_store, &cf.sc) == 0) {
      if(cstore_apply(&scratch_store, e.text, e.len, &ce) != CST_PARSE &&
         ce.seq == pos.seq && !strcmp(ce.hash, pos.hash))
        ok = 1;
      cstore_free(&scratch_store);
    }
    if(!ok) {
      lsrc_close(src);
      src = NULL;
      have_state = 0;
      full_why = "the last event read is no longer there unchanged "
                 "(ledger rolled back or rewritten): started over";
      mode = "full (checkpoint mismatch)";
      h->log(ctx, PROBE_LOG_INFO, "%s", full_why);
      cstore_free(&st);
      if(cstore_init(&st, &cf.sc) != 0)
        goto oom;
      memset(&pos, 0, sizeof(pos));
      goto reopen;
    }
    resumed = 1;
    mode = "incremental";
  }
  for(;;) {
    cst_code cc;
    lc = lsrc_next(src, &e);
    if(lc == LSRC_EOF)
      break;
    if(lc != LSRC_OK) {
      pverdict_add(&v, PROBE_UNKNOWN, "cannot read the ledger at line %" PRIu64
                   ": %s", e.line, lsrc_error(src));
      bad = 1;
      break;
    }
    if(!e.terminated) {
      partial = 1; /* being written: read it next run */
      break;
    }
    cc = cstore_apply(&st, e.text, e.len, &ev);
    if(cc == CST_PARSE) {
      pverdict_add(&v, PROBE_UNKNOWN,
                   "ledger line %" PRIu64 " unreadable (%s); the ledger "
                   "plugin judges its integrity", e.line, ev.why);
      res = NULL;
      bad = 1;
      why[0] = 0;
      snprintf(why, sizeof(why), "%s", ev.why);
      pos.line = e.line; /* for the details */
      break;
    }
    if(cc == CST_NOMEM)
      goto oom;
    events++;
    scan_progress(ctx, h, src, events);
    pos.offset = e.offset;
    pos.line = e.line;
    pos.seq = ev.seq;
    memcpy(pos.hash, ev.hash, sizeof(pos.hash));
    if(ev.seq % CSTORE_SWEEP_EVERY == 0)
      cstore_sweep(&st);
    if((long long)st.in_flight > cf.max_in_flight) {
      overflow = 1;
      pverdict_add(&v, PROBE_UNKNOWN,
                   "more than max_in_flight (%lld) claims in flight at seq "
                   "%" PRId64 ": not counted", cf.max_in_flight, ev.seq);
      bad = 1;
      break;
    }
  }
  lsrc_close(src);
  src = NULL;
  cstore_sweep(&st);

report:
  w0 = now - cf.window;
  anchors_load(h, ctx, &cf, now, &an);
  /* MedLink: the rows of the window's delivered claims and the traced ones */
  if(!bad && cf.ml_conninfo) {
    size_t cap = 0, b2;
    claim *c;
    for(b2 = 0; b2 < st.nb; b2++)
      for(c = st.b[b2]; c; c = c->next)
        if(claim_complete(c) && (c->del >= w0 || (c->flags & CL_PINNED)))
          cap++;
    mlc = calloc(cap + 1, sizeof(*mlc));
    mlr = calloc(cap + 1, sizeof(*mlr));
    if(!mlc || !mlr)
      goto oom;
    for(b2 = 0; b2 < st.nb; b2++)
      for(c = st.b[b2]; c; c = c->next)
        if(claim_complete(c) && (c->del >= w0 || (c->flags & CL_PINNED)))
          mlc[nml++] = c;
    i_ml = 1;
    if(nml == 0)
      ml_ok = 1;
    else if(medlink_read(&cf, h->time_left(ctx) > 2 ? (h->time_left(ctx) - 1) / 2 : 1,
                         mlc, nml, mlr, mlerr, sizeof(mlerr)) == 0)
      ml_ok = 1;
    else {
      pverdict_add(&v, PROBE_UNKNOWN, "cannot read MedLink's table: %s", mlerr);
      memset(mlr, 0, (nml + 1) * sizeof(*mlr));
    }
  }

  res = h->result_begin(ctx, "claims.lifecycle", target);
  if(!bad) {
    size_t b2, nlat = 0, cap_lat = 0;
    double *lat = NULL;
    uint64_t submitted = 0, completed = 0, failed = 0, stuck = 0, dups = 0;
    uint64_t cb_ok = 0, cb_final = 0, cb_overdue = 0, cb_lag = 0, ooo = 0;
    uint64_t unanch = 0, anch_due = 0;
    cJSON *l_stuck = cJSON_CreateArray(), *l_failed = cJSON_CreateArray();
    cJSON *l_ooo = cJSON_CreateArray(), *l_over = cJSON_CreateArray();
    cJSON *l_unanch = cJSON_CreateArray(), *l_lag = cJSON_CreateArray();
    cJSON *l_dup = cJSON_CreateArray();
    claim *c;
    size_t mi = 0;
    for(b2 = 0; b2 < st.nb; b2++)
      for(c = st.b[b2]; c; c = c->next)
        if(claim_complete(c) && c->del >= w0)
          cap_lat++;
    lat = malloc((cap_lat + 1) * sizeof(*lat));
    if(!lat)
      goto oom;
    for(b2 = 0; b2 < st.nb; b2++)
      for(c = st.b[b2]; c; c = c->next) {
        int comp = claim_complete(c), fl = claim_failed(c);
        const mlrow *m = NULL;
        if(i_ml && comp && (c->del >= w0 || (c->flags & CL_PINNED))) {
          for(; mi < nml && mlc[mi] != c; mi++)
            ;
          m = mi < nml ? &mlr[mi] : NULL;
        }
        if(c->sub >= w0 && c->sub <= now)
          submitted++;
        if(c->dups && c->dup_ts >= w0) {
          dups += c->dups;
          list_add(l_dup, c->id);
        }
        if(c->flags & (CL_OOO_CB | CL_OOO_DEC)) {
          ooo++;
          list_add(l_ooo, c->id);
        }
        if(comp && c->del >= w0) {
          completed++;
          if(c->sub > 0)
            lat[nlat++] = latency(c);
          if(!i_ml || (m && m->done))
            cb_ok++;
          else if(ml_ok && now - c->del > cf.cb_grace) {
            cb_lag++;
            list_add(l_lag, c->id);
          }
        }
        if(fl && c->fail >= w0) {
          failed++;
          list_add(l_failed, c->id);
          if(c->flags & CL_FAIL_CB)
            cb_final++;
        }
        if(!comp && !fl) {
          if(c->sub > 0 && now - c->sub > cf.stuck_after) {
            stuck++;
            list_add(l_stuck, c->id);
          }
          if(c->dec > 0 && now - c->dec > cf.cb_grace &&
             c->dec >= w0 - cf.cb_grace) {
            cb_overdue++;
            list_add(l_over, c->id);
          }
        }
        if(comp && now - c->del > cf.anchor_grace) {
          const char *tx;
          int64_t to;
          anch_due++;
          if(an.known && !anchored_by(&an, c->done_seq, &tx, &to)) {
            unanch++;
            list_add(l_unanch, c->id);
          }
        }
      }
    /* mi walks mlc in table order: both were filled in the same order */
    qsort(lat, nlat, sizeof(*lat), cmp_double);
    h->result_metric(res, "claims_submitted", (double)submitted);
    h->result_metric(res, "claims_completed", (double)completed);
    h->result_metric(res, "claims_failed", (double)failed);
    h->result_metric(res, "claims_in_flight", (double)st.in_flight);
    h->result_metric(res, "claims_stuck", (double)stuck);
    h->result_metric(res, "duplicate_submissions", (double)dups);
    h->result_metric(res, "out_of_order", (double)ooo);
    h->result_metric(res, "events_read", (double)events);
    h->result_metric(res, "claims_kept", (double)st.n);
    if(nlat) {
      double p95 = pct(lat, nlat, 0.95);
      h->result_metric(res, "lifecycle_p50_seconds", pct(lat, nlat, 0.50));
      h->result_metric(res, "lifecycle_p95_seconds", p95);
      h->result_metric(res, "lifecycle_p99_seconds", pct(lat, nlat, 0.99));
      if(p95 > cf.p95_crit)
        pverdict_add(&v, PROBE_CRITICAL, "p95 lifecycle %.3f s > %.3g s", p95,
                     cf.p95_crit);
      else if(p95 > cf.p95_warn)
        pverdict_add(&v, PROBE_WARNING, "p95 lifecycle %.3f s > %.3g s", p95,
                     cf.p95_warn);
    }
    if(!i_ml || ml_ok) {
      uint64_t den = cb_ok + cb_final + cb_overdue + cb_lag;
      h->result_metric(res, "callbacks_due", (double)den);
      if(den > 0) {
        double ratio = (double)cb_ok / (double)den;
        h->result_metric(res, "callback_success_ratio", ratio);
        if(ratio < cf.cb_crit)
          pverdict_add(&v, PROBE_CRITICAL, "callback success %.4f < %.3g",
                       ratio, cf.cb_crit);
        else if(ratio < cf.cb_warn)
          pverdict_add(&v, PROBE_WARNING, "callback success %.4f < %.3g",
                       ratio, cf.cb_warn);
      }
      else
        h->result_detail_string(res, "callback_success_ratio_unavailable",
                                "no callback due in the window");
      h->result_metric(res, "callbacks_overdue", (double)cb_overdue);
      h->result_metric(res, "callbacks_final_failed", (double)cb_final);
      if(i_ml)
        h->result_metric(res, "callbacks_not_arrived", (double)cb_lag);
    }
    if(an.known) {
      h->result_metric(res, "claims_unanchored", (double)unanch);
      h->result_metric(res, "anchor_covered_seq", (double)an.covered);
      if(unanch > 0)
        pverdict_add(&v, PROBE_WARNING,
                     "%" PRIu64 " complete claim%s older than %.0f s not anchored",
                     unanch, unanch == 1 ? "" : "s", cf.anchor_grace);
    }
    else
      h->result_detail_string(res, "anchored_unknown", an.why);
    if((long long)failed >= cf.failed_crit)
      pverdict_add(&v, PROBE_CRITICAL, "%" PRIu64 " claims failed in the window",
                   failed);
    else if((long long)failed >= cf.failed_warn)
      pverdict_add(&v, PROBE_WARNING, "%" PRIu64 " claims failed in the window",
                   failed);
    if(stuck > 0)
      pverdict_add(&v, PROBE_WARNING, "%" PRIu64 " claim%s stuck (not complete "
                   "%.0f s after submission)", stuck, stuck == 1 ? "" : "s",
                   cf.stuck_after);
    if(ooo > 0)
      h->result_detail_string(res, "out_of_order_meaning",
                              "events of a claim in an impossible order "
                              "(callback before decision, decision before "
                              "submission)");
    detail_json(h, res, "stuck", stuck ? l_stuck : (cJSON_Delete(l_stuck), NULL));
    detail_json(h, res, "failed", failed ? l_failed : (cJSON_Delete(l_failed), NULL));
    detail_json(h, res, "out_of_order", ooo ? l_ooo : (cJSON_Delete(l_ooo), NULL));
    detail_json(h, res, "callbacks_overdue", cb_overdue ? l_over : (cJSON_Delete(l_over), NULL));
    detail_json(h, res, "unanchored", unanch ? l_unanch : (cJSON_Delete(l_unanch), NULL));
    detail_json(h, res, "not_arrived", cb_lag ? l_lag : (cJSON_Delete(l_lag), NULL));
    detail_json(h, res, "duplicate_submissions", dups ? l_dup : (cJSON_Delete(l_dup), NULL));
    free(lat);
    (void)anch_due;
    if(v.st == PROBE_OK)
      snprintf(v.text, sizeof(v.text),
               "%" PRIu64 " claims completed in the window, %zu in flight",
               completed, st.in_flight);
  }
  else if(why[0])
    h->result_detail_string(res, "reason", why);
  if(bad && pos.line)
    h->result_detail_number(res, "line", (double)pos.line);
  h->result_detail_string(res, "mode", mode);
  /* the window the counts are over: probe-report adds up only lines whose
   * windows do not overlap, and needs it to tell which */
  h->result_detail_number(res, "window_seconds", cf.window);
  if(!resumed)
    h->result_detail_string(res, "full_reason", full_why);
  if(partial)
    h->result_detail_string(res, "partial_last_line",
                            "the last line has no newline yet; read next run");
  h->result_detail_number(res, "head_seq", (double)(bad ? start.seq : pos.seq));
  (void)overflow;

  /* remember, before the lines go out, unless the read went wrong; a
   * resumed run that read nothing leaves the state as it is (the same
   * position, and a table that changes only with events) */
  if(!bad && !stdin_src && cf.incremental && pos.seq > 0 &&
     !(resumed && events == 0)) {
    if(state_save(h, ctx, &cf, target, &st, &pos, state_err,
                  sizeof(state_err)) < 0)
      h->result_detail_string(res, "state_error", state_err);
    else
      state_err[0] = 0;
  }
  h->result_status(res, v.st, "%s", v.text);
  h->result_emit(res);

  if(!bad && (cf.npin || cf.sc.first)) {
    trace t;
    size_t k, nf = 0, nok = 0, nfail = 0;
    for(k = 0; k < cf.npin; k++) {
      claim *c = cstore_get(&st, cf.pins[k]);
      const mlrow *m = NULL;
      for(i = 0; c && i < nml; i++)
        if(mlc[i] == c)
          m = &mlr[i];
      trace_claim(ctx, h, &cf, c, cf.pins[k], m, &an, now, &t);
    }
    if(cf.sc.first) {
      /* the first N in submission order, 1..N */
      claim **f = calloc(cf.sc.first + 1, sizeof(*f));
      size_t b2;
      claim *c;
      cJSON *lf = cJSON_CreateArray();
      if(!f)
        goto oom;
      for(b2 = 0; b2 < st.nb; b2++)
        for(c = st.b[b2]; c; c = c->next)
          if(c->first_idx >= 1 && c->first_idx <= cf.sc.first)
            f[c->first_idx - 1] = c;
      for(k = 0; k < cf.sc.first; k++) {
        const mlrow *m = NULL;
        if(!f[k])
          continue;
        nf++;
        for(i = 0; i < nml; i++)
          if(mlc[i] == f[k])
            m = &mlr[i];
        trace_claim(ctx, h, &cf, f[k], f[k]->id, m, &an, now, &t);
        if(t.st == PROBE_OK)
          nok++;
        else if(t.st == PROBE_CRITICAL) {
          nfail++;
          list_add(lf, f[k]->id);
        }
      }
      res = h->result_begin(ctx, "claims.first", target);
      h->result_metric(res, "claims_found", (double)nf);
      h->result_metric(res, "claims_complete", (double)nok);
      h->result_metric(res, "claims_failed", (double)nfail);
      h->result_detail_number(res, "first", cf.sc.first);
      h->result_detail_string(res, "since", cf.since_text);
      detail_json(h, res, "failed", lf);
      if((long long)nfail > cf.first_failed_crit)
        h->result_status(res, PROBE_CRITICAL,
                         "%zu/%u complete, %zu failed: more than %lld failed, "
                         "rollback trigger (checklist 3.1)",
                         nok, cf.sc.first, nfail, cf.first_failed_crit);
      else if(nfail > 0 || nok < cf.sc.first)
        h->result_status(res, PROBE_WARNING, "%zu/%u complete, %zu failed%s",
                         nok, cf.sc.first, nfail,
                         nf < cf.sc.first ? ", not all submitted yet" : "");
      else
        h->result_status(res, PROBE_OK, "%zu/%u complete", nok, cf.sc.first);
      h->result_emit(res);
      free(f);
    }
  }
  if(state_err[0] || (load_why[0] && !have_state && !resumed &&
                      strstr(load_why, "refused"))) {
    res = h->result_begin(ctx, "claims.state", target);
    h->result_status(res, PROBE_UNKNOWN, "state not used or not kept: %s",
                     state_err[0] ? state_err : load_why);
    h->result_emit(res);
  }
  goto done;
oom:
  res = h->result_begin(ctx, "claims.lifecycle", target ? target : "claims");
  h->result_status(res, PROBE_UNKNOWN, "out of memory");
  h->result_emit(res);
done:
  lsrc_close(src);
  free(an.list);
  free(mlc);
  free(mlr);
  cstore_free(&st);
  free_list(cf.pins, cf.npin);
  free_list(cf.done_values, cf.ndone);
  free(target);
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
  return bad;
}

/* Sockets for a PostgreSQL ledger and MedLink's table; a run on a file
 * without MedLink drops them itself. */
PROBE_PLUGIN_EXPORT const probe_sandbox probe_plugin_sandbox = {
  PROBE_SANDBOX_VERSION, PROBE_NEEDS_NETWORK
};

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
