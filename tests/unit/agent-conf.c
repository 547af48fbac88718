/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent-conf.c: unit tests of the configuration reader: comments, line
 * numbers of members, duplicate names, value parsing, precedence of --set
 * over environment over file for the agent section, and its validation:
 * error positions at the wrong character, one line per error whatever the
 * file holds, big objects in linear time, the interval floor, host and
 * labels fit for every line, FIFOs refused without blocking; a one-shot's
 * plugin stubs (sandbox needs read from the ELF file).
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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
  assert_int_equal(jsonc_parse(sample, strlen(sample), &doc, err, sizeof(err)),
                   0);
  const cJSON *src = cJSON_GetObjectItem(
      cJSON_GetObjectItem(cJSON_GetObjectItem(doc.root, "plugins"), "ledger"),
      "source");
  assert_string_equal(src->valuestring, "http://x/y // not a comment");
  assert_int_equal(jsonc_line(&doc, (const char *[]){"agent"}, 1), 3);
  assert_int_equal(jsonc_line(&doc, (const char *[]){"agent", "labels"}, 2), 3);
  assert_int_equal(
      jsonc_line(&doc, (const char *[]){"plugins", "ledger", "source"}, 3), 6);
  assert_int_equal(jsonc_line(&doc, (const char *[]){"plugins", "nope"}, 2), 0);
  jsonc_free(&doc);
}

static void test_jsonc_errors(void **state)
{
  (void)state;
  jsonc_doc doc;
  char err[256];
  /* a trailing comma is reported at the comma (line 2), not at the '}' */
  const char *trailing = "{\n  \"a\": 1,\n}\n";
  assert_int_equal(jsonc_parse(trailing, strlen(trailing), &doc, err,
                               sizeof(err)),
                   -1);
  assert_non_null(strstr(err, "line 2, column 9: trailing comma"));
  const char *dup = "{\"a\": {\"b\": 1, \"b\": 2}}";
  assert_int_equal(jsonc_parse(dup, strlen(dup), &doc, err, sizeof(err)), -1);
  assert_non_null(strstr(
      err,
      "line 1, column 16: member \"b\" given twice in one object (first at line 1, column 8)"));
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
  char *path = temp_file(
      "{\"agent\": {\"timeout\": 10, \"interval\": 20, \"host\": \"file\"}}");
  char *env[] = {"PROBE_AGENT_TIMEOUT=11", "PROBE_AGENT_HOST=env",
                 "PROBE_TEST_X=ignored", NULL};
  char *sets[] = {"agent.timeout=12"};
  config_request req = {path, 1, sets, 1, NULL, 0, "/nonexistent-plugin-dir",
                        env,  0};
  agent_config cfg;
  dbuf errors;
  dbuf_init(&errors, 0);
  assert_int_equal(config_load(&req, &cfg, &errors), 0);
  assert_true(cfg.timeout_s == 12);     /* --set over environment */
  assert_true(cfg.interval_s == 20);    /* file over default */
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
  char *path = temp_file(
      "{\n\"agent\": {\n\"timeout\": \"soon\",\n\"colour\": 1\n},\n\"extra\": 1\n}\n");
  config_request req = {path, 1, NULL, 0, NULL, 0, "/nonexistent-plugin-dir",
                        NULL, 0};
  agent_config cfg;
  dbuf errors;
  dbuf_init(&errors, 0);
  assert_int_equal(config_load(&req, &cfg, &errors), CONFIG_EX_CONFIG);
  assert_non_null(strstr(errors.data,
                         ":3: agent: setting \"timeout\": must be a duration"));
  assert_non_null(
      strstr(errors.data, ":4: agent: setting \"colour\": unknown setting"));
  assert_non_null(
      strstr(errors.data, ":6: unknown top-level member \"extra\""));
  dbuf_free(&errors);
  unlink(path);
  free(path);
}

/* Parses text expecting an error; returns it. */
static const char *parse_error(const char *text)
{
  static char err[512];
  jsonc_doc doc;
  assert_int_equal(jsonc_parse(text, strlen(text), &doc, err, sizeof(err)), -1);
  assert_null(strchr(err, '\n'));
  return err;
}

