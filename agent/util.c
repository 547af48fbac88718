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

/* floor(x + 0.5) is round() for the non-negative durations it gets. */
double util_round_us(double ms)
{
  return floor(ms * 1000.0 + 0.5) / 1000.0;
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
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
           tm.tm_sec, ts.tv_nsec / 1000000);
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
