/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deadletter-judge.c: unit tests of deadletter's decisions
 * (plugins/deadletter/dljudge.c) without a relay or PostgreSQL: the
 * arrivals the count history shows (increases only, the window's
 * baseline, pruning), the count and rate verdicts, and both lines through
 * the probe_host double.
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

#include "plugins/deadletter/dljudge.h"
#include "tests/lib/mock_host.h"

/* 2027-01-15T08:00:00Z */
#define T0 1800000000.0

/* The table's defaults: count 1/5, rate 5 in 15m. */
static const dl_limits LIM = {1, 5, 5, 900};

static dl_count api(double count)
{
  dl_count c = {count, -1, {-1, -1, 0}, "api", "runs"};
  return c;
}

/* Adds a sample as an earlier run would have. */
static void sample(dl_hist *h, double t, double count)
{
  dl_count c = api(count);
  dl_hist_step(h, t, LIM.window, &c);
}

static void test_first_run(void **state)
{
  (void)state;
  dl_hist h = {0};
  dl_count c = api(3);
  dl_hist_step(&h, T0, LIM.window, &c);
  assert_true(c.new_in_window < 0);
  assert_int_equal(h.n, 1);
  dl_verdict v;
  dl_judge(&LIM, &c, &v);
  assert_int_equal(v.rate_status, PROBE_OK);
  assert_string_equal(v.rate_summary,
                      "no earlier count to compare with yet (first run)");
  assert_int_equal(v.count_status, PROBE_WARNING);
  assert_string_equal(v.count_summary, "3 dead letters (count_warning=1)");
  free(h.s);
}

/* Increases count, a replay that lowers the count is no arrival, and the
 * last sample before the window is the baseline. */
static void test_rate_history(void **state)
{
  (void)state;
  dl_hist h = {0};
  sample(&h, T0 - 1200, 2); /* before the window: the baseline */
  sample(&h, T0 - 600, 6);  /* +4 */
  sample(&h, T0 - 300, 1);  /* replayed: no arrival */
  dl_count c = api(4);      /* +3 */
  dl_hist_step(&h, T0, LIM.window, &c);
  assert_true(c.new_in_window == 7);
  assert_true(c.arr.first == T0 - 600);
  assert_true(c.arr.last == T0);
  assert_int_equal(h.n, 4);
  dl_verdict v;
  dl_judge(&LIM, &c, &v);
  assert_int_equal(v.rate_status, PROBE_CRITICAL);
  assert_string_equal(v.rate_summary,
                      "7 new dead letters in the last 15m "
                      "(rate_critical=5), seen 2027-01-15T07:50:00Z to "
                      "2027-01-15T08:00:00Z");
  free(h.s);
}

/* Samples older than the window and an hour are dropped; a steady count
 * has no new dead letters. */
static void test_rate_prune(void **state)
{
  (void)state;
  dl_hist h = {0};
  sample(&h, T0 - 9000, 0);
  sample(&h, T0 - 4000, 9);
  dl_count c = api(9);
  dl_hist_step(&h, T0, LIM.window, &c);
  assert_int_equal(h.n, 2);
  assert_true(c.new_in_window == 0);
  dl_verdict v;
  dl_judge(&LIM, &c, &v);
  assert_int_equal(v.rate_status, PROBE_OK);
  assert_false(v.known);
  assert_string_equal(v.rate_summary, "0 new dead letters in the last 15m");
  assert_int_equal(v.count_status, PROBE_CRITICAL);
  assert_string_equal(v.count_summary, "9 dead letters (count_critical=5)");
  free(h.s);
}

/* rate_critical is "more than": exactly 5 is ok. */
static void test_rate_bound(void **state)
{
  (void)state;
  dl_count c = {0, 5, {T0, T0, 1}, "store", "rows"};
  dl_verdict v;
  dl_judge(&LIM, &c, &v);
  assert_int_equal(v.rate_status, PROBE_OK);
  assert_int_equal(v.count_status, PROBE_OK);
  assert_string_equal(v.rate_summary, "5 new dead letters in the last 15m, "
                                      "arrived 2027-01-15T08:00:00Z");
  c.new_in_window = 6;
  dl_judge(&LIM, &c, &v);
  assert_int_equal(v.rate_status, PROBE_CRITICAL);
}

static void test_emit(void **state)
{
  (void)state;
  mock_host_setup(NULL, NULL);
  dl_count c = {2, 6, {T0 - 60, T0, 1}, "store", "rows of dl"};
  dl_verdict v;
  dl_judge(&LIM, &c, &v);
  assert_int_equal(dl_emit(mock_ctx(), mock_host(), "db (dl)", &LIM, &c, &v),
                   0);
  assert_int_equal(mock_nlines(), 2);
  const mock_line *n = mock_find("deadletter.count");
  const mock_line *r = mock_find("deadletter.rate");
  assert_non_null(n);
  assert_non_null(r);
  assert_int_equal(n->status, PROBE_WARNING);
  assert_string_equal(n->summary, "2 dead letters (count_warning=1)");
  assert_true(mock_metric(n, "dead_letters") == 2);
  assert_string_equal(mock_detail(n, "source"), "\"store\"");
  assert_int_equal(r->status, PROBE_CRITICAL);
  assert_string_equal(r->summary,
                      "6 new dead letters in the last 15m "
                      "(rate_critical=5), arrived 2027-01-15T07:59:00Z to "
                      "2027-01-15T08:00:00Z");
  assert_true(mock_metric(r, "new_in_window") == 6);
  assert_true(mock_metric(r, "last_arrival_timestamp_seconds") == T0);
  assert_string_equal(mock_detail(r, "first_arrival"),
                      "\"2027-01-15T07:59:00Z\"");
  mock_host_teardown();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_first_run),  cmocka_unit_test(test_rate_history),
      cmocka_unit_test(test_rate_prune), cmocka_unit_test(test_rate_bound),
      cmocka_unit_test(test_emit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
