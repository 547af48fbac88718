/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deadletter.c: the deadletter plugin. Counts the relay's dead letters
 * from its API (GET {url}/relay/workflow/dead-letters, the count at the
 * RFC 6901 pointer count_pointer, so Svix/Hookdeck/Convoy-like APIs fit)
 * or from its store (a PostgreSQL table, read-only session), and reads
 * GET {url}/relay/workflow/status (connected, backlog).
 *
 * Checks: deadletter.count (warning >= count_warning, critical >=
 * count_critical), deadletter.rate (critical when more than rate_critical
 * arrived in rate_window: from the store's created_column, or, when only
 * the API's count is known, from the counts this plugin saw in earlier
 * runs, kept in its state directory), relay.status (critical when not
 * connected or not reachable).
 *
 * Every response is bounded (phttp: size, time, same-scheme redirects);
 * the auth token comes from a file and is never printed.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "probe-plugin.h"
#include "lib/fileio.h"
#include "lib/redact.h"
#include "lib/statefile.h"
#include "plugins/common/phttp.h"
#include "plugins/common/pkit.h"
#include "plugins/common/pjsonptr.h"
#include "plugins/common/ppg.h"
#include "plugins/common/pstate.h"
#include "plugins/common/putil.h"
#include "plugins/deadletter/dljudge.h"
#include "plugins/deadletter/relayjson.h"

#define STATE_MAX (256 * 1024)
#define DL_TOKEN_MAX 4095 /* token_file: larger is refused, never cut */

static const probe_setting settings[] = {
    {"url", PROBE_SET_STRING, NULL, 0,
     "base URL of the relay's API (http:// or https://)"},
    {"dead_letters_path", PROBE_SET_STRING, "\"/relay/workflow/dead-letters\"",
     0, "path of the dead-letter endpoint under url"},
    {"status_path", PROBE_SET_STRING, "\"/relay/workflow/status\"", 0,
     "path of the status endpoint under url (\"\" to skip relay.status)"},
    {"count_pointer", PROBE_SET_STRING, "\"/count\"", 0,
     "RFC 6901 pointer to the count (a number, or an array whose length counts)"},
    {"connected_pointer", PROBE_SET_STRING, "\"/connected\"", 0,
     "RFC 6901 pointer to the status's connected flag"},
    {"backlog_pointer", PROBE_SET_STRING, "\"/backlog\"", 0,
     "RFC 6901 pointer to the status's backlog"},
    {"token_file", PROBE_SET_STRING, NULL, PROBE_SETTING_FILE,
     "file holding the API token (never sent on a redirect to another origin)"},
    {"auth_header", PROBE_SET_STRING, "\"Authorization\"", 0,
     "header that carries the token"},
    {"auth_scheme", PROBE_SET_STRING, "\"Bearer\"", 0,
     "word before the token in that header (\"\" for the bare token)"},
    {"max_response_bytes", PROBE_SET_INT, "16777216", 0,
     "largest response body accepted"},
    {"conninfo", PROBE_SET_STRING, NULL, PROBE_SETTING_SECRET,
     "libpq conninfo or URI of the relay's store"},
    {"password_file", PROBE_SET_STRING, NULL, PROBE_SETTING_FILE,
     "file holding the store's password"},
    {"table", PROBE_SET_STRING, NULL, 0,
     "the store's dead-letter table ([schema.]name)"},
    {"created_column", PROBE_SET_STRING, "\"created_at\"", 0,
     "when a dead letter arrived (for the rate)"},
    {"count_warning", PROBE_SET_INT, "1", 0,
     "deadletter.count warning at this many"},
    {"count_critical", PROBE_SET_INT, "5", 0,
     "deadletter.count critical at this many"},
    {"rate_critical", PROBE_SET_INT, "5", 0,
     "deadletter.rate critical when more than this many arrived in rate_window"},
    {"rate_window", PROBE_SET_DURATION, "\"15m\"", 0,
     "window of deadletter.rate"},
    {NULL, 0, NULL, 0, NULL}};

/* The settings of a run, read once for run and check_config alike. */
typedef struct dl_settings {
  const char *url, *conninfo, *table, *created;
  const char *dl_path, *st_path; /* st_path "": no relay.status */
  const char *count_ptr, *conn_ptr, *backlog_ptr;
  const char *token_file, *auth_header, *auth_scheme, *password_file;
  dl_limits lim;
  size_t max_bytes;
} dl_settings;

/* One run's settings and findings. */
typedef struct dl {
  probe_ctx *ctx;
  const probe_host *host;
  dl_settings s;
  const char *url;
  char *url_shown; /* redacted */
  char *auth;      /* "Header: scheme token", wiped on exit */
  size_t max_bytes;
  double timeout;
} dl;

