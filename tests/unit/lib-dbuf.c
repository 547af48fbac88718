/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib-dbuf.c: unit tests of lib/dbuf.c, the one growable buffer: growth,
 * the limit (nothing changes on a refused add), insert (what RLP needs),
 * printf, consume and take, and memory running out (it sticks: text built
 * piece by piece is whole or known not to be).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/dbuf.h"
#include "tests/lib/failalloc.h"

/* Appending past the first allocation keeps every byte and the NUL. */
static void test_grow(void **state)
{
  (void)state;
  dbuf b;
  dbuf_init(&b, 0);
  assert_null(b.data);
  for(int i = 0; i < 1000; i++)
    assert_int_equal(dbuf_addc(&b, (char)('a' + i % 26)), 0);
  assert_int_equal(b.len, 1000);
  assert_int_equal(b.data[1000], '\0');
  assert_int_equal(b.data[999], 'a' + 999 % 26);
  assert_int_equal(dbuf_add(&b, "\0x", 2), 0);
  assert_int_equal(b.len, 1002);
  assert_int_equal(b.data[1000], '\0');
  assert_int_equal(b.data[1001], 'x');
  dbuf_free(&b);
  assert_null(b.data);
  assert_int_equal(b.len, 0);
}

/* At the limit, an add that would pass it fails and changes nothing. */
static void test_limit(void **state)
{
  (void)state;
  dbuf b;
  dbuf_init(&b, 5);
  assert_int_equal(dbuf_addstr(&b, "abc"), 0);
  assert_int_equal(dbuf_addstr(&b, "def"), -1);
  assert_string_equal(b.data, "abc");
  assert_int_equal(dbuf_addstr(&b, "de"), 0);
  assert_string_equal(b.data, "abcde");
  assert_int_equal(dbuf_addc(&b, 'f'), -1);
  assert_int_equal(dbuf_printf(&b, "%d", 1), -1);
  assert_int_equal(dbuf_insert(&b, 0, "x", 1), -1);
  assert_string_equal(b.data, "abcde");
  /* a length that would wrap size_t */
  assert_int_equal(dbuf_add(&b, "", (size_t)-1), -1);
  dbuf_free(&b);
  assert_int_equal(b.max, 5);
}

static void test_insert(void **state)
{
  (void)state;
  dbuf b;
  dbuf_init(&b, 0);
  assert_int_equal(dbuf_insert(&b, 0, "world", 5), 0);
  assert_int_equal(dbuf_insert(&b, 0, "hello ", 6), 0);
  assert_int_equal(dbuf_insert(&b, b.len, "!", 1), 0);
  assert_int_equal(dbuf_insert(&b, 5, ",", 1), 0);
  assert_string_equal(b.data, "hello, world!");
  assert_int_equal(dbuf_insert(&b, b.len + 1, "x", 1), -1);
  assert_int_equal(dbuf_insert(&b, 3, "", 0), 0);
  assert_string_equal(b.data, "hello, world!");
  dbuf_free(&b);
}

static void test_printf_consume(void **state)
{
  (void)state;
  dbuf b;
  dbuf_init(&b, 0);
  assert_int_equal(dbuf_printf(&b, "%s=%d;", "a", 1), 0);
  char big[600];
  memset(big, 'z', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  assert_int_equal(dbuf_printf(&b, "%s", big), 0);
  assert_int_equal(b.len, 4 + 599);
  dbuf_consume(&b, 4);
  assert_string_equal(b.data, big);
  dbuf_consume(&b, 10000);
  assert_int_equal(b.len, 0);
  assert_string_equal(b.data, "");
  dbuf_reset(&b);
  assert_int_equal(b.len, 0);
  dbuf_free_wipe(&b);
  assert_null(b.data);
}

/* take hands over the data, or an empty string when nothing was added. */
static void test_take(void **state)
{
  (void)state;
  dbuf b;
  size_t n = 99;
  dbuf_init(&b, 0);
  char *s = dbuf_take(&b, &n);
  assert_non_null(s);
  assert_string_equal(s, "");
  assert_int_equal(n, 0);
  free(s);
  assert_int_equal(dbuf_addstr(&b, "kept"), 0);
  s = dbuf_take(&b, &n);
  assert_string_equal(s, "kept");
  assert_int_equal(n, 4);
  assert_null(b.data);
  assert_int_equal(b.len, 0);
  free(s);
}

/* A piece lost to memory running out: every later add fails, even one
 * that would now fit, the text is left as it was, and take gives NULL;
 * reset starts over. */
static void test_nomem_sticks(void **state)
{
  (void)state;
  dbuf b;
  char big[1000];
  memset(big, 'x', sizeof(big));
  dbuf_init(&b, 0);
  assert_int_equal(dbuf_addstr(&b, "status "), 0);
  failalloc_arm(1, 0); /* the next allocation fails, and only it */
  assert_int_equal(dbuf_add(&b, big, sizeof(big)), -1);
  failalloc_disarm();
  assert_true(failalloc_failed());
  assert_int_equal(dbuf_addstr(&b, "ok"), -1);
  assert_int_equal(dbuf_addc(&b, '\n'), -1);
  assert_int_equal(dbuf_printf(&b, "%d", 1), -1);
  assert_int_equal(dbuf_insert(&b, 0, "x", 1), -1);
  assert_string_equal(b.data, "status ");
  dbuf_reset(&b);
  assert_int_equal(dbuf_addstr(&b, "ok"), 0);
  assert_string_equal(b.data, "ok");
  failalloc_arm(1, 0);
  assert_int_equal(dbuf_add(&b, big, sizeof(big)), -1);
  failalloc_disarm();
  assert_null(dbuf_take(&b, NULL));
  assert_null(b.data); /* and the buffer is fresh again */
  assert_int_equal(dbuf_addstr(&b, "again"), 0);
  assert_string_equal(b.data, "again");
  dbuf_free(&b);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grow),   cmocka_unit_test(test_limit),
      cmocka_unit_test(test_insert), cmocka_unit_test(test_printf_consume),
      cmocka_unit_test(test_take),   cmocka_unit_test(test_nomem_sticks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
