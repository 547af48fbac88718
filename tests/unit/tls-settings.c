/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls-settings.c: the tls plugin's entry points through the probe_host
 * double, without a server: read_settings for run and check_config, a
 * run with nothing to check, and a file that is not there.
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

static void test_run(void **state)
{
  (void)state;
  assert_int_equal(run("{}"), 0);
  assert_int_equal(mock_nlines(), 1);
  assert_int_equal(mock_line_at(0)->status, PROBE_UNKNOWN);
  assert_string_equal(mock_line_at(0)->summary,
                      "nothing to check: set tls.endpoints or tls.files");
  assert_int_equal(run("{\"files\": [\"/nonexistent/tls-settings.pem\"]}"), 0);
  assert_int_equal(mock_nlines(), 1);
  const mock_line *l = mock_line_at(0);
  assert_string_equal(l->target, "/nonexistent/tls-settings.pem");
  assert_int_equal(l->status, PROBE_UNKNOWN);
  assert_non_null(strstr(l->summary, "cannot use certificate file: "));
  assert_string_equal(mock_detail(l, "kind"), "\"file\"");
  /* a bad status name stops the run before any line */
  assert_int_not_equal(run("{\"verify_failure\": \"loud\", \"files\": "
                           "[\"/x\"]}"),
                       0);
  assert_int_equal(mock_nlines(), 0);
  mock_host_teardown();
}

static void test_check_config(void **state)
{
  (void)state;
  assert_int_equal(check("{\"endpoints\": [\"example.org:443\"]}"), 0);
  assert_int_equal(mock_nconfig_errors(), 0);
  assert_int_not_equal(check("{\"weak_crypto\": \"loud\"}"), 0);
  assert_string_equal(mock_config_error_at(0),
                      "weak_crypto: weak_crypto "
                      "must be critical, warning or ignore");
  assert_int_not_equal(check("{\"concurrency\": 0}"), 0);
  assert_string_equal(mock_config_error_at(0),
                      "concurrency: concurrency must be 1-64");
  assert_int_not_equal(check("{\"endpoints\": [{\"endpoint\": \"a:1\", "
                             "\"starttls\": \"x\"}]}"),
                       0);
  assert_string_equal(mock_config_error_at(0),
                      "endpoints: a:1: bad entry: "
                      "starttls must be postgres, smtp, imap, ftp or none");
  mock_host_teardown();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_run),
      cmocka_unit_test(test_check_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
