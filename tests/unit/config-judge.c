/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config-judge.c: unit tests of the config plugin's judge (plugins/config/
 * cjudge.c) over values made up here, no file read: expectations met and
 * unmet, the cutover flag (ITRANS_AUTO_SUBMIT_ENABLED) as env text and as
 * JSON, one_of, absent, secret values never shown, duplicates.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plugins/config/cjudge.h"

#define FLAG "ITRANS_AUTO_SUBMIT_ENABLED"

/* An expectation that FLAG equals the JSON value `want`. */
static cjudge_expect equals(cJSON *want)
{
  cjudge_expect x = {FLAG, CJ_EQUALS, want, NULL, 0};
  return x;
}

/* FLAG found as env-file text at line 3 of /etc/itrans.env. */
static cjudge_found env_text(const char *text)
{
  cjudge_found f = {text != NULL, text, NULL, "/etc/itrans.env",
                    text ? 3 : 0, 0,    0};
  return f;
}

static void test_cutover_flag_env(void **state)
{
  (void)state;
  cJSON *no = cJSON_CreateFalse(), *yes = cJSON_CreateTrue();
  cjudge_expect x = equals(no);
  cjudge_found f = env_text("false");
  cjudge_verdict v;
  cjudge_value(&x, &f, &v); /* before step 10: false, as text */
  assert_int_equal(v.st, PROBE_OK);
  assert_int_equal(v.matched, 1);
  assert_string_equal(v.text, FLAG " is \"false\" (/etc/itrans.env:3)");
  f = env_text("false # until step 10"); /* text compares whole */
  cjudge_value(&x, &f, &v);
  assert_int_equal(v.st, PROBE_CRITICAL);
  f = env_text("true"); /* turned on too early */
  cjudge_value(&x, &f, &v);
  assert_int_equal(v.st, PROBE_CRITICAL);
  assert_int_equal(v.matched, 0);
  assert_string_equal(v.text,
                      FLAG " is \"true\" (/etc/itrans.env:3), want false");
  x = equals(yes); /* after step 10 */
  cjudge_value(&x, &f, &v);
  assert_int_equal(v.st, PROBE_OK);
  f = env_text("TRUE"); /* text compares exactly */
  cjudge_value(&x, &f, &v);
  assert_int_equal(v.st, PROBE_CRITICAL);
  f = env_text(NULL);
  cjudge_value(&x, &f, &v);
  assert_int_equal(v.st, PROBE_CRITICAL);
  assert_string_equal(v.text, FLAG " is not set (/etc/itrans.env), want true");
  cJSON_Delete(no);
  cJSON_Delete(yes);
}

static void test_cutover_flag_json(void **state)
{
  (void)state;
  cJSON *yes = cJSON_CreateTrue(), *yes_text = cJSON_CreateString("true");
  cJSON *got = cJSON_CreateTrue(), *got_text = cJSON_CreateString("true");
  cjudge_expect x = equals(yes);
  cjudge_found f = {1, "true", got, "/etc/flags.json", 0, 0, 0};
  cjudge_verdict v;
  cjudge_value(&x, &f, &v);
  assert_int_equal(v.st, PROBE_OK);
  x = equals(yes_text); /* a JSON true is not the string "true" */
  cjudge_value(&x, &f, &v);
  assert_int_equal(v.st, PROBE_CRITICAL);
  f.json = got_text; /* a JSON "true" string is the boolean's text */
  x = equals(yes);
  cjudge_value(&x, &f, &v);
  assert_int_equal(v.st, PROBE_OK);
  cJSON_Delete(yes);
  cJSON_Delete(yes_text);
  cJSON_Delete(got);
  cJSON_Delete(got_text);
}

static void test_one_of_and_absent(void **state)
{
  (void)state;
  cJSON *modes = cJSON_Parse("[\"shadow\",\"live\"]");
  cjudge_expect x = {"MODE", CJ_ONE_OF, NULL, modes, 0};
  cjudge_found f = env_text("live");
  cjudge_verdict v;
  cjudge_value(&x, &f, &v);
  assert_int_equal(v.st, PROBE_OK);
  f = env_text("off");
  cjudge_value(&x, &f, &v);
  assert_int_equal(v.st, PROBE_CRITICAL);
  assert_string_equal(
      v.text,
      "MODE is \"off\" (/etc/itrans.env:3), want one of [\"shadow\",\"live\"]");
  x.kind = CJ_ABSENT;
  cjudge_value(&x, &f, &v);
  assert_int_equal(v.st, PROBE_CRITICAL);
  f = env_text(NULL);
  cjudge_value(&x, &f, &v);
  assert_int_equal(v.st, PROBE_OK);
  assert_string_equal(v.text, "MODE is not set (/etc/itrans.env), want absent");
  cJSON_Delete(modes);
}

static void test_secret_never_shown(void **state)
{
  (void)state;
  cJSON *want = cJSON_CreateString("s3cr3t-token");
  cjudge_expect x = {"API_TOKEN", CJ_EQUALS, want, NULL, 1};
  cjudge_found f = env_text("other-token");
  cjudge_verdict v;
  cjudge_value(&x, &f, &v);
  assert_int_equal(v.st, PROBE_CRITICAL);
  assert_string_equal(
      v.text,
      "API_TOKEN does not match the expected value (/etc/itrans.env:3)");
  assert_null(strstr(v.text, "token\""));
  f = env_text("s3cr3t-token");
  cjudge_value(&x, &f, &v);
  assert_int_equal(v.st, PROBE_OK);
  assert_null(strstr(v.text, "s3cr3t"));
  f = env_text(NULL);
  cjudge_value(&x, &f, &v);
  assert_string_equal(
      v.text,
      "API_TOKEN is not set (/etc/itrans.env), want the expected value");
  cJSON_Delete(want);
}

static void test_duplicates_and_show(void **state)
{
  (void)state;
  cJSON *no = cJSON_CreateFalse();
  cjudge_expect x = equals(no);
  cjudge_found f = env_text("false");
  cjudge_verdict v;
  char out[16];
  f.dups = 1;
  f.first_line = 1;
  cjudge_value(&x, &f, &v);
  assert_string_equal(v.text,
                      FLAG " is \"false\" (/etc/itrans.env:3); set 2 times, "
                           "first at line 1, the last one wins");
  cjudge_show("a\nb\x7f", out, sizeof(out));
  assert_string_equal(out, "a?b?");
  cjudge_show("0123456789abcdefghij", out, sizeof(out));
  assert_string_equal(out, "0123456789ab...");
  cJSON_Delete(no);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cutover_flag_env),
      cmocka_unit_test(test_cutover_flag_json),
      cmocka_unit_test(test_one_of_and_absent),
      cmocka_unit_test(test_secret_never_shown),
      cmocka_unit_test(test_duplicates_and_show),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
