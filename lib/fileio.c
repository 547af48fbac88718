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
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

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
                    : e == EXDEV  ? "a symbolic link that leads out of its "
                                    "directory: not followed"
                    : e == EPERM  ? "a symbolic link owned by neither root "
                                    "nor the owner of its directory: not "
                                    "followed"
                    : e == EINVAL ? "not a regular file"
                                  : strerror(e);
  snprintf(err, errlen, "%s %s: %s", what ? what : "cannot read", path, why);
}

#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

/* The fallback of fileio_openat_beneath on a kernel without openat2: the
 * path is resolved, must lie inside the directory, and the file opened
 * must be the one resolved. */
static int open_beneath_resolved(int dfd, const char *dir, const char *base)
{
  char full[PATH_MAX], real[PATH_MAX], realdir[PATH_MAX];
  struct stat a, b;
  if(snprintf(full, sizeof full, "%s/%s", dir, base) >= (int)sizeof full) {
    errno = ENAMETOOLONG;
    return -1;
  }
  if(!realpath(full, real) || !realpath(dir, realdir))
    return -1;
  size_t dl = strlen(realdir);
  if(strncmp(real, realdir, dl) != 0 || (real[dl] != '/' && dl != 1)) {
    errno = EXDEV;
    return -1;
  }
  int fd = open(real, OPEN_FLAGS | O_NOFOLLOW);
  if(fd < 0)
    return -1;
  if(fstat(fd, &a) != 0 || fstatat(dfd, base, &b, 0) != 0 ||
     a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
    close(fd);
    errno = EXDEV;
    return -1;
  }
  return fd;
}

int fileio_openat_beneath(int dfd, const char *dir, const char *base)
{
#ifdef SYS_openat2
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)OPEN_FLAGS;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd = syscall(SYS_openat2, dfd, base, &how, sizeof how);
  if(fd >= 0 || errno != ENOSYS)
    return fd < 0 && errno == ELOOP ? (errno = EXDEV, -1) : (int)fd;
#endif
  return open_beneath_resolved(dfd, dir, base);
}

/* FILEIO_BENEATH: opens path, following a link only when the link is
 * owned by root or by the owner of its directory and resolves inside that
 * directory (a Kubernetes secret volume). -1 with errno: EXDEV for a link
 * that leads out, EPERM for a link of another owner. */
static int open_in_dir(const char *path)
{
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
  if(!slash)
    snprintf(dir, sizeof dir, ".");
  else if(slash == path)
    snprintf(dir, sizeof dir, "/");
  else if(snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path) >=
          (int)sizeof dir) {
    errno = ENAMETOOLONG;
    return -1;
  }
  if(!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
    errno = EISDIR;
    return -1;
  }
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd = -1, e;
  if(dfd < 0)
    return -1;
  struct stat lst, dst;
  if(fstatat(dfd, base, &lst, AT_SYMLINK_NOFOLLOW) != 0)
    e = errno;
  else if(!S_ISLNK(lst.st_mode)) {
    fd = openat(dfd, base, OPEN_FLAGS | O_NOFOLLOW);
    e = errno;
  }
  else if(fstat(dfd, &dst) != 0)
    e = errno;
  else if(lst.st_uid != 0 && lst.st_uid != dst.st_uid)
    e = EPERM;
  else {
    fd = fileio_openat_beneath(dfd, dir, base);
    e = errno;
  }
  close(dfd);
  errno = e;
  return fd;
}

/* Opens path for reading (flags: FILEIO_FOLLOW, FILEIO_BENEATH or
 * neither) and checks the descriptor: a regular file no larger than max.
 * The descriptor, or -1 with errno. */
static int open_regular(const char *path, size_t max, unsigned flags)
{
  int fd =
      (flags & FILEIO_BENEATH)
          ? open_in_dir(path)
          : open(path, OPEN_FLAGS | ((flags & FILEIO_FOLLOW) ? 0 : O_NOFOLLOW));
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
static int read_file(const char *path, size_t max, unsigned flags,
                     const char *what, int secret, char **out, size_t *len,
                     char *err, size_t errlen)
{
  dbuf b;
  int e;
  dbuf_init(&b, max);
  int fd = open_regular(path, max, flags);
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
  return read_file(path, max, flags, what, 0, out, len, err, errlen);
}

int fileio_read_secret(const char *path, size_t max, const char *what,
                       char **out, size_t *len, char *err, size_t errlen)
{
  return read_file(path, max, 0, what, 1, out, len, err, errlen);
}

int fileio_read_secret_flags(const char *path, size_t max, unsigned flags,
                             const char *what, char **out, size_t *len,
                             char *err, size_t errlen)
{
  return read_file(path, max, flags & FILEIO_BENEATH, what, 1, out, len, err,
                   errlen);
}

void fileio_secret_free(char *secret, size_t len)
{
  if(!secret)
    return;
  explicit_bzero(secret, len);
  free(secret);
}
