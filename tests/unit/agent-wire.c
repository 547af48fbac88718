/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent-wire.c: unit tests of agent/wire.c, the line a plugin's run child
 * sends to the agent: what the schema accepts and refuses, what a decoded
 * line defaults to, the control kinds, and one line through a pipe.
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

#include "wire.h"

/* wire_validate_result on the JSON text s. */
static const char *check_text(const char *s)
{
  cJSON *o = cJSON_Parse(s);
  const char *why = wire_validate_result(o);
  cJSON_Delete(o);
  return why;
}

static void test_validate(void **state)
{
  (void)state;
  assert_null(
      check_text("{\"check\":\"a.b\",\"status\":\"ok\",\"summary\":\"\"}"));
  assert_null(
      check_text("{\"check\":\"a\",\"status\":\"critical\",\"summary\":\"s\","
                 "\"target\":\"t\",\"duration_ms\":1.5,\"metrics\":{\"m\":1},"
                 "\"details\":{\"x\":[1]}}"));
  assert_non_null(check_text("[]"));
  assert_non_null(check_text("{\"status\":\"ok\",\"summary\":\"\"}"));
  assert_non_null(
      check_text("{\"check\":\"A\",\"status\":\"ok\",\"summary\":\"\"}"));
  assert_non_null(
      check_text("{\"check\":\"a\",\"status\":\"bad\",\"summary\":\"\"}"));
  assert_non_null(check_text("{\"check\":\"a\",\"status\":\"ok\"}"));
  assert_non_null(check_text(
      "{\"check\":\"a\",\"status\":\"ok\",\"summary\":\"\",\"target\":1}"));
  assert_non_null(
      check_text("{\"check\":\"a\",\"status\":\"ok\",\"summary\":\"\","
                 "\"duration_ms\":-1}"));
  assert_non_null(
      check_text("{\"check\":\"a\",\"status\":\"ok\",\"summary\":\"\","
                 "\"metrics\":{\"m\":\"1\"}}"));
  assert_non_null(
      check_text("{\"check\":\"a\",\"status\":\"ok\",\"summary\":\"\","
                 "\"details\":[]}"));
  /* the check name's limit */
  char name[WIRE_MAX_CHECK + 2];
  char line[256];
  memset(name, 'a', sizeof(name) - 1);
  name[WIRE_MAX_CHECK] = '\0';
  snprintf(line, sizeof(line),
           "{\"check\":\"%s\",\"status\":\"ok\",\"summary\":\"\"}", name);
  assert_null(check_text(line));
  name[WIRE_MAX_CHECK] = 'a';
  name[WIRE_MAX_CHECK + 1] = '\0';
  snprintf(line, sizeof(line),
           "{\"check\":\"%s\",\"status\":\"ok\",\"summary\":\"\"}", name);
  assert_non_null(check_text(line));
}

static void test_decode_defaults(void **state)
{
  (void)state;
  wire_result w;
  cJSON *o = cJSON_Parse("{\"status\":\"nonsense\"}");
  wire_decode_result(o, "plug", &w);
  assert_string_equal(w.check, "plug");
  assert_null(w.target);
  assert_int_equal(w.status, PROBE_UNKNOWN);
  assert_string_equal(w.summary, "");
  assert_true(w.duration_ms == 0);
  assert_null(w.metrics);
  cJSON_Delete(o);
  o = cJSON_Parse(
      "{\"check\":\"c\",\"target\":\"t\",\"status\":\"warning\","
      "\"summary\":\"s\",\"duration_ms\":2,\"metrics\":{},\"thresholds\":{}}");
  wire_decode_result(o, "plug", &w);
  assert_string_equal(w.check, "c");
  assert_string_equal(w.target, "t");
  assert_int_equal(w.status, PROBE_WARNING);
  assert_true(w.duration_ms == 2);
  assert_non_null(w.metrics);
  assert_non_null(w.thresholds);
  assert_null(w.details);
  cJSON_Delete(o);
}

static void test_status_names(void **state)
{
  (void)state;
  for(int s = PROBE_OK; s <= PROBE_UNKNOWN; s++)
    assert_int_equal(wire_status_from_name(wire_status_name((probe_status)s)),
                     s);
  assert_string_equal(wire_status_name((probe_status)7), "unknown");
  assert_int_equal(wire_status_from_name(NULL), -1);
  assert_int_equal(wire_status_from_name("OK"), -1);
}

static void test_ctl(void **state)
{
  (void)state;
  for(int k = WIRE_CTL_FAIL; k <= WIRE_CTL_CONFIG_INVALID; k++) {
    cJSON *o = wire_ctl_new((wire_ctl)k);
    assert_non_null(o);
    assert_int_equal(wire_ctl_of(o), k);
    cJSON_Delete(o);
  }
  assert_null(wire_ctl_new(WIRE_CTL_NONE));
  cJSON *o = cJSON_Parse("{\"_ctl\":\"later\"}");
  assert_int_equal(wire_ctl_of(o), WIRE_CTL_UNKNOWN);
  cJSON_Delete(o);
  /* a _ctl that is not a string is a result line (and fails its check) */
  o = cJSON_Parse(
      "{\"_ctl\":1,\"check\":\"a\",\"status\":\"ok\",\"summary\":\"\"}");
  assert_int_equal(wire_ctl_of(o), WIRE_CTL_NONE);
  cJSON_Delete(o);
}

static void test_send(void **state)
{
  (void)state;
  int p[2];
  char buf[256];
  assert_int_equal(pipe(p), 0);
  cJSON *o = wire_ctl_new(WIRE_CTL_FAIL);
  cJSON_AddStringToObject(o, WIRE_SUMMARY, "x");
  assert_int_equal(wire_send(p[1], o), 0);
  close(p[1]);
  ssize_t n = read(p[0], buf, sizeof(buf) - 1);
  close(p[0]);
  assert_true(n > 0);
  buf[n] = '\0';
  assert_string_equal(buf, "{\"_ctl\":\"fail\",\"summary\":\"x\"}\n");
  assert_int_equal(wire_send(-1, NULL), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_validate),
      cmocka_unit_test(test_decode_defaults),
      cmocka_unit_test(test_status_names),
      cmocka_unit_test(test_ctl),
      cmocka_unit_test(test_send),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
