/* SPDX-License-Identifier: Apache-2.0 */
/*
 * utf8.h: the one UTF-8 validator of probe-agent (the agent's lines and
 * configuration, the config plugin's env files, probe-report's input).
 * Valid means RFC 3629: no overlong form, no surrogate (U+D800..U+DFFF),
 * nothing above U+10FFFF, no sequence cut short by the end of the text.
 * There used to be three copies (agent/util.c, plugins/config/envfile.c,
 * report/lines.c) with the same rules written three ways.
 */
#ifndef LIB_UTF8_H
#define LIB_UTF8_H

#include <stddef.h>

/* 1 when the len bytes at s are valid UTF-8, else 0 and, when bad_at is
 * not NULL, *bad_at is the offset of the first sequence that is not. */
int utf8_valid(const char *s, size_t len, size_t *bad_at);

/* The length (1-4) of the valid UTF-8 sequence that starts at s (n > 0
 * bytes left), 0 when none starts there: for escapers that copy valid
 * text and replace the rest byte by byte. */
size_t utf8_seq_len(const char *s, size_t n);

#endif
