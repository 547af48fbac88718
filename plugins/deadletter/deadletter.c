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
#include "lib/redact.h"
#include "plugins/common/phttp.h"
#include "plugins/common/pjsonptr.h"
#include "plugins/common/ppg.h"
#include "plugins/common/pstate.h"
#include "plugins/common/putil.h"
#include "plugins/deadletter/relayjson.h"

#define STATE_MAX (256 * 1024)
#define HIST_MAX 2000

static const probe_setting settings[] = {
    {"url", PROBE_SET_STRING, NULL, 0, "base URL of the relay's API (http:// or https://)"},
    {"dead_letters_path", PROBE_SET_STRING, "\"/relay/workflow/dead-letters\"", 0,
     "path of the dead-letter endpoint under url"},
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
    {"auth_header", PROBE_SET_STRING, "\"Authorization\"", 0, "header that carries the token"},
    {"auth_scheme", PROBE_SET_STRING, "\"Bearer\"", 0,
     "word before the token in that header (\"\" for the bare token)"},
    {"max_response_bytes", PROBE_SET_INT, "16777216", 0, "largest response body accepted"},
    {"conninfo", PROBE_SET_STRING, NULL, PROBE_SETTING_SECRET,
     "libpq conninfo or URI of the relay's store"},
    {"password_file", PROBE_SET_STRING, NULL, PROBE_SETTING_FILE,
     "file holding the store's password"},
    {"table", PROBE_SET_STRING, NULL, 0, "the store's dead-letter table ([schema.]name)"},
    {"created_column", PROBE_SET_STRING, "\"created_at\"", 0,
     "when a dead letter arrived (for the rate)"},
    {"count_warning", PROBE_SET_INT, "1", 0, "deadletter.count warning at this many"},
    {"count_critical", PROBE_SET_INT, "5", 0, "deadletter.count critical at this many"},
    {"rate_critical", PROBE_SET_INT, "5", 0,
     "deadletter.rate critical when more than this many arrived in rate_window"},
    {"rate_window", PROBE_SET_DURATION, "\"15m\"", 0, "window of deadletter.rate"},
    {NULL, 0, NULL, 0, NULL}};

/* One run's settings and findings. */
typedef struct dl {
  probe_ctx *ctx;
  const probe_host *host;
  const char *url;
  char *url_shown; /* redacted */
  char *auth;      /* "Header: scheme token", wiped on exit */
  size_t max_bytes;
  double timeout;
} dl;

static const char *opt(probe_ctx *ctx, const probe_host *host, const char *key)
{
  const char *v = NULL;
  if(host->conf_string(ctx, key, &v) != 0 || !v || !*v)
    return NULL;
  return v;
}

/* Reads a one-line secret file (at most n-1 bytes, trailing newline cut). */
static int read_secret_file(const char *path, char *buf, size_t n)
{
  FILE *f = fopen(path, "re");
  if(!f)
    return -1;
  size_t r = fread(buf, 1, n - 1, f);
  int bad = ferror(f) || (r == n - 1 && fgetc(f) != EOF);
  fclose(f);
  if(bad) {
    errno = EFBIG;
    return -1;
  }
  buf[r] = '\0';
  while(r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == '\r' || buf[r - 1] == ' '))
    buf[--r] = '\0';
  return 0;
}

/* Emits a line with one status and summary. */
static int line(dl *d, const char *check, const char *target, probe_status st, const char *msg)
{
  probe_result *r = d->host->result_begin(d->ctx, check, target);
  if(!r)
    return -1;
  d->host->result_status(r, st, "%s", msg);
  return d->host->result_emit(r);
}

/* GETs base+path; on success *resp holds a 2xx body. Otherwise returns the
   phttp code (or PHTTP_OK with a non-2xx status) and writes why to why. */
