/* SPDX-License-Identifier: Apache-2.0 */
/*
 * putil.c: error strings, the monotonic and wall clocks and checked copies for plugins
 * (see putil.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins/common/putil.h"

void putil_seterr(char *err, size_t errlen, const char *fmt, ...)
{
  va_list ap;
  if(!err || !errlen)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

int putil_exact_int(double d, int64_t *out)
{
  if(!(d >= -9007199254740992.0 && d <= 9007199254740992.0) ||
     d != (double)(int64_t)d)
    return -1;
  *out = (int64_t)d;
  return 0;
}

double putil_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double putil_wall(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *putil_strdup(const char *s, int *oom)
{
  char *d;
  if(!s)
    return NULL;
  d = strdup(s);
  if(!d)
    *oom = 1;
  return d;
}
