/* SPDX-License-Identifier: Apache-2.0 */
/*
 * putil.h: four small things every plugin with error strings, timeouts
 * and copied settings wrote for itself.
 */
#ifndef PLUGINS_COMMON_PUTIL_H
#define PLUGINS_COMMON_PUTIL_H

#include <stddef.h>
#include <stdint.h>

/* snprintf into err, when err is not NULL and errlen not 0. */
void putil_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Seconds of CLOCK_MONOTONIC, for deadlines and durations. */
double putil_now(void);

/* d as an integer when it is one that a JSON number holds exactly (no
 * fraction, |d| <= 2^53): 0, else -1 with *out untouched. For numbers read
 * from state files, nodes and settings, whose cast would be undefined for
 * 1e300, or for -1 into an unsigned. */
int putil_exact_int(double d, int64_t *out);

/* Seconds of CLOCK_REALTIME, with sub-second precision (two runs in the
 * same second still have a measurable time between them). */
double putil_wall(void);

/* strdup that records a failure in *oom (and passes NULL through), so that
 * a run can copy many strings and check once. */
char *putil_strdup(const char *s, int *oom);

#endif
