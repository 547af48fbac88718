/* SPDX-License-Identifier: Apache-2.0 */
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

#include "lib/fileio.h"
#include "util.h"

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
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
           tm.tm_sec, ts.tv_nsec / 1000000);
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
    case 's':
      unit = 1;
      p++;
      break;
    case 'm':
      if(p[1] == 's') {
        unit = 0.001;
        p += 2;
      }
      else {
        unit = 60;
        p++;
      }
      break;
    case 'h':
      unit = 3600;
      p++;
      break;
    case 'd':
      unit = 86400;
      p++;
      break;
    case 'w':
      unit = 7 * 86400;
      p++;
      break;
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

/* Kept for the agent's callers; the reading is lib/fileio.c's. */
int util_read_file(const char *path, size_t max, char **out, size_t *len)
{
  return fileio_read(path, max, FILEIO_FOLLOW, NULL, out, len, NULL, 0);
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
