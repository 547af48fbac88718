/*
 * util.c: the agent's small helpers (see util.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

void dbuf_init(dbuf *b, size_t max)
{
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
}

void dbuf_free(dbuf *b)
{
  free(b->data);
  dbuf_init(b, b->max);
}

void dbuf_reset(dbuf *b)
{
  b->len = 0;
  if(b->data)
    b->data[0] = '\0';
}

/* Makes room for `extra` more bytes and the NUL. */
static int dbuf_grow(dbuf *b, size_t extra)
{
  if(b->max && b->len + extra > b->max)
    return -1;
  if(b->len + extra + 1 <= b->cap)
    return 0;
  size_t ncap = b->cap ? b->cap : 256;
  while(ncap < b->len + extra + 1) {
    if(ncap > ((size_t)-1) / 2)
      return -1;
    ncap *= 2;
  }
  char *n = realloc(b->data, ncap);
  if(!n)
    return -1;
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

double util_mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void util_timestamp(char *out, size_t outlen)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
           tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

int util_utf8_valid(const char *str, size_t len)
{
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while(i < len) {
    unsigned char c = s[i];
    if(c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    unsigned cp;
    if(c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1f;
    }
    else if(c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0f;
    }
    else if(c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07;
    }
    else
      return 0;
    for(size_t k = 1; k <= n; k++) {
      if(i + k >= len || (s[i + k] & 0xc0) != 0x80)
        return 0;
      cp = cp << 6 | (s[i + k] & 0x3f);
    }
    if((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
       (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
    i += n + 1;
  }
  return 1;
}

int util_parse_duration(const char *s, double *seconds)
{
  double total = 0;
  int any = 0;
  const char *p = s;
  while(isspace((unsigned char)*p))
    p++;
  while(*p) {
    char *end;
    errno = 0;
    double v = strtod(p, &end);
    if(end == p || errno || !isfinite(v) || v < 0)
      return -1;
    p = end;
    double unit = 1;
    switch(*p) {
    case 's': unit = 1; p++; break;
    case 'm':
      if(p[1] == 's') { unit = 0.001; p += 2; }
      else { unit = 60; p++; }
      break;
    case 'h': unit = 3600; p++; break;
    case 'd': unit = 86400; p++; break;
    case 'w': unit = 7 * 86400; p++; break;
    case '\0': break;
    default:
      if(!isspace((unsigned char)*p))
        return -1;
    }
    total += v * unit;
    any = 1;
    while(isspace((unsigned char)*p))
      p++;
  }
  if(!any)
    return -1;
  *seconds = total;
  return 0;
}

int util_read_file(const char *path, size_t max, char **out, size_t *len)
{
  /* O_NONBLOCK: opening a FIFO must not wait for a writer (a FIFO given
   * as -c hung --check-config and SIGHUP reloads forever); what was opened
   * is checked on the descriptor, and only a regular file is read */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if(fd < 0)
    return -1;
  dbuf b;
  dbuf_init(&b, max);
  struct stat st;
  if(fstat(fd, &st) < 0)
    goto err;
  if(!S_ISREG(st.st_mode)) {
    errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    goto err;
  }
  if(max && (unsigned long long)st.st_size > max) {
    errno = EFBIG;
    goto err;
  }
  char chunk[8192];
  for(;;) {
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if(n < 0) {
      if(errno == EINTR)
        continue;
      goto err;
    }
    if(n == 0)
      break;
    if(dbuf_add(&b, chunk, (size_t)n) < 0) {
      errno = EFBIG;
      goto err;
    }
  }
  close(fd);
  if(!b.data && dbuf_add(&b, "", 0) < 0)
    return -1;
  *out = b.data;
  *len = b.len;
  return 0;
err:;
  int saved = errno;
  close(fd);
  dbuf_free(&b);
  errno = saved;
  return -1;
}

int util_mkdir_p(const char *path, unsigned mode)
{
  char buf[4096];
  size_t len = strlen(path);
  if(len == 0 || len >= sizeof(buf)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(buf, path, len + 1);
  for(char *p = buf + 1; *p; p++) {
    if(*p != '/')
      continue;
    *p = '\0';
    if(mkdir(buf, (mode_t)mode) < 0 && errno != EEXIST)
      return -1;
    *p = '/';
  }
  if(mkdir(buf, (mode_t)mode) < 0 && errno != EEXIST)
    return -1;
  return 0;
}
