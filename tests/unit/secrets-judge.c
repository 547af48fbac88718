/* SPDX-License-Identifier: Apache-2.0 */
/*
 * secrets-judge.c: unit tests of the secrets plugin's judge (plugins/
 * secrets/sjudge.c) over facts made up here, no file read: age against
 * max_age_days, a missing or unreadable secret, mode and owner, HMAC
 * length, wallet address, the baseline (rotation overdue) and repository
 * hits.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plugins/secrets/sjudge.h"

#define DAY 86400.0

/* The table's defaults: 90 days, 32 bytes, unchanged is a warning. */
static sjudge_limits limits(void)
{
  sjudge_limits l;
  memset(&l, 0, sizeof(l));
  l.max_age_days = 90;
  l.hmac_min = 32;
  l.unchanged_status = PROBE_WARNING;
  return l;
}

/* A readable api_key file of mode 0600, rotated `days` ago. */
static sjudge_facts file_of_age(double days)
{
  sjudge_facts f;
  memset(&f, 0, sizeof(f));
  f.rc = SEC_OK;
  f.len = 40;
  f.kind = SJ_API_KEY;
  f.have_info = 1;
  f.age_s = days * DAY;
  f.rotated_at = "2026-09-01T00:00:00Z";
  f.mode = 0100600;
  return f;
}

static void test_age_vs_max_age(void **state)
{
  (void)state;
  sjudge_limits l = limits();
  sjudge_facts f = file_of_age(10);
  sjudge_verdict v;
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_OK);
  assert_string_equal(v.v.text,
                      "ok: rotated 2026-09-01T00:00:00Z (10 days ago)");
  f = file_of_age(90); /* at the limit: still ok */
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_OK);
  f = file_of_age(200);
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_WARNING);
  assert_string_equal(v.v.text, "not rotated for 200 days (max_age_days=90)");
  l.max_age_days = 365;
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_OK);
}

static void test_missing_and_unreadable(void **state)
{
  (void)state;
  sjudge_limits l = limits();
  sjudge_facts f;
  sjudge_verdict v;
  memset(&f, 0, sizeof(f));
  f.rc = SEC_ERR_NOENT;
  f.err = "secret file /run/x is missing";
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_string_equal(v.v.text, "secret file /run/x is missing");
  f.rc = SEC_ERR_ACCESS;
  f.err = "permission denied";
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_UNKNOWN);
  f = file_of_age(1);
  f.len = 0;
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_string_equal(v.v.text, "empty secret");
}

static void test_mode_and_owner(void **state)
{
  (void)state;
  sjudge_limits l = limits();
  sjudge_facts f = file_of_age(1);
  sjudge_verdict v;
  f.mode = 0100640;
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_string_equal(v.v.text,
                      "file mode 0640: readable or writable by its group");
  f.mode = 0100604;
  sjudge_secret(&l, &f, &v);
  assert_string_equal(v.v.text,
                      "file mode 0604: readable or writable by others");
  f.mode = 0100440;
  f.group_read_allowed = 1; /* Kubernetes fsGroup */
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_OK);
  f = file_of_age(1);
  l.expected_owner = "app";
  f.owner = SJ_OWNER_OTHER;
  f.owner_name = "root";
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_string_equal(v.v.text, "owned by root, expected app");
  f.owner = SJ_OWNER_UNKNOWN_USER;
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_UNKNOWN);
  f.owner = SJ_OWNER_MATCH;
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_OK);
}

static void test_hmac_length(void **state)
{
  (void)state;
  sjudge_limits l = limits();
  sjudge_facts f = file_of_age(1);
  sjudge_verdict v;
  f.kind = SJ_HMAC;
  f.len = 31;
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_string_equal(v.v.text,
                      "HMAC secret shorter than 32 bytes (hmac_min_bytes=32)");
  f.len = 32;
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_OK);
  f.kind = SJ_API_KEY; /* no length rule for api keys */
  f.len = 8;
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_OK);
}

