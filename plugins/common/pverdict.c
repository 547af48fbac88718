/*
 * pverdict.c: findings folded into one status and summary (pverdict.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plugins/common/pverdict.h"

void pverdict_init(pverdict *v)
{
  v->st = PROBE_OK;
  v->text[0] = '\0';
}

int pverdict_rank(probe_status s)
{
  switch(s) {
  case PROBE_CRITICAL: return 3;
  case PROBE_UNKNOWN: return 2;
  case PROBE_WARNING: return 1;
  default: return 0;
  }
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
  if(pverdict_rank(st) > pverdict_rank(v->st))
    v->st = st;
  snprintf(v->text + l, sizeof(v->text) - l, "%s%s", l ? "; " : "", buf);
}
