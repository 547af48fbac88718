/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cstore.c: the claims table, fed by ledger events, saved between runs
 * (see cstore.h for why it looks the way it does).
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rfc3339.h"
#include "plugins/claims/cstore.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <emmintrin.h>
#endif

/* FNV-1a of a NUL-terminated id. */
static size_t hash_id(const char *s)
{
  uint64_t h = 1469598103934665603ull;
  while(*s) {
    h ^= (unsigned char)*s++;
    h *= 1099511628211ull;
  }
  return (size_t)h;
}

int cstore_init(cstore *s, const cstore_conf *conf)
{
  memset(s, 0, sizeof(*s));
  s->conf = conf;
  s->nb = 1024;
  s->b = calloc(s->nb, sizeof(*s->b));
  return s->b ? 0 : -1;
}

/* Frees one claim (its id lives in the same block, see add). */
static void claim_free(claim *c)
{
  free(c->x);
  free(c);
}

void cstore_free(cstore *s)
{
  size_t i;
  claim *c, *n;
  if(!s->b)
    return;
  for(i = 0; i < s->nb; i++)
    for(c = s->b[i]; c; c = n) {
      n = c->next;
      claim_free(c);
    }
  free(s->b);
  s->b = NULL;
}

claim *cstore_get(const cstore *s, const char *id)
{
  claim *c;
  for(c = s->b[hash_id(id) & (s->nb - 1)]; c; c = c->next)
    if(!strcmp(c->id, id))
      return c;
  return NULL;
}

int claim_complete(const claim *c)
{
  return c->dec > 0 && c->del > 0 && c->del >= c->dec;
}

int claim_failed(const claim *c)
{
  return c->fail > 0;
}

/* Finished: no longer in flight. */
static int finished(const claim *c)
{
  return claim_complete(c) || claim_failed(c);
}

/* Finished, not pinned, and finished more than retain before the newest
 * event: forgotten. Depends only on the events read, so that a sweep at any
 * point leaves the same table. */
static int forgotten(const cstore *s, const claim *c)
{
  double fin = claim_failed(c) ? c->fail : c->del;
  return finished(c) && !(c->flags & CL_PINNED) &&
         fin < s->maxts - s->conf->retain;
}

/* Removes a claim from the table and frees it. */
static void unlink_claim(cstore *s, claim *c)
{
  claim **pp = &s->b[hash_id(c->id) & (s->nb - 1)];
  while(*pp && *pp != c)
    pp = &(*pp)->next;
  if(*pp) {
    *pp = c->next;
    claim_free(c);
    s->n--;
  }
}

/* Doubles the bucket array when the table is full (load factor 1). */
static int grow(cstore *s)
{
  size_t nb = s->nb * 2, i;
  claim **b = calloc(nb, sizeof(*b)), *c, *n;
  if(!b)
    return -1;
  for(i = 0; i < s->nb; i++)
    for(c = s->b[i]; c; c = n) {
      size_t k = hash_id(c->id) & (nb - 1);
      n = c->next;
      c->next = b[k];
      b[k] = c;
    }
  free(s->b);
  s->b = b;
  s->nb = nb;
  return 0;
}

/* A new claim (in flight) for id, pinned when claim_ids names it. */
static claim *add(cstore *s, const char *id)
{
  claim *c;
  size_t k, i;
  if(s->n >= s->nb && grow(s) != 0)
    return NULL;
  /* one block for the claim and its id: one allocation per claim, for a
   * full pass's 200,000 claims and a state load's thousand alike */
  i = strlen(id);
  c = calloc(1, sizeof(*c) + i + 1);
  if(!c)
    return NULL;
  c->id = (char *)(c + 1);
  memcpy(c->id, id, i + 1);
  for(i = 0; i < s->conf->npin; i++)
    if(!strcmp(s->conf->pin_ids[i], id))
      c->flags |= CL_PINNED;
  k = hash_id(id) & (s->nb - 1);
  c->next = s->b[k];
  s->b[k] = c;
  s->n++;
  s->in_flight++;
  return c;
}

