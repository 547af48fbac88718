/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http-judge.c: unit tests of the http plugin's judge (plugins/http/
 * hjudge.c) over replies made up here, no server: expected status codes,
 * JSON pointer assertions, the latency threshold, unhealthy_for; and how
 * phttp names an HTTP/0.9 reply (a loopback socket in a thread answers
 * without a status line).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugins/http/hjudge.h"

/* An expectation of status 200 and no assertion, latency off. */
static hjudge_expect plain(void)
{
  hjudge_expect x;
  memset(&x, 0, sizeof(x));
  x.status[0] = 200;
  x.nstatus = 1;
  x.max_latency = -1;
  return x;
}

/* A successful reply with this status and body. */
static hjudge_reply reply(long status, const char *body, double elapsed)
{
  hjudge_reply r = {PHTTP_OK, "", status, body, body ? strlen(body) : 0,
                    elapsed};
  return r;
}

static void test_status_expected(void **state)
{
  (void)state;
  hjudge_expect x = plain();
  hjudge_reply r = reply(200, "", 0.01);
  hjudge_verdict v;
  hjudge_reply_judge(&x, &r, &v);
  assert_int_equal(v.v.st, PROBE_OK);
  assert_int_equal(v.failed, 0);
  r.status = 503;
  hjudge_reply_judge(&x, &r, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_int_equal(v.failed, 1);
  assert_string_equal(v.v.text, "HTTP 503, expected 200");
  x.status[1] = 503;
  x.nstatus = 2;
  hjudge_reply_judge(&x, &r, &v);
  assert_int_equal(v.v.st, PROBE_OK);
  r.status = 204;
  hjudge_reply_judge(&x, &r, &v);
  assert_string_equal(v.v.text, "HTTP 204, expected 200,503");
}

static void test_fetch_failure(void **state)
{
  (void)state;
  hjudge_expect x = plain();
  hjudge_reply r = {PHTTP_ERR_TIMEOUT, "timed out after 3.0 s", 0, "", 0, 3};
  hjudge_verdict v;
  hjudge_reply_judge(&x, &r, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_int_equal(v.failed, 1);
  assert_string_equal(v.v.text, "timeout: timed out after 3.0 s");
}

/* An expectation with one assertion of this kind at pointer p. */
static void with_assertion(hjudge_expect *x, hjudge_assertion *a, const char *p,
                           hjudge_kind k, const char *want)
{
  a->pointer = (char *)p;
  a->kind = k;
  a->want = cJSON_Parse(want);
  assert_non_null(a->want);
  x->as = a;
  x->nas = 1;
}

static void test_json_assertions(void **state)
{
  (void)state;
  hjudge_expect x = plain();
  hjudge_assertion a;
  hjudge_verdict v;
  hjudge_reply r = reply(200, "{\"status\":\"intact\",\"lag\":4}", 0.01);
  with_assertion(&x, &a, "/status", HJ_EQUALS, "\"intact\"");
  hjudge_reply_judge(&x, &r, &v);
  assert_int_equal(v.v.st, PROBE_OK);
  r.body = "{\"status\":\"broken\"}";
  r.len = strlen(r.body);
  hjudge_reply_judge(&x, &r, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_int_equal(v.failed, 1);
  assert_string_equal(v.v.text,
                      "/status is \"broken\", want equals \"intact\"");
  cJSON_Delete(a.want);

  r = reply(200, "{\"lag\":4}", 0.01);
  with_assertion(&x, &a, "/lag", HJ_MAX, "3");
  hjudge_reply_judge(&x, &r, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  cJSON_Delete(a.want);
  with_assertion(&x, &a, "/lag", HJ_MIN, "4");
  hjudge_reply_judge(&x, &r, &v);
  assert_int_equal(v.v.st, PROBE_OK);
  cJSON_Delete(a.want);
  with_assertion(&x, &a, "/lag", HJ_ONE_OF, "[1,2,4]");
  hjudge_reply_judge(&x, &r, &v);
  assert_int_equal(v.v.st, PROBE_OK);
  cJSON_Delete(a.want);
  with_assertion(&x, &a, "/missing", HJ_MIN, "0");
  hjudge_reply_judge(&x, &r, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_non_null(strstr(v.v.text, "/missing is missing"));
  cJSON_Delete(a.want);
}

/* A long value is cut before its "...", never inside a UTF-8 sequence
 * (found by fuzz-http: the summary ended a character short of valid). */
static void test_long_value_cut(void **state)
{
  (void)state;
  char body[200] = "{\"status\":\"", want[200] = "/status is \"";
  for(int i = 0; i < 60; i++)
    strcat(body, "\xc3\xa9");
  strcat(body, "\"}");
  for(int i = 0; i < 37; i++)
    strcat(want, "\xc3\xa9");
  strcat(want, "..., want equals \"intact\"");
  hjudge_expect x = plain();
  hjudge_assertion a;
  hjudge_verdict v;
  hjudge_reply r = reply(200, body, 0.01);
  with_assertion(&x, &a, "/status", HJ_EQUALS, "\"intact\"");
  hjudge_reply_judge(&x, &r, &v);
  assert_string_equal(v.v.text, want);
  cJSON_Delete(a.want);
}

static void test_body_not_json(void **state)
{
  (void)state;
  hjudge_expect x = plain();
  hjudge_assertion a;
  hjudge_verdict v;
  hjudge_reply r = reply(200, "<html>", 0.01);
  with_assertion(&x, &a, "/status", HJ_EQUALS, "\"intact\"");
  hjudge_reply_judge(&x, &r, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_string_equal(v.v.text, "body is not valid JSON");
  /* the body is not judged when the status is already wrong */
  r.status = 500;
  hjudge_reply_judge(&x, &r, &v);
  assert_string_equal(v.v.text, "HTTP 500, expected 200");
  cJSON_Delete(a.want);
}

static void test_latency(void **state)
{
  (void)state;
  hjudge_expect x = plain();
  hjudge_verdict v;
  hjudge_reply r = reply(200, "", 0.7);
  hjudge_reply_judge(&x, &r, &v);
  assert_int_equal(v.v.st, PROBE_OK); /* off */
  x.max_latency = 0.5;
  hjudge_reply_judge(&x, &r, &v);
  assert_int_equal(v.v.st, PROBE_WARNING);
  assert_int_equal(v.failed, 0); /* slow is not down: no unhealthy_for */
  assert_string_equal(v.v.text, "took 700 ms (max_latency=500 ms)");
  r.elapsed_s = 0.5;
  hjudge_reply_judge(&x, &r, &v);
  assert_int_equal(v.v.st, PROBE_OK);
  r.status = 500;
  r.elapsed_s = 0.9;
  hjudge_reply_judge(&x, &r, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL); /* worst wins */
}

static void test_unhealthy_for(void **state)
{
  (void)state;
  hjudge_expect x = plain();
  hjudge_verdict v;
  hjudge_reply r = reply(500, "", 0.01);
  hjudge_reply_judge(&x, &r, &v);
  hjudge_soften(&v, 1, 1000, 1030, 60, "T");
  assert_int_equal(v.v.st, PROBE_WARNING);
  assert_string_equal(v.v.text, "HTTP 500, expected 200; failing since T, "
                                "for 30 s (unhealthy_for=60 s)");
  hjudge_reply_judge(&x, &r, &v);
  hjudge_soften(&v, 1, 1000, 1060, 60, "T");
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_string_equal(v.v.text,
                      "HTTP 500, expected 200; failing since T, for 60 s");
  hjudge_reply_judge(&x, &r, &v);
  hjudge_soften(&v, 0, 1000, 1030, 60, "T");
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_non_null(strstr(v.v.text, "unhealthy_for needs a state directory"));
}

/* Accepts one connection and answers it without a status line. */
static void *http09_server(void *arg)
{
  int ls = *(int *)arg, c = accept(ls, NULL, NULL);
  char buf[2048];
  if(c >= 0) {
    ssize_t got = read(c, buf, sizeof(buf));
    (void)got;
    static const char body[] = "hello from 1991\n";
    ssize_t w = write(c, body, sizeof(body) - 1);
    (void)w;
    close(c);
  }
  return NULL;
}

static void test_http09_reply(void **state)
{
  (void)state;
  struct sockaddr_in sa;
  socklen_t sl = sizeof(sa);
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  pthread_t th;
  char url[64], why[200];
  assert_true(ls >= 0);
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
  assert_int_equal(listen(ls, 1), 0);
  assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
  snprintf(url, sizeof(url), "http://127.0.0.1:%u/", ntohs(sa.sin_port));
  if(phttp_init(why, sizeof(why)) != 0) {
    close(ls);
    skip();
  }
  assert_int_equal(pthread_create(&th, NULL, http09_server, &ls), 0);
  phttp_request q = {.method = "GET", .url = url, .timeout_s = 10};
  phttp_response rs;
  phttp_code c = phttp_fetch(&q, &rs);
  pthread_join(th, NULL);
  close(ls);
  assert_int_not_equal(c, PHTTP_OK);
  assert_int_not_equal(c, PHTTP_ERR_URL);
  assert_string_not_equal(phttp_strerror(c), "bad URL");
  assert_non_null(strstr(phttp_strerror(c), "HTTP/0.9"));
  phttp_response_free(&rs);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_expected),
      cmocka_unit_test(test_fetch_failure),
      cmocka_unit_test(test_json_assertions),
      cmocka_unit_test(test_long_value_cut),
      cmocka_unit_test(test_body_not_json),
      cmocka_unit_test(test_latency),
      cmocka_unit_test(test_unhealthy_for),
      cmocka_unit_test(test_http09_reply),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