/* Reads every setting (defaults: the table's, through pkit). */
static void read_settings(pkit *k, dl_settings *s)
{
  memset(s, 0, sizeof(*s));
  s->url = pkit_opt(k, "url");
  s->conninfo = pkit_opt(k, "conninfo");
  s->table = pkit_opt(k, "table");
  s->created = pkit_nonempty(k, "created_column");
  s->dl_path = pkit_nonempty(k, "dead_letters_path");
  s->st_path = pkit_str(k, "status_path");
  s->count_ptr = pkit_str(k, "count_pointer");
  s->conn_ptr = pkit_str(k, "connected_pointer");
  s->backlog_ptr = pkit_str(k, "backlog_pointer");
  s->token_file = pkit_opt(k, "token_file");
  s->auth_header = pkit_nonempty(k, "auth_header");
  s->auth_scheme = pkit_str(k, "auth_scheme");
  s->password_file = pkit_opt(k, "password_file");
  s->lim.count_warning = pkit_int(k, "count_warning");
  s->lim.count_critical = pkit_int(k, "count_critical");
  s->lim.rate_critical = pkit_int(k, "rate_critical");
  s->lim.window = pkit_duration(k, "rate_window");
  if(s->lim.window <= 0)
    s->lim.window = pkit_default(k, "rate_window");
  long long maxb = pkit_int(k, "max_response_bytes");
  s->max_bytes = maxb > 0 ? (size_t)maxb : 0;
}

/* GETs base+path; on success *resp holds a 2xx body. Otherwise returns the
   phttp code (or PHTTP_OK with a non-2xx status) and writes why to why. */
static int get(dl *d, const char *path, phttp_response *resp, char *why,
               size_t n, int *unreachable)
{
  char url[2048];
  size_t bl = strlen(d->url);
  while(bl > 0 && d->url[bl - 1] == '/')
    bl--;
  snprintf(url, sizeof(url), "%.*s%s", (int)bl, d->url, path);
  char *shown = redact_target(url);
  const char *headers[2] = {d->auth, NULL};
  phttp_request req = {
      "GET",      url,          NULL, 0, d->auth ? headers : NULL,
      d->timeout, d->max_bytes, NULL};
  phttp_code c = phttp_fetch(&req, resp);
  *unreachable = 0;
  int rc = 0;
  if(c != PHTTP_OK) {
    snprintf(why, n, "GET %s: %s%s%s", shown ? shown : "(url)",
             phttp_strerror(c), resp->error[0] ? ": " : "", resp->error);
    *unreachable = c == PHTTP_ERR_CONNECT || c == PHTTP_ERR_TIMEOUT;
    rc = -1;
  }
  else if(resp->status < 200 || resp->status > 299) {
    snprintf(why, n, "GET %s: HTTP %ld", shown ? shown : "(url)", resp->status);
    *unreachable = resp->status >= 500;
    rc = -1;
  }
  free(shown);
  return rc;
}

/* Loads the count history; a missing or unreadable one is empty. */
static void hist_load(const char *dir, const char *name, dl_hist *h)
{
  memset(h, 0, sizeof(*h));
  cJSON *j = pstate_read_json(dir, name, STATE_MAX);
  if(!j)
    return;
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "samples");
  int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0;
  if(n > DL_HIST_MAX)
    n = DL_HIST_MAX;
  if(n > 0 && (h->s = calloc((size_t)n, sizeof(*h->s)))) {
    const cJSON *e;
    cJSON_ArrayForEach(e, a) {
      const cJSON *t = cJSON_GetArrayItem(e, 0), *c = cJSON_GetArrayItem(e, 1);
      if(h->n < (size_t)n && cJSON_IsNumber(t) && cJSON_IsNumber(c)) {
        h->s[h->n][0] = t->valuedouble;
        h->s[h->n][1] = c->valuedouble;
        h->n++;
      }
    }
  }
  cJSON_Delete(j);
}

/* Keeps the count history. Returns 0, or -1 with why filled: the next
 * run would judge the rate without this sample, so the caller says so in
 * the stream (a state that cannot be kept is never silence). A missing
 * directory is the host's to report (its agent.state line). */
static int hist_save(const char *dir, const char *name, const dl_hist *h,
                     char *why, size_t whylen)
{
  if(!dir)
    return 0;
  cJSON *j = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(j, "samples");
  for(size_t i = 0; a && i < h->n; i++)
    cJSON_AddItemToArray(a, cJSON_CreateDoubleArray(h->s[i], 2));
  char *txt = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  int rc = 0;
  if(!txt || pstate_write(dir, name, txt, strlen(txt)) < 0) {
    snprintf(why, whylen,
             "cannot keep the dead-letter counts in %.300s/%.64s: %.200s", dir,
             name, txt ? strerror(errno) : "out of memory");
    rc = -1;
  }
  free(txt);
  return rc;
}


