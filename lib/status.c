/* SPDX-License-Identifier: Apache-2.0 */
/*
 * status.c: status names and ranking (see status.h).
 */
#include "config.h"

#include <string.h>

#include "lib/status.h"

static const char *const names[] = {"ok", "warning", "critical", "unknown"};

const char *status_name(int s)
{
  return s >= 0 && s < 4 ? names[s] : "unknown";
}

int status_from_name(const char *name)
{
  for(int i = 0; name && i < 4; i++)
    if(!strcmp(name, names[i]))
      return i;
  return -1;
}

int status_rank(int s)
{
  switch(s) {
  case STATUS_OK: return 0;
  case STATUS_WARNING: return 1;
  case STATUS_CRITICAL: return 3;
  default: return 2;
  }
}

const char *status_rank_name(int rank)
{
  static const char *const by_rank[] = {"ok", "warning", "unknown", "critical"};
  return rank >= 0 && rank < 4 ? by_rank[rank] : "unknown";
}

int status_worse(int a, int b)
{
  return status_rank(a) >= status_rank(b) ? a : b;
}
