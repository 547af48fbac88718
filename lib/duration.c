/* SPDX-License-Identifier: Apache-2.0 */
/*
 * duration.c: parsing durations (see duration.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "lib/duration.h"

/* The seconds of the unit at *p (advanced past it); 0 when there is
 * none (p is at a space or the end), -1 when it is not a unit. */
static double unit_at(const char **p)
{
  const char *s = *p;
  double unit;
  switch(*s) {
  case 's': unit = 1; break;
  case 'm':
    if(s[1] == 's') {
      *p = s + 2;
      return 0.001;
    }
    unit = 60;
    break;
  case 'h': unit = 3600; break;
  case 'd': unit = 86400; break;
  case 'w': unit = 7 * 86400; break;
  default: return *s == '\0' || isspace((unsigned char)*s) ? 0 : -1;
  }
  *p = s + 1;
  return unit;
}

int duration_parse(const char *s, unsigned flags, double *seconds)
{
  double total = 0;
  int any = 0;
  const char *p = s;
  while(isspace((unsigned char)*p))
    p++;
  while(*p) {
    char *end;
    errno = 0;
    /* strtod also takes "inf", "nan" and hex: refused below or by the
     * unit check, as the agent always did */
    double v = strtod(p, &end);
    if(end == p || errno || !isfinite(v) || v < 0)
      return -1;
    p = end;
    double unit = unit_at(&p);
    if(unit < 0 || (unit == 0 && (flags & DURATION_UNIT_REQUIRED)))
      return -1;
    total += v * (unit == 0 ? 1 : unit);
    any = 1;
    while(isspace((unsigned char)*p))
      p++;
  }
  if(!any || !isfinite(total))
    return -1;
  *seconds = total;
  return 0;
}
