/* SPDX-License-Identifier: Apache-2.0 */
/*
 * statefile.h: where a plugin's state goes and what its files are called,
 * one rule for the agent (which makes the directory) and the plugins'
 * kit (which writes the files, plugins/common/pstate.h).
 *
 * - A plugin's state directory is <state base>/<plugin name>.
 * - A state file is a plain name in it: not empty, not "." or "..", no
 *   '/', at most STATEFILE_NAME_MAX bytes.
 * - A file kept per checked thing (a queue, a dead-letter endpoint) is
 *   "<prefix>-<16 hex digits>.json", the digits the 64-bit FNV-1a hash of
 *   the thing's key parts joined by a separator: the name is stable across
 *   runs and versions (changing it would lose the history) and tells
 *   nothing of the target (a redacted URL or conninfo goes in the hash).
 * - A file being written is first ".<name>.<pid>.<hex>.<n>" in the same
 *   directory, then renamed over the name.
 */
#ifndef LIB_STATEFILE_H
#define LIB_STATEFILE_H

#include <stddef.h>

#define STATEFILE_NAME_MAX 200

/* "<base>/<plugin>" into out. 0, or -1 with errno EINVAL (plugin empty,
 * "." or "..", or holding a '/') or ENAMETOOLONG (out too small). */
int statefile_dir(const char *base, const char *plugin, char *out,
                  size_t outlen);

/* 1 when name may be a state file's name (see above), else 0. */
int statefile_name_ok(const char *name);

/* "<prefix>-<hash>.json" into out, the hash over the n parts joined by
 * sep (NULL or "" for none). 0, or -1 with errno ENAMETOOLONG. */
int statefile_name(const char *prefix, const char *sep,
                   const char *const *parts, size_t n, char *out,
                   size_t outlen);

/* The n-th temporary name for name (unique to this process and moment)
 * into out. */
void statefile_temp_name(const char *name, unsigned n, char *out,
                         size_t outlen);

#endif
