/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keccak.c: Keccak-256 (see keccak.h). OpenSSL 3.0 has SHA3-256 but not
 * Keccak-256 (same permutation, other padding); 3.2 added "KECCAK-256".
 * We ask OpenSSL once at run time and otherwise use the compact
 * Keccak-f[1600] below, written from the Keccak reference (FIPS 202
 * section 3 for the step mappings, rate 1088 bits, padding 0x01 ... 0x80).
 */
#include "config.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto/keccak.h"

#define RATE 136 /* bytes: 1600 - 2*256 bits */

static const uint64_t round_constants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
    0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
    0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
    0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
    0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
    0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
    0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

/* rho offsets and pi lane order, walked along the pi cycle from lane 1 */
static const unsigned rho[24] = {1,  3,  6,  10, 15, 21, 28, 36,
                                 45, 55, 2,  14, 27, 41, 56, 8,
                                 25, 43, 62, 18, 39, 61, 20, 44};
static const unsigned pi[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                                15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

static uint64_t rotl(uint64_t x, unsigned n)
{
  return (x << n) | (x >> (64 - n));
}

/* The Keccak-f[1600] permutation, 24 rounds. */
static void keccak_f(uint64_t st[25])
{
  uint64_t bc[5], t;
  for(int r = 0; r < 24; r++) {
    for(int i = 0; i < 5; i++) /* theta */
      bc[i] = st[i] ^ st[i + 5] ^ st[i + 10] ^ st[i + 15] ^ st[i + 20];
    for(int i = 0; i < 5; i++) {
      t = bc[(i + 4) % 5] ^ rotl(bc[(i + 1) % 5], 1);
      for(int j = 0; j < 25; j += 5)
        st[j + i] ^= t;
    }
    t = st[1]; /* rho and pi */
    for(int i = 0; i < 24; i++) {
      unsigned j = pi[i];
      uint64_t next = st[j];
      st[j] = rotl(t, rho[i]);
      t = next;
    }
    for(int j = 0; j < 25; j += 5) { /* chi */
      for(int i = 0; i < 5; i++)
        bc[i] = st[j + i];
      for(int i = 0; i < 5; i++)
        st[j + i] ^= (~bc[(i + 1) % 5]) & bc[(i + 2) % 5];
    }
    st[0] ^= round_constants[r]; /* iota */
  }
}

/* XORs a little-endian block of `len` bytes (<= RATE) into the state. */
static void absorb(uint64_t st[25], const uint8_t *p, size_t len)
{
  for(size_t i = 0; i < len; i++)
    st[i / 8] ^= (uint64_t)p[i] << (8 * (i % 8));
}

void crypto_keccak256_builtin(const void *data, size_t len, uint8_t out[32])
{
  uint64_t st[25] = {0};
  const uint8_t *p = data;
  uint8_t last[RATE];
  while(len >= RATE) {
    absorb(st, p, RATE);
    keccak_f(st);
    p += RATE;
    len -= RATE;
  }
  memset(last, 0, sizeof(last));
  if(len)
    memcpy(last, p, len);
  last[len] ^= 0x01; /* Keccak padding, not SHA-3's 0x06 */
  last[RATE - 1] ^= 0x80;
  absorb(st, last, RATE);
  keccak_f(st);
  for(int i = 0; i < 32; i++)
    out[i] = (uint8_t)(st[i / 8] >> (8 * (i % 8)));
}

/* OpenSSL's KECCAK-256, fetched once; NULL when this OpenSSL lacks it. */
static EVP_MD *openssl_keccak(void)
{
  static int tried;
  static EVP_MD *md;
  if(!tried) {
    tried = 1;
    ERR_set_mark();
    md = EVP_MD_fetch(NULL, "KECCAK-256", NULL);
    ERR_pop_to_mark();
  }
  return md;
}

int crypto_keccak256_uses_openssl(void)
{
  return openssl_keccak() != NULL;
}

void crypto_keccak256(const void *data, size_t len, uint8_t out[32])
{
  EVP_MD *md = openssl_keccak();
  unsigned int n = 0;
  if(md && EVP_Digest(data, len, out, &n, md, NULL) == 1 && n == 32)
    return;
  crypto_keccak256_builtin(data, len, out);
}
