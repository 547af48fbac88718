/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util.h: small helpers of the agent: clocks and timestamps, file
 * reading, directories. Nothing here knows about plugins. The growable
 * buffer (dbuf_*, included from here so that callers need nothing else)
 * and file reading are lib/dbuf.h and lib/fileio.h, UTF-8 validation
 * lib/utf8.h, durations lib/duration.h, and targets are redacted by
 * lib/redact.h, all shared with the plugins.
 */
#ifndef AGENT_UTIL_H
#define AGENT_UTIL_H

#include <stddef.h>

#include "lib/dbuf.h"

/* Monotonic clock in milliseconds. */
double util_mono_ms(void);
/* Wall clock as RFC 3339 UTC with milliseconds into out (>= 25 bytes). */
void util_timestamp(char *out, size_t outlen);

/* Reads a whole regular file (at most max bytes) into a malloc'd
 * NUL-terminated buffer (fileio_read, following a link: the operator's
 * own file). Returns 0, or -1 with errno set: EFBIG when
 * larger than max, EISDIR for a directory, EINVAL for anything else that
 * is not a regular file (a FIFO or a device: never waits on one). */
int util_read_file(const char *path, size_t max, char **out, size_t *len);

/* mkdir -p with the given mode for each created directory. */
int util_mkdir_p(const char *path, unsigned mode);

/* The smaller of two times (no NaN here). Not fmin: the daemon needs no
 * libm, whose pages would be 330 KiB of its resident memory. */
static inline double util_min_ms(double a, double b)
{
  return a < b ? a : b;
}

/* A non-negative duration in ms rounded to the microsecond, for output
 * (round() without libm: floor is inlined). */
double util_round_us(double ms);

#endif
