/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.c: the http plugin. Checks the services' own health endpoints the
 * way the cutover steps and the alert rules read them (GET /ledger/verify
 * answers 200, says intact, under 500 ms; /relay/workflow/status connected;
 * MedLink's /api/health with its database reached).
 *
 * Check http.endpoint, one line per target: the status code, libcurl's
 * timing phases and the body size as metrics; critical on an unexpected
 * status, a failed JSON pointer assertion, a connection failure or a body
 * over max_response_bytes; warning over max_latency. With unhealthy_for, a
 * failure is a warning until it has lasted that long; when it began is kept
 * in the state directory (failing_since).
 *
 * Every request goes through phttp (bounded size and time, same-scheme
 * redirects, credentials dropped when a redirect leaves the origin). Targets
 * run on at most `concurrency` threads, each request bounded by what is left
 * of the run's timeout; lines are emitted from the main thread, in order
 * (the host's functions are not thread-safe). URLs are shown redacted.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "probe-plugin.h"
#include "lib/duration.h"
#include "lib/fileio.h"
#include "lib/redact.h"
#include "plugins/common/phttp.h"
#include "plugins/common/pkit.h"
#include "plugins/common/pjsonptr.h"
#include "plugins/common/pstate.h"
#include "plugins/common/putil.h"
#include "plugins/common/pverdict.h"
#include "plugins/http/hjudge.h"

#define CHECK_NAME "http.endpoint"
#define MAX_TARGETS 200
#define MAX_CONCURRENCY 32
#define MAX_STATUSES HJUDGE_MAX_STATUSES
#define MAX_HEADERS 16
#define HTTP_TOKEN_MAX 4095 /* token_file: larger is refused, never cut */
#define STATE_FILE "failing.json"
#define STATE_MAX (256 * 1024)

static const probe_setting http_settings[] = {
    {"targets", PROBE_SET_LIST, "[]", 0,
     "URLs, or {\"url\", \"name\", \"method\" (GET|POST), \"expect_status\" ([200]), "
     "\"max_latency\" (\"500ms\"), \"json\": [{\"pointer\", \"equals\"|\"one_of\"|\"min\"|\"max\"}], "
     "\"headers\" ({name: value}), \"token_file\", \"ca_file\", \"unhealthy_for\" (\"1m\")}"},
    {"max_response_bytes", PROBE_SET_INT, "1048576", 0,
     "largest body accepted; a larger one is critical"},
    {"max_latency", PROBE_SET_DURATION, NULL, 0,
     "default of each target's max_latency (warning above it; off when unset)"},
    {"concurrency", PROBE_SET_INT, "8", 0, "targets fetched at once (1-32)"},
    {"request_timeout", PROBE_SET_DURATION, "10", 0,
     "per request, redirects included (also capped by the run's timeout)"},
    {NULL, 0, NULL, 0, NULL}};

/* One target: its settings, then the outcome filled by a worker. */
typedef struct target {
  char *url, *name, *method, *token_file, *ca_file;
  char *shown; /* redacted URL */
  hjudge_expect x;
  char *headers[MAX_HEADERS + 2]; /* NULL-terminated, the token's last */
  size_t nheaders;
  double unhealthy_for; /* seconds, < 0: off */
  char *config_error;
  /* outcome */
  phttp_code code;
  phttp_response resp;
  hjudge_verdict jv; /* jv.failed: a failure unhealthy_for may soften */
  int fetched;       /* a request was made (else no metrics) */
} target;

/* A run. */
typedef struct http_run {
  target *t;
  size_t n, next;
  long long max_bytes, concurrency;
  double request_timeout, deadline;
  pthread_mutex_t lock;
} http_run;

/* Seconds from a JSON number or a duration string ("250ms", "1.5s",
 * "1m30s": lib/duration.h, the language of every other setting). -1 when
 * not a duration. */
static double parse_duration(const cJSON *v)
{
  double d;
  if(cJSON_IsNumber(v))
    return v->valuedouble >= 0 ? v->valuedouble : -1;
  if(cJSON_IsString(v) && duration_parse(v->valuestring, 0, &d) == 0)
    return d;
  return -1;
}

/* Frees what a target holds; wipes the token header. */
static void target_free(target *t)
{
  free(t->url);
  free(t->name);
  free(t->method);
  free(t->token_file);
  free(t->ca_file);
  free(t->shown);
  for(size_t i = 0; i < t->nheaders; i++) {
    if(t->headers[i]) {
      memset(t->headers[i], 0, strlen(t->headers[i]));
      free(t->headers[i]);
    }
  }
  for(size_t i = 0; i < t->x.nas; i++) {
    free(t->x.as[i].pointer);
    cJSON_Delete(t->x.as[i].want);
  }
  free(t->x.as);
  free(t->config_error);
  phttp_response_free(&t->resp);
}

/* Records the first configuration problem of a target. */
static void bad(target *t, const char *msg)
{
  if(!t->config_error)
    t->config_error = strdup(msg);
}

/* 1 when s holds no CR, LF or NUL-unsafe byte for a header line. */
static int header_safe(const char *s)
{
  return strpbrk(s, "\r\n") == NULL;
}

/* Reads the JSON assertions of a target. */
static void parse_assertions(target *t, const cJSON *arr)
{
  if(!cJSON_IsArray(arr)) {
    bad(t,
        "json must be a list of {\"pointer\", \"equals\"|\"one_of\"|\"min\"|\"max\"}");
    return;
  }
  int n = cJSON_GetArraySize(arr);
  if(n == 0)
    return;
  t->x.as = calloc((size_t)n, sizeof(*t->x.as));
  if(!t->x.as) {
    bad(t, "out of memory");
    return;
  }
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "pointer");
    if(!cJSON_IsString(p) || !pjsonptr_valid(p->valuestring)) {
      bad(t, "each json assertion needs \"pointer\", an RFC 6901 JSON pointer");
      return;
    }
    static const char *const kinds[] = {"equals", "one_of", "min", "max"};
    const cJSON *w = NULL;
    int k = -1;
    for(int i = 0; i < 4; i++) {
      const cJSON *x = cJSON_GetObjectItemCaseSensitive(e, kinds[i]);
      if(x) {
        if(k >= 0) {
          bad(t, "a json assertion takes one of equals, one_of, min, max");
          return;
        }
        k = i;
        w = x;
      }
    }
    if(k < 0) {
      bad(t, "a json assertion needs equals, one_of, min or max");
      return;
    }
    if(k == HJ_ONE_OF && !cJSON_IsArray(w)) {
      bad(t, "one_of must be a list");
      return;
    }
    if((k == HJ_MIN || k == HJ_MAX) && !cJSON_IsNumber(w)) {
      bad(t, "min and max must be numbers");
      return;
    }
    hjudge_assertion *a = &t->x.as[t->x.nas];
    a->pointer = strdup(p->valuestring);
    a->want = cJSON_Duplicate(w, 1);
    a->kind = (hjudge_kind)k;
    t->x.nas++;
    if(!a->pointer || !a->want) {
      bad(t, "out of memory");
      return;
    }
  }
}

