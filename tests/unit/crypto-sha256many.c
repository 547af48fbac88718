/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto-sha256many.c: many messages hashed at once (crypto_sha256_many),
 * with each engine the build has (sha256c.c by the SHA extensions where
 * the CPU has them, and with the library the library and sha256c.c's
 * portable C, without it EVP): published SHA-256 vectors, every length
 * from 0 to 2,100 bytes against the one-shot EVP digest, messages around
 * the queue's limits (its arena, the longest message it takes, and the
 * library's own limit), and a caller that reuses its buffer after each
 * add (the queue must have copied it).
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
#include "crypto/sha256.h"
#include "crypto/sha256many.h"

/* The engines tested: AUTO, SERIAL, FEW, and SERIAL without the SHA
 * extensions where they would serve (sha256c.c's portable C with the
 * library, EVP without it). */
#include "crypto/sha256c.h"
#define NENGINES 4
static const crypto_sha256_engine engines[] = {CRYPTO_SHA256_AUTO,
                                               CRYPTO_SHA256_SERIAL,
                                               CRYPTO_SHA256_FEW,
                                               CRYPTO_SHA256_SERIAL};

/* A queue of engine e (an index into engines). */
static crypto_sha256_many *new_many(size_t e)
{
  crypto_sha256c_portable(e == 3);
  return crypto_sha256_many_new(engines[e]);
}

/* Deterministic bytes: a small xorshift, so a failure reproduces. */
static void fill(uint8_t *p, size_t n, uint32_t seed)
{
  uint32_t x = seed * 2654435761u + 1;
  size_t i;
  for(i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    p[i] = (uint8_t)x;
  }
}

