/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eth.c: RLP, transaction hashes and sender recovery (see eth.h).
 *
 * Encodings (Yellow Paper appendix B for RLP; EIP-155, EIP-2718, EIP-2930,
 * EIP-1559 for the transaction payloads). The encoding grows in a
 * lib/dbuf.h buffer (memory only: crypto/ still does no I/O):
 *   legacy signing:   rlp([nonce, gasPrice, gas, to, value, data])
 *   EIP-155 signing:  rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0])
 *   legacy signed:    rlp([nonce, gasPrice, gas, to, value, data, v, r, s])
 *   type 1 signing:   0x01 || rlp([chainId, nonce, gasPrice, gas, to, value,
 *                                  data, accessList])
 *   type 2 signing:   0x02 || rlp([chainId, nonce, maxPriorityFeePerGas,
 *                                  maxFeePerGas, gas, to, value, data,
 *                                  accessList])
 *   typed signed:     the same list followed by yParity, r, s
 *   accessList:       [[address, [storageKey, ...]], ...]
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "crypto/eth.h"
#include "crypto/keccak.h"
#include "lib/dbuf.h"

/* --- RLP encoding into a growing buffer ----------------------------------- */

/* The encoding so far (lib/dbuf.h, memory only) and whether memory ran
 * out on the way: the encoders below check once, at the end. */
typedef struct rlpbuf {
  dbuf d;
  int oom;
} rlpbuf;

static void put_raw(rlpbuf *b, const void *p, size_t n)
{
  if(n == 0 || b->oom)
    return;
  if(dbuf_add(&b->d, p, n) < 0)
    b->oom = 1;
}

/* Writes a length header: base is 0x80 (string) or 0xc0 (list). */
static void length_header(uint8_t *hdr, size_t *hlen, uint8_t base, size_t n)
{
  if(n <= 55) {
    hdr[0] = (uint8_t)(base + n);
    *hlen = 1;
    return;
  }
  uint8_t be[8];
  size_t k = 0;
  for(size_t v = n; v; v >>= 8)
    k++;
  for(size_t i = 0; i < k; i++)
    be[k - 1 - i] = (uint8_t)(n >> (8 * i));
  hdr[0] = (uint8_t)(base + 55 + k);
  memcpy(hdr + 1, be, k);
  *hlen = 1 + k;
}

/* A byte string item. */
static void put_string(rlpbuf *b, const uint8_t *p, size_t n)
{
  if(n == 1 && p[0] < 0x80) {
    put_raw(b, p, 1);
    return;
  }
  uint8_t hdr[9];
  size_t hlen;
  length_header(hdr, &hlen, 0x80, n);
  put_raw(b, hdr, hlen);
  put_raw(b, p, n);
}

/* An integer item: big-endian bytes with leading zeros dropped. */
static void put_uint(rlpbuf *b, crypto_bytes q)
{
  const uint8_t *p = q.p;
  size_t n = q.len;
  while(n > 0 && p[0] == 0) {
    p++;
    n--;
  }
  put_string(b, p, n);
}

static void put_u64(rlpbuf *b, uint64_t v)
{
  uint8_t be[8];
  for(int i = 0; i < 8; i++)
    be[i] = (uint8_t)(v >> (8 * (7 - i)));
  crypto_bytes q = {be, 8};
  put_uint(b, q);
}

/* Starts a list; returns where its payload starts. */
static size_t list_begin(rlpbuf *b)
{
  return b->d.len;
}

/* Ends the list whose payload started at `start`: inserts its header. */
static void list_end(rlpbuf *b, size_t start)
{
  uint8_t hdr[9];
  size_t hlen;
  if(b->oom)
    return;
  length_header(hdr, &hlen, 0xc0, b->d.len - start);
  if(dbuf_insert(&b->d, start, hdr, hlen) < 0)
    b->oom = 1;
}

static void put_access_list(rlpbuf *b, const crypto_eth_tx *tx)
{
  size_t outer = list_begin(b);
  for(size_t i = 0; i < tx->access_len; i++) {
    const crypto_eth_access *a = &tx->access_list[i];
    size_t entry = list_begin(b);
    put_string(b, a->address, 20);
    size_t keys = list_begin(b);
    for(size_t k = 0; k < a->nkeys; k++)
      put_string(b, a->keys[k], 32);
    list_end(b, keys);
    list_end(b, entry);
  }
  list_end(b, outer);
}

/* --- fields ------------------------------------------------------------- */

