/* SPDX-License-Identifier: Apache-2.0 */
/*
 * status.h: the names and the ranking of result statuses, in one place
 * for the agent, the plugins' kit and probe-report.
 *
 * The values are those of probe_status in probe-plugin.h (ok 0, warning
 * 1, critical 2, unknown 3; lib/ includes neither agent/ nor plugins/,
 * so they are repeated here and checked at compile time by pverdict.c).
 * Ranking, worst first: critical > unknown > warning > ok (a check that
 * could not look is worse than a warning, but not than a known failure).
 */
#ifndef LIB_STATUS_H
#define LIB_STATUS_H

enum {
  STATUS_OK = 0,
  STATUS_WARNING = 1,
  STATUS_CRITICAL = 2,
  STATUS_UNKNOWN = 3
};

/* "ok", "warning", "critical", "unknown"; any other value is "unknown". */
const char *status_name(int s);

/* The status named name (exact, lower case), or -1. */
int status_from_name(const char *name);

/* Badness: ok 0, warning 1, unknown 2, critical 3; any other value 2
 * (as unknown). */
int status_rank(int s);

/* The name of the status whose rank is rank (0-3; else "unknown"): for
 * readers that keep ranks, as probe-report does. */
const char *status_rank_name(int rank);

/* The worse of a and b (a when they rank the same). */
int status_worse(int a, int b);

#endif