/* 1 when u holds no white space nor control character (a URL never does;
 * libcurl would refuse it). */
static int url_plain(const char *u)
{
  for(; *u; u++)
    if((unsigned char)*u <= 0x20 || (unsigned char)*u == 0x7f)
      return 0;
  return 1;
}

/* The url of a target (a string or its "url"); -1 after bad(). */
static int parse_url(target *t, const cJSON *e)
{
  int oom = 0;
  const cJSON *u =
      cJSON_IsString(e) ? e : cJSON_GetObjectItemCaseSensitive(e, "url");
  if(!cJSON_IsString(u) || !*u->valuestring) {
    bad(t, "a target is a URL or an object with \"url\"");
    return -1;
  }
  t->url = putil_strdup(u->valuestring, &oom);
  t->shown = redact_target(u->valuestring);
  if(oom || !t->shown) {
    bad(t, "out of memory");
    return -1;
  }
  if((strncasecmp(t->url, "http://", 7) != 0 &&
      strncasecmp(t->url, "https://", 8) != 0) ||
     !url_plain(t->url)) {
    /* not shown: the redactor finds a URL's parts by its scheme and
     * stops it at white space, and a password in a text it cannot read
     * as a URL may pass (fuzz-http: "h\xdd!ttp://u\n:pa=ss@h") */
    free(t->shown);
    t->shown = putil_strdup("(invalid URL)", &oom);
    bad(t, oom ? "out of memory"
               : "url must be http:// or https://, without white space or "
                 "control characters");
    return -1;
  }
  return 0;
}

