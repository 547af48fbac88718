/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib-rfc3339.c: unit tests of lib/rfc3339.c, the one RFC 3339 parser and
 * formatter: Z and z, +hh:mm and -hh:mm offsets, fractions, leap days,
 * leap seconds, and what the two old parsers (anchor, ledger) let
 * through and this one refuses.
 */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/rfc3339.h"

/* Asserts that s parses to want (within a microsecond). */
static void ok(const char *s, double want)
{
  double t = -12345;
  if(rfc3339_parse(s, &t) != 0)
    fail_msg("refused: %s", s);
  if(fabs(t - want) > 1e-6)
    fail_msg("%s: %.6f, want %.6f", s, t, want);
}

/* Asserts that s is refused and *t is left alone. */
static void bad(const char *s)
{
  double t = -12345;
  if(rfc3339_parse(s, &t) == 0)
    fail_msg("accepted: %s", s ? s : "(null)");
  assert_true(t == -12345);
}

static void test_utc(void **state)
{
  (void)state;
  ok("1970-01-01T00:00:00Z", 0);
  ok("2026-11-28T12:00:00Z", 1795867200);
  ok("2026-11-28t12:00:00z", 1795867200);
  ok("2026-11-28T12:00:00+00:00", 1795867200);
  ok("2026-11-28T12:00:00-00:00", 1795867200);
  ok("1969-12-31T23:59:59Z", -1);
  ok("2038-01-19T03:14:08Z", 2147483648.0);
}

static void test_offsets(void **state)
{
  (void)state;
  ok("2026-11-28T14:00:00+02:00", 1795867200);
  ok("2026-11-28T06:30:00-05:30", 1795867200);
  ok("2026-11-29T11:59:00+23:59", 1795867200);
  ok("2026-11-28T00:00:00-12:00", 1795867200);
}

static void test_fractions(void **state)
{
  (void)state;
  ok("2026-11-28T12:00:00.5Z", 1795867200.5);
  ok("2026-11-28T12:00:00.123Z", 1795867200.123);
  ok("2026-11-28T12:00:00.000001Z", 1795867200.000001);
  /* more than nine digits: the rest count for nothing */
  ok("2026-11-28T12:00:00.1234567899999Z", 1795867200.123456789);
  ok("2026-11-28T14:00:00.25+02:00", 1795867200.25);
}

static void test_calendar(void **state)
{
  (void)state;
  ok("2024-02-29T00:00:00Z", 1709164800);
  ok("2000-02-29T00:00:00Z", 951782400);
  bad("2023-02-29T00:00:00Z");
  bad("1900-02-29T00:00:00Z");
  bad("2026-02-30T00:00:00Z");
  bad("2026-04-31T00:00:00Z");
  ok("2026-12-31T23:59:59Z", 1798761599);
  /* a leap second counts as the next second */
  ok("2016-12-31T23:59:60Z", 1483228800);
  bad("2026-13-01T00:00:00Z");
  bad("2026-00-01T00:00:00Z");
  bad("2026-01-00T00:00:00Z");
  bad("2026-01-01T24:00:00Z");
  bad("2026-01-01T00:60:00Z");
  bad("2026-01-01T00:00:61Z");
}

/* What the old parsers accepted (sscanf's %2d, a missing end check) or
 * what is not RFC 3339 at all. */
static void test_bad(void **state)
{
  (void)state;
  bad(NULL);
  bad("");
  bad("2026-11-28");
  bad("2026-11-28T12:00:00");      /* no zone */
  bad("2026-11-28T12:00:00Zjunk"); /* ledger's parser took it */
  bad("2026-11-28T12:00:00Z ");
  bad(" 2026-11-28T12:00:00Z");
  bad("2026-11-28 12:00:00Z");
  bad("2026-1-28T12:00:00Z");
  bad("2026-11-28T1:00:00Z");
  bad("2026-11-28T+1:00:00Z"); /* sscanf read " 1"/"+1" */
  bad("2026-11-28T12:00:00.Z");
  bad("2026-11-28T12:00:00,5Z");
  bad("2026-11-28T12:00:00+0200");
  bad("2026-11-28T12:00:00+02");
  bad("2026-11-28T12:00:00+24:00");
  bad("2026-11-28T12:00:00+02:60");
  bad("2026-11-28T12:00:00UTC");
  bad("+2026-11-28T12:00:00Z");
  bad("20261128T120000Z");
}

static void test_format(void **state)
{
  (void)state;
  char buf[RFC3339_MAX];
  assert_string_equal(rfc3339_format(0, 0, buf, sizeof(buf)),
                      "1970-01-01T00:00:00Z");
  assert_string_equal(rfc3339_format(1795867200.9999, 0, buf, sizeof(buf)),
                      "2026-11-28T12:00:00Z");
  assert_string_equal(rfc3339_format(1795867200.25, 1, buf, sizeof(buf)),
                      "2026-11-28T12:00:00.250Z");
  assert_string_equal(rfc3339_format(1709164800, 1, buf, sizeof(buf)),
                      "2024-02-29T00:00:00.000Z");
  assert_string_equal(rfc3339_format(-0.5, 1, buf, sizeof(buf)),
                      "1969-12-31T23:59:59.500Z");
  assert_string_equal(rfc3339_format(NAN, 0, buf, sizeof(buf)), "");
  char small[10];
  assert_string_equal(rfc3339_format(0, 0, small, sizeof(small)), "");
  /* what is formatted parses back */
  double t;
  rfc3339_format(1795867200.5, 1, buf, sizeof(buf));
  assert_int_equal(rfc3339_parse(buf, &t), 0);
  assert_true(fabs(t - 1795867200.5) < 1e-6);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_utc),       cmocka_unit_test(test_offsets),
      cmocka_unit_test(test_fractions), cmocka_unit_test(test_calendar),
      cmocka_unit_test(test_bad),       cmocka_unit_test(test_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
