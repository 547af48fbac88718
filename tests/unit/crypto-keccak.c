/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto-keccak.c: Keccak-256 against published vectors (the Keccak team's
 * and Ethereum's well-known values), both the dispatching function and the
 * built-in permutation, across the 136-byte block boundary.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/hex.h"
#include "crypto/keccak.h"

/* Asserts keccak256(msg) == want (hex) with both implementations. */
static void check(const void *msg, size_t len, const char *want)
{
  uint8_t h[32];
  char hex[65];
  crypto_keccak256(msg, len, h);
  crypto_hex_encode(h, 32, hex);
  assert_string_equal(hex, want);
  crypto_keccak256_builtin(msg, len, h);
  crypto_hex_encode(h, 32, hex);
  assert_string_equal(hex, want);
}

static void test_empty(void **state)
{
  (void)state;
  check("", 0,
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

static void test_short(void **state)
{
  (void)state;
  check("abc", 3,
        "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  check("The quick brown fox jumps over the lazy dog", 43,
        "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
}

static void test_selectors(void **state)
{
  (void)state;
  uint8_t h[32];
  char hex[9];
  /* ERC-20 transfer, a selector everyone knows */
  crypto_keccak256("transfer(address,uint256)", 25, h);
  crypto_hex_encode(h, 4, hex);
  assert_string_equal(hex, "a9059cbb");
  /* the anchoring call of the ledger format (as in tests/vectors/eth-tx.jsonl) */
  crypto_keccak256("anchor(bytes32,uint64)", 22, h);
  crypto_hex_encode(h, 4, hex);
  assert_string_equal(hex, "db2c4aca");
}

static void test_block_boundaries(void **state)
{
  (void)state;
  /* both implementations agree on every length around the rate */
  uint8_t buf[300], a[32], b[32];
  for(size_t i = 0; i < sizeof(buf); i++)
    buf[i] = (uint8_t)(i * 7 + 1);
  for(size_t len = 0; len <= sizeof(buf); len++) {
    crypto_keccak256(buf, len, a);
    crypto_keccak256_builtin(buf, len, b);
    assert_memory_equal(a, b, 32);
  }
  /* and lengths 135, 136, 137 differ from each other */
  crypto_keccak256_builtin(buf, 135, a);
  crypto_keccak256_builtin(buf, 136, b);
  assert_memory_not_equal(a, b, 32);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty),
      cmocka_unit_test(test_short),
      cmocka_unit_test(test_selectors),
      cmocka_unit_test(test_block_boundaries),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
