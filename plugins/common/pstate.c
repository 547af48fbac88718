/*
 * pstate.c: atomic state files for plugins (see pstate.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugins/common/pstate.h"

/* Writes all of buf to fd, retrying short writes and EINTR. */
static int write_all(int fd, const char *buf, size_t len)
{
  while(len > 0) {
    ssize_t n = write(fd, buf, len);
    if(n < 0) {
      if(errno == EINTR)
        continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

int pstate_write(const char *dir, const char *name, const void *data,
                 size_t len)
{
  char path[4096], tmp[4096];
  int fd = -1;
  if(snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
     snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >= (int)sizeof(tmp)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  fd = mkstemp(tmp);
  if(fd < 0)
    return -1;
  if(fchmod(fd, 0600) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0)
    goto err;
  if(close(fd) < 0) {
    fd = -1;
    goto err;
  }
  fd = -1;
  if(rename(tmp, path) < 0)
    goto err;
  return 0;
err:;
  int saved = errno;
  if(fd >= 0)
    close(fd);
  unlink(tmp);
  errno = saved;
  return -1;
}

int pstate_read(const char *dir, const char *name, size_t max, char **out,
                size_t *len)
{
  char path[4096];
  char *buf = NULL;
  size_t used = 0, cap = 0;
  if(snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if(fd < 0)
    return errno == ENOENT ? 1 : -1;
  for(;;) {
    if(used + 4096 + 1 > cap) {
      size_t ncap = cap ? cap * 2 : 8192;
      char *nbuf = realloc(buf, ncap);
      if(!nbuf)
        goto err;
      buf = nbuf;
      cap = ncap;
    }
    ssize_t n = read(fd, buf + used, cap - used - 1);
    if(n < 0) {
      if(errno == EINTR)
        continue;
      goto err;
    }
    if(n == 0)
      break;
    used += (size_t)n;
    if(used > max) {
      errno = EFBIG;
      goto err;
    }
  }
  close(fd);
  if(!buf && !(buf = malloc(1)))
    return -1;
  buf[used] = '\0';
  *out = buf;
  *len = used;
  return 0;
err:;
  int saved = errno;
  close(fd);
  free(buf);
  errno = saved;
  return -1;
}
