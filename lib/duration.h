/* SPDX-License-Identifier: Apache-2.0 */
/*
 * duration.h: the one parser of durations ("90", "30m", "1h30m", "250ms",
 * "7d", "1w") for the agent's configuration, the plugins' settings
 * tables (plugins/common/pkit.c) and probe-report's --since/--until.
 * There used to be three, each accepting a slightly different language.
 *
 * Grammar: one or more <number><unit>, spaces allowed around and between
 * the parts (not between a number and its unit); units s, ms, m, h, d, w;
 * a number without a unit is seconds unless DURATION_UNIT_REQUIRED. The
 * numbers are finite and not negative; the total is their sum.
 */
#ifndef LIB_DURATION_H
#define LIB_DURATION_H

/* Every part must carry its unit (probe-report, where "5" alone is more
 * likely a mistake than five seconds). */
#define DURATION_UNIT_REQUIRED 0x1u

/* The seconds of s into *seconds: 0, or -1 when s is not a duration
 * (then *seconds is untouched). */
int duration_parse(const char *s, unsigned flags, double *seconds);

#endif