/* Keeps an event of another kind in a pinned claim's trace. */
static int add_extra(claim *c, const char *type, double ts, int64_t seq)
{
  cl_extra *x;
  if(!(c->flags & CL_PINNED) || c->nx >= CSTORE_MAX_EXTRA)
    return 0;
  x = realloc(c->x, (c->nx + 1) * sizeof(*x));
  if(!x)
    return -1;
  c->x = x;
  snprintf(x[c->nx].type, sizeof(x[c->nx].type), "%s", type);
  x[c->nx].ts = ts;
  x[c->nx].seq = seq;
  c->nx++;
  return 0;
}

/* The claims store keeps UTC times only ("Z" or "+00:00", as before);
 * the rest of the syntax and the ranges are lib/rfc3339.h's. */
double cst_parse_ts(const char *s)
{
  size_t n = strlen(s);
  double t;
  if(!((n >= 1 && s[n - 1] == 'Z') ||
       (n >= 6 && strcmp(s + n - 6, "+00:00") == 0)))
    return -1;
  return rfc3339_parse(s, &t) == 0 ? t : -1;
}

/* The string member name of o, or NULL. */
static const char *str_member(const cJSON *o, const char *name)
{
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* Copies the first n bytes of s, or as many as fit, into dst[cap] with
 * a NUL: snprintf's "%.*s" without its format parsing (it was 3% of a
 * full pass, once per decided event). */
static void put_cut(char *dst, size_t cap, const char *s, size_t n)
{
  if(n >= cap)
    n = cap - 1;
  memcpy(dst, s, n);
  dst[n] = 0;
}

/* Copies s into a fields buffer; 0, or -1 when it does not fit. */
static int put(char *dst, size_t cap, const char *s, size_t n)
{
  if(n >= cap)
    return -1;
  memcpy(dst, s, n);
  dst[n] = 0;
  return 0;
}

/* The members through cJSON: the reference reading. */
static int fields_cjson(const cstore_conf *cf, const char *text, size_t len,
                        cst_fields *f)
{
  cJSON *j = cJSON_ParseWithLength(text, len), *x, *pl;
  const char *v;
  memset(f, 0, sizeof(*f));
  if(!cJSON_IsObject(j)) {
    cJSON_Delete(j);
    return -1;
  }
  x = cJSON_GetObjectItemCaseSensitive(j, "seq");
  if(cJSON_IsNumber(x) && x->valuedouble >= 1 && x->valuedouble <= 9e15 &&
     x->valuedouble == (double)(int64_t)x->valuedouble)
    f->seq = (int64_t)x->valuedouble;
  if((v = str_member(j, "hash")) && strlen(v) == 64)
    memcpy(f->hash, v, 65);
  if((v = str_member(j, "ts")))
    f->has_ts = put(f->ts, sizeof(f->ts), v, strlen(v)) == 0;
  if((v = str_member(j, "type"))) {
    f->has_type = 1;
    put(f->type, sizeof(f->type), v, strlen(v)); /* too long: "" */
  }
  if((v = str_member(j, "aggregate_id"))) {
    f->has_id = 1;
    if(put(f->id, sizeof(f->id), v, strlen(v)) != 0)
      f->id_long = 1;
  }
  pl = cJSON_GetObjectItemCaseSensitive(j, "payload");
  f->synth = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pl, cf->m_synth));
  f->final = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pl, cf->m_final));
  if((v = str_member(pl, cf->m_decision))) {
    f->has_decision = 1;
    snprintf(f->decision, sizeof(f->decision), "%s", v);
  }
  cJSON_Delete(j);
  return 0;
}

/* Skips white space. */
static const char *ws(const char *p, const char *e)
{
  while(p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

/* The first byte in [p, e) that is '"', '\\' or NUL, or e. One pass (SSE2
 * on x86-64): three memchr calls per string were a fifth of a full pass
 * (measured, perf), for strings mostly shorter than their call. */
static const char *string_stop(const char *p, const char *e)
{
#if defined(__x86_64__) && defined(__GNUC__)
  const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\'),
                z = _mm_setzero_si128();
  while(e - p >= 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    unsigned k = (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, b)),
                     _mm_cmpeq_epi8(x, z)));
    if(k)
      return p + __builtin_ctz(k);
    p += 16;
  }
#endif
  while(p < e && *p != '"' && *p != '\\' && *p)
    p++;
  return p;
}

/* Is k[0..kn) (no NUL in it) the NUL-terminated name: without its strlen,
 * which a name compared per member made a tenth of a full pass. */
