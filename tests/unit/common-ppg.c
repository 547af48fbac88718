/*
 * common-ppg.c: unit tests of plugins/common/ppg that need no server:
 * conninfo detection (redaction: tests/unit/lib-redact.c),
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
      cmocka_unit_test(test_looks_like),
      cmocka_unit_test(test_connect_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
