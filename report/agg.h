/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agg.h: probe-report's streaming aggregation. Each agent line is folded
 * into running totals, per-check state (status stretches, incidents) and a
 * fixed number of time buckets for the charts, so that memory stays bounded
 * however many lines are read.
 */
#ifndef PROBE_REPORT_AGG_H
#define PROBE_REPORT_AGG_H

#include <stddef.h>

#include "report/lines.h"

#define AGG_BUCKETS 480        /* time buckets over the range, per series */
#define AGG_MAX_KEYS 2048      /* distinct (host, check, target) kept */
#define AGG_MAX_INCIDENTS 1000 /* incidents listed; more are counted */
#define AGG_SUMMARY_MAX 200    /* bytes of a summary kept per check */

/* The chart series. */
enum {
  SER_DEAD,
  SER_QDEPTH,
  SER_QFAIL,
  SER_P95,
  SER_ANCHOR,
  SER_LEDGER,
  SER_N
};

typedef struct {
  unsigned n;
  double max, sum;
} agg_bucket;

typedef struct {
  char *host, *check, *target;
  char summary[AGG_SUMMARY_MAX + 1]; /* of the latest line */
  int status;                        /* of the latest line */
  double first_ts, last_ts;
  double notok_since; /* start of the current non-ok stretch */
  double crit_since;  /* start of the current critical stretch, or NAN */
  char crit_summary[AGG_SUMMARY_MAX + 1];
  double dead_last;   /* deadletter.count: the previous gauge, or NAN */
  double claims_next; /* claims.lifecycle: next window start accepted */
  unsigned char tl[AGG_BUCKETS]; /* worst status per bucket, +1; 0 none */
} agg_key;

typedef struct {
  size_t key;
  double start, end; /* end: the first non-critical line, or the last seen */
  int ongoing;
  char summary[AGG_SUMMARY_MAX + 1];
} agg_incident;

typedef struct {
  double since, until; /* the range asked for, NAN when open */
  /* time axis of the buckets */
  int axis_fixed, axis_set;
  double origin, width;
  agg_bucket ser[SER_N][AGG_BUCKETS];
  agg_key *keys;
  size_t nkeys, keys_dropped;
  agg_incident *inc;
  size_t ninc, inc_dropped;
  double first_ts, last_ts; /* of the lines in range */
  /* counts of lines */
  unsigned long long lines, in_range, out_of_range, not_agent, bad_utf8,
      too_long, label_mismatch;
  /* claims.lifecycle over non-overlapping windows */
  unsigned long long claims_lines, claims_windows;
  double claims_submitted, claims_completed, claims_failed;
  double cb_weighted, cb_weight, cb_min;
  int have_cb;
  double p95_max, p95_max_ts;
  unsigned long long p95_lines, p95_over_review, p95_over_daily;
  /* deadletter.count */
  unsigned long long dead_lines;
  double dead_new;
  /* lines that say so (rollbacks_initiated, incidents_s1s2 metrics) */
  double rollbacks, incidents_s1s2;
  int have_rollbacks, have_incidents;
  /* label filters key=value */
  char **label_keys, **label_values;
  size_t nlabels;
} agg;

/* A new aggregate for [since, until) (either may be NAN); NULL on ENOMEM. */
agg *agg_new(double since, double until);
/* Adds a label filter ("key=value"); -1 when it has no '='. */
int agg_add_label(agg *a, const char *kv);
/* Folds in one line as read (counts it, parses it, checks range/labels). */
int agg_line(agg *a, const char *line, size_t len);
/* Counts one line that was too long to keep. */
void agg_too_long(agg *a);
/* Ends the open stretches at the end of the input. */
void agg_finish(agg *a);
void agg_free(agg *a);
/* Start time of bucket I. */
double agg_bucket_time(const agg *a, size_t i);

#endif
