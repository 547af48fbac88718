/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deadletter-relayjson.c: unit tests of the relay response parser of the
 * deadletter plugin (plugins/deadletter/relayjson.c): counts at a pointer,
 * and the bodies it must refuse (issue 11 item 14): a member named twice,
 * where cJSON took the first and another reader the last, and text after
 * the JSON value.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "plugins/deadletter/relayjson.h"

/* relayjson_count on a C string. */
static int count_of(const char *body, const char *ptr, double *n, char *why)
{
  return relayjson_count(body, strlen(body), ptr, n, why, 200);
}

static void test_counts(void **state)
{
  (void)state;
  double n = -1;
  char why[200];
  assert_int_equal(count_of("{\"count\": 7}", "/count", &n, why), 0);
  assert_true(n == 7);
  assert_int_equal(count_of(" {\"data\": [1, 2, 3]}\r\n", "/data", &n, why), 0);
  assert_true(n == 3);
  assert_int_equal(count_of("{\"count\": -1}", "/count", &n, why), -1);
  assert_int_equal(count_of("{\"count\": \"7\"}", "/count", &n, why), -1);
}

static void test_duplicate_keys(void **state)
{
  (void)state;
  double n = -1;
  char why[200];
  assert_int_equal(count_of("{\"count\": 0, \"count\": 9}", "/count", &n, why),
                   -1);
  assert_non_null(strstr(why, "names a member twice"));
  /* also deeper, and also in a part the pointer does not look at */
  assert_int_equal(
      count_of("{\"count\": 1, \"meta\": {\"a\": 1, \"b\": 2, \"a\": 3}}",
               "/count", &n, why),
      -1);
  relay_status st;
  assert_int_equal(
      relayjson_status("{\"connected\": true, \"connected\": false}", 39,
                       "/connected", "/backlog", &st, why, sizeof(why)),
      -1);
}

static void test_trailing_garbage(void **state)
{
  (void)state;
  double n = -1;
  char why[200];
  assert_int_equal(count_of("{\"count\": 0} {\"count\": 9}", "/count", &n, why),
                   -1);
  assert_non_null(strstr(why, "text after the value"));
  assert_int_equal(count_of("{\"count\": 0}garbage", "/count", &n, why), -1);
  /* a NUL inside the length is text after the value too */
  assert_int_equal(relayjson_count("{\"count\": 0}\0x", 14, "/count", &n, why,
                                   sizeof(why)),
                   -1);
  relay_status st;
  const char *b = "{\"connected\": true}]";
  assert_int_equal(relayjson_status(b, strlen(b), "/connected", "/backlog", &st,
                                    why, sizeof(why)),
                   -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_counts),
      cmocka_unit_test(test_duplicate_keys),
      cmocka_unit_test(test_trailing_garbage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
