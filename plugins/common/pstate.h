/*
 * pstate.h: small files in a plugin's state directory, written atomically
 * (temporary file, fsync, rename) so that a crash or a kill at the run's
 * timeout never leaves a half-written checkpoint behind.
 */
#ifndef PLUGINS_COMMON_PSTATE_H
#define PLUGINS_COMMON_PSTATE_H

#include <stddef.h>

/* Writes data to dir/name atomically with mode 0600. Returns 0, or -1 with
 * errno set. */
int pstate_write(const char *dir, const char *name, const void *data,
                 size_t len);

/* Reads dir/name whole (at most max bytes) into a NUL-terminated malloc'd
 * buffer stored in *out, its length in *len. Returns 0, 1 when the file
 * does not exist, or -1 with errno set (EFBIG when larger than max). */
int pstate_read(const char *dir, const char *name, size_t max, char **out,
                size_t *len);

#endif