static int get(dl *d, const char *path, phttp_response *resp, char *why, size_t n,
               int *unreachable)
{
  char url[2048];
  size_t bl = strlen(d->url);
  while(bl > 0 && d->url[bl - 1] == '/')
    bl--;
  snprintf(url, sizeof(url), "%.*s%s", (int)bl, d->url, path);
  char *shown = redact_target(url);
  const char *headers[2] = {d->auth, NULL};
  phttp_request req = {"GET", url, NULL, 0, d->auth ? headers : NULL, d->timeout, d->max_bytes, NULL};
  phttp_code c = phttp_fetch(&req, resp);
  *unreachable = 0;
  int rc = 0;
  if(c != PHTTP_OK) {
    snprintf(why, n, "GET %s: %s%s%s", shown ? shown : "(url)", phttp_strerror(c),
             resp->error[0] ? ": " : "", resp->error);
    *unreachable = c == PHTTP_ERR_CONNECT || c == PHTTP_ERR_TIMEOUT;
    rc = -1;
  } else if(resp->status < 200 || resp->status > 299) {
    snprintf(why, n, "GET %s: HTTP %ld", shown ? shown : "(url)", resp->status);
    *unreachable = resp->status >= 500;
    rc = -1;
  }
  free(shown);
  return rc;
}

/* Count history for the API-only rate: [t, count] samples. */
typedef struct hist {
  double (*s)[2];
  size_t n;
} hist;

static void hist_load(const char *dir, const char *name, hist *h)
{
  memset(h, 0, sizeof(*h));
  char *buf = NULL;
  size_t len = 0;
  if(!dir || pstate_read(dir, name, STATE_MAX, &buf, &len) != 0)
    return;
  cJSON *j = cJSON_Parse(buf);
  free(buf);
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "samples");
  int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0;
  if(n > HIST_MAX)
    n = HIST_MAX;
  if(n > 0 && (h->s = calloc((size_t)n, sizeof(*h->s)))) {
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
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
static int hist_save(const char *dir, const char *name, const hist *h, char *why,
                     size_t whylen)
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
    snprintf(why, whylen, "cannot keep the dead-letter counts in %.300s/%.64s: %.200s", dir, name,
             txt ? strerror(errno) : "out of memory");
    rc = -1;
  }
  free(txt);
  return rc;
}


