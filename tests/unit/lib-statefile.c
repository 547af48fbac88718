/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib-statefile.c: unit tests of lib/statefile.c: the state directory of
 * a plugin, which names a state file may have, and the per-thing names,
 * which must stay what pgqueue and deadletter computed before (or their
 * history would be lost on upgrade).
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/statefile.h"

static void test_dir(void **state)
{
  (void)state;
  char out[64];
  assert_int_equal(statefile_dir("/var/lib/probe-agent", "ledger", out,
                                 sizeof(out)),
                   0);
  assert_string_equal(out, "/var/lib/probe-agent/ledger");
  errno = 0;
  assert_int_equal(statefile_dir("/s", "../x", out, sizeof(out)), -1);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(statefile_dir("/s", "..", out, sizeof(out)), -1);
  assert_int_equal(statefile_dir("/s", "", out, sizeof(out)), -1);
  assert_int_equal(statefile_dir(NULL, "x", out, sizeof(out)), -1);
  char tiny[8];
  errno = 0;
  assert_int_equal(statefile_dir("/var/lib", "ledger", tiny, sizeof(tiny)), -1);
  assert_int_equal(errno, ENAMETOOLONG);
}

static void test_name_ok(void **state)
{
  (void)state;
  char longname[STATEFILE_NAME_MAX + 2];
  assert_true(statefile_name_ok("ledger.state"));
  assert_true(statefile_name_ok("queue-0123456789abcdef.json"));
  assert_false(statefile_name_ok(""));
  assert_false(statefile_name_ok("."));
  assert_false(statefile_name_ok(".."));
  assert_false(statefile_name_ok("a/b"));
  assert_false(statefile_name_ok(NULL));
  memset(longname, 'a', STATEFILE_NAME_MAX);
  longname[STATEFILE_NAME_MAX] = '\0';
  assert_true(statefile_name_ok(longname));
  longname[STATEFILE_NAME_MAX] = 'a';
  longname[STATEFILE_NAME_MAX + 1] = '\0';
  assert_false(statefile_name_ok(longname));
}

/* The old code's 64-bit FNV-1a, written out again as the reference. */
static uint64_t ref_fnv(const char *s, uint64_t h)
{
  for(; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static void test_name(void **state)
{
  (void)state;
  char out[64], want[64];
  /* pgqueue: preset|conninfo|relation|queue */
  const char *q[] = {"pgboss", "postgresql://db/x", "pgboss.job", ""};
  uint64_t h = 1469598103934665603ull;
  h = ref_fnv("pgboss", h);
  h = ref_fnv("|", h);
  h = ref_fnv("postgresql://db/x", h);
  h = ref_fnv("|", h);
  h = ref_fnv("pgboss.job", h);
  h = ref_fnv("|", h);
  h = ref_fnv("", h);
  snprintf(want, sizeof(want), "queue-%016llx.json", (unsigned long long)h);
  assert_int_equal(statefile_name("queue", "|", q, 4, out, sizeof(out)), 0);
  assert_string_equal(out, want);
  /* deadletter: url and pointer, no separator */
  const char *d[] = {"https://relay/dlq", "/count"};
  h = ref_fnv("/count", ref_fnv("https://relay/dlq", 1469598103934665603ull));
  snprintf(want, sizeof(want), "counts-%016llx.json", (unsigned long long)h);
  assert_int_equal(statefile_name("counts", NULL, d, 2, out, sizeof(out)), 0);
  assert_string_equal(out, want);
  /* no parts: the offset basis itself, the old code's 1469598103934665603
   * (FNV's is 14695981039346656037: a digit was lost, and is not put back,
   * since the names must not change) */
  assert_int_equal(statefile_name("x", "", NULL, 0, out, sizeof(out)), 0);
  assert_string_equal(out, "x-14650fb0739d0383.json");
  assert_true(statefile_name_ok(out));
  char tiny[10];
  assert_int_equal(statefile_name("queue", "|", q, 4, tiny, sizeof(tiny)), -1);
}

static void test_temp_name(void **state)
{
  (void)state;
  char a[256], b[256];
  statefile_temp_name("ledger.state", 0, a, sizeof(a));
  statefile_temp_name("ledger.state", 1, b, sizeof(b));
  assert_int_equal(strncmp(a, ".ledger.state.", 14), 0);
  assert_string_not_equal(a, b);
  assert_true(statefile_name_ok(a));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dir),
      cmocka_unit_test(test_name_ok),
      cmocka_unit_test(test_name),
      cmocka_unit_test(test_temp_name),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
