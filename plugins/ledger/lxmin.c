/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lxmin.c: rows of a PostgreSQL ledger changed since the last run (see
 * lxmin.h for why xmin and age()).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/common/ppg.h"
#include "plugins/ledger/lxmin.h"

/* One text value of a one-row query, or NULL (err filled). */
static PGresult *one_row(PGconn *c, const char *sql, int np,
                         const char *const *params, char *err, size_t errlen)
{
  PGresult *r = sym_PQexecParams(c, sql, np, NULL, params, NULL, NULL, 0);
  if(sym_PQresultStatus(r) != PGRES_TUPLES_OK || sym_PQntuples(r) != 1 ||
     sym_PQgetisnull(r, 0, 0)) {
    ppg_error(c, r, err, errlen);
    sym_PQclear(r);
    return NULL;
  }
  return r;
}

/* The current snapshot's xmin as a 64-bit xid: PostgreSQL 13+ has xid8,
 * older ones the txid_ functions (also 64 bits). 0, or -1 with err. */
static int snapshot_xmin(PGconn *c, uint64_t *now8, char *err, size_t errlen)
{
  PGresult *r;
  r = sym_PQexec(c, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text");
  if(sym_PQresultStatus(r) != PGRES_TUPLES_OK || sym_PQntuples(r) != 1) {
    sym_PQclear(r);
    r = one_row(c, "SELECT txid_snapshot_xmin(txid_current_snapshot())::text",
                0, NULL, err, errlen);
    if(!r)
      return -1;
  }
  *now8 = strtoull(sym_PQgetvalue(r, 0, 0), NULL, 10);
  sym_PQclear(r);
  return 0;
}

/* The query of the seqs of rows written after a 32-bit xid ($1), up to a
 * seq ($2), at most $3: by the table's seq column when it has one, else by
 * the event's. malloc'd, or NULL with err. */
static char *changed_sql(PGconn *c, const lsrc_options *src, char *err,
                         size_t errlen)
{
  const char *table = src->table && *src->table ? src->table : "ledger_events";
  const char *column = src->column && *src->column ? src->column : "event";
  char *qt = ppg_quote_qualified(c, table), *sql = NULL;
  char *qc = sym_PQescapeIdentifier(c, column, strlen(column));
  const char *params[1];
  PGresult *r;
  size_t len;
  int has_seq;
  if(!qt || !qc) {
    snprintf(err, errlen, "invalid table or column name");
    goto out;
  }
  params[0] = qt;
  r = one_row(c,
              "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = "
              "to_regclass($1) AND attname = 'seq' AND attnum > 0 AND NOT "
              "attisdropped)::text",
              1, params, err, errlen);
  if(!r)
    goto out;
  has_seq = strcmp(sym_PQgetvalue(r, 0, 0), "true") == 0;
  sym_PQclear(r);
  len = 4 * strlen(qc) + strlen(qt) + 400;
  if(!(sql = malloc(len))) {
    snprintf(err, errlen, "out of memory");
    goto out;
  }
  if(has_seq)
    snprintf(sql, len,
             "SELECT DISTINCT \"seq\" FROM %s WHERE age(xmin) <= age($1::xid)"
             " AND \"seq\" <= $2::bigint ORDER BY 1 LIMIT $3",
             qt);
  else
    snprintf(sql, len,
             "SELECT DISTINCT s FROM (SELECT CASE WHEN (%s->>'seq') ~ "
             "'^-?[0-9]{1,18}$' THEN (%s->>'seq')::bigint END AS s FROM %s "
             "WHERE age(xmin) <= age($1::xid)) x WHERE s <= $2::bigint "
             "ORDER BY 1 LIMIT $3",
             qc, qc, qt);
out:
  if(qc)
    sym_PQfreemem(qc);
  free(qt);
  return sql;
}

/* The rows changed in place since since8 (lxmin.h). */
int lx_changes(const lsrc_options *src, uint64_t since8, int64_t max_seq,
               uint64_t *now8, int64_t **seqs, size_t *n, char *err,
               size_t errlen)
{
  PGconn *c;
  PGresult *r = NULL;
  char *sql = NULL, since32[24], maxbuf[24], lim[24];
  const char *params[3];
  int64_t *out = NULL;
  size_t cnt = 0, i;
  int rc = -1;

  *seqs = NULL;
  *n = 0;
  c = ppg_connect_pwfile(src->source, src->password_file,
                         src->timeout_s > 0 ? src->timeout_s : 60, err, errlen);
  if(!c)
    return -1;
  if(snapshot_xmin(c, now8, err, errlen) != 0)
    goto out;
  if(since8 == 0) {
    rc = 0;
    goto out;
  }
  if(since8 > *now8 || *now8 - since8 >= ((uint64_t)1 << 30)) {
    rc = 1;
    goto out;
  }
  if(!(sql = changed_sql(c, src, err, errlen)))
    goto out;
  snprintf(since32, sizeof(since32), "%" PRIu64, since8 & 0xFFFFFFFFu);
  snprintf(maxbuf, sizeof(maxbuf), "%" PRId64, max_seq);
  snprintf(lim, sizeof(lim), "%d", LX_MAX_CHANGED + 1);
  params[0] = since32;
  params[1] = maxbuf;
  params[2] = lim;
  r = sym_PQexecParams(c, sql, 3, NULL, params, NULL, NULL, 0);
  if(sym_PQresultStatus(r) != PGRES_TUPLES_OK) {
    ppg_error(c, r, err, errlen);
    goto out;
  }
  cnt = (size_t)sym_PQntuples(r);
  if(cnt > LX_MAX_CHANGED) {
    rc = 1;
    goto out;
  }
  if(cnt > 0 && !(out = malloc(cnt * sizeof(*out)))) {
    snprintf(err, errlen, "out of memory");
    goto out;
  }
  for(i = 0; i < cnt; i++)
    out[i] = strtoll(sym_PQgetvalue(r, (int)i, 0), NULL, 10);
  *seqs = out;
  *n = cnt;
  out = NULL;
  rc = 0;
out:
  sym_PQclear(r);
  free(sql);
  free(out);
  sym_PQfinish(c);
  return rc;
}
