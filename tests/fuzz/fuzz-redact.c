/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-redact.c: libFuzzer target for the redactor (lib/redact.c).
 *   ./fuzz-redact tests/fuzz/corpus/redact
 * The first byte picks a mode, the rest drives it:
 *   0  the bytes as text: the output is valid UTF-8 without control
 *      characters, and redacting it again changes nothing;
 *   1  a conninfo built from the bytes (pairs after any white space, quoted
 *      or escaped values) with one secret pair (password, sslpassword, or
 *      any keyword not on the allow-list);
 *   2  a URL built from the bytes with a secret in its userinfo (encoded,
 *      bare, or raw with '/', ':' in it as in postgresql://u:pa/ss@h/db) or
 *      in a query value whose name is not on the allow-list.
 * In modes 1 and 2 the same input is built a second time with the secret
 * replaced by REDACTED, and both must redact to the same text: nothing of
 * the secret, not a byte nor its length, reaches the output.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fuzzer's bytes, read one at a time (0 once they run out). */
typedef struct src {
  const uint8_t *p;
  size_t n;
} src;

static unsigned take(src *s)
{
  if(!s->n)
    return 0;
  s->n--;
  return *s->p++;
}

/* A fixed-size text being built, the same for both inputs but where the
 * secret goes. */
typedef struct txt {
  char b[8192];
  size_t len;
} txt;

static void add(txt *t, const char *s, size_t n)
{
  if(n > sizeof(t->b) - 1 - t->len)
    n = sizeof(t->b) - 1 - t->len;
  memcpy(t->b + t->len, s, n);
  t->len += n;
  t->b[t->len] = '\0';
}

static void adds(txt *t, const char *s)
{
  add(t, s, strlen(s));
}

/* Adds s to both inputs. */
static void both(txt *a, txt *b, const char *s, size_t n)
{
  add(a, s, n);
  add(b, s, n);
}

/* Aborts unless out is valid UTF-8 without C0, DEL or C1 controls. */
static void check_clean(const char *out)
{
  const unsigned char *u = (const unsigned char *)out;
  while(*u) {
    unsigned c = *u, len, cp;
    if(c < 0x20 || c == 0x7f)
      abort();
    if(c < 0x80) {
      u++;
      continue;
    }
    if(c >= 0xc2 && c <= 0xdf)
      len = 2, cp = c & 0x1f;
    else if(c >= 0xe0 && c <= 0xef)
      len = 3, cp = c & 0x0f;
    else if(c >= 0xf0 && c <= 0xf4)
      len = 4, cp = c & 0x07;
    else
      abort();
    for(unsigned i = 1; i < len; i++) {
      if((u[i] & 0xc0) != 0x80)
        abort();
      cp = (cp << 6) | (u[i] & 0x3f);
    }
    if((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
       cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
       (cp >= 0x80 && cp < 0xa0))
      abort();
    u += len;
  }
}

/* Redacts in, checks the output and that redacting it again changes
 * nothing; returns the malloc'd output (NULL only out of memory). */
static char *redact_checked(const char *in)
{
  char *out = redact_target(in);
  if(!out)
    return NULL;
  check_clean(out);
  char *again = redact_target(out);
  if(again && strcmp(again, out) != 0)
    abort();
  free(again);
  return out;
}

/* A key of 1..8 letters or '_' from the bytes. */
static void gen_key(src *s, char *k)
{
  unsigned n = 1 + take(s) % 8;
  for(unsigned i = 0; i < n; i++) {
    unsigned c = take(s) % 27;
    k[i] = c == 26 ? '_' : (char)('a' + c);
  }
  k[n] = '\0';
}

/* A key of the allow-list's alphabet that is not on it. */
static void gen_denied_key(src *s, char *k)
{
  gen_key(s, k);
  if(redact_name_shown(k, strlen(k)))
    strcpy(k, "password");
}

/* White space of one or two of the kinds libpq skips. */
static void gen_space(src *s, txt *a, txt *b)
{
  static const char ws[] = " \t\n\r\v\f";
  unsigned n = 1 + take(s) % 2;
  for(unsigned i = 0; i < n; i++)
    both(a, b, &ws[take(s) % 6], 1);
}

/* A value of bytes 1..255 to t: 0..24 of them quoted with escapes, or
 * 1..24 unquoted with every byte libpq would stop at escaped (an empty
 * unquoted value would take the next pair as its value, as in libpq). */
static void gen_value(src *s, txt *t, int quoted)
{
  unsigned n = quoted ? take(s) % 25 : 1 + take(s) % 24;
  if(quoted)
    add(t, "'", 1);
  for(unsigned i = 0; i < n; i++) {
    char c = (char)(1 + take(s) % 255);
    if(c == '\\' || (quoted && c == '\'') ||
       (!quoted && (strchr(" \t\n\r\v\f", c) || (i == 0 && c == '\''))))
      add(t, "\\", 1);
    add(t, &c, 1);
  }
  if(quoted)
    add(t, "'", 1);
}

/* A pair that is not the secret, to both. */
static void gen_pair(src *s, txt *a, txt *b)
{
  char k[16];
  txt v = {.len = 0};
  gen_key(s, k);
  both(a, b, k, strlen(k));
  if(take(s) % 2)
    both(a, b, " = ", 3);
  else
    both(a, b, "=", 1);
  gen_value(s, &v, (int)(take(s) % 2));
  both(a, b, v.b, v.len);
}

/* Mode 1: conninfo with one secret pair. */
static void conninfo(src *s, txt *a, txt *b)
{
  unsigned before = take(s) % 4, after = take(s) % 4;
  char k[16];
  for(unsigned i = 0; i < before; i++) {
    gen_pair(s, a, b);
    gen_space(s, a, b);
  }
  unsigned kind = take(s) % 3;
  if(kind == 0)
    strcpy(k, "password");
  else if(kind == 1)
    strcpy(k, "sslpassword");
  else
    gen_denied_key(s, k);
  both(a, b, k, strlen(k));
  both(a, b, "=", 1);
  gen_value(s, a, (int)(take(s) % 2));
  adds(b, REDACT_WORD);
  for(unsigned i = 0; i < after; i++) {
    gen_space(s, a, b);
    gen_pair(s, a, b);
  }
}

/* Percent-encodes 1..24 bytes from the bytes (every byte not a letter or
 * digit) to t. */
static void gen_encoded(src *s, txt *t)
{
  static const char hex[] = "0123456789ABCDEF";
  unsigned n = 1 + take(s) % 24;
  for(unsigned i = 0; i < n; i++) {
    unsigned c = take(s);
    if((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
       (c >= '0' && c <= '9')) {
      char ch = (char)c;
      add(t, &ch, 1);
    }
    else {
      char e[3] = {'%', hex[c >> 4], hex[c & 15]};
      add(t, e, 3);
    }
  }
}

/* Mode 2: a URL with a secret in its userinfo or in a query value. */
static void url(src *s, txt *a, txt *b)
{
  static const char *const schemes[] = {"http",     "https", "postgresql",
                                        "postgres", "redis", ""};
  static const char path_chars[] = "abcxyz019/._-~";
  unsigned where = take(s) % 4; /* encoded, bare, raw userinfo; query */
  const char *sc = schemes[take(s) % 6];
  both(a, b, sc, strlen(sc));
  both(a, b, "://", 3);
  if(where == 0) {
    adds(a, "u:");
    gen_encoded(s, a);
    adds(a, "@");
    adds(b, REDACT_WORD "@");
  }
  else if(where == 1) {
    gen_encoded(s, a);
    adds(a, "@");
    adds(b, REDACT_WORD "@");
  }
  else if(where == 2) {
    /* raw, as people write it: anything but what ends the userinfo */
    unsigned n = 1 + take(s) % 16;
    adds(a, "u:");
    for(unsigned i = 0; i < n; i++) {
      char c = (char)(0x21 + take(s) % 94);
      if(c == '@' || c == '?' || c == '#')
        c = '/';
      add(a, &c, 1);
    }
    adds(a, "@");
    adds(b, REDACT_WORD "@");
  }
  both(a, b, "h.example", 9);
  if(take(s) % 2)
    both(a, b, ":5432", 5);
  unsigned plen = take(s) % 12;
  both(a, b, "/", 1);
  for(unsigned i = 0; i < plen; i++)
    both(a, b, &path_chars[take(s) % (sizeof(path_chars) - 1)], 1);
  unsigned nq = take(s) % 4;
  for(unsigned i = 0; i <= nq; i++) {
    char k[16];
    both(a, b, i ? "&" : "?", 1);
    if(where == 3 && i == nq) {
      gen_denied_key(s, k);
      both(a, b, k, strlen(k));
      both(a, b, "=", 1);
      gen_encoded(s, a);
      adds(b, REDACT_WORD);
    }
    else {
      txt v = {.len = 0};
      gen_key(s, k);
      both(a, b, k, strlen(k));
      both(a, b, "=", 1);
      gen_encoded(s, &v);
      both(a, b, v.b, v.len);
    }
  }
  if(take(s) % 2) {
    txt v = {.len = 0};
    both(a, b, "#", 1);
    gen_encoded(s, &v);
    both(a, b, v.b, v.len);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if(size < 1 || size > 4096)
    return 0;
  src s = {data + 1, size - 1};
  unsigned mode = data[0] % 3;
  if(mode == 0) {
    char *in = malloc(size);
    if(!in)
      return 0;
    memcpy(in, data + 1, size - 1);
    in[size - 1] = '\0'; /* stops at the first NUL, as C strings do */
    free(redact_checked(in));
    free(in);
    return 0;
  }
  static txt a, b;
  a.len = b.len = 0;
  a.b[0] = b.b[0] = '\0';
  if(mode == 1)
    conninfo(&s, &a, &b);
  else
    url(&s, &a, &b);
  if(a.len >= sizeof(a.b) - 1 || b.len >= sizeof(b.b) - 1)
    return 0; /* truncated: the two may differ in more than the secret */
  char *ra = redact_checked(a.b), *rb = redact_checked(b.b);
  if(ra && rb && strcmp(ra, rb) != 0)
    abort(); /* the output depends on the secret */
  free(ra);
  free(rb);
  return 0;
}
