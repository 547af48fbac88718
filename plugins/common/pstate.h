/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pstate.h: small files in a plugin's state directory, written atomically
 * (temporary file, fsync, rename) so that a crash or a kill at the run's
 * timeout never leaves a half-written checkpoint behind.
 *
 * State is trusted input (a checkpoint decides what is verified), so it is
 * refused unless this process made it: the directory and each file must
 * not be a link, must be owned by the effective user and must not be
 * writable by group or others. Files are opened relative to a descriptor
 * of the checked directory with O_NOFOLLOW and checked again on their own
 * descriptor, so that nothing can be swapped in between check and use.
 */
#ifndef PLUGINS_COMMON_PSTATE_H
#define PLUGINS_COMMON_PSTATE_H

#include <stddef.h>

/* Opens dir (O_DIRECTORY | O_NOFOLLOW) and checks it on the descriptor:
 * a directory, owned by geteuid(), not writable by group or others.
 * Returns the descriptor, or -1 with errno set (ELOOP: a link, EPERM:
 * wrong owner or mode) and, when why is not NULL, a one-line reason. */
int pstate_open_dir(const char *dir, char *why, size_t whylen);

/* Checks dir as pstate_open_dir does. Returns 0, or -1 with errno and why. */
int pstate_check_dir(const char *dir, char *why, size_t whylen);

/* Writes data to dir/name atomically with mode 0600 (a new file made with
 * O_EXCL in the checked dir, fsync, rename, fsync of the directory).
 * Returns 0, or -1 with errno set. */
int pstate_write(const char *dir, const char *name, const void *data,
                 size_t len);

/* pstate_write without the fsync of the directory: still atomic (after a
 * crash the old file or the new one, whole), but the rename may be lost.
 * For a checkpoint whose previous version is as good a place to resume
 * from (the claims state): one fsync instead of two. */
#define PSTATE_NO_DIR_SYNC 0x1u
int pstate_write_flags(const char *dir, const char *name, const void *data,
                       size_t len, unsigned flags);

/* Reads dir/name whole (at most max bytes) into a NUL-terminated malloc'd
 * buffer stored in *out, its length in *len. Returns 0, 1 when the file
 * does not exist, or -1 with errno set (EFBIG when larger than max, ELOOP
 * for a link, EPERM for a file or directory of another user or writable
 * by others). */
int pstate_read(const char *dir, const char *name, size_t max, char **out,
                size_t *len);

/* pstate_read and cJSON_Parse: the state file as JSON, for cJSON_Delete;
 * NULL when dir is NULL or the file is missing, unreadable or not JSON
 * (to a plugin, a first run). */
struct cJSON;
struct cJSON *pstate_read_json(const char *dir, const char *name, size_t max);

#endif
