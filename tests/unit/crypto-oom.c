/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto-oom.c: the canonicalizer and the many-message hash when memory
 * runs out (tests/lib/failalloc.h: each allocation failing in turn, alone
 * and with all after it). A result is the one of the run without failures
 * or "out of memory", never another: no other text, no other error (an
 * event reported malformed because a buffer could not grow), no digest
 * that is not the message's. And nothing is leaked on the way.
 *
 * Inputs: the shared JCS vectors (tests/vectors/jcs.jsonl), each on the
 * fast path and on the full parser, with and without a member omitted,
 * and messages of every size class for the hash (EVP for the long ones).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "crypto/jcs.h"
#include "crypto/sha256.h"
#include "crypto/sha256many.h"
#include "tests/lib/failalloc.h"

#ifndef TOP_SRCDIR
#error "TOP_SRCDIR must name the source tree (for the vectors)"
#endif

/* What one canonicalization gave. */
typedef struct outcome {
  crypto_jcs_code code;
  char *text, *omitted; /* malloc'd (by the test, unarmed) */
  size_t len, olen;
  int has_omitted;
  int shaped; /* finished by shape replay */
} outcome;

/* One canonicalization of in with a fresh canonicalizer on path p. The
 * results are copied after disarming, so the copies never fail. */
static void canon_once(const char *in, size_t len, const char *omit,
                       crypto_jcs_path p, long at, int after, outcome *o,
                       const char *warm)
{
  crypto_jcs *j;
  const char *t;
  memset(o, 0, sizeof(*o));
  if(!warm)
    failalloc_arm(at, after);
  j = crypto_jcs_new();
  if(!j) {
    failalloc_disarm();
    o->code = CRYPTO_JCS_ERR_NOMEM;
    return;
  }
  if(p != CRYPTO_JCS_PATH_AUTO)
    assert_int_equal(crypto_jcs_set_path(j, p), 0);
  if(warm) { /* its shape recorded, unarmed: in is replayed against it */
    assert_int_equal(crypto_jcs_canonicalize(j, warm, strlen(warm)),
                     CRYPTO_JCS_OK);
    failalloc_arm(at, after);
  }
  o->code = crypto_jcs_canonicalize_omit(j, in, len, omit);
  o->shaped = crypto_jcs_last_shaped(j);
  failalloc_disarm();
  if(o->code == CRYPTO_JCS_OK) {
    t = crypto_jcs_text(j, &o->len);
    o->text = malloc(o->len + 1);
    assert_non_null(o->text);
    memcpy(o->text, t, o->len);
    t = crypto_jcs_omitted(j, &o->olen);
    if(t) {
      o->has_omitted = 1;
      o->omitted = malloc(o->olen + 1);
      assert_non_null(o->omitted);
      memcpy(o->omitted, t, o->olen);
    }
  }
  crypto_jcs_free(j);
}

static void outcome_free(outcome *o)
{
  free(o->text);
  free(o->omitted);
}

/* Every allocation of one canonicalization failing in turn. Returns the
 * runs it took. */
static long torture_canon(const char *in, size_t len, const char *omit,
                          crypto_jcs_path p, int after, const char *warm)
{
  outcome want, got;
  long at, base;
  canon_once(in, len, omit, p, 0, 0, &want, warm);
  /* a line of a recorded shape must be the replay's to finish */
  if(warm)
    assert_int_equal(want.shaped, p != CRYPTO_JCS_PATH_FULL);
  base = failalloc_live(); /* want's copies are the test's */
  for(at = 1;; at++) {
    canon_once(in, len, omit, p, at, after, &got, warm);
    if(failalloc_live() != base + (got.text != NULL) + (got.omitted != NULL))
      fail_msg("allocation %ld failed: %ld blocks not freed (input %.60s)", at,
               failalloc_live() - base, in);
    if(!failalloc_failed()) {
      outcome_free(&got);
      break;
    }
    if(got.code != CRYPTO_JCS_ERR_NOMEM &&
       (got.code != want.code || got.len != want.len ||
        (got.len && memcmp(got.text, want.text, got.len) != 0) ||
        got.has_omitted != want.has_omitted || got.olen != want.olen ||
        (got.olen && memcmp(got.omitted, want.omitted, got.olen) != 0)))
      fail_msg("allocation %ld failed: \"%s\", not \"%s\" (input %.60s)", at,
               crypto_jcs_strerror(got.code), crypto_jcs_strerror(want.code),
               in);
    outcome_free(&got);
  }
  outcome_free(&want);
  return at;
}

/* Reads the vectors' inputs into a cJSON array (cJSON's own allocations
 * are not failed: it is not linked into the test). */
static cJSON *read_vectors(void)
{
  char line[65536];
  FILE *f = fopen(TOP_SRCDIR "/tests/vectors/jcs.jsonl", "r");
  cJSON *all = cJSON_CreateArray();
  assert_non_null(f);
  assert_non_null(all);
  while(fgets(line, sizeof(line), f)) {
    cJSON *v = cJSON_Parse(line), *in;
    assert_non_null(v);
    in = cJSON_DetachItemFromObjectCaseSensitive(v, "input");
    assert_true(cJSON_IsString(in));
    cJSON_AddItemToArray(all, in);
    cJSON_Delete(v);
  }
  fclose(f);
  assert_true(cJSON_GetArraySize(all) > 10);
  return all;
}

