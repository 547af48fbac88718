/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-anchor-cache.c: libFuzzer target for the anchor plugin's cache file
 * (plugins/anchor/cache.c), read back from the state directory on every
 * run. Input: the file's bytes after a valid header (the first input byte
 * picks whether the header is prepended, so that foreign files are tried
 * too). Checks the round trip: what was loaded, saved and loaded again is
 * the same set of entries.
 *   ./fuzz-anchor-cache tests/fuzz/corpus/anchor-cache
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/anchor/cache.h"
#include "plugins/common/pstate.h"
#include "tests/fuzz/fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SENDER "0x00000000000000000000000000000000000000aa"
static const char head[] = "probe-agent anchor cache v1 " SENDER "\n";

/* 1 when two entries hold the same values. */
static int same(const cache_entry *a, const cache_entry *b)
{
  return !memcmp(a->tx_hash, b->tx_hash, 32) && a->final == b->final &&
         a->anchored_seq == b->anchored_seq &&
         !memcmp(a->anchored_hash, b->anchored_hash, 32) &&
         a->chain_id == b->chain_id && a->block_number == b->block_number &&
         !memcmp(a->block_hash, b->block_hash, 32) &&
         a->block_ts == b->block_ts && a->nonce_only == b->nonce_only &&
         a->has_nonce == b->has_nonce && a->nonce == b->nonce &&
         (a->fee_wei == b->fee_wei);
}

/* 1 when every entry of a occurs in b as often as in a. */
static int same_set(const cache *a, const cache *b)
{
  if(a->n != b->n)
    return 0;
  for(size_t i = 0; i < a->n; i++) {
    size_t na = 0, nb = 0;
    for(size_t j = 0; j < a->n; j++) {
      na += same(&a->e[i], &a->e[j]);
      nb += same(&a->e[i], &b->e[j]);
    }
    if(na != nb)
      return 0;
  }
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  cache c1, c2;
  if(size < 1)
    return 0;
  int with_head = data[0] & 1;
  size_t hl = with_head ? sizeof(head) - 1 : 0;
  char *buf = malloc(hl + size);
  if(!buf)
    return 0;
  memcpy(buf, head, hl);
  memcpy(buf + hl, data + 1, size - 1);
  const char *dir = (fuzz_scratch("anchors.cache"), fuzz_dir);
  if(pstate_write(dir, "anchors.cache", buf, hl + size - 1) != 0)
    abort();
  free(buf);
  cache_load(&c1, dir, SENDER);
  if(!with_head && c1.n && size - 1 < sizeof(head) - 1)
    abort(); /* entries without the header */
  if(cache_save(&c1, dir) != 0)
    abort();
  cache_load(&c2, dir, SENDER);
  if(!same_set(&c1, &c2))
    abort();
  for(size_t i = 0; i < c2.n; i++)
    if(cache_get(&c2, c2.e[i].tx_hash) == NULL)
      abort();
  cache_free(&c1);
  cache_free(&c2);
  return 0;
}
