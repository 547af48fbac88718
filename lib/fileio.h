/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fileio.h: the file I/O every part of probe-agent needs the same way:
 * write everything (short writes and EINTR retried), read a whole file
 * with a bound, and read a secret file (a password_file, a token_file)
 * whose copies in memory are wiped on every path.
 *
 * Both readers open with O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK (a planted
 * link is refused, a FIFO never blocks the open; FILEIO_FOLLOW lifts the
 * first, for a file the operator named himself, such as the agent's
 * configuration) and check on the descriptor that it is a regular file
 * no larger than the limit, so that nothing can be swapped in between. Error text (err, when given) says what and where ("cannot
 * read password_file /etc/x: Permission denied") and never the content.
 */
#ifndef LIB_FILEIO_H
#define LIB_FILEIO_H

#include <stddef.h>

/* Writes all len bytes of buf to fd, retrying short writes and EINTR.
 * Returns 0, or -1 with errno set by write(2). */
int fileio_write_all(int fd, const void *buf, size_t len);

/* Reads the whole regular file path (at most max bytes, 0 = no limit)
 * into a malloc'd NUL-terminated buffer (flags: 0 or FILEIO_FOLLOW). Returns 0, or -1 with errno:
 * ELOOP for a link, EISDIR for a directory, EINVAL for anything else
 * that is not a regular file, EFBIG when larger than max; err (when
 * errlen > 0) then says "<what> <path>: <reason>" (what may be NULL:
 * "cannot read"). */
#define FILEIO_FOLLOW 0x1u
/* A link is followed only when it is owned by root or by the owner of its
 * directory and resolves inside that directory (openat2 RESOLVE_BENEATH;
 * without openat2, the resolved path is checked): a Kubernetes secret
 * volume (name -> ..data/name -> ..2026_xx/name) is read, a link planted
 * to a file elsewhere is refused (EXDEV: "a symbolic link that leads out
 * of its directory: not followed"; EPERM: the link's owner). */
#define FILEIO_BENEATH 0x2u
int fileio_read(const char *path, size_t max, unsigned flags, const char *what,
                char **out, size_t *len, char *err, size_t errlen);

/* fileio_read (never following a link) for a secret of one line: the trailing "\n" or "\r\n" (any
 * number of them) is removed, every intermediate copy is wiped, and on
 * failure nothing is left in memory. The result must be released with
 * fileio_secret_free. */
int fileio_read_secret(const char *path, size_t max, const char *what,
                       char **out, size_t *len, char *err, size_t errlen);

/* fileio_read_secret with flags (0 or FILEIO_BENEATH): what a
 * password_file or token_file is read with. */
int fileio_read_secret_flags(const char *path, size_t max, unsigned flags,
                             const char *what, char **out, size_t *len,
                             char *err, size_t errlen);

/* Opens base (a name in the directory dfd, whose path is dir) read-only,
 * following links only beneath dfd (openat2 RESOLVE_BENEATH, no magic
 * links; the resolved-path check where openat2 is missing). The
 * descriptor, or -1 with errno (EXDEV: a link leads out). */
int fileio_openat_beneath(int dfd, const char *dir, const char *base);

/* Wipes (explicit_bzero) len bytes of a secret from fileio_read_secret
 * (the *len it gave) and frees it; NULL is fine. */
void fileio_secret_free(char *secret, size_t len);

#endif
