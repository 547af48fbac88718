/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cache.h: what the anchor plugin remembers between runs, in one small
 * text file of its state directory (written atomically with pstate):
 *  - final anchors (confirmed and final on every node): not asked again;
 *    keyed by tx hash plus what the ledger claims (seq, hash, chain id), so
 *    a rewritten anchor event is asked afresh;
 *  - the block where a not yet final anchor was last seen, so that a reorg
 *    that later drops or moves it is noticed;
 *  - the nonce (and block) of every recorded transaction of the wallet,
 *    and the fee a final anchor paid, so that the wallet's nonce accounting
 *    and its runway make no per-anchor request on a warm run (N lines hold
 *    the nonce of a recorded transaction that is neither F nor S).
 * The file names the expected_sender it was made under; another one
 * discards it (an anchor confirmed for one wallet says nothing of another).
 */
#ifndef PLUGINS_ANCHOR_CACHE_H
#define PLUGINS_ANCHOR_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cache_entry {
  uint8_t tx_hash[32];
  int final;            /* 1 final (F line), 0 seen (S line) */
  int64_t anchored_seq; /* F only */
  uint8_t anchored_hash[32];
  uint64_t chain_id;
  uint64_t block_number;
  uint8_t block_hash[32];
  int64_t block_ts; /* F only */
  int nonce_only;   /* N line: only the nonce and block are known */
  int has_nonce;    /* nonce is the wallet's nonce of this transaction */
  uint64_t nonce;
  double fee_wei; /* F: gasUsed x effectiveGasPrice; 0 unknown */
} cache_entry;

typedef struct cache {
  cache_entry *e;
  size_t n, cap;
  char sender[43]; /* "0x.." or "-" */
} cache;

/* Loads dir/anchors.cache; a missing, foreign or corrupt file gives an
 * empty cache (never an error: the cache only saves work). */
void cache_load(cache *c, const char *dir, const char *sender);

/* Appends an entry (callers add each tx hash once). 0 or -1 (no memory). */
int cache_put(cache *c, const cache_entry *e);

/* The entry of a tx hash, or NULL. cache_sort first. */
const cache_entry *cache_get(const cache *c, const uint8_t tx_hash[32]);

/* Sorts for cache_get (after loading or putting). */
void cache_sort(cache *c);

/* Writes the cache atomically. 0 or -1 with errno. */
int cache_save(const cache *c, const char *dir);

void cache_free(cache *c);

#endif
