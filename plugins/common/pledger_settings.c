/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pledger_settings.c: reading and checking the shared settings of a ledger
 * source, and the one password-file reader of the ledger plugins
 * (pledger_settings.h says why they are here).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fileio.h"
#include "plugins/common/pledger_settings.h"
#include "plugins/common/putil.h"

/* One place that turns the settings into source options, so that ledger
 * and claims read them alike. */
void pledger_settings_read(pkit *k, lsrc_options *o)
{
  long long maxline = pkit_int(k, "max_line_bytes");
  double left = k->host->time_left(k->ctx);
  memset(o, 0, sizeof(*o));
  o->source = pkit_str(k, "source");
  o->table = pkit_nonempty(k, "table");
  o->column = pkit_nonempty(k, "column");
  o->max_line = maxline > 0 ? (size_t)maxline : 0;
  o->timeout_s = left > 1 ? left - 0.5 : 1;
}

/* The meaning of the shared settings (their types are the agent's). */
int pledger_settings_check(probe_ctx *ctx, const probe_host *h)
{
  const char *s;
  long long n;
  int bad = 0;
  if(h->conf_string(ctx, "source", &s) == 0 && !*s) {
    h->config_error(ctx, "source", "must not be empty");
    bad = 1;
  }
  if(h->conf_int(ctx, "max_line_bytes", &n) == 0 && n < 256) {
    h->config_error(ctx, "max_line_bytes", "must be at least 256");
    bad = 1;
  }
  return bad;
}

/* The first line of a password file, whole (ledger.c cut it at 1023
 * bytes before), read by lib's one secret reader (a link only inside the
 * file's own directory); the reason says neither path nor content. */
char *pledger_password_read(const char *path, char *err, size_t errlen)
{
  char *buf = NULL, why[32];
  size_t len = 0;
  /* room for a longest first line, its line end and a little more */
  if(fileio_read_secret_flags(path, 2 * PLEDGER_PASSWORD_MAX, FILEIO_BENEATH,
                              NULL, &buf, &len, why, 1) < 0) {
    int e = errno;
    if(e == EFBIG)
      snprintf(why, sizeof(why), "longer than %d bytes", PLEDGER_PASSWORD_MAX);
    putil_seterr(err, errlen, "cannot read password_file: %s",
                 e == EFBIG                   ? why
                 : e == EISDIR || e == EINVAL ? "not a regular file"
                 : e == EXDEV || e == EPERM
                     ? "a symbolic link out of its directory: not followed"
                     : strerror(e));
    return NULL;
  }
  size_t line = strcspn(buf, "\r\n");
  if(line > PLEDGER_PASSWORD_MAX) {
    putil_seterr(err, errlen,
                 "password_file: the password is longer "
                 "than %d bytes",
                 PLEDGER_PASSWORD_MAX);
    fileio_secret_free(buf, len);
    return NULL;
  }
  explicit_bzero(buf + line, len - line);
  return buf;
}

/* Passwords leave no copy behind in freed memory. */
void pledger_password_free(char *pw)
{
  if(!pw)
    return;
  explicit_bzero(pw, strlen(pw));
  free(pw);
}

/* libpq takes a password from the environment of the process it runs in:
 * this run's own child. */
int pledger_password_env(const char *path, char *err, size_t errlen)
{
  char *pw = pledger_password_read(path, err, errlen);
  int rc = 0;
  if(!pw)
    return -1;
  if(setenv("PGPASSWORD", pw, 1) != 0) {
    putil_seterr(err, errlen, "cannot set PGPASSWORD: %s", strerror(errno));
    rc = -1;
  }
  pledger_password_free(pw);
  return rc;
}
