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

int lx_changes(const lsrc_options *src, uint64_t since8, int64_t max_seq,
               uint64_t *now8, int64_t **seqs, size_t *n, char *err,
               size_t errlen)
{
  const char *table = src->table && *src->table ? src->table : "ledger_events";
  const char *column = src->column && *src->column ? src->column : "event";
  PGconn *c;
  PGresult *r = NULL;
  char *qt = NULL, *qc = NULL, *sql = NULL, since32[24], maxbuf[24];
  const char *params[3];
  int64_t *out = NULL;
  size_t cnt = 0, len, i;
  int rc = -1, has_seq;

  *seqs = NULL;
  *n = 0;
  c = ppg_connect(src->source, src->timeout_s > 0 ? src->timeout_s : 60, err,
                  errlen);
  if(!c)
    return -1;
  /* PostgreSQL 13+: xid8; older: the txid_ functions (also 64 bits) */
  r = sym_PQexec(c, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text");
  if(sym_PQresultStatus(r) != PGRES_TUPLES_OK || sym_PQntuples(r) != 1) {
    sym_PQclear(r);
    r = one_row(c, "SELECT txid_snapshot_xmin(txid_current_snapshot())::text",
                0, NULL, err, errlen);
    if(!r)
      goto out;
  }
  *now8 = strtoull(sym_PQgetvalue(r, 0, 0), NULL, 10);
  sym_PQclear(r);
  r = NULL;
  if(since8 == 0) {
    rc = 0;
    goto out;
  }
  if(since8 > *now8 || *now8 - since8 >= ((uint64_t)1 << 30)) {
    rc = 1;
    goto out;
  }
  qt = ppg_quote_qualified(c, table);
  qc = sym_PQescapeIdentifier(c, column, strlen(column));
  if(!qt || !qc) {
    snprintf(err, errlen, "invalid table or column name");
    goto out;
  }
  params[0] = qt;
  r = one_row(c, "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = "
              "to_regclass($1) AND attname = 'seq' AND attnum > 0 AND NOT "
              "attisdropped)::text", 1, params, err, errlen);
  if(!r)
    goto out;
  has_seq = strcmp(sym_PQgetvalue(r, 0, 0), "true") == 0;
  sym_PQclear(r);
  r = NULL;
  len = 4 * strlen(qc) + strlen(qt) + 400;
  if(!(sql = malloc(len))) {
    snprintf(err, errlen, "out of memory");
    goto out;
  }
  if(has_seq)
    snprintf(sql, len,
             "SELECT DISTINCT \"seq\" FROM %s WHERE age(xmin) <= age($1::xid)"
             " AND \"seq\" <= $2::bigint ORDER BY 1 LIMIT $3", qt);
  else
    snprintf(sql, len,
             "SELECT DISTINCT s FROM (SELECT CASE WHEN (%s->>'seq') ~ "
             "'^-?[0-9]{1,18}$' THEN (%s->>'seq')::bigint END AS s FROM %s "
             "WHERE age(xmin) <= age($1::xid)) x WHERE s <= $2::bigint "
             "ORDER BY 1 LIMIT $3", qc, qc, qt);
  snprintf(since32, sizeof(since32), "%" PRIu64, since8 & 0xFFFFFFFFu);
  snprintf(maxbuf, sizeof(maxbuf), "%" PRId64, max_seq);
  {
    char lim[24];
    snprintf(lim, sizeof(lim), "%d", LX_MAX_CHANGED + 1);
    params[0] = since32;
    params[1] = maxbuf;
    params[2] = lim;
    r = sym_PQexecParams(c, sql, 3, NULL, params, NULL, NULL, 0);
  }
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
  if(qc)
    sym_PQfreemem(qc);
  free(qt);
  free(sql);
  free(out);
  sym_PQfinish(c);
  return rc;
}
