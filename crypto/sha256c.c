/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sha256c.c: SHA-256 in portable C (see sha256c.h), written from FIPS
 * 180-4 section 6.2 and tested against EVP over every length to 2,100
 * bytes and the published vectors (tests/unit/crypto-sha256many.c).
 * Plain and slow (200 MB/s on 466-byte messages here, a third of EVP
 * with SHA-NI): it is the last resort. On an x86-64 CPU with the SHA
 * extensions the blocks go through them instead (chosen at run time by
 * CPUID), which is what makes it the engine of choice for a few messages
 * (crypto_sha256c_fast): no multi-buffer manager to set up.
 */
#include "config.h"

#include <string.h>

#include "crypto/sha256c.h"

static const uint32_t sha256c_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, unsigned n)
{
  return (x >> n) | (x << (32 - n));
}

/* One 64-byte block into the state h (section 6.2.2). */
static void sha256c_block_c(uint32_t h[8], const unsigned char *p)
{
  uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
  unsigned i;
  for(i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
           (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
  for(i = 16; i < 64; i++)
    w[i] = (rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)) +
           w[i - 7] +
           (rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
           w[i - 16];
  a = h[0], b = h[1], c = h[2], d = h[3];
  e = h[4], f = h[5], g = h[6], hh = h[7];
  for(i = 0; i < 64; i++) {
    t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
         sha256c_k[i] + w[i];
    t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) +
         ((a & b) ^ (a & c) ^ (b & c));
    hh = g, g = f, f = e, e = d + t1;
    d = c, c = b, b = a, a = t1 + t2;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d;
  h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

#define SHA256C_NI 1

/* The four round constants of group g, as the SHA extensions take them. */
#define NI_K(g)                                                           \
  _mm_set_epi32((int)sha256c_k[4 * (g) + 3], (int)sha256c_k[4 * (g) + 2], \
                (int)sha256c_k[4 * (g) + 1], (int)sha256c_k[4 * (g)])

/* Four rounds: two sha256rnds2 on the message words plus constants m. */
#define NI_ROUNDS(s0, s1, m)               \
  do {                                     \
    s1 = _mm_sha256rnds2_epu32(s1, s0, m); \
    m = _mm_shuffle_epi32(m, 0x0E);        \
    s0 = _mm_sha256rnds2_epu32(s0, s1, m); \
  } while(0)

/* Four rounds of group g (4 to 14) on w0 (this group's words), completing
 * w1 (the next group's) from w3 (the last group's) and starting w3 on
 * (three groups on). */
#define NI_GROUP(g, w0, w1, w3, s0, s1)                   \
  do {                                                    \
    __m128i m_ = _mm_add_epi32(w0, NI_K(g)), t_;          \
    s1 = _mm_sha256rnds2_epu32(s1, s0, m_);               \
    t_ = _mm_alignr_epi8(w0, w3, 4);                      \
    w1 = _mm_sha256msg2_epu32(_mm_add_epi32(w1, t_), w0); \
    m_ = _mm_shuffle_epi32(m_, 0x0E);                     \
    s0 = _mm_sha256rnds2_epu32(s0, s1, m_);               \
    if((g) <= 12)                                         \
      w3 = _mm_sha256msg1_epu32(w3, w0);                  \
  } while(0)

/* n 64-byte blocks into h with the x86 SHA extensions (Intel's SHA
 * extensions paper, 2013: the state as ABEF and CDGH, the message schedule
 * four words at a time). */
__attribute__((target("sha,sse4.1,ssse3"))) static void
sha256c_blocks_ni(uint32_t h[8], const unsigned char *p, size_t n)
{
  const __m128i bswap =
      _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i t = _mm_loadu_si128((const __m128i *)(const void *)&h[0]);
  __m128i s1 = _mm_loadu_si128((const __m128i *)(const void *)&h[4]);
  __m128i s0, w0, w1, w2, w3, m;
  t = _mm_shuffle_epi32(t, 0xB1);    /* CDAB */
  s1 = _mm_shuffle_epi32(s1, 0x1B);  /* EFGH */
  s0 = _mm_alignr_epi8(t, s1, 8);    /* ABEF */
  s1 = _mm_blend_epi16(s1, t, 0xF0); /* CDGH */
  for(; n; n--, p += 64) {
    __m128i a0 = s0, c0 = s1;
    w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)p),
                          bswap);
    w1 = _mm_shuffle_epi8(_mm_loadu_si128(
                              (const __m128i *)(const void *)(p + 16)),
                          bswap);
    w2 = _mm_shuffle_epi8(_mm_loadu_si128(
                              (const __m128i *)(const void *)(p + 32)),
                          bswap);
    w3 = _mm_shuffle_epi8(_mm_loadu_si128(
                              (const __m128i *)(const void *)(p + 48)),
                          bswap);
    m = _mm_add_epi32(w0, NI_K(0));
    NI_ROUNDS(s0, s1, m);
    m = _mm_add_epi32(w1, NI_K(1));
    NI_ROUNDS(s0, s1, m);
    w0 = _mm_sha256msg1_epu32(w0, w1);
    m = _mm_add_epi32(w2, NI_K(2));
    NI_ROUNDS(s0, s1, m);
    w1 = _mm_sha256msg1_epu32(w1, w2);
    NI_GROUP(3, w3, w0, w2, s0, s1);
    NI_GROUP(4, w0, w1, w3, s0, s1);
    NI_GROUP(5, w1, w2, w0, s0, s1);
    NI_GROUP(6, w2, w3, w1, s0, s1);
    NI_GROUP(7, w3, w0, w2, s0, s1);
    NI_GROUP(8, w0, w1, w3, s0, s1);
    NI_GROUP(9, w1, w2, w0, s0, s1);
    NI_GROUP(10, w2, w3, w1, s0, s1);
    NI_GROUP(11, w3, w0, w2, s0, s1);
    NI_GROUP(12, w0, w1, w3, s0, s1);
    NI_GROUP(13, w1, w2, w0, s0, s1);
    NI_GROUP(14, w2, w3, w1, s0, s1);
    m = _mm_add_epi32(w3, NI_K(15));
    NI_ROUNDS(s0, s1, m);
    s0 = _mm_add_epi32(s0, a0);
    s1 = _mm_add_epi32(s1, c0);
  }
  t = _mm_shuffle_epi32(s0, 0x1B);   /* FEBA */
  s1 = _mm_shuffle_epi32(s1, 0xB1);  /* DCHG */
  s0 = _mm_blend_epi16(t, s1, 0xF0); /* DCBA */
  s1 = _mm_alignr_epi8(s1, t, 8);    /* HGFE */
  _mm_storeu_si128((__m128i *)(void *)&h[0], s0);
  _mm_storeu_si128((__m128i *)(void *)&h[4], s1);
}

