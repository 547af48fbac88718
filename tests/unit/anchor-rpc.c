/* SPDX-License-Identifier: Apache-2.0 */
/*
 * anchor-rpc.c: unit tests of the anchor plugin's JSON-RPC answer checks
 * (rpc_parse_answer: ids, batches out of order, missing and doubled
 * answers, error objects, garbage) and of its cache file (round trip, a
 * cache made for another expected_sender is discarded).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugins/anchor/cache.h"
#include "plugins/anchor/rpc.h"

/* Parses body as the answer to n calls with ids 10.. */
static void parse(const char *body, int batch, rpc_call *c, size_t n)
{
  memset(c, 0, n * sizeof(*c));
  for(size_t i = 0; i < n; i++)
    c[i].method = "m";
  rpc_parse_answer(body, strlen(body), batch, 10, c, n);
}

static void test_single(void **state)
{
  (void)state;
  rpc_call c[1];
  parse("{\"jsonrpc\":\"2.0\",\"id\":10,\"result\":\"0x539\"}", 0, c, 1);
  assert_int_equal(c[0].status, RPC_OK);
  assert_string_equal(c[0].result->valuestring, "0x539");
  rpc_calls_free(c, 1);
  parse("{\"jsonrpc\":\"2.0\",\"id\":10,\"result\":null}", 0, c, 1);
  assert_int_equal(c[0].status, RPC_OK);
  assert_true(cJSON_IsNull(c[0].result));
  rpc_calls_free(c, 1);
  parse("{\"jsonrpc\":\"2.0\",\"id\":11,\"result\":\"0x1\"}", 0, c, 1);
  assert_int_equal(c[0].status, RPC_ERR_GARBAGE);
  parse(
      "{\"jsonrpc\":\"2.0\",\"id\":10,\"error\":{\"code\":-39001,\"message\":\"Unknown block\"}}",
      0, c, 1);
  assert_int_equal(c[0].status, RPC_ERR_NODE);
  assert_int_equal(c[0].err_code, -39001);
  assert_non_null(strstr(c[0].err, "Unknown block"));
  /* a code no long long holds (found by fuzz-jsonrpc: the cast was
   * undefined) is 0, and the answer still a node error */
  parse("{\"jsonrpc\":\"2.0\",\"id\":10,\"error\":{\"code\":-7.7e97,"
        "\"message\":\"x\"}}",
        0, c, 1);
  assert_int_equal(c[0].status, RPC_ERR_NODE);
  assert_int_equal(c[0].err_code, 0);
  parse("{\"jsonrpc\":\"2.0\",\"id\":10,\"error\":{\"code\":1e300}}", 0, c, 1);
  assert_int_equal(c[0].err_code, 0);
  parse("{\"jsonrpc\":\"2.0\",\"id\":10,\"result\":1,\"error\":{}}", 0, c, 1);
  assert_int_equal(c[0].status, RPC_ERR_GARBAGE);
  parse("{\"id\":10,\"result\":1}", 0, c, 1);
  assert_int_equal(c[0].status, RPC_ERR_GARBAGE);
  parse("<html>502</html>", 0, c, 1);
  assert_int_equal(c[0].status, RPC_ERR_GARBAGE);
  assert_non_null(strstr(c[0].err, "not JSON"));
  parse("[{\"jsonrpc\":\"2.0\",\"id\":10,\"result\":1}]", 0, c, 1);
  assert_int_equal(c[0].status, RPC_ERR_GARBAGE);
}

static void test_batch(void **state)
{
  (void)state;
  rpc_call c[3];
  /* out of order, all there */
  parse("[{\"jsonrpc\":\"2.0\",\"id\":12,\"result\":\"c\"},"
        "{\"jsonrpc\":\"2.0\",\"id\":10,\"result\":\"a\"},"
        "{\"jsonrpc\":\"2.0\",\"id\":11,\"result\":\"b\"}]",
        1, c, 3);
  for(int i = 0; i < 3; i++)
    assert_int_equal(c[i].status, RPC_OK);
  assert_string_equal(c[0].result->valuestring, "a");
  assert_string_equal(c[2].result->valuestring, "c");
  rpc_calls_free(c, 3);
  /* one missing, one doubled, one stranger */
  parse("[{\"jsonrpc\":\"2.0\",\"id\":10,\"result\":\"a\"},"
        "{\"jsonrpc\":\"2.0\",\"id\":11,\"result\":\"b\"},"
        "{\"jsonrpc\":\"2.0\",\"id\":11,\"result\":\"b2\"},"
        "{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":\"z\"}, 5]",
        1, c, 3);
  assert_int_equal(c[0].status, RPC_OK);
  assert_int_equal(c[1].status, RPC_ERR_GARBAGE);
  assert_non_null(strstr(c[1].err, "two answers"));
  assert_int_equal(c[2].status, RPC_ERR_GARBAGE);
  assert_non_null(strstr(c[2].err, "no answer"));
  rpc_calls_free(c, 3);
  /* a node that takes no batches answers one error object */
  parse(
      "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"no batches\"}}",
      1, c, 3);
  for(int i = 0; i < 3; i++) {
    assert_int_equal(c[i].status, RPC_ERR_NODE);
    assert_int_equal(c[i].err_code, -32600);
  }
  parse("\"hello\"", 1, c, 3);
  assert_int_equal(c[1].status, RPC_ERR_GARBAGE);
}