/* Dead letters from the store: count and arrivals in the window. */
static int from_store(dl *d, const char *conninfo, const char *table,
                      const char *created, double window, double *count,
                      double *recent, dl_arrivals *arr, char *why, size_t n)
{
  PGconn *c =
      ppg_connect_pwfile(conninfo, d->s.password_file, d->timeout, why, n);
  PGresult *r = NULL;
  char *t = NULL, *cc = NULL, *sql = NULL;
  int rc = -1;
  if(!c)
    return -1;
  t = ppg_quote_qualified(c, table);
  cc = sym_PQescapeIdentifier(c, created, strlen(created));
  if(!t || !cc) {
    snprintf(why, n, "cannot quote table '%s' or column '%s'", table, created);
    goto out;
  }
  if(asprintf(
         &sql,
         "SELECT count(*), count(*) FILTER (WHERE %s >= now() - make_interval(secs => $1::float8)),"
         " extract(epoch FROM min(%s) FILTER (WHERE %s >= now() - make_interval(secs => $1::float8))),"
         " extract(epoch FROM max(%s) FILTER (WHERE %s >= now() - make_interval(secs => $1::float8)))"
         " FROM %s",
         cc, cc, cc, cc, cc, t) < 0) {
    sql = NULL;
    goto out;
  }
  char wb[32];
  snprintf(wb, sizeof(wb), "%.3f", window);
  const char *params[1] = {wb};
  r = sym_PQexecParams(c, sql, 1, NULL, params, NULL, NULL, 0);
  if(sym_PQresultStatus(r) != PGRES_TUPLES_OK || sym_PQntuples(r) != 1) {
    char e[400];
    ppg_error(c, r, e, sizeof(e));
    snprintf(why, n, "query on %s failed: %s", table, e);
    goto out;
  }
  *count = strtod(sym_PQgetvalue(r, 0, 0), NULL);
  *recent = strtod(sym_PQgetvalue(r, 0, 1), NULL);
  arr->exact = 1;
  arr->first = arr->last = -1;
  if(!sym_PQgetisnull(r, 0, 2) && !sym_PQgetisnull(r, 0, 3)) {
    arr->first = strtod(sym_PQgetvalue(r, 0, 2), NULL);
    arr->last = strtod(sym_PQgetvalue(r, 0, 3), NULL);
  }
  rc = 0;
out:
  sym_PQclear(r);
  free(sql);
  free(t);
  sym_PQfreemem(cc);
  sym_PQfinish(c);
  return rc;
}

/* relay.status from the API. */
static int status_line(dl *d, const char *path, const char *conn_ptr,
                       const char *backlog_ptr)
{
  char why[600], target[2100];
  phttp_response resp = {0};
  int unreachable = 0, rc;
  snprintf(target, sizeof(target), "%s", d->url_shown);
  if(get(d, path, &resp, why, sizeof(why), &unreachable) < 0) {
    char msg[700];
    snprintf(msg, sizeof(msg), "%s%s",
             unreachable ? "relay not reachable: " : "", why);
    rc = pkit_line(d->ctx, d->host, "relay.status", target,
                   unreachable ? PROBE_CRITICAL : PROBE_UNKNOWN, "%s", msg);
    phttp_response_free(&resp);
    return rc;
  }
  relay_status st;
  if(relayjson_status(resp.body, resp.len, conn_ptr, backlog_ptr, &st, why,
                      sizeof(why)) < 0) {
    char msg[700];
    snprintf(msg, sizeof(msg), "status response: %s", why);
    rc = pkit_line(d->ctx, d->host, "relay.status", target, PROBE_UNKNOWN, "%s",
                   msg);
    phttp_response_free(&resp);
    return rc;
  }
  phttp_response_free(&resp);
  probe_result *r = d->host->result_begin(d->ctx, "relay.status", target);
  if(!r)
    return -1;
  if(st.connected)
    d->host->result_status(r, PROBE_OK, "relay connected%s",
                           st.has_backlog ? "" : " (no backlog field)");
  else
    d->host->result_status(r, PROBE_CRITICAL, "relay not connected");
  d->host->result_detail_bool(r, "connected", st.connected);
  d->host->result_metric(r, "connected", st.connected);
  if(st.has_backlog)
    d->host->result_metric(r, "backlog", st.backlog);
  return d->host->result_emit(r);
}

