/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pgqjudge.c: pgqueue's decisions (pgqjudge.h): the failure and
 * completion windows from the row and the runs' history, the stall, the
 * depth held high, and the line that reports them.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/pgqueue/pgqjudge.h"

void pgq_human(double s, char *buf, size_t n)
{
  long v = s < 0 ? 0 : (long)(s + 0.5);
  if(v < 120)
    snprintf(buf, n, "%lds", v);
  else if(v < 7200)
    snprintf(buf, n, "%ldm", v / 60);
  else if(v < 172800)
    snprintf(buf, n, "%ldh%ldm", v / 3600, (v % 3600) / 60);
  else
    snprintf(buf, n, "%ldd%ldh", v / 86400, (v % 86400) / 3600);
}

/* Keeps the history of one window before now and adds this run's sample
 * (when memory allows: a run without its sample is still judged). */
static void hist_add(qstate *st, double now, double window,
                     const double sample[5])
{
  size_t keep = 0;
  for(size_t i = 0; i < st->nhist; i++)
    if(st->hist[i][0] > now - window && st->hist[i][0] <= now)
      memmove(st->hist[keep++], st->hist[i], sizeof(st->hist[i]));
  st->nhist = keep;
  if(st->nhist >= PGQ_HIST_MAX) {
    memmove(st->hist, st->hist + 1, (st->nhist - 1) * sizeof(*st->hist));
    st->nhist--;
  }
  double(*nh)[5] = realloc(st->hist, (st->nhist + 1) * sizeof(*st->hist));
  if(!nh)
    return;
  st->hist = nh;
  memcpy(st->hist[st->nhist++], sample, sizeof(st->hist[0]));
}

/* Completions and failures in the window: the table's timestamps, or
 * what runs saw if the library pruned some; derived ones (rows gone,
 * poison growth) add up. Updates the history and last completion. */
static void windows(const pgq_limits *lim, const pgq_obs *o, qstate *st,
                    pgq_verdict *v)
{
  /* on a first run the "since" counts span the whole window, which the
   * timestamp window already counts: not history */
  double c_delta =
      o->null_completed_since || !o->have_prev ? 0 : o->completed_since;
  double f_delta = o->null_failed_since || !o->have_prev ? 0 : o->failed_since;
  double c_der = 0, f_der = 0;
  v->derived_ready = 0;
  if(o->derived_completions && !o->null_live && st->have && st->have_counts &&
     o->max_id >= st->max_id) {
    double gone = st->live + (o->max_id - st->max_id) - o->live;
    c_der = gone > 0 ? gone : 0;
    v->derived_ready = 1;
  }
  if(o->derived_failures && st->have && st->have_counts &&
     o->poison > st->poison)
    f_der = o->poison - st->poison;
  double sample[5] = {o->now, c_delta, f_delta, c_der, f_der};
  hist_add(st, o->now, lim->window, sample);
  double hc = 0, hf = 0, hcd = 0, hfd = 0;
  for(size_t i = 0; i < st->nhist; i++) {
    hc += st->hist[i][1];
    hf += st->hist[i][2];
    hcd += st->hist[i][3];
    hfd += st->hist[i][4];
  }
  double cw = o->completed_win, fw = o->failed_win;
  v->completed = (o->null_completed_win ? hc : (cw > hc ? cw : hc)) + hcd;
  v->failed = (o->null_failed_win ? hf : (fw > hf ? fw : hf)) + hfd;
  if(c_delta > 0 || c_der > 0)
    st->last_done = o->now;
  if(!st->have || st->first <= 0)
    st->first = o->now;
}

/* Stall: work due for stall_after and no completion known in stall_after.
 * When completions are only observed between runs, a queue watched for
 * less than stall_after is undecided. */
static void stall(const pgq_limits *lim, const pgq_obs *o, const qstate *st,
                  pgq_verdict *v)
{
  int recent = 0;
  double sa = lim->stall_after;
  if(!o->null_last_done_age && o->last_done_age <= sa)
    recent = 1;
  if(st->last_done > 0 && o->now - st->last_done <= sa)
    recent = 1;
  v->decided = 1;
  if(o->null_completed_win && !recent && o->now - st->first < sa &&
     o->depth > 0 && o->oldest_age >= sa)
    v->decided = 0;
  v->stalled = o->depth > 0 && o->oldest_age >= sa && !recent && v->decided;
}

