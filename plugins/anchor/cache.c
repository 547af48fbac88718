/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cache.c: the anchor plugin's state file (see cache.h). Format, one
 * record a line, fields separated by one space, hashes in lower-case hex:
 *   probe-agent anchor cache v1 <sender>
 *   F <tx_hash> <anchored_seq> <anchored_hash> <chain_id> <block_number> <block_hash> <block_ts>
 *   S <tx_hash> <block_number> <block_hash>
 *   N <tx_hash> <nonce> <block_number>   (nonce -: not the wallet's)
 * F and S lines may end with " <nonce> <fee_wei>" (nonce - when unknown);
 * files written before that parse without them.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hex.h"
#include "plugins/anchor/cache.h"
#include "plugins/common/pstate.h"

#define CACHE_FILE "anchors.cache"
#define CACHE_MAX ((size_t)64 * 1024 * 1024)

static int cmp_entry(const void *a, const void *b)
{
  return memcmp(((const cache_entry *)a)->tx_hash,
                ((const cache_entry *)b)->tx_hash, 32);
}

void cache_sort(cache *c)
{
  if(c->n > 1)
    qsort(c->e, c->n, sizeof(*c->e), cmp_entry);
}

const cache_entry *cache_get(const cache *c, const uint8_t tx_hash[32])
{
  cache_entry key;
  if(!c->n)
    return NULL;
  memcpy(key.tx_hash, tx_hash, 32);
  return bsearch(&key, c->e, c->n, sizeof(*c->e), cmp_entry);
}

int cache_put(cache *c, const cache_entry *e)
{
  if(c->n == c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 64;
    cache_entry *ne = realloc(c->e, ncap * sizeof(*ne));
    if(!ne)
      return -1;
    c->e = ne;
    c->cap = ncap;
  }
  c->e[c->n++] = *e;
  return 0;
}

/* The optional nonce and fee of an F or S line ("-" = no nonce). */
static void set_nonce(cache_entry *e, const char *nonce, double fee)
{
  char *end;
  unsigned long long v;
  if(strcmp(nonce, "-") != 0 && nonce[0] >= '0' && nonce[0] <= '9') {
    v = strtoull(nonce, &end, 10);
    if(*end == '\0') {
      e->has_nonce = 1;
      e->nonce = v;
    }
  }
  e->fee_wei = fee > 0 && fee < 1e30 ? fee : 0;
}

/* Parses one record line into e. 0 or -1. */
static int parse_line(const char *line, cache_entry *e)
{
  char tx[65], ah[65], bh[65], nonce[24] = "-";
  long long seq, ts;
  unsigned long long chain, bn;
  double fee = 0;
  int k;
  memset(e, 0, sizeof(*e));
  if(line[0] == 'N' && sscanf(line, "N %64s %23s %llu", tx, nonce, &bn) == 3 &&
     crypto_hex_decode(tx, strlen(tx), e->tx_hash, 32) == 0) {
    e->nonce_only = 1; /* nonce "-": a recorded transaction not the wallet's */
    e->block_number = bn;
    set_nonce(e, nonce, 0);
    return 0;
  }
  if(line[0] == 'F' &&
     ((k = sscanf(line, "F %64s %lld %64s %llu %llu %64s %lld %23s %lf", tx,
                  &seq, ah, &chain, &bn, bh, &ts, nonce, &fee)) == 7 ||
      k == 9) &&
     crypto_hex_decode(tx, strlen(tx), e->tx_hash, 32) == 0 &&
     crypto_hex_decode(ah, strlen(ah), e->anchored_hash, 32) == 0 &&
     crypto_hex_decode(bh, strlen(bh), e->block_hash, 32) == 0) {
    e->final = 1;
    e->anchored_seq = seq;
    e->chain_id = chain;
    e->block_number = bn;
    e->block_ts = ts;
    set_nonce(e, nonce, fee);
    return 0;
  }
  if(line[0] == 'S' &&
     ((k = sscanf(line, "S %64s %llu %64s %23s %lf", tx, &bn, bh, nonce,
                  &fee)) == 3 ||
      k == 5) &&
     crypto_hex_decode(tx, strlen(tx), e->tx_hash, 32) == 0 &&
     crypto_hex_decode(bh, strlen(bh), e->block_hash, 32) == 0) {
    e->block_number = bn;
    set_nonce(e, nonce, fee);
    return 0;
  }
  return -1;
}

void cache_load(cache *c, const char *dir, const char *sender)
{
  char *data = NULL, *p, *nl;
  size_t len;
  char head[128];
  memset(c, 0, sizeof(*c));
  snprintf(c->sender, sizeof(c->sender), "%s", sender ? sender : "-");
  if(!dir || pstate_read(dir, CACHE_FILE, CACHE_MAX, &data, &len) != 0)
    return;
  snprintf(head, sizeof(head), "probe-agent anchor cache v1 %s\n", c->sender);
  if(strncmp(data, head, strlen(head)) != 0) {
    free(data);
    return;
  }
  for(p = data + strlen(head); *p; p = nl + 1) {
    cache_entry e;
    nl = strchr(p, '\n');
    if(!nl)
      break; /* a torn last line cannot happen (atomic writes); skip it */
    *nl = '\0';
    if(parse_line(p, &e) == 0 && cache_put(c, &e) != 0)
      break;
  }
  free(data);
  cache_sort(c);
}

int cache_save(const cache *c, const char *dir)
{
  size_t cap = 128 + c->n * 420, len = 0;
  char *buf = malloc(cap);
  char tx[65], ah[65], bh[65], tail[64];
  if(!buf)
    return -1;
  len +=
      (size_t)snprintf(buf, cap, "probe-agent anchor cache v1 %s\n", c->sender);
  for(size_t i = 0; i < c->n; i++) {
    const cache_entry *e = &c->e[i];
    crypto_hex_encode(e->tx_hash, 32, tx);
    crypto_hex_encode(e->block_hash, 32, bh);
    if(e->has_nonce)
      snprintf(tail, sizeof(tail), " %" PRIu64 " %.17g", e->nonce, e->fee_wei);
    else
      snprintf(tail, sizeof(tail), " - %.17g", e->fee_wei);
    if(e->nonce_only) {
      char nn[24] = "-";
      if(e->has_nonce)
        snprintf(nn, sizeof(nn), "%" PRIu64, e->nonce);
      len += (size_t)snprintf(buf + len, cap - len, "N %s %s %" PRIu64 "\n", tx,
                              nn, e->block_number);
    }
    else if(e->final) {
      crypto_hex_encode(e->anchored_hash, 32, ah);
      len += (size_t)snprintf(buf + len, cap - len,
                              "F %s %" PRId64 " %s %" PRIu64 " %" PRIu64
                              " %s %" PRId64 "%s\n",
                              tx, e->anchored_seq, ah, e->chain_id,
                              e->block_number, bh, e->block_ts, tail);
    }
    else {
      len += (size_t)snprintf(buf + len, cap - len, "S %s %" PRIu64 " %s%s\n",
                              tx, e->block_number, bh, tail);
    }
  }
  int rc = pstate_write(dir, CACHE_FILE, buf, len);
  free(buf);
  return rc;
}

void cache_free(cache *c)
{
  free(c->e);
  memset(c, 0, sizeof(*c));
}
