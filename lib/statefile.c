/* SPDX-License-Identifier: Apache-2.0 */
/*
 * statefile.c: state directory and state file names (see statefile.h).
 * The per-thing hash comes from pgqueue and deadletter, which each had
 * their own copy of it.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/statefile.h"

/* A plain file name: no path, nothing that means a directory. */
static int plain_name(const char *s)
{
  return s && *s && strcmp(s, ".") && strcmp(s, "..") && !strchr(s, '/');
}

int statefile_dir(const char *base, const char *plugin, char *out,
                  size_t outlen)
{
  if(!base || !plain_name(plugin)) {
    errno = EINVAL;
    return -1;
  }
  int n = snprintf(out, outlen, "%s/%s", base, plugin);
  if(n < 0 || (size_t)n >= outlen) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return 0;
}

int statefile_name_ok(const char *name)
{
  return plain_name(name) && strlen(name) <= STATEFILE_NAME_MAX;
}

/* 64-bit FNV-1a of s, continuing from h. */
static uint64_t fnv1a(const char *s, uint64_t h)
{
  for(; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

int statefile_name(const char *prefix, const char *sep,
                   const char *const *parts, size_t n, char *out, size_t outlen)
{
  /* not FNV's offset basis (14695981039346656037: the old code lost its
   * last digit); kept, since the names of existing state files depend on
   * it */
  uint64_t h = 1469598103934665603ull;
  for(size_t i = 0; i < n; i++) {
    if(i && sep)
      h = fnv1a(sep, h);
    h = fnv1a(parts[i] ? parts[i] : "", h);
  }
  int k =
      snprintf(out, outlen, "%s-%016llx.json", prefix, (unsigned long long)h);
  if(k < 0 || (size_t)k >= outlen) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return 0;
}

void statefile_temp_name(const char *name, unsigned n, char *out, size_t outlen)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(out, outlen, ".%s.%ld.%lx.%u", name, (long)getpid(),
           (unsigned long)ts.tv_nsec ^ (unsigned long)rand(), n);
}
