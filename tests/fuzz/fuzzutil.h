/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzzutil.h: the checks that several fuzz targets make of the text a
 * plugin hands the agent (a summary, a verdict, a message): one line of
 * valid UTF-8 without control characters, and no secret inside it.
 * And a scratch directory for the targets that must hand a file over.
 * Static inline, so each target includes it without a library.
 */
#ifndef TESTS_FUZZ_FUZZUTIL_H
#define TESTS_FUZZ_FUZZUTIL_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

/* 1 when s is valid UTF-8 (no overlong form, no surrogate), and without a
 * control character (C0 or DEL) unless controls. */
static inline int fuzz_utf8_ok(const char *s, int controls)
{
  const unsigned char *p = (const unsigned char *)s;
  while(*p) {
    unsigned c = *p, n, cp;
    if(!controls && (c < 0x20 || c == 0x7f))
      return 0;
    if(c < 0x80) {
      p++;
      continue;
    }
    if(c >= 0xc2 && c <= 0xdf)
      n = 1, cp = c & 0x1f;
    else if(c >= 0xe0 && c <= 0xef)
      n = 2, cp = c & 0x0f;
    else if(c >= 0xf0 && c <= 0xf4)
      n = 3, cp = c & 0x07;
    else
      return 0;
    for(unsigned i = 1; i <= n; i++) {
      if((p[i] & 0xc0) != 0x80)
        return 0;
      cp = cp << 6 | (p[i] & 0x3fu);
    }
    if((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
       (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
      return 0;
    p += n + 1;
  }
  return 1;
}

/* One line of valid UTF-8 without control characters. */
static inline int fuzz_text_ok(const char *s)
{
  return fuzz_utf8_ok(s, 0);
}

/* 1 when secret (len bytes) could be told apart from the fixed text of a
 * message: at least 8 bytes, with an upper-case letter, a lower-case one
 * and a digit, and no space, quote or slash (the templates, paths and
 * names of the targets hold no such run). Only such secrets are looked
 * for, so that a match is a leak and not a coincidence. */
static inline int fuzz_secret_distinct(const char *secret, size_t len)
{
  int up = 0, lo = 0, dg = 0;
  if(len < 8)
    return 0;
  for(size_t i = 0; i < len; i++) {
    char c = secret[i];
    up |= c >= 'A' && c <= 'Z';
    lo |= c >= 'a' && c <= 'z';
    dg |= c >= '0' && c <= '9';
    if(c == ' ' || c == '"' || c == '/' || c == '\'' || c == '\0')
      return 0;
  }
  return up && lo && dg;
}

/* 1 when the len bytes of secret occur in s. */
static inline int fuzz_leaks(const char *s, const char *secret, size_t len)
{
  return s && memmem(s, strlen(s), secret, len) != NULL;
}

/* How many times the len bytes of secret occur in s. */
static inline size_t fuzz_count(const char *s, const char *secret, size_t len)
{
  size_t n = 0, sl = strlen(s);
  const char *p = s;
  while((p = memmem(p, sl - (size_t)(p - s), secret, len)) != NULL) {
    n++;
    p++;
  }
  return n;
}

/* The targets that read two kinds of input: the first byte picks which
 * (odd: odd(), even: even()), the rest is the input. */
static inline int fuzz_two_modes(const unsigned char *data, size_t size,
                                 void (*odd)(const char *, size_t),
                                 void (*even)(const char *, size_t))
{
  if(size >= 1)
    (data[0] & 1 ? odd : even)((const char *)data + 1, size - 1);
  return 0;
}

static char fuzz_dir[64], fuzz_file[96];

/* Removes the scratch file and its directory at exit. */
static inline void fuzz_scratch_remove(void)
{
  unlink(fuzz_file);
  rmdir(fuzz_dir);
}

/* The path of the one scratch file `name` of this process, in a new
 * directory (mode 0700, as pstate wants it) on /dev/shm when there is one,
 * so that an fsync costs nothing; made once, removed at exit. */
static inline const char *fuzz_scratch(const char *name)
{
  if(!fuzz_dir[0]) {
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/probe-fuzz.XXXXXX", base);
    if(!mkdtemp(fuzz_dir))
      abort();
    snprintf(fuzz_file, sizeof(fuzz_file), "%s/%s", fuzz_dir, name);
    atexit(fuzz_scratch_remove);
  }
  return fuzz_file;
}

#endif