/* Value of a quantity of at most 8 significant bytes. 0 or -1. */
static int to_u64(crypto_bytes q, uint64_t *out)
{
  const uint8_t *p = q.p;
  size_t n = q.len;
  while(n > 0 && p[0] == 0) {
    p++;
    n--;
  }
  if(n > 8)
    return -1;
  uint64_t v = 0;
  for(size_t i = 0; i < n; i++)
    v = v << 8 | p[i];
  *out = v;
  return 0;
}

/* Checks the fields common to every use; 0 or an error. */
static crypto_eth_err check_fields(const crypto_eth_tx *tx)
{
  if(tx->type > 2)
    return CRYPTO_ETH_ERR_TYPE;
  if(tx->to.len != 0 && tx->to.len != 20)
    return CRYPTO_ETH_ERR_FIELD;
  if(tx->r.len > 32 || tx->s.len > 32)
    return CRYPTO_ETH_ERR_SIG;
  if(tx->access_len && !tx->access_list)
    return CRYPTO_ETH_ERR_FIELD;
  if(tx->type == 0 && tx->access_len)
    return CRYPTO_ETH_ERR_FIELD;
  return CRYPTO_ETH_OK;
}

crypto_eth_err crypto_eth_tx_chain_id(const crypto_eth_tx *tx, uint64_t *id,
                                      int *has)
{
  uint64_t v, given;
  crypto_eth_err e = check_fields(tx);
  if(e)
    return e;
  *id = 0;
  *has = 0;
  if(tx->type != 0) {
    if(!tx->chain_id.len && !tx->chain_id.p)
      return CRYPTO_ETH_ERR_FIELD;
    if(to_u64(tx->chain_id, id) != 0)
      return CRYPTO_ETH_ERR_FIELD;
    *has = 1;
    return CRYPTO_ETH_OK;
  }
  if(to_u64(tx->v, &v) != 0)
    return CRYPTO_ETH_ERR_V;
  if(v == 27 || v == 28) {
    if(tx->chain_id.p && to_u64(tx->chain_id, &given) == 0 && given != 0)
      return CRYPTO_ETH_ERR_FIELD; /* node says chainId, v says none */
    return CRYPTO_ETH_OK;
  }
  if(v < 35)
    return CRYPTO_ETH_ERR_V;
  *id = (v - 35) / 2;
  *has = 1;
  if(tx->chain_id.p) {
    if(to_u64(tx->chain_id, &given) != 0 || given != *id)
      return CRYPTO_ETH_ERR_FIELD;
  }
  return CRYPTO_ETH_OK;
}

/* Recovery id (0/1) of the signature. */
static crypto_eth_err recovery_id(const crypto_eth_tx *tx, int *recid)
{
  uint64_t v;
  if(tx->type == 0) {
    if(to_u64(tx->v, &v) != 0)
      return CRYPTO_ETH_ERR_V;
    if(v == 27 || v == 28)
      *recid = (int)(v - 27);
    else if(v >= 35)
      *recid = (int)((v - 35) % 2);
    else
      return CRYPTO_ETH_ERR_V;
    return CRYPTO_ETH_OK;
  }
  if(tx->v.p || tx->v.len) {
    if(to_u64(tx->v, &v) != 0 || v > 1)
      return CRYPTO_ETH_ERR_V;
    if(tx->y_parity >= 0 && (uint64_t)tx->y_parity != v)
      return CRYPTO_ETH_ERR_V;
    *recid = (int)v;
    return CRYPTO_ETH_OK;
  }
  if(tx->y_parity != 0 && tx->y_parity != 1)
    return CRYPTO_ETH_ERR_V;
  *recid = tx->y_parity;
  return CRYPTO_ETH_OK;
}

/* Encodes the transaction: the signing payload (signed = 0) or the
 * signed one (signed = 1), type byte included for typed transactions. */
static crypto_eth_err encode(const crypto_eth_tx *tx, int with_sig, rlpbuf *b)
{
  uint64_t chain;
  int has_chain, recid;
  crypto_eth_err e = crypto_eth_tx_chain_id(tx, &chain, &has_chain);
  if(e)
    return e;
  if(with_sig && (e = recovery_id(tx, &recid)) != CRYPTO_ETH_OK)
    return e;
  if(tx->type != 0) {
    uint8_t t = (uint8_t)tx->type;
    put_raw(b, &t, 1);
  }
  size_t outer = list_begin(b);
  if(tx->type != 0)
    put_uint(b, tx->chain_id);
  put_uint(b, tx->nonce);
  if(tx->type == 2) {
    put_uint(b, tx->max_priority_fee_per_gas);
    put_uint(b, tx->max_fee_per_gas);
  }
  else {
    put_uint(b, tx->gas_price);
  }
  put_uint(b, tx->gas);
  put_string(b, tx->to.p, tx->to.len);
  put_uint(b, tx->value);
  put_string(b, tx->input.p, tx->input.len);
  if(tx->type != 0)
    put_access_list(b, tx);
  if(with_sig) {
    if(tx->type == 0)
      put_uint(b, tx->v);
    else
      put_u64(b, (uint64_t)recid);
    put_uint(b, tx->r);
    put_uint(b, tx->s);
  }
  else if(tx->type == 0 && has_chain) {
    put_u64(b, chain);
    put_u64(b, 0);
    put_u64(b, 0);
  }
  list_end(b, outer);
  return b->oom ? CRYPTO_ETH_ERR_NOMEM : CRYPTO_ETH_OK;
}

