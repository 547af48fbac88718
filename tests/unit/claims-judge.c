/* SPDX-License-Identifier: Apache-2.0 */
/*
 * claims-judge.c: unit tests of plugins/claims/cjudge, the claims.lifecycle
 * tally and verdict, over stores built from events in memory (no ledger
 * file, no MedLink, no anchor state): the percentiles and their
 * thresholds, callback success with and without MedLink, stuck, failed
 * and unanchored claims, the order of the findings, and an all-clear.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugins/claims/cjudge.h"

static cstore_conf sconf = {"claim-",
                            "ClaimSubmitted",
                            "ClaimValidated",
                            "ClaimAdjudicated",
                            "ClaimRejected",
                            "ClaimFailed",
                            "CallbackDelivered",
                            "CallbackFailed",
                            "synthetic",
                            "decision",
                            "final",
                            NULL,
                            0,
                            0,
                            0,
                            100000};

/* The plugin's defaults: 15 min window and stuck_after, 5 min callback
 * grace, 30 min anchor grace; p95 3/5 s; callbacks 0.99/0.95; failed
 * 3/10. */
static const cj_conf jconf = {900, 900, 300, 1800, 3, 5, 0.99, 0.95, 3, 10};

#define T0 1767225600.0 /* 2026-01-01T00:00:00Z */
#define NOW (T0 + 3600) /* the runs look at the ledger an hour on */

static cstore st;
static int64_t seq;
static anchors no_anchors; /* known = 0 */
static const cj_medlink no_medlink = {0, 0, NULL, NULL, 0};