static int key_is(const char *k, size_t kn, const char *name)
{
  size_t i;
  for(i = 0; i < kn; i++)
    if(name[i] != k[i]) /* a shorter name stops here at its NUL */
      return 0;
  return name[kn] == 0;
}

/* A string at p without escapes: its body in *s, *n; returns the end, or
 * NULL (an escape, a NUL byte or no end: the slow path reads it). */
static const char *plain_string(const char *p, const char *e, const char **s,
                                size_t *n)
{
  const char *q;
  if(p >= e || *p != '"')
    return NULL;
  p++;
  q = string_stop(p, e);
  if(q >= e || *q != '"')
    return NULL;
  *s = p;
  *n = (size_t)(q - p);
  return q + 1;
}

/* The first quote in [p, e), or NULL: memchr's, inline (SSE2 on x86-64),
 * since the strings skipped are mostly a few dozen bytes, where the call
 * cost more than the search (perf: memchr 5.6% of a full pass). */
static const char *quote_in(const char *p, const char *e)
{
#if defined(__x86_64__) && defined(__GNUC__)
  const __m128i q = _mm_set1_epi8('"');
  while(e - p >= 16) {
    unsigned k = (unsigned)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), q));
    if(k)
      return p + __builtin_ctz(k);
    p += 16;
  }
#endif
  for(; p < e; p++)
    if(*p == '"')
      return p;
  return NULL;
}

/* Skips a string at p (its opening quote), escapes and all; NULL when it
 * does not end. */
static const char *skip_string(const char *p, const char *e)
{
  const char *s = ++p, *q;
  for(;;) {
    size_t k = 0;
    q = quote_in(p, e);
    if(!q)
      return NULL;
    while(q - k > s && q[-1 - (ptrdiff_t)k] == '\\')
      k++;
    if(!(k & 1))
      return q + 1;
    p = q + 1;
  }
}

/* Skips one value of any kind (not validated: the ledger plugin judges the
 * JSON); NULL when it cannot tell where it ends. */
static const char *skip_value(const char *p, const char *e)
{
  int depth = 0;
  if(p >= e)
    return NULL;
  if(*p == '"')
    return skip_string(p, e);
  if(*p != '{' && *p != '[') {
    const char *q = p;
    while(q < e && ((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'z') ||
                    *q == '-' || *q == '+' || *q == '.' || *q == 'E'))
      q++;
    return q > p ? q : NULL;
  }
  do {
    if(p >= e)
      return NULL;
    if(*p == '"') {
      if(!(p = skip_string(p, e)))
        return NULL;
      continue;
    }
    if(*p == '{' || *p == '[')
      depth++;
    else if(*p == '}' || *p == ']')
      depth--;
    p++;
  } while(depth > 0);
  return p;
}

/* The member key at p and its colon: the key's body in *k, *kn; returns
 * the start of the value, or NULL when unusual. */
static const char *member_key(const char *p, const char *e, const char **k,
                              size_t *kn)
{
  p = ws(p, e);
  if(!(p = plain_string(p, e, k, kn)))
    return NULL;
  p = ws(p, e);
  if(p >= e || *p++ != ':')
    return NULL;
  return ws(p, e);
}

/* After a member's value: 1 on a comma (another member follows), 0 on
 * the closing brace (*pp past it), -1 on anything else. */
static int member_next(const char **pp, const char *e)
{
  const char *p = ws(*pp, e);
  if(p < e && *p == ',') {
    *pp = p + 1;
    return 1;
  }
  if(p < e && *p == '}') {
    *pp = p + 1;
    return 0;
  }
  return -1;
}

/* The bit of a top-level member read (0: skipped): seq 1, ts 2, type 4,
 * aggregate_id 8, hash 16, payload 32. By length first: trying each name
 * in turn was a sixth of a full pass (perf). */
static unsigned top_bit(const char *k, size_t kn)
{
  switch(kn) {
  case 2: return !memcmp(k, "ts", 2) ? 2 : 0;
  case 3: return !memcmp(k, "seq", 3) ? 1 : 0;
  case 4: return !memcmp(k, "type", 4) ? 4 : !memcmp(k, "hash", 4) ? 16 : 0;
  case 7: return !memcmp(k, "payload", 7) ? 32 : 0;
  case 12: return !memcmp(k, "aggregate_id", 12) ? 8 : 0;
  default: return 0;
  }
}

