/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common-plib.c: libpq and libcurl are opened on first use, not at load.
 * This program is linked like a plugin (libprobecommon, no libpq, no
 * libcurl): reading a ledger file must leave both unloaded; ppg_connect
 * and phttp_fetch must open them and still fail cleanly (no server); and
 * plib_open must report a missing library or function without filling any
 * pointer.
 */
#include "config.h"

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "plugins/common/lsrc.h"
#include "plugins/common/phttp.h"
#include "plugins/common/plib.h"
#include "plugins/common/ppg.h"

/* 1 when soname is mapped in this process. */
static int loaded(const char *soname)
{
  void *h = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
  if(!h)
    return 0;
  dlclose(h);
  return 1;
}

/* Reading a ledger file needs neither library. Runs first. */
static void test_file_source_loads_neither(void **state)
{
  char path[] = "/tmp/plib-test.XXXXXX", err[256];
  int fd = mkstemp(path);
  const char line[] = "{\"seq\":1}\n";
  lsrc_options o;
  lsrc *s = NULL;
  lsrc_event ev;
  (void)state;
  assert_true(fd >= 0);
  assert_int_equal(write(fd, line, sizeof(line) - 1),
                   (ssize_t)(sizeof(line) - 1));
  close(fd);
  assert_false(loaded(PLIB_LIBPQ_SONAME));
  assert_false(loaded(PLIB_LIBCURL_SONAME));
  memset(&o, 0, sizeof(o));
  o.source = path;
  assert_int_equal(lsrc_open(&o, &s, err, sizeof(err)), LSRC_OK);
  assert_int_equal(lsrc_next(s, &ev), LSRC_OK);
  assert_int_equal(ev.len, sizeof(line) - 2);
  assert_int_equal(lsrc_next(s, &ev), LSRC_EOF);
  lsrc_close(s);
  unlink(path);
  assert_false(loaded(PLIB_LIBPQ_SONAME));
  assert_false(loaded(PLIB_LIBCURL_SONAME));
  assert_null(sym_PQexec);
}

/* The first connection opens libpq; the error is still libpq's own. */
static void test_connect_opens_libpq(void **state)
{
  char err[512];
  (void)state;
  assert_null(
      ppg_connect("host=/nonexistent-plib-dir port=1", 2, err, sizeof(err)));
  assert_non_null(strstr(err, "connection failed"));
  assert_true(loaded(PLIB_LIBPQ_SONAME));
  assert_non_null(sym_PQexec);
  assert_non_null(sym_PQclear);
  assert_int_equal(ppg_libpq_open(err, sizeof(err)), 0); /* idempotent */
}

/* The first fetch opens libcurl; a refused connection is an error, not a
 * crash. */
static void test_fetch_opens_libcurl(void **state)
{
  phttp_request q;
  phttp_response r;
  (void)state;
  memset(&q, 0, sizeof(q));
  q.method = "GET";
  q.url = "http://127.0.0.1:1/";
  q.timeout_s = 2;
  assert_int_equal(phttp_fetch(&q, &r), PHTTP_ERR_CONNECT);
  phttp_response_free(&r);
  assert_true(loaded(PLIB_LIBCURL_SONAME));
}

static int (*sym_probe_no_such_function)(void);
static __typeof__(&strlen) sym_strlen;

/* A missing library or function: -1, its name in the message, no pointer
 * filled. */
static void test_open_failures(void **state)
{
  void *h = NULL;
  char err[256];
  const plib_sym syms[] = {PLIB_SYM(strlen) PLIB_SYM(probe_no_such_function)};
  (void)state;
  assert_int_equal(plib_open("libprobe-no-such-library.so.9", &h, syms, 2, err,
                             sizeof(err)),
                   -1);
  assert_non_null(strstr(err, "libprobe-no-such-library.so.9"));
  assert_null(h);
  assert_int_equal(plib_open("libc.so.6", &h, syms, 2, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "probe_no_such_function"));
  assert_null(h);
  assert_null(sym_strlen);
  assert_null(sym_probe_no_such_function);
  assert_int_equal(plib_open("libc.so.6", &h, syms, 1, err, sizeof(err)), 0);
  assert_non_null(h);
  assert_int_equal(sym_strlen("four"), 4);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_file_source_loads_neither),
      cmocka_unit_test(test_connect_opens_libpq),
      cmocka_unit_test(test_fetch_opens_libcurl),
      cmocka_unit_test(test_open_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
