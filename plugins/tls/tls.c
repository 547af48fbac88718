/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls.c: the tls plugin (check `tls.cert`, one line per target).
 *
 * Targets are `endpoints` (TLS servers, optionally behind a STARTTLS
 * prelude) and `files` (PEM certificates and bundles, or a Kubernetes
 * secret volume folder holding tls.crt). Endpoints are probed concurrently
 * by at most `concurrency` worker threads, each bounded by its own timeout
 * and by the run's time left; lines are emitted afterwards, in
 * configuration order, from the main thread (the host's functions are not
 * thread-safe).
 *
 * Statuses (each a setting where marked):
 *   critical  expired or not yet valid (with dates); fewer than crit_days
 *             days left; host name mismatch; connection, STARTTLS or
 *             handshake failure; a file with no certificate in it;
 *             chain verification failure (`verify_failure`, default
 *             critical; "warning" or "ignore" to relax, e.g. for internal
 *             CAs not given as ca_file); weak signature MD5/SHA-1 or weak
 *             key RSA/DSA < 2048, EC < 256 (`weak_crypto`, default critical:
 *             OpenSSL 3 and browsers reject them).
 *   warning   fewer than warn_days days left.
 *   unknown   a bad entry in the settings, an unreadable file, or the run's
 *             time ran out before the endpoint's turn.
 * Days are counted down to the earliest notAfter of the leaf and the
 * intermediates presented; a self-signed root that is presented is
 * reported apart (details root_subject, root_not_after), not counted.
 */
#include "config.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "probe-plugin.h"
#include "plugins/common/pkit.h"
#include "plugins/common/putil.h"
#include "plugins/tls/tlscert.h"
#include "plugins/tls/tlsjudge.h"
#include "plugins/tls/tlsprobe.h"

#define CHECK_NAME "tls.cert"
#define MAX_TARGETS 1000
#define MAX_CONCURRENCY 64

/* The settings of a run. */
typedef struct tls_conf {
  tls_limits lim;
  double timeout_s, deadline;
  long long concurrency;
  const char *ca_file;
  time_t now;
  SSL_CTX *ctx;
  tls_target *t;
  size_t n;
  size_t next; /* next target for a worker, under lock */
  pthread_mutex_t lock;
} tls_conf;

static const probe_setting tls_settings[] = {
    {"endpoints", PROBE_SET_LIST, "[]", 0,
     "TLS servers: \"host:port\", \"[v6]:port\", or {\"endpoint\":\"host:port\", "
     "\"starttls\":\"postgres|smtp|imap|ftp\", \"servername\":\"SNI and name to match\", "
     "\"ca_file\":\"PEM trust anchors\"}"},
    {"files", PROBE_SET_LIST, "[]", 0,
     "PEM certificate files or bundles (leaf first), or Kubernetes TLS secret folders "
     "(tls.crt, with ca.crt as trust anchors when present); a path or {\"path\":..., "
     "\"servername\":..., \"ca_file\":...}"},
    {"warn_days", PROBE_SET_NUMBER, "30", 0,
     "warning when fewer days are left"},
    {"crit_days", PROBE_SET_NUMBER, "7", 0,
     "critical when fewer days are left"},
    {"ca_file", PROBE_SET_STRING, NULL, 0,
     "PEM trust anchors for verification (default: the system store)"},
    {"connect_timeout", PROBE_SET_DURATION, "10", 0,
     "per endpoint: connect, STARTTLS and handshake (also capped by the run's timeout)"},
    {"concurrency", PROBE_SET_INT, "8", 0, "endpoints probed at once (1-64)"},
    {"verify_failure", PROBE_SET_STRING, "\"critical\"", 0,
     "status of a chain that does not verify: critical, warning or ignore"},
    {"weak_crypto", PROBE_SET_STRING, "\"critical\"", 0,
     "status of an MD5/SHA-1 signature or RSA < 2048 / EC < 256 key: critical, warning or ignore"},
    {NULL, 0, NULL, 0, NULL}};