/* Refuses a member of a target object that is none of the known keys. */
static int known_keys(target *t, const cJSON *e)
{
  static const char *const known[] = {"url",           "name",        "method",
                                      "expect_status", "max_latency", "json",
                                      "headers",       "token_file",  "ca_file",
                                      "unhealthy_for", NULL};
  const cJSON *x;
  cJSON_ArrayForEach(x, e) {
    int ok = 0;
    for(const char *const *k = known; *k; k++)
      ok |= !strcmp(x->string, *k);
    if(!ok) {
      char m[200];
      snprintf(m, sizeof(m), "unknown key \"%.64s\" in a target", x->string);
      bad(t, m);
      return -1;
    }
  }
  return 0;
}

/* A status code from a JSON number; 0 (refused below) for one out of
 * range, whose cast would be undefined. */
static long status_code(double d)
{
  return d >= 0 && d < 1000 ? (long)d : 0;
}

/* expect_status: a code or a list of up to MAX_STATUSES, each 100-599. */
static int parse_statuses(target *t, const cJSON *x)
{
  hjudge_expect *h = &t->x;
  h->nstatus = 0;
  if(cJSON_IsNumber(x))
    h->status[h->nstatus++] = status_code(x->valuedouble);
  else if(cJSON_IsArray(x) && cJSON_GetArraySize(x) > 0 &&
          cJSON_GetArraySize(x) <= MAX_STATUSES) {
    const cJSON *s;
    cJSON_ArrayForEach(s, x) {
      if(!cJSON_IsNumber(s)) {
        bad(t, "expect_status must be a status code or a list of them");
        return -1;
      }
      h->status[h->nstatus++] = status_code(s->valuedouble);
    }
  }
  else {
    bad(t, "expect_status must be a status code or a list of up to 16");
    return -1;
  }
  for(size_t i = 0; i < h->nstatus; i++)
    if(h->status[i] < 100 || h->status[i] > 599) {
      bad(t, "expect_status codes are 100-599");
      return -1;
    }
  return 0;
}

/* headers: an object {"Name": "value"} of up to MAX_HEADERS lines. */
static int parse_headers(target *t, const cJSON *x)
{
  const cJSON *h;
  if(!cJSON_IsObject(x) || cJSON_GetArraySize(x) > MAX_HEADERS) {
    bad(t, "headers must be an object {\"Name\": \"value\"} of up to 16");
    return -1;
  }
  cJSON_ArrayForEach(h, x) {
    if(!cJSON_IsString(h) || !*h->string || strpbrk(h->string, ": \t\r\n") ||
       !header_safe(h->valuestring)) {
      bad(t, "each header is \"Name\": \"value\" on one line");
      return -1;
    }
    char *line = NULL;
    if(asprintf(&line, "%s: %s", h->string, h->valuestring) < 0) {
      bad(t, "out of memory");
      return -1;
    }
    t->headers[t->nheaders++] = line;
  }
  return 0;
}

/* A string member of e into *out (non-empty unless may_be_empty); -1
 * after bad(t, msg) when it is not one. */
static int opt_string(target *t, const cJSON *e, const char *key,
                      int may_be_empty, const char *msg, char **out)
{
  int oom = 0;
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(e, key);
  if(!x)
    return 0;
  if(!cJSON_IsString(x) || (!may_be_empty && !*x->valuestring)) {
    bad(t, msg);
    return -1;
  }
  *out = putil_strdup(x->valuestring, &oom);
  if(oom) {
    bad(t, "out of memory");
    return -1;
  }
  return 0;
}

/* A duration member of e into *out; -1 after bad(t, msg). */
static int opt_duration(target *t, const cJSON *e, const char *key,
                        const char *msg, double *out)
{
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(e, key);
  if(!x)
    return 0;
  *out = parse_duration(x);
  if(*out < 0) {
    bad(t, msg);
    return -1;
  }
  return 0;
}

