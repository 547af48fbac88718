/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dbuf.c: the growable byte buffer (see dbuf.h). Moved here from
 * agent/util.c, keeping its names, so that the copies in crypto/, the
 * plugins' kit and probe-report could go.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dbuf.h"

void dbuf_init(dbuf *b, size_t max)
{
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
  b->nomem = 0;
}

void dbuf_free(dbuf *b)
{
  free(b->data);
  dbuf_init(b, b->max);
}

/* A secret must not stay in freed memory. */
void dbuf_free_wipe(dbuf *b)
{
  if(b->data)
    explicit_bzero(b->data, b->cap);
  dbuf_free(b);
}

void dbuf_reset(dbuf *b)
{
  b->len = 0;
  b->nomem = 0;
  if(b->data)
    b->data[0] = '\0';
}

/* Makes room for `extra` more bytes and the NUL. */
static int dbuf_grow(dbuf *b, size_t extra)
{
  if(b->nomem || extra > ((size_t)-1) / 2 - b->len)
    return -1;
  if(b->max && b->len + extra > b->max)
    return -1;
  if(b->len + extra + 1 <= b->cap)
    return 0;
  size_t ncap = b->cap ? b->cap : 256;
  while(ncap < b->len + extra + 1)
    ncap *= 2;
  char *n = realloc(b->data, ncap);
  if(!n) {
    b->nomem = 1;
    return -1;
  }
  b->data = n;
  b->cap = ncap;
  return 0;
}

int dbuf_add(dbuf *b, const void *data, size_t len)
{
  if(dbuf_grow(b, len) < 0)
    return -1;
  if(len)
    memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return 0;
}

int dbuf_addstr(dbuf *b, const char *s)
{
  return dbuf_add(b, s, strlen(s));
}

int dbuf_addc(dbuf *b, char c)
{
  return dbuf_add(b, &c, 1);
}

/* For encoders that learn a header's size after its payload (RLP). */
int dbuf_insert(dbuf *b, size_t pos, const void *data, size_t len)
{
  if(pos > b->len || dbuf_grow(b, len) < 0)
    return -1;
  if(len) {
    memmove(b->data + pos + len, b->data + pos, b->len - pos);
    memcpy(b->data + pos, data, len);
  }
  b->len += len;
  b->data[b->len] = '\0';
  return 0;
}

int dbuf_vprintf(dbuf *b, const char *fmt, va_list ap)
{
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if(n < 0 || dbuf_grow(b, (size_t)n) < 0)
    return -1;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return 0;
}

int dbuf_printf(dbuf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int rc = dbuf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

void dbuf_consume(dbuf *b, size_t n)
{
  if(n >= b->len) {
    dbuf_reset(b);
    return;
  }
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
  b->data[b->len] = '\0';
}

/* So that a function can return what it built without a copy. */
char *dbuf_take(dbuf *b, size_t *len)
{
  char *d = b->data;
  size_t n = b->len;
  if(b->nomem) { /* a piece is missing: nothing, rather than less */
    if(d)
      explicit_bzero(d, b->cap); /* it may be a secret's */
    free(d);
    d = NULL;
  }
  else if(!d) {
    d = malloc(1);
    if(d)
      d[0] = '\0';
    n = 0;
  }
  dbuf_init(b, b->max);
  if(len)
    *len = n;
  return d;
}
