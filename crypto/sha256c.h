/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sha256c.h: SHA-256 (FIPS 180-4) in portable C, one message at a time,
 * by the SHA extensions where an x86-64 CPU has them. Only the
 * many-message hash uses it: one message at a time on the SHA extensions
 * (faster than EVP's per-message set-up), and in a build with
 * intel-ipsec-mb also the portable C on a CPU that library has no code
 * for: that build maps no OpenSSL into the ledger plugin, whose one-shot
 * start it would cost a millisecond. No I/O, no allocation.
 */
#ifndef CRYPTO_SHA256C_H
#define CRYPTO_SHA256C_H

#include <stddef.h>
#include <stdint.h>

/* Writes the digest of data[0..len) to out. */
void crypto_sha256c(const void *data, size_t len, uint8_t out[32]);

/* 1 when the CPU's SHA extensions do the work (x86-64 with SHA-NI), else
 * 0 (the portable C). */
int crypto_sha256c_fast(void);

/* "SHA extensions" or "portable C". */
const char *crypto_sha256c_name(void);

/* For tests: with on set, the portable C hashes even where the SHA
 * extensions could (so that both are tested on one machine). Not for
 * use while another thread hashes. */
void crypto_sha256c_portable(int on);

#endif
