/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report-lines.c: unit tests of probe-report's line reader's bounds
 * (report/lines.c): a line skipped past its limit and an input past its
 * total stop the reading with RL_ERR, and the message says which limit
 * and in which line. (The limits are lowered with rl_set_limits so that
 * the tests need no gigabytes.)
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "report/lines.h"

/* A reader over a temporary file holding text (n bytes). */
static rl_reader *reader_of(const char *text, size_t n)
{
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, n, f), n);
  fflush(f);
  rewind(f);
  int fd = dup(fileno(f));
  fclose(f);
  assert_true(fd >= 0);
  rl_reader *r = rl_open_fd(fd);
  assert_non_null(r);
  return r;
}

static void test_total_input(void **state)
{
  (void)state;
  char text[4096];
  size_t n = 0;
  for(int i = 0; i < 100; i++)
    n += (size_t)snprintf(text + n, sizeof(text) - n, "line %02d\n", i);
  rl_reader *r = reader_of(text, n);
  rl_set_limits(r, 0, 400); /* 50 lines of 8 bytes */
  const char *l;
  size_t len;
  int rc, lines = 0;
  while((rc = rl_next(r, &l, &len)) == RL_LINE)
    lines++;
  assert_int_equal(rc, RL_ERR);
  assert_int_equal(lines, 0); /* the whole file came in one read */
  assert_string_equal(rl_error(r), "more than 400 bytes of input (the limit), "
                                   "stopped in line 1");
  assert_int_equal(rl_next(r, &l, &len), RL_ERR); /* and stays stopped */
  rl_close(r);
}

static void test_total_input_allowed(void **state)
{
  (void)state;
  rl_reader *r = reader_of("a\nb\n", 4);
  rl_set_limits(r, 0, 4); /* exactly the limit is fine */
  const char *l;
  size_t len;
  assert_int_equal(rl_next(r, &l, &len), RL_LINE);
  assert_int_equal(rl_next(r, &l, &len), RL_LINE);
  assert_int_equal(rl_next(r, &l, &len), RL_EOF);
  rl_close(r);
}

static void test_skip_limit(void **state)
{
  (void)state;
  size_t big = RL_MAX_LINE + 200000;
  char *text = malloc(big + 8);
  assert_non_null(text);
  memcpy(text, "ok\nok\n", 6);
  memset(text + 6, 'x', big);
  text[6 + big] = '\n';
  rl_reader *r = reader_of(text, big + 7);
  rl_set_limits(r, RL_MAX_LINE + 100000, 0);
  const char *l;
  size_t len;
  assert_int_equal(rl_next(r, &l, &len), RL_LINE);
  assert_int_equal(rl_next(r, &l, &len), RL_LINE);
  assert_int_equal(rl_next(r, &l, &len), RL_ERR);
  char want[128];
  snprintf(want, sizeof(want),
           "line 3 is longer than %d bytes (the limit), stopped there",
           RL_MAX_LINE + 100000);
  assert_string_equal(rl_error(r), want);
  rl_close(r);
  /* under the skip limit the same line is skipped and reading goes on */
  memcpy(text + 6 + big - 1, "\nok", 3);
  r = reader_of(text, big + 8);
  assert_int_equal(rl_next(r, &l, &len), RL_LINE);
  assert_int_equal(rl_next(r, &l, &len), RL_LINE);
  assert_int_equal(rl_next(r, &l, &len), RL_LONG);
  assert_int_equal(rl_next(r, &l, &len), RL_LINE);
  assert_int_equal(rl_next(r, &l, &len), RL_EOF);
  rl_close(r);
  free(text);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_total_input),
      cmocka_unit_test(test_total_input_allowed),
      cmocka_unit_test(test_skip_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
