/* SPDX-License-Identifier: Apache-2.0 */
/*
 * anchor-settings.c: the anchor plugin's entry points through the
 * probe_host double (tests/lib/mock_host), without a node or a server:
 * read_settings serves run and check_config alike (the run gives one
 * misconfigured line, check_config a config error), the table is the
 * only source of defaults, and a run over a small ledger with a node that
 * refuses connections reads the ledger and warns about the node.
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

#include "probe-plugin.h"
#include "tests/lib/mock_host.h"

extern const probe_plugin probe_plugin_entry;

/* One run on settings json: its one line's summary. */
static const char *run_summary(const char *json)
{
  assert_int_equal(mock_run(&probe_plugin_entry, json), 0);
  assert_int_equal(mock_nlines(), 1);
  return mock_line_at(0)->summary;
}

static void test_misconfigured(void **state)
{
  (void)state;
  assert_string_equal(run_summary("{\"source\": \"/nowhere\"}"),
                      "misconfigured: neither rpc_url nor rpc_urls is "
                      "configured");
  assert_int_equal(mock_line_at(0)->status, PROBE_UNKNOWN);
  assert_string_equal(run_summary("{\"source\": \"/x\", \"rpc_urls\": []}"),
                      "misconfigured: rpc_urls must be a non-empty list of "
                      "URLs");
  assert_string_equal(run_summary("{\"source\": \"/x\", \"rpc_url\": \"u\", "
                                  "\"expected_sender\": \"0x12\"}"),
                      "misconfigured: expected_sender is not 0x and 40 hex "
                      "digits");
  assert_string_equal(run_summary("{\"source\": \"/x\", \"rpc_url\": \"u\", "
                                  "\"min_confirmations\": 0}"),
                      "misconfigured: min_confirmations must be at least 1");
  assert_string_equal(run_summary("{\"source\": \"/x\", \"rpc_url\": \"u\", "
                                  "\"finality\": \"soon\"}"),
                      "misconfigured: finality must be \"auto\" or "
                      "\"confirmations\"");
  assert_string_equal(run_summary("{\"source\": \"/x\", \"rpc_url\": \"u\", "
                                  "\"wallet_other_nonces\": [-1]}"),
                      "misconfigured: wallet_other_nonces must hold "
                      "non-negative integers");
  mock_host_teardown();
}

static void test_check_config(void **state)
{
  (void)state;
  assert_int_equal(mock_check_config(&probe_plugin_entry,
                                     "{\"source\": \"/x\", \"rpc_url\": "
                                     "\"http://n\"}"),
                   0);
  assert_int_equal(mock_nconfig_errors(), 0);
  assert_int_not_equal(mock_check_config(&probe_plugin_entry,
                                         "{\"source\": \"/x\", \"rpc_url\": "
                                         "\"u\", \"window\": 0}"),
                       0);
  assert_int_equal(mock_nconfig_errors(), 1);
  assert_non_null(strstr(mock_config_error_at(0), "window must be longer"));
  mock_host_teardown();
}

/* A ledger of three events, no anchor; the node refuses connections. */
static void test_run_reads_the_ledger(void **state)
{
  char path[] = "/tmp/anchor-settings.XXXXXX", json[512];
  int fd = mkstemp(path);
  const char *h =
      "1111111111111111111111111111111111111111111111111111111111111111";
  FILE *f;
  (void)state;
  assert_true(fd >= 0);
  f = fdopen(fd, "w");
  assert_non_null(f);
  for(int i = 1; i <= 3; i++)
    fprintf(f, "{\"seq\":%d,\"type\":\"Note\",\"hash\":\"%s\"}\n", i, h);
  fclose(f);
  snprintf(json, sizeof(json),
           "{\"source\": \"%s\", \"rpc_url\": "
           "\"http://127.0.0.1:9\", \"cache\": false}",
           path);
  const char *sum = run_summary(json);
  assert_int_equal(mock_line_at(0)->status, PROBE_WARNING);
  assert_non_null(strstr(sum, "0 anchors"));
  assert_non_null(strstr(sum, "is not usable"));
  assert_string_equal(mock_detail(mock_line_at(0), "events"), "3");
  assert_string_equal(mock_detail(mock_line_at(0), "head_seq"), "3");
  assert_true(mock_metric(mock_line_at(0), "unanchored_events") == 3);
  unlink(path);
  mock_host_teardown();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_misconfigured),
      cmocka_unit_test(test_check_config),
      cmocka_unit_test(test_run_reads_the_ledger),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
