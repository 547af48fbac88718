/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hex.c: hexadecimal helpers. The ledger format demands lower-case hashes,
 * so encoding is always lower case while decoding of node answers accepts
 * both cases.
 */
#include "config.h"

#include "crypto/hex.h"

static const char hex_digits[] = "0123456789abcdef";

/* Value of one hex digit, or -1. */
static int hex_value(unsigned char c)
{
  if(c >= '0' && c <= '9')
    return c - '0';
  if(c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if(c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

void crypto_hex_encode(const uint8_t *in, size_t len, char *out)
{
  for(size_t i = 0; i < len; i++) {
    out[2 * i] = hex_digits[in[i] >> 4];
    out[2 * i + 1] = hex_digits[in[i] & 0x0f];
  }
  out[2 * len] = '\0';
}

int crypto_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen)
{
  if(inlen >= 2 && in[0] == '0' && (in[1] == 'x' || in[1] == 'X')) {
    in += 2;
    inlen -= 2;
  }
  if(inlen != 2 * outlen)
    return -1;
  for(size_t i = 0; i < outlen; i++) {
    int hi = hex_value((unsigned char)in[2 * i]);
    int lo = hex_value((unsigned char)in[2 * i + 1]);
    if(hi < 0 || lo < 0)
      return -1;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return 0;
}

int crypto_hex_decode_var(const char *in, size_t inlen, uint8_t *out,
                          size_t cap, size_t *outlen)
{
  if(inlen >= 2 && in[0] == '0' && (in[1] == 'x' || in[1] == 'X')) {
    in += 2;
    inlen -= 2;
  }
  /* skip leading zero digits: quantities like 0x0 or 0x01 */
  while(inlen > 0 && in[0] == '0') {
    in++;
    inlen--;
  }
  size_t n = (inlen + 1) / 2;
  if(n > cap)
    return -1;
  size_t pos = 0;
  size_t i = 0;
  if(inlen % 2) {
    int lo = hex_value((unsigned char)in[0]);
    if(lo < 0)
      return -1;
    out[pos++] = (uint8_t)lo;
    i = 1;
  }
  for(; i < inlen; i += 2) {
    int hi = hex_value((unsigned char)in[i]);
    int lo = hex_value((unsigned char)in[i + 1]);
    if(hi < 0 || lo < 0)
      return -1;
    out[pos++] = (uint8_t)(hi << 4 | lo);
  }
  *outlen = pos;
  return 0;
}

int crypto_hex_is_hash64(const char *s, size_t len)
{
  if(len != 64)
    return 0;
  for(size_t i = 0; i < 64; i++) {
    unsigned char c = (unsigned char)s[i];
    if(!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return 0;
  }
  return 1;
}
