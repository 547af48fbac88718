/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config-settings.c: the config plugin's entry points through the
 * probe_host double: read_settings for run and check_config, the
 * misconfigured line, and a run over an environment file made here (the
 * cutover flag turned too early), so that the emitted line, its metric and
 * the threshold handed to perfdata are checked without the agent.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe-plugin.h"
#include "tests/lib/mock_host.h"

extern const probe_plugin probe_plugin_entry;

static int run(const char *json)
{
  return mock_run(&probe_plugin_entry, json);
}

static int check(const char *json)
{
  return mock_check_config(&probe_plugin_entry, json);
}

static void test_check_config(void **state)
{
  (void)state;
  assert_int_equal(
      check("{\"expect\": [{\"file\": \"/etc/x.env\", \"key\": \"A\", "
            "\"equals\": false}]}"),
      0);
  assert_int_equal(mock_nconfig_errors(), 0);
  assert_int_not_equal(check("{\"expect\": [{\"key\": \"A\", \"equals\": 1}]}"),
                       0);
  assert_string_equal(mock_config_error_at(0),
                      "expect: expectation 1: give exactly one "
                      "of file, configmap, url");
  assert_int_not_equal(check("{\"expect\": {\"file\": \"/x\"}}"), 0);
  assert_string_equal(mock_config_error_at(0), "expect: expect must be a list");
  mock_host_teardown();
}

static void test_nothing_and_misconfigured(void **state)
{
  (void)state;
  assert_int_equal(run("{}"), 0);
  assert_int_equal(mock_nlines(), 1);
  assert_string_equal(mock_line_at(0)->summary,
                      "nothing to check: set config.expect");
  assert_int_equal(
      run("{\"expect\": [{\"file\": \"/etc/x.env\", \"equals\": 1}]}"), 0);
  assert_int_equal(mock_nlines(), 1);
  assert_int_equal(mock_line_at(0)->status, PROBE_UNKNOWN);
  assert_string_equal(mock_line_at(0)->summary,
                      "misconfigured: expectation 1: key is required");
  mock_host_teardown();
}

static void test_flag_turned_early(void **state)
{
  (void)state;
  char path[] = "/tmp/config-settings-XXXXXX", json[600];
  double w, c;
  int fd = mkstemp(path);
  static const char env[] = "# itrans\nITRANS_AUTO_SUBMIT_ENABLED=true\n";
  assert_true(fd >= 0);
  assert_int_equal(write(fd, env, sizeof(env) - 1), (ssize_t)sizeof(env) - 1);
  close(fd);
  snprintf(json, sizeof(json),
           "{\"expect\": [{\"file\": \"%s\", \"key\": "
           "\"ITRANS_AUTO_SUBMIT_ENABLED\", \"equals\": false}]}",
           path);
  assert_int_equal(run(json), 0);
  assert_int_equal(mock_nlines(), 1);
  const mock_line *l = mock_line_at(0);
  assert_string_equal(l->check, "config.value");
  assert_int_equal(l->status, PROBE_CRITICAL);
  char want[400];
  snprintf(want, sizeof(want),
           "ITRANS_AUTO_SUBMIT_ENABLED is \"true\" (%s:2), want false", path);
  assert_string_equal(l->summary, want);
  assert_true(mock_metric(l, "matched") == 0);
  assert_int_equal(mock_threshold(l, "matched", &w, &c), 0);
  assert_true(w > c); /* alerts below: "1:" */
  assert_true(w == 1);
  assert_string_equal(mock_detail(l, "value"), "\"true\"");
  unlink(path);
  mock_host_teardown();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_check_config),
      cmocka_unit_test(test_nothing_and_misconfigured),
      cmocka_unit_test(test_flag_turned_early),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
