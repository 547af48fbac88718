/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keccak.h: Keccak-256 as Ethereum uses it (the original Keccak padding
 * 0x01, not the SHA3-256 padding 0x06): addresses, transaction hashes,
 * signing hashes, ABI selectors. No allocation, no I/O.
 */
#ifndef CRYPTO_KECCAK_H
#define CRYPTO_KECCAK_H

#include <stddef.h>
#include <stdint.h>

/* out = Keccak-256(data[0..len)). Uses OpenSSL's "KECCAK-256" digest when
 * the OpenSSL found at run time has it, else the built-in permutation. */
void crypto_keccak256(const void *data, size_t len, uint8_t out[32]);

/* The built-in implementation alone (tests compare both). */
void crypto_keccak256_builtin(const void *data, size_t len, uint8_t out[32]);

/* 1 when crypto_keccak256 uses OpenSSL's digest, else 0. */
int crypto_keccak256_uses_openssl(void);

#endif
