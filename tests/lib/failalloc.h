/* SPDX-License-Identifier: Apache-2.0 */
/*
 * failalloc.h: allocation failure on demand, for the torture tests (the
 * way curl's run every allocation of a test failing in turn). A test
 * program links tests/lib/failalloc.c with FAILALLOC_LDOPTS, which wrap
 * malloc, calloc, realloc, free and strdup at link time: the project's
 * code linked into the program allocates through here, while OpenSSL's,
 * zlib's and libc's own allocations do not. Counters are atomic: the
 * ledger verifier's workers allocate too.
 */
#ifndef TESTS_LIB_FAILALLOC_H
#define TESTS_LIB_FAILALLOC_H

/* From now on, the at-th allocation fails (counting from 1), and with
 * after every one after it too (memory that stays short); at 0: none. */
void failalloc_arm(long at, int after);

/* Stops failing allocations. */
void failalloc_disarm(void);

/* Whether an allocation failed since the last failalloc_arm. */
int failalloc_failed(void);

/* Blocks handed out through here and not yet freed. */
long failalloc_live(void);

#endif
