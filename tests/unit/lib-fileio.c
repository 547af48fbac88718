/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib-fileio.c: unit tests of lib/fileio.c: write-all through a pipe that
 * takes less than it is given, bounded reads (limit, directory, FIFO,
 * link), and secret reads: no truncation (ledger cut password_file at
 * 1023 bytes), trailing newlines removed, links refused (FILEIO_BENEATH:
 * followed only inside the file's own directory, the Kubernetes secret
 * layout), and error text that names the file but never holds its
 * content.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/fileio.h"

static char dir[64];

static int setup(void **state)
{
  (void)state;
  snprintf(dir, sizeof(dir), "/tmp/lib-fileio.XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* dir/name as a path in buf. */
static const char *at(char *buf, size_t len, const char *name)
{
  snprintf(buf, len, "%s/%s", dir, name);
  return buf;
}

/* Writes len bytes of data to dir/name. */
static void put(const char *name, const void *data, size_t len)
{
  char p[128];
  int fd = open(at(p, sizeof(p), name), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(fileio_write_all(fd, data, len), 0);
  close(fd);
}

/* 1 MiB through a pipe (64 KiB at a time at most) arrives whole. */
static void test_write_all_pipe(void **state)
{
  (void)state;
  enum { N = 1 << 20 };
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if(pid == 0) {
    close(p[0]);
    char *big = malloc(N);
    for(size_t i = 0; i < N; i++)
      big[i] = (char)(i % 251);
    _exit(fileio_write_all(p[1], big, N) == 0 ? 0 : 1);
  }
  close(p[1]);
  size_t got = 0;
  int same = 1;
  char buf[4096];
  ssize_t n;
  while((n = read(p[0], buf, sizeof(buf))) > 0) {
    for(ssize_t i = 0; i < n; i++)
      same &= buf[i] == (char)((got + (size_t)i) % 251);
    got += (size_t)n;
  }
  close(p[0]);
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  assert_int_equal(got, N);
  assert_true(same);
  errno = 0;
  assert_int_equal(fileio_write_all(-1, "x", 1), -1);
  assert_int_equal(errno, EBADF);
}

static void test_read(void **state)
{
  (void)state;
  char p[128], err[256], *out = NULL;
  size_t len = 0;
  put("plain", "hello\n", 6);
  assert_int_equal(fileio_read(at(p, sizeof(p), "plain"), 100, 0, NULL, &out,
                               &len, err, sizeof(err)),
                   0);
  assert_int_equal(len, 6);
  assert_string_equal(out, "hello\n");
  free(out);
  put("empty", "", 0);
  assert_int_equal(fileio_read(at(p, sizeof(p), "empty"), 100, 0, NULL, &out,
                               &len, err, sizeof(err)),
                   0);
  assert_int_equal(len, 0);
  assert_string_equal(out, "");
  free(out);
  /* larger than the limit: refused, the error names the file only */
  errno = 0;
  assert_int_equal(fileio_read(at(p, sizeof(p), "plain"), 5, 0,
                               "cannot read config", &out, &len, err,
                               sizeof(err)),
                   -1);
  assert_int_equal(errno, EFBIG);
  assert_non_null(strstr(err, "cannot read config "));
  assert_non_null(strstr(err, "/plain"));
  assert_null(strstr(err, "hello"));
  errno = 0;
  assert_int_equal(fileio_read(dir, 0, 0, NULL, &out, &len, err, sizeof(err)),
                   -1);
  assert_int_equal(errno, EISDIR);
  errno = 0;
  assert_int_equal(fileio_read(at(p, sizeof(p), "none"), 0, 0, NULL, &out, &len,
                               err, sizeof(err)),
                   -1);
  assert_int_equal(errno, ENOENT);
  assert_non_null(strstr(err, "No such file"));
}

/* A FIFO is refused at once (the open does not wait for a writer). */
static void test_read_fifo(void **state)
{
  (void)state;
  char p[128], *out = NULL;
  size_t len;
  assert_int_equal(mkfifo(at(p, sizeof(p), "fifo"), 0600), 0);
  errno = 0;
  assert_int_equal(fileio_read(p, 0, 0, NULL, &out, &len, NULL, 0), -1);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(fileio_read_secret(p, 0, NULL, &out, &len, NULL, 0), -1);
}

/* A link is refused unless FILEIO_FOLLOW; a secret never follows one. */
static void test_read_link(void **state)
{
  (void)state;
  char p[128], l[128], err[256], *out = NULL;
  size_t len;
  put("target", "pw\n", 3);
  assert_int_equal(symlink(at(p, sizeof(p), "target"),
                           at(l, sizeof(l), "link")),
                   0);
  errno = 0;
  assert_int_equal(fileio_read(l, 0, 0, NULL, &out, &len, err, sizeof(err)),
                   -1);
  assert_int_equal(errno, ELOOP);
  assert_non_null(strstr(err, "symbolic link"));
  assert_int_equal(fileio_read(l, 0, FILEIO_FOLLOW, NULL, &out, &len, err,
                               sizeof(err)),
                   0);
  assert_string_equal(out, "pw\n");
  free(out);
  errno = 0;
  assert_int_equal(fileio_read_secret(l, 0, "cannot read password_file", &out,
                                      &len, err, sizeof(err)),
                   -1);
  assert_int_equal(errno, ELOOP);
  assert_null(strstr(err, "pw\n"));
}

/* The reproduction of ledger.c's bug: a 2000-byte password is read whole,
 * and only the trailing newlines go. */
static void test_secret_long(void **state)
{
  (void)state;
  char p[128], err[256], *out = NULL;
  size_t len = 0;
  char pw[2004];
  for(size_t i = 0; i < 2000; i++)
    pw[i] = (char)('A' + i % 26);
  memcpy(pw + 2000, "\r\n\n", 3);
  put("pw", pw, 2003);
  assert_int_equal(fileio_read_secret(at(p, sizeof(p), "pw"), 65536,
                                      "cannot read password_file", &out, &len,
                                      err, sizeof(err)),
                   0);
  assert_int_equal(len, 2000);
  assert_int_equal(strlen(out), 2000);
  assert_memory_equal(out, pw, 2000);
  fileio_secret_free(out, len);
  /* inner white space and a line break inside are kept */
  put("pw2", "a b\nc\n", 6);
  assert_int_equal(fileio_read_secret(at(p, sizeof(p), "pw2"), 0, NULL, &out,
                                      &len, err, sizeof(err)),
                   0);
  assert_string_equal(out, "a b\nc");
  fileio_secret_free(out, len);
  fileio_secret_free(NULL, 0);
}

static void test_secret_errors(void **state)
{
  (void)state;
  char p[128], err[256], *out = (char *)"untouched";
  size_t len = 7;
  put("big", "s3cr3t-value", 12);
  errno = 0;
  assert_int_equal(fileio_read_secret(at(p, sizeof(p), "big"), 4,
                                      "cannot read token_file", &out, &len, err,
                                      sizeof(err)),
                   -1);
  assert_int_equal(errno, EFBIG);
  assert_null(strstr(err, "s3cr3t"));
  assert_int_equal(strncmp(err, "cannot read token_file ", 23), 0);
  assert_string_equal(out, "untouched");
  assert_int_equal(len, 7);
  assert_int_equal(fileio_read_secret(at(p, sizeof(p), "missing"), 0,
                                      "cannot read password_file", &out, &len,
                                      err, sizeof(err)),
                   -1);
  char want[200];
  snprintf(want, sizeof(want), "cannot read password_file %s/missing: %s", dir,
           strerror(ENOENT));
  assert_string_equal(err, want);
  /* an empty secret is an empty string */
  put("empty", "\n", 1);
  assert_int_equal(fileio_read_secret(at(p, sizeof(p), "empty"), 0, NULL, &out,
                                      &len, NULL, 0),
                   0);
  assert_string_equal(out, "");
  assert_int_equal(len, 0);
  fileio_secret_free(out, len);
}

/* The Kubernetes layout of a secret volume: name -> ..data/name ->
 * ..2026_01_01/name, all in the secret's own directory. */
static void k8s_volume(const char *sub, const char *data, size_t len)
{
  char p[160], q[160];
  snprintf(p, sizeof(p), "%s/%s", dir, sub);
  assert_int_equal(mkdir(p, 0700), 0);
  snprintf(p, sizeof(p), "%s/%s/..2026_01_01", dir, sub);
  assert_int_equal(mkdir(p, 0700), 0);
  snprintf(q, sizeof(q), "%s/..2026_01_01/pw", sub);
  put(q, data, len);
  snprintf(p, sizeof(p), "%s/%s/..data", dir, sub);
  assert_int_equal(symlink("..2026_01_01", p), 0);
  snprintf(p, sizeof(p), "%s/%s/pw", dir, sub);
  assert_int_equal(symlink("..data/pw", p), 0);
}

/* FILEIO_BENEATH: a link inside the secret's directory is followed (the
 * k8s layout) and a 2,000-byte password arrives whole; without the flag
 * the same link is refused. */
static void test_secret_beneath_k8s(void **state)
{
  (void)state;
  char p[160], err[300], *out = NULL, data[2002];
  size_t len = 0;
  memset(data, 'k', 2000);
  memcpy(data + 2000, "\r\n", 2);
  k8s_volume("vol", data, sizeof(data));
  snprintf(p, sizeof(p), "%s/vol/pw", dir);
  assert_int_equal(fileio_read_secret_flags(p, 65536, FILEIO_BENEATH,
                                            "cannot read password_file", &out,
                                            &len, err, sizeof(err)),
                   0);
  assert_int_equal(len, 2000);
  assert_int_equal(strlen(out), 2000);
  assert_int_equal(strspn(out, "k"), 2000);
  fileio_secret_free(out, len);
  out = NULL;
  assert_int_equal(fileio_read_secret(p, 65536, NULL, &out, &len, err,
                                      sizeof(err)),
                   -1);
  assert_int_equal(errno, ELOOP);
  assert_null(out);
}

/* A link planted to a file outside the directory (absolute, or through
 * "..") is refused, with a message that names the path and not the
 * content; a link to a directory's own ".." too. */
static void test_secret_beneath_out(void **state)
{
  (void)state;
  char p[160], t[160], err[400], *out = NULL;
  size_t len = 0;
  put("boutside", "TOPSECRET\n", 10);
  assert_int_equal(mkdir(at(p, sizeof(p), "d"), 0700), 0);
  const char *targets[] = {at(t, sizeof(t), "boutside"), "../boutside"};
  for(size_t i = 0; i < 2; i++) {
    snprintf(p, sizeof(p), "%s/d/l%zu", dir, i);
    assert_int_equal(symlink(targets[i], p), 0);
    err[0] = '\0';
    assert_int_equal(fileio_read_secret_flags(p, 0, FILEIO_BENEATH,
                                              "cannot read token_file", &out,
                                              &len, err, sizeof(err)),
                     -1);
    assert_int_equal(errno, EXDEV);
    assert_null(out);
    assert_non_null(strstr(err, "cannot read token_file "));
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, "leads out of its directory"));
    assert_null(strstr(err, "TOPSECRET"));
  }
}

/* A FIFO (named directly, or through a link inside the directory) is
 * refused at once: the open does not wait for a writer. */
static void test_secret_beneath_fifo(void **state)
{
  (void)state;
  char p[160], l[160], err[300], *out = NULL;
  size_t len = 0;
  assert_int_equal(mkfifo(at(p, sizeof(p), "bfifo"), 0600), 0);
  assert_int_equal(symlink("bfifo", at(l, sizeof(l), "tobfifo")), 0);
  const char *paths[] = {p, l};
  for(size_t i = 0; i < 2; i++) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if(pid == 0) {
      alarm(20); /* a blocking open would be killed, and fail the test */
      int rc = fileio_read_secret_flags(paths[i], 0, FILEIO_BENEATH, NULL, &out,
                                        &len, err, sizeof(err));
      _exit(rc == -1 && errno == EINVAL && strstr(err, "not a regular file")
                ? 0
                : 1);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_write_all_pipe),
      cmocka_unit_test(test_read),
      cmocka_unit_test(test_read_fifo),
      cmocka_unit_test(test_read_link),
      cmocka_unit_test(test_secret_long),
      cmocka_unit_test(test_secret_errors),
      cmocka_unit_test(test_secret_beneath_k8s),
      cmocka_unit_test(test_secret_beneath_out),
      cmocka_unit_test(test_secret_beneath_fifo),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