/* "critical"/"warning"/"ignore" to a status (ignore = ok); -1 if bad. */
static int status_from_name(const char *s)
{
  if(!strcasecmp(s, "critical"))
    return PROBE_CRITICAL;
  if(!strcasecmp(s, "warning"))
    return PROBE_WARNING;
  if(!strcasecmp(s, "ignore") || !strcasecmp(s, "ok"))
    return PROBE_OK;
  return -1;
}

/* Records a bad entry as a target reported unknown. */
static void bad_entry(tls_target *t, const char *label, const char *why,
                      int *oom)
{
  char buf[600];
  t->label = putil_strdup(label, oom);
  snprintf(buf, sizeof buf, "bad entry: %s", why);
  t->config_error = putil_strdup(buf, oom);
}

/* Builds a target from one `endpoints` element. */
static void endpoint_entry(const cJSON *e, const char *dflt_ca, tls_target *t,
                           int *oom)
{
  const char *ep = NULL, *st = NULL, *sn = NULL, *ca = dflt_ca;
  char err[200], *json = NULL;
  int kind;
  unsigned char tmp[16];
  const char *dport;

  if(cJSON_IsString(e)) {
    ep = e->valuestring;
  }
  else if(cJSON_IsObject(e)) {
    const cJSON *m;
    cJSON_ArrayForEach(m, e) {
      if(!cJSON_IsString(m)) {
        json = cJSON_PrintUnformatted(e);
        snprintf(err, sizeof err, "member \"%s\" must be a string", m->string);
        bad_entry(t, json ? json : "endpoint", err, oom);
        free(json);
        return;
      }
      if(!strcmp(m->string, "endpoint"))
        ep = m->valuestring;
      else if(!strcmp(m->string, "starttls"))
        st = m->valuestring;
      else if(!strcmp(m->string, "servername"))
        sn = m->valuestring;
      else if(!strcmp(m->string, "ca_file"))
        ca = m->valuestring;
      else {
        json = cJSON_PrintUnformatted(e);
        snprintf(
            err, sizeof err,
            "unknown member \"%.60s\" (endpoint, starttls, servername, ca_file)",
            m->string);
        bad_entry(t, json ? json : "endpoint", err, oom);
        free(json);
        return;
      }
    }
    if(!ep) {
      json = cJSON_PrintUnformatted(e);
      bad_entry(t, json ? json : "endpoint", "object without \"endpoint\"",
                oom);
      free(json);
      return;
    }
  }
  else {
    json = cJSON_PrintUnformatted(e);
    bad_entry(t, json ? json : "?",
              "an endpoint is a \"host:port\" string or an object", oom);
    free(json);
    return;
  }
  kind = tlsprobe_starttls_from_name(st);
  if(kind < 0) {
    bad_entry(t, ep, "starttls must be postgres, smtp, imap, ftp or none", oom);
    return;
  }
  switch(kind) {
  case TLSPROBE_POSTGRES: dport = "5432"; break;
  case TLSPROBE_SMTP: dport = "25"; break;
  case TLSPROBE_IMAP: dport = "143"; break;
  case TLSPROBE_FTP: dport = "21"; break;
  default: dport = "443"; break;
  }
  if(tlsprobe_split_hostport(ep, dport, &t->host, &t->port, err, sizeof err) !=
     TLS_OK) {
    bad_entry(t, ep, err, oom);
    return;
  }
  t->label = putil_strdup(ep, oom);
  t->starttls = (tlsprobe_starttls)kind;
  /* SNI and the name to match: given, else the host unless an IP literal
   * (no SNI then, but the IP is still matched against IP SANs). */
  if(sn)
    t->servername = putil_strdup(sn, oom);
  else if(inet_pton(AF_INET, t->host, tmp) == 1 ||
          inet_pton(AF_INET6, t->host, tmp) == 1)
    t->servername = NULL;
  else
    t->servername = putil_strdup(t->host, oom);
  t->ca_file = putil_strdup(ca, oom);
}

