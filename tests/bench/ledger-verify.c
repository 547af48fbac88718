/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger-verify.c: drives the ledger verifier engine (lverify) directly,
 * without the agent, for the benchmark and for debugging: prints one line
 * "reason first_bad_seq line events head_seq bytes seconds" and exits 0
 * when intact, 2 when not, 3 when the source failed.
 *   ledger-verify SOURCE [THREADS] [TABLE COLUMN]
 *   ledger-verify --resume SEQ HASH OFFSET LINE SOURCE [THREADS]
 *   ledger-verify --cpu   (which canonicalizer path this CPU gets)
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/jcs.h"
#include "crypto/sha256many.h"
#include "plugins/ledger/lverify.h"

/* --cpu: the canonicalizer's implementation chosen for this CPU (the
 * benchmark prints it beside its figures) and the CPU features it and
 * SHA-256 can use. */
static int print_cpu(void)
{
  crypto_jcs *j = crypto_jcs_new();
  crypto_sha256_many *h = crypto_sha256_many_new(CRYPTO_SHA256_AUTO);
  const char *shapes = getenv("PROBE_JCS_SHAPES");
  if(!j || !h) {
    crypto_jcs_free(j);
    crypto_sha256_many_free(h);
    return 1;
  }
  printf("canonicalizer path %s, shape replay %s; SHA-256 by %s; CPU:",
         crypto_jcs_path_name(j),
         shapes && strcmp(shapes, "0") == 0 ? "off" : "on",
         crypto_sha256_many_engine(h));
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if(__builtin_cpu_supports("sse2"))
    printf(" sse2");
  if(__builtin_cpu_supports("avx2"))
    printf(" avx2");
  if(__builtin_cpu_supports("avx512f"))
    printf(" avx512f");
#endif
  printf("\n");
  crypto_jcs_free(j);
  crypto_sha256_many_free(h);
  return 0;
}

int main(int argc, char **argv)
{
  lv_options o;
  lv_result r;
  lv_checkpoint cp;
  struct timespec a, b;
  int i = 1;
  memset(&o, 0, sizeof(o));
  memset(&cp, 0, sizeof(cp));
  if(argc == 2 && strcmp(argv[1], "--cpu") == 0)
    return print_cpu();
  if(argc > 6 && strcmp(argv[1], "--resume") == 0) {
    cp.seq = strtoll(argv[2], NULL, 10);
    snprintf(cp.hash, sizeof(cp.hash), "%s", argv[3]);
    cp.offset = strtoull(argv[4], NULL, 10);
    cp.line = strtoull(argv[5], NULL, 10);
    o.resume = &cp;
    i = 6;
  }
  if(argc <= i) {
    fprintf(stderr, "usage: ledger-verify [--resume SEQ HASH OFFSET LINE] "
                    "SOURCE [THREADS] [TABLE COLUMN]\n");
    return 64;
  }
  o.src.source = argv[i];
  if(argc > i + 1)
    o.threads = atoi(argv[i + 1]);
  if(argc > i + 3) {
    o.src.table = argv[i + 2];
    o.src.column = argv[i + 3];
  }
  clock_gettime(CLOCK_MONOTONIC, &a);
  lv_verify(&o, &r);
  clock_gettime(CLOCK_MONOTONIC, &b);
  if(r.source_error) {
    printf("error %s\n", r.error);
    return 3;
  }
  printf("%s %" PRId64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRIu64
         " %.3f%s %s\n",
         r.checkpoint_mismatch ? "checkpoint_mismatch"
                               : lv_reason_name(r.reason),
         r.bad_seq, r.bad_line, r.events, r.head.seq, r.bytes,
         (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
         r.anchors_deferred ? " deferred" : "", r.detail);
  return r.reason == LV_OK && !r.checkpoint_mismatch ? 0 : 2;
}
