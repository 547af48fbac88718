/* SPDX-License-Identifier: Apache-2.0 */
/*
 * txjson.h: a transaction object as a node returns it over JSON-RPC
 * (eth_getTransactionByHash), decoded from hex into crypto_eth_tx, so that
 * crypto/ never sees JSON. Strict: a field of the wrong type or spelling
 * is an error naming the field.
 */
#ifndef PLUGINS_ANCHOR_TXJSON_H
#define PLUGINS_ANCHOR_TXJSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "crypto/eth.h"

enum {
  TXJSON_Q_CHAIN,
  TXJSON_Q_NONCE,
  TXJSON_Q_GASPRICE,
  TXJSON_Q_MAXPRIO,
  TXJSON_Q_MAXFEE,
  TXJSON_Q_GAS,
  TXJSON_Q_VALUE,
  TXJSON_Q_V,
  TXJSON_Q_R,
  TXJSON_Q_S,
  TXJSON_NQ
};

typedef struct txjson {
  crypto_eth_tx tx; /* points into the members below */
  uint8_t q[TXJSON_NQ][32];
  uint8_t to[20];
  uint8_t *input;            /* malloc'd */
  crypto_eth_access *access; /* malloc'd */
  uint8_t hash[32];          /* the node's "hash" */
  uint8_t from[20];          /* the node's "from" */
  int has_block;             /* 0 while pending (blockNumber null) */
  uint8_t block_hash[32];
  uint64_t block_number;
} txjson;

/* Fills t from a transaction object. 0, or -1 with err naming the field. */
int txjson_parse(const cJSON *obj, txjson *t, char *err, size_t errlen);

/* Frees what txjson_parse allocated. */
void txjson_free(txjson *t);

/* Parses a hex quantity string ("0x1a") of at most 64 bits. 0 or -1. */
int txjson_quantity_u64(const cJSON *item, uint64_t *out);

/* Decodes exactly n bytes of "0x..." hex data. 0 or -1. */
int txjson_fixed(const cJSON *item, uint8_t *out, size_t n);

#endif