/* The deadletter.count and deadletter.rate lines of a run that could not
 * count: both unknown, saying why. */
static void both_unknown(dl *d, const char *target, const char *why)
{
  pkit_line(d->ctx, d->host, "deadletter.count", target, PROBE_UNKNOWN, "%s",
            why);
  pkit_line(d->ctx, d->host, "deadletter.rate", target, PROBE_UNKNOWN, "%s",
            why);
}

/* Reads token_file into the auth header. -1 (after reporting) when it
 * cannot be used. */
static int setup_auth(dl *d)
{
  const dl_settings *s = &d->s;
  char why[700], *tok = NULL;
  size_t len = 0;
  if(fileio_read_secret_flags(s->token_file, DL_TOKEN_MAX, FILEIO_BENEATH,
                              "cannot read token_file", &tok, &len, why,
                              sizeof(why)) < 0) {
    pkit_line(d->ctx, d->host, "deadletter.count", d->url_shown, PROBE_UNKNOWN,
              "%s", why);
    if(s->st_path && *s->st_path)
      pkit_line(d->ctx, d->host, "relay.status", d->url_shown, PROBE_UNKNOWN,
                "%s", why);
    return -1;
  }
  while(len > 0 && tok[len - 1] == ' ')
    tok[--len] = '\0';
  const char *scheme = s->auth_scheme ? s->auth_scheme : "";
  int bad = strpbrk(tok, "\r\n") != NULL;
  if(bad || asprintf(&d->auth, "%s: %s%s%s", s->auth_header, scheme,
                     *scheme ? " " : "", tok) < 0) {
    d->auth = NULL;
    fileio_secret_free(tok, len);
    pkit_line(d->ctx, d->host, "deadletter.count", d->url_shown, PROBE_UNKNOWN,
              "token_file must hold one line");
    return -1;
  }
  fileio_secret_free(tok, len);
  return 0;
}

/* The store: exact count and arrivals from its timestamps. */
static int run_store(dl *d)
{
  const dl_settings *s = &d->s;
  char why[700], target[2100], note[200];
  char *red = redact_target(s->conninfo);
  snprintf(target, sizeof(target), "%s (%s)", red ? red : "?",
           s->table ? s->table : "?");
  free(red);
  dl_count c = {0, 0, {-1, -1, 1}, "store", note};
  int rc = 0;
  if(!s->table)
    pkit_misconfigured(d->ctx, d->host, "deadletter.count", target,
                       "'conninfo' needs 'table' (the dead-letter table)");
  else if(from_store(d, s->conninfo, s->table, s->created, s->lim.window,
                     &c.count, &c.new_in_window, &c.arr, why, sizeof(why)) < 0)
    both_unknown(d, target, why);
  else {
    snprintf(note, sizeof(note), "rows of %s whose %s is inside the window",
             s->table, s->created);
    dl_verdict v;
    dl_judge(&s->lim, &c, &v);
    rc = dl_emit(d->ctx, d->host, target, &s->lim, &c, &v) != 0 ? -1 : 0;
  }
  return rc;
}

/* The state file of an API's counts: named by the URL and pointer. */
static void counts_name(const dl *d, char *name, size_t n)
{
  const char *parts[] = {d->url_shown, d->s.count_ptr};
  statefile_name("counts", NULL, parts, 2, name, n);
}

/* The rate from the counts of earlier runs, kept in the state directory;
 * a history that cannot be kept is said in its own line. */
static int judge_api_count(dl *d, const char *target, double count)
{
  char name[64], serr[640];
  dl_hist h = {0};
  counts_name(d, name, sizeof(name));
  const char *sdir = d->host->state_dir ? d->host->state_dir(d->ctx) : NULL;
  hist_load(sdir, name, &h);
  dl_count c = {count,
                -1,
                {-1, -1, 0},
                "api",
                "the API gives only a count: arrivals are the increases "
                "between the counts this plugin saw in earlier runs (state "
                "directory)"};
  dl_hist_step(&h, putil_wall(), d->s.lim.window, &c);
  int kept = hist_save(sdir, name, &h, serr, sizeof(serr));
  free(h.s);
  dl_verdict v;
  dl_judge(&d->s.lim, &c, &v);
  int rc = dl_emit(d->ctx, d->host, target, &d->s.lim, &c, &v) != 0 ? -1 : 0;
  if(kept < 0)
    pkit_line(d->ctx, d->host, "deadletter.state", target, PROBE_UNKNOWN,
              "%s; the next runs cannot judge the rate", serr);
  return rc;
}

