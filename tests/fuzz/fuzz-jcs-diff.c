/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-jcs-diff.c: differential libFuzzer target for crypto/jcs.c. Every
 * input goes through the full parser and through the fast path with each
 * scanner the CPU has (SWAR, SSE2, AVX2), with and without the "hash"
 * member omitted; any difference in code, error offset, canonical text,
 * omitted value or top-level member aborts. This is what proves that the
 * fast path gives the full parser's bytes and rejections. Shape replay is
 * part of the fast path: each input starts with no shape recorded; when it
 * holds newlines, the lines before the last are canonicalized first, in
 * turn (recording their shapes) and the last line compared, so that what
 * is compared is a line replayed against other lines' shapes; then the
 * whole input is compared twice (the second time against its own shape,
 * when it has one). crypto_jcs_find_members is asked on every line, and
 * compared on the compared ones.
 * Build: ./configure CC=clang --enable-fuzzing && make tests/fuzz/fuzz-jcs-diff
 * Seeds: tests/fuzz/corpus/jcs-diff.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/jcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static crypto_jcs *full, *fast[3];
static size_t nfast;
static crypto_jcs_names *set; /* compare's names, for find_members */

/* One input through full and f; aborts on any difference. */
static void compare(crypto_jcs *f, const char *in, size_t len, const char *omit)
{
  /* "ts" and "tx", "a" and "b": names of one length share a look-up;
   * the aggregate_ names share their first 8 bytes */
  static const char *const names[] = {
      "seq", "payload", "prev_hash", "ts",           "type",        "a",
      "",    "tx",      "b",         "aggregate_ie", "aggregate_id"};
  crypto_jcs_code a = crypto_jcs_canonicalize_omit(full, in, len, omit);
  crypto_jcs_code b = crypto_jcs_canonicalize_omit(f, in, len, omit);
  const char *ta, *tb, *vals[sizeof(names) / sizeof(names[0])];
  size_t la, lb, i, vlens[sizeof(names) / sizeof(names[0])],
      lens[sizeof(names) / sizeof(names[0])];
  if(a != b)
    abort();
  if(a != CRYPTO_JCS_OK) {
    if(crypto_jcs_error_offset(full) != crypto_jcs_error_offset(f))
      abort();
    return;
  }
  ta = crypto_jcs_text(full, &la);
  tb = crypto_jcs_text(f, &lb);
  if(la != lb || memcmp(ta, tb, la) != 0)
    abort();
  ta = crypto_jcs_omitted(full, &la);
  tb = crypto_jcs_omitted(f, &lb);
  if((ta == NULL) != (tb == NULL) ||
     (ta && (la != lb || memcmp(ta, tb, la) != 0)))
    abort();
  /* and the one-pass lookup (lverify's) agrees with the single one */
  for(i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    lens[i] = strlen(names[i]);
  crypto_jcs_top_members(f, names, lens, sizeof(names) / sizeof(names[0]), vals,
                         vlens);
  for(i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    int ra = crypto_jcs_top_member(full, names[i], &ta, &la);
    int rb = crypto_jcs_top_member(f, names[i], &tb, &lb);
    if(ra != rb || (ra == 0 && (la != lb || memcmp(ta, tb, la) != 0)))
      abort();
    if((rb == 0) != (vals[i] != NULL) ||
       (rb == 0 && (vals[i] != tb || vlens[i] != lb)))
      abort();
  }
  /* the name set's look-up too, which may answer from what it kept of
   * an earlier line of the same shape */
  if(!set &&
     !(set = crypto_jcs_names_new(names, sizeof(names) / sizeof(names[0]))))
    abort();
  crypto_jcs_find_members(f, set, vals, vlens);
  for(i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    int rb = crypto_jcs_top_member(f, names[i], &tb, &lb);
    if((rb == 0) != (vals[i] != NULL) ||
       (rb == 0 && (vals[i] != tb || vlens[i] != lb)))
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const crypto_jcs_path paths[] = {CRYPTO_JCS_PATH_SWAR,
                                          CRYPTO_JCS_PATH_SSE2,
                                          CRYPTO_JCS_PATH_AVX2};
  size_t i;
  char *copy, *last;
  if(!full) {
    full = crypto_jcs_new();
    if(!full || crypto_jcs_set_path(full, CRYPTO_JCS_PATH_FULL) != 0)
      abort();
    for(i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
      crypto_jcs *f = crypto_jcs_new();
      if(!f)
        abort();
      if(crypto_jcs_set_path(f, paths[i]) == 0)
        fast[nfast++] = f;
      else
        crypto_jcs_free(f);
    }
  }
  /* an exact-size copy, so that ASan sees any read past the end */
  copy = malloc(size ? size : 1);
  if(!copy)
    return 0;
  memcpy(copy, data, size);
  last = memrchr(copy, '\n', size);
  for(i = 0; i < nfast; i++) {
    crypto_jcs_set_shapes(fast[i], 1);
    if(last) {
      size_t at = (size_t)(last - copy);
      const char *p = copy;
      while(p < last) {
        const char *nl = memchr(p, '\n', (size_t)(last + 1 - p));
        if(crypto_jcs_canonicalize_omit(fast[i], p, (size_t)(nl - p), "hash") ==
               CRYPTO_JCS_OK &&
           set) {
          const char *v[16];
          size_t vl[16];
          crypto_jcs_find_members(fast[i], set, v, vl);
        }
        p = nl + 1;
      }
      compare(fast[i], last + 1, size - at - 1, "hash");
      compare(fast[i], last + 1, size - at - 1, NULL);
    }
    compare(fast[i], copy, size, "hash");
    compare(fast[i], copy, size, NULL);
  }
  free(copy);
  return 0;
}
