/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-seckey.c: libFuzzer target for the secrets plugin's key parser
 * (plugins/secrets/secutil.c: sec_value_set, sec_eth_parse_key), which
 * reads a wallet key file to derive its address. Input: the file's bytes.
 * Checks that an accepted key is exactly the 64 hex digits of the input
 * (round trip through lower-case hex), and that a refused one leaves no
 * part of the key behind in the output buffer (untouched or wiped).
 *   ./fuzz-seckey tests/fuzz/corpus/seckey
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/secrets/secutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 when all 32 bytes are b. */
static int all(const uint8_t k[32], uint8_t b)
{
  for(int i = 0; i < 32; i++)
    if(k[i] != b)
      return 0;
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  sec_value v, again;
  uint8_t priv[32], priv2[32];
  char hex[67];
  if(sec_value_set(&v, (const char *)data, size) != SEC_OK)
    return 0;
  memset(priv, 0xa5, sizeof(priv));
  if(sec_eth_parse_key(&v, priv) != 0) {
    if(!all(priv, 0xa5) && !all(priv, 0))
      abort(); /* a refused key left part of itself behind */
    sec_value_free(&v);
    return 0;
  }
  hex[0] = '0';
  hex[1] = 'x';
  for(int i = 0; i < 32; i++)
    snprintf(hex + 2 + 2 * i, 3, "%02x", priv[i]);
  /* the 64 digits are in the input, in order, whatever their case */
  size_t b = 0;
  while(b < v.len && isspace((unsigned char)v.p[b]))
    b++;
  const char *p = (const char *)v.p + b;
  if(p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
    p += 2;
  if(strncasecmp(p, hex + 2, 64) != 0)
    abort();
  if(sec_value_set(&again, hex, 66) != SEC_OK ||
     sec_eth_parse_key(&again, priv2) != 0 || memcmp(priv, priv2, 32) != 0)
    abort();
  sec_value_free(&again);
  sec_value_free(&v);
  return 0;
}
