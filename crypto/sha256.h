/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sha256.h: SHA-256 through OpenSSL's EVP interface, one-shot and
 * streaming. Used for the ledger's event hashes (JCS text -> SHA-256) and
 * for fingerprints. No I/O; no allocation beyond OpenSSL's digest context.
 */
#ifndef CRYPTO_SHA256_H
#define CRYPTO_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_SHA256_LEN 32

/* Streaming context: new, update any number of times, final. A context may
 * be reused after final (it restarts). Not shared between threads. */
typedef struct crypto_sha256_ctx crypto_sha256_ctx;

/* A fresh context, or NULL when out of memory. */
crypto_sha256_ctx *crypto_sha256_new(void);

/* Frees a context (NULL is fine). */
void crypto_sha256_free(crypto_sha256_ctx *c);

/* Adds len bytes. Returns 0, or -1 when OpenSSL fails. */
int crypto_sha256_update(crypto_sha256_ctx *c, const void *data, size_t len);

/* Writes the digest to out and restarts the context for a new message.
 * Returns 0, or -1 when OpenSSL fails. */
int crypto_sha256_final(crypto_sha256_ctx *c, uint8_t out[CRYPTO_SHA256_LEN]);

/* One-shot digest of data[0..len). Returns 0, or -1 when OpenSSL fails. */
int crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN]);

/* One-shot digest written as 64 lower-case hex digits and a NUL. */
int crypto_sha256_hex(const void *data, size_t len, char out[65]);

#endif