/* The status and summary, worst first. */
static void summary(const pgq_limits *lim, const pgq_obs *o, pgq_verdict *v)
{
  char wb[32], ob[32], sb[32], db[32];
  pgq_human(lim->window, wb, sizeof(wb));
  pgq_human(o->oldest_age, ob, sizeof(ob));
  pgq_human(lim->stall_after, sb, sizeof(sb));
  pgq_human(lim->depth_for, db, sizeof(db));
  char *s = v->summary;
  size_t n = sizeof(v->summary);
  if(v->stalled) {
    v->status = PROBE_CRITICAL;
    snprintf(s, n,
             "queue stalled: %.0f jobs waiting, oldest for %s, nothing "
             "completed in %s (stall_after=%s)",
             o->depth, ob, sb, sb);
  }
  else if(v->failed >= (double)lim->failed_critical) {
    v->status = PROBE_CRITICAL;
    snprintf(s, n, "%.0f jobs failed in the last %s (failed_critical=%lld)",
             v->failed, wb, lim->failed_critical);
  }
  else if(v->failed >= (double)lim->failed_warning) {
    v->status = PROBE_WARNING;
    snprintf(s, n, "%.0f jobs failed in the last %s (failed_warning=%lld)",
             v->failed, wb, lim->failed_warning);
  }
  else if(v->depth_warn) {
    v->status = PROBE_WARNING;
    snprintf(s, n,
             "depth %.0f above %lld for %s or more (depth_warning=%lld, "
             "depth_for=%s)",
             o->depth, lim->depth_warning, db, lim->depth_warning, db);
  }
  else {
    v->status = PROBE_OK;
    snprintf(s, n,
             "%.0f waiting, %.0f in flight, %.0f completed and %.0f "
             "failed in the last %s",
             o->depth, o->in_flight, v->completed, v->failed, wb);
  }
}

void pgq_judge(const pgq_limits *lim, const pgq_obs *o, qstate *st,
               pgq_verdict *v)
{
  memset(v, 0, sizeof(*v));
  windows(lim, o, st, v);
  stall(lim, o, st, v);
  /* depth high for depth_for */
  if(o->depth > (double)lim->depth_warning)
    st->depth_high = st->have && st->depth_high > 0 ? st->depth_high : o->now;
  else
    st->depth_high = 0;
  v->depth_warn =
      st->depth_high > 0 && o->now - st->depth_high >= lim->depth_for;
  summary(lim, o, v);
  st->t = o->now;
  st->live = o->live;
  st->max_id = o->max_id;
  st->poison = o->poison;
}

/* The details that explain a verdict. */
static void explain(const probe_host *host, probe_result *r, const pgq_obs *o,
                    const qstate *st, const pgq_verdict *v)
{
  host->result_detail_bool(r, "stalled", v->stalled);
  if(!v->decided)
    host->result_detail_string(r, "stall",
                               "undecided: completions are "
                               "observed between runs and the queue has not "
                               "been watched for stall_after yet");
  if(o->derived_completions && !v->derived_ready)
    host->result_detail_string(r, "completions",
                               "first run: completions are "
                               "counted from the next run on");
  if(st->depth_high > 0)
    host->result_detail_number(r, "depth_high_seconds",
                               o->now - st->depth_high);
  if(!o->null_last_done_age)
    host->result_detail_number(r, "last_completion_age_seconds",
                               o->last_done_age);
}

int pgq_emit(probe_ctx *ctx, const probe_host *host, const pgq_shown *w,
             const pgq_limits *lim, const pgq_obs *o, const qstate *st,
             const pgq_verdict *v)
{
  probe_result *r = host->result_begin(ctx, "pgqueue.health", w->target);
  if(!r)
    return -1;
  host->result_status(r, v->status, "%s", v->summary);
  host->result_metric(r, "depth", o->depth);
  host->result_metric(r, "in_flight", o->in_flight);
  host->result_metric(r, "failed_window", v->failed);
  if(PROBE_HOST_HAS_THRESHOLD(host)) {
    /* counts: ">= N" is "above N - 1" */
    host->result_threshold(r, "depth", (double)lim->depth_warning, NAN);
    host->result_threshold(r, "failed_window", (double)lim->failed_warning - 1,
                           (double)lim->failed_critical - 1);
  }
  host->result_metric(r, "completed_window", v->completed);
  host->result_metric(r, "oldest_pending_age_seconds", o->oldest_age);
  host->result_metric(r, "scheduled", o->scheduled);
  host->result_metric(r, "window_seconds", lim->window);
  if(strcmp(w->preset, "pgmq") == 0)
    host->result_metric(r, "poison", o->poison);
  host->result_detail_string(r, "preset", w->preset);
  host->result_detail_string(r, "relation", w->relation);
  host->result_detail_string(r, "counting", w->counting);
  explain(host, r, o, st, v);
  return host->result_emit(r) == 0 ? 0 : -1;
}
