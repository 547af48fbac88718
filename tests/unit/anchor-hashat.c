/* SPDX-License-Identifier: Apache-2.0 */
/*
 * anchor-hashat.c: unit tests of the "hash at seq" engine that the anchor
 * plugin's rule 7 shares with the ledger verifier (lv_line_hash and
 * lv_hash_at in plugins/ledger/lverify.c): an event's seq and stored hash
 * read the verifier's way (its JCS form: a non-canonical number is its
 * canonical value, an event with a member twice is no event, an upper-case
 * hash is no hash), the recomputed hash, and the lookup of several seqs in
 * one read (the first event of a seq counts, a missing seq is not found).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/sha256.h"
#include "plugins/ledger/lverify.h"

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"

static void test_line(void **state)
{
  lv_hasher *h = lv_hasher_new();
  lv_hash x;
  uint8_t want[32];
  (void)state;
  assert_non_null(h);
  const char *ev = "{\"seq\":3,\"hash\":\"" H1 "\",\"b\":1,\"a\":2}";
  assert_int_equal(lv_line_hash(h, ev, strlen(ev),
                                LV_HASH_STORED | LV_HASH_COMPUTED, &x),
                   0);
  assert_int_equal(x.seq, 3);
  assert_true(x.stored_ok);
  assert_int_equal(x.stored[0], 0x11);
  /* the recomputed hash: of the JCS form without "hash" */
  const char *canon = "{\"a\":2,\"b\":1,\"seq\":3}";
  crypto_sha256(canon, strlen(canon), want);
  assert_true(x.computed_ok);
  assert_memory_equal(x.computed, want, 32);
  /* only what is asked */
  assert_int_equal(lv_line_hash(h, ev, strlen(ev), LV_HASH_STORED, &x), 0);
  assert_false(x.computed_ok);
  /* a non-canonical number is its canonical value */
  ev = "{\"seq\":3.0e0,\"hash\":\"" H1 "\"}";
  assert_int_equal(lv_line_hash(h, ev, strlen(ev), LV_HASH_STORED, &x), 0);
  assert_int_equal(x.seq, 3);
  /* a member twice: not an event (cJSON took the first) */
  ev = "{\"seq\":3,\"seq\":4,\"hash\":\"" H1 "\"}";
  assert_int_equal(lv_line_hash(h, ev, strlen(ev), LV_HASH_STORED, &x), -1);
  /* no integer seq */
  ev = "{\"seq\":\"3\",\"hash\":\"" H1 "\"}";
  assert_int_equal(lv_line_hash(h, ev, strlen(ev), LV_HASH_STORED, &x), -2);
  ev = "{\"seq\":1.5,\"hash\":\"" H1 "\"}";
  assert_int_equal(lv_line_hash(h, ev, strlen(ev), LV_HASH_STORED, &x), -2);
  /* an upper-case or short hash is no stored hash */
  ev = "{\"seq\":3,\"hash\":\"AB" H1 "\"}";
  assert_int_equal(lv_line_hash(h, ev, strlen(ev), LV_HASH_STORED, &x), 0);
  assert_false(x.stored_ok);
  ev = "[1,2]";
  assert_int_equal(lv_line_hash(h, ev, strlen(ev), LV_HASH_STORED, &x), -1);
  /* the type member, for the anchor plugin */
  const char *v;
  size_t vl;
  ev = "{\"seq\":3,\"type\":\"Anchor\\u0053ubmitted\"}";
  assert_int_equal(lv_line_hash(h, ev, strlen(ev), 0, &x), 0);
  assert_int_equal(lv_hasher_member(h, "type", &v, &vl), 0);
  assert_int_equal(vl, 17);
  assert_memory_equal(v, "\"AnchorSubmitted\"", 17);
  lv_hasher_free(h);
}

static void test_at(void **state)
{
  char path[] = "/tmp/anchor-hashat.XXXXXX";
  int fd = mkstemp(path);
  FILE *f;
  lsrc_options src;
  lv_hash out[4];
  const int64_t seqs[4] = {1, 2, 3, 9};
  char err[256];
  (void)state;
  assert_true(fd >= 0);
  f = fdopen(fd, "w");
  assert_non_null(f);
  fputs("{\"seq\":1,\"hash\":\"" H1 "\"}\n"
        "not json\n"
        "{\"seq\":2,\"hash\":\"" H2 "\"}\n"
        "{\"seq\":2,\"hash\":\"" H1 "\"}\n"
        "{\"seq\":3,\"seq\":3,\"hash\":\"" H1 "\"}\n"
        "{\"seq\":4,\"hash\":\"" H1 "\"}\n",
        f);
  fclose(f);
  memset(&src, 0, sizeof(src));
  src.source = path;
  assert_int_equal(lv_hash_at(&src, seqs, 4, LV_HASH_STORED, out, err,
                              sizeof(err)),
                   0);
  assert_true(out[0].found && out[0].stored_ok && out[0].stored[0] == 0x11);
  assert_true(out[1].found && out[1].stored[0] == 0x22); /* the first */
  assert_false(out[2].found); /* a member twice: no event 3 */
  assert_false(out[3].found);
  /* none asked: no read at all */
  assert_int_equal(lv_hash_at(&src, seqs, 0, LV_HASH_STORED, out, err,
                              sizeof(err)),
                   0);
  unlink(path);
  src.source = path; /* gone now */
  assert_int_equal(lv_hash_at(&src, seqs, 1, LV_HASH_STORED, out, err,
                              sizeof(err)),
                   -1);
  assert_true(err[0] != '\0');
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_line),
      cmocka_unit_test(test_at),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
