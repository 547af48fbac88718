/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger-oom.c: the verifier engine when memory runs out, the way curl's
 * torture tests do it: each run over a fixture is repeated with its 1st,
 * 2nd, 3rd ... allocation failing, until a run meets no failure. The
 * engine's own allocations go through tests/lib/failalloc.c (OpenSSL's,
 * zlib's and libc's do not), so every allocation the project makes on the
 * way is failed once: alone, and with all after it (memory that stays
 * short, where a fallback that allocates again cannot save the run).
 *
 * An auditor reads the verdict, so a failed allocation may cost the run
 * (lv_verify returns -1 and says "out of memory"), never the truth: each
 * run that returns must give the verdict of the run without failures,
 * seq for seq and hash for hash. An intact ledger reported broken because
 * a buffer could not grow is the bug this looks for. And every run frees
 * what it took: the count of live blocks is back to where it was after
 * each one (LeakSanitizer checks the same in the sanitizer pass).
 *
 * Fixtures: the shared vectors (an intact ledger of 300 events, and three
 * broken in three ways), whole, resumed from a checkpoint, and held to an
 * expected event; lv_hash_at's one read for the anchor plugin.
 */
#include "config.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugins/ledger/lverify.h"
#include "tests/lib/failalloc.h"

#ifndef TOP_SRCDIR
#error "TOP_SRCDIR must name the source tree (for the vectors)"
#endif
#define VECTORS TOP_SRCDIR "/tests/vectors/"

/* --- the runs ------------------------------------------------------------- */

/* One way to run the engine over a fixture. */
typedef struct scenario {
  const char *file;
  int threads;
  int64_t resume_seq; /* resume from this event (0: a full run) */
  int64_t expect_seq; /* hold the ledger to this event (0: none) */
} scenario;

/* What a run found, for comparing with the run without failures. */
typedef struct verdict {
  int rc;
  lv_result r;
} verdict;

/* The checkpoint of event seq in file (its line is line seq): the head of
 * a run over the file's first seq lines, copied to a temporary file. */
static lv_checkpoint checkpoint_at(const char *file, int64_t seq)
{
  char tmp[] = "/tmp/ledger-oom.XXXXXX", line[65536];
  lv_options o;
  lv_result r;
  FILE *in = fopen(file, "r"), *out;
  int fd = mkstemp(tmp);
  assert_non_null(in);
  assert_true(fd >= 0);
  out = fdopen(fd, "w");
  assert_non_null(out);
  for(int64_t i = 0; i < seq && fgets(line, sizeof(line), in); i++)
    fputs(line, out);
  fclose(in);
  assert_int_equal(fclose(out), 0);
  memset(&o, 0, sizeof(o));
  o.src.source = tmp;
  o.threads = 1;
  assert_int_equal(lv_verify(&o, &r), 0);
  unlink(tmp);
  assert_int_equal(r.reason, LV_OK);
  assert_int_equal(r.head.seq, seq);
  return r.head;
}

/* Runs the scenario once. */
static void run(const scenario *s, const lv_checkpoint *cp, verdict *v)
{
  lv_options o;
  memset(&o, 0, sizeof(o));
  memset(v, 0, sizeof(*v));
  o.src.source = s->file;
  o.threads = s->threads;
  if(s->resume_seq)
    o.resume = cp;
  if(s->expect_seq)
    o.expect = cp;
  v->rc = lv_verify(&o, &v->r);
}

/* Whether two runs gave the same verdict. */
static void assert_same_verdict(const verdict *want, const verdict *got,
                                long at)
{
  if(got->r.reason != want->r.reason || got->r.bad_seq != want->r.bad_seq ||
     got->r.events != want->r.events || got->r.head.seq != want->r.head.seq ||
     strcmp(got->r.head.hash, want->r.head.hash) != 0 ||
     got->r.checkpoint_mismatch != want->r.checkpoint_mismatch ||
     got->r.source_error != want->r.source_error)
    fail_msg("allocation %ld failed: verdict %s at seq %" PRId64 " (%" PRIu64
             " events, head %" PRId64 ", \"%s\"), not %s at seq %" PRId64
             " (%" PRIu64 " events, head %" PRId64 ")",
             at, lv_reason_name(got->r.reason), got->r.bad_seq, got->r.events,
             got->r.head.seq, got->r.detail, lv_reason_name(want->r.reason),
             want->r.bad_seq, want->r.events, want->r.head.seq);
}

/* Fails each allocation of the scenario in turn (with after: and every
 * one after it, memory that stays short). Returns how many runs it took. */