/* "2026-11-28T12:00:05Z" for a wall-clock time. */
static void fmt_utc(double t, char *out, size_t n)
{
  time_t tt = (time_t)t;
  struct tm tm;
  if(!gmtime_r(&tt, &tm) || !strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(out, n, "?");
}

/* When the dead letters counted in the window arrived (wall seconds;
   first < 0: not known). From the store these are the rows' own times;
   from the API, the runs that first saw each increase. */
typedef struct arrivals {
  double first, last;
  int exact; /* 1: the rows' times; 0: when this plugin saw them */
} arrivals;

/* Reports count and rate lines from a count (and a windowed count when
   known: new_in_window >= 0). Every warning and critical summary names
   the setting and value it crossed, and the rate's says when the dead
   letters it counts arrived, so that a rate still critical after the
   relay recovered reads as what it is. */
static int report(dl *d, const char *target, double count, double new_in_window,
                  const arrivals *arr, const char *rate_note, long long cw, long long cc,
                  long long rc, double window, const char *source)
{
  char wb[32];
  if(window >= 120)
    snprintf(wb, sizeof(wb), "%.0fm", window / 60);
  else
    snprintf(wb, sizeof(wb), "%.0fs", window);
  probe_result *r = d->host->result_begin(d->ctx, "deadletter.count", target);
  if(!r)
    return -1;
  if(count >= (double)cc)
    d->host->result_status(r, PROBE_CRITICAL, "%.0f dead letters (count_critical=%lld)", count, cc);
  else if(count >= (double)cw)
    d->host->result_status(r, PROBE_WARNING, "%.0f dead letters (count_warning=%lld)", count, cw);
  else
    d->host->result_status(r, PROBE_OK, "%.0f dead letters", count);
  d->host->result_metric(r, "dead_letters", count);
  if(PROBE_HOST_HAS_THRESHOLD(d->host)) /* ">= N" is "above N - 1" */
    d->host->result_threshold(r, "dead_letters", (double)cw - 1, (double)cc - 1);
  d->host->result_detail_string(r, "source", source);
  if(d->host->result_emit(r) != 0)
    return -1;

  r = d->host->result_begin(d->ctx, "deadletter.rate", target);
  if(!r)
    return -1;
  char when[120] = "";
  int known = new_in_window > 0 && arr && arr->first >= 0 && arr->last >= arr->first;
  if(known) {
    char a[32], b[32];
    fmt_utc(arr->first, a, sizeof(a));
    fmt_utc(arr->last, b, sizeof(b));
    if(!strcmp(a, b))
      snprintf(when, sizeof(when), ", %s %s", arr->exact ? "arrived" : "seen", a);
    else
      snprintf(when, sizeof(when), ", %s %s to %s", arr->exact ? "arrived" : "seen", a, b);
  }
  if(new_in_window < 0)
    d->host->result_status(r, PROBE_OK, "no earlier count to compare with yet (first run)");
  else if(new_in_window > (double)rc)
    d->host->result_status(r, PROBE_CRITICAL,
                           "%.0f new dead letters in the last %s (rate_critical=%lld)%s",
                           new_in_window, wb, rc, when);
  else
    d->host->result_status(r, PROBE_OK, "%.0f new dead letters in the last %s%s", new_in_window,
                           wb, when);
  if(new_in_window >= 0)
    d->host->result_metric(r, "new_in_window", new_in_window);
  d->host->result_metric(r, "window_seconds", window);
  if(known) {
    char a[32], b[32];
    fmt_utc(arr->first, a, sizeof(a));
    fmt_utc(arr->last, b, sizeof(b));
    d->host->result_detail_string(r, "first_arrival", a);
    d->host->result_detail_string(r, "last_arrival", b);
    d->host->result_detail_string(r, "arrival_times", arr->exact ? "the rows' own"
                                  : "the runs that first saw them");
    d->host->result_metric(r, "first_arrival_timestamp_seconds", floor(arr->first));
    d->host->result_metric(r, "last_arrival_timestamp_seconds", floor(arr->last));
  }
  d->host->result_detail_string(r, "counting", rate_note);
  return d->host->result_emit(r);
}

/* Dead letters from the store: count and arrivals in the window. */
static int from_store(dl *d, const char *conninfo, const char *table, const char *created,
                      double window, double *count, double *recent, arrivals *arr, char *why,
                      size_t n)
{
  PGconn *c = ppg_connect(conninfo, d->timeout, why, n);
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
  if(asprintf(&sql,
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
static int status_line(dl *d, const char *path, const char *conn_ptr, const char *backlog_ptr)
{
  char why[600], target[2100];
  phttp_response resp = {0};
  int unreachable = 0, rc;
  snprintf(target, sizeof(target), "%s", d->url_shown);
  if(get(d, path, &resp, why, sizeof(why), &unreachable) < 0) {
    char msg[700];
    snprintf(msg, sizeof(msg), "%s%s", unreachable ? "relay not reachable: " : "", why);
    rc = line(d, "relay.status", target, unreachable ? PROBE_CRITICAL : PROBE_UNKNOWN, msg);
    phttp_response_free(&resp);
    return rc;
  }
  relay_status st;
  if(relayjson_status(resp.body, resp.len, conn_ptr, backlog_ptr, &st, why, sizeof(why)) < 0) {
    char msg[700];
    snprintf(msg, sizeof(msg), "status response: %s", why);
    rc = line(d, "relay.status", target, PROBE_UNKNOWN, msg);
    phttp_response_free(&resp);
    return rc;
  }
  phttp_response_free(&resp);
  probe_result *r = d->host->result_begin(d->ctx, "relay.status", target);
  if(!r)
    return -1;
  if(st.connected)
    d->host->result_status(r, PROBE_OK, "relay connected%s", st.has_backlog ? "" : " (no backlog field)");
  else
    d->host->result_status(r, PROBE_CRITICAL, "relay not connected");
  d->host->result_detail_bool(r, "connected", st.connected);
  d->host->result_metric(r, "connected", st.connected);
  if(st.has_backlog)
    d->host->result_metric(r, "backlog", st.backlog);
  return d->host->result_emit(r);
}

static int dl_run(probe_ctx *ctx, const probe_host *host)
{
  dl d = {0};
  d.ctx = ctx;
  d.host = host;
  d.url = opt(ctx, host, "url");
  const char *conninfo = opt(ctx, host, "conninfo");
  const char *table = opt(ctx, host, "table");
  const char *created = opt(ctx, host, "created_column");
  const char *dl_path = opt(ctx, host, "dead_letters_path");
  const char *st_path = NULL;
  const char *cptr = NULL, *conn_ptr = NULL, *backlog_ptr = NULL;
  host->conf_string(ctx, "status_path", &st_path);
  host->conf_string(ctx, "count_pointer", &cptr);
  host->conf_string(ctx, "connected_pointer", &conn_ptr);
  host->conf_string(ctx, "backlog_pointer", &backlog_ptr);
  if(!dl_path)
    dl_path = "/relay/workflow/dead-letters";
  if(!cptr)
    cptr = "/count";
  if(!conn_ptr)
    conn_ptr = "/connected";
  if(!backlog_ptr)
    backlog_ptr = "/backlog";
  if(!created)
    created = "created_at";
  long long cw = 1, cc = 5, rcrit = 5, maxb = 16777216;
  double window = 900;
  host->conf_int(ctx, "count_warning", &cw);
  host->conf_int(ctx, "count_critical", &cc);
  host->conf_int(ctx, "rate_critical", &rcrit);
  host->conf_int(ctx, "max_response_bytes", &maxb);
  host->conf_duration(ctx, "rate_window", &window);
  if(window <= 0)
    window = 900;
  d.max_bytes = maxb > 0 ? (size_t)maxb : 0;
  double tl = host->time_left ? host->time_left(ctx) : 10;
  d.timeout = (tl - 1) / 2;
  if(d.timeout > 10)
    d.timeout = 10;
  if(d.timeout < 0.5)
    d.timeout = 0.5;
  int rc = 0;
  char why[700], target[2100];
  char *store_shown = NULL;
  hist h = {0};

  if(!d.url && !conninfo) {
    line(&d, "deadletter.count", "deadletter", PROBE_UNKNOWN,
         "misconfigured: set 'url' (the relay's API) or 'conninfo' and 'table' (its store)");
    return 0;
  }
  if(d.url) {
    d.url_shown = redact_target(d.url);
    if(!d.url_shown)
      return -1;
  }
  const char *tokf = opt(ctx, host, "token_file");
  if(tokf && d.url) {
    char tok[4096];
    if(read_secret_file(tokf, tok, sizeof(tok)) < 0) {
      snprintf(why, sizeof(why), "cannot read token_file %s: %s", tokf, strerror(errno));
      line(&d, "deadletter.count", d.url_shown, PROBE_UNKNOWN, why);
      if(st_path && *st_path)
        line(&d, "relay.status", d.url_shown, PROBE_UNKNOWN, why);
      goto out;
    }
    const char *hname = opt(ctx, host, "auth_header");
    const char *scheme = NULL;
    host->conf_string(ctx, "auth_scheme", &scheme);
    if(!hname)
      hname = "Authorization";
    if(scheme == NULL)
      scheme = "Bearer";
    if(strpbrk(tok, "\r\n") || asprintf(&d.auth, "%s: %s%s%s", hname, scheme, *scheme ? " " : "",
                                        tok) < 0) {
      d.auth = NULL;
      explicit_bzero(tok, sizeof(tok));
      line(&d, "deadletter.count", d.url_shown, PROBE_UNKNOWN,
           "token_file must hold one line");
      goto out;
    }
    explicit_bzero(tok, sizeof(tok));
  }
  const char *pwf = opt(ctx, host, "password_file");
  if(pwf && conninfo) {
    char pw[1024];
    if(read_secret_file(pwf, pw, sizeof(pw)) < 0) {
      snprintf(why, sizeof(why), "cannot read password_file %s: %s", pwf, strerror(errno));
      line(&d, "deadletter.count", "deadletter", PROBE_UNKNOWN, why);
      goto out;
    }
    setenv("PGPASSWORD", pw, 1); /* this process is the plugin's own */
    explicit_bzero(pw, sizeof(pw));
  }

  if(conninfo) {
    /* the store: exact count and arrivals from its timestamps */
    char *red = redact_target(conninfo);
    snprintf(target, sizeof(target), "%s (%s)", red ? red : "?", table ? table : "?");
    store_shown = red;
    double count = 0, recent = 0;
    arrivals arr = {-1, -1, 1};
    if(!table) {
      line(&d, "deadletter.count", target, PROBE_UNKNOWN,
           "misconfigured: 'conninfo' needs 'table' (the dead-letter table)");
    } else if(from_store(&d, conninfo, table, created, window, &count, &recent, &arr, why,
                         sizeof(why)) < 0) {
      line(&d, "deadletter.count", target, PROBE_UNKNOWN, why);
      line(&d, "deadletter.rate", target, PROBE_UNKNOWN, why);
    } else {
      char note[200];
      snprintf(note, sizeof(note), "rows of %s whose %s is inside the window", table, created);
      if(report(&d, target, count, recent, &arr, note, cw, cc, rcrit, window, "store") != 0)
        rc = -1;
    }
  } else {
    /* the API: a count now, arrivals from the counts of earlier runs */
    phttp_response resp = {0};
    int unreachable;
    snprintf(target, sizeof(target), "%s", d.url_shown);
    if(get(&d, dl_path, &resp, why, sizeof(why), &unreachable) < 0) {
      line(&d, "deadletter.count", target, PROBE_UNKNOWN, why);
      line(&d, "deadletter.rate", target, PROBE_UNKNOWN, why);
    } else {
      double count;
      char perr[300];
      if(relayjson_count(resp.body, resp.len, cptr, &count, perr, sizeof(perr)) < 0) {
        snprintf(why, sizeof(why), "dead-letter response: %s", perr);
        line(&d, "deadletter.count", target, PROBE_UNKNOWN, why);
        line(&d, "deadletter.rate", target, PROBE_UNKNOWN, why);
      } else {
        char name[64];
        uint64_t hh = 1469598103934665603ull;
        for(const char *p = d.url_shown; *p; p++)
          hh = (hh ^ (unsigned char)*p) * 1099511628211ull;
        for(const char *p = cptr; *p; p++)
          hh = (hh ^ (unsigned char)*p) * 1099511628211ull;
        snprintf(name, sizeof(name), "counts-%016llx.json", (unsigned long long)hh);
        const char *sdir = host->state_dir ? host->state_dir(ctx) : NULL;
        hist_load(sdir, name, &h);
        double now = putil_wall(), fresh = 0;
        int have_base = 0;
        /* arrivals: the increases between consecutive samples in the window
           (a replay that lowers the count is no arrival) */
        size_t keep = 0, first = 0;
        for(size_t i = 0; i < h.n; i++)
          if(h.s[i][0] <= now && h.s[i][0] > now - window - 3600)
            memmove(h.s[keep++], h.s[i], sizeof(h.s[i]));
        h.n = keep;
        for(first = 0; first < h.n && h.s[first][0] < now - window; first++)
          ;
        /* the last sample before the window is the baseline */
        size_t base = first > 0 ? first - 1 : 0;
        arrivals arr = {-1, -1, 0};
        if(h.n > 0) {
          have_base = 1;
          double prev = h.s[base][1];
          for(size_t i = base + 1; i < h.n; i++) {
            if(h.s[i][1] > prev) {
              fresh += h.s[i][1] - prev;
              if(arr.first < 0)
                arr.first = h.s[i][0];
              arr.last = h.s[i][0];
            }
            prev = h.s[i][1];
          }
          if(count > prev) {
            fresh += count - prev;
            if(arr.first < 0)
              arr.first = now;
            arr.last = now;
          }
        }
        double(*ns)[2] = realloc(h.s, (h.n + 1) * sizeof(*h.s));
        if(ns) {
          h.s = ns;
          if(h.n >= HIST_MAX) {
            memmove(h.s, h.s + 1, (h.n - 1) * sizeof(*h.s));
            h.n--;
          }
          h.s[h.n][0] = now;
          h.s[h.n][1] = count;
          h.n++;
        }
        char serr[640];
        int kept = hist_save(sdir, name, &h, serr, sizeof(serr));
        if(report(&d, target, count, have_base ? fresh : -1, &arr,
                  "the API gives only a count: arrivals are the increases between the counts "
                  "this plugin saw in earlier runs (state directory)",
                  cw, cc, rcrit, window, "api") != 0)
          rc = -1;
        if(kept < 0) {
          char msg[720];
          snprintf(msg, sizeof(msg), "%s; the next runs cannot judge the rate", serr);
          line(&d, "deadletter.state", target, PROBE_UNKNOWN, msg);
        }
      }
    }
    phttp_response_free(&resp);
  }

  if(d.url && st_path && *st_path)
    if(status_line(&d, st_path, conn_ptr, backlog_ptr) != 0)
      rc = -1;
out:
  if(d.auth) {
    explicit_bzero(d.auth, strlen(d.auth));
    free(d.auth);
  }
  free(h.s);
  free(d.url_shown);
  free(store_shown);
  return rc;
}

/* Checks the settings' meaning without touching the network. */
static int dl_check_config(probe_ctx *ctx, const probe_host *host)
{
  int bad = 0;
  const char *url = opt(ctx, host, "url"), *ci = opt(ctx, host, "conninfo");
  if(!url && !ci) {
    host->config_error(ctx, NULL, "set 'url' (the relay's API) or 'conninfo' and 'table' (its store)");
    bad = 1;
  }
  if(url && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
    host->config_error(ctx, "url", "must be an http:// or https:// URL");
    bad = 1;
  }
  if(ci && !opt(ctx, host, "table")) {
    host->config_error(ctx, "table", "'conninfo' needs the dead-letter table");
    bad = 1;
  }
  if(ci && !ppg_looks_like_conninfo(ci)) {
    host->config_error(ctx, "conninfo", "is not a libpq conninfo or postgresql:// URI");
    bad = 1;
  }
  const char *ptrs[] = {"count_pointer", "connected_pointer", "backlog_pointer"};
  for(size_t i = 0; i < 3; i++) {
    const char *p = NULL;
    if(host->conf_string(ctx, ptrs[i], &p) == 0 && p && !pjsonptr_valid(p)) {
      host->config_error(ctx, ptrs[i], "is not an RFC 6901 JSON pointer (\"\" or /a/b, ~0 ~1 escapes)");
      bad = 1;
    }
  }
  return bad;
}

/* The relay's HTTP API and its PostgreSQL store. */
PROBE_PLUGIN_EXPORT const probe_sandbox probe_plugin_sandbox = {
  PROBE_SANDBOX_VERSION, PROBE_NEEDS_NETWORK
};

PROBE_PLUGIN_EXPORT const probe_plugin probe_plugin_entry = {
    PROBE_PLUGIN_ABI, "deadletter", PACKAGE_VERSION,
    "the relay's dead letters (API or store), their arrival rate and the relay's connection",
    settings, NULL, dl_run, NULL, dl_check_config};