static void test_jcs_vectors(void **state)
{
  (void)state;
  static const crypto_jcs_path paths[] = {CRYPTO_JCS_PATH_AUTO,
                                          CRYPTO_JCS_PATH_FULL};
  /* a ledger line: members out of order, nested, the hash omitted */
  static const char ledger_line[] =
      "{\"seq\":2,\"hash\":\"ab\",\"payload\":{\"z\":[1,{\"b\":2,\"a\":1}],"
      "\"a\":\"\\u00e9t\\u00e9\"},\"type\":\"T\",\"prev_hash\":\"00\"}";
  /* a line of the shape of a shorter one before it: replayed, with room
   * to grow in every buffer (the omitted member an object) */
  static const char replayed[] =
      "{\"seq\":12,\"hash\":{\"y\":\"0123456789abcdef0123456789abcdef\","
      "\"x\":[1,2]},\"payload\":{\"z\":[1,2.5,\"three\",true],\"y\":{"
      "\"b\":\"\xc3\xa9t\xc3\xa9, a long string to copy\",\"a\":-1}},"
      "\"type\":\"AnchorSubmitted\",\"prev_hash\":\"00112233445566778899\"}";
  static const char warm[] =
      "{\"seq\":1,\"hash\":{\"y\":\"\",\"x\":[]},\"payload\":{\"z\":[],"
      "\"y\":{\"b\":\"\",\"a\":0}},\"type\":\"\",\"prev_hash\":\"\"}";
  cJSON *all = read_vectors(), *in;
  long runs = 0, most = 0;
  for(size_t p = 0; p < 2; p++)
    for(int after = 0; after <= 1; after++) {
      cJSON_ArrayForEach(in, all) {
        long n = torture_canon(in->valuestring, strlen(in->valuestring), NULL,
                               paths[p], after, NULL);
        runs += n;
        most = n > most ? n : most;
      }
      runs += torture_canon(ledger_line, sizeof(ledger_line) - 1, "hash",
                            paths[p], after, NULL);
      for(int omit = 0; omit <= 1; omit++) {
        long n = torture_canon(replayed, sizeof(replayed) - 1,
                               omit ? "hash" : NULL, paths[p], after, warm);
        runs += n;
        /* the replay itself allocates (output, omitted value, records) */
        if(paths[p] != CRYPTO_JCS_PATH_FULL)
          assert_true(n > 1);
      }
    }
  print_message("jcs: %ld runs over %d inputs\n", runs,
                cJSON_GetArraySize(all) + 2);
  cJSON_Delete(all);
  /* a canonicalizer allocates as it goes: one that never failed tested
   * nothing */
  assert_true(most > 3);
}

/* Messages of every size class: empty, under and over a block, a ledger
 * event, the largest queued, and long ones hashed through EVP. */
static const size_t sizes[] = {0,   1,    55,    56,    64,
                               440, 4000, 16384, 16385, 70000};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/* One queue of every message; 0 with the digests, -1 when it failed. */
static int hash_once(const uint8_t *data, uint8_t out[][CRYPTO_SHA256_LEN],
                     long at, int after)
{
  crypto_sha256_many *m;
  int rc = 0;
  failalloc_arm(at, after);
  m = crypto_sha256_many_new(CRYPTO_SHA256_AUTO);
  if(!m) {
    failalloc_disarm();
    return -1;
  }
  for(size_t k = 0; k < 3; k++) /* three rounds: the queue reused */
    for(size_t i = 0; i < NSIZES; i++)
      if(crypto_sha256_many_add(m, data, sizes[i], out[k * NSIZES + i]) != 0)
        rc = -1;
  if(crypto_sha256_many_run(m) != 0)
    rc = -1;
  crypto_sha256_many_free(m);
  failalloc_disarm();
  return rc;
}

static void test_sha256many(void **state)
{
  (void)state;
  uint8_t *data = malloc(70000), want[3 * NSIZES][CRYPTO_SHA256_LEN],
          got[3 * NSIZES][CRYPTO_SHA256_LEN];
  long at, base;
  assert_non_null(data);
  for(size_t i = 0; i < 70000; i++)
    data[i] = (uint8_t)(i * 131 + 7);
  base = failalloc_live();
  for(size_t i = 0; i < NSIZES; i++) /* the reference: one-shot SHA-256 */
    assert_int_equal(crypto_sha256(data, sizes[i], want[i]), 0);
  for(size_t k = 1; k < 3; k++)
    memcpy(want[k * NSIZES], want[0], sizeof(want[0]) * NSIZES);
  for(int after = 0; after <= 1; after++)
    for(at = 1;; at++) {
      int rc = hash_once(data, got, at, after);
      assert_int_equal(failalloc_live(), base);
      if(!failalloc_failed()) {
        assert_int_equal(rc, 0);
        assert_memory_equal(got, want, sizeof(want));
        assert_true(at > 1);
        break;
      }
      /* a digest handed back without an error is the message's */
      if(rc == 0)
        assert_memory_equal(got, want, sizeof(want));
    }
  free(data);
}

/* A name set (crypto_jcs_names_new) with each of its allocations failing
 * in turn: NULL, nothing left behind, or the whole set. */
static void test_names(void **state)
{
  static const char *const names[] = {"seq", "ts", "type", "aggregate_id"};
  long at, base = failalloc_live();
  (void)state;
  for(at = 1;; at++) {
    crypto_jcs_names *w;
    int failed;
    failalloc_arm(at, 0);
    w = crypto_jcs_names_new(names, 4);
    failed = failalloc_failed();
    failalloc_disarm();
    assert_true(!w == !!failed);
    crypto_jcs_names_free(w);
    if(failalloc_live() != base)
      fail_msg("allocation %ld failed: %ld blocks not freed", at,
               failalloc_live() - base);
    if(!failed)
      break;
  }
  assert_int_equal(at, 6); /* the set and its 4 names, then none failed */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jcs_vectors),
      cmocka_unit_test(test_sha256many),
      cmocka_unit_test(test_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
