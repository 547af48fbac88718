/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dljudge.h: deadletter's decisions, apart from HTTP and PostgreSQL: the
 * arrivals the counts of earlier runs show (the API gives only a count),
 * the count and rate verdicts, and the two lines that say them. The
 * history step and dl_judge do no I/O and call no host function.
 */
#ifndef PLUGINS_DEADLETTER_DLJUDGE_H
#define PLUGINS_DEADLETTER_DLJUDGE_H

#include <stddef.h>

#include "probe-plugin.h"

/* Most count samples kept. */
#define DL_HIST_MAX 2000

/* The thresholds of a run (settings). */
typedef struct dl_limits {
  long long count_warning, count_critical, rate_critical;
  double window; /* rate_window, seconds */
} dl_limits;

/* Count history for the API-only rate: [t, count] samples, oldest first. */
typedef struct dl_hist {
  double (*s)[2];
  size_t n;
} dl_hist;

/* When the dead letters counted in the window arrived (wall seconds;
 * first < 0: not known). From the store these are the rows' own times;
 * from the API, the runs that first saw each increase. */
typedef struct dl_arrivals {
  double first, last;
  int exact; /* 1: the rows' times; 0: when this plugin saw them */
} dl_arrivals;

/* One run's counting of dead letters. new_in_window < 0: not known yet
 * (a first run of the API). */
typedef struct dl_count {
  double count, new_in_window;
  dl_arrivals arr;
  const char *source; /* "store" or "api" */
  const char *note;   /* how the rate counts */
} dl_count;

/* The history step of an API run at `now` with `count`: keeps the samples
 * of the window and an hour before it, finds the increases since the last
 * sample before the window (a replay that lowers the count is no
 * arrival), and appends this sample. Sets c->new_in_window (-1 with no
 * earlier sample) and c->arr. */
void dl_hist_step(dl_hist *h, double now, double window, dl_count *c);

/* The verdicts of the two lines. */
typedef struct dl_verdict {
  probe_status count_status, rate_status;
  char count_summary[200], rate_summary[300];
  int known;                /* arrivals known: first/last are set */
  char first[32], last[32]; /* RFC 3339 UTC of the arrivals */
} dl_verdict;

void dl_judge(const dl_limits *lim, const dl_count *c, dl_verdict *v);

/* Emits deadletter.count and deadletter.rate; 0 when both accepted. */
int dl_emit(probe_ctx *ctx, const probe_host *host, const char *target,
            const dl_limits *lim, const dl_count *c, const dl_verdict *v);

#endif
