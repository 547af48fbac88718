/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cjudge.c: the claims.lifecycle tally and verdict (cjudge.h), kept apart
 * from the reading and emitting in claims.c so that it is unit-tested.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/claims/cjudge.h"

int cj_anchored_by(const anchors *a, int64_t seq, const char **tx, int64_t *to)
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

double cj_latency(const claim *c)
{
  return round((c->del - c->sub) * 1e6) / 1e6;
}

void cj_list_add(cJSON *arr, const char *id)
{
  if(arr && cJSON_GetArraySize(arr) < CJ_LIST_MAX)
    cJSON_AddItemToArray(arr, cJSON_CreateString(id));
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

/* MedLink's row of c, walking ml->c in the store's order from *mi (both
 * were filled in the same order), or NULL. */
static const mlrow *ml_row(const cj_medlink *ml, const claim *c, size_t *mi)
{
  for(; *mi < ml->n && ml->c[*mi] != c; (*mi)++)
    ;
  return *mi < ml->n ? &ml->rows[*mi] : NULL;
}

/* One claim's share of the tally; its latency goes to lat[t->nlat]. */
static void tally_one(const claim *c, const mlrow *m, const cj_conf *cf,
                      const anchors *an, const cj_medlink *ml, double now,
                      double *lat, cj_tally *t)
{
  double w0 = now - cf->window;
  int comp = claim_complete(c), fl = claim_failed(c);
  if(c->sub >= w0 && c->sub <= now)
    t->submitted++;
  if(c->dups && c->dup_ts >= w0) {
    t->dups += c->dups;
    cj_list_add(t->list[CJ_DUPS], c->id);
  }
  if(c->flags & (CL_OOO_CB | CL_OOO_DEC)) {
    t->ooo++;
    cj_list_add(t->list[CJ_OOO], c->id);
  }
  if(comp && c->del >= w0) {
    t->completed++;
    if(c->sub > 0)
      lat[t->nlat++] = cj_latency(c);
    if(!ml->used || (m && m->done))
      t->cb_ok++;
    else if(ml->ok && now - c->del > cf->cb_grace) {
      t->cb_lag++;
      cj_list_add(t->list[CJ_NOT_ARRIVED], c->id);
    }
  }
  if(fl && c->fail >= w0) {
    t->failed++;
    cj_list_add(t->list[CJ_FAILED], c->id);
    if(c->flags & CL_FAIL_CB)
      t->cb_final++;
  }
  if(!comp && !fl) {
    if(c->sub > 0 && now - c->sub > cf->stuck_after) {
      t->stuck++;
      cj_list_add(t->list[CJ_STUCK], c->id);
    }
    if(c->dec > 0 && now - c->dec > cf->cb_grace &&
       c->dec >= w0 - cf->cb_grace) {
      t->cb_overdue++;
      cj_list_add(t->list[CJ_OVERDUE], c->id);
    }
  }
  if(comp && now - c->del > cf->anchor_grace) {
    const char *tx;
    int64_t to;
    if(an->known && !cj_anchored_by(an, c->done_seq, &tx, &to)) {
      t->unanch++;
      cj_list_add(t->list[CJ_UNANCHORED], c->id);
    }
  }
}

int cj_tally_claims(const cstore *st, const cj_conf *cf, const anchors *an,
                    const cj_medlink *ml, double now, cj_tally *t)
{
  double w0 = now - cf->window, *lat;
  size_t b, cap = 0, mi = 0, k;
  claim *c;
  memset(t, 0, sizeof(*t));
  for(k = 0; k < CJ_NLISTS; k++)
    if(!(t->list[k] = cJSON_CreateArray()))
      goto oom;
  for(b = 0; b < st->nb; b++)
    for(c = st->b[b]; c; c = c->next)
      if(claim_complete(c) && c->del >= w0)
        cap++;
  lat = malloc((cap + 1) * sizeof(*lat));
  if(!lat)
    goto oom;
  for(b = 0; b < st->nb; b++)
    for(c = st->b[b]; c; c = c->next) {
      const mlrow *m = NULL;
      if(ml->used && claim_complete(c) &&
         (c->del >= w0 || (c->flags & CL_PINNED)))
        m = ml_row(ml, c, &mi);
      tally_one(c, m, cf, an, ml, now, lat, t);
    }
  qsort(lat, t->nlat, sizeof(*lat), cmp_double);
  if(t->nlat) {
    t->p50 = pct(lat, t->nlat, 0.50);
    t->p95 = pct(lat, t->nlat, 0.95);
    t->p99 = pct(lat, t->nlat, 0.99);
  }
  free(lat);
  return 0;
oom:
  cj_tally_free(t);
  return -1;
}

uint64_t cj_callbacks_due(const cj_tally *t)
{
  return t->cb_ok + t->cb_final + t->cb_overdue + t->cb_lag;
}

double cj_callback_ratio(const cj_tally *t)
{
  uint64_t den = cj_callbacks_due(t);
  return den > 0 ? (double)t->cb_ok / (double)den : NAN;
}

void cj_judge(const cj_tally *t, const cj_conf *cf, const anchors *an,
              const cj_medlink *ml, pverdict *v)
{
  if(t->nlat && t->p95 > cf->p95_crit)
    pverdict_add(v, PROBE_CRITICAL, "p95 lifecycle %.3f s > %.3g s", t->p95,
                 cf->p95_crit);
  else if(t->nlat && t->p95 > cf->p95_warn)
    pverdict_add(v, PROBE_WARNING, "p95 lifecycle %.3f s > %.3g s", t->p95,
                 cf->p95_warn);
  if((!ml->used || ml->ok) && cj_callbacks_due(t) > 0) {
    double ratio = cj_callback_ratio(t);
    if(ratio < cf->cb_crit)
      pverdict_add(v, PROBE_CRITICAL, "callback success %.4f < %.3g", ratio,
                   cf->cb_crit);
    else if(ratio < cf->cb_warn)
      pverdict_add(v, PROBE_WARNING, "callback success %.4f < %.3g", ratio,
                   cf->cb_warn);
  }
  if(an->known && t->unanch > 0)
    pverdict_add(v, PROBE_WARNING,
                 "%" PRIu64 " complete claim%s older than %.0f s not anchored",
                 t->unanch, t->unanch == 1 ? "" : "s", cf->anchor_grace);
  if((long long)t->failed >= cf->failed_crit)
    pverdict_add(v, PROBE_CRITICAL, "%" PRIu64 " claims failed in the window",
                 t->failed);
  else if((long long)t->failed >= cf->failed_warn)
    pverdict_add(v, PROBE_WARNING, "%" PRIu64 " claims failed in the window",
                 t->failed);
  if(t->stuck > 0)
    pverdict_add(v, PROBE_WARNING,
                 "%" PRIu64 " claim%s stuck (not complete "
                 "%.0f s after submission)",
                 t->stuck, t->stuck == 1 ? "" : "s", cf->stuck_after);
}

void cj_tally_free(cj_tally *t)
{
  size_t k;
  for(k = 0; k < CJ_NLISTS; k++) {
    cJSON_Delete(t->list[k]);
    t->list[k] = NULL;
  }
}
