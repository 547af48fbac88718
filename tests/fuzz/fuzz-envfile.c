/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-envfile.c: libFuzzer target for the config plugin's environment-file
 * parser (plugins/config/envfile.c), which reads files someone else wrote.
 * Input: the file's bytes, copied to a buffer of exactly that size (so that
 * a read past the end is caught). Checks that every key found is found
 * again by envfile_get and that every value is valid UTF-8.
 *   ./fuzz-envfile tests/fuzz/corpus/envfile
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/config/envfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *buf = malloc(size ? size : 1);
  char err[200];
  envfile f;
  if(!buf)
    return 0;
  if(size)
    memcpy(buf, data, size);
  if(envfile_parse(buf, size, &f, err, sizeof(err)) == 0) {
    for(size_t i = 0; i < f.n; i++) {
      if(envfile_get(&f, f.e[i].key) != &f.e[i] ||
         f.e[i].line < f.e[i].first_line ||
         !envfile_utf8_valid(f.e[i].value, strlen(f.e[i].value), NULL))
        abort();
    }
    envfile_free(&f);
  }
  else if(f.n != 0 || !err[0]) {
    abort();
  }
  free(buf);
  return 0;
}