/* The API: a count now, arrivals from the counts of earlier runs. */
static int run_api(dl *d)
{
  char why[700], perr[300], target[2100];
  phttp_response resp = {0};
  int unreachable, rc = 0;
  double count;
  snprintf(target, sizeof(target), "%s", d->url_shown);
  if(get(d, d->s.dl_path, &resp, why, sizeof(why), &unreachable) < 0)
    both_unknown(d, target, why);
  else if(relayjson_count(resp.body, resp.len, d->s.count_ptr, &count, perr,
                          sizeof(perr)) < 0) {
    snprintf(why, sizeof(why), "dead-letter response: %s", perr);
    both_unknown(d, target, why);
  }
  else
    rc = judge_api_count(d, target, count);
  phttp_response_free(&resp);
  return rc;
}

/* read settings -> (store | API) -> judge -> emit, then relay.status. */
static int dl_run(probe_ctx *ctx, const probe_host *host)
{
  dl d = {0};
  pkit k;
  int rc = 0;
  d.ctx = ctx;
  d.host = host;
  pkit_init(&k, ctx, host, settings);
  read_settings(&k, &d.s);
  d.url = d.s.url;
  d.max_bytes = d.s.max_bytes;
  double tl = host->time_left ? host->time_left(ctx) : 10;
  d.timeout = (tl - 1) / 2;
  if(d.timeout > 10)
    d.timeout = 10;
  if(d.timeout < 0.5)
    d.timeout = 0.5;
  if(!d.url && !d.s.conninfo) {
    pkit_misconfigured(ctx, host, "deadletter.count", "deadletter",
                       "set 'url' (the relay's API) or 'conninfo' and 'table' "
                       "(its store)");
    goto out;
  }
  if(d.url && !(d.url_shown = redact_target(d.url))) {
    rc = -1;
    goto out;
  }
  if(d.s.token_file && d.url && setup_auth(&d) < 0)
    goto out;
  rc = d.s.conninfo ? run_store(&d) : run_api(&d);
  if(d.url && d.s.st_path && *d.s.st_path &&
     status_line(&d, d.s.st_path, d.s.conn_ptr, d.s.backlog_ptr) != 0)
    rc = -1;
out:
  if(d.auth) {
    explicit_bzero(d.auth, strlen(d.auth));
    free(d.auth);
  }
  free(d.url_shown);
  pkit_free(&k);
  return rc;
}

/* Checks the settings' meaning without touching the network. */
static int dl_check_config(probe_ctx *ctx, const probe_host *host)
{
  pkit k;
  dl_settings s;
  int bad = 0;
  pkit_init(&k, ctx, host, settings);
  read_settings(&k, &s);
  if(!s.url && !s.conninfo) {
    host->config_error(ctx, NULL,
                       "set 'url' (the relay's API) or 'conninfo' "
                       "and 'table' (its store)");
    bad = 1;
  }
  if(s.url && strncmp(s.url, "http://", 7) != 0 &&
     strncmp(s.url, "https://", 8) != 0) {
    host->config_error(ctx, "url", "must be an http:// or https:// URL");
    bad = 1;
  }
  if(s.conninfo && !s.table) {
    host->config_error(ctx, "table", "'conninfo' needs the dead-letter table");
    bad = 1;
  }
  if(s.conninfo && !ppg_looks_like_conninfo(s.conninfo)) {
    host->config_error(ctx, "conninfo",
                       "is not a libpq conninfo or postgresql:// URI");
    bad = 1;
  }
  const char *keys[] = {"count_pointer", "connected_pointer",
                        "backlog_pointer"};
  const char *ptrs[] = {s.count_ptr, s.conn_ptr, s.backlog_ptr};
  for(size_t i = 0; i < 3; i++)
    if(ptrs[i] && !pjsonptr_valid(ptrs[i])) {
      host->config_error(ctx, keys[i],
                         "is not an RFC 6901 JSON pointer "
                         "(\"\" or /a/b, ~0 ~1 escapes)");
      bad = 1;
    }
  pkit_free(&k);
  return bad;
}

/* The relay's HTTP API and its PostgreSQL store. */
PROBE_PLUGIN_EXPORT const probe_sandbox
    probe_plugin_sandbox = {PROBE_SANDBOX_VERSION, PROBE_NEEDS_NETWORK};

PROBE_PLUGIN_EXPORT const probe_plugin probe_plugin_entry = {
    PROBE_PLUGIN_ABI,
    "deadletter",
    PACKAGE_VERSION,
    "the relay's dead letters (API or store), their arrival rate and the relay's connection",
    settings,
    NULL,
    dl_run,
    NULL,
    dl_check_config};
