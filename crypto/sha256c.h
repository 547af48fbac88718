/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sha256c.h: SHA-256 (FIPS 180-4) in portable C, one message at a time.
 * Only the many-message hash uses it, in a build with intel-ipsec-mb on a
 * CPU that library has no code for: that build maps no OpenSSL into the
 * ledger plugin, whose one-shot start it would cost a millisecond. No I/O,
 * no allocation.
 */
#ifndef CRYPTO_SHA256C_H
#define CRYPTO_SHA256C_H

#include <stddef.h>
#include <stdint.h>

/* Writes the digest of data[0..len) to out. */
void crypto_sha256c(const void *data, size_t len, uint8_t out[32]);

#endif