/* Builds a target from one `files` element. */
static void file_entry(const cJSON *e, const char *dflt_ca, tls_target *t,
                       int *oom)
{
  const char *path = NULL, *sn = NULL, *ca = NULL;
  char *json = NULL, err[200];
  struct stat st;

  t->is_file = 1;
  if(cJSON_IsString(e)) {
    path = e->valuestring;
  }
  else if(cJSON_IsObject(e)) {
    const cJSON *m;
    cJSON_ArrayForEach(m, e) {
      if(!cJSON_IsString(m)) {
        json = cJSON_PrintUnformatted(e);
        snprintf(err, sizeof err, "member \"%.60s\" must be a string",
                 m->string);
        bad_entry(t, json ? json : "file", err, oom);
        free(json);
        return;
      }
      if(!strcmp(m->string, "path"))
        path = m->valuestring;
      else if(!strcmp(m->string, "servername"))
        sn = m->valuestring;
      else if(!strcmp(m->string, "ca_file"))
        ca = m->valuestring;
      else {
        json = cJSON_PrintUnformatted(e);
        snprintf(err, sizeof err,
                 "unknown member \"%.60s\" (path, servername, ca_file)",
                 m->string);
        bad_entry(t, json ? json : "file", err, oom);
        free(json);
        return;
      }
    }
  }
  if(!path || !*path) {
    json = cJSON_PrintUnformatted(e);
    bad_entry(t, json ? json : "?", "a file is a path or {\"path\": ...}", oom);
    free(json);
    return;
  }
  t->label = putil_strdup(path, oom);
  if(stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    /* a Kubernetes TLS secret volume: tls.crt, and ca.crt as anchors */
    size_t l = strlen(path) + 16;
    t->path = malloc(l);
    if(!t->path) {
      *oom = 1;
      return;
    }
    snprintf(t->path, l, "%s/tls.crt", path);
    {
      char cap[4096];
      snprintf(cap, sizeof cap, "%s/ca.crt", path);
      if(access(cap, R_OK) == 0)
        t->ca_file = putil_strdup(cap, oom);
    }
  }
  else {
    t->path = putil_strdup(path, oom);
  }
  t->servername = putil_strdup(sn, oom);
  /* trust: the entry's ca_file, else a secret folder's ca.crt, else the
   * plugin's ca_file, else the system store */
  if(ca) {
    free(t->ca_file);
    t->ca_file = putil_strdup(ca, oom);
  }
  else if(!t->ca_file) {
    t->ca_file = putil_strdup(dflt_ca, oom);
  }
}

/* Parses a list setting (JSON array text) into targets appended to c. */
static int add_targets(tls_conf *c, const char *json, int files, int *oom,
                       const probe_host *host, probe_ctx *ctx)
{
  cJSON *arr = cJSON_Parse(json), *e;
  if(!arr || !cJSON_IsArray(arr)) {
    cJSON_Delete(arr);
    host->log(ctx, PROBE_LOG_ERROR, "%s is not a JSON array",
              files ? "files" : "endpoints");
    return -1;
  }
  cJSON_ArrayForEach(e, arr) {
    tls_target *nt;
    if(c->n >= MAX_TARGETS) {
      host->log(ctx, PROBE_LOG_WARNING,
                "more than %d targets; the rest is ignored", MAX_TARGETS);
      break;
    }
    nt = realloc(c->t, (c->n + 1) * sizeof *c->t);
    if(!nt) {
      *oom = 1;
      break;
    }
    c->t = nt;
    memset(&c->t[c->n], 0, sizeof c->t[c->n]);
    if(files)
      file_entry(e, c->ca_file, &c->t[c->n], oom);
    else
      endpoint_entry(e, c->ca_file, &c->t[c->n], oom);
    c->n++;
  }
  cJSON_Delete(arr);
  return 0;
}

/* The dates of the certificate that is expired or not yet valid, for
 * tls_judge (which reads no certificate). */
static void bad_dates(tls_target *t)
{
  int i =
      t->rep.expired_idx >= 0 ? t->rep.expired_idx : t->rep.not_yet_valid_idx;
  if(i >= 0)
    tlscert_cert_dates(sk_X509_value(t->chain, i), &t->bad_not_before,
                       &t->bad_not_after);
}

