/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common-ppg.c: unit tests of plugins/common/ppg that need no server:
 * conninfo detection (redaction: tests/unit/lib-redact.c),
 * ppg_connect's error path (no password in the message), and
 * password_file read once by ppg_connect_pwfile (libpq's connect faked). The
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
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

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
  assert_null(ppg_connect(
      "host=/nonexistent-probe-dir port=1 user=u password=s3cret dbname=d", 2,
      err, sizeof(err)));
  assert_true(strlen(err) > 0);
  assert_null(strstr(err, "s3cret"));
  assert_null(strchr(err, '\n'));
  /* a tiny buffer is still terminated */
  char small[8];
  assert_null(ppg_connect("host=/nonexistent-probe-dir port=1", 2, small,
                          sizeof(small)));
  assert_true(strlen(small) < sizeof(small));
}

/* What the fake libpq below was asked for. */
static char seen_password[4096];
static int seen_calls;

/* Stands in for PQconnectdbParams: records the password keyword and
 * fails (ppg then reports "out of memory"), so that no server is needed. */
static PGconn *fake_connectdb(const char *const *keys, const char *const *vals,
                              int expand)
{
  (void)expand;
  seen_calls++;
  seen_password[0] = '\0';
  for(size_t i = 0; keys[i]; i++)
    if(!strcmp(keys[i], "password"))
      snprintf(seen_password, sizeof(seen_password), "%s", vals[i]);
  return NULL;
}

/* password_file is read once, by ppg: whole (ledger.c cut it at 1023
 * bytes), trailing newline removed, handed to libpq as the password
 * unless the conninfo has one, and a file that cannot be read is an
 * error that names it. */
static void test_password_file(void **state)
{
  (void)state;
  char err[512], dir[] = "/tmp/common-ppg.XXXXXX", path[64];
  if(ppg_libpq_open(err, sizeof(err)) != 0)
    skip();
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/pw", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  for(int i = 0; i < 2000; i++)
    fputc('a' + i % 26, f);
  fputs("\n", f);
  fclose(f);
  __typeof__(sym_PQconnectdbParams) real = sym_PQconnectdbParams;
  sym_PQconnectdbParams = fake_connectdb;
  assert_null(ppg_connect_pwfile("host=/nonexistent dbname=x", path, 5, err,
                                 sizeof(err)));
  assert_int_equal(seen_calls, 1);
  assert_int_equal(strlen(seen_password), 2000);
  assert_int_equal(seen_password[1999], 'a' + 1999 % 26);
  /* the conninfo's own password wins, as it did over PGPASSWORD */
  assert_null(ppg_connect_pwfile("host=/nonexistent password=own", path, 5, err,
                                 sizeof(err)));
  assert_string_equal(seen_password, "own");
  /* no file: no password keyword at all */
  assert_null(
      ppg_connect_pwfile("host=/nonexistent", NULL, 5, err, sizeof(err)));
  assert_string_equal(seen_password, "");
  /* a file that is not there: libpq is not even asked */
  char missing[80];
  snprintf(missing, sizeof(missing), "%s/none", dir);
  assert_null(
      ppg_connect_pwfile("host=/nonexistent", missing, 5, err, sizeof(err)));
  assert_int_equal(seen_calls, 3);
  assert_non_null(strstr(err, "cannot read password_file "));
  assert_non_null(strstr(err, "/none"));
  sym_PQconnectdbParams = real;
  unlink(path);
  rmdir(dir);
}

/* password_file in a Kubernetes secret volume (pw -> ..data/pw ->
 * ..2026_01_01/pw) reaches libpq; a link planted to a file outside its
 * directory is refused with a message naming it, and libpq is not asked. */
static void test_password_file_links(void **state)
{
  (void)state;
  char err[512], dir[] = "/tmp/common-ppg.XXXXXX", p[128], q[128];
  if(ppg_libpq_open(err, sizeof(err)) != 0)
    skip();
  assert_non_null(mkdtemp(dir));
  snprintf(p, sizeof(p), "%s/..2026_01_01", dir);
  assert_int_equal(mkdir(p, 0700), 0);
  snprintf(p, sizeof(p), "%s/..2026_01_01/pw", dir);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs("k8spass\n", f);
  fclose(f);
  snprintf(p, sizeof(p), "%s/..data", dir);
  assert_int_equal(symlink("..2026_01_01", p), 0);
  snprintf(p, sizeof(p), "%s/pw", dir);
  assert_int_equal(symlink("..data/pw", p), 0);
  snprintf(q, sizeof(q), "%s/planted", dir);
  assert_int_equal(symlink("/etc/hostname", q), 0);
  __typeof__(sym_PQconnectdbParams) real = sym_PQconnectdbParams;
  sym_PQconnectdbParams = fake_connectdb;
  seen_calls = 0;
  assert_null(ppg_connect_pwfile("host=/nonexistent", p, 5, err, sizeof(err)));
  assert_int_equal(seen_calls, 1);
  assert_string_equal(seen_password, "k8spass");
  assert_null(ppg_connect_pwfile("host=/nonexistent", q, 5, err, sizeof(err)));
  assert_int_equal(seen_calls, 1);
  assert_non_null(strstr(err, "cannot read password_file "));
  assert_non_null(strstr(err, q));
  assert_non_null(strstr(err, "leads out of its directory"));
  sym_PQconnectdbParams = real;
  char cmd[96];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_looks_like),
      cmocka_unit_test(test_connect_errors),
      cmocka_unit_test(test_password_file),
      cmocka_unit_test(test_password_file_links),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
