/* SPDX-License-Identifier: Apache-2.0 */
/*
 * secrets-settings.c: the secrets plugin's entry points through the
 * probe_host double: read_settings for run and check_config, and runs
 * over secret files made here (an old one, a missing one), so that the
 * emitted lines, their metrics and the age threshold are checked without
 * the agent.
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
#include <math.h>
#include <sys/stat.h>
#include <sys/time.h>
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
  assert_int_equal(check("{\"files\": [\"/run/x\"], \"env\": [\"X\"]}"), 0);
  assert_int_equal(mock_nconfig_errors(), 0);
  assert_int_not_equal(check("{\"baseline\": \"sometimes\"}"), 0);
  assert_string_equal(mock_config_error_at(0),
                      "baseline: baseline must be record, compare or off");
  assert_int_not_equal(
      check("{\"files\": [{\"path\": \"/x\", \"kind\": \"rsa\"}]}"), 0);
  assert_string_equal(
      mock_config_error_at(0),
      "files: {\"path\":\"/x\",\"kind\":\"rsa\"}: "
      "bad entry: kind must be api_key, hmac or eth_private_key");
  /* a bad env entry is the env setting's, whatever its text says */
  assert_int_not_equal(check("{\"env\": [{\"name\": \"token\"}]}"), 0);
  assert_string_equal(mock_config_error_at(0),
                      "env: {\"name\":\"token\"}: bad entry: "
                      "an env entry is a variable name or {\"env\": ...}");
  mock_host_teardown();
}

static void test_nothing_to_check(void **state)
{
  (void)state;
  assert_int_equal(run("{}"), 0);
  assert_int_equal(mock_nlines(), 1);
  assert_string_equal(mock_line_at(0)->summary,
                      "nothing to check: set secrets.files or secrets.env");
  /* a bad setting stops the run before any line */
  assert_int_not_equal(
      run("{\"unchanged_status\": \"loud\", \"env\": [\"X\"]}"), 0);
  assert_int_equal(mock_nlines(), 0);
  mock_host_teardown();
}

static void test_old_and_missing_files(void **state)
{
  (void)state;
  char dir[] = "/tmp/secrets-settings-XXXXXX", path[300], json[800];
  double w, c;
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/api.key", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "0123456789abcdef0123456789abcdef\n", 33), 33);
  close(fd);
  struct timeval tv[2];
  gettimeofday(&tv[0], NULL);
  /* an hour more than 200 days: the plugin's time(NULL) reads the coarse
   * clock, which may still be a second behind gettimeofday's (seen: "199
   * days" in a CI run) */
  tv[0].tv_sec -= 200 * 86400 + 3600;
  tv[1] = tv[0];
  assert_int_equal(utimes(path, tv), 0);
  snprintf(json, sizeof(json),
           "{\"baseline\": \"off\", \"files\": [\"%s\", \"%s/gone\"]}", path,
           dir);
  assert_int_equal(run(json), 0);
  assert_int_equal(mock_nlines(), 2);
  const mock_line *l = mock_line_at(0);
  assert_string_equal(l->check, "secrets.rotation");
  assert_string_equal(l->target, path);
  assert_int_equal(l->status, PROBE_WARNING);
  assert_string_equal(l->summary, "not rotated for 200 days (max_age_days=90)");
  assert_true(mock_metric(l, "age_days") == 200);
  assert_int_equal(mock_threshold(l, "age_seconds", &w, &c), 0);
  assert_true(w == 90 * 86400.0);
  assert_true(isnan(c));
  assert_string_equal(mock_detail(l, "mode"), "\"0600\"");
  l = mock_line_at(1);
  assert_int_equal(l->status, PROBE_CRITICAL);
  assert_non_null(strstr(l->summary, "is missing"));
  assert_string_equal(mock_detail(l, "error"), "\"missing\"");
  unlink(path);
  rmdir(dir);
  mock_host_teardown();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_check_config),
      cmocka_unit_test(test_nothing_to_check),
      cmocka_unit_test(test_old_and_missing_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
