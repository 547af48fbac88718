/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deadletter-settings.c: the deadletter plugin's entry points through the
 * probe_host double, without a relay or server: its misconfigured lines
 * (pkit_misconfigured) and check_config, both from one read_settings.
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

static void test_misconfigured(void **state)
{
  (void)state;
  assert_int_equal(run("{}"), 0);
  assert_int_equal(mock_nlines(), 1);
  const mock_line *l = mock_line_at(0);
  assert_string_equal(l->check, "deadletter.count");
  assert_string_equal(l->target, "deadletter");
  assert_int_equal(l->status, PROBE_UNKNOWN);
  assert_string_equal(l->summary, "misconfigured: set 'url' (the relay's "
                                  "API) or 'conninfo' and 'table' (its store)");
  assert_int_equal(run("{\"conninfo\": \"host=/nowhere dbname=x\"}"), 0);
  assert_int_equal(mock_nlines(), 1);
  assert_string_equal(mock_line_at(0)->summary,
                      "misconfigured: 'conninfo' "
                      "needs 'table' (the dead-letter table)");
  mock_host_teardown();
}

static void test_check_config(void **state)
{
  (void)state;
  assert_int_equal(check("{\"url\": \"https://relay.example\"}"), 0);
  assert_int_equal(mock_nconfig_errors(), 0);
  assert_int_not_equal(check("{\"url\": \"ftp://relay\", \"count_pointer\": "
                             "\"count\"}"),
                       0);
  assert_int_equal(mock_nconfig_errors(), 2);
  assert_string_equal(mock_config_error_at(0),
                      "url: must be an http:// or https:// URL");
  assert_string_equal(mock_config_error_at(1),
                      "count_pointer: is not an "
                      "RFC 6901 JSON pointer (\"\" or /a/b, ~0 ~1 escapes)");
  assert_int_not_equal(check("{}"), 0);
  assert_string_equal(mock_config_error_at(0),
                      "set 'url' (the relay's API) "
                      "or 'conninfo' and 'table' (its store)");
  mock_host_teardown();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_misconfigured),
      cmocka_unit_test(test_check_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
