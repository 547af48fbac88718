/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pverdict.c: findings folded into one status and summary (pverdict.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/status.h"
#include "plugins/common/pverdict.h"

void pverdict_init(pverdict *v)
{
  v->st = PROBE_OK;
  v->text[0] = '\0';
}

/* lib/status.h repeats probe_status's values, since lib/ includes no
 * agent header: they must not drift. */
_Static_assert(STATUS_OK == (int)PROBE_OK &&
                   STATUS_WARNING == (int)PROBE_WARNING &&
                   STATUS_CRITICAL == (int)PROBE_CRITICAL &&
                   STATUS_UNKNOWN == (int)PROBE_UNKNOWN,
               "lib/status.h and probe-plugin.h disagree");

int pverdict_rank(probe_status s)
{
  return status_rank((int)s);
}

void pverdict_add(pverdict *v, probe_status st, const char *fmt, ...)
{
  char buf[500];
  va_list ap;
  size_t l = strlen(v->text);
  if(st == PROBE_OK)
    return;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if(status_rank((int)st) > status_rank((int)v->st))
    v->st = st;
  snprintf(v->text + l, sizeof(v->text) - l, "%s%s", l ? "; " : "", buf);
}
