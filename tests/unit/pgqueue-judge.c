/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pgqueue-judge.c: unit tests of pgqueue's decisions
 * (plugins/pgqueue/pgqjudge.c) without PostgreSQL: the stall and when it
 * cannot be told yet, depth held above depth_warning for depth_for, the
 * failure windows from the row and from the runs' history, completions
 * derived from rows leaving the table, and the line through the
 * probe_host double. Also the settings kit's table defaults (pkit).
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

#include "plugins/common/pkit.h"
#include "plugins/pgqueue/pgqjudge.h"
#include "tests/lib/mock_host.h"

#define T0 1800000000.0

/* The table's defaults: failed 3/10, depth 100 for 10m, stall 10m, 15m. */
static const pgq_limits LIM = {3, 10, 100, 900, 600, 600};

/* A quiet queue at time t: nothing waiting, timestamps known. */
static pgq_obs quiet(double t)
{
  pgq_obs o;
  memset(&o, 0, sizeof(o));
  o.now = t;
  o.null_last_done_age = 1;
  o.null_live = 1;
  return o;
}

static void test_ok(void **state)
{
  (void)state;
  qstate st = {0};
  pgq_obs o = quiet(T0);
  o.depth = 2;
  o.in_flight = 1;
  o.completed_win = 5;
  pgq_verdict v;
  pgq_judge(&LIM, &o, &st, &v);
  assert_int_equal(v.status, PROBE_OK);
  assert_string_equal(v.summary, "2 waiting, 1 in flight, 5 completed and 0 "
                                 "failed in the last 15m");
  assert_true(st.t == T0 && st.first == T0);
  free(st.hist);
}

static void test_stall(void **state)
{
  (void)state;
  qstate st = {0};
  pgq_obs o = quiet(T0);
  o.depth = 4;
  o.oldest_age = 900;
  pgq_verdict v;
  pgq_judge(&LIM, &o, &st, &v);
  assert_true(v.stalled);
  assert_int_equal(v.status, PROBE_CRITICAL);
  assert_string_equal(v.summary,
                      "queue stalled: 4 jobs waiting, oldest for "
                      "15m, nothing completed in 10m (stall_after=10m)");
  /* a completion 5 minutes ago: not stalled */
  o.null_last_done_age = 0;
  o.last_done_age = 300;
  pgq_judge(&LIM, &o, &st, &v);
  assert_false(v.stalled);
  assert_int_equal(v.status, PROBE_OK);
  /* work due for less than stall_after: not stalled */
  o.null_last_done_age = 1;
  o.oldest_age = 599;
  pgq_judge(&LIM, &o, &st, &v);
  assert_false(v.stalled);
  free(st.hist);
}

/* Completions only seen between runs: undecided until watched for
 * stall_after, then stalled. */
static void test_stall_undecided(void **state)
{
  (void)state;
  qstate st = {0};
  pgq_obs o = quiet(T0);
  o.depth = 4;
  o.oldest_age = 3600;
  o.null_completed_win = 1;
  pgq_verdict v;
  pgq_judge(&LIM, &o, &st, &v);
  assert_false(v.decided);
  assert_false(v.stalled);
  assert_int_equal(v.status, PROBE_OK);
  st.have = 1;
  o.now = T0 + 600;
  pgq_judge(&LIM, &o, &st, &v);
  assert_true(v.decided);
  assert_true(v.stalled);
  /* a run that saw a completion since the previous one */
  o.now = T0 + 660;
  o.have_prev = 1;
  o.completed_since = 1;
  pgq_judge(&LIM, &o, &st, &v);
  assert_false(v.stalled);
  assert_true(st.last_done == T0 + 660);
  free(st.hist);
}

