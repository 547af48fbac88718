/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plib.c: opening libpq and libcurl on first use (see plib.h for why).
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "plugins/common/plib.h"

/* Sets every slot to NULL. */
static void clear_slots(const plib_sym *syms, size_t nsyms)
{
  void *none = NULL;
  for(size_t i = 0; i < nsyms; i++)
    memcpy(syms[i].slot, &none, sizeof(none));
}

int plib_open(const char *soname, void **handle, const plib_sym *syms,
              size_t nsyms, char *err, size_t errlen)
{
  void *h = *handle;
  if(h)
    return 0;
  h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if(!h) {
    if(err && errlen)
      snprintf(err, errlen, "cannot load %s: %s", soname, dlerror());
    return -1;
  }
  for(size_t i = 0; i < nsyms; i++) {
    void *f = dlsym(h, syms[i].name);
    if(!f) {
      if(err && errlen)
        snprintf(err, errlen, "%s has no %s (too old?)", soname, syms[i].name);
      clear_slots(syms, nsyms);
      dlclose(h);
      return -1;
    }
    /* POSIX guarantees a function's address fits in a void *; memcpy
     * avoids the ISO C cast between object and function pointers */
    memcpy(syms[i].slot, &f, sizeof(f));
  }
  *handle = h;
  return 0;
}
