/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent-util.c: unit tests of agent/util.c: durations, UTF-8 validation,
 * the growable buffer. (Targets are redacted by lib/redact.c: see
 * tests/unit/lib-redact.c.)
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static void test_duration(void **state)
{
  (void)state;
  double d;
  assert_int_equal(util_parse_duration("90", &d), 0);
  assert_true(d == 90);
  assert_int_equal(util_parse_duration("30m", &d), 0);
  assert_true(d == 1800);
  assert_int_equal(util_parse_duration("24h", &d), 0);
  assert_true(d == 86400);
  assert_int_equal(util_parse_duration("1h30m", &d), 0);
  assert_true(d == 5400);
  assert_int_equal(util_parse_duration("250ms", &d), 0);
  assert_true(d == 0.25);
  assert_int_equal(util_parse_duration("7d", &d), 0);
  assert_true(d == 604800);
  assert_int_equal(util_parse_duration("", &d), -1);
  assert_int_equal(util_parse_duration("-5m", &d), -1);
  assert_int_equal(util_parse_duration("5 parsecs", &d), -1);
  assert_int_equal(util_parse_duration("m", &d), -1);
  assert_int_equal(util_parse_duration("nan", &d), -1);
}

static void test_utf8(void **state)
{
  (void)state;
  assert_true(util_utf8_valid("plain", 5));
  assert_true(util_utf8_valid("Jos\xc3\xa9 \xc3\x91\xc3\xba\xc3\xb1"
                              "ez",
                              13));
  assert_true(util_utf8_valid("\xf0\x9f\x98\x80", 4));
  assert_false(util_utf8_valid("\xc3", 1));             /* truncated */
  assert_false(util_utf8_valid("\xc0\xaf", 2));         /* overlong */
  assert_false(util_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
  assert_false(util_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
  assert_false(util_utf8_valid("\xff", 1));
  assert_false(util_utf8_valid("a\x80z", 3));
}

static void test_dbuf(void **state)
{
  (void)state;
  dbuf b;
  dbuf_init(&b, 16);
  assert_int_equal(dbuf_addstr(&b, "0123456789"), 0);
  assert_int_equal(dbuf_printf(&b, "%d", 12345), 0);
  assert_string_equal(b.data, "012345678912345");
  assert_int_equal(dbuf_addstr(&b, "xy"), -1); /* past the limit */
  dbuf_consume(&b, 10);
  assert_string_equal(b.data, "12345");
  dbuf_free(&b);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_duration),
      cmocka_unit_test(test_utf8),
      cmocka_unit_test(test_dbuf),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
