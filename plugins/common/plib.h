/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plib.h: system libraries a plugin opens when it first needs them.
 *
 * Every library a plugin is linked with is loaded at each run, in the run's
 * own process. libpq and libcurl bring some 30 more with them (Kerberos,
 * LDAP, GnuTLS, SSH, IDN...): about 10 ms of dlopen work a run, more than
 * an incremental ledger check takes. Most runs need neither (a ledger read
 * from a file, a TLS or secrets check), so plugins are not linked with them;
 * ppg_connect and phttp_fetch open them by soname (found by configure) on
 * first use and call through function pointers whose types come from the
 * libraries' own headers (sym_PQexec is a __typeof__(&PQexec)).
 */
#ifndef PLUGINS_COMMON_PLIB_H
#define PLUGINS_COMMON_PLIB_H

#include <stddef.h>

/* One function to look up: its name and the pointer variable to fill. */
typedef struct plib_sym {
  const char *name;
  void *slot; /* address of a function pointer variable */
} plib_sym;

/* Table entry for function f, filling sym_f. */
#define PLIB_SYM(f) {#f, (void *)&sym_##f},

/* Opens soname once per process (*handle keeps it; it is never closed) and
 * fills every slot. 0 on success; -1 with a message naming the library in
 * err, and every slot left NULL, when it or one of its functions is
 * missing. Not thread-safe: call from one thread before others use it. */
int plib_open(const char *soname, void **handle, const plib_sym *syms,
              size_t nsyms, char *err, size_t errlen);

#endif
