/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pjsonptr.c: RFC 6901 JSON pointer evaluation over cJSON (see pjsonptr.h).
 * Member names are compared byte for byte after unescaping (~1 -> '/',
 * ~0 -> '~'), never case-insensitively as cJSON_GetObjectItem would.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "plugins/common/pjsonptr.h"

int pjsonptr_valid(const char *pointer)
{
  if(!pointer)
    return 0;
  if(!*pointer)
    return 1;
  if(*pointer != '/')
    return 0;
  for(const char *p = pointer; *p; p++)
    if(*p == '~' && p[1] != '0' && p[1] != '1')
      return 0;
  return 1;
}

/* 1 when the reference token tok[0..n) (still escaped) equals name. */
static int token_equals(const char *tok, size_t n, const char *name)
{
  size_t i = 0;
  const unsigned char *q = (const unsigned char *)name;
  while(i < n) {
    int c = (unsigned char)tok[i];
    if(c == '~') {
      c = tok[i + 1] == '0' ? '~' : '/';
      i += 2;
    }
    else {
      i++;
    }
    if(*q != c)
      return 0;
    q++;
  }
  return *q == '\0';
}

/* Parses an array index token: digits only, no leading zero, fits in int. */
static int token_index(const char *tok, size_t n, int *out)
{
  if(n == 0 || n > 9 || (n > 1 && tok[0] == '0'))
    return -1;
  int v = 0;
  for(size_t i = 0; i < n; i++) {
    if(tok[i] < '0' || tok[i] > '9')
      return -1;
    v = v * 10 + (tok[i] - '0');
  }
  *out = v;
  return 0;
}

const cJSON *pjsonptr_get(const cJSON *root, const char *pointer)
{
  if(!root || !pjsonptr_valid(pointer))
    return NULL;
  const cJSON *cur = root;
  const char *p = pointer;
  while(*p) {
    p++; /* the '/' */
    size_t n = strcspn(p, "/");
    if(cJSON_IsArray(cur)) {
      int idx;
      if(token_index(p, n, &idx) < 0)
        return NULL; /* includes "-", the element after the last */
      const cJSON *c = cur->child;
      while(c && idx-- > 0)
        c = c->next;
      cur = c;
    }
    else if(cJSON_IsObject(cur)) {
      const cJSON *c = cur->child;
      while(c && !(c->string && token_equals(p, n, c->string)))
        c = c->next;
      cur = c;
    }
    else {
      return NULL;
    }
    if(!cur)
      return NULL;
    p += n;
  }
  return cur;
}
