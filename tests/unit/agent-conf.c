/*
 * agent-conf.c: unit tests of the configuration reader: comments, line
 * numbers of members, duplicate names, value parsing, precedence of --set
 * over environment over file for the agent section, and its validation.
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

#include "conf.h"
#include "jsonc.h"

static const char sample[] =
  "{\n"
  "  // a comment with \"quotes\" and /* inside\n"
  "  \"agent\": { \"interval\": \"5m\", /* inline */ \"labels\": {\"a\": \"b\"} },\n"
  "  \"plugins\": {\n"
  "    \"ledger\": {\n"
  "      \"source\": \"http://x/y // not a comment\"\n"
  "    }\n"
  "  }\n"
  "}\n";

static void test_jsonc_lines(void **state)
{
  (void)state;
  jsonc_doc doc;
  char err[256];
  assert_int_equal(jsonc_parse(sample, strlen(sample), &doc, err, sizeof(err)), 0);
  const cJSON *src = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(doc.root, "plugins"), "ledger"), "source");
  assert_string_equal(src->valuestring, "http://x/y // not a comment");
  assert_int_equal(jsonc_line(&doc, (const char *[]){"agent"}, 1), 3);
  assert_int_equal(jsonc_line(&doc, (const char *[]){"agent", "labels"}, 2), 3);
  assert_int_equal(jsonc_line(&doc, (const char *[]){"plugins", "ledger", "source"}, 3), 6);
  assert_int_equal(jsonc_line(&doc, (const char *[]){"plugins", "nope"}, 2), 0);
  jsonc_free(&doc);
}

static void test_jsonc_errors(void **state)
{
  (void)state;
  jsonc_doc doc;
  char err[256];
  const char *trailing = "{\n  \"a\": 1,\n}\n";
  assert_int_equal(jsonc_parse(trailing, strlen(trailing), &doc, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "line 3"));
  const char *dup = "{\"a\": {\"b\": 1, \"b\": 2}}";
  assert_int_equal(jsonc_parse(dup, strlen(dup), &doc, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "\"b\" appears twice"));
  const char *open = "{ /* never closed\n}";
  assert_int_equal(jsonc_parse(open, strlen(open), &doc, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "unterminated"));
}

static void test_parse_value(void **state)
{
  (void)state;
  cJSON *v = config_parse_value("30", 0);
  assert_true(cJSON_IsNumber(v));
  cJSON_Delete(v);
  v = config_parse_value("30", 1); /* a string setting keeps the text */
  assert_true(cJSON_IsString(v));
  assert_string_equal(v->valuestring, "30");
  cJSON_Delete(v);
  v = config_parse_value("60m", 0); /* a duration, not the number 60 */
  assert_true(cJSON_IsString(v));
  assert_string_equal(v->valuestring, "60m");
  cJSON_Delete(v);
  v = config_parse_value("/backups/l.jsonl", 0);
  assert_string_equal(v->valuestring, "/backups/l.jsonl");
  cJSON_Delete(v);
  v = config_parse_value("[\"a:1\",\"b:2\"]", 0);
  assert_int_equal(cJSON_GetArraySize(v), 2);
  cJSON_Delete(v);
  v = config_parse_value("\"quoted\"", 1);
  assert_string_equal(v->valuestring, "quoted");
  cJSON_Delete(v);
}

/* Writes text to a temporary file; returns its malloc'd path. */
static char *temp_file(const char *text)
{
  char *path = strdup("/tmp/agent-conf-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return path;
}

static void test_precedence(void **state)
{
  (void)state;
  char *path = temp_file("{\"agent\": {\"timeout\": 10, \"interval\": 20, \"host\": \"file\"}}");
  char *env[] = {"PROBE_AGENT_TIMEOUT=11", "PROBE_AGENT_HOST=env", "PROBE_TEST_X=ignored", NULL};
  char *sets[] = {"agent.timeout=12"};
  config_request req = {path, 1, sets, 1, NULL, 0, "/nonexistent-plugin-dir", env};
  agent_config cfg;
  dbuf errors;
  dbuf_init(&errors, 0);
  assert_int_equal(config_load(&req, &cfg, &errors), 0);
  assert_true(cfg.timeout_s == 12);  /* --set over environment */
  assert_true(cfg.interval_s == 20); /* file over default */
  assert_string_equal(cfg.host, "env"); /* environment over file */
  assert_string_equal(cfg.output, "-"); /* default */
  config_free(&cfg);
  dbuf_free(&errors);
  unlink(path);
  free(path);
}

static void test_agent_validation(void **state)
{
  (void)state;
  char *path = temp_file("{\n\"agent\": {\n\"timeout\": \"soon\",\n\"colour\": 1\n},\n\"extra\": 1\n}\n");
  config_request req = {path, 1, NULL, 0, NULL, 0, "/nonexistent-plugin-dir", NULL};
  agent_config cfg;
  dbuf errors;
  dbuf_init(&errors, 0);
  assert_int_equal(config_load(&req, &cfg, &errors), CONFIG_EX_CONFIG);
  assert_non_null(strstr(errors.data, ":3: agent: setting \"timeout\": must be a duration"));
  assert_non_null(strstr(errors.data, ":4: agent: setting \"colour\": unknown setting"));
  assert_non_null(strstr(errors.data, ":6: unknown top-level member \"extra\""));
  dbuf_free(&errors);
  unlink(path);
  free(path);
}

static void test_bad_set(void **state)
{
  (void)state;
  char *sets[] = {"timeout=3"};
  config_request req = {NULL, 0, sets, 1, NULL, 0, "/nonexistent-plugin-dir", NULL};
  agent_config cfg;
  dbuf errors;
  dbuf_init(&errors, 0);
  assert_int_equal(config_load(&req, &cfg, &errors), CONFIG_EX_USAGE);
  assert_non_null(strstr(errors.data, "expected SECTION.KEY=VALUE"));
  dbuf_free(&errors);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_jsonc_lines),
    cmocka_unit_test(test_jsonc_errors),
    cmocka_unit_test(test_parse_value),
    cmocka_unit_test(test_precedence),
    cmocka_unit_test(test_agent_validation),
    cmocka_unit_test(test_bad_set),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
