/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fileio.c: write-all, bounded reads, secret reads (see fileio.h). One
 * copy instead of the loops that pstate, the agent and the plugins each
 * had, and one secret reader instead of three that disagreed (fopen that
 * followed links, 1023-byte truncation, no wipe of the stdio buffer).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/dbuf.h"
#include "lib/fileio.h"

int fileio_write_all(int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while(len > 0) {
    ssize_t n = write(fd, p, len);
    if(n < 0) {
      if(errno == EINTR)
        continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Fills err with what and where (never content); keeps errno. */
static void say(char *err, size_t errlen, const char *what, const char *path,
                int e)
{
  if(!err || errlen == 0)
    return;
  const char *why = e == EFBIG    ? "larger than the limit"
                    : e == ELOOP  ? "is a symbolic link"
                    : e == EINVAL ? "not a regular file"
                                  : strerror(e);
  snprintf(err, errlen, "%s %s: %s", what ? what : "cannot read", path, why);
}

/* Opens path for reading and checks the descriptor: a regular file no
 * larger than max. The descriptor, or -1 with errno. */
static int open_regular(const char *path, size_t max, int follow)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
                          (follow ? 0 : O_NOFOLLOW));
  if(fd < 0)
    return -1;
  struct stat st;
  int e = 0;
  if(fstat(fd, &st) < 0)
    e = errno;
  else if(!S_ISREG(st.st_mode))
    e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
  else if(max && (unsigned long long)st.st_size > max)
    e = EFBIG;
  if(e) {
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* Reads fd to its end into b, through a stack chunk that is wiped when
 * wipe is set. 0, or -1 with errno (EFBIG past b's limit). */
static int read_all(int fd, dbuf *b, int wipe)
{
  char chunk[8192];
  int rc = 0;
  for(;;) {
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if(n < 0) {
      if(errno == EINTR)
        continue;
      rc = -1;
      break;
    }
    if(n == 0)
      break;
    if(dbuf_add(b, chunk, (size_t)n) < 0) {
      errno = EFBIG;
      rc = -1;
      break;
    }
  }
  if(wipe) {
    int e = errno;
    explicit_bzero(chunk, sizeof(chunk));
    errno = e;
  }
  return rc;
}

/* Allocates b once for the whole file on fd (size plus slack) and lowers
 * its limit so that it can never be reallocated. 0, or -1 with errno. */
static int presize(int fd, dbuf *b)
{
  struct stat st;
  if(fstat(fd, &st) < 0)
    return -1;
  size_t cap = (size_t)st.st_size + 4096;
  b->data = malloc(cap);
  if(!b->data)
    return -1;
  b->cap = cap;
  b->data[0] = '\0';
  if(!b->max || b->max > cap - 1)
    b->max = cap - 1;
  return 0;
}

/* The reader behind both public ones. */
static int read_file(const char *path, size_t max, int follow, const char *what,
                     int secret, char **out, size_t *len, char *err,
                     size_t errlen)
{
  dbuf b;
  int e;
  dbuf_init(&b, max);
  int fd = open_regular(path, max, follow);
  if(fd < 0)
    goto fail;
  /* a secret's buffer must never be moved by realloc (the old block
   * would keep a copy): it is sized from the file once, with room to
   * spare, and the limit keeps it from growing */
  if(secret && presize(fd, &b) < 0)
    goto fail_fd;
  if(read_all(fd, &b, secret) < 0)
    goto fail_fd;
  close(fd);
  if(!b.data && dbuf_add(&b, "", 0) < 0)
    goto fail;
  if(secret)
    while(b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
      b.data[--b.len] = '\0';
  *out = b.data;
  if(len)
    *len = b.len;
  return 0;
fail_fd:
  e = errno;
  close(fd);
  errno = e;
fail:
  e = errno;
  if(secret)
    dbuf_free_wipe(&b);
  else
    dbuf_free(&b);
  say(err, errlen, what, path, e);
  errno = e;
  return -1;
}

int fileio_read(const char *path, size_t max, unsigned flags, const char *what,
                char **out, size_t *len, char *err, size_t errlen)
{
  return read_file(path, max, (flags & FILEIO_FOLLOW) != 0, what, 0, out, len,
                   err, errlen);
}

int fileio_read_secret(const char *path, size_t max, const char *what,
                       char **out, size_t *len, char *err, size_t errlen)
{
  return read_file(path, max, 0, what, 1, out, len, err, errlen);
}

void fileio_secret_free(char *secret, size_t len)
{
  if(!secret)
    return;
  explicit_bzero(secret, len);
  free(secret);
}
