/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pgqjudge.h: pgqueue's decisions, apart from PostgreSQL: what one run's
 * row and the state of earlier runs mean (windows, stall, depth held
 * high), and the line that says it. pgq_judge does no I/O and calls no
 * host function, so unit tests reach every decision without a server.
 */
#ifndef PLUGINS_PGQUEUE_PGQJUDGE_H
#define PLUGINS_PGQUEUE_PGQJUDGE_H

#include <stddef.h>

#include "probe-plugin.h"

/* Most history samples kept (one per run). */
#define PGQ_HIST_MAX 2000

/* The thresholds of a run (settings). */
typedef struct pgq_limits {
  long long failed_warning, failed_critical, depth_warning;
  double window, depth_for, stall_after; /* seconds */
} pgq_limits;

/* What the plugin remembers between runs for one queue. */
typedef struct qstate {
  int have;          /* a previous run was recorded */
  double t;          /* its DB time */
  double first;      /* first observation */
  double depth_high; /* since when depth > depth_warning (0: not) */
  double last_done;  /* newest run that saw a completion (0: none) */
  int have_counts;
  double live, max_id, poison;
  double (*hist)[5]; /* [t, completions, failures seen by timestamp since the
                        previous run, completions, failures derived] */
  size_t nhist;
} qstate;

/* One run's row (presets.h, enum pgq_col); a null_* flag is 1 where the
 * column was NULL. */
typedef struct pgq_obs {
  double now, depth, in_flight, scheduled, oldest_age;
  double failed_win, completed_win, failed_since, completed_since;
  double last_done_age, live, max_id, poison;
  int null_failed_win, null_completed_win, null_failed_since;
  int null_completed_since, null_last_done_age, null_live;
  int have_prev;           /* the "since" counts are since the previous run */
  int derived_completions; /* the preset's way of counting (pgq_query) */
  int derived_failures;
} pgq_obs;

/* The judgement: the line's status and summary and what it rests on. */
typedef struct pgq_verdict {
  probe_status status;
  char summary[512];
  double completed, failed; /* in the window */
  int stalled;
  int decided;       /* 0: a stall cannot be told yet */
  int depth_warn;    /* depth above depth_warning for depth_for */
  int derived_ready; /* derived completions could be counted */
} pgq_verdict;

/* Judges o against lim and the earlier runs in *st, and updates *st to
 * what the next run needs (history, depth-high mark, last completion). */
void pgq_judge(const pgq_limits *lim, const pgq_obs *o, qstate *st,
               pgq_verdict *v);

/* How the line names what it looked at. */
typedef struct pgq_shown {
  const char *target, *preset, *relation, *counting;
} pgq_shown;

/* Emits the pgqueue.health line of a judged run; 0 when accepted. */
int pgq_emit(probe_ctx *ctx, const probe_host *host, const pgq_shown *w,
             const pgq_limits *lim, const pgq_obs *o, const qstate *st,
             const pgq_verdict *v);

/* Formats seconds as "42s", "15m", "1h5m", "2d3h". */
void pgq_human(double s, char *buf, size_t n);

#endif
