/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib-duration.c: unit tests of lib/duration.c, the one duration parser
 * of the agent, the plugins' kit and probe-report.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/duration.h"

/* d when s parses (flags), else -1. */
static double dur(const char *s, unsigned flags)
{
  double d = -1;
  return duration_parse(s, flags, &d) == 0 ? d : -1;
}

static void test_forms(void **state)
{
  (void)state;
  assert_true(dur("90", 0) == 90);
  assert_true(dur("90s", 0) == 90);
  assert_true(dur("30m", 0) == 1800);
  assert_true(dur("24h", 0) == 86400);
  assert_true(dur("1h30m", 0) == 5400);
  assert_true(dur(" 1h 30m ", 0) == 5400);
  assert_true(dur("250ms", 0) == 0.25);
  assert_true(dur("7d", 0) == 7 * 86400);
  assert_true(dur("1w", 0) == 7 * 86400);
  assert_true(dur("1.5h", 0) == 5400);
  assert_true(dur("0", 0) == 0);
}

static void test_refused(void **state)
{
  (void)state;
  double d = 42;
  assert_int_equal(duration_parse("", 0, &d), -1);
  assert_int_equal(duration_parse("   ", 0, &d), -1);
  assert_int_equal(duration_parse("-5m", 0, &d), -1);
  assert_int_equal(duration_parse("5 parsecs", 0, &d), -1);
  assert_int_equal(duration_parse("5x", 0, &d), -1);
  assert_int_equal(duration_parse("m", 0, &d), -1);
  assert_int_equal(duration_parse("nan", 0, &d), -1);
  assert_int_equal(duration_parse("inf", 0, &d), -1);
  assert_int_equal(duration_parse("1e400s", 0, &d), -1);
  assert_int_equal(duration_parse("1e308s 1e308s", 0, &d),
                   -1); /* sum overflows */
  assert_true(d == 42); /* untouched on failure */
}

static void test_unit_required(void **state)
{
  (void)state;
  assert_true(dur("90", DURATION_UNIT_REQUIRED) == -1);
  assert_true(dur("1h30", DURATION_UNIT_REQUIRED) == -1);
  assert_true(dur("1h30m", DURATION_UNIT_REQUIRED) == 5400);
  assert_true(dur("24h", DURATION_UNIT_REQUIRED) == 86400);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_forms),
      cmocka_unit_test(test_refused),
      cmocka_unit_test(test_unit_required),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
