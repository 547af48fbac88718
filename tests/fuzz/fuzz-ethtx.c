/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-ethtx.c: libFuzzer target for the strict RLP transaction decoder:
 * whatever decodes must re-encode to exactly the same bytes (the decoder
 * accepts canonical RLP only), and signing hash, hash and sender recovery
 * must not crash on it.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/eth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  crypto_eth_tx tx;
  uint8_t h[32], addr[20], *raw = NULL;
  size_t len = 0;
  crypto_rlp it;
  crypto_rlp_item(data, size, &it);
  if(crypto_eth_tx_decode(data, size, &tx) != CRYPTO_ETH_OK)
    return 0;
  crypto_eth_signing_hash(&tx, h);
  crypto_eth_recover_sender(&tx, addr);
  if(crypto_eth_tx_encode(&tx, &raw, &len) == CRYPTO_ETH_OK) {
    /* legacy v above 8 bytes or an odd v can refuse to encode; what
     * encodes must be the input itself */
    if(len != size || memcmp(raw, data, size) != 0)
      abort();
    free(raw);
  }
  crypto_eth_tx_decoded_free(&tx);
  return 0;
}