/* Fetches (endpoints) or loads (files) one target and analyzes it. */
static void probe_target(tls_conf *c, tls_target *t)
{
  double t0 = putil_now();
  tlscert_opts o;
  if(t->config_error)
    return;
  if(t->is_file) {
    t->rc = tlscert_load_file(t->path, &t->chain, t->err, sizeof t->err);
  }
  else {
    double dl = t0 + c->timeout_s;
    if(dl > c->deadline)
      dl = c->deadline;
    if(dl <= t0) {
      t->rc = TLS_ERR_TIMEOUT;
      t->fate = TLS_FATE_NOT_PROBED;
      snprintf(t->err, sizeof t->err, "not probed: the run's time was used up");
      return;
    }
    t->rc = tlsprobe_fetch(c->ctx, t->host, t->port, t->servername, t->starttls,
                           dl, &t->chain, &t->info, t->err, sizeof t->err);
  }
  if(t->rc == TLS_OK) {
    memset(&o, 0, sizeof o);
    o.host = t->servername ? t->servername : (t->is_file ? NULL : t->host);
    o.ca_file = t->ca_file;
    o.now = c->now;
    t->rc = tlscert_analyze(t->chain, &o, &t->rep, t->err, sizeof t->err);
    if(t->rc == TLS_OK) {
      t->analyzed = 1;
      bad_dates(t);
    }
  }
  t->ms = (putil_now() - t0) * 1000.0;
}

/* Worker thread: takes targets until none is left. */
static void *worker(void *arg)
{
  tls_conf *c = arg;
  for(;;) {
    size_t i;
    pthread_mutex_lock(&c->lock);
    i = c->next++;
    pthread_mutex_unlock(&c->lock);
    if(i >= c->n)
      break;
    probe_target(c, &c->t[i]);
  }
  OPENSSL_thread_stop();
  return NULL;
}


/* Reports a bad setting: through config_error when checking the
 * configuration, else to the log. */

/* A status setting ("critical", "warning", "ignore"); -1 after
 * reporting a bad one. */
static int status_setting(pkit *k, const char *key, probe_status *out,
                          int checking)
{
  probe_ctx *ctx = k->ctx;
  const probe_host *host = k->host;
  const char *s = pkit_str(k, key);
  int v = s ? status_from_name(s) : -1;
  if(v < 0) {
    pkit_config_error(ctx, host, checking, key,
                      "%s must be critical, warning or ignore", key);
    return -1;
  }
  *out = (probe_status)v;
  return 0;
}

/* Reads the settings (defaults: the table's, through pkit), for run and
 * check_config alike; -1 (after reporting) when one is unusable. */
static int read_settings(pkit *k, tls_conf *c, int checking)
{
  probe_ctx *ctx = k->ctx;
  const probe_host *host = k->host;
  c->lim.warn_days = pkit_number(k, "warn_days");
  c->lim.crit_days = pkit_number(k, "crit_days");
  c->timeout_s = pkit_duration(k, "connect_timeout");
  if(c->timeout_s <= 0)
    c->timeout_s = pkit_default(k, "connect_timeout");
  c->concurrency = pkit_int(k, "concurrency");
  if(c->concurrency < 1 || c->concurrency > MAX_CONCURRENCY) {
    pkit_config_error(ctx, host, checking, "concurrency",
                      "concurrency must be 1-%d", MAX_CONCURRENCY);
    return -1;
  }
  if(status_setting(k, "verify_failure", &c->lim.verify_status, checking) ||
     status_setting(k, "weak_crypto", &c->lim.weak_status, checking))
    return -1;
  c->ca_file = pkit_str(k, "ca_file");
  double tl = host->time_left(ctx);
  if(!(tl > 0))
    tl = 60;
  /* keep half a second to emit the lines */
  c->deadline = putil_now() + (tl > 1.0 ? tl - 0.5 : tl * 0.5);
  c->now = time(NULL);
  return 0;
}