/* Reads one entry of `targets` into t (config errors kept in t). */
static void parse_target(target *t, const cJSON *e, double dflt_latency)
{
  const cJSON *x;
  t->x.max_latency = dflt_latency;
  t->unhealthy_for = -1;
  t->x.status[0] = 200;
  t->x.nstatus = 1;
  if(parse_url(t, e) != 0 || cJSON_IsString(e))
    return;
  if(!cJSON_IsObject(e)) {
    bad(t, "a target is a URL or an object with \"url\"");
    return;
  }
  if(known_keys(t, e) != 0 ||
     opt_string(t, e, "name", 1, "name must be a string", &t->name) != 0)
    return;
  if((x = cJSON_GetObjectItemCaseSensitive(e, "method")) &&
     (!cJSON_IsString(x) ||
      (strcmp(x->valuestring, "GET") && strcmp(x->valuestring, "POST")))) {
    bad(t, "method must be GET or POST");
    return;
  }
  if(opt_string(t, e, "method", 1, "method must be GET or POST", &t->method) !=
     0)
    return;
  if((x = cJSON_GetObjectItemCaseSensitive(e, "expect_status")) &&
     parse_statuses(t, x) != 0)
    return;
  if(opt_duration(t, e, "max_latency",
                  "max_latency must be a duration (\"500ms\", \"2s\")",
                  &t->x.max_latency) != 0 ||
     opt_duration(t, e, "unhealthy_for",
                  "unhealthy_for must be a duration (\"1m\", \"2m\")",
                  &t->unhealthy_for) != 0)
    return;
  if((x = cJSON_GetObjectItemCaseSensitive(e, "json")))
    parse_assertions(t, x);
  if((x = cJSON_GetObjectItemCaseSensitive(e, "headers")) &&
     parse_headers(t, x) != 0)
    return;
  if(opt_string(t, e, "token_file", 0, "token_file must be a path",
                &t->token_file) != 0)
    return;
  opt_string(t, e, "ca_file", 0, "ca_file must be a path", &t->ca_file);
}

/* Reads a one-line token file into "Authorization: Bearer <token>" as the
 * last header of t. 0, or -1 with why. The buffer is wiped. */
static int load_token(target *t, char *why, size_t n)
{
  char *tok = NULL;
  size_t len = 0;
  int rc = -1;
  /* as every secret is read: no link followed but one beneath its
   * directory (a Kubernetes secret volume), a regular file, wiped after */
  if(fileio_read_secret_flags(t->token_file, HTTP_TOKEN_MAX, FILEIO_BENEATH,
                              "cannot read token_file", &tok, &len, why, n) < 0)
    return -1;
  while(len > 0 && tok[len - 1] == ' ')
    tok[--len] = '\0';
  if(len == 0 || strpbrk(tok, "\r\n"))
    snprintf(why, n, "token_file %s must hold one line (the token)",
             t->token_file);
  else if(asprintf(&t->headers[t->nheaders], "Authorization: Bearer %s", tok) <
          0) {
    t->headers[t->nheaders] = NULL;
    snprintf(why, n, "out of memory");
  }
  else {
    t->nheaders++;
    rc = 0;
  }
  fileio_secret_free(tok, len);
  return rc;
}

/* Fetches one target and judges the reply (worker thread; no host
 * calls). */
static void probe_target(http_run *c, target *t)
{
  char why[600];
  pverdict_init(&t->jv.v);
  if(t->token_file && load_token(t, why, sizeof(why)) != 0) {
    pverdict_add(&t->jv.v, PROBE_UNKNOWN, "%s", why);
    return;
  }
  double left = c->deadline - putil_now();
  double to = c->request_timeout < left ? c->request_timeout : left;
  if(to < 0.2) {
    pverdict_add(&t->jv.v, PROBE_UNKNOWN,
                 "not fetched: the run's timeout was spent");
    return;
  }
  phttp_request rq = {0};
  rq.method = t->method ? t->method : "GET";
  rq.url = t->url;
  rq.headers = t->nheaders ? (const char *const *)t->headers : NULL;
  rq.timeout_s = to;
  rq.max_bytes = (size_t)c->max_bytes;
  rq.ca_file = t->ca_file;
  t->code = phttp_fetch(&rq, &t->resp);
  t->fetched = 1;
  hjudge_reply rp = {t->code,      t->resp.error, t->resp.status,
                     t->resp.body, t->resp.len,   t->resp.elapsed_s};
  hjudge_reply_judge(&t->x, &rp, &t->jv);
}

/* Worker thread: takes targets until none is left. */
static void *worker(void *arg)
{
  http_run *c = arg;
  for(;;) {
    pthread_mutex_lock(&c->lock);
    size_t i = c->next < c->n ? c->next++ : c->n;
    pthread_mutex_unlock(&c->lock);
    if(i >= c->n)
      break;
    if(!c->t[i].config_error)
      probe_target(c, &c->t[i]);
  }
  return NULL;
}

