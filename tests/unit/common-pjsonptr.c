/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common-pjsonptr.c: unit tests of plugins/common/pjsonptr against the
 * examples of RFC 6901 section 5, plus malformed pointers and edge cases.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugins/common/pjsonptr.h"

/* The document of RFC 6901 section 5. */
static const char rfc_doc[] =
    "{\"foo\": [\"bar\", \"baz\"], \"\": 0, \"a/b\": 1, \"c%d\": 2, \"e^f\": 3,"
    " \"g|h\": 4, \"i\\\\j\": 5, \"k\\\"l\": 6, \" \": 7, \"m~n\": 8}";

static int setup(void **state)
{
  *state = cJSON_Parse(rfc_doc);
  return *state ? 0 : -1;
}

static int teardown(void **state)
{
  cJSON_Delete(*state);
  return 0;
}

/* Number at pointer p, or -1 when it is not a number. */
static double num_at(const cJSON *doc, const char *p)
{
  const cJSON *v = pjsonptr_get(doc, p);
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void test_rfc_examples(void **state)
{
  const cJSON *doc = *state;
  assert_ptr_equal(pjsonptr_get(doc, ""), doc);
  const cJSON *foo = pjsonptr_get(doc, "/foo");
  assert_true(cJSON_IsArray(foo));
  assert_int_equal(cJSON_GetArraySize(foo), 2);
  assert_string_equal(cJSON_GetStringValue(pjsonptr_get(doc, "/foo/0")), "bar");
  assert_string_equal(cJSON_GetStringValue(pjsonptr_get(doc, "/foo/1")), "baz");
  assert_int_equal(num_at(doc, "/"), 0);
  assert_int_equal(num_at(doc, "/a~1b"), 1);
  assert_int_equal(num_at(doc, "/c%d"), 2);
  assert_int_equal(num_at(doc, "/e^f"), 3);
  assert_int_equal(num_at(doc, "/g|h"), 4);
  assert_int_equal(num_at(doc, "/i\\j"), 5);
  assert_int_equal(num_at(doc, "/k\"l"), 6);
  assert_int_equal(num_at(doc, "/ "), 7);
  assert_int_equal(num_at(doc, "/m~0n"), 8);
}

static void test_not_found(void **state)
{
  const cJSON *doc = *state;
  assert_null(pjsonptr_get(doc, "/foo/2"));
  assert_null(pjsonptr_get(doc, "/foo/-"));
  assert_null(pjsonptr_get(doc, "/foo/01")); /* leading zero */
  assert_null(pjsonptr_get(doc, "/foo/+1"));
  assert_null(pjsonptr_get(doc, "/foo/")); /* "" is no index */
  assert_null(pjsonptr_get(doc, "/FOO"));  /* case matters */
  assert_null(pjsonptr_get(doc, "/a/b"));  /* unescaped slash */
  assert_null(pjsonptr_get(doc, "/m~n"));  /* bad escape */
  assert_null(pjsonptr_get(doc, "/m~2n"));
  assert_null(pjsonptr_get(doc, "/m~"));
  assert_null(pjsonptr_get(doc, "foo"));     /* must start with / */
  assert_null(pjsonptr_get(doc, "/a~1b/x")); /* through a number */
  assert_null(pjsonptr_get(doc, "/foo/99999999999"));
  assert_null(pjsonptr_get(doc, NULL));
  assert_null(pjsonptr_get(NULL, ""));
}

static void test_nested(void **state)
{
  (void)state;
  cJSON *d = cJSON_Parse(
      "{\"data\":{\"meta\":{\"total\":17}},\"items\":[{\"~/\":[1,2,{\"x\":3}]}]}");
  assert_non_null(d);
  assert_int_equal(num_at(d, "/data/meta/total"), 17);
  assert_int_equal(num_at(d, "/items/0/~0~1/2/x"), 3);
  assert_null(pjsonptr_get(d, "/items/0/~1~0"));
  cJSON_Delete(d);
}

static void test_valid(void **state)
{
  (void)state;
  assert_true(pjsonptr_valid(""));
  assert_true(pjsonptr_valid("/"));
  assert_true(pjsonptr_valid("/a~0~1"));
  assert_false(pjsonptr_valid("a"));
  assert_false(pjsonptr_valid("/a~"));
  assert_false(pjsonptr_valid(NULL));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_rfc_examples, setup, teardown),
      cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
      cmocka_unit_test(test_nested),
      cmocka_unit_test(test_valid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