static void test_depth_for(void **state)
{
  (void)state;
  qstate st = {0};
  pgq_obs o = quiet(T0);
  o.depth = 150;
  o.completed_win = 1;
  o.null_last_done_age = 0;
  pgq_verdict v;
  pgq_judge(&LIM, &o, &st, &v);
  assert_true(st.depth_high == T0);
  assert_false(v.depth_warn);
  st.have = 1;
  o.now = T0 + 599;
  pgq_judge(&LIM, &o, &st, &v);
  assert_false(v.depth_warn);
  o.now = T0 + 600;
  pgq_judge(&LIM, &o, &st, &v);
  assert_true(v.depth_warn);
  assert_int_equal(v.status, PROBE_WARNING);
  assert_string_equal(v.summary, "depth 150 above 100 for 10m or more "
                                 "(depth_warning=100, depth_for=10m)");
  /* back under: the mark is gone, the next high run starts over */
  o.depth = 100;
  o.now = T0 + 660;
  pgq_judge(&LIM, &o, &st, &v);
  assert_true(st.depth_high == 0);
  o.depth = 101;
  o.now = T0 + 720;
  pgq_judge(&LIM, &o, &st, &v);
  assert_true(st.depth_high == T0 + 720);
  assert_false(v.depth_warn);
  free(st.hist);
}

static void test_failed_window(void **state)
{
  (void)state;
  qstate st = {0};
  pgq_obs o = quiet(T0);
  o.failed_win = 3;
  pgq_verdict v;
  pgq_judge(&LIM, &o, &st, &v);
  assert_int_equal(v.status, PROBE_WARNING);
  assert_string_equal(v.summary, "3 jobs failed in the last 15m "
                                 "(failed_warning=3)");
  o.failed_win = 10;
  pgq_judge(&LIM, &o, &st, &v);
  assert_int_equal(v.status, PROBE_CRITICAL);
  assert_string_equal(v.summary, "10 jobs failed in the last 15m "
                                 "(failed_critical=10)");
  free(st.hist);
}

/* The library pruned failed rows: what earlier runs saw inside the window
 * counts, what they saw before it does not. */
static void test_history_window(void **state)
{
  (void)state;
  qstate st = {0};
  st.have = 1;
  st.first = T0 - 5000;
  st.nhist = 3;
  st.hist = calloc(3, sizeof(*st.hist));
  assert_non_null(st.hist);
  double old[5] = {T0 - 1000, 0, 7, 0, 0}; /* before the window */
  double in1[5] = {T0 - 800, 2, 2, 0, 0};
  double in2[5] = {T0 - 100, 1, 1, 0, 0};
  memcpy(st.hist[0], old, sizeof(old));
  memcpy(st.hist[1], in1, sizeof(in1));
  memcpy(st.hist[2], in2, sizeof(in2));
  pgq_obs o = quiet(T0);
  o.null_failed_win = 1;
  o.null_completed_win = 1;
  o.have_prev = 1;
  o.failed_since = 1;
  pgq_verdict v;
  pgq_judge(&LIM, &o, &st, &v);
  assert_true(v.failed == 4);
  assert_true(v.completed == 3);
  assert_int_equal(st.nhist, 3);
  assert_int_equal(v.status, PROBE_WARNING);
  /* the row's own window wins when it says more than the history */
  o.null_failed_win = 0;
  o.failed_win = 12;
  o.failed_since = 0;
  o.now = T0 + 1;
  pgq_judge(&LIM, &o, &st, &v);
  assert_true(v.failed == 12);
  assert_int_equal(v.status, PROBE_CRITICAL);
  free(st.hist);
}

/* Libraries that delete finished jobs: completions are the rows gone. */
static void test_derived(void **state)
{
  (void)state;
  qstate st = {0};
  pgq_obs o = quiet(T0);
  o.derived_completions = 1;
  o.null_live = 0;
  o.live = 10;
  o.max_id = 100;
  pgq_verdict v;
  pgq_judge(&LIM, &o, &st, &v);
  assert_false(v.derived_ready);
  st.have = 1;
  st.have_counts = 1;
  o.now = T0 + 60;
  o.live = 8;
  o.max_id = 105; /* 5 new rows, 2 fewer: 7 finished */
  pgq_judge(&LIM, &o, &st, &v);
  assert_true(v.derived_ready);
  assert_true(v.completed == 7);
  assert_true(st.last_done == T0 + 60);
  free(st.hist);
}

