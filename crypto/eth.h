/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eth.h: what the anchor plugin needs of Ethereum, and nothing of JSON or
 * the network: RLP encoding and a strict decoder, the signing hash and the
 * hash of a signed transaction for each type (legacy with and without
 * EIP-155, EIP-2930 type 1, EIP-1559 type 2), sender recovery with
 * libsecp256k1 (high-s refused, as Ethereum has since Homestead), and
 * addresses from keys.
 *
 * A transaction is given as the fields a node returns for it, already
 * decoded from hex by the caller: quantities as big-endian bytes (leading
 * zero bytes allowed; they are trimmed for RLP), byte strings as they are.
 */
#ifndef CRYPTO_ETH_H
#define CRYPTO_ETH_H

#include <stddef.h>
#include <stdint.h>

typedef enum crypto_eth_err {
  CRYPTO_ETH_OK = 0,
  CRYPTO_ETH_ERR_FIELD,  /* a field missing, too long or inconsistent */
  CRYPTO_ETH_ERR_TYPE,   /* a transaction type we do not know */
  CRYPTO_ETH_ERR_V,      /* v / yParity not valid for the type */
  CRYPTO_ETH_ERR_HIGH_S, /* s above n/2: malleable, refused */
  CRYPTO_ETH_ERR_SIG,    /* r or s out of range, or recovery failed */
  CRYPTO_ETH_ERR_RLP,    /* malformed or non-canonical RLP */
  CRYPTO_ETH_ERR_NOMEM
} crypto_eth_err;

/* A byte string (not owned). */
typedef struct crypto_bytes {
  const uint8_t *p;
  size_t len;
} crypto_bytes;

/* One EIP-2930 access list entry: an address and its storage keys. */
typedef struct crypto_eth_access {
  uint8_t address[20];
  size_t nkeys;
  uint8_t (*keys)[32];
} crypto_eth_access;

/* A transaction as a node returns it. */
typedef struct crypto_eth_tx {
  unsigned type;         /* 0 legacy, 1 EIP-2930, 2 EIP-1559 */
  crypto_bytes chain_id; /* types 1, 2; optional for legacy (checked vs v) */
  crypto_bytes nonce;
  crypto_bytes gas_price;                /* types 0, 1 */
  crypto_bytes max_priority_fee_per_gas; /* type 2 */
  crypto_bytes max_fee_per_gas;          /* type 2 */
  crypto_bytes gas;
  crypto_bytes to; /* 20 bytes, or empty for contract creation */
  crypto_bytes value;
  crypto_bytes input;
  const crypto_eth_access *access_list; /* types 1, 2 */
  size_t access_len;
  crypto_bytes v;    /* legacy: 27/28 or chainId*2+35/36; typed: 0/1 */
  int y_parity;      /* typed: 0/1, or -1 when the node gave none */
  crypto_bytes r, s; /* quantities, at most 32 bytes */
} crypto_eth_tx;

/* The hash that the sender signed. */
crypto_eth_err crypto_eth_signing_hash(const crypto_eth_tx *tx,
                                       uint8_t out[32]);

/* The transaction hash: Keccak-256 of the signed encoding (for typed
 * transactions the type byte, then the RLP list). */
crypto_eth_err crypto_eth_tx_hash(const crypto_eth_tx *tx, uint8_t out[32]);

/* The signed encoding itself, malloc'd into *out / *outlen. */
crypto_eth_err crypto_eth_tx_encode(const crypto_eth_tx *tx, uint8_t **out,
                                    size_t *outlen);

/* The chain id the signature binds: types 1 and 2 their chainId, legacy
 * with EIP-155 the one in v. 0 with *has = 0 for pre-EIP-155 legacy.
 * CRYPTO_ETH_ERR_FIELD when it does not fit 64 bits. */
crypto_eth_err crypto_eth_tx_chain_id(const crypto_eth_tx *tx, uint64_t *id,
                                      int *has);

/* The sender's address, recovered from the signature over the signing
 * hash. Refuses high-s signatures (CRYPTO_ETH_ERR_HIGH_S). */
crypto_eth_err crypto_eth_recover_sender(const crypto_eth_tx *tx,
                                         uint8_t addr[20]);

/* Ethereum address (20 bytes) of a secp256k1 private key; 0, or -1 if
 * invalid */
int crypto_eth_address_from_privkey(const uint8_t priv[32], uint8_t addr[20]);

/* Address of an uncompressed public key (65 bytes, 0x04 first). 0 or -1. */
int crypto_eth_address_from_pubkey(const uint8_t pub[65], uint8_t addr[20]);

/* Decodes a signed raw transaction (legacy RLP list, or 0x01/0x02 then the
 * list), strictly: canonical RLP only, no trailing bytes. The fields of tx
 * point into raw; the access list is malloc'd: free it with
 * crypto_eth_tx_decoded_free. */
crypto_eth_err crypto_eth_tx_decode(const uint8_t *raw, size_t len,
                                    crypto_eth_tx *tx);
void crypto_eth_tx_decoded_free(crypto_eth_tx *tx);

/* Frees an access list built by a caller with malloc'd keys per entry
 * (helper for the JSON side): each entry's keys, then the array. */
void crypto_eth_access_free(crypto_eth_access *list, size_t n);

/* A short English text of an error. */
const char *crypto_eth_strerror(crypto_eth_err e);

/* --- RLP ------------------------------------------------------------------ */

/* One item found by crypto_rlp_item. */
typedef struct crypto_rlp {
  int is_list;
  const uint8_t *payload; /* the string's bytes, or the list's items */
  size_t payload_len;
  size_t total_len; /* header + payload */
} crypto_rlp;

/* Reads the item at the start of p[0..len), strictly (canonical lengths,
 * single bytes below 0x80 not wrapped, within len). 0 or -1. */
int crypto_rlp_item(const uint8_t *p, size_t len, crypto_rlp *item);

#endif