/* Applies one event at time `at` (seconds since the epoch, on T0's day). */
static void ev(double at, const char *type, const char *id, const char *payload)
{
  char line[1024], ts[40];
  cst_event e;
  long ms = (long)((at - T0) * 1000 + 0.5);
  snprintf(ts, sizeof(ts), "2026-01-01T%02ld:%02ld:%02ld.%03ldZ", ms / 3600000,
           ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
  seq++;
  snprintf(line, sizeof(line),
           "{\"seq\":%lld,\"ts\":\"%s\",\"type\":\"%s\",\"aggregate_id\":"
           "\"%s\",\"payload\":{%s},\"hash\":\"%064lld\"}",
           (long long)seq, ts, type, id, payload ? payload : "",
           (long long)seq);
  assert_int_equal(cstore_apply(&st, line, strlen(line), &e), CST_OK);
}

/* A claim submitted at `at` and delivered `lat` s later. */
static void claim_done(double at, double lat, const char *id)
{
  ev(at, "ClaimSubmitted", id, NULL);
  ev(at + lat / 2, "ClaimAdjudicated", id, "\"decision\":\"approved\"");
  ev(at + lat, "CallbackDelivered", id, NULL);
}

static int setup(void **state)
{
  (void)state;
  seq = 0;
  memset(&no_anchors, 0, sizeof(no_anchors));
  return cstore_init(&st, &sconf);
}

static int teardown(void **state)
{
  (void)state;
  cstore_free(&st);
  return 0;
}

/* Tallies and judges the store at NOW into t and v. */
static void judge(const anchors *an, const cj_medlink *ml, cj_tally *t,
                  pverdict *v)
{
  pverdict_init(v);
  assert_int_equal(cj_tally_claims(&st, &jconf, an, ml, NOW, t), 0);
  cj_judge(t, &jconf, an, ml, v);
}

/* Nearest-rank percentiles of 1..20 s; p95 19 s is over 5 s: critical. */
static void test_percentiles(void **state)
{
  cj_tally t;
  pverdict v;
  char id[32];
  int i;
  (void)state;
  for(i = 1; i <= 20; i++) {
    snprintf(id, sizeof(id), "claim-%d", i);
    claim_done(NOW - 600 + i, i, id);
  }
  judge(&no_anchors, &no_medlink, &t, &v);
  assert_int_equal(t.completed, 20);
  assert_int_equal(t.nlat, 20);
  assert_true(t.p50 == 10 && t.p95 == 19 && t.p99 == 20);
  assert_int_equal(v.st, PROBE_CRITICAL);
  assert_string_equal(v.text, "p95 lifecycle 19.000 s > 5 s");
  assert_true(cj_callback_ratio(&t) == 1);
  cj_tally_free(&t);
}

/* p95 4 s: over 3, not 5: warning. Claims outside the window not counted. */
static void test_p95_warning(void **state)
{
  cj_tally t;
  pverdict v;
  (void)state;
  claim_done(NOW - 100, 4, "claim-a");
  claim_done(NOW - 2000, 60, "claim-old");
  judge(&no_anchors, &no_medlink, &t, &v);
  assert_int_equal(t.completed, 1);
  assert_int_equal(t.submitted, 1);
  assert_int_equal(v.st, PROBE_WARNING);
  assert_string_equal(v.text, "p95 lifecycle 4.000 s > 3 s");
  cj_tally_free(&t);
}

/* MedLink read: a delivered claim past the grace whose row is not done is
 * not arrived; the ratio falls to 1/2: critical. */
static void test_medlink_not_arrived(void **state)
{
  cj_tally t;
  pverdict v;
  claim *c[2];
  mlrow rows[2];
  cj_medlink ml = {1, 1, c, rows, 2};
  (void)state;
  claim_done(NOW - 800, 1, "claim-a");
  claim_done(NOW - 700, 1, "claim-b");
  memset(rows, 0, sizeof(rows));
  /* in the store's order, as claims.c fills them */
  c[0] = c[1] = NULL;
  {
    size_t b, n = 0;
    claim *x;
    for(b = 0; b < st.nb; b++)
      for(x = st.b[b]; x; x = x->next)
        c[n++] = x;
    assert_int_equal(n, 2);
  }
  rows[0].done = !strcmp(c[0]->id, "claim-a");
  rows[1].done = !rows[0].done;
  judge(&no_anchors, &ml, &t, &v);
  assert_int_equal(t.cb_ok, 1);
  assert_int_equal(t.cb_lag, 1);
  assert_int_equal(cJSON_GetArraySize(t.list[CJ_NOT_ARRIVED]), 1);
  assert_string_equal(
      cJSON_GetArrayItem(t.list[CJ_NOT_ARRIVED], 0)->valuestring, "claim-b");
  assert_int_equal(v.st, PROBE_CRITICAL);
  assert_string_equal(v.text, "callback success 0.5000 < 0.95");
  cj_tally_free(&t);
  /* MedLink could not be read: no callback finding at all */
  ml.ok = 0;
  judge(&no_anchors, &ml, &t, &v);
  assert_int_equal(v.st, PROBE_OK);
  cj_tally_free(&t);
}

/* A final callback failure counts against the ratio; decided but never
 * delivered past the grace is overdue. */
static void test_callback_failures(void **state)
{
  cj_tally t;
  pverdict v;
  (void)state;
  claim_done(NOW - 800, 1, "claim-a");
  ev(NOW - 700, "ClaimSubmitted", "claim-b", NULL);
  ev(NOW - 699, "ClaimAdjudicated", "claim-b", "\"decision\":\"denied\"");
  ev(NOW - 698, "CallbackFailed", "claim-b", "\"final\":true");
  ev(NOW - 600, "ClaimSubmitted", "claim-c", NULL);
  ev(NOW - 599, "ClaimAdjudicated", "claim-c", "\"decision\":\"approved\"");
  judge(&no_anchors, &no_medlink, &t, &v);
  assert_int_equal(t.cb_ok, 1);
  assert_int_equal(t.cb_final, 1);
  assert_int_equal(t.cb_overdue, 1);
  assert_int_equal(cj_callbacks_due(&t), 3);
  assert_int_equal(v.st, PROBE_CRITICAL);
  assert_non_null(strstr(v.text, "callback success 0.3333 < 0.95"));
  cj_tally_free(&t);
}

/* Stuck and failed claims, and the order of the findings. */
static void test_stuck_failed(void **state)
{
  cj_tally t;
  pverdict v;
  char id[32];
  int i;
  (void)state;
  ev(NOW - 1000, "ClaimSubmitted", "claim-stuck", NULL);
  for(i = 0; i < 3; i++) {
    snprintf(id, sizeof(id), "claim-f%d", i);
    ev(NOW - 500, "ClaimSubmitted", id, NULL);
    ev(NOW - 499, "ClaimFailed", id, NULL);
  }
  judge(&no_anchors, &no_medlink, &t, &v);
  assert_int_equal(t.stuck, 1);
  assert_int_equal(t.failed, 3);
  assert_int_equal(v.st, PROBE_WARNING);
  assert_string_equal(v.text,
                      "3 claims failed in the window; 1 claim stuck (not "
                      "complete 900 s after submission)");
  cj_tally_free(&t);
}

/* With confirmations known: a complete claim older than the grace and not
 * covered is unanchored; one covered is not. */
static void test_unanchored(void **state)
{
  cj_tally t;
  pverdict v;
  anchors an;
  const char *tx;
  int64_t to;
  (void)state;
  claim_done(T0 + 10, 1, "claim-a");    /* seqs 1..3 */
  claim_done(NOW - 2400, 1, "claim-b"); /* seqs 4..6 */
  memset(&an, 0, sizeof(an));
  an.known = 1;
  an.covered = 3;
  snprintf(an.tx, sizeof(an.tx), "0xabc");
  assert_true(cj_anchored_by(&an, 3, &tx, &to) && to == 3);
  assert_false(cj_anchored_by(&an, 6, &tx, &to));
  judge(&an, &no_medlink, &t, &v);
  assert_int_equal(t.unanch, 1);
  assert_string_equal(cJSON_GetArrayItem(t.list[CJ_UNANCHORED], 0)->valuestring,
                      "claim-b");
  assert_int_equal(v.st, PROBE_WARNING);
  assert_string_equal(v.text,
                      "1 complete claim older than 1800 s not anchored");
  cj_tally_free(&t);
  /* unknown confirmations: no finding */
  judge(&no_anchors, &no_medlink, &t, &v);
  assert_int_equal(t.unanch, 0);
  assert_int_equal(v.st, PROBE_OK);
  cj_tally_free(&t);
}

/* Nothing wrong: ok, and no finding text. */
static void test_all_clear(void **state)
{
  cj_tally t;
  pverdict v;
  (void)state;
  claim_done(NOW - 300, 2, "claim-a");
  ev(NOW - 10, "ClaimSubmitted", "claim-b", NULL);
  judge(&no_anchors, &no_medlink, &t, &v);
  assert_int_equal(t.submitted, 2);
  assert_int_equal(t.completed, 1);
  assert_int_equal(t.stuck, 0);
  assert_int_equal(v.st, PROBE_OK);
  assert_string_equal(v.text, "");
  cj_tally_free(&t);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_percentiles, setup, teardown),
      cmocka_unit_test_setup_teardown(test_p95_warning, setup, teardown),
      cmocka_unit_test_setup_teardown(test_medlink_not_arrived, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_callback_failures, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stuck_failed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unanchored, setup, teardown),
      cmocka_unit_test_setup_teardown(test_all_clear, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
