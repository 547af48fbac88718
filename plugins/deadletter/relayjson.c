/* SPDX-License-Identifier: Apache-2.0 */
/*
 * relayjson.c: relay API response parsing (see relayjson.h). Bodies are
 * outside data: parsed with a length (not trusting a NUL), pointers
 * validated, values type-checked, nothing echoed back but the pointer.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "plugins/common/pjsonptr.h"
#include "plugins/deadletter/relayjson.h"

/* Orders member pointers by name, for the duplicate check. */
static int name_cmp(const void *a, const void *b)
{
  const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
  return strcmp(x->string, y->string);
}

/* 1 when some object in the tree has a member name twice, -1 when memory
 * ran out. cJSON keeps both and a lookup finds the first, while another
 * reader may take the last: the relay and the probe could read different
 * counts from one body, so such a body is refused. Sorting the names of
 * each object keeps this O(n log n). */
static int has_duplicate(const cJSON *node)
{
  if(cJSON_IsObject(node) && node->child && node->child->next) {
    size_t n = 0, i = 0;
    for(const cJSON *c = node->child; c; c = c->next)
      n++;
    const cJSON **v = malloc(n * sizeof(*v));
    if(!v)
      return -1;
    for(const cJSON *c = node->child; c; c = c->next)
      v[i++] = c;
    qsort(v, n, sizeof(*v), name_cmp);
    int dup = 0;
    for(i = 1; i < n && !dup; i++)
      dup = !strcmp(v[i - 1]->string, v[i]->string);
    free(v);
    if(dup)
      return 1;
  }
  for(const cJSON *c = node->child; c; c = c->next) {
    int r = has_duplicate(c);
    if(r)
      return r;
  }
  return 0;
}

/* Parses body; NULL with why when it is not one JSON value (text after
 * the value is refused: "{...} garbage" is not a response) or an object
 * in it names a member twice. */
static cJSON *parse(const char *body, size_t len, char *why, size_t whylen)
{
  if(!body || len == 0) {
    snprintf(why, whylen, "empty body");
    return NULL;
  }
  const char *end = NULL;
  cJSON *j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
  if(!j) {
    snprintf(why, whylen, "not valid JSON");
    return NULL;
  }
  size_t at = end ? (size_t)(end - body) : len;
  while(at < len && (body[at] == ' ' || body[at] == '\t' || body[at] == '\r' ||
                     body[at] == '\n'))
    at++;
  int dup = 0;
  if(at < len)
    snprintf(why, whylen, "not valid JSON (text after the value)");
  else if((dup = has_duplicate(j)) != 0)
    snprintf(why, whylen,
             dup < 0 ? "out of memory"
                     : "not valid JSON for a count: "
                       "an object names a member twice");
  if(at < len || dup) {
    cJSON_Delete(j);
    return NULL;
  }
  return j;
}

int relayjson_count(const char *body, size_t len, const char *pointer,
                    double *count, char *why, size_t whylen)
{
  if(!pjsonptr_valid(pointer)) {
    snprintf(why, whylen, "count_pointer is not an RFC 6901 pointer");
    return -1;
  }
  cJSON *j = parse(body, len, why, whylen);
  if(!j)
    return -1;
  int rc = -1;
  const cJSON *v = pjsonptr_get(j, pointer);
  if(!v)
    snprintf(why, whylen, "no value at %.100s", pointer);
  else if(cJSON_IsArray(v)) {
    *count = cJSON_GetArraySize(v);
    rc = 0;
  }
  else if(cJSON_IsNumber(v) && isfinite(v->valuedouble) &&
          v->valuedouble >= 0 && v->valuedouble <= 9007199254740992.0 &&
          floor(v->valuedouble) == v->valuedouble) {
    *count = v->valuedouble;
    rc = 0;
  }
  else
    snprintf(
        why, whylen,
        "value at %.100s is not a count (a non-negative integer or an array)",
        pointer);
  cJSON_Delete(j);
  return rc;
}

int relayjson_status(const char *body, size_t len, const char *connected_ptr,
                     const char *backlog_ptr, relay_status *out, char *why,
                     size_t whylen)
{
  memset(out, 0, sizeof(*out));
  if(!pjsonptr_valid(connected_ptr) || !pjsonptr_valid(backlog_ptr)) {
    snprintf(why, whylen,
             "connected_pointer/backlog_pointer is not an RFC 6901 pointer");
    return -1;
  }
  cJSON *j = parse(body, len, why, whylen);
  if(!j)
    return -1;
  int rc = -1;
  const cJSON *c = pjsonptr_get(j, connected_ptr);
  const cJSON *b = pjsonptr_get(j, backlog_ptr);
  if(!cJSON_IsBool(c)) {
    snprintf(why, whylen, "no boolean at %.100s", connected_ptr);
    goto out;
  }
  out->connected = cJSON_IsTrue(c);
  if(cJSON_IsNumber(b) && isfinite(b->valuedouble)) {
    out->has_backlog = 1;
    out->backlog = b->valuedouble;
  }
  rc = 0;
out:
  cJSON_Delete(j);
  return rc;
}