/* Issue 19 item 4: the position is the wrong character's, not where the
 * parser noticed. */
static void test_jsonc_positions(void **state)
{
  (void)state;
  /* the comma missing at the end of line 4 is at line 4, after "30" */
  const char *missing =
      "{\n  \"agent\": {\n    \"host\": \"h\",\n    \"timeout\": 30\n    \"interval\": 60\n  }\n}\n";
  assert_string_equal(
      parse_error(missing),
      "line 4, column 18: ',' missing here (before the next value at line 5, column 5)");
  assert_string_equal(
      parse_error("{\"a\": [1 2]}"),
      "line 1, column 9: ',' missing here (before the next value at line 1, column 10)");
  assert_string_equal(parse_error("{\n\"a\" 1}"),
                      "line 2, column 4: ':' missing after the member name");
  assert_string_equal(parse_error("{\"a\": [1,\n]}"),
                      "line 1, column 9: trailing comma before ']'");
  assert_string_equal(
      parse_error("{\"a\": tru}"),
      "line 1, column 7: expected a value (strings need double quotes)");
  assert_string_equal(
      parse_error("{\"a\": 1} x"),
      "line 1, column 10: text after the end of the configuration");
  assert_string_equal(
      parse_error("{\"a\": {\"b\": 1}"),
      "line 1, column 15: the file ends inside an object ('}' missing)");
  assert_string_equal(
      parse_error("{\"a\": \"x\ny\"}"),
      "line 1, column 9: line break inside a string (unterminated string, or write \\n)");
  assert_string_equal(parse_error("{\"a\": 01}"),
                      "line 1, column 7: not a number (strings need quotes)");
  assert_string_equal(
      parse_error("   "),
      "line 1, column 1: the file is empty (an empty configuration is {})");
  /* a comment between the value and the next member changes nothing */
  assert_string_equal(
      parse_error("{\"a\": 1 // no comma\n\"b\": 2}"),
      "line 1, column 8: ',' missing here (before the next value at line 2, column 1)");
}

/* Loads a configuration file of the given text; returns the status and
 * leaves the errors in *errors. */
static int load_text(const char *text, dbuf *errors, char **sets, size_t nsets)
{
  char *path = temp_file(text);
  config_request req = {
      path, 1, sets, nsets, NULL, 0, "/nonexistent-plugin-dir", NULL, 0};
  agent_config cfg;
  dbuf_init(errors, 0);
  int rc = config_load(&req, &cfg, errors);
  if(rc == 0)
    config_free(&cfg);
  unlink(path);
  free(path);
  return rc;
}

/* Every error is one line: names from the file that hold a newline, an
 * escape sequence or invalid UTF-8 are escaped. */
static void test_errors_one_line(void **state)
{
  (void)state;
  dbuf errors;
  assert_int_equal(
      load_text("{\"agent\": {\"x\\ny\": 1, \"\\u001b[2J\": 2, \"\xff\": 3}}",
                &errors, NULL, 0),
      CONFIG_EX_CONFIG);
  assert_non_null(strstr(errors.data, "setting \"x\\ny\": unknown setting"));
  assert_non_null(strstr(errors.data, "setting \"\\x1b[2J\": unknown setting"));
  assert_non_null(strstr(errors.data, "setting \"\\xff\": unknown setting"));
  size_t lines = 0;
  for(const char *p = errors.data; *p; p++)
    lines += *p == '\n';
  assert_int_equal(lines, 3);
  for(const char *p = errors.data; *p; p++)
    assert_true((unsigned char)*p >= 0x20 || *p == '\n');
  dbuf_free(&errors);
}

/* Issue 11 item 13: an object of 150,000 members took 95 s (a pairwise
 * duplicate check); now it is linear-logarithmic. The bound is generous
 * (30 s on a loaded machine) and still fails the quadratic check. */
