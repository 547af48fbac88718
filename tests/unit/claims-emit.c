/* SPDX-License-Identifier: Apache-2.0 */
/*
 * claims-emit.c: the claims plugin's entry points through the probe_host
 * double (tests/lib/mock_host), on a small ledger file the test writes
 * (the plugin does not check hashes: the ledger plugin does): the
 * lifecycle line's counts, verdict and thresholds, the misconfigured line, and
 * check_config's shared and own checks, without the agent or a server.
 */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe-plugin.h"
#include "tests/lib/mock_host.h"

extern const probe_plugin probe_plugin_entry;

static char path[] = "/tmp/claims-emit-XXXXXX";

/* Writes one event `ago` s before now to f. */
static void ev(FILE *f, int seq, double ago, const char *type, const char *id)
{
  time_t t = time(NULL) - (time_t)ago;
  struct tm tm;
  char ts[40];
  gmtime_r(&t, &tm);
  strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  fprintf(f,
          "{\"seq\":%d,\"ts\":\"%s\",\"type\":\"%s\",\"aggregate_id\":"
          "\"%s\",\"payload\":{},\"prev_hash\":\"%064d\",\"hash\":\"%064d\"}\n",
          seq, ts, type, id, seq - 1, seq);
}

/* Two claims delivered 2 s after submission, one stuck for 20 min. */
static int setup(void **state)
{
  int fd = mkstemp(path);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  (void)state;
  if(!f)
    return -1;
  ev(f, 1, 1200, "ClaimSubmitted", "claim-stuck");
  ev(f, 2, 300, "ClaimSubmitted", "claim-a");
  ev(f, 3, 299, "ClaimAdjudicated", "claim-a");
  ev(f, 4, 298, "CallbackDelivered", "claim-a");
  ev(f, 5, 200, "ClaimSubmitted", "claim-b");
  ev(f, 6, 199, "ClaimAdjudicated", "claim-b");
  ev(f, 7, 198, "CallbackDelivered", "claim-b");
  return fclose(f);
}

static int teardown(void **state)
{
  (void)state;
  mock_host_teardown();
  return unlink(path);
}

/* One full run over the ledger: its claims.lifecycle line. */
static const mock_line *lifecycle_line(void)
{
  char json[200];
  const mock_line *l;
  snprintf(json, sizeof(json), "{\"source\": \"%s\", \"incremental\": false}",
           path);
  assert_int_equal(mock_run(&probe_plugin_entry, json), 0);
  l = mock_find("claims.lifecycle");
  assert_non_null(l);
  return l;
}

/* The lifecycle line: counts, percentiles and the stuck warning. */
static void test_lifecycle(void **state)
{
  const mock_line *l = lifecycle_line();
  (void)state;
  assert_int_equal(l->status, PROBE_WARNING);
  assert_non_null(strstr(l->summary, "1 claim stuck"));
  assert_true(mock_metric(l, "events_read") == 7);
  assert_true(mock_metric(l, "claims_completed") == 2);
  assert_true(mock_metric(l, "claims_stuck") == 1);
  assert_true(mock_metric(l, "lifecycle_p95_seconds") == 2);
  assert_true(mock_metric(l, "callback_success_ratio") == 1);
  assert_string_equal(mock_detail(l, "stuck"), "[\"claim-stuck\"]");
  assert_string_equal(mock_detail(l, "full_reason"), "\"incremental=false\"");
}

/* The thresholds the judgement applied go along with their metrics (for
 * Nagios perfdata): the table's defaults here. */
static void test_thresholds(void **state)
{
  const mock_line *l = lifecycle_line();
  double w, c;
  (void)state;
  assert_int_equal(mock_threshold(l, "lifecycle_p95_seconds", &w, &c), 0);
  assert_true(w == 3 && c == 5);
  assert_int_equal(mock_threshold(l, "callback_success_ratio", &w, &c), 0);
  assert_true(w == 0.99 && c == 0.95);
  assert_int_equal(mock_threshold(l, "claims_failed", &w, &c), 0);
  assert_true(w == 2 && c == 9); /* warning at 3, critical at 10 */
  assert_int_equal(mock_threshold(l, "claims_stuck", &w, &c), 0);
  assert_true(w == 0 && isnan(c));
  assert_int_equal(mock_threshold(l, "events_read", &w, &c), -1);
}

/* A setting the run cannot use: the one misconfigured line. */
static void test_misconfigured(void **state)
{
  char json[200];
  const mock_line *l;
  (void)state;
  snprintf(json, sizeof(json), "{\"source\": \"%s\", \"first\": 3}", path);
  assert_int_equal(mock_run(&probe_plugin_entry, json), 0);
  assert_int_equal(mock_nlines(), 1);
  l = mock_line_at(0);
  assert_string_equal(l->check, "claims.lifecycle");
  assert_string_equal(l->target, "claims");
  assert_int_equal(l->status, PROBE_UNKNOWN);
  assert_string_equal(l->summary,
                      "misconfigured: first needs since, an RFC 3339 UTC time");
}

/* check_config: the shared source check (pledger_settings_check, tested
 * in ledger-settings), then the plugin's own. */
static void test_check_config(void **state)
{
  (void)state;
  assert_int_equal(mock_check_config(&probe_plugin_entry,
                                     "{\"source\": \"l.jsonl\"}"),
                   0);
  assert_int_equal(mock_nconfig_errors(), 0);
  assert_int_not_equal(mock_check_config(&probe_plugin_entry,
                                         "{\"source\": \"\", \"first\": -1}"),
                       0);
  assert_int_equal(mock_nconfig_errors(), 2);
  assert_string_equal(mock_config_error_at(0), "source: must not be empty");
  assert_string_equal(mock_config_error_at(1), "first must be 0..100000");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lifecycle),
      cmocka_unit_test(test_thresholds),
      cmocka_unit_test(test_misconfigured),
      cmocka_unit_test(test_check_config),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
