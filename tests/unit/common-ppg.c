/*
 * common-ppg.c: unit tests of plugins/common/ppg that need no server:
 * password redaction of key=value and URI conninfos, conninfo detection,
 * and ppg_connect's error path (no password in the message). The
 * read-only session itself is tested against a real PostgreSQL in
 * tests/integration/pgqueue-safety.sh.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "plugins/common/ppg.h"

/* Asserts that redacting in gives exactly want. */
static void check(const char *in, const char *want)
{
  char *r = ppg_redact_conninfo(in);
  assert_non_null(r);
  assert_string_equal(r, want);
  free(r);
}

static void test_redact_kv(void **state)
{
  (void)state;
  check("host=db user=probe password=s3cret dbname=medlink",
        "host=db user=probe dbname=medlink");
  check("password=s3cret", "");
  check("host=db password = 's3 cr\\'et' port=5432", "host=db port=5432");
  check("host=db sslpassword=k3y sslmode=verify-full", "host=db sslmode=verify-full");
  check("host='/run/pg sock' user=probe", "host='/run/pg sock' user=probe");
  check("  host=db   port=5432 ", "host=db port=5432");
  check("dbname='postgresql://u:pw@h/d' host=x", "dbname='postgresql://u@h/d' host=x");
  check("dbname='user=u password=pw' host=x", "dbname='user=u' host=x");
}

static void test_redact_uri(void **state)
{
  (void)state;
  check("postgresql://probe:s3cret@db:5432/medlink?sslmode=require",
        "postgresql://probe@db:5432/medlink?sslmode=require");
  check("postgres://probe@db/medlink", "postgres://probe@db/medlink");
  check("postgresql://db/medlink?password=s3cret&sslmode=require",
        "postgresql://db/medlink?sslmode=require");
  check("postgresql://db/medlink?sslmode=require&password=s3cret",
        "postgresql://db/medlink?sslmode=require");
  check("postgresql://u:p%40ss@db1,db2/x?sslpassword=z", "postgresql://u@db1,db2/x");
  check("postgresql://u:p@ss@db/x", "postgresql://u@db/x");
  check("postgresql://", "postgresql://");
  check("postgresql:///medlink?host=/run/pg", "postgresql:///medlink?host=/run/pg");
}

static void test_redact_bad(void **state)
{
  (void)state;
  char *r = ppg_redact_conninfo("host=db password='unterminated s3cret");
  assert_non_null(r);
  assert_null(strstr(r, "s3cret"));
  free(r);
  r = ppg_redact_conninfo("garbage s3cret");
  assert_non_null(r);
  assert_null(strstr(r, "s3cret"));
  free(r);
  assert_null(ppg_redact_conninfo(NULL));
}

static void test_looks_like(void **state)
{
  (void)state;
  assert_true(ppg_looks_like_conninfo("postgresql://db/x"));
  assert_true(ppg_looks_like_conninfo("postgres://db/x"));
  assert_true(ppg_looks_like_conninfo("host=db dbname=x"));
  assert_true(ppg_looks_like_conninfo("dbname = x"));
  assert_true(ppg_looks_like_conninfo("service=medlink"));
  assert_false(ppg_looks_like_conninfo("/var/backups/ledger.jsonl"));
  assert_false(ppg_looks_like_conninfo("./a=b.jsonl"));
  assert_false(ppg_looks_like_conninfo("ledger.jsonl.gz"));
  assert_false(ppg_looks_like_conninfo("-"));
  assert_false(ppg_looks_like_conninfo(""));
  assert_false(ppg_looks_like_conninfo(NULL));
}

static void test_connect_errors(void **state)
{
  (void)state;
  char err[512];
  /* a parse error */
  assert_null(ppg_connect("host=db password='s3cret", 2, err, sizeof(err)));
  assert_true(strlen(err) > 0);
  assert_null(strstr(err, "s3cret"));
  /* a socket directory where nothing listens */
  assert_null(ppg_connect("host=/nonexistent-probe-dir port=1 user=u password=s3cret dbname=d",
                          2, err, sizeof(err)));
  assert_true(strlen(err) > 0);
  assert_null(strstr(err, "s3cret"));
  assert_null(strchr(err, '\n'));
  /* a tiny buffer is still terminated */
  char small[8];
  assert_null(ppg_connect("host=/nonexistent-probe-dir port=1", 2, small, sizeof(small)));
  assert_true(strlen(small) < sizeof(small));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_redact_kv),
      cmocka_unit_test(test_redact_uri),
      cmocka_unit_test(test_redact_bad),
      cmocka_unit_test(test_looks_like),
      cmocka_unit_test(test_connect_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
