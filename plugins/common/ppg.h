/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ppg.h: PostgreSQL connections for probes (libpq).
 *
 * A probe connects to production databases, so every session it opens is
 * read-only and bounded from the first statement: default_transaction_read_only,
 * statement_timeout and lock_timeout go in the startup packet ("options"),
 * with connect_timeout and application_name=probe-agent. Conninfo strings
 * shown to users (a result's target, an error) pass through redact_target
 * (lib/redact.h) so that no password is ever printed.
 *
 * libpq is not linked: ppg_connect opens it on first use (plib.h), and all
 * plugin code calls it through the sym_PQ* pointers declared here.
 */
#ifndef PLUGINS_COMMON_PPG_H
#define PLUGINS_COMMON_PPG_H

#include <stddef.h>

#include <libpq-fe.h>

#include "probe-plugin.h"

/* The libpq functions plugins use, each called as sym_<name>. */
#define PPG_LIBPQ_FUNCS(X) \
  X(PQclear)               \
  X(PQconnectdbParams)     \
  X(PQconninfoFree)        \
  X(PQconninfoParse)       \
  X(PQerrorMessage)        \
  X(PQescapeIdentifier)    \
  X(PQexec)                \
  X(PQexecParams)          \
  X(PQfinish)              \
  X(PQfreemem)             \
  X(PQgetResult)           \
  X(PQgetisnull)           \
  X(PQgetlength)           \
  X(PQgetvalue)            \
  X(PQnfields)             \
  X(PQntuples)             \
  X(PQresultErrorMessage)  \
  X(PQresultStatus)        \
  X(PQsendQueryParams)     \
  X(PQsetSingleRowMode)    \
  X(PQstatus)
#define PPG_DECLARE_SYM(f) extern __typeof__(&f) sym_##f;
PPG_LIBPQ_FUNCS(PPG_DECLARE_SYM)
#undef PPG_DECLARE_SYM

/* Opens libpq for this process if it is not open yet (ppg_connect does it
   first thing). 0, or -1 with the reason in err. */
int ppg_libpq_open(char *err, size_t errlen);

/* Connects for a probe: read-only and harmless on a production database:
   default_transaction_read_only=on, statement_timeout and lock_timeout (ms from
   timeout_s), connect_timeout, application_name=probe-agent (options set through
   the conninfo's "options"/keywords, so they hold from the first statement). On
   failure returns NULL and writes libpq's message (with any password removed) to err. */
PGconn *ppg_connect(const char *conninfo, double timeout_s, char *err,
                    size_t errlen);

/* The largest password_file accepted (larger is an error, never cut). */
#define PPG_PASSWORD_MAX 65536

/* ppg_connect, with the password read from password_file (NULL: none)
 * used when the conninfo names none (as libpq uses PGPASSWORD): read by
 * fileio_read_secret_flags (lib/fileio.h: FILEIO_BENEATH, a link only
 * inside the file's own directory, a regular file, at most
 * PPG_PASSWORD_MAX bytes, trailing newlines removed, wiped after use),
 * passed to libpq directly (no PGPASSWORD in the environment) and
 * redacted from libpq's messages. When the file cannot be read, returns
 * NULL with err "cannot read password_file <path>: <reason>". */
PGconn *ppg_connect_pwfile(const char *conninfo, const char *password_file,
                           double timeout_s, char *err, size_t errlen);

/* The run's password_file setting, or NULL when it is not set. */
const char *ppg_password_file(probe_ctx *ctx, const probe_host *h);

/* ppg_connect_pwfile with the run's own password_file setting: what a
 * plugin whose settings table has "password_file" calls. */
PGconn *ppg_connect_settings(probe_ctx *ctx, const probe_host *h,
                             const char *conninfo, double timeout_s, char *err,
                             size_t errlen);

/* 1 when `s` is a PostgreSQL conninfo or URI rather than a file path */
int ppg_looks_like_conninfo(const char *s);

/* Quotes a possibly schema-qualified name ("table" or "schema.table", split at
   the first dot) with PQescapeIdentifier: '"schema"."table"'. malloc'd, or NULL
   (empty name, empty part, or out of memory). */
char *ppg_quote_qualified(PGconn *conn, const char *name);

/* Writes a one-line, password-free description of the connection's last error
   (or of `res` when not NULL) to err: libpq's message with newlines folded. */
void ppg_error(PGconn *conn, const PGresult *res, char *err, size_t errlen);

#endif
