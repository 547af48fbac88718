/* SPDX-License-Identifier: Apache-2.0 */
/*
 * txjson.c: node transaction JSON to crypto_eth_tx (see txjson.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hex.h"
#include "plugins/anchor/txjson.h"

int txjson_quantity_u64(const cJSON *item, uint64_t *out)
{
  uint8_t b[8];
  size_t n;
  if(!cJSON_IsString(item))
    return -1;
  const char *s = item->valuestring;
  size_t len = strlen(s);
  if(len < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
    return -1;
  if(crypto_hex_decode_var(s, len, b, sizeof(b), &n) != 0)
    return -1;
  uint64_t v = 0;
  for(size_t i = 0; i < n; i++)
    v = v << 8 | b[i];
  *out = v;
  return 0;
}

int txjson_fixed(const cJSON *item, uint8_t *out, size_t n)
{
  if(!cJSON_IsString(item))
    return -1;
  const char *s = item->valuestring;
  size_t len = strlen(s);
  if(len < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
    return -1;
  return crypto_hex_decode(s, len, out, n);
}

/* A quantity member into slot k of t; `need` makes it required. */
static int quantity(const cJSON *obj, const char *name, txjson *t, int k,
                    crypto_bytes *dst, int need, char *err, size_t errlen)
{
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
  size_t n;
  if(!it || cJSON_IsNull(it)) {
    if(need) {
      snprintf(err, errlen, "transaction has no \"%s\"", name);
      return -1;
    }
    dst->p = NULL;
    dst->len = 0;
    return 0;
  }
  if(!cJSON_IsString(it) || strncmp(it->valuestring, "0x", 2) != 0 ||
     strlen(it->valuestring) < 3 ||
     crypto_hex_decode_var(it->valuestring, strlen(it->valuestring), t->q[k],
                           32, &n) != 0) {
    snprintf(err, errlen, "transaction \"%s\" is not a hex quantity", name);
    return -1;
  }
  dst->p = t->q[k];
  dst->len = n;
  return 0;
}

/* The accessList member into t->access. */
static int access_list(const cJSON *obj, txjson *t, char *err, size_t errlen)
{
  const cJSON *al = cJSON_GetObjectItemCaseSensitive(obj, "accessList");
  if(!al || cJSON_IsNull(al))
    return 0;
  if(!cJSON_IsArray(al))
    goto bad;
  int n = cJSON_GetArraySize(al);
  if(n == 0)
    return 0;
  t->access = calloc((size_t)n, sizeof(*t->access));
  if(!t->access)
    goto nomem;
  t->tx.access_list = t->access;
  int i = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, al) {
    crypto_eth_access *a = &t->access[i];
    const cJSON *addr = cJSON_GetObjectItemCaseSensitive(e, "address");
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(e, "storageKeys");
    if(txjson_fixed(addr, a->address, 20) != 0 || !cJSON_IsArray(keys))
      goto bad;
    t->tx.access_len = (size_t)++i;
    int nk = cJSON_GetArraySize(keys);
    if(nk > 0) {
      a->keys = calloc((size_t)nk, 32);
      if(!a->keys)
        goto nomem;
    }
    const cJSON *k;
    cJSON_ArrayForEach(k, keys) {
      if(txjson_fixed(k, a->keys[a->nkeys], 32) != 0)
        goto bad;
      a->nkeys++;
    }
  }
  return 0;
bad:
  snprintf(err, errlen, "transaction \"accessList\" is malformed");
  return -1;
nomem:
  snprintf(err, errlen, "out of memory");
  return -1;
}

/* The type, hash, from and to of a transaction. 0, or -1 with err. */
static int parse_head(const cJSON *obj, txjson *t, char *err, size_t errlen)
{
  uint64_t type = 0;
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, "type");
  if(it && !cJSON_IsNull(it) && txjson_quantity_u64(it, &type) != 0) {
    snprintf(err, errlen, "transaction \"type\" is not a hex quantity");
    return -1;
  }
  if(type > 2) {
    snprintf(err, errlen, "transaction type %llu is not supported",
             (unsigned long long)type);
    return -1;
  }
  t->tx.type = (unsigned)type;
  if(txjson_fixed(cJSON_GetObjectItemCaseSensitive(obj, "hash"), t->hash, 32)) {
    snprintf(err, errlen, "transaction \"hash\" is not 32 bytes of hex");
    return -1;
  }
  if(txjson_fixed(cJSON_GetObjectItemCaseSensitive(obj, "from"), t->from, 20)) {
    snprintf(err, errlen, "transaction \"from\" is not an address");
    return -1;
  }
  it = cJSON_GetObjectItemCaseSensitive(obj, "to");
  if(it && !cJSON_IsNull(it)) {
    if(txjson_fixed(it, t->to, 20) != 0) {
      snprintf(err, errlen, "transaction \"to\" is not an address");
      return -1;
    }
    t->tx.to.p = t->to;
    t->tx.to.len = 20;
  }
  return 0;
}

