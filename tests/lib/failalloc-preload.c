/* SPDX-License-Identifier: Apache-2.0 */
/*
 * failalloc-preload.c: allocation failure on demand for a whole program,
 * by LD_PRELOAD, for tests/integration/agent-oom.sh (tests/lib/failalloc.c
 * is the link-time kind, for unit tests). The environment says which:
 *   FAILALLOC_AT=N     the N-th allocation fails (from 1; unset: none)
 *   FAILALLOC_AFTER=1  and every one after it
 *   FAILALLOC_MARK=F   F is created when the N-th is reached, so that the
 *                      test knows when N is past the run's last allocation
 * Only the process that loaded it counts (not its forked children: the
 * agent's run children are the plugins', tested apart), and the variables
 * are removed from its environment so that programs it starts do not fail.
 *
 * Only allocations asked for by the program itself or by cJSON on its
 * behalf fail: glibc's own (getpwnam's NSS, dlopen's thread-local data)
 * crash or abort in glibc when they fail, which no caller can handle, and
 * would only hide what the program does. malloc, calloc, realloc, strdup
 * and strndup are replaced; the rest of glibc's allocations go through
 * them or are glibc's own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t k, size_t n);
extern void *__libc_realloc(void *p, size_t n);

static long fail_at, count;
static int fail_after;
static pid_t self;
static char mark[512];

/* The text of the program and of libcjson: the callers that may fail. */
#define MAX_RANGES 8
static struct {
  uintptr_t lo, hi;
} ranges[MAX_RANGES];
static int nranges;

/* dl_iterate_phdr callback: keeps the executable segments of the main
 * program (empty name) and of libcjson. */
static int keep_ranges(struct dl_phdr_info *info, size_t size, void *arg)
{
  (void)size;
  (void)arg;
  const char *name = info->dlpi_name ? info->dlpi_name : "";
  if(name[0] && !strstr(name, "libcjson"))
    return 0;
  for(int i = 0; i < info->dlpi_phnum && nranges < MAX_RANGES; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if(ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
      ranges[nranges].lo = info->dlpi_addr + ph->p_vaddr;
      ranges[nranges].hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
      nranges++;
    }
  }
  return 0;
}

__attribute__((constructor)) static void failalloc_init(void)
{
  const char *at = getenv("FAILALLOC_AT"), *m = getenv("FAILALLOC_MARK");
  if(at)
    fail_at = atol(at);
  fail_after = getenv("FAILALLOC_AFTER") != NULL;
  if(m && strlen(m) < sizeof(mark))
    strcpy(mark, m);
  self = getpid();
  unsetenv("FAILALLOC_AT");
  unsetenv("FAILALLOC_AFTER");
  unsetenv("FAILALLOC_MARK");
  dl_iterate_phdr(keep_ranges, NULL);
}

/* Whether an allocation asked for from caller is to fail. */
static int fail_now(const void *caller)
{
  uintptr_t c = (uintptr_t)caller;
  int ours = 0;
  if(!fail_at || getpid() != self)
    return 0;
  for(int i = 0; i < nranges && !ours; i++)
    ours = c >= ranges[i].lo && c < ranges[i].hi;
  if(!ours)
    return 0;
  long k = ++count;
  if(k == fail_at && mark[0]) {
    int fd = open(mark, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if(fd >= 0)
      close(fd);
  }
  if(k == fail_at || (fail_after && k > fail_at)) {
    errno = ENOMEM; /* as glibc's would */
    return 1;
  }
  return 0;
}

void *malloc(size_t n)
{
  return fail_now(__builtin_return_address(0)) ? NULL : __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
  return fail_now(__builtin_return_address(0)) ? NULL : __libc_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
  return fail_now(__builtin_return_address(0)) ? NULL : __libc_realloc(p, n);
}

char *strdup(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = fail_now(__builtin_return_address(0)) ? NULL : __libc_malloc(n);
  if(d)
    memcpy(d, s, n);
  return d;
}

char *strndup(const char *s, size_t max)
{
  size_t n = strnlen(s, max);
  char *d = fail_now(__builtin_return_address(0)) ? NULL : __libc_malloc(n + 1);
  if(d) {
    memcpy(d, s, n);
    d[n] = 0;
  }
  return d;
}
