/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent-util.c: unit tests of agent/util.c's growable buffer (durations
 * and UTF-8 are lib/'s: tests/unit/lib-duration.c and lib-utf8.c). (Targets are redacted by lib/redact.c: see
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
      cmocka_unit_test(test_dbuf),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