static void test_cache_round_trip(void **state)
{
  (void)state;
  char dir[] = "/tmp/anchor-cache-test.XXXXXX";
  assert_non_null(mkdtemp(dir));
  cache c;
  cache_load(&c, dir, "0xabc");
  assert_int_equal(c.n, 0);
  cache_entry e = {0};
  memset(e.tx_hash, 0x11, 32);
  e.final = 1;
  e.anchored_seq = 49;
  memset(e.anchored_hash, 0x22, 32);
  e.chain_id = 1337;
  e.block_number = 7;
  memset(e.block_hash, 0x33, 32);
  e.block_ts = 1771495334;
  assert_int_equal(cache_put(&c, &e), 0);
  cache_entry s = {0};
  memset(s.tx_hash, 0x01, 32);
  s.block_number = 9;
  memset(s.block_hash, 0x44, 32);
  assert_int_equal(cache_put(&c, &s), 0);
  assert_int_equal(cache_save(&c, dir), 0);
  cache_free(&c);

  cache_load(&c, dir, "0xabc");
  assert_int_equal(c.n, 2);
  const cache_entry *g = cache_get(&c, e.tx_hash);
  assert_non_null(g);
  assert_int_equal(g->final, 1);
  assert_int_equal(g->anchored_seq, 49);
  assert_int_equal(g->chain_id, 1337);
  assert_int_equal(g->block_ts, 1771495334);
  assert_memory_equal(g->block_hash, e.block_hash, 32);
  g = cache_get(&c, s.tx_hash);
  assert_non_null(g);
  assert_int_equal(g->final, 0);
  assert_int_equal(g->block_number, 9);
  cache_free(&c);
  /* made for another wallet: worth nothing */
  cache_load(&c, dir, "0xdef");
  assert_int_equal(c.n, 0);
  cache_free(&c);
  char path[128];
  snprintf(path, sizeof(path), "%s/anchors.cache", dir);
  unlink(path);
  rmdir(dir);
}

/* The wallet's nonces and fees survive a round trip (F with nonce and fee,
 * N lines of ours and not ours), and a v1 file from before them still
 * loads, without nonces. */
static void test_cache_nonces(void **state)
{
  (void)state;
  char dir[] = "/tmp/anchor-cache-test.XXXXXX", path[128];
  assert_non_null(mkdtemp(dir));
  cache c;
  cache_load(&c, dir, "0xabc");
  cache_entry f = {0}, n = {0}, x = {0};
  memset(f.tx_hash, 0x11, 32);
  f.final = 1;
  f.has_nonce = 1;
  f.nonce = 41;
  f.fee_wei = 21634400151440.0;
  memset(n.tx_hash, 0x22, 32);
  n.nonce_only = 1;
  n.has_nonce = 1;
  n.nonce = 42;
  n.block_number = 99;
  memset(x.tx_hash, 0x33, 32);
  x.nonce_only = 1; /* a recorded transaction of another sender */
  assert_int_equal(cache_put(&c, &f), 0);
  assert_int_equal(cache_put(&c, &n), 0);
  assert_int_equal(cache_put(&c, &x), 0);
  assert_int_equal(cache_save(&c, dir), 0);
  cache_free(&c);
  cache_load(&c, dir, "0xabc");
  assert_int_equal(c.n, 3);
  const cache_entry *g = cache_get(&c, f.tx_hash);
  assert_true(g && g->final && g->has_nonce && g->nonce == 41);
  assert_true(g->fee_wei == 21634400151440.0);
  g = cache_get(&c, n.tx_hash);
  assert_true(g && g->nonce_only && g->has_nonce && g->nonce == 42 &&
              g->block_number == 99);
  g = cache_get(&c, x.tx_hash);
  assert_true(g && g->nonce_only && !g->has_nonce);
  cache_free(&c);
  /* written before nonces were kept */
  snprintf(path, sizeof(path), "%s/anchors.cache", dir);
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fprintf(fp,
          "probe-agent anchor cache v1 0xabc\nF %s 5 %s 1337 7 %s 1771495334\n",
          "1111111111111111111111111111111111111111111111111111111111111111",
          "2222222222222222222222222222222222222222222222222222222222222222",
          "3333333333333333333333333333333333333333333333333333333333333333");
  fclose(fp);
  chmod(path, 0600);
  cache_load(&c, dir, "0xabc");
  assert_int_equal(c.n, 1);
  assert_true(c.e[0].final && !c.e[0].has_nonce && c.e[0].fee_wei == 0);
  cache_free(&c);
  unlink(path);
  rmdir(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_single),
      cmocka_unit_test(test_batch),
      cmocka_unit_test(test_cache_round_trip),
      cmocka_unit_test(test_cache_nonces),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
