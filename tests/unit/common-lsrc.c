/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common-lsrc.c: unit tests of plugins/common/lsrc on files: plain and
 * gzip, lines across buffer boundaries, a last line without its newline,
 * resuming at an offset, a line over max_line. (Tables are covered by the
 * ledger's PostgreSQL integration test.)
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "plugins/common/lsrc.h"

static char dir[] = "/tmp/lsrc-test-XXXXXX";

/* Writes n lines "line-<i>-xxx..." of growing length to path (gzip when
 * gz), the last one without "\n" when unterminated. */
static void write_lines(const char *path, int n, int gz, int unterminated)
{
  gzFile g = NULL;
  FILE *f = NULL;
  int i;
  if(gz)
    g = gzopen(path, "wb");
  else
    f = fopen(path, "wb");
  assert_true(g || f);
  for(i = 1; i <= n; i++) {
    char buf[6000];
    int len = snprintf(buf, sizeof(buf), "line-%d-", i);
    memset(buf + len, 'x', (size_t)(i % 5000));
    len += i % 5000;
    if(!(unterminated && i == n))
      buf[len++] = '\n';
    if(gz)
      gzwrite(g, buf, (unsigned)len);
    else
      fwrite(buf, 1, (size_t)len, f);
  }
  if(gz)
    gzclose(g);
  else
    fclose(f);
}

/* Reads all lines, checking numbering, offsets and content. */
static void read_all(const char *path, int n, int unterminated,
                     uint64_t start_off, uint64_t start_line)
{
  lsrc_options o;
  lsrc *s = NULL;
  lsrc_event ev;
  char err[256];
  uint64_t off = start_off;
  int i = start_line ? (int)start_line : 1;
  memset(&o, 0, sizeof(o));
  o.source = path;
  o.start_offset = start_off;
  o.start_line = start_line;
  assert_int_equal(lsrc_open(&o, &s, err, sizeof(err)), LSRC_OK);
  for(;; i++) {
    char want[64];
    lsrc_code c = lsrc_next(s, &ev);
    if(c == LSRC_EOF)
      break;
    assert_int_equal(c, LSRC_OK);
    snprintf(want, sizeof(want), "line-%d-", i);
    assert_int_equal(ev.line, (uint64_t)i);
    assert_int_equal(ev.offset, off);
    assert_true(ev.len == strlen(want) + (size_t)(i % 5000));
    assert_memory_equal(ev.text, want, strlen(want));
    assert_int_equal(ev.terminated, !(unterminated && i == n));
    off += ev.len + (ev.terminated ? 1 : 0);
  }
  assert_int_equal(i, n + 1);
  assert_int_equal(lsrc_bytes(s), off);
  lsrc_close(s);
}

static void test_plain(void **state)
{
  char path[256];
  (void)state;
  snprintf(path, sizeof(path), "%s/a.jsonl", dir);
  write_lines(path, 1200, 0, 0);
  read_all(path, 1200, 0, 0, 0);
  write_lines(path, 1200, 0, 1);
  read_all(path, 1200, 1, 0, 0);
}

/* A plain file is mapped: its texts can stay valid until the close (views
 * a reader may keep), releasing the pages behind changes nothing read; a
 * file truncated under the reader gives a read error, not SIGBUS (the
 * reading goes on over zeros, and the source says it was truncated). */
static void test_mapped(void **state)
{
  char path[256], err[256];
  lsrc_options o;
  lsrc *s = NULL;
  lsrc_event first, ev;
  lsrc_code c;
  int i;
  (void)state;
  snprintf(path, sizeof(path), "%s/m.jsonl", dir);
  write_lines(path, 1200, 0, 0);
  memset(&o, 0, sizeof(o));
  o.source = path;
  assert_int_equal(lsrc_open(&o, &s, err, sizeof(err)), LSRC_OK);
  assert_true(lsrc_keep_views(s));
  assert_int_equal(lsrc_next(s, &first), LSRC_OK);
  for(i = 2; i <= 600; i++)
    assert_int_equal(lsrc_next(s, &ev), LSRC_OK);
  lsrc_release(s, ev.offset);
  assert_memory_equal(ev.text, "line-600-", 9);
  assert_memory_equal(first.text, "line-1-x", 8); /* still there */
  assert_false(lsrc_truncated(s));
  assert_int_equal(truncate(path, 100), 0);
  while((c = lsrc_next(s, &ev)) == LSRC_OK)
    ;
  assert_int_equal(c, LSRC_ERR_READ);
  assert_true(lsrc_truncated(s));
  assert_non_null(strstr(lsrc_error(s), "truncated"));
  lsrc_close(s);
  /* standard input and gzip are read, not mapped */
  o.source = "-";
  assert_int_equal(lsrc_open(&o, &s, err, sizeof(err)), LSRC_OK);
  assert_false(lsrc_keep_views(s));
  lsrc_close(s);
}

static void test_gzip(void **state)
{
  char path[256];
  (void)state;
  snprintf(path, sizeof(path), "%s/a.jsonl.gz", dir);
  write_lines(path, 1200, 1, 0);
  read_all(path, 1200, 0, 0, 0);
  write_lines(path, 1200, 1, 1);
  read_all(path, 1200, 1, 0, 0);
}

/* Resuming at the offset of line 1000, plain and gzip. */
static void test_resume(void **state)
{
  char path[256];
  lsrc_options o;
  lsrc *s = NULL;
  lsrc_event ev;
  char err[256];
  uint64_t off = 0;
  int k;
  (void)state;
  for(k = 0; k < 2; k++) {
    snprintf(path, sizeof(path), "%s/r.jsonl%s", dir, k ? ".gz" : "");
    write_lines(path, 1200, k, 0);
    memset(&o, 0, sizeof(o));
    o.source = path;
    assert_int_equal(lsrc_open(&o, &s, err, sizeof(err)), LSRC_OK);
    while(lsrc_next(s, &ev) == LSRC_OK)
      if(ev.line == 1000) {
        off = ev.offset;
        break;
      }
    lsrc_close(s);
    read_all(path, 1200, 0, off, 1000);
  }
  /* beyond the end */
  o.source = path;
  snprintf(path, sizeof(path), "%s/r.jsonl", dir);
  o.start_offset = 1u << 30;
  assert_int_equal(lsrc_open(&o, &s, err, sizeof(err)), LSRC_ERR_SEEK);
  assert_null(s);
}

static void test_errors(void **state)
{
  char path[256];
  lsrc_options o;
  lsrc *s = NULL;
  lsrc_event ev;
  char err[256];
  (void)state;
  memset(&o, 0, sizeof(o));
  snprintf(path, sizeof(path), "%s/missing.jsonl", dir);
  o.source = path;
  assert_int_equal(lsrc_open(&o, &s, err, sizeof(err)), LSRC_ERR_OPEN);
  assert_non_null(strstr(err, "missing.jsonl"));
  snprintf(path, sizeof(path), "%s/long.jsonl", dir);
  write_lines(path, 1200, 0, 0);
  o.max_line = 1000;
  assert_int_equal(lsrc_open(&o, &s, err, sizeof(err)), LSRC_OK);
  for(;;) {
    lsrc_code c = lsrc_next(s, &ev);
    if(c != LSRC_OK) {
      assert_int_equal(c, LSRC_ERR_TOO_LONG);
      assert_int_equal(ev.line, 992); /* first line over 1000 bytes */
      break;
    }
  }
  lsrc_close(s);
  /* an unterminated last line over max_line (a mapped file is at its end
   * at once; fuzz-lsrc found it returned whole) */
  {
    FILE *f;
    snprintf(path, sizeof(path), "%s/longlast.jsonl", dir);
    f = fopen(path, "wb");
    fputs("short\n", f);
    for(int i = 0; i < 100; i++)
      fputc('x', f);
    fclose(f);
    o.max_line = 24;
    assert_int_equal(lsrc_open(&o, &s, err, sizeof(err)), LSRC_OK);
    assert_int_equal(lsrc_next(s, &ev), LSRC_OK);
    assert_int_equal(lsrc_next(s, &ev), LSRC_ERR_TOO_LONG);
    assert_int_equal(ev.line, 2);
    lsrc_close(s);
  }
  /* corrupt gzip */
  {
    FILE *f;
    snprintf(path, sizeof(path), "%s/bad.jsonl.gz", dir);
    f = fopen(path, "wb");
    fwrite("\x1f\x8b\x08\x00garbagegarbage", 1, 18, f);
    fclose(f);
    o.max_line = 0;
    assert_int_equal(lsrc_open(&o, &s, err, sizeof(err)), LSRC_OK);
    assert_int_equal(lsrc_next(s, &ev), LSRC_ERR_READ);
    lsrc_close(s);
  }
  /* truncated gzip: a read error, never a clean end */
  {
    struct stat st;
    int got = 0; /* events before the error */
    lsrc_code c;
    snprintf(path, sizeof(path), "%s/trunc.jsonl.gz", dir);
    write_lines(path, 1200, 1, 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size / 2), 0);
    assert_int_equal(lsrc_open(&o, &s, err, sizeof(err)), LSRC_OK);
    while((c = lsrc_next(s, &ev)) == LSRC_OK)
      got++;
    (void)got;
    assert_int_equal(c, LSRC_ERR_READ);
    lsrc_close(s);
  }
  {
    char *t;
    o.source = "postgresql://probe:hunter2@db/itrans";
    t = lsrc_target(&o);
    assert_null(strstr(t, "hunter2"));
    assert_non_null(strstr(t, "#ledger_events.event"));
    free(t);
  }
}

static int setup(void **state)
{
  (void)state;
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
  char cmd[300];
  (void)state;
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain),  cmocka_unit_test(test_mapped),
      cmocka_unit_test(test_gzip),   cmocka_unit_test(test_resume),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
