/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls-judge.c: unit tests of the tls plugin's decisions
 * (plugins/tls/tlsjudge.c) on made-up reports, without a server or a
 * certificate: days left against crit_days and warn_days (whole days,
 * towards zero), expired and not yet valid, host name, chain verification
 * (said once when it only repeats the expiry), weak crypto, the failures
 * (a target the run had no time for is unknown by its code, not by its
 * text), and the line through the probe_host double.
 */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/x509_vfy.h>

#include "plugins/tls/tlsjudge.h"
#include "tests/lib/mock_host.h"

/* 2027-01-15T08:00:00Z */
#define NOW ((time_t)1800000000)
#define DAY 86400

static const tls_limits LIM = {30, 7, PROBE_CRITICAL, PROBE_CRITICAL};

/* An analyzed, verified leaf valid until NOW + days, host name matching. */
static tls_target leaf(double days)
{
  tls_target t;
  memset(&t, 0, sizeof(t));
  t.label = "example.org:443";
  t.host = "example.org";
  t.analyzed = 1;
  t.rep.chain_not_after = NOW + (time_t)(days * DAY);
  t.rep.leaf_not_after = t.rep.chain_not_after;
  t.rep.leaf_not_before = NOW - 10 * DAY;
  t.rep.expired_idx = -1;
  t.rep.not_yet_valid_idx = -1;
  t.rep.verified = 1;
  t.rep.verify_ok = 1;
  t.rep.host_checked = 1;
  t.rep.host_ok = 1;
  t.rep.sans_json = "[\"example.org\"]";
  return t;
}

static void test_days_until(void **state)
{
  (void)state;
  assert_true(tls_days_until(NOW + 200 * DAY - 1, NOW) == 199);
  assert_true(tls_days_until(NOW + 200 * DAY, NOW) == 200);
  assert_true(tls_days_until(NOW - 5 * DAY / 2, NOW) == -2);
}

