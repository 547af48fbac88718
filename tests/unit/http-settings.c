/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http-settings.c: the http plugin's entry points through the probe_host
 * double: read_settings for run and check_config, a misconfigured target,
 * and one target answered on loopback by a thread (an HTTP/1.0 reply, then
 * an HTTP/0.9 one), so that the emitted line, its metrics and the
 * thresholds handed to perfdata are checked without a server.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
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

static void test_nothing_and_misconfigured(void **state)
{
  (void)state;
  assert_int_equal(run("{}"), 0);
  assert_int_equal(mock_nlines(), 1);
  assert_int_equal(mock_line_at(0)->status, PROBE_UNKNOWN);
  assert_string_equal(mock_line_at(0)->summary,
                      "nothing to check: set http.targets");
  assert_int_equal(run("{\"targets\": [\"ftp://h/x\", {\"url\": \"http://h/\", "
                       "\"name\": \"f\", \"method\": \"PUT\"}]}"),
                   0);
  assert_int_equal(mock_nlines(), 2);
  assert_string_equal(mock_line_at(0)->summary,
                      "misconfigured: url must be http:// or https://, "
                      "without white space or control characters");
  assert_string_equal(mock_line_at(0)->target, "(invalid URL)");
  assert_string_equal(mock_line_at(1)->summary,
                      "misconfigured: method must be GET or POST");
  assert_string_equal(mock_detail(mock_line_at(1), "name"), "\"f\"");
  mock_host_teardown();
}

static void test_check_config(void **state)
{
  (void)state;
  assert_int_equal(check("{\"targets\": [\"http://127.0.0.1/\"]}"), 0);
  assert_int_equal(mock_nconfig_errors(), 0);
  assert_int_not_equal(check("{\"concurrency\": 0}"), 0);
  assert_string_equal(mock_config_error_at(0), "concurrency: must be 1-32");
  assert_int_not_equal(check("{\"targets\": [{\"url\": \"http://h/\", "
                             "\"expect_status\": 99}]}"),
                       0);
  assert_string_equal(mock_config_error_at(0),
                      "targets: target 1 (http://h/): "
                      "expect_status codes are 100-599");
  /* a URL the redactor cannot read as one is not echoed (fuzz-http: the
   * password after a newline and with an '=' in it was printed) */
  assert_int_not_equal(check(
                           "{\"targets\": [{\"url\": "
                           "\"h\\u00dd!ttp://u\\n:44:=:4Secr3ash@tPs:1/x\"}]}"),
                       0);
  assert_null(strstr(mock_config_error_at(0), "Secr3ash"));
  assert_non_null(strstr(mock_config_error_at(0), "(invalid URL)"));
  assert_int_not_equal(check("{\"targets\": [{\"url\": "
                             "\"http://u\\n:4:=4Secr3ash@h/\"}]}"),
                       0);
  assert_null(strstr(mock_config_error_at(0), "Secr3ash"));
  /* one no long holds: refused the same way (the cast was undefined) */
  assert_int_not_equal(check("{\"targets\": [{\"url\": \"http://h/\", "
                             "\"expect_status\": [200, 1e300]}]}"),
                       0);
  assert_string_equal(mock_config_error_at(0),
                      "targets: target 1 (http://h/): "
                      "expect_status codes are 100-599");
  mock_host_teardown();
}

/* Accepts one connection and writes the reply it was given. */
static void *serve_once(void *arg)
{
  const char *reply = ((const char **)arg)[1];
  int ls = *(int *)((void **)arg)[0], c = accept(ls, NULL, NULL);
  char buf[2048];
  if(c >= 0) {
    ssize_t got = read(c, buf, sizeof(buf));
    ssize_t w = write(c, reply, strlen(reply));
    (void)got;
    (void)w;
    close(c);
  }
  return NULL;
}

/* Runs the plugin against a loopback socket answering `reply` once. */
static void run_against(const char *reply, const char *target_extra)
{
  struct sockaddr_in sa;
  socklen_t sl = sizeof(sa);
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  pthread_t th;
  char json[256];
  void *arg[2] = {&ls, (void *)reply};
  assert_true(ls >= 0);
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
  assert_int_equal(listen(ls, 1), 0);
  assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
  snprintf(json, sizeof(json),
           "{\"targets\": [{\"url\": \"http://127.0.0.1:%u/\"%s}]}",
           ntohs(sa.sin_port), target_extra);
  assert_int_equal(pthread_create(&th, NULL, serve_once, arg), 0);
  assert_int_equal(run(json), 0);
  pthread_join(th, NULL);
  close(ls);
}

static void test_emit_and_thresholds(void **state)
{
  (void)state;
  double w, c;
  run_against("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
              ", \"max_latency\": \"30s\"");
  assert_int_equal(mock_nlines(), 1);
  const mock_line *l = mock_line_at(0);
  if(l->status == PROBE_UNKNOWN && strstr(l->summary, "libcurl")) {
    mock_host_teardown();
    skip(); /* no libcurl to load */
  }
  assert_int_equal(l->status, PROBE_OK);
  assert_string_equal(l->check, "http.endpoint");
  assert_true(mock_metric(l, "status_code") == 200);
  assert_true(mock_metric(l, "body_bytes") == 2);
  assert_int_equal(mock_threshold(l, "total_seconds", &w, &c), 0);
  assert_true(w == 30);
  assert_true(isnan(c));
  /* durations in the language of every other setting */
  run_against("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
              ", \"max_latency\": \"1m30s\"");
  assert_int_equal(mock_threshold(mock_line_at(0), "total_seconds", &w, &c), 0);
  assert_true(w == 90);
  /* without max_latency: no threshold */
  run_against("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", "");
  assert_int_equal(mock_threshold(mock_line_at(0), "total_seconds", &w, &c),
                   -1);
  mock_host_teardown();
}

static void test_http09_line(void **state)
{
  (void)state;
  run_against("hello from 1991\n", "");
  assert_int_equal(mock_nlines(), 1);
  const mock_line *l = mock_line_at(0);
  assert_int_equal(l->status, PROBE_CRITICAL);
  assert_null(strstr(l->summary, "bad URL"));
  assert_non_null(strstr(l->summary, "not an HTTP/1.x reply"));
  assert_string_equal(mock_detail(l, "error"),
                      "\"not an HTTP/1.x reply (HTTP/0.9 or garbled)\"");
  mock_host_teardown();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nothing_and_misconfigured),
      cmocka_unit_test(test_check_config),
      cmocka_unit_test(test_emit_and_thresholds),
      cmocka_unit_test(test_http09_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
