/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sha256.c: SHA-256 over OpenSSL EVP (see sha256.h). The EVP_MD is fetched
 * once per context with EVP_MD_fetch (so no provider lookup happens per
 * message), and a context is reused across messages so that hashing a
 * million small ledger events costs no allocation or lookup each.
 */
#include "config.h"

#include <openssl/evp.h>
#include <stdlib.h>

#include "crypto/hex.h"
#include "crypto/sha256.h"

struct crypto_sha256_ctx {
  EVP_MD_CTX *md;
  EVP_MD *alg; /* fetched once: an implicit fetch per message costs */
  int started; /* DigestInit done for the current message */
};

/* Starts a message on c when not started yet. */
static int ensure_started(crypto_sha256_ctx *c)
{
  if(c->started)
    return 0;
  if(EVP_DigestInit_ex2(c->md, c->alg, NULL) != 1)
    return -1;
  c->started = 1;
  return 0;
}

crypto_sha256_ctx *crypto_sha256_new(void)
{
  crypto_sha256_ctx *c = calloc(1, sizeof(*c));
  if(!c)
    return NULL;
  c->md = EVP_MD_CTX_new();
  c->alg = EVP_MD_fetch(NULL, "SHA256", NULL);
  if(!c->md || !c->alg) {
    EVP_MD_CTX_free(c->md);
    EVP_MD_free(c->alg);
    free(c);
    return NULL;
  }
  return c;
}

void crypto_sha256_free(crypto_sha256_ctx *c)
{
  if(!c)
    return;
  EVP_MD_CTX_free(c->md);
  EVP_MD_free(c->alg);
  free(c);
}

int crypto_sha256_update(crypto_sha256_ctx *c, const void *data, size_t len)
{
  if(ensure_started(c) != 0)
    return -1;
  if(len == 0)
    return 0;
  return EVP_DigestUpdate(c->md, data, len) == 1 ? 0 : -1;
}

int crypto_sha256_final(crypto_sha256_ctx *c, uint8_t out[CRYPTO_SHA256_LEN])
{
  unsigned int n = 0;
  if(ensure_started(c) != 0)
    return -1;
  c->started = 0;
  if(EVP_DigestFinal_ex(c->md, out, &n) != 1 || n != CRYPTO_SHA256_LEN)
    return -1;
  return 0;
}

int crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN])
{
  unsigned int n = 0;
  if(EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 ||
     n != CRYPTO_SHA256_LEN)
    return -1;
  return 0;
}

int crypto_sha256_hex(const void *data, size_t len, char out[65])
{
  uint8_t d[CRYPTO_SHA256_LEN];
  if(crypto_sha256(data, len, d) != 0)
    return -1;
  crypto_hex_encode(d, sizeof(d), out);
  return 0;
}