/* seq in plain digits (no leading zero, fraction or exponent); returns
 * the end of the number, or NULL. */
static const char *fast_seq(const char *p, const char *e, cst_fields *f)
{
  int64_t n = 0;
  const char *q = p;
  if(p >= e || *p < '1' || *p > '9')
    return NULL;
  while(q < e && *q >= '0' && *q <= '9' && q - p < 16)
    n = n * 10 + (*q++ - '0');
  if(q < e && ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E'))
    return NULL;
  if(n <= 9000000000000000ll)
    f->seq = n;
  return q;
}

/* A plain string value of ts (2), type (4), aggregate_id (8) or hash (16);
 * returns its end, or NULL. */
static const char *fast_top_string(unsigned bit, const char *p, const char *e,
                                   cst_fields *f)
{
  const char *v;
  size_t vn;
  if(!(p = plain_string(p, e, &v, &vn)))
    return NULL;
  if(bit == 2)
    f->has_ts = put(f->ts, sizeof(f->ts), v, vn) == 0;
  else if(bit == 4) {
    f->has_type = 1;
    if(put(f->type, sizeof(f->type), v, vn) != 0)
      f->type[0] = 0;
  }
  else if(bit == 8) {
    f->has_id = 1;
    if(put(f->id, sizeof(f->id), v, vn) != 0)
      f->id_long = 1;
  }
  else if(vn == 64)
    put(f->hash, sizeof(f->hash), v, vn);
  return p;
}

/* The bits of a payload member read: synth 1, final 2, decision 4. */
static unsigned payload_bits(const cstore_conf *cf, const char *k, size_t kn)
{
  unsigned pb = 0;
  if(key_is(k, kn, cf->m_synth))
    pb |= 1;
  if(key_is(k, kn, cf->m_final))
    pb |= 2;
  if(key_is(k, kn, cf->m_decision))
    pb |= 4;
  return pb;
}

/* One payload member's value at p (its bits pb); returns its end, or NULL. */
static const char *fast_payload_value(unsigned pb, const char *p, const char *e,
                                      cst_fields *f)
{
  const char *q, *v;
  size_t vn;
  if((pb & 4) && p < e && *p == '"') {
    if(!(q = plain_string(p, e, &v, &vn)))
      return NULL;
    f->has_decision = 1;
    put_cut(f->decision, sizeof(f->decision), v, vn);
    return q;
  }
  if(!(q = skip_value(p, e)))
    return NULL;
  if((pb & 3) && q - p == 4 && !memcmp(p, "true", 4)) {
    if(pb & 1)
      f->synth = 1;
    if(pb & 2)
      f->final = 1;
  }
  return q;
}

/* The payload object at p (its "{"): synth, final and decision; returns
 * the end of the object, or NULL when unusual. */
static const char *fast_payload(const cstore_conf *cf, const char *p,
                                const char *e, cst_fields *f)
{
  unsigned pseen = 0;
  const char *k;
  size_t kn;
  int more;
  p = ws(p + 1, e);
  if(p < e && *p == '}')
    return p + 1;
  do {
    unsigned pb;
    if(!(p = member_key(p, e, &k, &kn)))
      return NULL;
    pb = payload_bits(cf, k, kn);
    if(pb & pseen)
      return NULL;
    pseen |= pb;
    if(!(p = fast_payload_value(pb, p, e, f)))
      return NULL;
  } while((more = member_next(&p, e)) == 1);
  return more == 0 ? p : NULL;
}

/* The members by a scan of the top level (and the payload's), for events
 * spelled plainly; 0 when read, -1 when anything is unusual (an escape in
 * a member read, a member twice, a seq not in plain digits, not one
 * object): then cJSON reads it. */
static int fields_fast(const cstore_conf *cf, const char *text, size_t len,
                       cst_fields *f)
{
  const char *p = text, *e = text + len, *k;
  size_t kn;
  unsigned seen = 0;
  int more;
  /* the strings' first bytes only where they are read as C strings (type
   * and id: 388 bytes a memset cleared on every event); hash, ts and the
   * decision whole, since hash is copied whole (see cst_fields_equal) */
  f->seq = 0;
  f->has_ts = f->has_type = f->has_id = f->id_long = f->has_decision = 0;
  f->synth = f->final = 0;
  f->type[0] = f->id[0] = 0;
  memset(f->ts, 0, sizeof(f->ts));
  memset(f->hash, 0, sizeof(f->hash));
  memset(f->decision, 0, sizeof(f->decision));
  p = ws(p, e);
  if(p >= e || *p++ != '{')
    return -1;
  p = ws(p, e);
  if(p < e && *p == '}')
    return -1;
  do {
    unsigned bit;
    if(!(p = member_key(p, e, &k, &kn)))
      return -1;
    bit = top_bit(k, kn);
    if(bit & seen)
      return -1;
    seen |= bit;
    if(bit == 1)
      p = fast_seq(p, e, f);
    else if(bit && bit != 32 && p < e && *p == '"')
      p = fast_top_string(bit, p, e, f);
    else if(bit == 32 && p < e && *p == '{')
      p = fast_payload(cf, p, e, f);
    else
      p = skip_value(p, e);
    if(!p)
      return -1;
  } while((more = member_next(&p, e)) == 1);
  return more == 0 ? 0 : -1;
}

int cst_fields_equal(const cst_fields *a, const cst_fields *b)
{
  return a->seq == b->seq && a->has_ts == b->has_ts &&
         a->has_type == b->has_type && a->has_id == b->has_id &&
         a->id_long == b->id_long && a->has_decision == b->has_decision &&
         a->synth == b->synth && a->final == b->final &&
         !memcmp(a->ts, b->ts, sizeof(a->ts)) && !strcmp(a->type, b->type) &&
         !strcmp(a->id, b->id) && !memcmp(a->hash, b->hash, sizeof(a->hash)) &&
         !memcmp(a->decision, b->decision, sizeof(a->decision));
}

int cst_fields_read(const cstore_conf *cf, const char *text, size_t len,
                    cst_fields *f, int fast)
{
  if(fast)
    return fields_fast(cf, text, len, f);
  return fields_cjson(cf, text, len, f);
}

/* The event's members into fl, its seq, hash and time into ev (the
 * store's newest time moved on); CST_OK, or CST_PARSE with ev->why. */
static cst_code apply_read(cstore *s, const char *text, size_t len,
                           cst_fields *fl, cst_event *ev)
{
  const cstore_conf *cf = s->conf;
  double t;
  if(fields_fast(cf, text, len, fl) != 0 &&
     fields_cjson(cf, text, len, fl) != 0) {
    snprintf(ev->why, sizeof(ev->why), "not one JSON object");
    return CST_PARSE;
  }
  if(fl->seq < 1) {
    snprintf(ev->why, sizeof(ev->why), "seq missing or not a positive integer");
    return CST_PARSE;
  }
  ev->seq = fl->seq;
  memcpy(ev->hash, fl->hash, sizeof(ev->hash));
  t = fl->has_ts ? cst_parse_ts(fl->ts) : -1;
  if(t < 0 || !fl->has_type || !fl->has_id) {
    snprintf(ev->why, sizeof(ev->why), "%s",
             t < 0           ? "ts missing or not an RFC 3339 UTC time"
             : !fl->has_type ? "type missing or not a string"
                             : "aggregate_id missing or not a string");
    return CST_PARSE;
  }
  ev->ts = t;
  if(t > s->maxts)
    s->maxts = t;
  return CST_OK;
}

/* A submission: the first one counts (and may pin the claim as one of
 * the first), a later one is a duplicate. *cp gets the claim. */
static cst_code apply_submitted(cstore *s, claim **cp, const char *id,
                                const cst_fields *fl, const cst_event *ev)
{
  const cstore_conf *cf = s->conf;
  claim *c = *cp;
  double t = ev->ts;
  if(c && c->sub > 0) {
    c->dups++;
    c->dup_ts = t;
    return CST_OK;
  }
  if(!c && !(c = *cp = add(s, id)))
    return CST_NOMEM;
  c->sub = t;
  c->sub_seq = ev->seq;
  if(fl->synth)
    c->flags |= CL_SYNTH;
  if(cf->first && !(c->flags & CL_SYNTH) && t >= cf->since &&
     s->first_count < cf->first) {
    c->first_idx = ++s->first_count;
    c->flags |= CL_PINNED;
  }
  return CST_OK;
}

/* Ends the claim at this event (failed), unless it had ended before. */
static void end_failed(claim *c, int was_fin, const cst_event *ev)
{
  if(c->fail <= 0 && !was_fin) {
    c->fail = ev->ts;
    c->done_seq = ev->seq;
  }
}

/* What an event's type is to the lifecycle: the first configured name it
 * equals, in this order (names may be configured alike). */
enum {
  TK_SUB,
  TK_VAL,
  TK_ADJ,
  TK_REJ,
  TK_FAIL,
  TK_CB_OK,
  TK_CB_FAIL,
  TK_OTHER
};

/* The type's kind, compared once per event: the chains of compares it
 * replaces ran up to thirteen strcmp calls (perf: 6% of a full pass). */
static int type_kind(const cstore_conf *cf, const char *type)
{
  const char *const names[] = {cf->t_sub,  cf->t_val,   cf->t_adj,    cf->t_rej,
                               cf->t_fail, cf->t_cb_ok, cf->t_cb_fail};
  int k;
  for(k = 0; k < TK_OTHER; k++)
    if(!strcmp(type, names[k]))
      return k;
  return TK_OTHER;
}

/* The claim's stage at one of the lifecycle's events after submission
 * (kind: its type_kind, TK_VAL to TK_CB_FAIL). */
static void apply_stage_event(const cstore_conf *cf, claim *c, int was_fin,
                              int kind, const char *type, const cst_fields *fl,
                              const cst_event *ev)
{
  double t = ev->ts;
  if(kind == TK_VAL)
    c->val = c->val > 0 ? c->val : t;
  else if(kind == TK_ADJ || kind == TK_REJ) {
    if(c->dec <= 0) {
      const char *d = !strcmp(type, cf->t_rej) ? "rejected" : fl->decision;
      c->dec = t;
      put_cut(c->decision, sizeof(c->decision), d, strlen(d));
    }
  }
  else if(kind == TK_FAIL) {
    c->flags |= CL_FAIL_CLAIM;
    end_failed(c, was_fin, ev);
  }
  else if(kind == TK_CB_OK) {
    if(c->dec <= 0)
      c->flags |= CL_OOO_CB;
    else if(c->del <= 0 && !was_fin) {
      c->del = t;
      c->done_seq = ev->seq;
    }
  }
  else {
    c->cb_fails++;
    if(fl->final) {
      c->flags |= CL_FAIL_CB;
      end_failed(c, was_fin, ev);
    }
  }
}

cst_code cstore_apply(cstore *s, const char *text, size_t len, cst_event *ev)
{
  const cstore_conf *cf = s->conf;
  cst_fields fl;
  const char *type, *id;
  claim *c;
  cst_code rc;
  int kind;
  memset(ev, 0, sizeof(*ev));
  if((rc = apply_read(s, text, len, &fl, ev)) != CST_OK)
    return rc;
  type = fl.type;
  id = fl.id;
  if(fl.id_long || !*id ||
     strncmp(id, cf->id_prefix, strlen(cf->id_prefix)) != 0 || strlen(id) > 256)
    return CST_SKIP;
  c = cstore_get(s, id);
  if(c && forgotten(s, c)) {
    /* past its retention: gone, whether a sweep has run yet or not */
    unlink_claim(s, c);
    c = NULL;
  }
  kind = type_kind(cf, type);
  if(kind == TK_SUB) {
    if(apply_submitted(s, &c, id, &fl, ev) != CST_OK)
      return CST_NOMEM;
  }
  else if(kind != TK_OTHER) {
    int was_fin;
    if(!c && !(c = add(s, id)))
      return CST_NOMEM;
    was_fin = finished(c);
    if(c->sub <= 0)
      c->flags |= CL_OOO_DEC;
    apply_stage_event(cf, c, was_fin, kind, type, &fl, ev);
    if(!was_fin && finished(c))
      s->in_flight--;
  }
  else {
    /* another type: part of the trace, changes nothing else */
    if(c && add_extra(c, type, ev->ts, ev->seq) != 0)
      return CST_NOMEM;
  }
  if(c)
    c->last_seq = ev->seq;
  return CST_OK;
}

void cstore_sweep(cstore *s)
{
  size_t i;
  claim **pp, *c;
  for(i = 0; i < s->nb; i++)
    for(pp = &s->b[i]; (c = *pp);) {
      if(forgotten(s, c)) {
        *pp = c->next;
        claim_free(c);
        s->n--;
      }
      else
        pp = &c->next;
    }
}

/* The state body (cstore_save): a compact binary of native-order fields,
 * written and read by memcpy, so that the fixed cost of an incremental run
 * is not spent printing and scanning decimal doubles:
 *   "CSB1", u32 0x01020304 (byte order), f64 maxts, u32 first_count,
 *   u64 claims, then per claim: u16 id length, u8 decision length, u8 nx,
 *   u32 flags, f64 sub val dec del fail dup_ts, i64 sub_seq done_seq
 *   last_seq, u32 dups cb_fails first_idx, the id, the decision, then nx
 *   times: u8 type length, the type, f64 ts, i64 seq. */
#define CSB_MAGIC "CSB1"
#define CSB_ORDER 0x01020304u
#define CSB_HEAD (4 + 4 + 8 + 4 + 8)
#define CSB_CLAIM (2 + 1 + 1 + 4 + 6 * 8 + 3 * 8 + 3 * 4)

/* Appends n bytes at *p. */
static void put_raw(char **p, const void *v, size_t n)
{
  memcpy(*p, v, n);
  *p += n;
}

int cstore_save(const cstore *s, char **out, size_t *len)
{
  size_t need = CSB_HEAD, i;
  uint64_t nc = 0;
  uint32_t u;
  unsigned k;
  claim *c;
  char *buf, *p;
  for(i = 0; i < s->nb; i++)
    for(c = s->b[i]; c; c = c->next) {
      need += CSB_CLAIM + strlen(c->id) + strlen(c->decision);
      for(k = 0; k < c->nx; k++)
        need += 1 + strlen(c->x[k].type) + 16;
      nc++;
    }
  if(!(buf = malloc(need)))
    return -1;
  p = buf;
  put_raw(&p, CSB_MAGIC, 4);
  u = CSB_ORDER;
  put_raw(&p, &u, 4);
  put_raw(&p, &s->maxts, 8);
  put_raw(&p, &s->first_count, 4);
  put_raw(&p, &nc, 8);
  for(i = 0; i < s->nb; i++)
    for(c = s->b[i]; c; c = c->next) {
      uint16_t il = (uint16_t)strlen(c->id);
      uint8_t dl = (uint8_t)strlen(c->decision), nx = (uint8_t)c->nx;
      uint32_t fl = c->flags;
      double d[6] = {c->sub, c->val, c->dec, c->del, c->fail, c->dup_ts};
      int64_t q[3] = {c->sub_seq, c->done_seq, c->last_seq};
      uint32_t w[3] = {c->dups, c->cb_fails, c->first_idx};
      put_raw(&p, &il, 2);
      put_raw(&p, &dl, 1);
      put_raw(&p, &nx, 1);
      put_raw(&p, &fl, 4);
      put_raw(&p, d, sizeof(d));
      put_raw(&p, q, sizeof(q));
      put_raw(&p, w, sizeof(w));
      put_raw(&p, c->id, il);
      put_raw(&p, c->decision, dl);
      for(k = 0; k < c->nx; k++) {
        uint8_t tl = (uint8_t)strlen(c->x[k].type);
        put_raw(&p, &tl, 1);
        put_raw(&p, c->x[k].type, tl);
        put_raw(&p, &c->x[k].ts, 8);
        put_raw(&p, &c->x[k].seq, 8);
      }
    }
  *out = buf;
  *len = (size_t)(p - buf);
  return 0;
}

/* Takes n bytes from the body into v; -1 when fewer are left. */
static int get_raw(const char **p, const char *e, void *v, size_t n)
{
  if((size_t)(e - *p) < n)
    return -1;
  memcpy(v, *p, n);
  *p += n;
  return 0;
}

/* Finite, non-negative, not absurd: a time or a count read back. */
static int sane(double v)
{
  return v >= 0 && v < 1e13;
}

/* Outcomes of reading one claim back. */
enum { LOAD_OK = 0, LOAD_BAD = -1, LOAD_NOMEM = -2 };

/* The trace of nx other events of c from the body at *p. */
static int load_extras(claim *c, uint8_t nx, const char **p, const char *e)
{
  for(uint8_t k = 0; k < nx; k++) {
    uint8_t tl;
    char type[48];
    double ts;
    int64_t sq;
    unsigned keep = c->flags;
    int rc;
    if(get_raw(p, e, &tl, 1) != 0 || tl >= sizeof(type) ||
       get_raw(p, e, type, tl) != 0 || get_raw(p, e, &ts, 8) != 0 ||
       get_raw(p, e, &sq, 8) != 0)
      return LOAD_BAD;
    type[tl] = 0;
    if(strlen(type) != tl || !sane(ts) || sq < 0)
      return LOAD_BAD;
    c->flags |= CL_PINNED;
    rc = add_extra(c, type, ts, sq);
    c->flags = keep;
    if(rc != 0)
      return LOAD_NOMEM;
  }
  return LOAD_OK;
}

/* One claim (as cstore_save wrote it) from the body at *p into s. */
static int load_claim(cstore *s, const char **p, const char *e)
{
  uint16_t il;
  uint8_t dl, nx;
  uint32_t fl, w[3];
  double d[6];
  int64_t q[3];
  char id[257], dec[16];
  claim *c;
  int j;
  if(get_raw(p, e, &il, 2) != 0 || get_raw(p, e, &dl, 1) != 0 ||
     get_raw(p, e, &nx, 1) != 0 || get_raw(p, e, &fl, 4) != 0 ||
     get_raw(p, e, d, sizeof(d)) != 0 || get_raw(p, e, q, sizeof(q)) != 0 ||
     get_raw(p, e, w, sizeof(w)) != 0 || il < 1 || il > 256 ||
     dl >= sizeof(dec) || nx > CSTORE_MAX_EXTRA || get_raw(p, e, id, il) != 0 ||
     get_raw(p, e, dec, dl) != 0)
    return LOAD_BAD;
  id[il] = 0;
  dec[dl] = 0;
  if(strlen(id) != il || strlen(dec) != dl || q[0] < 0 || q[1] < 0 ||
     q[2] < 0 || cstore_get(s, id))
    return LOAD_BAD;
  for(j = 0; j < 6; j++)
    if(!sane(d[j]))
      return LOAD_BAD;
  if(!(c = add(s, id)))
    return LOAD_NOMEM;
  c->flags = fl & 0x3fu;
  c->sub = d[0];
  c->val = d[1];
  c->dec = d[2];
  c->del = d[3];
  c->fail = d[4];
  c->dup_ts = d[5];
  c->sub_seq = q[0];
  c->done_seq = q[1];
  c->last_seq = q[2];
  c->dups = w[0];
  c->cb_fails = w[1];
  c->first_idx = w[2];
  memcpy(c->decision, dec, (size_t)dl + 1);
  if(finished(c))
    s->in_flight--;
  return load_extras(c, nx, p, e);
}

int cstore_load(cstore *s, const char *text, size_t len, char *why,
                size_t whylen)
{
  const char *p = text, *e = text + len;
  char magic[4];
  uint32_t order, fc;
  uint64_t nc, i;
  double mt;
  if(get_raw(&p, e, magic, 4) != 0 || memcmp(magic, CSB_MAGIC, 4) != 0 ||
     get_raw(&p, e, &order, 4) != 0 || order != CSB_ORDER) {
    snprintf(why, whylen, "not a claims state body (or of another machine)");
    return -1;
  }
  if(get_raw(&p, e, &mt, 8) != 0 || get_raw(&p, e, &fc, 4) != 0 ||
     get_raw(&p, e, &nc, 8) != 0 || !sane(mt) ||
     nc > (uint64_t)(e - p) / CSB_CLAIM) {
    snprintf(why, whylen, "bad claims state header");
    return -1;
  }
  s->maxts = mt;
  s->first_count = fc;
  /* the buckets for all of them at once, rather than doubling as they come */
  while(s->nb < nc)
    if(grow(s) != 0) {
      snprintf(why, whylen, "out of memory");
      return -1;
    }
  for(i = 0; i < nc; i++) {
    int rc = load_claim(s, &p, e);
    if(rc == LOAD_NOMEM) {
      snprintf(why, whylen, "out of memory");
      return -1;
    }
    if(rc != LOAD_OK) {
      snprintf(why, whylen, "claims state: claim %" PRIu64 " is malformed",
               i + 1);
      return -1;
    }
  }
  if(p != e) {
    snprintf(why, whylen, "claims state: %zu bytes past its end",
             (size_t)(e - p));
    return -1;
  }
  return 0;
}
