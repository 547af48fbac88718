/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger-plan.c: unit tests of the ledger plugin's incremental-or-full
 * choice (plugins/ledger/lplan), every branch: no checkpoint, another
 * source's, a stale one (times in the future), incremental=false, standard
 * input, compare_with, full_every, within full_budget, spaced passes due
 * and not yet due, and a budget of 0.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plugins/ledger/lplan.h"

/* A checkpoint of this source from a minute ago, whose last full pass (5
 * min ago) took 60 s of a 6 s budget per 60 s interval, so that the next
 * is due in 5 min: the plain incremental case, changed by one field per
 * test. */
static lp_input base(void)
{
  lp_input in;
  memset(&in, 0, sizeof(in));
  in.have_checkpoint = in.same_source = 1;
  in.now = 1000000;
  in.last_full = in.now - 300;
  in.last_run = in.now - 60;
  in.full_seconds = 60;
  in.interval = 60;
  in.budget = 6;
  in.full_every = 86400;
  in.incremental = 1;
  return in;
}

/* Runs lp_choose and checks full, valid, stale and the reason. */
static void expect(const lp_input *in, int full, int valid, int stale,
                   const char *why)
{
  lp_plan p;
  memset(&p, 0xff, sizeof(p));
  lp_choose(in, &p);
  assert_int_equal(p.full, full);
  assert_int_equal(p.valid, valid);
  assert_int_equal(p.stale, stale);
  if(why)
    assert_string_equal(p.why, why);
  else
    assert_null(p.why);
}

static void test_incremental(void **state)
{
  lp_input in = base();
  (void)state;
  expect(&in, 0, 1, 0, NULL);
}

static void test_no_checkpoint(void **state)
{
  lp_input in = base();
  (void)state;
  in.have_checkpoint = 0;
  expect(&in, 1, 0, 0, "no usable checkpoint");
}

static void test_other_source(void **state)
{
  lp_input in = base();
  (void)state;
  in.same_source = 0;
  expect(&in, 1, 0, 0, "no usable checkpoint");
}

/* A last_full or a last_run after now: stale, still valid (it holds the
 * ledger to its seq), full. */
static void test_stale(void **state)
{
  lp_input in = base();
  (void)state;
  in.last_full = in.now + 10;
  expect(&in, 1, 1, 1, "the checkpoint's times lie in the future");
  in = base();
  in.last_run = in.now + 10;
  expect(&in, 1, 1, 1, "the checkpoint's times lie in the future");
  /* a setting names itself even then; compare_with does not */
  in.incremental = 0;
  expect(&in, 1, 1, 1, "incremental=false");
  in.incremental = 1;
  in.comparing = 1;
  expect(&in, 1, 1, 1, "the checkpoint's times lie in the future");
}

static void test_not_incremental(void **state)
{
  lp_input in = base();
  (void)state;
  in.incremental = 0;
  expect(&in, 1, 1, 0, "incremental=false");
  in.have_checkpoint = 0;
  expect(&in, 1, 0, 0, "incremental=false");
}

static void test_stdin(void **state)
{
  lp_input in = base();
  (void)state;
  in.from_stdin = 1;
  expect(&in, 1, 1, 0, "standard input");
}

static void test_compare(void **state)
{
  lp_input in = base();
  (void)state;
  in.comparing = 1;
  expect(&in, 1, 1, 0,
         "compare_with (the copy is compared in step with a full pass)");
  in.have_checkpoint = 0;
  expect(&in, 1, 0, 0, "no usable checkpoint");
}

/* full_every has passed: full whatever the budget; 0 turns it off. */
static void test_full_every(void **state)
{
  lp_input in = base();
  (void)state;
  in.last_full = in.now - 86400;
  expect(&in, 1, 1, 0, "full_every");
  in.full_every = 0;
  in.budget = 0;
  expect(&in, 0, 1, 0, NULL);
}

/* A full pass that fits the budget runs every time. */
static void test_within_budget(void **state)
{
  lp_input in = base();
  (void)state;
  in.full_seconds = 6;
  expect(&in, 1, 1, 0, "within full_budget");
}

/* 60 s passes in a 6 s budget per 60 s interval: one every 600 s. */
static void test_spaced(void **state)
{
  lp_input in = base();
  (void)state;
  in.last_full = in.now - 599;
  expect(&in, 0, 1, 0, NULL);
  in.last_full = in.now - 600;
  expect(&in, 1, 1, 0, "spaced to keep within full_budget");
}

/* full_budget 0: only full_every. */
static void test_budget_zero(void **state)
{
  lp_input in = base();
  (void)state;
  in.budget = 0;
  in.full_seconds = 0;
  in.last_full = in.now - 86399;
  expect(&in, 0, 1, 0, NULL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_incremental),
      cmocka_unit_test(test_no_checkpoint),
      cmocka_unit_test(test_other_source),
      cmocka_unit_test(test_stale),
      cmocka_unit_test(test_not_incremental),
      cmocka_unit_test(test_stdin),
      cmocka_unit_test(test_compare),
      cmocka_unit_test(test_full_every),
      cmocka_unit_test(test_within_budget),
      cmocka_unit_test(test_spaced),
      cmocka_unit_test(test_budget_zero),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