/* The input data ("input", or "data" on older nodes). 0, or -1. */
static int parse_input(const cJSON *obj, txjson *t, char *err, size_t errlen)
{
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, "input");
  if(!it)
    it = cJSON_GetObjectItemCaseSensitive(obj, "data");
  if(!cJSON_IsString(it) || strncmp(it->valuestring, "0x", 2) != 0 ||
     strlen(it->valuestring) % 2) {
    snprintf(err, errlen, "transaction \"input\" is not hex data");
    return -1;
  }
  size_t ilen = (strlen(it->valuestring) - 2) / 2;
  t->input = malloc(ilen ? ilen : 1);
  if(!t->input) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  if(crypto_hex_decode(it->valuestring, strlen(it->valuestring), t->input,
                       ilen) != 0) {
    snprintf(err, errlen, "transaction \"input\" is not hex data");
    return -1;
  }
  t->tx.input.p = t->input;
  t->tx.input.len = ilen;
  return 0;
}

/* The signed quantities of a transaction of type type. 0, or -1. */
static int parse_quantities(const cJSON *obj, txjson *t, uint64_t type,
                            char *err, size_t errlen)
{
  if(quantity(obj, "chainId", t, TXJSON_Q_CHAIN, &t->tx.chain_id, type != 0,
              err, errlen) ||
     quantity(obj, "nonce", t, TXJSON_Q_NONCE, &t->tx.nonce, 1, err, errlen) ||
     quantity(obj, "gas", t, TXJSON_Q_GAS, &t->tx.gas, 1, err, errlen) ||
     quantity(obj, "value", t, TXJSON_Q_VALUE, &t->tx.value, 1, err, errlen) ||
     quantity(obj, "r", t, TXJSON_Q_R, &t->tx.r, 1, err, errlen) ||
     quantity(obj, "s", t, TXJSON_Q_S, &t->tx.s, 1, err, errlen))
    return -1;
  if(type == 2)
    return quantity(obj, "maxPriorityFeePerGas", t, TXJSON_Q_MAXPRIO,
                    &t->tx.max_priority_fee_per_gas, 1, err, errlen) ||
                   quantity(obj, "maxFeePerGas", t, TXJSON_Q_MAXFEE,
                            &t->tx.max_fee_per_gas, 1, err, errlen)
               ? -1
               : 0;
  return quantity(obj, "gasPrice", t, TXJSON_Q_GASPRICE, &t->tx.gas_price, 1,
                  err, errlen)
             ? -1
             : 0;
}

/* The signature's parity: typed: yParity (newer nodes) and/or v (older
 * ones); legacy: v. 0, or -1. */
static int parse_parity(const cJSON *obj, txjson *t, uint64_t type, char *err,
                        size_t errlen)
{
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, "yParity");
  if(type != 0 && it && !cJSON_IsNull(it)) {
    uint64_t y;
    if(txjson_quantity_u64(it, &y) != 0 || y > 1) {
      snprintf(err, errlen, "transaction \"yParity\" is not 0x0 or 0x1");
      return -1;
    }
    t->tx.y_parity = (int)y;
  }
  return quantity(obj, "v", t, TXJSON_Q_V, &t->tx.v,
                  type == 0 || t->tx.y_parity < 0, err, errlen)
             ? -1
             : 0;
}

/* Where it was mined, when it was. 0, or -1. */
static int parse_block(const cJSON *obj, txjson *t, char *err, size_t errlen)
{
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, "blockNumber");
  if(!it || cJSON_IsNull(it))
    return 0;
  if(txjson_quantity_u64(it, &t->block_number) != 0 ||
     txjson_fixed(cJSON_GetObjectItemCaseSensitive(obj, "blockHash"),
                  t->block_hash, 32) != 0) {
    snprintf(err, errlen,
             "transaction \"blockNumber\"/\"blockHash\" malformed");
    return -1;
  }
  t->has_block = 1;
  return 0;
}

int txjson_parse(const cJSON *obj, txjson *t, char *err, size_t errlen)
{
  memset(t, 0, sizeof(*t));
  t->tx.y_parity = -1;
  if(!cJSON_IsObject(obj)) {
    snprintf(err, errlen, "transaction is not an object");
    return -1;
  }
  if(parse_head(obj, t, err, errlen) != 0)
    return -1;
  if(parse_input(obj, t, err, errlen) != 0 ||
     parse_quantities(obj, t, t->tx.type, err, errlen) != 0 ||
     parse_parity(obj, t, t->tx.type, err, errlen) != 0 ||
     (t->tx.type != 0 && access_list(obj, t, err, errlen) != 0) ||
     parse_block(obj, t, err, errlen) != 0) {
    txjson_free(t);
    return -1;
  }
  return 0;
}

void txjson_free(txjson *t)
{
  free(t->input);
  if(t->access)
    crypto_eth_access_free(t->access, t->tx.access_len);
  t->input = NULL;
  t->access = NULL;
  t->tx.access_list = NULL;
  t->tx.access_len = 0;
}
