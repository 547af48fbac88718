/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ppg.c: read-only, time-bounded PostgreSQL sessions for probes (see
 * ppg.h); conninfo strings are redacted by lib/redact.h.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fileio.h"
#include "plugins/common/plib.h"
#include "plugins/common/ppg.h"

#define PPG_DEFINE_SYM(f) __typeof__(&f) sym_##f;
PPG_LIBPQ_FUNCS(PPG_DEFINE_SYM)

static void *libpq_handle;

/* Fills the sym_PQ* pointers. */
int ppg_libpq_open(char *err, size_t errlen)
{
  static const plib_sym syms[] = {PPG_LIBPQ_FUNCS(PLIB_SYM)};
  return plib_open(PLIB_LIBPQ_SONAME, &libpq_handle, syms,
                   sizeof(syms) / sizeof(syms[0]), err, errlen);
}

static int is_uri(const char *s)
{
  return strncmp(s, "postgresql://", 13) == 0 ||
         strncmp(s, "postgres://", 11) == 0;
}

int ppg_looks_like_conninfo(const char *s)
{
  if(!s || !*s)
    return 0;
  if(is_uri(s))
    return 1;
  if(*s == '/' || *s == '.' || *s == '~' || strcmp(s, "-") == 0)
    return 0;
  /* key=value: the first token is a lower-case keyword followed by '=' */
  const char *p = s;
  while(isspace((unsigned char)*p))
    p++;
  const char *k = p;
  while(*p == '_' || (*p >= 'a' && *p <= 'z'))
    p++;
  if(p == k)
    return 0;
  while(isspace((unsigned char)*p))
    p++;
  return *p == '=';
}

/* Copies msg to err with newlines folded and every occurrence of secret
   (when given and non-empty) replaced. */
static void copy_err(char *err, size_t errlen, const char *prefix,
                     const char *msg, const char *secret)
{
  if(!err || errlen == 0)
    return;
  size_t o = 0;
  size_t slen = secret ? strlen(secret) : 0;
  const char *parts[2] = {prefix ? prefix : "", msg ? msg : ""};
  for(int i = 0; i < 2; i++) {
    for(const char *p = parts[i]; *p && o + 1 < errlen;) {
      if(slen && strncmp(p, secret, slen) == 0) {
        const char *r = "REDACTED";
        while(*r && o + 1 < errlen)
          err[o++] = *r++;
        p += slen;
        continue;
      }
      char c = *p++;
      if(c == '\n' || c == '\r' || c == '\t')
        c = ' ';
      err[o++] = c;
    }
  }
  while(o > 0 && err[o - 1] == ' ')
    o--;
  err[o] = '\0';
}

/* The session's bounds for timeout_s: connect_timeout (s, as text) and
 * the startup "options" that make it read-only and time-limited. */
typedef struct bounds {
  char ctimeout[32], pgopts[160];
  long conn_s;
} bounds;

static void session_bounds(double timeout_s, bounds *bd)
{
  if(!(timeout_s > 0) || timeout_s > 86400)
    timeout_s = 10;
  long stmt_ms = (long)ceil(timeout_s * 1000.0);
  /* a probe never queues behind a worker's lock for long */
  long lock_ms = stmt_ms < 1000 ? stmt_ms : 1000;
  bd->conn_s = (long)ceil(timeout_s);
  if(bd->conn_s < 2)
    bd->conn_s = 2; /* libpq's minimum */
  snprintf(bd->ctimeout, sizeof(bd->ctimeout), "%ld", bd->conn_s);
  snprintf(bd->pgopts, sizeof(bd->pgopts),
           "-c default_transaction_read_only=on -c statement_timeout=%ld"
           " -c lock_timeout=%ld -c idle_in_transaction_session_timeout=%ld",
           stmt_ms, lock_ms, stmt_ms);
}

/* Copies the user's conninfo keywords into keys/vals, except those that
 * ppg sets itself; returns how many, and the user's options and password
 * (NULL when absent). A user's shorter connect_timeout is kept in bd. */
static size_t user_keywords(PQconninfoOption *opts, bounds *bd,
                            const char **keys, const char **vals,
                            const char **user_options, const char **password)
{
  size_t k = 0;
  *user_options = *password = NULL;
  for(PQconninfoOption *o = opts; o->keyword; o++) {
    if(!o->val)
      continue;
    if(strcmp(o->keyword, "password") == 0)
      *password = o->val;
    if(strcmp(o->keyword, "options") == 0) {
      *user_options = o->val;
      continue;
    }
    if(strcmp(o->keyword, "application_name") == 0 ||
       strcmp(o->keyword, "fallback_application_name") == 0)
      continue;
    if(strcmp(o->keyword, "connect_timeout") == 0) {
      long u = atol(o->val);
      if(u >= 2 && u < bd->conn_s) /* keep a user's shorter timeout */
        snprintf(bd->ctimeout, sizeof(bd->ctimeout), "%ld", u);
      continue;
    }
    keys[k] = o->keyword;
    vals[k] = o->val;
    k++;
  }
  return k;
}

/* ppg_connect with an optional password (from a password_file) used when
 * the conninfo has none, as libpq would use PGPASSWORD. */