/* The line through the host double: status, summary, metrics, details. */
static void test_emit(void **state)
{
  (void)state;
  mock_host_setup(NULL, NULL);
  qstate st = {0};
  pgq_obs o = quiet(T0);
  o.depth = 4;
  o.oldest_age = 900;
  o.null_completed_win = 1;
  pgq_verdict v;
  pgq_judge(&LIM, &o, &st, &v);
  pgq_shown w = {"db (generic jobs)", "generic", "public.jobs", "timestamps"};
  assert_int_equal(pgq_emit(mock_ctx(), mock_host(), &w, &LIM, &o, &st, &v), 0);
  assert_int_equal(mock_nlines(), 1);
  const mock_line *l = mock_find("pgqueue.health");
  assert_non_null(l);
  assert_true(l->emitted);
  assert_string_equal(l->target, "db (generic jobs)");
  assert_int_equal(l->status, PROBE_OK);
  assert_string_equal(l->summary, "4 waiting, 0 in flight, 0 completed and 0 "
                                  "failed in the last 15m");
  assert_true(mock_metric(l, "depth") == 4);
  assert_true(mock_metric(l, "oldest_pending_age_seconds") == 900);
  assert_true(isnan(mock_metric(l, "poison")));
  assert_string_equal(mock_detail(l, "stalled"), "false");
  assert_non_null(mock_detail(l, "stall"));
  assert_string_equal(mock_detail(l, "relation"), "\"public.jobs\"");
  free(st.hist);
  mock_host_teardown();
}

/* pkit takes a setting's default from the table when the host has none,
 * and the setting when it has one. */
static void test_pkit_defaults(void **state)
{
  (void)state;
  static const probe_setting table[] = {
      {"window", PROBE_SET_DURATION, "\"15m\"", 0, ""},
      {"n", PROBE_SET_INT, "3", 0, ""},
      {"col", PROBE_SET_STRING, "\"status\"", 0, ""},
      {"list", PROBE_SET_LIST, "[\"a\",\"b\"]", 0, ""},
      {"none", PROBE_SET_STRING, NULL, 0, ""},
      {NULL, 0, NULL, 0, NULL}};
  mock_host_setup("{\"n\": 7, \"col\": \"\"}", NULL);
  pkit k;
  pkit_init(&k, mock_ctx(), mock_host(), table);
  assert_true(pkit_duration(&k, "window") == 900);
  assert_int_equal(pkit_int(&k, "n"), 7);
  assert_string_equal(pkit_str(&k, "col"), "");
  assert_null(pkit_opt(&k, "col"));
  assert_string_equal(pkit_nonempty(&k, "col"), "status");
  assert_string_equal(pkit_json(&k, "list"), "[\"a\",\"b\"]");
  assert_null(pkit_str(&k, "none"));
  assert_true(pkit_default(&k, "n") == 3);
  assert_int_equal(pkit_misconfigured(mock_ctx(), mock_host(), "x.y", "t",
                                      "'%s' needs 'b'", "a"),
                   0);
  assert_string_equal(mock_line_at(0)->summary, "misconfigured: 'a' needs 'b'");
  assert_int_equal(mock_line_at(0)->status, PROBE_UNKNOWN);
  pkit_free(&k);
  mock_host_teardown();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ok),
      cmocka_unit_test(test_stall),
      cmocka_unit_test(test_stall_undecided),
      cmocka_unit_test(test_depth_for),
      cmocka_unit_test(test_failed_window),
      cmocka_unit_test(test_history_window),
      cmocka_unit_test(test_derived),
      cmocka_unit_test(test_emit),
      cmocka_unit_test(test_pkit_defaults),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
