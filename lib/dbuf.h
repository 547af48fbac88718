/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dbuf.h: the one growable byte buffer of probe-agent (the model: curl's
 * dynbuf), shared by the agent, the crypto library, the plugins' kit and
 * probe-report so that none of them keeps its own realloc loop.
 *
 * The buffer is always NUL-terminated once anything was added (data is
 * NULL before that) and never grows past its limit (max, 0 = none).
 * Functions return 0, or -1 when memory ran out or the limit would be
 * passed; on -1 the buffer keeps what it had. Running out of memory
 * sticks: every later add fails too (and dbuf_take gives NULL) until the
 * buffer is reset or freed, so that text built piece by piece is whole or
 * known not to be, whichever piece was lost, while a piece refused by the
 * limit leaves room for a shorter one. data is malloc'd: a caller may take
 * it over (and free() it) instead of calling dbuf_free.
 */
#ifndef LIB_DBUF_H
#define LIB_DBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct dbuf {
  char *data;
  size_t len;
  size_t cap;
  size_t max;
  int nomem; /* memory ran out since the last reset: adds fail */
} dbuf;

/* An empty buffer that may hold at most max bytes (0: no limit). */
void dbuf_init(dbuf *b, size_t max);
/* Frees the data; the buffer is empty again (same limit). */
void dbuf_free(dbuf *b);
/* Frees the data after wiping it (explicit_bzero): for secrets. */
void dbuf_free_wipe(dbuf *b);
/* Empties the buffer, keeping its memory (and taking adds again). */
void dbuf_reset(dbuf *b);
/* Appends len bytes. */
int dbuf_add(dbuf *b, const void *data, size_t len);
/* Appends a string without its NUL. */
int dbuf_addstr(dbuf *b, const char *s);
/* Appends one byte. */
int dbuf_addc(dbuf *b, char c);
/* Inserts len bytes at pos (<= len of the buffer), moving the rest on. */
int dbuf_insert(dbuf *b, size_t pos, const void *data, size_t len);
/* Appends printf-style text. */
int dbuf_printf(dbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int dbuf_vprintf(dbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Drops the first n bytes. */
void dbuf_consume(dbuf *b, size_t n);
/* Hands the data over (an empty string when nothing was added, NULL when
 * that allocation or an earlier add ran out of memory); the buffer is
 * empty again. *len gets the length when len is not NULL. */
char *dbuf_take(dbuf *b, size_t *len);

#endif
