/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-jsonrpc.c: libFuzzer target for what a JSON-RPC node sends back:
 * rpc_parse_answer (single and batch answers, ids, errors), then every
 * result that is an object goes through txjson_parse and, when it parses,
 * through the hash and sender recovery the anchor plugin applies to it.
 * The first input byte picks the shape asked for (batch or not, how many
 * calls); the rest is the body.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/eth.h"
#include "plugins/anchor/rpc.h"
#include "plugins/anchor/txjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  rpc_call calls[8];
  if(size < 1)
    return 0;
  int batch = data[0] & 1;
  size_t n = batch ? 1 + ((data[0] >> 1) & 7) : 1;
  memset(calls, 0, sizeof(calls));
  for(size_t i = 0; i < n; i++)
    calls[i].method = "eth_getTransactionByHash";
  rpc_parse_answer((const char *)data + 1, size - 1, batch, 1, calls, n);
  for(size_t i = 0; i < n; i++) {
    if(calls[i].status != RPC_OK || !cJSON_IsObject(calls[i].result))
      continue;
    txjson t;
    char err[200];
    uint8_t h[32], addr[20];
    uint64_t q;
    txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(calls[i].result,
                                                         "blockNumber"),
                        &q);
    if(txjson_parse(calls[i].result, &t, err, sizeof(err)) == 0) {
      crypto_eth_tx_hash(&t.tx, h);
      crypto_eth_recover_sender(&t.tx, addr);
      txjson_free(&t);
    }
  }
  rpc_calls_free(calls, n);
  return 0;
}
