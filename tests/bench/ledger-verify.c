/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger-verify.c: drives the ledger verifier engine (lverify) directly,
 * without the agent, for the benchmark and for debugging: prints one line
 * "reason first_bad_seq line events head_seq bytes seconds" and exits 0
 * when intact, 2 when not, 3 when the source failed.
 *   ledger-verify SOURCE [THREADS] [TABLE COLUMN]
 *   ledger-verify --resume SEQ HASH OFFSET LINE SOURCE [THREADS]
 *   ledger-verify --cpu   (which canonicalizer path this CPU gets)
 *   ledger-verify --floor FILE [THREADS]
 * --floor: the hashing alone, the verifier's floor. Each line of FILE is
 * canonicalized first, untimed, as the verifier would (without "hash");
 * then the canonical texts, one per line in one buffer, are hashed as the
 * verifier hashes them (split at newlines, queued SHA-256 lanes, THREADS
 * threads, 0 for every core), and only that is timed. Prints
 * "floor EVENTS CANONICAL_BYTES SECONDS".
 */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* One --floor thread's share of the canonical texts, and what it found. */
typedef struct floor_part {
  const char *text;
  size_t len;
  uint8_t sum[CRYPTO_SHA256_LEN]; /* all digests XORed: kept, so used */
  int failed;
} floor_part;

/* Hashes one share line by line, as process_span queues events. */
static void *floor_hash(void *arg)
{
  floor_part *fp = arg;
  static _Thread_local uint8_t out[256][CRYPTO_SHA256_LEN];
  crypto_sha256_many *h = crypto_sha256_many_new(CRYPTO_SHA256_AUTO);
  const char *p = fp->text, *e = p + fp->len;
  size_t q = 0, i, k;
  memset(fp->sum, 0, sizeof(fp->sum));
  if(!h) {
    fp->failed = 1;
    return NULL;
  }
  while(p < e) {
    const char *nl = memchr(p, '\n', (size_t)(e - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(e - p);
    if(crypto_sha256_many_add(h, p, n, out[q++]) != 0)
      fp->failed = 1;
    if(q == 256 || !nl) {
      if(crypto_sha256_many_run(h) != 0)
        fp->failed = 1;
      for(i = 0; i < q; i++)
        for(k = 0; k < CRYPTO_SHA256_LEN; k++)
          fp->sum[k] ^= out[i][k];
      q = 0;
    }
    p = nl ? nl + 1 : e;
  }
  crypto_sha256_many_free(h);
  return NULL;
}

/* --floor FILE [THREADS]: see the top of the file. */
static int floor_run(const char *path, int threads)
{
  FILE *f = fopen(path, "rb");
  char *in = NULL, *canon = NULL;
  size_t inlen = 0, cap = 0, len = 0, ccap = 0, events = 0, i;
  floor_part part[64];
  pthread_t th[64];
  crypto_jcs *j = crypto_jcs_new();
  struct timespec a, b;
  int rc = 1, started = 0;
  if(!f || !j) {
    fprintf(stderr, "ledger-verify --floor: cannot open %s\n", path);
    goto out;
  }
  for(;;) { /* the whole file */
    char *ni;
    size_t got;
    if(cap - inlen < 1 << 20) {
      cap = cap ? 2 * cap : 64u << 20;
      ni = realloc(in, cap);
      if(!ni)
        goto out;
      in = ni;
    }
    got = fread(in + inlen, 1, cap - inlen, f);
    inlen += got;
    if(got == 0)
      break;
  }
  if(ferror(f)) {
    fprintf(stderr, "ledger-verify --floor: cannot read %s\n", path);
    goto out;
  }
  for(const char *p = in, *e = in + inlen; p < e;) {
    const char *nl = memchr(p, '\n', (size_t)(e - p)), *t;
    size_t n = nl ? (size_t)(nl - p) : (size_t)(e - p), tl;
    if(crypto_jcs_canonicalize_omit(j, p, n, "hash") != CRYPTO_JCS_OK) {
      fprintf(stderr, "ledger-verify --floor: line %zu is not JSON\n",
              events + 1);
      goto out;
    }
    t = crypto_jcs_text(j, &tl);
    if(ccap - len < tl + 1) { /* a number's ECMAScript spelling can be longer */
      char *nc;
      ccap = ccap + tl + 1 > inlen + 1 ? 2 * (ccap + tl + 1) : inlen + 1;
      nc = realloc(canon, ccap);
      if(!nc)
        goto out;
      canon = nc;
    }
    memcpy(canon + len, t, tl);
    len += tl;
    canon[len++] = '\n';
    events++;
    p = nl ? nl + 1 : e;
  }
  if(!canon && !(canon = malloc(1))) /* no line: shares of nothing */
    goto out;
  if(threads <= 0) {
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    threads = nc > 0 ? (int)nc : 1;
  }
  if(threads > 64)
    threads = 64;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for(i = 0; i < (size_t)threads; i++) { /* shares split at newlines */
    size_t from = i * len / (size_t)threads,
           to = (i + 1) * len / (size_t)threads;
    while(from > 0 && from < len && canon[from - 1] != '\n')
      from++;
    while(to > 0 && to < len && canon[to - 1] != '\n')
      to++;
    part[i].text = canon + from;
    part[i].len = to > from ? to - from : 0;
    part[i].failed = 0;
  }
  for(started = 1; started < threads; started++)
    if(pthread_create(&th[started], NULL, floor_hash, &part[started]) != 0)
      break;
  floor_hash(&part[0]);
  for(i = 1; i < (size_t)started; i++)
    pthread_join(th[i], NULL);
  clock_gettime(CLOCK_MONOTONIC, &b);
  rc = started < threads;
  for(i = 0; i < (size_t)started; i++)
    if(part[i].failed)
      rc = 1;
  if(rc)
    fprintf(stderr, "ledger-verify --floor: a thread or a hash failed\n");
  else
    printf("floor %zu %zu %.3f\n", events, len - events,
           (double)(b.tv_sec - a.tv_sec) +
               (double)(b.tv_nsec - a.tv_nsec) / 1e9);
out:
  if(f)
    fclose(f);
  free(in);
  free(canon);
  crypto_jcs_free(j);
  return rc;
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
  if(argc >= 3 && strcmp(argv[1], "--floor") == 0)
    return floor_run(argv[2], argc > 3 ? atoi(argv[3]) : 0);
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