static void test_vectors(void **state)
{
  /* FIPS 180-2 appendix B and the classic million 'a' */
  static const struct {
    const char *msg;
    const char *want;
  } v[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc",
       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
  };
  size_t e, i;
  char *million = malloc(1000000);
  (void)state;
  assert_non_null(million);
  memset(million, 'a', 1000000);
  for(e = 0; e < NENGINES; e++) {
    crypto_sha256_many *m = new_many(e);
    uint8_t out[4][32];
    char hex[65];
    assert_non_null(m);
    for(i = 0; i < 3; i++)
      assert_int_equal(crypto_sha256_many_add(m, v[i].msg, strlen(v[i].msg),
                                              out[i]),
                       0);
    assert_int_equal(crypto_sha256_many_add(m, million, 1000000, out[3]), 0);
    assert_int_equal(crypto_sha256_many_run(m), 0);
    for(i = 0; i < 3; i++) {
      crypto_hex_encode(out[i], 32, hex);
      assert_string_equal(hex, v[i].want);
    }
    crypto_hex_encode(out[3], 32, hex);
    assert_string_equal(
        hex,
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    crypto_sha256_many_free(m);
  }
  free(million);
}

/* Queues the messages of the given lengths from one reused buffer, runs,
 * and compares each digest with the one-shot EVP digest. */
static void check_lengths(size_t engine, const size_t *lens, size_t n,
                          uint32_t seed)
{
  crypto_sha256_many *m = new_many(engine);
  uint8_t(*got)[32] = calloc(n, 32);
  size_t i, max = 0;
  uint8_t *buf, want[32];
  assert_non_null(m);
  assert_non_null(got);
  for(i = 0; i < n; i++)
    if(lens[i] > max)
      max = lens[i];
  buf = malloc(max + 1);
  assert_non_null(buf);
  for(i = 0; i < n; i++) {
    fill(buf, lens[i], seed + (uint32_t)i);
    assert_int_equal(crypto_sha256_many_add(m, buf, lens[i], got[i]), 0);
    memset(buf, 0x5a, max + 1); /* the queue has its own copy */
  }
  assert_int_equal(crypto_sha256_many_run(m), 0);
  for(i = 0; i < n; i++) {
    fill(buf, lens[i], seed + (uint32_t)i);
    assert_int_equal(crypto_sha256(buf, lens[i], want), 0);
    if(memcmp(want, got[i], 32) != 0)
      fail_msg("engine %s: message %zu of %zu bytes hashed wrong",
               crypto_sha256_many_engine(m), i, lens[i]);
  }
  /* a second round on the same queue starts clean */
  assert_int_equal(crypto_sha256_many_run(m), 0);
  free(buf);
  free(got);
  crypto_sha256_many_free(m);
}

static void test_every_length(void **state)
{
  enum { N = 2101 };
  size_t lens[N], i, e;
  (void)state;
  for(i = 0; i < N; i++)
    lens[i] = i;
  for(e = 0; e < NENGINES; e++)
    check_lengths(e, lens, N, 7);
  /* and shuffled, as ledger events come: neighbours of unlike length */
  for(i = 0; i < N; i++)
    lens[i] = (i * 1237) % N;
  for(e = 0; e < NENGINES; e++)
    check_lengths(e, lens, N, 11);
}

static void test_arena_edges(void **state)
{
  /* the queue holds 64 messages in 64 KiB, each of up to 16 KiB; longer
   * ones bypass it (the library refuses 65,535 bytes and more) */
  static const size_t lens[] = {16384, 16384, 16384, 16383, 1,     16385, 3,
                                65535, 0,     65536, 64,    55,    56,    70000,
                                63,    16384, 16384, 448,   10000, 10000, 10000,
                                10000, 10000, 10000, 10000};
  size_t e;
  (void)state;
  for(e = 0; e < NENGINES; e++)
    check_lengths(e, lens, sizeof(lens) / sizeof(*lens), 3);
}

static void test_engine_names(void **state)
{
  crypto_sha256_many *m = new_many(1);
  (void)state;
  assert_non_null(m);
#ifdef HAVE_IPSEC_MB
  /* one at a time: the SHA extensions where this CPU has them, and for a
   * few messages then too; else the library */
  assert_string_equal(crypto_sha256_many_engine(m),
                      crypto_sha256c_fast() ? "SHA extensions" : "portable C");
  crypto_sha256_many_free(m);
  m = new_many(2);
  assert_non_null(m);
  if(crypto_sha256c_fast())
    assert_string_equal(crypto_sha256_many_engine(m), "SHA extensions");
  else if(!getenv("PROBE_TEST_SHA256_CPU"))
    assert_memory_equal(crypto_sha256_many_engine(m), "intel-ipsec-mb ", 15);
  crypto_sha256_many_free(m);
  m = new_many(3);
  assert_non_null(m);
  assert_string_equal(crypto_sha256_many_engine(m), "portable C");
  crypto_sha256c_portable(0);
#else
  /* one at a time in any case: the SHA extensions where this CPU has
   * them, else EVP (and EVP when they are turned off) */
  assert_string_equal(crypto_sha256_many_engine(m),
                      crypto_sha256c_fast() ? "SHA extensions" : "openssl");
  crypto_sha256_many_free(m);
  m = new_many(3);
  assert_non_null(m);
  assert_string_equal(crypto_sha256_many_engine(m), "openssl");
  crypto_sha256c_portable(0);
#endif
  crypto_sha256_many_free(m);
#ifdef HAVE_IPSEC_MB
  /* a build with the library uses it (every x86-64 CPU has a manager),
   * unless PROBE_TEST_SHA256_CPU says this CPU is not one it knows */
  m = crypto_sha256_many_new(CRYPTO_SHA256_AUTO);
  assert_non_null(m);
  if(!getenv("PROBE_TEST_SHA256_CPU")) {
    const char *name = crypto_sha256_many_engine(m);
    size_t n = strlen(name);
    assert_memory_equal(name, "intel-ipsec-mb ", 15);
    /* with the SHA extensions, their two lanes (the SSE manager), never
     * the vector lanes the library itself would pick */
    if(crypto_sha256c_fast())
      assert_true(n > 10 && strcmp(name + n - 10, " sse+shani") == 0);
  }
  crypto_sha256_many_free(m);
#endif
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vectors),
      cmocka_unit_test(test_every_length),
      cmocka_unit_test(test_arena_edges),
      cmocka_unit_test(test_engine_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