static PGconn *connect_pw(const char *conninfo, const char *pw,
                          double timeout_s, char *err, size_t errlen)
{
  PQconninfoOption *opts = NULL;
  PGconn *conn = NULL;
  char *perr = NULL;
  const char **keys = NULL, **vals = NULL;
  char *options = NULL;
  const char *password = NULL, *user_options = NULL;
  bounds bd;

  if(err && errlen)
    err[0] = '\0';
  if(ppg_libpq_open(err, errlen) != 0)
    return NULL;
  opts = sym_PQconninfoParse(conninfo ? conninfo : "", &perr);
  if(!opts) {
    /* libpq's parse errors name keywords, not values; still scrub */
    copy_err(err, errlen, "invalid conninfo: ", perr ? perr : "out of memory",
             NULL);
    sym_PQfreemem(perr);
    return NULL;
  }
  session_bounds(timeout_s, &bd);
  size_t n = 0;
  for(PQconninfoOption *o = opts; o->keyword; o++)
    n++;
  keys = calloc(n + 5, sizeof(*keys));
  vals = calloc(n + 5, sizeof(*vals));
  if(!keys || !vals)
    goto oom;
  size_t k = user_keywords(opts, &bd, keys, vals, &user_options, &password);
  if(!password && pw && *pw) {
    keys[k] = "password";
    vals[k++] = pw;
    password = pw;
  }
  /* ours come after the user's options, so that they win */
  size_t olen =
      (user_options ? strlen(user_options) : 0) + strlen(bd.pgopts) + 2;
  options = malloc(olen);
  if(!options)
    goto oom;
  snprintf(options, olen, "%s%s%s", user_options ? user_options : "",
           user_options ? " " : "", bd.pgopts);
  keys[k] = "options";
  vals[k++] = options;
  keys[k] = "connect_timeout";
  vals[k++] = bd.ctimeout;
  keys[k] = "application_name";
  vals[k++] = "probe-agent";
  keys[k] = NULL;
  vals[k] = NULL;

  conn = sym_PQconnectdbParams(keys, vals, 0);
  if(!conn)
    goto oom;
  if(sym_PQstatus(conn) != CONNECTION_OK) {
    copy_err(err, errlen, "connection failed: ", sym_PQerrorMessage(conn),
             password);
    sym_PQfinish(conn);
    conn = NULL;
    goto out;
  }
  /* belt and braces: a pooler that drops startup options must not leave us
     writable; SET fails harmlessly if it is not allowed */
  PGresult *r =
      sym_PQexec(conn, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
  sym_PQclear(r);
  goto out;
oom:
  copy_err(err, errlen, "out of memory", NULL, NULL);
out:
  free(options);
  free(keys);
  free(vals);
  sym_PQconninfoFree(opts);
  return conn;
}

PGconn *ppg_connect(const char *conninfo, double timeout_s, char *err,
                    size_t errlen)
{
  return connect_pw(conninfo, NULL, timeout_s, err, errlen);
}

/* The one reader of password_file for every PostgreSQL plugin. */
PGconn *ppg_connect_pwfile(const char *conninfo, const char *password_file,
                           double timeout_s, char *err, size_t errlen)
{
  char *pw = NULL;
  size_t pwlen = 0;
  if(err && errlen)
    err[0] = '\0';
  if(password_file &&
     fileio_read_secret_flags(password_file, PPG_PASSWORD_MAX, FILEIO_BENEATH,
                              "cannot read password_file", &pw, &pwlen, err,
                              errlen) < 0)
    return NULL;
  PGconn *conn = connect_pw(conninfo, pw, timeout_s, err, errlen);
  fileio_secret_free(pw, pwlen);
  return conn;
}

const char *ppg_password_file(probe_ctx *ctx, const probe_host *h)
{
  const char *pf = NULL;
  if(!h || !h->conf_string || h->conf_string(ctx, "password_file", &pf) != 0)
    return NULL;
  return pf && *pf ? pf : NULL;
}

PGconn *ppg_connect_settings(probe_ctx *ctx, const probe_host *h,
                             const char *conninfo, double timeout_s, char *err,
                             size_t errlen)
{
  return ppg_connect_pwfile(conninfo, ppg_password_file(ctx, h), timeout_s, err,
                            errlen);
}

char *ppg_quote_qualified(PGconn *conn, const char *name)
{
  if(!conn || !name || !*name)
    return NULL;
  const char *dot = strchr(name, '.');
  if(!dot)
    return sym_PQescapeIdentifier(conn, name, strlen(name));
  if(dot == name || !dot[1])
    return NULL;
  char *a = sym_PQescapeIdentifier(conn, name, (size_t)(dot - name));
  char *b = sym_PQescapeIdentifier(conn, dot + 1, strlen(dot + 1));
  char *out = NULL;
  if(a && b) {
    size_t n = strlen(a) + strlen(b) + 2;
    out = malloc(n);
    if(out)
      snprintf(out, n, "%s.%s", a, b);
  }
  sym_PQfreemem(a);
  sym_PQfreemem(b);
  return out;
}

void ppg_error(PGconn *conn, const PGresult *res, char *err, size_t errlen)
{
  const char *m = res ? sym_PQresultErrorMessage(res) : NULL;
  if(!m || !*m)
    m = conn ? sym_PQerrorMessage(conn) : "no connection";
  copy_err(err, errlen, NULL, m, NULL);
}
