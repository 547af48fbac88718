/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pstate.c: atomic, checked state files for plugins (see pstate.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lib/dbuf.h"
#include "lib/fileio.h"
#include "lib/statefile.h"
#include "plugins/common/pstate.h"

/* Fills why (when given) and sets errno; returns -1 for the caller. */
static int refuse(char *why, size_t whylen, int err, const char *path,
                  const char *what)
{
  if(why && whylen)
    snprintf(why, whylen, "%s %s", path, what);
  errno = err;
  return -1;
}

/* The ownership and mode rule, on a descriptor's stat: ours and not
 * writable by group or others. Returns 0 or -1 with errno EPERM. */
static int check_owner_mode(const struct stat *st, const char *path, char *why,
                            size_t whylen)
{
  if(st->st_uid != geteuid())
    return refuse(why, whylen, EPERM, path, "is owned by another user");
  if(st->st_mode & (S_IWGRP | S_IWOTH))
    return refuse(why, whylen, EPERM, path, "is writable by group or others");
  return 0;
}

int pstate_open_dir(const char *dir, char *why, size_t whylen)
{
  struct stat st;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if(fd < 0) {
    int e = errno;
    if(e == ELOOP || e == ENOTDIR) {
      /* O_NOFOLLOW on a link gives ELOOP, O_DIRECTORY on one ENOTDIR */
      struct stat lst;
      if(lstat(dir, &lst) == 0 && S_ISLNK(lst.st_mode))
        return refuse(why, whylen, ELOOP, dir, "is a symbolic link");
      return refuse(why, whylen, ENOTDIR, dir, "is not a directory");
    }
    if(why && whylen)
      snprintf(why, whylen, "%s: %s", dir, strerror(e));
    errno = e;
    return -1;
  }
  if(fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) ||
     check_owner_mode(&st, dir, why, whylen) < 0) {
    int e = errno == EPERM ? EPERM : ENOTDIR;
    if(e == ENOTDIR && why && whylen)
      snprintf(why, whylen, "%s is not a directory", dir);
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

int pstate_check_dir(const char *dir, char *why, size_t whylen)
{
  int fd = pstate_open_dir(dir, why, whylen);
  if(fd < 0)
    return -1;
  close(fd);
  return 0;
}

int pstate_write(const char *dir, const char *name, const void *data,
                 size_t len)
{
  return pstate_write_flags(dir, name, data, len, 0);
}

int pstate_write_flags(const char *dir, const char *name, const void *data,
                       size_t len, unsigned flags)
{
  char tmp[512];
  int dfd, fd = -1, made = 0;
  unsigned i;
  if(!statefile_name_ok(name)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  dfd = pstate_open_dir(dir, NULL, 0);
  if(dfd < 0)
    return -1;
  for(i = 0; i < 100 && fd < 0; i++) {
    statefile_temp_name(name, i, tmp, sizeof(tmp));
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                0600);
    if(fd < 0 && errno != EEXIST)
      goto err;
  }
  if(fd < 0)
    goto err;
  made = 1;
  if(fchmod(fd, 0600) < 0 || fileio_write_all(fd, data, len) < 0 ||
     fsync(fd) < 0)
    goto err;
  if(close(fd) < 0) {
    fd = -1;
    goto err;
  }
  fd = -1;
  if(renameat(dfd, tmp, dfd, name) < 0)
    goto err;
  made = 0;
  if(!(flags & PSTATE_NO_DIR_SYNC))
    (void)fsync(dfd); /* the rename itself durable; best effort */
  close(dfd);
  return 0;
err:;
  int saved = errno;
  if(fd >= 0)
    close(fd);
  if(made)
    unlinkat(dfd, tmp, 0);
  close(dfd);
  errno = saved;
  return -1;
}

int pstate_read(const char *dir, const char *name, size_t max, char **out,
                size_t *len)
{
  dbuf b;
  struct stat st;
  int dfd, fd;
  if(strchr(name, '/')) {
    errno = EINVAL;
    return -1;
  }
  dfd = pstate_open_dir(dir, NULL, 0);
  if(dfd < 0)
    return errno == ENOENT ? 1 : -1;
  fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  close(dfd);
  if(fd < 0)
    return errno == ENOENT ? 1 : -1;
  dbuf_init(&b, max);
  if(fstat(fd, &st) < 0)
    goto err;
  if(!S_ISREG(st.st_mode)) {
    errno = EPERM;
    goto err;
  }
  if(check_owner_mode(&st, name, NULL, 0) < 0)
    goto err;
  for(;;) {
    char chunk[8192];
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if(n < 0) {
      if(errno == EINTR)
        continue;
      goto err;
    }
    if(n == 0)
      break;
    if(max == 0 || dbuf_add(&b, chunk, (size_t)n) < 0) {
      errno = max == 0 || b.len + (size_t)n > max ? EFBIG : ENOMEM;
      goto err;
    }
  }
  close(fd);
  if(!(*out = dbuf_take(&b, len)))
    return -1;
  return 0;
err:;
  int saved = errno;
  close(fd);
  dbuf_free(&b);
  errno = saved;
  return -1;
}

struct cJSON *pstate_read_json(const char *dir, const char *name, size_t max)
{
  char *buf = NULL;
  size_t len = 0;
  if(!dir || pstate_read(dir, name, max, &buf, &len) != 0)
    return NULL;
  cJSON *j = cJSON_Parse(buf);
  free(buf);
  return j;
}
