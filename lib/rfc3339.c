/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rfc3339.c: RFC 3339 date-time parse and format (see rfc3339.h).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/rfc3339.h"

/* n decimal digits at *p into *v, advancing *p. 0 or -1. */
static int digits(const char **p, int n, int *v)
{
  int x = 0;
  for(int i = 0; i < n; i++) {
    char c = (*p)[i];
    if(c < '0' || c > '9')
      return -1;
    x = x * 10 + (c - '0');
  }
  *p += n;
  *v = x;
  return 0;
}

/* Consumes the character c at *p. 0 or -1. */
static int expect(const char **p, char c)
{
  if(**p != c)
    return -1;
  (*p)++;
  return 0;
}

/* Days in month mo (1-12) of year y, proleptic Gregorian. */
static int month_days(int y, int mo)
{
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return mo == 2 && leap ? 29 : d[mo - 1];
}

/* Days from 1970-01-01 to y-mo-d (Howard Hinnant's days_from_civil): no
 * timegm, which is neither C11 nor free of the TZ environment. */
static long long days_from_civil(int y, int mo, int d)
{
  y -= mo <= 2;
  long long era = (y >= 0 ? y : y - 399) / 400;
  long long yoe = y - era * 400;
  long long doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* The zone at *p: seconds east of UTC into *off. 0 or -1. */
static int zone(const char **p, int *off)
{
  char c = **p;
  if(c == 'Z' || c == 'z') {
    (*p)++;
    *off = 0;
    return 0;
  }
  if(c != '+' && c != '-')
    return -1;
  (*p)++;
  int h, m;
  if(digits(p, 2, &h) || expect(p, ':') || digits(p, 2, &m) || h > 23 || m > 59)
    return -1;
  *off = (c == '-' ? -1 : 1) * (h * 3600 + m * 60);
  return 0;
}

int rfc3339_parse(const char *s, double *t)
{
  const char *p = s;
  int y, mo, d, h, mi, sec, off;
  double frac = 0;
  if(!s || digits(&p, 4, &y) || expect(&p, '-') || digits(&p, 2, &mo) ||
     expect(&p, '-') || digits(&p, 2, &d))
    return -1;
  if(*p != 'T' && *p != 't')
    return -1;
  p++;
  if(digits(&p, 2, &h) || expect(&p, ':') || digits(&p, 2, &mi) ||
     expect(&p, ':') || digits(&p, 2, &sec))
    return -1;
  if(*p == '.') {
    p++;
    /* the first nine digits (nanoseconds) count; more are allowed */
    long long num = 0, den = 1;
    if(*p < '0' || *p > '9')
      return -1;
    for(; *p >= '0' && *p <= '9'; p++)
      if(den < 1000000000LL) {
        num = num * 10 + (*p - '0');
        den *= 10;
      }
    frac = (double)num / (double)den;
  }
  if(zone(&p, &off) || *p)
    return -1;
  if(mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 || mi > 59 ||
     sec > 60)
    return -1;
  long long secs =
      days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + sec - off;
  *t = (double)secs + frac;
  return 0;
}

/* One formatter, so that every plugin prints times the same way. */
char *rfc3339_format(double t, int ms, char *out, size_t outlen)
{
  if(!out || outlen == 0)
    return out;
  out[0] = '\0';
  if(!isfinite(t))
    return out;
  double whole = floor(t);
  time_t s = (time_t)whole;
  struct tm tm;
  if(!gmtime_r(&s, &tm))
    return out;
  int n;
  if(ms)
    n = snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, (int)((t - whole) * 1000) % 1000);
  else
    n = snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec);
  if(n < 0 || (size_t)n >= outlen)
    out[0] = '\0';
  return out;
}
