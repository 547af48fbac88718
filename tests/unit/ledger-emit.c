/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger-emit.c: the ledger plugin's entry points through the probe_host
 * double (tests/lib/mock_host), on the shared vector files, without the
 * agent or a server: the line a full pass emits, the incremental line of
 * the next run (the plan, lplan.h, seen from outside), a broken ledger's
 * critical line, the missing source, and check_config's shared checks
 * (pledger_settings.h).
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
#include <unistd.h>

#include <cmocka.h>

#include "probe-plugin.h"
#include "tests/lib/mock_host.h"

extern const probe_plugin probe_plugin_entry;

#define VECTORS TOP_SRCDIR "/tests/vectors/"

/* Runs the plugin on the settings (with a state directory when dir is not
 * NULL) and returns its ledger.chain line. */
static const mock_line *chain_in(const char *json, const char *dir)
{
  const mock_line *l;
  mock_host_setup(json, probe_plugin_entry.settings);
  mock_set_state_dir(dir);
  assert_int_equal(probe_plugin_entry.run(mock_ctx(), mock_host()), 0);
  l = mock_find("ledger.chain");
  assert_non_null(l);
  assert_true(l->emitted);
  return l;
}

/* The same without a state directory. */
static const mock_line *chain(const char *json)
{
  return chain_in(json, NULL);
}

/* A full pass over the 300 valid events, then an incremental run that
 * reads nothing new, both through the state directory. */
static void test_full_then_incremental(void **state)
{
  char dir[] = "/tmp/ledger-emit-XXXXXX";
  const mock_line *l;
  (void)state;
  assert_non_null(mkdtemp(dir));
  l = chain_in("{\"source\": \"" VECTORS "ledger-valid.jsonl\"}", dir);
  assert_int_equal(l->status, PROBE_OK);
  assert_non_null(strstr(l->summary, "ledger intact: whole ledger verified, "
                                     "300 events"));
  assert_string_equal(mock_detail(l, "mode"), "\"full\"");
  assert_string_equal(mock_detail(l, "full_reason"),
                      "\"no usable checkpoint\"");
  assert_true(mock_metric(l, "head_seq") == 300);
  assert_true(mock_metric(l, "verified_events") == 300);
  l = chain_in("{\"source\": \"" VECTORS "ledger-valid.jsonl\", "
               "\"full_budget\": 0}",
               dir);
  assert_int_equal(l->status, PROBE_OK);
  assert_string_equal(mock_detail(l, "mode"), "\"incremental\"");
  assert_null(mock_detail(l, "full_reason"));
  assert_true(mock_metric(l, "verified_events") == 0);
  assert_true(mock_metric(l, "appended_events") == 0);
  mock_host_teardown();
  {
    char path[sizeof(dir) + 32];
    snprintf(path, sizeof(path), "%s/checkpoint.json", dir);
    unlink(path);
    rmdir(dir);
  }
}

/* The first bad event of a broken vector: critical, with its seq. */
static void test_broken(void **state)
{
  const mock_line *l;
  (void)state;
  l = chain("{\"source\": \"" VECTORS "ledger-broken-payload.jsonl\"}");
  assert_int_equal(l->status, PROBE_CRITICAL);
  assert_string_equal(mock_detail(l, "reason"), "\"hash_mismatch\"");
  assert_true(mock_metric(l, "verified_head_seq") == 40);
  assert_string_equal(mock_detail(l, "first_bad_seq"), "41");
  mock_host_teardown();
}

/* No source (a host that does not enforce "required"): unknown. */
static void test_no_source(void **state)
{
  const mock_line *l;
  (void)state;
  l = chain("{}");
  assert_int_equal(l->status, PROBE_UNKNOWN);
  assert_string_equal(l->summary, "no ledger source configured");
  mock_host_teardown();
}

/* check_config: the shared source checks and the ledger's own. */
static void test_check_config(void **state)
{
  (void)state;
  assert_int_equal(mock_check_config(&probe_plugin_entry,
                                     "{\"source\": \"l.jsonl\"}"),
                   0);
  assert_int_equal(mock_nconfig_errors(), 0);
  assert_int_not_equal(mock_check_config(&probe_plugin_entry,
                                         "{\"source\": \"\", "
                                         "\"max_line_bytes\": 100, "
                                         "\"threads\": 65}"),
                       0);
  assert_int_equal(mock_nconfig_errors(), 3);
  assert_string_equal(mock_config_error_at(0), "source: must not be empty");
  assert_string_equal(mock_config_error_at(1),
                      "max_line_bytes: must be at least 256");
  assert_string_equal(mock_config_error_at(2), "threads: must be 0..64");
  mock_host_teardown();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_then_incremental),
      cmocka_unit_test(test_broken),
      cmocka_unit_test(test_no_source),
      cmocka_unit_test(test_check_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
