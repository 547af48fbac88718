/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agg.c: the streaming aggregation of agent lines (see agg.h). Which lines
 * feed what:
 *   deadletter.count  dead_letters (a gauge: its rises are new dead letters)
 *   pgqueue.health    depth, failed_window
 *   claims.lifecycle  claims_submitted/_completed/_failed, lifecycle_p95_seconds,
 *                     callback_success_ratio weighted by callbacks_due (counts
 *                     over the plugin's window, details.window_seconds,
 *                     default 900 s; lines without counts are not windows)
 *   anchor.confirm    confirmation_latency_p95_seconds, else _seconds
 *   ledger.chain      append_rate_per_minute
 *   every check       status stretches, incidents, the timeline
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/agg.h"

#define HSIZE 4096 /* key hash slots, > AGG_MAX_KEYS */
#define DEFAULT_WINDOW 900.0

typedef struct {
  agg a;
  size_t key_cap, inc_cap;
  uint32_t slot[HSIZE]; /* key index + 1, 0 empty */
} agg_full;

agg *agg_new(double since, double until)
{
  agg_full *f = calloc(1, sizeof(*f));
  if(!f)
    return NULL;
  agg *a = &f->a;
  a->since = since;
  a->until = until;
  a->first_ts = a->last_ts = NAN;
  a->cb_min = NAN;
  a->p95_max = a->p95_max_ts = NAN;
  if(!isnan(since) && !isnan(until) && until > since) {
    a->axis_fixed = a->axis_set = 1;
    a->origin = since;
    a->width = (until - since) / AGG_BUCKETS;
  }
  return a;
}

int agg_add_label(agg *a, const char *kv)
{
  const char *eq = strchr(kv, '=');
  if(!eq || eq == kv)
    return -1;
  char **k = realloc(a->label_keys, (a->nlabels + 1) * sizeof(*k));
  if(!k)
    return -1;
  a->label_keys = k;
  char **v = realloc(a->label_values, (a->nlabels + 1) * sizeof(*v));
  if(!v)
    return -1;
  a->label_values = v;
  k[a->nlabels] = strndup(kv, (size_t)(eq - kv));
  v[a->nlabels] = strdup(eq + 1);
  if(!k[a->nlabels] || !v[a->nlabels]) {
    free(k[a->nlabels]);
    free(v[a->nlabels]);
    return -1;
  }
  a->nlabels++;
  return 0;
}

void agg_free(agg *a)
{
  if(!a)
    return;
  for(size_t i = 0; i < a->nkeys; i++) {
    free(a->keys[i].host);
    free(a->keys[i].check);
    free(a->keys[i].target);
  }
  for(size_t i = 0; i < a->nlabels; i++) {
    free(a->label_keys[i]);
    free(a->label_values[i]);
  }
  free(a->label_keys);
  free(a->label_values);
  free(a->keys);
  free(a->inc);
  free(a);
}

double agg_bucket_time(const agg *a, size_t i)
{
  return a->origin + (double)i * a->width;
}

