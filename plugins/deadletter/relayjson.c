/*
 * relayjson.c: relay API response parsing (see relayjson.h). Bodies are
 * outside data: parsed with a length (not trusting a NUL), pointers
 * validated, values type-checked, nothing echoed back but the pointer.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "plugins/common/pjsonptr.h"
#include "plugins/deadletter/relayjson.h"

/* Parses body; NULL with why when it is not JSON. */
static cJSON *parse(const char *body, size_t len, char *why, size_t whylen)
{
  if(!body || len == 0) {
    snprintf(why, whylen, "empty body");
    return NULL;
  }
  cJSON *j = cJSON_ParseWithLength(body, len);
  if(!j)
    snprintf(why, whylen, "not valid JSON");
  return j;
}

int relayjson_count(const char *body, size_t len, const char *pointer, double *count,
                    char *why, size_t whylen)
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
  } else if(cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble >= 0 &&
            v->valuedouble <= 9007199254740992.0 && floor(v->valuedouble) == v->valuedouble) {
    *count = v->valuedouble;
    rc = 0;
  } else
    snprintf(why, whylen, "value at %.100s is not a count (a non-negative integer or an array)",
             pointer);
  cJSON_Delete(j);
  return rc;
}

int relayjson_status(const char *body, size_t len, const char *connected_ptr,
                     const char *backlog_ptr, relay_status *out, char *why, size_t whylen)
{
  memset(out, 0, sizeof(*out));
  if(!pjsonptr_valid(connected_ptr) || !pjsonptr_valid(backlog_ptr)) {
    snprintf(why, whylen, "connected_pointer/backlog_pointer is not an RFC 6901 pointer");
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
