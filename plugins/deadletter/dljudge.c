/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dljudge.c: deadletter's decisions (dljudge.h): arrivals from the count
 * history, the count and rate verdicts, their lines.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins/deadletter/dljudge.h"

/* Prunes h to the samples of the window and an hour before it. */
static void hist_prune(dl_hist *h, double now, double window)
{
  size_t keep = 0;
  for(size_t i = 0; i < h->n; i++)
    if(h->s[i][0] <= now && h->s[i][0] > now - window - 3600)
      memmove(h->s[keep++], h->s[i], sizeof(h->s[i]));
  h->n = keep;
}

/* Appends one sample, dropping the oldest beyond DL_HIST_MAX (a run that
 * cannot grow the history keeps the old one). */
static void hist_append(dl_hist *h, double now, double count)
{
  double(*ns)[2] = realloc(h->s, (h->n + 1) * sizeof(*h->s));
  if(!ns)
    return;
  h->s = ns;
  if(h->n >= DL_HIST_MAX) {
    memmove(h->s, h->s + 1, (h->n - 1) * sizeof(*h->s));
    h->n--;
  }
  h->s[h->n][0] = now;
  h->s[h->n][1] = count;
  h->n++;
}

/* Records an arrival seen at t. */
static void arrived(dl_arrivals *a, double t)
{
  if(a->first < 0)
    a->first = t;
  a->last = t;
}

void dl_hist_step(dl_hist *h, double now, double window, dl_count *c)
{
  hist_prune(h, now, window);
  dl_arrivals arr = {-1, -1, 0};
  double fresh = -1;
  if(h->n > 0) {
    size_t first = 0;
    while(first < h->n && h->s[first][0] < now - window)
      first++;
    /* the last sample before the window is the baseline */
    size_t base = first > 0 ? first - 1 : 0;
    double prev = h->s[base][1];
    fresh = 0;
    for(size_t i = base + 1; i < h->n; i++) {
      if(h->s[i][1] > prev) {
        fresh += h->s[i][1] - prev;
        arrived(&arr, h->s[i][0]);
      }
      prev = h->s[i][1];
    }
    if(c->count > prev) {
      fresh += c->count - prev;
      arrived(&arr, now);
    }
  }
  hist_append(h, now, c->count);
  c->new_in_window = fresh;
  c->arr = arr;
}

/* "2026-11-28T12:00:05Z" for a wall-clock time. */
static void fmt_utc(double t, char *out, size_t n)
{
  time_t tt = (time_t)t;
  struct tm tm;
  if(!gmtime_r(&tt, &tm) || !strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(out, n, "?");
}

/* Every warning and critical summary names the setting and value it
 * crossed, and the rate's says when the dead letters it counts arrived,
 * so that a rate still critical after the relay recovered reads as what
 * it is. */
void dl_judge(const dl_limits *lim, const dl_count *c, dl_verdict *v)
{
  memset(v, 0, sizeof(*v));
  char wb[32], when[120] = "";
  if(lim->window >= 120)
    snprintf(wb, sizeof(wb), "%.0fm", lim->window / 60);
  else
    snprintf(wb, sizeof(wb), "%.0fs", lim->window);
  if(c->count >= (double)lim->count_critical) {
    v->count_status = PROBE_CRITICAL;
    snprintf(v->count_summary, sizeof(v->count_summary),
             "%.0f dead letters (count_critical=%lld)", c->count,
             lim->count_critical);
  }
  else if(c->count >= (double)lim->count_warning) {
    v->count_status = PROBE_WARNING;
    snprintf(v->count_summary, sizeof(v->count_summary),
             "%.0f dead letters (count_warning=%lld)", c->count,
             lim->count_warning);
  }
  else {
    v->count_status = PROBE_OK;
    snprintf(v->count_summary, sizeof(v->count_summary), "%.0f dead letters",
             c->count);
  }
  const dl_arrivals *a = &c->arr;
  v->known = c->new_in_window > 0 && a->first >= 0 && a->last >= a->first;
  if(v->known) {
    fmt_utc(a->first, v->first, sizeof(v->first));
    fmt_utc(a->last, v->last, sizeof(v->last));
    const char *how = a->exact ? "arrived" : "seen";
    if(!strcmp(v->first, v->last))
      snprintf(when, sizeof(when), ", %s %s", how, v->first);
    else
      snprintf(when, sizeof(when), ", %s %s to %s", how, v->first, v->last);
  }
  v->rate_status = PROBE_OK;
  if(c->new_in_window < 0)
    snprintf(v->rate_summary, sizeof(v->rate_summary),
             "no earlier count to compare with yet (first run)");
  else if(c->new_in_window > (double)lim->rate_critical) {
    v->rate_status = PROBE_CRITICAL;
    snprintf(v->rate_summary, sizeof(v->rate_summary),
             "%.0f new dead letters in the last %s (rate_critical=%lld)%s",
             c->new_in_window, wb, lim->rate_critical, when);
  }
  else
    snprintf(v->rate_summary, sizeof(v->rate_summary),
             "%.0f new dead letters in the last %s%s", c->new_in_window, wb,
             when);
}

/* The deadletter.rate line. */
static int emit_rate(probe_ctx *ctx, const probe_host *host, const char *target,
                     const dl_limits *lim, const dl_count *c,
                     const dl_verdict *v)
{
  probe_result *r = host->result_begin(ctx, "deadletter.rate", target);
  if(!r)
    return -1;
  host->result_status(r, v->rate_status, "%s", v->rate_summary);
  if(c->new_in_window >= 0)
    host->result_metric(r, "new_in_window", c->new_in_window);
  host->result_metric(r, "window_seconds", lim->window);
  if(v->known) {
    host->result_detail_string(r, "first_arrival", v->first);
    host->result_detail_string(r, "last_arrival", v->last);
    host->result_detail_string(r, "arrival_times",
                               c->arr.exact ? "the rows' own"
                                            : "the runs that first saw them");
    host->result_metric(r, "first_arrival_timestamp_seconds",
                        floor(c->arr.first));
    host->result_metric(r, "last_arrival_timestamp_seconds",
                        floor(c->arr.last));
  }
  host->result_detail_string(r, "counting", c->note);
  return host->result_emit(r);
}

int dl_emit(probe_ctx *ctx, const probe_host *host, const char *target,
            const dl_limits *lim, const dl_count *c, const dl_verdict *v)
{
  probe_result *r = host->result_begin(ctx, "deadletter.count", target);
  if(!r)
    return -1;
  host->result_status(r, v->count_status, "%s", v->count_summary);
  host->result_metric(r, "dead_letters", c->count);
  if(PROBE_HOST_HAS_THRESHOLD(host)) /* ">= N" is "above N - 1" */
    host->result_threshold(r, "dead_letters", (double)lim->count_warning - 1,
                           (double)lim->count_critical - 1);
  host->result_detail_string(r, "source", c->source);
  if(host->result_emit(r) != 0)
    return -1;
  return emit_rate(ctx, host, target, lim, c, v);
}
