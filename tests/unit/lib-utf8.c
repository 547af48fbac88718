/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib-utf8.c: unit tests of lib/utf8.c, the one UTF-8 validator: overlong
 * forms, surrogates, code points above U+10FFFF and sequences cut short
 * are refused, and the offset of the first bad sequence is reported.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/utf8.h"

/* utf8_valid over a literal (its bytes without the final NUL). */
#define VALID(lit) utf8_valid(lit, sizeof(lit) - 1, NULL)

static void test_valid(void **state)
{
  (void)state;
  assert_true(VALID(""));
  assert_true(VALID("plain"));
  assert_true(VALID("Jos\xc3\xa9 \xc3\x91\xc3\xba\xc3\xb1"));
  assert_true(VALID("\xc2\x80"));         /* U+0080, the first 2-byte */
  assert_true(VALID("\xe0\xa0\x80"));     /* U+0800, the first 3-byte */
  assert_true(VALID("\xed\x9f\xbf"));     /* U+D7FF, below the surrogates */
  assert_true(VALID("\xee\x80\x80"));     /* U+E000, above them */
  assert_true(VALID("\xef\xbf\xbf"));     /* U+FFFF */
  assert_true(VALID("\xf0\x90\x80\x80")); /* U+10000, the first 4-byte */
  assert_true(VALID("\xf0\x9f\x98\x80"));
  assert_true(VALID("\xf4\x8f\xbf\xbf"));   /* U+10FFFF, the last */
  assert_true(utf8_valid("a\0b", 3, NULL)); /* NUL is UTF-8: callers check it */
}

static void test_overlong(void **state)
{
  (void)state;
  assert_false(VALID("\xc0\xaf"));
  assert_false(VALID("\xc1\xbf"));
  assert_false(VALID("\xe0\x80\xaf"));
  assert_false(VALID("\xe0\x9f\xbf"));
  assert_false(VALID("\xf0\x80\x80\xaf"));
  assert_false(VALID("\xf0\x8f\xbf\xbf"));
}

static void test_surrogates(void **state)
{
  (void)state;
  assert_false(VALID("\xed\xa0\x80"));             /* U+D800 */
  assert_false(VALID("\xed\xbf\xbf"));             /* U+DFFF */
  assert_false(VALID("\xed\xa0\xbd\xed\xb8\x80")); /* a CESU-8 pair */
}

static void test_too_high(void **state)
{
  (void)state;
  assert_false(VALID("\xf4\x90\x80\x80")); /* U+110000 */
  assert_false(VALID("\xf5\x80\x80\x80"));
  assert_false(VALID("\xf7\xbf\xbf\xbf"));
  assert_false(VALID("\xf8\x88\x80\x80\x80"));
  assert_false(VALID("\xff"));
  assert_false(VALID("\xfe"));
}

static void test_truncated(void **state)
{
  (void)state;
  assert_false(VALID("\xc3"));
  assert_false(VALID("\xe2\x82"));
  assert_false(VALID("\xf0\x9f\x98"));
  assert_false(VALID("a\x80z")); /* a lone continuation byte */
  assert_false(VALID("\xc3("));  /* a lead without its continuation */
  /* the length bounds the check: the byte after it is not read */
  assert_false(utf8_valid("\xc3\xa9", 1, NULL));
}

static void test_bad_at(void **state)
{
  (void)state;
  size_t at = 99;
  assert_false(utf8_valid("ab\xc3\xa9x\xed\xa0\x80", 8, &at));
  assert_int_equal(at, 5);
  at = 99;
  assert_true(utf8_valid("ok", 2, &at));
  assert_int_equal(at, 99); /* untouched when valid */
  assert_int_equal(utf8_seq_len("\xc3\xa9", 2), 2);
  assert_int_equal(utf8_seq_len("\xf0\x9f\x98\x80", 4), 4);
  assert_int_equal(utf8_seq_len("\xf0\x9f\x98\x80", 3), 0);
  assert_int_equal(utf8_seq_len("a", 1), 1);
  assert_int_equal(utf8_seq_len("\x80", 1), 0);
  assert_int_equal(utf8_seq_len("", 0), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid),      cmocka_unit_test(test_overlong),
      cmocka_unit_test(test_surrogates), cmocka_unit_test(test_too_high),
      cmocka_unit_test(test_truncated),  cmocka_unit_test(test_bad_at),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
