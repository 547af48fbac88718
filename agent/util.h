/*
 * util.h: small helpers of the agent: a growable byte buffer, clocks and
 * timestamps, UTF-8 validation, durations. Nothing here knows about
 * plugins. (Targets are redacted by lib/redact.h, shared with plugins.)
 */
#ifndef AGENT_UTIL_H
#define AGENT_UTIL_H

#include <stdarg.h>
#include <stddef.h>

/* A growable, always NUL-terminated buffer. Functions return 0, or -1 when
 * memory ran out or the buffer would pass its limit (0 = no limit). */
typedef struct dbuf {
  char *data;
  size_t len;
  size_t cap;
  size_t max;
} dbuf;

void dbuf_init(dbuf *b, size_t max);
void dbuf_free(dbuf *b);
void dbuf_reset(dbuf *b);
int dbuf_add(dbuf *b, const void *data, size_t len);
int dbuf_addstr(dbuf *b, const char *s);
int dbuf_printf(dbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int dbuf_vprintf(dbuf *b, const char *fmt, va_list ap);
/* Drops the first n bytes. */
void dbuf_consume(dbuf *b, size_t n);

/* Monotonic clock in milliseconds. */
double util_mono_ms(void);
/* Wall clock as RFC 3339 UTC with milliseconds into out (>= 25 bytes). */
void util_timestamp(char *out, size_t outlen);

/* 1 when s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int util_utf8_valid(const char *s, size_t len);

/* Parses a duration: a non-negative number of seconds, or a string such as
 * "90", "90s", "30m", "24h", "7d", "1h30m". Returns 0 or -1. */
int util_parse_duration(const char *s, double *seconds);

/* Reads a whole regular file (at most max bytes) into a malloc'd
 * NUL-terminated buffer. Returns 0, or -1 with errno set: EFBIG when
 * larger than max, EISDIR for a directory, EINVAL for anything else that
 * is not a regular file (a FIFO or a device: never waits on one). */
int util_read_file(const char *path, size_t max, char **out, size_t *len);

/* mkdir -p with the given mode for each created directory. */
int util_mkdir_p(const char *path, unsigned mode);

#endif