/* Copies a summary, cut at a character boundary. */
static void keep_summary(char *dst, const char *src)
{
  size_t n = strlen(src);
  if(n > AGG_SUMMARY_MAX) {
    n = AGG_SUMMARY_MAX;
    while(n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
      n--;
  }
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* FNV-1a over host, check and target, for the key table. */
static uint32_t hash3(const char *a, const char *b, const char *c)
{
  uint32_t h = 2166136261u;
  const char *p[3] = {a, b, c};
  for(int i = 0; i < 3; i++) {
    for(const unsigned char *s = (const unsigned char *)p[i]; *s; s++)
      h = (h ^ *s) * 16777619u;
    h = (h ^ 0xff) * 16777619u;
  }
  return h;
}

/* The key of a record, created on first sight; NULL when full or ENOMEM. */
static agg_key *key_of(agg *a, const rl_record *r, size_t *idx)
{
  agg_full *f = (agg_full *)a;
  uint32_t h = hash3(r->host, r->check, r->target) % HSIZE;
  while(f->slot[h]) {
    agg_key *k = &a->keys[f->slot[h] - 1];
    if(!strcmp(k->check, r->check) && !strcmp(k->target, r->target) &&
       !strcmp(k->host, r->host)) {
      *idx = f->slot[h] - 1;
      return k;
    }
    h = (h + 1) % HSIZE;
  }
  if(a->nkeys >= AGG_MAX_KEYS) {
    a->keys_dropped++;
    return NULL;
  }
  if(a->nkeys == f->key_cap) {
    size_t cap = f->key_cap ? f->key_cap * 2 : 8;
    agg_key *n = realloc(a->keys, cap * sizeof(*n));
    if(!n)
      return NULL;
    a->keys = n;
    f->key_cap = cap;
  }
  agg_key *k = &a->keys[a->nkeys];
  memset(k, 0, sizeof(*k));
  k->host = strdup(r->host);
  k->check = strdup(r->check);
  k->target = strdup(r->target);
  if(!k->host || !k->check || !k->target) {
    free(k->host);
    free(k->check);
    free(k->target);
    return NULL;
  }
  k->status = -1;
  k->crit_since = k->notok_since = NAN;
  k->dead_last = NAN;
  k->claims_next = -INFINITY;
  k->first_ts = r->ts;
  *idx = a->nkeys;
  f->slot[h] = (uint32_t)++a->nkeys;
  return k;
}

/* Doubles the bucket width until TS fits, merging buckets. */
static void axis_fit(agg *a, double ts)
{
  if(!a->axis_set) {
    a->axis_set = 1;
    a->width = 60;
    a->origin = floor(ts / 60) * 60;
  }
  while(ts < a->origin || ts >= a->origin + AGG_BUCKETS * a->width) {
    double w2 = a->width * 2;
    double lo = ts < a->origin ? ts : a->origin;
    double o2 = floor(lo / w2) * w2;
    if(a->origin + AGG_BUCKETS * a->width > o2 + AGG_BUCKETS * w2)
      o2 = floor(a->origin / w2) * w2;
    agg_bucket nb[AGG_BUCKETS];
    unsigned char ntl[AGG_BUCKETS];
    for(int s = 0; s < SER_N; s++) {
      memset(nb, 0, sizeof(nb));
      for(size_t i = 0; i < AGG_BUCKETS; i++) {
        agg_bucket *b = &a->ser[s][i];
        if(!b->n)
          continue;
        size_t j = (size_t)((agg_bucket_time(a, i) - o2) / w2);
        if(!nb[j].n || b->max > nb[j].max)
          nb[j].max = b->max;
        nb[j].n += b->n;
        nb[j].sum += b->sum;
      }
      memcpy(a->ser[s], nb, sizeof(nb));
    }
    for(size_t k = 0; k < a->nkeys; k++) {
      memset(ntl, 0, sizeof(ntl));
      for(size_t i = 0; i < AGG_BUCKETS; i++) {
        size_t j = (size_t)((agg_bucket_time(a, i) - o2) / w2);
        if(a->keys[k].tl[i] > ntl[j])
          ntl[j] = a->keys[k].tl[i];
      }
      memcpy(a->keys[k].tl, ntl, sizeof(ntl));
    }
    a->origin = o2;
    a->width = w2;
  }
}

/* The bucket of TS, or -1 outside a fixed axis. */
static long bucket_of(agg *a, double ts)
{
  if(!a->axis_fixed)
    axis_fit(a, ts);
  double i = floor((ts - a->origin) / a->width);
  if(i < 0 || i >= AGG_BUCKETS)
    return -1;
  return (long)i;
}

/* Adds V to bucket B of series S (nothing for NAN or outside). */
static void put(agg *a, int s, long b, double v)
{
  if(b < 0 || isnan(v))
    return;
  agg_bucket *k = &a->ser[s][b];
  if(!k->n || v > k->max)
    k->max = v;
  k->n++;
  k->sum += v;
}

/* Whether the line has every --label asked for. */
static int labels_match(const agg *a, const rl_record *r)
{
  for(size_t i = 0; i < a->nlabels; i++) {
    const cJSON *v =
        r->labels
            ? cJSON_GetObjectItemCaseSensitive(r->labels, a->label_keys[i])
            : NULL;
    if(!cJSON_IsString(v) || strcmp(v->valuestring, a->label_values[i]))
      return 0;
  }
  return 1;
}

/* Records the end of a critical stretch of key IDX. */
static void close_incident(agg *a, size_t idx, double end, int ongoing)
{
  agg_key *k = &a->keys[idx];
  if(isnan(k->crit_since))
    return;
  if(a->ninc >= AGG_MAX_INCIDENTS) {
    a->inc_dropped++;
  }
  else {
    agg_full *f = (agg_full *)a;
    if(a->ninc == f->inc_cap) {
      size_t cap = f->inc_cap ? f->inc_cap * 2 : 8;
      agg_incident *n = realloc(a->inc, cap * sizeof(*n));
      if(!n) {
        a->inc_dropped++;
        k->crit_since = NAN;
        return;
      }
      a->inc = n;
      f->inc_cap = cap;
    }
    agg_incident *i = &a->inc[a->ninc++];
    i->key = idx;
    i->start = k->crit_since;
    i->end = end;
    i->ongoing = ongoing;
    memcpy(i->summary, k->crit_summary, sizeof(i->summary));
  }
  k->crit_since = NAN;
}

/* claims.lifecycle: the p95 and callback series from every line, the
 * counts only from lines whose windows do not overlap (see the top). */
static void fold_claims(agg *a, agg_key *k, const rl_record *r, long b)
{
  a->claims_lines++;
  double p95 = rl_metric(r, "lifecycle_p95_seconds");
  if(!isnan(p95)) {
    put(a, SER_P95, b, p95);
    a->p95_lines++;
    if(isnan(a->p95_max) || p95 > a->p95_max) {
      a->p95_max = p95;
      a->p95_max_ts = r->ts;
    }
    if(p95 * 1000 >= 2000)
      a->p95_over_review++;
  }
  double ratio = rl_metric(r, "callback_success_ratio");
  if(!isnan(ratio) && (isnan(a->cb_min) || ratio < a->cb_min))
    a->cb_min = ratio;
  /* counts: only from lines whose windows do not overlap, and only from
   * lines that have them (an unknown line counts nothing, and must not
   * take the place of the next line that does) */
  double sub = rl_metric(r, "claims_submitted");
  double com = rl_metric(r, "claims_completed");
  double fai = rl_metric(r, "claims_failed");
  if(isnan(com) && isnan(fai))
    return;
  double w = DEFAULT_WINDOW;
  const cJSON *wv =
      r->details
          ? cJSON_GetObjectItemCaseSensitive(r->details, "window_seconds")
          : NULL;
  if(cJSON_IsNumber(wv) && wv->valuedouble > 0)
    w = wv->valuedouble;
  if(r->ts - w < k->claims_next - 0.5)
    return;
  k->claims_next = r->ts;
  a->claims_windows++;
  if(!isnan(sub))
    a->claims_submitted += sub;
  if(!isnan(com))
    a->claims_completed += com;
  if(!isnan(fai))
    a->claims_failed += fai;
  /* the rate over the range: delivered over due, added up over the
   * windows (the plugin's own denominator, callbacks_due); lines without
   * it are weighted by their claims */
  double due = rl_metric(r, "callbacks_due");
  if(!isnan(ratio)) {
    double wt = !isnan(due)  ? due
                : isnan(com) ? 1
                             : com + (isnan(fai) ? 0 : fai);
    if(isnan(due) && wt <= 0)
      wt = 1;
    a->cb_weighted += ratio * wt;
    a->cb_weight += wt;
    a->have_cb = a->cb_weight > 0;
  }
}

int agg_line(agg *a, const char *line, size_t len)
{
  a->lines++;
  rl_record r;
  int rc = rl_parse(line, len, &r);
  if(rc == RP_BAD_UTF8) {
    a->bad_utf8++;
    return 0;
  }
  if(rc != RP_OK) {
    a->not_agent++;
    return 0;
  }
  if((!isnan(a->since) && r.ts < a->since) ||
     (!isnan(a->until) && r.ts >= a->until)) {
    a->out_of_range++;
    goto done;
  }
  if(!labels_match(a, &r)) {
    a->label_mismatch++;
    goto done;
  }
  a->in_range++;
  if(isnan(a->first_ts) || r.ts < a->first_ts)
    a->first_ts = r.ts;
  if(isnan(a->last_ts) || r.ts > a->last_ts)
    a->last_ts = r.ts;
  size_t idx;
  agg_key *k = key_of(a, &r, &idx);
  long b = bucket_of(a, r.ts);
  if(!k)
    goto done;
  if(b >= 0 && k->tl[b] < r.status + 1)
    k->tl[b] = (unsigned char)(r.status + 1);
  /* stretches */
  if(r.status == ST_CRITICAL) {
    if(isnan(k->crit_since)) {
      k->crit_since = r.ts;
      keep_summary(k->crit_summary, r.summary);
    }
  }
  else {
    close_incident(a, idx, r.ts, 0);
  }
  if(r.status == ST_OK)
    k->notok_since = NAN;
  else if(isnan(k->notok_since))
    k->notok_since = r.ts;
  k->status = r.status;
  k->last_ts = r.ts;
  keep_summary(k->summary, r.summary);

  double v;
  if(!strcmp(r.check, "deadletter.count")) {
    v = rl_metric(&r, "dead_letters");
    if(!isnan(v)) {
      a->dead_lines++;
      put(a, SER_DEAD, b, v);
      if(!isnan(k->dead_last) && v > k->dead_last)
        a->dead_new += v - k->dead_last;
      k->dead_last = v;
    }
  }
  else if(!strcmp(r.check, "pgqueue.health")) {
    put(a, SER_QDEPTH, b, rl_metric(&r, "depth"));
    put(a, SER_QFAIL, b, rl_metric(&r, "failed_window"));
  }
  else if(!strcmp(r.check, "claims.lifecycle")) {
    fold_claims(a, k, &r, b);
  }
  else if(!strcmp(r.check, "anchor.confirm")) {
    v = rl_metric(&r, "confirmation_latency_p95_seconds");
    put(a, SER_ANCHOR, b,
        isnan(v) ? rl_metric(&r, "confirmation_latency_seconds") : v);
  }
  else if(!strcmp(r.check, "ledger.chain")) {
    put(a, SER_LEDGER, b, rl_metric(&r, "append_rate_per_minute"));
  }
  v = rl_metric(&r, "rollbacks_initiated");
  if(!isnan(v) && (!a->have_rollbacks || v > a->rollbacks)) {
    a->rollbacks = v;
    a->have_rollbacks = 1;
  }
  v = rl_metric(&r, "incidents_s1s2");
  if(!isnan(v) && (!a->have_incidents || v > a->incidents_s1s2)) {
    a->incidents_s1s2 = v;
    a->have_incidents = 1;
  }
done:
  rl_record_free(&r);
  return 0;
}

void agg_too_long(agg *a)
{
  a->lines++;
  a->too_long++;
}

/* Incidents in order of start, then of check. */
static int inc_cmp(const void *x, const void *y)
{
  const agg_incident *p = x, *q = y;
  if(p->start != q->start)
    return p->start < q->start ? -1 : 1;
  return p->key < q->key ? -1 : p->key > q->key;
}

void agg_finish(agg *a)
{
  for(size_t i = 0; i < a->nkeys; i++)
    close_incident(a, i, a->keys[i].last_ts, 1);
  if(a->ninc > 1)
    qsort(a->inc, a->ninc, sizeof(*a->inc), inc_cmp);
}
