/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common-phttp.c: unit tests of plugins/common/phttp that need no server:
 * error names and the requests refused before any connection. (URLs are
 * redacted by lib/redact.c, tested in tests/unit/lib-redact.c.)
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugins/common/phttp.h"

static void test_strerror(void **state)
{
  (void)state;
  assert_string_equal(phttp_strerror(PHTTP_ERR_TIMEOUT), "timeout");
  assert_string_equal(phttp_strerror(PHTTP_OK), "ok");
}

static void test_bad_urls_refused(void **state)
{
  (void)state;
  phttp_response r;
  phttp_request q = {.method = "GET", .url = "ftp://h/x", .timeout_s = 1};
  assert_int_equal(phttp_fetch(&q, &r), PHTTP_ERR_URL);
  assert_non_null(r.body);
  assert_string_equal(r.body, "");
  phttp_response_free(&r);
  q.url = "file:///etc/passwd";
  assert_int_equal(phttp_fetch(&q, &r), PHTTP_ERR_URL);
  phttp_response_free(&r);
  q.url = "http://127.0.0.1:1/";
  q.method = "DELETE";
  assert_int_equal(phttp_fetch(&q, &r), PHTTP_ERR_OTHER);
  phttp_response_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strerror),
      cmocka_unit_test(test_bad_urls_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
