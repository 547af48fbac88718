/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jcs.h: the JSON Canonicalization Scheme of RFC 8785, written for this
 * project (the ledger's hash is SHA-256 over JCS text).
 *
 * One pass over the input parses and writes the canonical text into a
 * reusable buffer: members sorted by the UTF-16 code units of their names,
 * no insignificant white space, strings escaped exactly as RFC 8785 says
 * (only \" \\ \b \t \n \f \r and \u00xx for the other controls; everything
 * else as raw UTF-8), numbers printed as ECMAScript's
 * Number.prototype.toString prints the IEEE-754 double they denote.
 * Rejected: anything that is not one JSON text, a member name given twice
 * in one object, invalid UTF-8, lone surrogate escapes, numbers beyond the
 * double range, nesting deeper than CRYPTO_JCS_MAX_DEPTH.
 *
 * A crypto_jcs holds the output and scratch buffers; they grow to the
 * largest input seen and are reused, so canonicalizing a stream of events
 * allocates nothing per event once warm. One crypto_jcs per thread.
 * Number parsing uses strtod, so the process must keep LC_NUMERIC "C"
 * (the default unless someone calls setlocale).
 */
#ifndef CRYPTO_JCS_H
#define CRYPTO_JCS_H

#include <stddef.h>

#define CRYPTO_JCS_MAX_DEPTH 512

typedef enum crypto_jcs_code {
  CRYPTO_JCS_OK = 0,
  CRYPTO_JCS_ERR_SYNTAX,    /* not exactly one JSON text */
  CRYPTO_JCS_ERR_DUPLICATE, /* a member name twice in one object */
  CRYPTO_JCS_ERR_UTF8,      /* invalid UTF-8 in a string */
  CRYPTO_JCS_ERR_SURROGATE, /* a \uD800-\uDFFF escape without its pair */
  CRYPTO_JCS_ERR_NUMBER,    /* a number beyond the double range */
  CRYPTO_JCS_ERR_DEPTH,     /* nested deeper than CRYPTO_JCS_MAX_DEPTH */
  CRYPTO_JCS_ERR_NOMEM
} crypto_jcs_code;

typedef struct crypto_jcs crypto_jcs;

/* A fresh canonicalizer, or NULL when out of memory. */
crypto_jcs *crypto_jcs_new(void);

/* Frees it and its buffers (NULL is fine). */
void crypto_jcs_free(crypto_jcs *j);

/* Canonicalizes the JSON text in[0..len). On CRYPTO_JCS_OK the text is
 * available through crypto_jcs_text until the next call. */
crypto_jcs_code crypto_jcs_canonicalize(crypto_jcs *j, const char *in,
                                        size_t len);

/* Like crypto_jcs_canonicalize, but when the top-level value is an object,
 * its member named `omit` (plain ASCII, no escapes needed) is left out of
 * the canonical text and its canonical value kept apart
 * (crypto_jcs_omitted). This is how a ledger event is hashed without its
 * "hash" member in one pass. omit may be NULL. */
crypto_jcs_code crypto_jcs_canonicalize_omit(crypto_jcs *j, const char *in,
                                             size_t len, const char *omit);

/* The canonical text of the last successful call (not NUL-terminated;
 * *len its length). */
const char *crypto_jcs_text(const crypto_jcs *j, size_t *len);

/* The canonical value of the omitted member, or NULL when the top-level
 * object had no such member. */
const char *crypto_jcs_omitted(const crypto_jcs *j, size_t *len);

/* After a successful call on a top-level object: the canonical text of its
 * member `name` (plain ASCII), pointing into crypto_jcs_text. Returns 0, or
 * -1 when there is no such member (or the top level is not an object). The
 * omitted member is not found here. */
int crypto_jcs_top_member(const crypto_jcs *j, const char *name,
                          const char **val, size_t *vlen);

/* crypto_jcs_top_member for n names at once, in one pass over the
 * members: val[k] (NULL when absent) and vlen[k] for names[k], whose
 * length is lens[k] (the caller's, so that a fixed set costs no strlen).
 * Returns how many were found. */
size_t crypto_jcs_top_members(const crypto_jcs *j, const char *const *names,
                              const size_t *lens, size_t n, const char **val,
                              size_t *vlen);

/* A set of up to CRYPTO_JCS_NAMES_MAX names, each under 64 bytes, looked
 * up together on many texts (lverify's six members); the names are
 * copied. NULL when out of memory or outside those bounds. */
#define CRYPTO_JCS_NAMES_MAX 32
typedef struct crypto_jcs_names crypto_jcs_names;
crypto_jcs_names *crypto_jcs_names_new(const char *const *names, size_t n);

/* Frees a set (NULL is fine). */
void crypto_jcs_names_free(crypto_jcs_names *w);

/* crypto_jcs_top_members for the set w: val[k] and vlen[k] for its k-th
 * name. On a line that shape replay wrote, the canonicalizer remembers
 * where the line's shape holds each name of the last set it was asked
 * for, so that the next line of that shape costs no compare (a ledger's
 * lines nearly all share one top-level shape). */
size_t crypto_jcs_find_members(crypto_jcs *j, const crypto_jcs_names *w,
                               const char **val, size_t *vlen);

/* Byte offset in the input where the last call failed. */
size_t crypto_jcs_error_offset(const crypto_jcs *j);

/* A short English text for a code. */
const char *crypto_jcs_strerror(crypto_jcs_code c);

/* Which implementation canonicalizes. The fast path scans a text that is
 * already canonical (the common case for ledger lines: no white space
 * inside, canonical escapes and numbers, any member order) with wide loads
 * and copies it in one piece, sorting members in place; anything else
 * (other spellings, every error) is redone by the full parser, so output,
 * codes and error offsets are the full parser's. AUTO, the default, is
 * SSE2 on x86-64 (AVX2 gains nothing on strings of ledger size) and SWAR
 * elsewhere; the environment variable PROBE_JCS_PATH (full, swar, sse2,
 * avx2) overrides it for benchmarks. */
typedef enum crypto_jcs_path {
  CRYPTO_JCS_PATH_AUTO = 0,
  CRYPTO_JCS_PATH_FULL, /* the full parser only */
  CRYPTO_JCS_PATH_SWAR, /* portable 8-byte scanner */
  CRYPTO_JCS_PATH_SSE2, /* x86-64 */
  CRYPTO_JCS_PATH_AVX2  /* x86-64 with AVX2 (runtime check) */
} crypto_jcs_path;

/* Selects the implementation; -1 (nothing changed) when this build or CPU
 * lacks it. */
int crypto_jcs_set_path(crypto_jcs *j, crypto_jcs_path p);

/* The implementation in use: "full", "swar", "sse2" or "avx2". */
const char *crypto_jcs_path_name(const crypto_jcs *j);

/* 1 when the last call was completed by the fast path, else 0. */
int crypto_jcs_last_fast(const crypto_jcs *j);

/* Shape replay, part of the fast path (on by default; the environment
 * variable PROBE_JCS_SHAPES=0 turns it off for benchmarks): the shapes of
 * recent lines (their objects' member names, in any order, and how they
 * nest) are remembered, and a line of a remembered shape has each name
 * looked up and checked against it and its members written in the
 * remembered sorted order, without scanning names or sorting members.
 * Setting it (or the path) forgets the shapes. Returns 0. */
int crypto_jcs_set_shapes(crypto_jcs *j, int on);

/* 1 when the last call was completed by replaying a shape (the fast path
 * then reports 1 too), else 0. */
int crypto_jcs_last_shaped(const crypto_jcs *j);

/* Looks up member `name` (plain ASCII) in obj[0..len), which must be
 * canonical JCS object text (e.g. a value from crypto_jcs_top_member).
 * Returns 0 with the value's span, or -1 when absent or obj is no object. */
int crypto_jcs_member(const char *obj, size_t len, const char *name,
                      const char **val, size_t *vlen);

/* Writes the ECMAScript Number.prototype.toString text of a finite double
 * to out (at least 32 bytes) and returns its length; -1 for NaN or
 * infinity (JCS has no spelling for them). */
int crypto_jcs_format_double(double d, char *out);

#endif
