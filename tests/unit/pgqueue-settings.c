/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pgqueue-settings.c: the pgqueue plugin's entry points through the
 * probe_host double, without a server: read_settings serves run and
 * check_config alike (the run stops at the first problem with an unknown
 * line, check_config names each), and the table is the only source of
 * defaults.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "probe-plugin.h"
#include "tests/lib/mock_host.h"

extern const probe_plugin probe_plugin_entry;

/* The plugin on settings, with the table's defaults applied. */
static int run(const char *json)
{
  return mock_run(&probe_plugin_entry, json);
}

static int check(const char *json)
{
  return mock_check_config(&probe_plugin_entry, json);
}

static void test_run_problems(void **state)
{
  (void)state;
  assert_int_equal(run("{\"table\": \"jobs\"}"), 0);
  assert_int_equal(mock_nlines(), 1);
  assert_int_equal(mock_line_at(0)->status, PROBE_UNKNOWN);
  assert_string_equal(mock_line_at(0)->summary,
                      "setting 'conninfo' is missing");
  assert_int_equal(run("{\"conninfo\": \"host=/nowhere\", \"preset\": "
                       "\"nope\"}"),
                   0);
  assert_string_equal(mock_line_at(0)->summary,
                      "unknown preset 'nope' "
                      "(generic, pgmq, pg-boss, graphile-worker, river, oban, "
                      "que, solid-queue, procrastinate)");
  assert_int_equal(run("{\"conninfo\": \"host=/nowhere\", \"table\": \"j\", "
                       "\"done_values\": [1]}"),
                   0);
  assert_string_equal(mock_line_at(0)->summary,
                      "setting 'done_values' must be a list of strings");
  mock_host_teardown();
}

static void test_check_config(void **state)
{
  (void)state;
  assert_int_equal(check("{\"conninfo\": \"host=db\", \"table\": \"jobs\"}"),
                   0);
  assert_int_equal(mock_nconfig_errors(), 0);
  assert_int_not_equal(check("{\"conninfo\": \"host=db\", \"preset\": "
                             "\"pgmq\", \"pending_values\": \"x\"}"),
                       0);
  assert_int_equal(mock_nconfig_errors(), 2);
  assert_string_equal(mock_config_error_at(0),
                      "queue: preset pgmq needs the pgmq queue name");
  assert_string_equal(mock_config_error_at(1),
                      "pending_values: must be a list of strings");
  assert_int_not_equal(check("{\"conninfo\": \"host=db\"}"), 0);
  assert_string_equal(mock_config_error_at(0),
                      "table: preset generic needs the queue table");
  assert_int_equal(mock_nlines(), 0);
  mock_host_teardown();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_run_problems),
      cmocka_unit_test(test_check_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
