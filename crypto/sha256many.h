/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sha256many.h: SHA-256 of many short messages at once, for the ledger
 * verifier's events. Its own library (libprobesha256many) because it may
 * link Intel's multi-buffer crypto library, which only the ledger plugin
 * should map. No I/O.
 */
#ifndef CRYPTO_SHA256MANY_H
#define CRYPTO_SHA256MANY_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sha256.h"

/* Many short messages hashed together. Built with Intel's multi-buffer
 * crypto library (intel-ipsec-mb, --with-ipsec-mb), messages queued here
 * are hashed several at a time, one per SIMD or SHA-NI lane; without it,
 * or with CRYPTO_SHA256_SERIAL, each is hashed as it is added: by
 * sha256c.c's SHA extensions where the CPU has them, else through EVP in
 * a build without the library and by portable C in one with it (such a
 * build links no OpenSSL for hashing).
 * A ledger event is a few hundred bytes, where EVP's per-message set-up
 * and single lane cost a third of the hashing (tests/bench/ledger-bench).
 * Not shared between threads. */
typedef struct crypto_sha256_many crypto_sha256_many;

typedef enum {
  CRYPTO_SHA256_AUTO,   /* the multi-buffer library when built with it */
  CRYPTO_SHA256_SERIAL, /* one message at a time: EVP, or sha256c.c */
  /* for a few messages (an incremental run): one at a time where that is
   * fast without set-up (EVP, or sha256c.c with the SHA extensions), else
   * as AUTO. The library's manager costs 0.3 to 3 ms to set up (its
   * self-test), which a thousand events do not win back. */
  CRYPTO_SHA256_FEW
} crypto_sha256_engine;

/* A fresh queue, or NULL when out of memory. A CPU the library has no
 * manager for gets the portable C (crypto_sha256_many_engine says so). */
crypto_sha256_many *crypto_sha256_many_new(crypto_sha256_engine engine);

/* Frees a queue (NULL is fine); what is queued and not yet run is lost. */
void crypto_sha256_many_free(crypto_sha256_many *m);

/* Queues data[0..len) (copied) to be hashed into out, which is written at
 * the latest by the next crypto_sha256_many_run (perhaps now) and must
 * stay valid until then. Returns 0, or -1 when hashing failed (out then
 * holds zeros). */
int crypto_sha256_many_add(crypto_sha256_many *m, const void *data, size_t len,
                           uint8_t out[CRYPTO_SHA256_LEN]);

/* Hashes everything queued. Returns 0, or -1 when a message could not be
 * hashed (its out then holds zeros). */
int crypto_sha256_many_run(crypto_sha256_many *m);

/* What hashes: "openssl", "portable C", "SHA extensions" or, e.g.,
 * "intel-ipsec-mb 1.3.0 avx512+shani". */
const char *crypto_sha256_many_engine(const crypto_sha256_many *m);

#endif