static void test_big_object(void **state)
{
  (void)state;
  dbuf text, errors;
  dbuf_init(&text, 0);
  dbuf_addstr(&text, "{\"agent\": {\"labels\": {");
  for(int i = 0; i < 150000; i++)
    dbuf_printf(&text, "%s\"k%d\": \"v\"", i ? "," : "", i);
  dbuf_addstr(&text, "}}}");
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(load_text(text.data, &errors, NULL, 0), 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s =
      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  print_message("150,000 labels loaded in %.3f s\n", s);
  assert_true(s < 30);
  dbuf_free(&errors);
  /* the same with one name given twice at the end: found, with its line */
  text.len -= 3;
  text.data[text.len] = '\0';
  dbuf_addstr(&text, ",\n\"k7\": \"again\"}}}");
  assert_int_equal(load_text(text.data, &errors, NULL, 0), CONFIG_EX_CONFIG);
  assert_non_null(
      strstr(errors.data, "line 2, column 1: member \"k7\" given twice"));
  dbuf_free(&errors);
  /* 150,000 unknown settings: refused at once, 20 of them named */
  dbuf_reset(&text);
  dbuf_addstr(&text, "{\"agent\": {");
  for(int i = 0; i < 150000; i++)
    dbuf_printf(&text, "%s\"k%d\": 1", i ? "," : "", i);
  dbuf_addstr(&text, "}}");
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(load_text(text.data, &errors, NULL, 0), CONFIG_EX_CONFIG);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  print_message("150,000 unknown settings refused in %.3f s\n", s);
  assert_true(s < 30);
  assert_non_null(strstr(errors.data, "149980 more problems not shown"));
  dbuf_free(&errors);
  dbuf_free(&text);
}

/* Issue 19 item 5: intervals below 1 s are refused, agent and plugin. */
static void test_interval_floor(void **state)
{
  (void)state;
  dbuf errors;
  assert_int_equal(load_text("{\"agent\": {\"interval\": 0}}", &errors, NULL,
                             0),
                   CONFIG_EX_CONFIG);
  assert_non_null(
      strstr(errors.data,
             "setting \"interval\": must be at least 1 s (got 0 s)"));
  dbuf_free(&errors);
  char *sets[] = {"agent.interval=0.5"};
  assert_int_equal(load_text("{}", &errors, sets, 1), CONFIG_EX_CONFIG);
  assert_non_null(strstr(
      errors.data,
      "--set agent.interval: agent: setting \"interval\": must be at least 1 s"));
  dbuf_free(&errors);
  assert_int_equal(load_text("{\"agent\": {\"interval\": \"1s\"}}", &errors,
                             NULL, 0),
                   0);
  dbuf_free(&errors);
}

/* Issue 11 item 13: the host name and labels go into every line, so they
 * must be valid UTF-8 without control characters. */
static void test_host_labels(void **state)
{
  (void)state;
  dbuf errors;
  assert_int_equal(load_text("{\"agent\": {\"host\": \"h\xc3\"}}", &errors,
                             NULL, 0),
                   CONFIG_EX_CONFIG);
  assert_non_null(
      strstr(errors.data,
             "setting \"host\": must be a non-empty name in valid UTF-8"));
  dbuf_free(&errors);
  assert_int_equal(
      load_text("{\"agent\": {\"labels\": {\"svc\": \"med\xfflink\"}}}",
                &errors, NULL, 0),
      CONFIG_EX_CONFIG);
  assert_non_null(
      strstr(errors.data,
             "label \"svc\": names and values must be valid UTF-8"));
  dbuf_free(&errors);
  assert_int_equal(load_text("{\"agent\": {\"labels\": {\"svc\": \"a\\nb\"}}}",
                             &errors, NULL, 0),
                   CONFIG_EX_CONFIG);
  dbuf_free(&errors);
  assert_int_equal(
      load_text(
          "{\"agent\": {\"host\": \"h\xc3\xa9te\", \"labels\": {\"z\xc3\xbcrich\": \"ok\"}}}",
          &errors, NULL, 0),
      0);
  dbuf_free(&errors);
}

static void on_alarm(int sig)
{
  (void)sig;
  static const char msg[] = "util_read_file blocked on a FIFO\n";
  ssize_t w = write(2, msg, sizeof(msg) - 1);
  (void)w;
  _exit(1);
}

/* Issue 11 item 13: -c FIFO must not block; it is not a regular file. */
static void test_fifo(void **state)
{
  (void)state;
  char path[] = "/tmp/agent-conf-fifo-XXXXXX";
  assert_non_null(mkdtemp(path));
  char fifo[64];
  snprintf(fifo, sizeof(fifo), "%s/f", path);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  signal(SIGALRM, on_alarm);
  alarm(20);
  char *text = NULL;
  size_t len = 0;
  errno = 0;
  assert_int_equal(util_read_file(fifo, 1024, &text, &len), -1);
  assert_int_equal(errno, EINVAL);
  config_request req = {fifo, 1, NULL, 0, NULL, 0, "/nonexistent-plugin-dir",
                        NULL, 0};
  agent_config cfg;
  dbuf errors;
  dbuf_init(&errors, 0);
  assert_int_equal(config_load(&req, &cfg, &errors), CONFIG_EX_CONFIG);
  assert_non_null(
      strstr(errors.data,
             "/f: cannot read the configuration: not a regular file"));
  dbuf_free(&errors);
  alarm(0);
  unlink(fifo);
  rmdir(path);
}

static void test_bad_set(void **state)
{
  (void)state;
  char *sets[] = {"timeout=3"};
  config_request req = {NULL, 0, sets, 1, NULL, 0, "/nonexistent-plugin-dir",
                        NULL, 0};
  agent_config cfg;
  dbuf errors;
  dbuf_init(&errors, 0);
  assert_int_equal(config_load(&req, &cfg, &errors), CONFIG_EX_USAGE);
  assert_non_null(strstr(errors.data, "expected SECTION.KEY=VALUE"));
  dbuf_free(&errors);
}

/* A one-shot's stub reads the sandbox needs from the plugin's ELF file,
 * without loading it (loader_stub): what each test plugin declares, the
 * default without (or with a version-0) declaration, the error of a
 * missing plugin, and -1 for a file that is not a shared object (the
 * agent then describes it in a child). */
static void test_stub_needs(void **state)
{
  (void)state;
  const char *dir = getenv("PROBE_TEST_PLUGIN_DIR");
  if(!dir)
    skip();
  static const struct {
    const char *name;
    unsigned needs;
  } want[] = {
      {"sbnonet", 0},
      {"sbprog", PROBE_NEEDS_NETWORK | PROBE_NEEDS_PROGRAMS},
      {"sbroot", PROBE_NEEDS_ROOT},
      {"sbprobe", PROBE_NEEDS_NETWORK},
      {"echo", PROBE_NEEDS_NETWORK},
      {"leak", PROBE_NEEDS_PROGRAMS},
  };
  plugin_desc d;
  for(size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    assert_int_equal(loader_stub(dir, want[i].name, &d), 0);
    assert_null(d.error);
    assert_true(d.lazy);
    assert_string_equal(d.name, want[i].name);
    assert_non_null(strstr(d.path, "/.libs/"));
    if(d.needs != want[i].needs)
      fail_msg("%s: needs 0x%x, expected 0x%x", want[i].name, d.needs,
               want[i].needs);
    plugin_desc_free(&d);
  }
  assert_int_equal(loader_stub(dir, "nosuch", &d), 0);
  assert_non_null(d.error);
  assert_non_null(strstr(d.error, "no plugin \"nosuch\""));
  assert_false(d.lazy);
  plugin_desc_free(&d);

  char tmp[] = "/tmp/agent-conf-stub.XXXXXX";
  char file[sizeof(tmp) + 16];
  assert_non_null(mkdtemp(tmp));
  snprintf(file, sizeof(file), "%s/text.so", tmp);
  FILE *f = fopen(file, "w");
  assert_non_null(f);
  fputs("not an ELF file at all, but long enough to be read as a header\n", f);
  fclose(f);
  assert_int_equal(loader_stub(tmp, "text", &d), -1);
  unlink(file);
  rmdir(tmp);
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
      cmocka_unit_test(test_jsonc_positions),
      cmocka_unit_test(test_errors_one_line),
      cmocka_unit_test(test_big_object),
      cmocka_unit_test(test_interval_floor),
      cmocka_unit_test(test_host_labels),
      cmocka_unit_test(test_fifo),
      cmocka_unit_test(test_stub_needs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