crypto_eth_err crypto_eth_signing_hash(const crypto_eth_tx *tx, uint8_t out[32])
{
  rlpbuf b = {.oom = 0};
  dbuf_init(&b.d, 0);
  crypto_eth_err e = encode(tx, 0, &b);
  if(e == CRYPTO_ETH_OK)
    crypto_keccak256((const uint8_t *)b.d.data, b.d.len, out);
  dbuf_free(&b.d);
  return e;
}

crypto_eth_err crypto_eth_tx_encode(const crypto_eth_tx *tx, uint8_t **out,
                                    size_t *outlen)
{
  rlpbuf b = {.oom = 0};
  dbuf_init(&b.d, 0);
  crypto_eth_err e = encode(tx, 1, &b);
  if(e != CRYPTO_ETH_OK) {
    dbuf_free(&b.d);
    return e;
  }
  *out = (uint8_t *)dbuf_take(&b.d, outlen);
  return *out ? CRYPTO_ETH_OK : CRYPTO_ETH_ERR_NOMEM;
}

crypto_eth_err crypto_eth_tx_hash(const crypto_eth_tx *tx, uint8_t out[32])
{
  uint8_t *raw;
  size_t len;
  crypto_eth_err e = crypto_eth_tx_encode(tx, &raw, &len);
  if(e)
    return e;
  crypto_keccak256(raw, len, out);
  free(raw);
  return CRYPTO_ETH_OK;
}

/* --- keys and signatures --------------------------------------------------- */

int crypto_eth_address_from_pubkey(const uint8_t pub[65], uint8_t addr[20])
{
  uint8_t h[32];
  if(pub[0] != 0x04)
    return -1;
  crypto_keccak256(pub + 1, 64, h);
  memcpy(addr, h + 12, 20);
  return 0;
}

int crypto_eth_address_from_privkey(const uint8_t priv[32], uint8_t addr[20])
{
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  secp256k1_pubkey pk;
  uint8_t pub[65];
  size_t plen = sizeof(pub);
  int rc = -1;
  if(!ctx)
    return -1;
  if(secp256k1_ec_seckey_verify(ctx, priv) == 1 &&
     secp256k1_ec_pubkey_create(ctx, &pk, priv) == 1 &&
     secp256k1_ec_pubkey_serialize(ctx, pub, &plen, &pk,
                                   SECP256K1_EC_UNCOMPRESSED) == 1)
    rc = crypto_eth_address_from_pubkey(pub, addr);
  secp256k1_context_destroy(ctx);
  memset(pub, 0, sizeof(pub));
  return rc;
}

/* Left-pads a quantity of at most 32 bytes to 32 bytes. */
static void pad32(crypto_bytes q, uint8_t out[32])
{
  memset(out, 0, 32);
  memcpy(out + 32 - q.len, q.p, q.len);
}

crypto_eth_err crypto_eth_recover_sender(const crypto_eth_tx *tx,
                                         uint8_t addr[20])
{
  const secp256k1_context *ctx = secp256k1_context_static;
  secp256k1_ecdsa_recoverable_signature rsig;
  secp256k1_ecdsa_signature plain;
  secp256k1_pubkey pk;
  uint8_t hash[32], compact[64], pub[65];
  size_t plen = sizeof(pub);
  int recid;
  crypto_eth_err e = check_fields(tx);
  if(e)
    return e;
  if((e = recovery_id(tx, &recid)) != CRYPTO_ETH_OK)
    return e;
  if((e = crypto_eth_signing_hash(tx, hash)) != CRYPTO_ETH_OK)
    return e;
  pad32(tx->r, compact);
  pad32(tx->s, compact + 32);
  if(secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rsig, compact,
                                                         recid) != 1)
    return CRYPTO_ETH_ERR_SIG;
  /* normalize returns 1 when s was above n/2 */
  if(secp256k1_ecdsa_signature_parse_compact(ctx, &plain, compact) != 1)
    return CRYPTO_ETH_ERR_SIG;
  if(secp256k1_ecdsa_signature_normalize(ctx, NULL, &plain) == 1)
    return CRYPTO_ETH_ERR_HIGH_S;
  if(secp256k1_ecdsa_recover(ctx, &pk, &rsig, hash) != 1)
    return CRYPTO_ETH_ERR_SIG;
  if(secp256k1_ec_pubkey_serialize(ctx, pub, &plen, &pk,
                                   SECP256K1_EC_UNCOMPRESSED) != 1)
    return CRYPTO_ETH_ERR_SIG;
  crypto_eth_address_from_pubkey(pub, addr);
  return CRYPTO_ETH_OK;
}

