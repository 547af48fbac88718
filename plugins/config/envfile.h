/* SPDX-License-Identifier: Apache-2.0 */
/*
 * envfile.h: environment files as shells and systemd's EnvironmentFile=
 * read them (KEY=VALUE lines, `export`, comments, single and double
 * quotes, backslash escapes and continuations).
 *
 * Kept apart from the config plugin's glue so that the unit test and the
 * libFuzzer target (tests/fuzz/fuzz-envfile.c) link it alone: the input is
 * a file someone else wrote, so the parser must end on any bytes.
 */
#ifndef PLUGINS_CONFIG_ENVFILE_H
#define PLUGINS_CONFIG_ENVFILE_H

#include <stddef.h>

#include "lib/utf8.h"

/* One assignment, the last one of its key. */
typedef struct envfile_entry {
  char *key;
  char *value;         /* NUL-terminated (values holding NUL are refused) */
  unsigned line;       /* line of the key of the assignment that wins */
  unsigned dups;       /* earlier assignments of the same key */
  unsigned first_line; /* line of the first one */
} envfile_entry;

typedef struct envfile {
  envfile_entry *e;
  size_t n, cap;
} envfile;

/* Parses buf (len bytes, need not be NUL-terminated) into out. Refuses,
 * with the line in err, a NUL byte (a binary file), invalid UTF-8, a line
 * that is not a comment, blank or KEY=VALUE, and an unterminated quote.
 * 0, or -1 (out is then empty). */
int envfile_parse(const char *buf, size_t len, envfile *out, char *err,
                  size_t errlen);

/* The entry of key, or NULL. */
const envfile_entry *envfile_get(const envfile *f, const char *key);

/* Frees out's entries (values wiped: they may be secrets). */
void envfile_free(envfile *f);

/* 1 when buf holds valid UTF-8; *bad_at set to the offset of the first
 * bad byte otherwise. The validator is lib/utf8.c's; this name stays for
 * config.c and the fuzz target. */
static inline int envfile_utf8_valid(const char *buf, size_t len,
                                     size_t *bad_at)
{
  return utf8_valid(buf, len, bad_at);
}

#endif
