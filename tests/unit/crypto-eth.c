/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto-eth.c: RLP, signing hashes and sender recovery. Every transaction
 * of tests/vectors/eth-tx.jsonl (made by an independent node) must recover
 * to its expected_sender and re-hash to its own hash; the EIP-155 example
 * transaction gives the signing hash the EIP prints; high-s is refused.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "crypto/eth.h"
#include "crypto/hex.h"
#include "crypto/keccak.h"
#include "plugins/anchor/txjson.h"

static const uint8_t secp_n[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf,
                                   0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c,
                                   0xd0, 0x36, 0x41, 0x41};

/* Opens a vector file of tests/vectors. */
static FILE *open_vector(const char *name)
{
  char path[4096];
  const char *top = getenv("top_srcdir");
  snprintf(path, sizeof(path), "%s/tests/vectors/%s", top ? top : ".", name);
  FILE *f = fopen(path, "r");
  if(!f)
    fail_msg("cannot open %s", path);
  return f;
}

static void hex20(const uint8_t a[20], char out[43])
{
  out[0] = '0';
  out[1] = 'x';
  crypto_hex_encode(a, 20, out + 2);
}

static void test_vectors_recover(void **state)
{
  (void)state;
  FILE *f = open_vector("eth-tx.jsonl");
  char line[8192];
  int n = 0, types[3] = {0};
  while(fgets(line, sizeof(line), f)) {
    cJSON *doc = cJSON_Parse(line);
    assert_non_null(doc);
    const cJSON *txo = cJSON_GetObjectItem(doc, "tx");
    const char *want = cJSON_GetObjectItem(doc, "expected_sender")->valuestring;
    txjson t;
    char err[200], got[43];
    uint8_t addr[20], h[32];
    if(txjson_parse(txo, &t, err, sizeof(err)) != 0)
      fail_msg("line %d: %s", n + 1, err);
    types[t.tx.type]++;
    crypto_eth_err e = crypto_eth_recover_sender(&t.tx, addr);
    if(e)
      fail_msg("line %d: %s", n + 1, crypto_eth_strerror(e));
    hex20(addr, got);
    assert_string_equal(got, want);
    assert_memory_equal(addr, t.from, 20);
    /* the transaction hash is the hash of the signed encoding */
    assert_int_equal(crypto_eth_tx_hash(&t.tx, h), CRYPTO_ETH_OK);
    assert_memory_equal(h, t.hash, 32);
    /* decode(encode(tx)) recovers the same sender and re-encodes the same */
    uint8_t *raw, *raw2;
    size_t len, len2;
    crypto_eth_tx d;
    assert_int_equal(crypto_eth_tx_encode(&t.tx, &raw, &len), CRYPTO_ETH_OK);
    assert_int_equal(crypto_eth_tx_decode(raw, len, &d), CRYPTO_ETH_OK);
    assert_int_equal(d.type, t.tx.type);
    assert_int_equal(crypto_eth_recover_sender(&d, addr), CRYPTO_ETH_OK);
    hex20(addr, got);
    assert_string_equal(got, want);
    assert_int_equal(crypto_eth_tx_encode(&d, &raw2, &len2), CRYPTO_ETH_OK);
    assert_int_equal(len, len2);
    assert_memory_equal(raw, raw2, len);
    /* a changed input no longer recovers to the sender */
    if(t.tx.input.len > 0) {
      t.input[0] ^= 1;
      e = crypto_eth_recover_sender(&t.tx, addr);
      assert_true(e != CRYPTO_ETH_OK || memcmp(addr, t.from, 20) != 0);
      t.input[0] ^= 1;
    }
    free(raw);
    free(raw2);
    crypto_eth_tx_decoded_free(&d);
    txjson_free(&t);
    cJSON_Delete(doc);
    n++;
  }
  fclose(f);
  assert_int_equal(n, 9);
  assert_true(types[0] > 0 && types[1] > 0 && types[2] > 0);
}

/* s := n - s (big-endian 32-byte subtraction). */
static void negate_s(uint8_t s[32])
{
  int borrow = 0;
  for(int i = 31; i >= 0; i--) {
    int d = secp_n[i] - s[i] - borrow;
    borrow = d < 0;
    s[i] = (uint8_t)(d + (borrow ? 256 : 0));
  }
}

static void test_high_s_refused(void **state)
{
  (void)state;
  FILE *f = open_vector("eth-tx.jsonl");
  char line[8192];
  assert_non_null(fgets(line, sizeof(line), f)); /* a legacy EIP-155 one */
  fclose(f);
  cJSON *doc = cJSON_Parse(line);
  txjson t;
  char err[200];
  uint8_t addr[20], s[32], v[32];
  assert_int_equal(txjson_parse(cJSON_GetObjectItem(doc, "tx"), &t, err,
                                sizeof(err)),
                   0);
  memset(s, 0, 32);
  memcpy(s + 32 - t.tx.s.len, t.tx.s.p, t.tx.s.len);
  negate_s(s); /* the malleated twin: same signer, s above n/2 */
  t.tx.s.p = s;
  t.tx.s.len = 32;
  memcpy(v, t.tx.v.p, t.tx.v.len);
  v[t.tx.v.len - 1] ^= 1; /* flip the recovery id */
  t.tx.v.p = v;
  assert_int_equal(crypto_eth_recover_sender(&t.tx, addr),
                   CRYPTO_ETH_ERR_HIGH_S);
  txjson_free(&t);
  cJSON_Delete(doc);
}

