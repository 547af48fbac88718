/* SPDX-License-Identifier: Apache-2.0 */
/*
 * failalloc.c: the link-time wrappers behind failalloc.h. Each counts the
 * allocation, fails it when armed for it, and keeps the count of live
 * blocks that tells a torture test what an error path did not free.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/failalloc.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);

static atomic_long allocs, fail_at, live;
static atomic_int fail_after, failed;

void failalloc_arm(long at, int after)
{
  atomic_store(&allocs, 0);
  atomic_store(&failed, 0);
  atomic_store(&fail_after, after);
  atomic_store(&fail_at, at);
}

void failalloc_disarm(void)
{
  atomic_store(&fail_at, 0);
}

int failalloc_failed(void)
{
  return atomic_load(&failed);
}

long failalloc_live(void)
{
  return atomic_load(&live);
}

/* Whether this allocation is to fail. */
static int fail_now(void)
{
  long at = atomic_load(&fail_at), k;
  if(!at)
    return 0;
  k = atomic_fetch_add(&allocs, 1) + 1;
  if(k == at || (k > at && atomic_load(&fail_after))) {
    atomic_store(&failed, 1);
    errno = ENOMEM; /* as glibc's would */
    return 1;
  }
  return 0;
}

void *__wrap_malloc(size_t n)
{
  void *p = fail_now() ? NULL : __real_malloc(n);
  if(p)
    atomic_fetch_add(&live, 1);
  return p;
}

void *__wrap_calloc(size_t k, size_t n)
{
  void *p = fail_now() ? NULL : __real_calloc(k, n);
  if(p)
    atomic_fetch_add(&live, 1);
  return p;
}

void *__wrap_realloc(void *p, size_t n)
{
  void *q;
  if(n == 0) /* realloc(p, 0) may free p: keep the count exact */
    n = 1;
  if(fail_now())
    return NULL; /* p stays the caller's */
  q = __real_realloc(p, n);
  if(q && !p)
    atomic_fetch_add(&live, 1);
  return q;
}

void __wrap_free(void *p)
{
  if(p)
    atomic_fetch_sub(&live, 1);
  __real_free(p);
}

char *__wrap_strdup(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = __wrap_malloc(n);
  if(d)
    memcpy(d, s, n);
  return d;
}
