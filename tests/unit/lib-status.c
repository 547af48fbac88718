/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib-status.c: unit tests of lib/status.c: the names, and the ranking
 * critical > unknown > warning > ok that the agent and the plugins share.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/status.h"

static void test_names(void **state)
{
  (void)state;
  assert_string_equal(status_name(STATUS_OK), "ok");
  assert_string_equal(status_name(STATUS_WARNING), "warning");
  assert_string_equal(status_name(STATUS_CRITICAL), "critical");
  assert_string_equal(status_name(STATUS_UNKNOWN), "unknown");
  assert_string_equal(status_name(-1), "unknown");
  assert_string_equal(status_name(4), "unknown");
  for(int s = 0; s < 4; s++)
    assert_int_equal(status_from_name(status_name(s)), s);
  assert_int_equal(status_from_name("OK"), -1);
  assert_int_equal(status_from_name("crit"), -1);
  assert_int_equal(status_from_name(""), -1);
  assert_int_equal(status_from_name(NULL), -1);
}

static void test_rank(void **state)
{
  (void)state;
  assert_int_equal(status_rank(STATUS_OK), 0);
  assert_int_equal(status_rank(STATUS_WARNING), 1);
  assert_int_equal(status_rank(STATUS_UNKNOWN), 2);
  assert_int_equal(status_rank(STATUS_CRITICAL), 3);
  assert_int_equal(status_rank(17), 2);
  for(int r = 0; r < 4; r++)
    assert_int_equal(status_rank(status_from_name(status_rank_name(r))), r);
  assert_string_equal(status_rank_name(9), "unknown");
}

static void test_worse(void **state)
{
  (void)state;
  assert_int_equal(status_worse(STATUS_OK, STATUS_WARNING), STATUS_WARNING);
  assert_int_equal(status_worse(STATUS_WARNING, STATUS_UNKNOWN),
                   STATUS_UNKNOWN);
  assert_int_equal(status_worse(STATUS_CRITICAL, STATUS_UNKNOWN),
                   STATUS_CRITICAL);
  assert_int_equal(status_worse(STATUS_UNKNOWN, STATUS_CRITICAL),
                   STATUS_CRITICAL);
  assert_int_equal(status_worse(STATUS_OK, STATUS_OK), STATUS_OK);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_rank),
      cmocka_unit_test(test_worse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