static void test_eip155_example(void **state)
{
  (void)state;
  /* the example of EIP-155: nonce 9, 20 gwei, 21000 gas, to 0x3535..,
   * 1 ether, no data, chain id 1 */
  uint8_t to[20], value[8], r[32], s[32], h[32], addr[20];
  char hex[65];
  memset(to, 0x35, 20);
  crypto_hex_decode("0de0b6b3a7640000", 16, value, 8);
  crypto_eth_tx tx = {0};
  tx.type = 0;
  tx.y_parity = -1;
  tx.nonce = (crypto_bytes){(const uint8_t *)"\x09", 1};
  tx.gas_price = (crypto_bytes){(const uint8_t *)"\x04\xa8\x17\xc8\x00", 5};
  tx.gas = (crypto_bytes){(const uint8_t *)"\x52\x08", 2};
  tx.to = (crypto_bytes){to, 20};
  tx.value = (crypto_bytes){value, 8};
  tx.v = (crypto_bytes){(const uint8_t *)"\x25", 1}; /* 37 */
  assert_int_equal(crypto_eth_signing_hash(&tx, h), CRYPTO_ETH_OK);
  crypto_hex_encode(h, 32, hex);
  assert_string_equal(
      hex, "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
  crypto_hex_decode(
      "28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276", 64, r,
      32);
  crypto_hex_decode(
      "67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83", 64, s,
      32);
  tx.r = (crypto_bytes){r, 32};
  tx.s = (crypto_bytes){s, 32};
  assert_int_equal(crypto_eth_recover_sender(&tx, addr), CRYPTO_ETH_OK);
  crypto_hex_encode(addr, 20, hex);
  assert_string_equal(hex, "9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f");
  uint64_t id;
  int has;
  assert_int_equal(crypto_eth_tx_chain_id(&tx, &id, &has), CRYPTO_ETH_OK);
  assert_int_equal(has, 1);
  assert_int_equal(id, 1);
  /* without EIP-155 (v = 27) the signing hash is another one */
  tx.v = (crypto_bytes){(const uint8_t *)"\x1b", 1};
  uint8_t h2[32];
  assert_int_equal(crypto_eth_signing_hash(&tx, h2), CRYPTO_ETH_OK);
  assert_memory_not_equal(h, h2, 32);
  /* v of 30 is no valid legacy v */
  tx.v = (crypto_bytes){(const uint8_t *)"\x1e", 1};
  assert_int_equal(crypto_eth_recover_sender(&tx, addr), CRYPTO_ETH_ERR_V);
}

static void test_privkey_address(void **state)
{
  (void)state;
  uint8_t priv[32], addr[20];
  char hex[41];
  /* ganache --wallet.deterministic account 0 */
  crypto_hex_decode(
      "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d", 64,
      priv, 32);
  assert_int_equal(crypto_eth_address_from_privkey(priv, addr), 0);
  crypto_hex_encode(addr, 20, hex);
  assert_string_equal(hex, "90f8bf6a479f320ead074411a4b0e7944ea8c9c1");
  memset(priv, 0, 32);
  assert_int_equal(crypto_eth_address_from_privkey(priv, addr), -1);
  memcpy(priv, secp_n, 32); /* n itself is no key */
  assert_int_equal(crypto_eth_address_from_privkey(priv, addr), -1);
}

static void test_rlp_strict(void **state)
{
  (void)state;
  crypto_rlp it;
  assert_int_equal(crypto_rlp_item((const uint8_t *)"\x7f", 1, &it), 0);
  assert_int_equal(it.total_len, 1);
  assert_int_equal(crypto_rlp_item((const uint8_t *)"\x81\x80", 2, &it), 0);
  /* a single byte below 0x80 wrapped: not canonical */
  assert_int_equal(crypto_rlp_item((const uint8_t *)"\x81\x05", 2, &it), -1);
  /* long form for a short string: not canonical */
  assert_int_equal(crypto_rlp_item((const uint8_t *)"\xb8\x02"
                                                    "ab",
                                   4, &it),
                   -1);
  /* length past the end */
  assert_int_equal(crypto_rlp_item((const uint8_t *)"\x83\x01", 2, &it), -1);
  assert_int_equal(crypto_rlp_item((const uint8_t *)"\xc2\x01\x02", 3, &it), 0);
  assert_true(it.is_list);
  assert_int_equal(it.payload_len, 2);
  crypto_eth_tx tx;
  assert_int_equal(crypto_eth_tx_decode((const uint8_t *)"\x03\xc0", 2, &tx),
                   CRYPTO_ETH_ERR_TYPE);
  assert_int_equal(crypto_eth_tx_decode((const uint8_t *)"\xc0", 1, &tx),
                   CRYPTO_ETH_ERR_RLP);
  assert_int_equal(crypto_eth_tx_decode((const uint8_t *)"", 0, &tx),
                   CRYPTO_ETH_ERR_RLP);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vectors_recover),
      cmocka_unit_test(test_high_s_refused),
      cmocka_unit_test(test_eip155_example),
      cmocka_unit_test(test_privkey_address),
      cmocka_unit_test(test_rlp_strict),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