static void test_wallet_address(void **state)
{
  (void)state;
  sjudge_limits l = limits();
  sjudge_facts f = file_of_age(1);
  sjudge_verdict v;
  f.kind = SJ_ETH;
  f.len = 64;
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL); /* not a key */
  f.eth_valid = 1;
  f.derived = "0xAbCd000000000000000000000000000000000001";
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_WARNING); /* nothing to compare with */
  assert_int_equal(v.sender_compared, 0);
  l.expected_sender = "0xabcd000000000000000000000000000000000001";
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_OK);
  assert_int_equal(v.sender_match, 1);
  l.expected_sender = "abcd000000000000000000000000000000000002";
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_int_equal(v.sender_match, 0);
}

static void test_rotation_overdue_baseline(void **state)
{
  (void)state;
  sjudge_limits l = limits();
  sjudge_facts f = file_of_age(1);
  sjudge_verdict v;
  f.in_baseline = 1;
  f.baseline_at = "2026-06-01T00:00:00Z";
  sjudge_secret(&l, &f, &v); /* changed since */
  assert_int_equal(v.v.st, PROBE_OK);
  f.unchanged = 1;
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_WARNING);
  assert_string_equal(v.v.text,
                      "not rotated since the baseline of 2026-06-01T00:00:00Z");
  l.unchanged_status = PROBE_CRITICAL;
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  l.unchanged_status = PROBE_OK; /* ignore */
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_OK);
  f = file_of_age(1);
  f.recorded = 1;
  sjudge_secret(&l, &f, &v);
  assert_string_equal(
      v.v.text,
      "ok: rotated 2026-09-01T00:00:00Z (1 days ago); baseline recorded");
}

static void test_repository_hits(void **state)
{
  (void)state;
  sjudge_limits l = limits();
  sjudge_facts f = file_of_age(1);
  sjudge_verdict v;
  f.scanned = 1;
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_OK);
  f.nhits = 3;
  f.hit_repo = "/srv/repo";
  f.hit_file = "config/.env";
  f.hit_commit = "";
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_CRITICAL);
  assert_string_equal(
      v.v.text,
      "value found in /srv/repo: config/.env (working tree) and 2 more places");
  f.nhits = 1;
  f.hit_commit = "0123abcd";
  sjudge_secret(&l, &f, &v);
  assert_string_equal(
      v.v.text, "value found in /srv/repo: config/.env (commit 0123abcd)");
}

static void test_env_secret(void **state)
{
  (void)state;
  sjudge_limits l = limits();
  sjudge_facts f;
  sjudge_verdict v;
  memset(&f, 0, sizeof(f));
  f.rc = SEC_OK;
  f.len = 20;
  sjudge_secret(&l, &f, &v);
  assert_int_equal(v.v.st, PROBE_OK);
  assert_string_equal(v.v.text, "ok (environment variable; no rotation time)");
}

static void test_repository_scan(void **state)
{
  (void)state;
  pverdict v;
  sjudge_scan(NULL, 0, 12, 3, &v);
  assert_int_equal(v.st, PROBE_OK);
  assert_string_equal(v.text,
                      "no configured secret found in 12 files and 3 commits");
  sjudge_scan(NULL, 2, 12, 3, &v);
  assert_int_equal(v.st, PROBE_CRITICAL);
  assert_string_equal(
      v.text,
      "2 place(s) hold a configured secret (see the secrets.rotation lines)");
  sjudge_scan("git timed out", 2, 12, 3, &v);
  assert_int_equal(v.st, PROBE_UNKNOWN);
  assert_string_equal(v.text, "scan incomplete: git timed out");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_age_vs_max_age),
      cmocka_unit_test(test_missing_and_unreadable),
      cmocka_unit_test(test_mode_and_owner),
      cmocka_unit_test(test_hmac_length),
      cmocka_unit_test(test_wallet_address),
      cmocka_unit_test(test_rotation_overdue_baseline),
      cmocka_unit_test(test_repository_hits),
      cmocka_unit_test(test_env_secret),
      cmocka_unit_test(test_repository_scan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
