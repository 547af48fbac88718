/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hex.h: lower-case hexadecimal encoding and strict decoding, used for
 * hashes, addresses and transaction fields. No allocation, no I/O.
 */
#ifndef CRYPTO_HEX_H
#define CRYPTO_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*len lower-case hex digits and a NUL to out (2*len+1 bytes). */
void crypto_hex_encode(const uint8_t *in, size_t len, char *out);

/* Decodes exactly 2*outlen hex digits (either case) from `in` of length
 * inlen, with an optional "0x" prefix. Returns 0, or -1 when the length is
 * not exactly right or a character is not a hex digit. */
int crypto_hex_decode(const char *in, size_t inlen, uint8_t *out,
                      size_t outlen);

/* Decodes a 0x-prefixed hex quantity of any even or odd length into a
 * buffer of cap bytes (big-endian, left-trimmed). Stores the byte count in
 * *outlen. Returns -1 on a bad digit or when it does not fit. */
int crypto_hex_decode_var(const char *in, size_t inlen, uint8_t *out,
                          size_t cap, size_t *outlen);

/* 1 when s[0..len) is exactly 64 lower-case hex digits (the ledger's hash
 * spelling), else 0. */
int crypto_hex_is_hash64(const char *s, size_t len);

#endif