/* --- RLP decoding ------------------------------------------------------- */

int crypto_rlp_item(const uint8_t *p, size_t len, crypto_rlp *item)
{
  if(len == 0)
    return -1;
  uint8_t b0 = p[0];
  size_t hlen, plen = 0;
  if(b0 < 0x80) {
    item->is_list = 0;
    item->payload = p;
    item->payload_len = 1;
    item->total_len = 1;
    return 0;
  }
  item->is_list = b0 >= 0xc0;
  uint8_t base = item->is_list ? 0xc0 : 0x80;
  if(b0 - base <= 55) {
    hlen = 1;
    plen = (size_t)(b0 - base);
    /* a single byte below 0x80 must not be wrapped */
    if(!item->is_list && plen == 1 && (len < 2 || p[1] < 0x80))
      return -1;
  }
  else {
    size_t k = (size_t)(b0 - base - 55);
    if(k > sizeof(size_t) || len < 1 + k || p[1] == 0)
      return -1; /* leading zero in the length: not canonical */
    for(size_t i = 0; i < k; i++)
      plen = plen << 8 | p[1 + i];
    if(plen <= 55)
      return -1; /* long form for a short payload: not canonical */
    hlen = 1 + k;
  }
  if(plen > len - hlen)
    return -1;
  item->payload = p + hlen;
  item->payload_len = plen;
  item->total_len = hlen + plen;
  return 0;
}

/* Reads the next item of a list payload [*p, end) into it. */
static int next_item(const uint8_t **p, const uint8_t *end, crypto_rlp *it)
{
  if(*p >= end || crypto_rlp_item(*p, (size_t)(end - *p), it) != 0)
    return -1;
  *p += it->total_len;
  return 0;
}

/* Next item as a string (0 or -1); integers must have no leading zero. */
static int next_bytes(const uint8_t **p, const uint8_t *end, crypto_bytes *b,
                      int integer)
{
  crypto_rlp it;
  if(next_item(p, end, &it) != 0 || it.is_list)
    return -1;
  if(integer && it.payload_len > 0 && it.payload[0] == 0)
    return -1;
  b->p = it.payload;
  b->len = it.payload_len;
  return 0;
}

/* Decodes an access list item into a malloc'd array. */
static crypto_eth_err decode_access(const uint8_t **p, const uint8_t *end,
                                    crypto_eth_tx *tx)
{
  crypto_rlp list, entry, keys, it;
  if(next_item(p, end, &list) != 0 || !list.is_list)
    return CRYPTO_ETH_ERR_RLP;
  const uint8_t *q = list.payload, *qend = list.payload + list.payload_len;
  size_t n = 0, cap = 0;
  crypto_eth_access *arr = NULL;
  while(q < qend) {
    crypto_bytes addr;
    if(next_item(&q, qend, &entry) != 0 || !entry.is_list)
      goto bad;
    const uint8_t *e = entry.payload, *eend = entry.payload + entry.payload_len;
    if(next_bytes(&e, eend, &addr, 0) != 0 || addr.len != 20)
      goto bad;
    if(next_item(&e, eend, &keys) != 0 || !keys.is_list || e != eend)
      goto bad;
    if(n == cap) {
      size_t ncap = cap ? cap * 2 : 4;
      crypto_eth_access *na = realloc(arr, ncap * sizeof(*arr));
      if(!na)
        goto nomem;
      arr = na;
      cap = ncap;
    }
    crypto_eth_access *a = &arr[n];
    memset(a, 0, sizeof(*a));
    memcpy(a->address, addr.p, 20);
    n++;
    const uint8_t *k = keys.payload, *kend = keys.payload + keys.payload_len;
    size_t kcap = 0;
    while(k < kend) {
      if(next_item(&k, kend, &it) != 0 || it.is_list || it.payload_len != 32)
        goto bad;
      if(a->nkeys == kcap) {
        size_t nk = kcap ? kcap * 2 : 4;
        uint8_t(*nkeys)[32] = realloc(a->keys, nk * 32);
        if(!nkeys)
          goto nomem;
        a->keys = nkeys;
        kcap = nk;
      }
      memcpy(a->keys[a->nkeys++], it.payload, 32);
    }
  }
  tx->access_list = arr;
  tx->access_len = n;
  return CRYPTO_ETH_OK;
bad:
  crypto_eth_access_free(arr, n);
  return CRYPTO_ETH_ERR_RLP;
nomem:
  crypto_eth_access_free(arr, n);
  return CRYPTO_ETH_ERR_NOMEM;
}

