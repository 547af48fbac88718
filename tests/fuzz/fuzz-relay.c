/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-relay.c: libFuzzer target for the deadletter plugin's parsing of
 * relay API responses (plugins/deadletter/relayjson.c) and the RFC 6901
 * pointer walker (plugins/common/pjsonptr.c). Input: a JSON pointer, a
 * newline, then the response body (not NUL-terminated, as bodies from the
 * network are handled with their length).
 *   ./fuzz-relay tests/fuzz/corpus/relay
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "plugins/common/pjsonptr.h"
#include "plugins/deadletter/relayjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const uint8_t *nl = memchr(data, '\n', size);
  size_t plen = nl ? (size_t)(nl - data) : size;
  if(plen > 4096)
    return 0;
  char *ptr = malloc(plen + 1);
  if(!ptr)
    return 0;
  memcpy(ptr, data, plen);
  ptr[plen] = '\0';
  const char *body = nl ? (const char *)nl + 1 : "";
  size_t blen = nl ? size - plen - 1 : 0;
  /* the body in a buffer of its exact size, so reads past it are caught */
  char *copy = malloc(blen ? blen : 1);
  if(!copy) {
    free(ptr);
    return 0;
  }
  memcpy(copy, body, blen);

  char why[256];
  double count;
  relay_status st;
  (void)relayjson_count(copy, blen, ptr, &count, why, sizeof(why));
  (void)relayjson_status(copy, blen, ptr, "/backlog", &st, why, sizeof(why));
  cJSON *j = cJSON_ParseWithLength(copy, blen);
  if(j) {
    const cJSON *v = pjsonptr_get(j, ptr);
    if(v && v != j)
      (void)cJSON_IsNumber(v);
    cJSON_Delete(j);
  }
  free(copy);
  free(ptr);
  return 0;
}
