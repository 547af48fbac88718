/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common-ppg-pg.c: ppg_connect against a real PostgreSQL (PROBE_TEST_PG,
 * started by tests/lib/servers.sh; skipped with 77 when absent, a failure
 * under CI=true). Proves what a probe's session promises: a write through
 * it fails even when the user's conninfo asks for a writable session, the
 * timeouts and application_name are in force from the first statement, and
 * a table locked by someone else makes it fail fast instead of waiting.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "plugins/common/ppg.h"

static const char *pg;

/* Wall-clock seconds. */
static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A plain superuser connection for setting the scene. */
static PGconn *admin(void)
{
  PGconn *c = PQconnectdb(pg);
  assert_int_equal(PQstatus(c), CONNECTION_OK);
  return c;
}

static void exec_ok(PGconn *c, const char *sql)
{
  PGresult *r = PQexec(c, sql);
  if(PQresultStatus(r) != PGRES_COMMAND_OK &&
     PQresultStatus(r) != PGRES_TUPLES_OK)
    fail_msg("%s: %s", sql, PQerrorMessage(c));
  PQclear(r);
}

/* SHOW name through c. */
static void assert_setting(PGconn *c, const char *name, const char *want)
{
  char sql[128];
  snprintf(sql, sizeof(sql), "SHOW %s", name);
  PGresult *r = PQexec(c, sql);
  assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
  assert_string_equal(PQgetvalue(r, 0, 0), want);
  PQclear(r);
}

static int setup(void **state)
{
  (void)state;
  PGconn *a = admin();
  exec_ok(a, "DROP TABLE IF EXISTS ppg_probe_t");
  exec_ok(a, "CREATE TABLE ppg_probe_t (id int PRIMARY KEY, v text)");
  exec_ok(a, "INSERT INTO ppg_probe_t VALUES (1, 'a'), (2, 'b')");
  PQfinish(a);
  return 0;
}

static void test_settings_in_force(void **state)
{
  (void)state;
  char err[512];
  PGconn *c = ppg_connect(pg, 5, err, sizeof(err));
  assert_non_null(c);
  assert_setting(c, "default_transaction_read_only", "on");
  assert_setting(c, "transaction_read_only", "on");
  assert_setting(c, "statement_timeout", "5s");
  assert_setting(c, "lock_timeout", "1s");
  assert_setting(c, "application_name", "probe-agent");
  PQfinish(c);
}

static void test_write_fails(void **state)
{
  (void)state;
  char err[512], ci[1024];
  /* even a conninfo asking for a writable session gets a read-only one */
  snprintf(ci, sizeof(ci), "%s options='-c default_transaction_read_only=off'",
           pg);
  PGconn *c = ppg_connect(ci, 5, err, sizeof(err));
  assert_non_null(c);
  const char *writes[] = {"INSERT INTO ppg_probe_t VALUES (3, 'c')",
                          "UPDATE ppg_probe_t SET v = 'x'",
                          "DELETE FROM ppg_probe_t",
                          "CREATE TABLE ppg_probe_new (i int)",
                          "SELECT * FROM ppg_probe_t FOR UPDATE",
                          NULL};
  for(int i = 0; writes[i]; i++) {
    PGresult *r = PQexec(c, writes[i]);
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    /* 25006: read_only_sql_transaction */
    assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "25006");
    PQclear(r);
  }
  PQfinish(c);
  PGconn *a = admin();
  PGresult *r = PQexec(a, "SELECT count(*) FROM ppg_probe_t");
  assert_string_equal(PQgetvalue(r, 0, 0), "2");
  PQclear(r);
  PQfinish(a);
}

static void test_row_lock_does_not_block(void **state)
{
  (void)state;
  char err[512];
  PGconn *a = admin();
  exec_ok(a, "BEGIN");
  exec_ok(
      a,
      "SELECT * FROM ppg_probe_t WHERE id = 1 FOR UPDATE"); /* a worker's claim */
  PGconn *c = ppg_connect(pg, 5, err, sizeof(err));
  assert_non_null(c);
  double t0 = now_s();
  PGresult *r = PQexec(c, "SELECT count(*) FROM ppg_probe_t");
  assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
  assert_string_equal(PQgetvalue(r, 0, 0), "2");
  PQclear(r);
  assert_true(now_s() - t0 < 1.0);
  exec_ok(a, "ROLLBACK");
  PQfinish(c);
  PQfinish(a);
}

static void test_table_lock_fails_fast(void **state)
{
  (void)state;
  char err[512];
  PGconn *a = admin();
  exec_ok(a, "BEGIN");
  exec_ok(a,
          "LOCK TABLE ppg_probe_t IN ACCESS EXCLUSIVE MODE"); /* a migration */
  PGconn *c = ppg_connect(pg, 20, err, sizeof(err));
  assert_non_null(c);
  double t0 = now_s();
  PGresult *r = PQexec(c, "SELECT count(*) FROM ppg_probe_t");
  double took = now_s() - t0;
  assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
  assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE),
                      "55P03"); /* lock_not_available */
  PQclear(r);
  assert_true(took <
              3.0); /* lock_timeout (1 s), not statement_timeout (20 s) */
  exec_ok(a, "ROLLBACK");
  PQfinish(c);
  PQfinish(a);
}

static void test_bad_password_not_echoed(void **state)
{
  (void)state;
  char err[512], ci[1024];
  snprintf(ci, sizeof(ci), "%s dbname=no_such_db_probe password=Sup3rSecretPw",
           pg);
  assert_null(ppg_connect(ci, 5, err, sizeof(err)));
  assert_non_null(strstr(err, "no_such_db_probe"));
  assert_null(strstr(err, "Sup3rSecretPw"));
}

int main(void)
{
  pg = getenv("PROBE_TEST_PG");
  if(!pg || !*pg) {
    const char *ci = getenv("CI");
    fprintf(
        stderr,
        "%s: PROBE_TEST_PG is not set (start the servers with contrib/test.sh)\n",
        ci && strcmp(ci, "true") == 0 ? "ERROR" : "SKIP");
    return ci && strcmp(ci, "true") == 0 ? 99 : 77;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_settings_in_force),
      cmocka_unit_test(test_write_fails),
      cmocka_unit_test(test_row_lock_does_not_block),
      cmocka_unit_test(test_table_lock_fails_fast),
      cmocka_unit_test(test_bad_password_not_echoed),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