/* State key of a target: FNV-1a of its name and redacted URL, in hex. */
static void state_key(const target *t, char *out, size_t n)
{
  uint64_t h = 1469598103934665603ull;
  for(const char *p = t->name ? t->name : ""; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ull;
  h = (h ^ 0xff) * 1099511628211ull;
  for(const char *p = t->shown; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ull;
  snprintf(out, n, "%016llx", (unsigned long long)h);
}

/* "2026-11-28T12:00:05Z" of a wall-clock time. */
static void fmt_utc(double t, char *out, size_t n)
{
  time_t tt = (time_t)t;
  struct tm tm;
  if(!gmtime_r(&tt, &tm) || !strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(out, n, "?");
}

/* unhealthy_for: keeps when the failure of t began in the state object st
 * (key -> epoch of the first failing run) and softens the verdict while
 * it is young; a target that no longer fails leaves st. */
static void apply_unhealthy(const probe_host *host, probe_result *r, target *t,
                            cJSON *st, int have_state, double now)
{
  char key[32];
  state_key(t, key, sizeof(key));
  if(!t->jv.failed) {
    cJSON_DeleteItemFromObjectCaseSensitive(st, key);
    return;
  }
  if(t->unhealthy_for < 0)
    return;
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(st, key);
  double since =
      cJSON_IsNumber(s) && s->valuedouble <= now ? s->valuedouble : now;
  if(!cJSON_IsNumber(s) || s->valuedouble > now) {
    cJSON_DeleteItemFromObjectCaseSensitive(st, key);
    cJSON_AddNumberToObject(st, key, floor(now));
    since = floor(now);
  }
  char when[32];
  fmt_utc(since, when, sizeof(when));
  host->result_detail_string(r, "failing_since", when);
  host->result_metric(r, "failing_seconds", now - since);
  if(PROBE_HOST_HAS_THRESHOLD(host))
    host->result_threshold(r, "failing_seconds", NAN, t->unhealthy_for);
  hjudge_soften(&t->jv, have_state, since, now, t->unhealthy_for, when);
}

/* The metrics of a fetched target: status, libcurl's phases, body size
 * and total time (with max_latency as its warning threshold). */
static void emit_metrics(const probe_host *host, probe_result *r,
                         const target *t)
{
  const phttp_response *rs = &t->resp;
  if(rs->status)
    host->result_metric(r, "status_code", (double)rs->status);
  if(t->code == PHTTP_OK || rs->status) {
    if(rs->dns_s >= 0)
      host->result_metric(r, "dns_seconds", rs->dns_s);
    if(rs->connect_s >= 0)
      host->result_metric(r, "connect_seconds", rs->connect_s);
    if(rs->tls_s >= 0)
      host->result_metric(r, "tls_seconds", rs->tls_s);
    if(rs->first_byte_s >= 0)
      host->result_metric(r, "first_byte_seconds", rs->first_byte_s);
    host->result_metric(r, "body_bytes", (double)rs->len);
  }
  host->result_metric(r, "total_seconds", rs->elapsed_s);
  if(t->x.max_latency >= 0 && PROBE_HOST_HAS_THRESHOLD(host))
    host->result_threshold(r, "total_seconds", t->x.max_latency, NAN);
  if(t->code != PHTTP_OK)
    host->result_detail_string(r, "error", phttp_strerror(t->code));
}

/* Emits the line of one target, unhealthy_for applied against st. */
static void emit_target(probe_ctx *ctx, const probe_host *host, target *t,
                        cJSON *st, int have_state, double now)
{
  probe_result *r =
      host->result_begin(ctx, CHECK_NAME, t->shown ? t->shown : "(url)");
  if(!r)
    return;
  if(t->name)
    host->result_detail_string(r, "name", t->name);
  if(t->config_error) {
    host->result_status(r, PROBE_UNKNOWN, "misconfigured: %s", t->config_error);
    host->result_emit(r);
    return;
  }
  apply_unhealthy(host, r, t, st, have_state, now);
  if(t->jv.v.st == PROBE_OK)
    host->result_status(r, PROBE_OK, "HTTP %ld in %.0f ms", t->resp.status,
                        t->resp.elapsed_s * 1000);
  else
    host->result_status(r, t->jv.v.st, "%s", t->jv.v.text);
  if(t->fetched)
    emit_metrics(host, r, t);
  host->result_emit(r);
}

/* Reads the targets list into c (config errors per target). -1 on a
 * list that is not one, or out of memory. */
static int read_targets(pkit *k, http_run *c, char *why, size_t n)
{
  const char *json = pkit_json(k, "targets");
  double dflt_latency = -1; /* max_latency has no default: unset is off */
  if(k->host->conf_duration(k->ctx, "max_latency", &dflt_latency) != 0)
    dflt_latency = -1;
  if(!json)
    return 0;
  cJSON *arr = cJSON_Parse(json);
  if(!cJSON_IsArray(arr)) {
    cJSON_Delete(arr);
    snprintf(why, n, "targets must be a list");
    return -1;
  }
  int cnt = cJSON_GetArraySize(arr);
  if(cnt > MAX_TARGETS) {
    cJSON_Delete(arr);
    snprintf(why, n, "more than %d targets", MAX_TARGETS);
    return -1;
  }
  if(cnt > 0 && !(c->t = calloc((size_t)cnt, sizeof(*c->t)))) {
    cJSON_Delete(arr);
    snprintf(why, n, "out of memory");
    return -1;
  }
  const cJSON *e;
  cJSON_ArrayForEach(e, arr)
    parse_target(&c->t[c->n++], e, dflt_latency);
  cJSON_Delete(arr);
  return 0;
}

/* The settings of the plugin, for both run and check_config, through the
 * kit (the defaults are the table's alone). A run uses the table's
 * default for a size or timeout below 1 and keeps concurrency within
 * 1-MAX_CONCURRENCY; check_config refuses such a concurrency and every
 * bad target. -1 when the targets list is unusable (why says why) or,
 * when checking, after any problem. */
static int read_settings(pkit *k, http_run *c, int checking, char *why,
                         size_t n)
{
  int badc = 0;
  c->max_bytes = pkit_int(k, "max_response_bytes");
  if(c->max_bytes <= 0)
    c->max_bytes = (long long)pkit_default(k, "max_response_bytes");
  c->request_timeout = pkit_duration(k, "request_timeout");
  if(!(c->request_timeout > 0))
    c->request_timeout = pkit_default(k, "request_timeout");
  c->concurrency = pkit_int(k, "concurrency");
  if(checking && (c->concurrency < 1 || c->concurrency > MAX_CONCURRENCY)) {
    k->host->config_error(k->ctx, "concurrency", "must be 1-%d",
                          MAX_CONCURRENCY);
    badc = 1;
  }
  if(c->concurrency < 1)
    c->concurrency = 1;
  if(c->concurrency > MAX_CONCURRENCY)
    c->concurrency = MAX_CONCURRENCY;
  if(read_targets(k, c, why, n) != 0) {
    if(checking)
      k->host->config_error(k->ctx, "targets", "%s", why);
    return -1;
  }
  for(size_t i = 0; checking && i < c->n; i++)
    if(c->t[i].config_error) {
      k->host->config_error(k->ctx, "targets", "target %zu (%s): %s", i + 1,
                            c->t[i].shown ? c->t[i].shown : "?",
                            c->t[i].config_error);
      badc = 1;
    }
  return badc ? -1 : 0;
}

/* Frees the targets of c. */
static void run_free(http_run *c)
{
  for(size_t i = 0; i < c->n; i++)
    target_free(&c->t[i]);
  free(c->t);
  c->t = NULL;
  c->n = 0;
}

/* Emits one unknown line for the plugin as a whole. */
static void whole_unknown(probe_ctx *ctx, const probe_host *host,
                          const char *msg)
{
  probe_result *r = host->result_begin(ctx, CHECK_NAME, "-");
  if(r) {
    host->result_status(r, PROBE_UNKNOWN, "%s", msg);
    host->result_emit(r);
  }
}

/* Gathers: fetches every target on up to `concurrency` threads, each
 * judging its own reply. */
static void fetch_all(http_run *c)
{
  pthread_t th[MAX_CONCURRENCY];
  size_t started = 0;
  size_t nthreads =
      (size_t)c->concurrency < c->n ? (size_t)c->concurrency : c->n;
  for(size_t i = 0; i < nthreads; i++) {
    if(pthread_create(&th[i], NULL, worker, c) != 0)
      break;
    started++;
  }
  if(started == 0)
    worker(c);
  for(size_t i = 0; i < started; i++)
    pthread_join(th[i], NULL);
}

/* The failing_since state of the targets with unhealthy_for: read into
 * *st (an object, empty when there is none); *have_state 1 when it may be
 * written back. */
static void load_state(probe_ctx *ctx, const probe_host *host, const char *sdir,
                       cJSON **st, int *have_state)
{
  char *buf = NULL;
  size_t len = 0;
  int rr = pstate_read(sdir, STATE_FILE, STATE_MAX, &buf, &len);
  *st = NULL;
  if(rr == 0)
    *st = cJSON_Parse(buf);
  free(buf);
  if(rr == 0 && !cJSON_IsObject(*st))
    host->log(ctx, PROBE_LOG_WARNING, "state %s/%s unreadable, starting afresh",
              sdir, STATE_FILE);
  if(rr >= 0)
    *have_state = 1;
  else
    host->log(ctx, PROBE_LOG_WARNING, "cannot read state %s/%s: %s", sdir,
              STATE_FILE, strerror(errno));
}

/* Emits every target in order, then writes the state back. */
static void emit_all(probe_ctx *ctx, const probe_host *host, http_run *c)
{
  cJSON *st = NULL;
  int have_state = 0, stateful = 0;
  const char *sdir = host->state_dir ? host->state_dir(ctx) : NULL;
  for(size_t i = 0; i < c->n; i++)
    stateful |= c->t[i].unhealthy_for >= 0;
  if(stateful && sdir)
    load_state(ctx, host, sdir, &st, &have_state);
  if(!cJSON_IsObject(st)) {
    cJSON_Delete(st);
    st = cJSON_CreateObject();
  }
  double now = putil_wall();
  for(size_t i = 0; i < c->n; i++)
    emit_target(ctx, host, &c->t[i], st, have_state, now);
  if(stateful && have_state && st) {
    char *txt = cJSON_PrintUnformatted(st);
    if(!txt || pstate_write(sdir, STATE_FILE, txt, strlen(txt)) != 0)
      host->log(ctx, PROBE_LOG_WARNING, "cannot write state %s/%s: %s", sdir,
                STATE_FILE, strerror(errno));
    free(txt);
  }
  cJSON_Delete(st);
}

/* The run: read settings, fetch and judge concurrently, emit in order. */
static int http_run_fn(probe_ctx *ctx, const probe_host *host)
{
  http_run c;
  char why[300];
  pkit k;

  memset(&c, 0, sizeof(c));
  pthread_mutex_init(&c.lock, NULL);
  pkit_init(&k, ctx, host, http_settings);
  double tl = host->time_left ? host->time_left(ctx) : 30;
  if(!(tl > 0))
    tl = 30;
  c.deadline = putil_now() + (tl > 1.0 ? tl - 0.5 : tl * 0.5);
  if(read_settings(&k, &c, 0, why, sizeof(why)) != 0)
    whole_unknown(ctx, host, why);
  else if(c.n == 0)
    whole_unknown(ctx, host, "nothing to check: set http.targets");
  else if(phttp_init(why, sizeof(why)) != 0)
    whole_unknown(ctx, host, why);
  else {
    fetch_all(&c);
    emit_all(ctx, host, &c);
  }
  run_free(&c);
  pthread_mutex_destroy(&c.lock);
  pkit_free(&k);
  return 0;
}

/* --check-config: every bad setting and target named, no network. */
static int http_check_config(probe_ctx *ctx, const probe_host *host)
{
  http_run c;
  char why[300];
  pkit k;
  memset(&c, 0, sizeof(c));
  pkit_init(&k, ctx, host, http_settings);
  int badc = read_settings(&k, &c, 1, why, sizeof(why)) != 0;
  run_free(&c);
  pkit_free(&k);
  return badc;
}

/* Sockets for the endpoints; nothing else. */
PROBE_PLUGIN_EXPORT const probe_sandbox
    probe_plugin_sandbox = {PROBE_SANDBOX_VERSION, PROBE_NEEDS_NETWORK};

PROBE_PLUGIN_EXPORT const probe_plugin probe_plugin_entry = {
    PROBE_PLUGIN_ABI,
    "http",
    PACKAGE_VERSION,
    "the services' own endpoints: status, latency phases, JSON assertions, unhealthy_for",
    http_settings,
    NULL,
    http_run_fn,
    NULL,
    http_check_config};
