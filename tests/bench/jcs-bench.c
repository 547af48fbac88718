/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jcs-bench.c: the canonicalizer alone, for its benchmark
 * (tests/bench/jcs-callgrind.sh): canonicalizes every line of FILE with the
 * "hash" member omitted, REPEAT times, on the implementation PATH (auto,
 * full, swar, sse2, avx2), and prints "path lines fast shaped bytes
 * seconds", where fast counts the lines the fast path finished itself and
 * shaped those of them it finished by shape replay (PROBE_JCS_SHAPES=0
 * turns replay off). Exits 1 when a line
 * is rejected, 2 on usage or I/O errors.
 *   jcs-bench FILE [PATH [REPEAT]]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/jcs.h"

/* Maps a path's name to its value; -1 when unknown. */
static int path_of(const char *s)
{
  static const char *const names[] = {"auto", "full", "swar", "sse2", "avx2"};
  int i;
  for(i = 0; i < 5; i++)
    if(strcmp(s, names[i]) == 0)
      return i;
  return -1;
}

int main(int argc, char **argv)
{
  FILE *f;
  char *buf = NULL;
  size_t len = 0, cap = 0, lines = 0, fast = 0, shaped = 0, bytes = 0;
  long rep = 1, r;
  int p = CRYPTO_JCS_PATH_AUTO, rc = 0;
  crypto_jcs *j;
  struct timespec a, b;
  if(argc < 2 || (argc > 2 && (p = path_of(argv[2])) < 0)) {
    fprintf(stderr, "usage: jcs-bench FILE [auto|full|swar|sse2|avx2 "
                    "[REPEAT]]\n");
    return 2;
  }
  if(argc > 3)
    rep = atol(argv[3]);
  f = fopen(argv[1], "rb");
  if(!f) {
    perror(argv[1]);
    return 2;
  }
  for(;;) { /* the whole file in memory: only canonicalization is timed */
    size_t n;
    if(cap - len < 65536) {
      char *nb = realloc(buf, cap ? cap * 2 : 1 << 20);
      if(!nb) {
        fclose(f);
        free(buf);
        return 2;
      }
      buf = nb;
      cap = cap ? cap * 2 : 1 << 20;
    }
    n = fread(buf + len, 1, cap - len, f);
    if(n == 0)
      break;
    len += n;
  }
  fclose(f);
  j = crypto_jcs_new();
  if(!j || crypto_jcs_set_path(j, (crypto_jcs_path)p) != 0) {
    fprintf(stderr, "path %s not available\n", argc > 2 ? argv[2] : "auto");
    free(buf);
    crypto_jcs_free(j);
    return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &a);
  for(r = 0; r < rep && rc == 0; r++) {
    const char *s = buf, *e = buf + len;
    while(s < e) {
      const char *nl = memchr(s, '\n', (size_t)(e - s));
      size_t ll = nl ? (size_t)(nl - s) : (size_t)(e - s);
      if(ll) {
        if(crypto_jcs_canonicalize_omit(j, s, ll, "hash") != CRYPTO_JCS_OK) {
          fprintf(stderr, "line %zu rejected\n", lines + 1);
          rc = 1;
          break;
        }
        fast += (size_t)crypto_jcs_last_fast(j);
        shaped += (size_t)crypto_jcs_last_shaped(j);
        lines++;
        bytes += ll + 1;
      }
      s += ll + 1;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%s %zu %zu %zu %zu %.3f\n", crypto_jcs_path_name(j), lines, fast,
         shaped, bytes,
         (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
  crypto_jcs_free(j);
  free(buf);
  return rc;
}