static long torture(const scenario *s, int after)
{
  lv_checkpoint cp;
  verdict want, got;
  long at, base_live;
  memset(&cp, 0, sizeof(cp));
  if(s->resume_seq || s->expect_seq)
    cp = checkpoint_at(s->file, s->resume_seq ? s->resume_seq : s->expect_seq);
  base_live = failalloc_live();
  run(s, &cp, &want);
  assert_int_equal(want.rc, 0);
  assert_int_equal(failalloc_live(), base_live);
  for(at = 1;; at++) {
    failalloc_arm(at, after);
    run(s, &cp, &got);
    failalloc_disarm();
    if(failalloc_live() != base_live)
      fail_msg("%s: allocation %ld failed: %ld blocks not freed", s->file, at,
               failalloc_live() - base_live);
    if(!failalloc_failed()) { /* past the last allocation: done */
      assert_int_equal(got.rc, 0);
      assert_same_verdict(&want, &got, 0);
      return at;
    }
    if(got.rc != 0) {
      if(!strstr(got.r.error, "memory"))
        fail_msg("%s: allocation %ld failed: run lost with \"%s\", not "
                 "out of memory",
                 s->file, at, got.r.error);
      continue;
    }
    assert_same_verdict(&want, &got, at);
  }
}

static void check(const scenario *s)
{
  for(int after = 0; after <= 1; after++) {
    long runs = torture(s, after);
    /* a run allocates: a torture that never failed one tested nothing */
    assert_true(runs > 5);
    print_message("%s (threads %d, resume %" PRId64 ", expect %" PRId64
                  ", %s): %ld runs\n",
                  strrchr(s->file, '/') + 1, s->threads, s->resume_seq,
                  s->expect_seq, after ? "the rest failing too" : "one failing",
                  runs);
  }
}

static void test_intact(void **state)
{
  (void)state;
  scenario s = {VECTORS "ledger-valid.jsonl", 1, 0, 0};
  check(&s);
  s.threads = 2;
  check(&s);
}

static void test_broken(void **state)
{
  (void)state;
  static const char *const files[] = {VECTORS "ledger-broken-payload.jsonl",
                                      VECTORS "ledger-broken-deleted.jsonl",
                                      VECTORS "ledger-broken-rechained.jsonl"};
  for(size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    scenario s = {files[i], 1, 0, 0};
    check(&s);
  }
}

static void test_resume_and_expect(void **state)
{
  (void)state;
  scenario r = {VECTORS "ledger-valid.jsonl", 1, 150, 0};
  scenario x = {VECTORS "ledger-valid.jsonl", 1, 0, 200};
  check(&r);
  check(&x);
}

/* lv_hash_at: found and hashed as without failures, or -1 saying so. */
static void test_hash_at(void **state)
{
  (void)state;
  /* seq 1 too: the first line is where the buffers grow */
  static const int64_t seqs[] = {1, 5, 150, 300, 301};
  lv_hash want[5], got[5];
  lsrc_options src;
  char err[256];
  long at, base_live = failalloc_live();
  memset(&src, 0, sizeof(src));
  src.source = VECTORS "ledger-valid.jsonl";
  assert_int_equal(lv_hash_at(&src, seqs, 5, LV_HASH_STORED | LV_HASH_COMPUTED,
                              want, err, sizeof(err)),
                   0);
  assert_true(want[0].found && want[3].found && want[3].computed_ok &&
              !want[4].found);
  for(int after = 0; after <= 1; after++) {
    for(at = 1;; at++) {
      int rc;
      failalloc_arm(at, after);
      err[0] = 0;
      rc = lv_hash_at(&src, seqs, 5, LV_HASH_STORED | LV_HASH_COMPUTED, got,
                      err, sizeof(err));
      failalloc_disarm();
      assert_int_equal(failalloc_live(), base_live);
      if(!failalloc_failed())
        assert_int_equal(rc, 0);
      if(rc != 0) {
        if(!strstr(err, "memory"))
          fail_msg("lv_hash_at: allocation %ld failed: \"%s\"", at, err);
        continue;
      }
      for(int i = 0; i < 5; i++)
        if(got[i].found != want[i].found ||
           got[i].stored_ok != want[i].stored_ok ||
           got[i].computed_ok != want[i].computed_ok ||
           memcmp(got[i].stored, want[i].stored, 32) != 0 ||
           memcmp(got[i].computed, want[i].computed, 32) != 0)
          fail_msg("lv_hash_at: allocation %ld failed: seq %" PRId64
                   " answered otherwise",
                   at, seqs[i]);
      if(!failalloc_failed())
        break;
    }
    assert_true(at > 2);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_intact),
      cmocka_unit_test(test_broken),
      cmocka_unit_test(test_resume_and_expect),
      cmocka_unit_test(test_hash_at),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