crypto_eth_err crypto_eth_tx_decode(const uint8_t *raw, size_t len,
                                    crypto_eth_tx *tx)
{
  crypto_rlp list;
  crypto_eth_err e = CRYPTO_ETH_ERR_RLP;
  memset(tx, 0, sizeof(*tx));
  tx->y_parity = -1;
  if(len == 0)
    return CRYPTO_ETH_ERR_RLP;
  if(raw[0] < 0x7f) { /* EIP-2718 typed envelope */
    if(raw[0] != 1 && raw[0] != 2)
      return CRYPTO_ETH_ERR_TYPE;
    tx->type = raw[0];
    raw++;
    len--;
  }
  else if(raw[0] < 0xc0) {
    return CRYPTO_ETH_ERR_RLP;
  }
  if(crypto_rlp_item(raw, len, &list) != 0 || !list.is_list ||
     list.total_len != len)
    return CRYPTO_ETH_ERR_RLP;
  const uint8_t *p = list.payload, *end = list.payload + list.payload_len;
  if(tx->type != 0 && next_bytes(&p, end, &tx->chain_id, 1) != 0)
    goto err;
  if(next_bytes(&p, end, &tx->nonce, 1) != 0)
    goto err;
  if(tx->type == 2) {
    if(next_bytes(&p, end, &tx->max_priority_fee_per_gas, 1) != 0 ||
       next_bytes(&p, end, &tx->max_fee_per_gas, 1) != 0)
      goto err;
  }
  else if(next_bytes(&p, end, &tx->gas_price, 1) != 0) {
    goto err;
  }
  if(next_bytes(&p, end, &tx->gas, 1) != 0 ||
     next_bytes(&p, end, &tx->to, 0) != 0 ||
     (tx->to.len != 0 && tx->to.len != 20) ||
     next_bytes(&p, end, &tx->value, 1) != 0 ||
     next_bytes(&p, end, &tx->input, 0) != 0)
    goto err;
  if(tx->type != 0 && (e = decode_access(&p, end, tx)) != CRYPTO_ETH_OK)
    goto err;
  e = CRYPTO_ETH_ERR_RLP;
  if(next_bytes(&p, end, &tx->v, 1) != 0 ||
     next_bytes(&p, end, &tx->r, 1) != 0 ||
     next_bytes(&p, end, &tx->s, 1) != 0 || p != end || tx->r.len > 32 ||
     tx->s.len > 32)
    goto err;
  if(tx->type != 0) {
    uint64_t y;
    if(to_u64(tx->v, &y) != 0 || y > 1) {
      e = CRYPTO_ETH_ERR_V;
      goto err;
    }
    tx->y_parity = (int)y;
  }
  return CRYPTO_ETH_OK;
err:
  crypto_eth_tx_decoded_free(tx);
  return e;
}

void crypto_eth_tx_decoded_free(crypto_eth_tx *tx)
{
  crypto_eth_access_free((crypto_eth_access *)tx->access_list, tx->access_len);
  tx->access_list = NULL;
  tx->access_len = 0;
}

void crypto_eth_access_free(crypto_eth_access *list, size_t n)
{
  if(!list)
    return;
  for(size_t i = 0; i < n; i++)
    free(list[i].keys);
  free(list);
}

const char *crypto_eth_strerror(crypto_eth_err e)
{
  switch(e) {
  case CRYPTO_ETH_OK: return "ok";
  case CRYPTO_ETH_ERR_FIELD: return "missing or inconsistent transaction field";
  case CRYPTO_ETH_ERR_TYPE: return "unknown transaction type";
  case CRYPTO_ETH_ERR_V: return "invalid v / yParity";
  case CRYPTO_ETH_ERR_HIGH_S: return "high-s signature (malleable) refused";
  case CRYPTO_ETH_ERR_SIG: return "invalid signature";
  case CRYPTO_ETH_ERR_RLP: return "malformed RLP";
  case CRYPTO_ETH_ERR_NOMEM: return "out of memory";
  }
  return "unknown error";
}