/* Does this CPU have the SHA extensions (and the SSSE3 and SSE4.1 they
 * are used with): CPUID leaf 7 EBX bit 29, leaf 1 ECX bits 9 and 19. 1 or
 * 0, found once (-1 until then; a race only finds it twice). */
static int sha256c_have_ni(void)
{
  static int have = -1;
  if(have < 0) {
    unsigned a, b, c, d, ok = 0;
    if(__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 9)) && (c & (1u << 19)) &&
       __get_cpuid_count(7, 0, &a, &b, &c, &d))
      ok = (b >> 29) & 1u;
    have = (int)ok;
  }
  return have;
}
#endif

/* Set by crypto_sha256c_portable: the SHA extensions are not used. */
static int sha256c_no_ni;

void crypto_sha256c_portable(int on)
{
  sha256c_no_ni = on != 0;
}

/* n 64-byte blocks into h, by the SHA extensions where the CPU has them. */
static void sha256c_blocks(uint32_t h[8], const unsigned char *p, size_t n)
{
#ifdef SHA256C_NI
  if(!sha256c_no_ni && sha256c_have_ni()) {
    sha256c_blocks_ni(h, p, n);
    return;
  }
#endif
  for(; n; n--, p += 64)
    sha256c_block_c(h, p);
}

const char *crypto_sha256c_name(void)
{
#ifdef SHA256C_NI
  if(!sha256c_no_ni && sha256c_have_ni())
    return "SHA extensions";
#endif
  return "portable C";
}

int crypto_sha256c_fast(void)
{
#ifdef SHA256C_NI
  return !sha256c_no_ni && sha256c_have_ni();
#else
  return 0;
#endif
}

void crypto_sha256c(const void *data, size_t len, uint8_t out[32])
{
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  const unsigned char *p = data;
  unsigned char tail[128];
  uint64_t bits = (uint64_t)len * 8;
  size_t rest = len % 64, tl, i;
  sha256c_blocks(h, p, len / 64);
  i = len - rest;
  /* the padding: 0x80, zeros, the length in bits, big-endian (5.1.1) */
  memset(tail, 0, sizeof(tail));
  if(rest)
    memcpy(tail, p + i, rest);
  tail[rest] = 0x80;
  tl = rest < 56 ? 64 : 128;
  for(i = 0; i < 8; i++)
    tail[tl - 1 - i] = (unsigned char)(bits >> (8 * i));
  sha256c_blocks(h, tail, tl / 64);
  for(i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(h[i] >> 8);
    out[4 * i + 3] = (uint8_t)h[i];
  }
}