/* The plugin's run: read targets, probe concurrently, emit in order. */
static int tls_run(probe_ctx *ctx, const probe_host *host)
{
  tls_conf c;
  const char *json = NULL;
  int oom = 0, rc = -1;
  size_t i, nthreads;
  pthread_t th[MAX_CONCURRENCY];
  size_t started = 0;

  pkit k;
  memset(&c, 0, sizeof c);
  pthread_mutex_init(&c.lock, NULL);
  pkit_init(&k, ctx, host, tls_settings);
  if(read_settings(&k, &c, 0) != 0)
    goto done;
  if(host->conf_json(ctx, "endpoints", &json) == 0 &&
     add_targets(&c, json, 0, &oom, host, ctx) != 0)
    goto done;
  if(host->conf_json(ctx, "files", &json) == 0 &&
     add_targets(&c, json, 1, &oom, host, ctx) != 0)
    goto done;
  if(oom) {
    host->log(ctx, PROBE_LOG_ERROR, "out of memory reading the settings");
    goto done;
  }
  if(c.n == 0) {
    probe_result *r = host->result_begin(ctx, CHECK_NAME, "-");
    if(r) {
      host->result_status(r, PROBE_UNKNOWN,
                          "nothing to check: set tls.endpoints or tls.files");
      host->result_emit(r);
    }
    rc = 0;
    goto done;
  }
  c.ctx = tlsprobe_ctx_new();
  if(!c.ctx) {
    host->log(ctx, PROBE_LOG_ERROR, "cannot create the TLS client context");
    goto done;
  }
  nthreads = (size_t)c.concurrency < c.n ? (size_t)c.concurrency : c.n;
  for(i = 0; i < nthreads; i++) {
    if(pthread_create(&th[i], NULL, worker, &c) != 0)
      break;
    started++;
  }
  if(started == 0)
    worker(&c); /* no thread: do it here */
  for(i = 0; i < started; i++)
    pthread_join(th[i], NULL);
  for(i = 0; i < c.n; i++)
    tls_emit(ctx, host, &c.lim, c.now, &c.t[i]);
  rc = 0;
done:
  for(i = 0; i < c.n; i++)
    tls_target_free(&c.t[i]);
  free(c.t);
  SSL_CTX_free(c.ctx);
  pthread_mutex_destroy(&c.lock);
  pkit_free(&k);
  return rc;
}

/* --check-config: the settings' meaning, every bad entry named; no I/O
 * beyond stat() of the files. */
static int tls_check_config(probe_ctx *ctx, const probe_host *host)
{
  tls_conf c;
  const char *json = NULL;
  int oom = 0, bad = 0, checking = 1;
  size_t i;
  pkit k;
  memset(&c, 0, sizeof c);
  pkit_init(&k, ctx, host, tls_settings);
  if(read_settings(&k, &c, 1) != 0)
    bad = 1;
  if(host->conf_json(ctx, "endpoints", &json) == 0 &&
     add_targets(&c, json, 0, &oom, host, ctx) != 0)
    bad = 1;
  for(i = 0; i < c.n; i++)
    if(c.t[i].config_error) {
      pkit_config_error(ctx, host, checking, "endpoints", "%s: %s",
                        c.t[i].label ? c.t[i].label : "?", c.t[i].config_error);
      bad = 1;
    }
  i = c.n;
  if(host->conf_json(ctx, "files", &json) == 0 &&
     add_targets(&c, json, 1, &oom, host, ctx) != 0)
    bad = 1;
  for(; i < c.n; i++)
    if(c.t[i].config_error) {
      pkit_config_error(ctx, host, checking, "files", "%s: %s",
                        c.t[i].label ? c.t[i].label : "?", c.t[i].config_error);
      bad = 1;
    }
  for(i = 0; i < c.n; i++)
    tls_target_free(&c.t[i]);
  free(c.t);
  pkit_free(&k);
  return bad || oom;
}

/* The endpoints it checks. */
PROBE_PLUGIN_EXPORT const probe_sandbox
    probe_plugin_sandbox = {PROBE_SANDBOX_VERSION, PROBE_NEEDS_NETWORK};

PROBE_PLUGIN_EXPORT const probe_plugin probe_plugin_entry = {
    PROBE_PLUGIN_ABI,
    "tls",
    PACKAGE_VERSION,
    "TLS certificate expiry, chain, host name and strength of endpoints and PEM files",
    tls_settings,
    NULL,
    tls_run,
    NULL,
    tls_check_config};