static void test_days_left(void **state)
{
  (void)state;
  tls_verdict v;
  tls_target t = leaf(40);
  tls_judge(&t, &LIM, NOW, &v);
  assert_int_equal(v.v.st, PROBE_OK);
  assert_string_equal(v.v.text,
                      "valid for 40 more days (until "
                      "2027-02-24T08:00:00Z), chain verified, host name "
                      "matches");
  t = leaf(29.5);
  tls_judge(&t, &LIM, NOW, &v);
  assert_int_equal(v.v.st, PROBE_WARNING);
  assert_string_equal(v.v.text, "expires in 29 days (warn_days=30; leaf "
                                "certificate notAfter 2027-02-13T20:00:00Z)");
  t = leaf(7); /* 7 days is not fewer than crit_days=7 */
  tls_judge(&t, &LIM, NOW, &v);
  assert_int_equal(v.v.st, PROBE_WARNING);
  t = leaf(6.9);
  t.rep.chain_not_after_idx = 1;
  tls_judge(&t, &LIM, NOW, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_string_equal(v.who, "intermediate");
  assert_true(v.days == 6);
}

/* Expired and not yet valid are said as that, with the dates of the
 * certificate concerned, and a verification error that only repeats it
 * is not said twice. */
static void test_expiry(void **state)
{
  (void)state;
  tls_verdict v;
  tls_target t = leaf(-3);
  t.rep.expired_idx = 0;
  t.bad_not_after = NOW - 3 * DAY;
  t.bad_not_before = NOW - 100 * DAY;
  t.rep.verify_ok = 0;
  t.rep.verify_code = X509_V_ERR_CERT_HAS_EXPIRED;
  t.rep.verify_error = "certificate has expired";
  tls_judge(&t, &LIM, NOW, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_string_equal(v.v.text, "expired: leaf certificate notAfter "
                                "2027-01-12T08:00:00Z (3 days ago), notBefore "
                                "2026-10-07T08:00:00Z");
  t = leaf(90);
  t.rep.not_yet_valid_idx = 1;
  t.bad_not_before = NOW + DAY;
  t.bad_not_after = NOW + 90 * DAY;
  tls_judge(&t, &LIM, NOW, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_string_equal(v.v.text, "not yet valid: intermediate certificate "
                                "notBefore 2027-01-16T08:00:00Z, notAfter "
                                "2027-04-15T08:00:00Z");
}

/* Chain and host name findings add up; verify_failure and weak_crypto set
 * their status. */
static void test_chain_and_name(void **state)
{
  (void)state;
  tls_verdict v;
  tls_target t = leaf(100);
  t.rep.verify_ok = 0;
  t.rep.verify_error = "unable to get local issuer certificate";
  t.rep.verify_depth = 1;
  tls_limits relaxed = LIM;
  relaxed.verify_status = PROBE_WARNING;
  tls_judge(&t, &relaxed, NOW, &v);
  assert_int_equal(v.v.st, PROBE_WARNING);
  assert_string_equal(v.v.text, "verification failed: unable to get local "
                                "issuer certificate (depth 1)");
  t.rep.host_ok = 0;
  tls_judge(&t, &relaxed, NOW, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_string_equal(v.v.text,
                      "host name example.org does not match the "
                      "certificate (SANs [\"example.org\"]); verification "
                      "failed: unable to get local issuer certificate "
                      "(depth 1)");
  t = leaf(100);
  char *weak = "leaf key RSA 1024";
  t.rep.nweak = 1;
  t.rep.weak[0] = weak;
  tls_judge(&t, &LIM, NOW, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_string_equal(v.v.text, "weak leaf key RSA 1024");
  relaxed.weak_status = PROBE_OK;
  tls_judge(&t, &relaxed, NOW, &v);
  assert_int_equal(v.v.st, PROBE_OK);
}

static void test_failures(void **state)
{
  (void)state;
  tls_target t;
  probe_status st;
  char s[700];
  memset(&t, 0, sizeof(t));
  t.rc = TLS_ERR_TIMEOUT;
  snprintf(t.err, sizeof(t.err), "connect: timed out after 10 s");
  tls_judge_failure(&t, &st, s, sizeof(s));
  assert_int_equal(st, PROBE_CRITICAL);
  assert_string_equal(s, "timed out: connect: timed out after 10 s");
  /* the run had no time for it: unknown by its code, whatever the text */
  t.fate = TLS_FATE_NOT_PROBED;
  snprintf(t.err, sizeof(t.err), "skipped");
  tls_judge_failure(&t, &st, s, sizeof(s));
  assert_int_equal(st, PROBE_UNKNOWN);
  assert_string_equal(s, "skipped");
  t.fate = TLS_FATE_PROBED;
  t.is_file = 1;
  t.rc = TLS_ERR_IO;
  snprintf(t.err, sizeof(t.err), "/x: not there");
  tls_judge_failure(&t, &st, s, sizeof(s));
  assert_int_equal(st, PROBE_UNKNOWN);
  assert_string_equal(s, "cannot use certificate file: /x: not there");
  t.rc = TLS_ERR_EMPTY;
  tls_judge_failure(&t, &st, s, sizeof(s));
  assert_int_equal(st, PROBE_CRITICAL);
}

static void test_emit(void **state)
{
  (void)state;
  mock_host_setup(NULL, NULL);
  tls_target t = leaf(20);
  tls_emit(mock_ctx(), mock_host(), &LIM, NOW, &t);
  tls_target f;
  memset(&f, 0, sizeof(f));
  f.label = "slow.example:443";
  f.rc = TLS_ERR_TIMEOUT;
  f.fate = TLS_FATE_NOT_PROBED;
  snprintf(f.err, sizeof(f.err), "not probed: the run's time was used up");
  tls_emit(mock_ctx(), mock_host(), &LIM, NOW, &f);
  assert_int_equal(mock_nlines(), 2);
  const mock_line *l = mock_line_at(0);
  assert_string_equal(l->check, "tls.cert");
  assert_string_equal(l->target, "example.org:443");
  assert_true(l->emitted);
  assert_int_equal(l->status, PROBE_WARNING);
  assert_string_equal(l->summary, "expires in 20 days (warn_days=30; leaf "
                                  "certificate notAfter 2027-02-04T08:00:00Z)");
  assert_true(mock_metric(l, "days_left") == 20);
  assert_string_equal(mock_detail(l, "kind"), "\"endpoint\"");
  assert_string_equal(mock_detail(l, "hostname_match"), "true");
  l = mock_line_at(1);
  assert_int_equal(l->status, PROBE_UNKNOWN);
  assert_string_equal(l->summary, "not probed: the run's time was used up");
  assert_string_equal(mock_detail(l, "error"), "\"timed out\"");
  mock_host_teardown();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_days_until), cmocka_unit_test(test_days_left),
      cmocka_unit_test(test_expiry),     cmocka_unit_test(test_chain_and_name),
      cmocka_unit_test(test_failures),   cmocka_unit_test(test_emit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
