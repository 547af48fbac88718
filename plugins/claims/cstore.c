/*
 * cstore.c: the claims table, fed by ledger events, saved between runs
 * (see cstore.h for why it looks the way it does).
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/claims/cstore.h"

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

/* Frees one claim. */
static void claim_free(claim *c)
{
  free(c->id);
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
  c = calloc(1, sizeof(*c));
  if(!c)
    return NULL;
  c->id = strdup(id);
  if(!c->id) {
    free(c);
    return NULL;
  }
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

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
  int64_t era;
  unsigned yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned)(y - era * 400);
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

/* n digits at p as a number, or -1. */
static int digits(const char *p, int n)
{
  int v = 0, i;
  for(i = 0; i < n; i++) {
    if(p[i] < '0' || p[i] > '9')
      return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

double cst_parse_ts(const char *s)
{
  int y = digits(s, 4), mo, d, hh, mi, se;
  double frac = 0, scale = 0.1;
  const char *p;
  if(y < 0 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
     s[13] != ':' || s[16] != ':')
    return -1;
  mo = digits(s + 5, 2);
  d = digits(s + 8, 2);
  hh = digits(s + 11, 2);
  mi = digits(s + 14, 2);
  se = digits(s + 17, 2);
  if(mo < 1 || mo > 12 || d < 1 || d > 31 || hh < 0 || hh > 23 || mi < 0 ||
     mi > 59 || se < 0 || se > 60)
    return -1;
  p = s + 19;
  if(*p == '.') {
    p++;
    if(*p < '0' || *p > '9')
      return -1;
    while(*p >= '0' && *p <= '9') {
      frac += (*p - '0') * scale;
      scale /= 10;
      p++;
    }
  }
  if(!((p[0] == 'Z' && !p[1]) || !strcmp(p, "+00:00")))
    return -1;
  return (double)(days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
                  hh * 3600 + mi * 60 + se) +
         frac;
}

/* The string member name of o, or NULL. */
static const char *str_member(const cJSON *o, const char *name)
{
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(x) ? x->valuestring : NULL;
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

/* A string at p without escapes: its body in *s, *n; returns the end, or
 * NULL (an escape, a NUL byte or no end: the slow path reads it). */
static const char *plain_string(const char *p, const char *e, const char **s,
                                size_t *n)
{
  const char *q;
  if(p >= e || *p != '"')
    return NULL;
  p++;
  q = memchr(p, '"', (size_t)(e - p));
  if(!q || memchr(p, '\\', (size_t)(q - p)) || memchr(p, 0, (size_t)(q - p)))
    return NULL;
  *s = p;
  *n = (size_t)(q - p);
  return q + 1;
}

/* Skips a string at p (its opening quote), escapes and all; NULL when it
 * does not end. */
static const char *skip_string(const char *p, const char *e)
{
  const char *s = ++p, *q;
  for(;;) {
    size_t k = 0;
    q = memchr(p, '"', (size_t)(e - p));
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

/* The members by a scan of the top level (and the payload's), for events
 * spelled plainly; 0 when read, -1 when anything is unusual (an escape in
 * a member read, a member twice, a seq not in plain digits, not one
 * object): then cJSON reads it. */
static int fields_fast(const cstore_conf *cf, const char *text, size_t len,
                       cst_fields *f)
{
  const char *p = text, *e = text + len, *k, *v;
  size_t kn, vn;
  unsigned seen = 0;
  memset(f, 0, sizeof(*f));
  p = ws(p, e);
  if(p >= e || *p++ != '{')
    return -1;
  p = ws(p, e);
  if(p < e && *p == '}')
    return -1;
  for(;;) {
    unsigned bit = 0;
    p = ws(p, e);
    if(!(p = plain_string(p, e, &k, &kn)))
      return -1;
    p = ws(p, e);
    if(p >= e || *p++ != ':')
      return -1;
    p = ws(p, e);
#define KEY(lit) (kn == sizeof(lit) - 1 && !memcmp(k, lit, kn))
    if(KEY("seq"))
      bit = 1;
    else if(KEY("ts"))
      bit = 2;
    else if(KEY("type"))
      bit = 4;
    else if(KEY("aggregate_id"))
      bit = 8;
    else if(KEY("hash"))
      bit = 16;
    else if(KEY("payload"))
      bit = 32;
#undef KEY
    if(bit & seen)
      return -1;
    seen |= bit;
    if(bit == 1) {
      int64_t n = 0;
      const char *q = p;
      if(p >= e || *p < '1' || *p > '9')
        return -1;
      while(q < e && *q >= '0' && *q <= '9' && q - p < 16)
        n = n * 10 + (*q++ - '0');
      if(q < e && ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' ||
                   *q == 'E'))
        return -1;
      if(n <= 9000000000000000ll)
        f->seq = n;
      p = q;
    }
    else if(bit && bit != 32 && p < e && *p == '"') {
      if(!(p = plain_string(p, e, &v, &vn)))
        return -1;
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
    }
    else if(bit == 32 && p < e && *p == '{') {
      unsigned pseen = 0;
      p = ws(p + 1, e);
      if(p < e && *p == '}')
        p++;
      else
        for(;;) {
          unsigned pb = 0;
          p = ws(p, e);
          if(!(p = plain_string(p, e, &k, &kn)))
            return -1;
          p = ws(p, e);
          if(p >= e || *p++ != ':')
            return -1;
          p = ws(p, e);
          if(kn == strlen(cf->m_synth) && !memcmp(k, cf->m_synth, kn))
            pb |= 1;
          if(kn == strlen(cf->m_final) && !memcmp(k, cf->m_final, kn))
            pb |= 2;
          if(kn == strlen(cf->m_decision) && !memcmp(k, cf->m_decision, kn))
            pb |= 4;
          if(pb & pseen)
            return -1;
          pseen |= pb;
          if((pb & 4) && p < e && *p == '"') {
            if(!(p = plain_string(p, e, &v, &vn)))
              return -1;
            f->has_decision = 1;
            snprintf(f->decision, sizeof(f->decision), "%.*s", (int)vn, v);
          }
          else {
            const char *q = skip_value(p, e);
            if(!q)
              return -1;
            if((pb & 3) && q - p == 4 && !memcmp(p, "true", 4)) {
              if(pb & 1)
                f->synth = 1;
              if(pb & 2)
                f->final = 1;
            }
            p = q;
          }
          p = ws(p, e);
          if(p < e && *p == ',') {
            p++;
            continue;
          }
          if(p < e && *p == '}') {
            p++;
            break;
          }
          return -1;
        }
    }
    else if(!(p = skip_value(p, e)))
      return -1;
    p = ws(p, e);
    if(p < e && *p == ',') {
      p++;
      continue;
    }
    if(p < e && *p == '}')
      break;
    return -1;
  }
  return 0;
}

int cst_fields_read(const cstore_conf *cf, const char *text, size_t len,
                    cst_fields *f, int fast)
{
  if(fast)
    return fields_fast(cf, text, len, f);
  return fields_cjson(cf, text, len, f);
}

cst_code cstore_apply(cstore *s, const char *text, size_t len, cst_event *ev)
{
  const cstore_conf *cf = s->conf;
  cst_fields fl;
  const char *type, *id;
  claim *c;
  double t;
  memset(ev, 0, sizeof(*ev));
  if(fields_fast(cf, text, len, &fl) != 0 &&
     fields_cjson(cf, text, len, &fl) != 0) {
    snprintf(ev->why, sizeof(ev->why), "not one JSON object");
    return CST_PARSE;
  }
  if(fl.seq < 1) {
    snprintf(ev->why, sizeof(ev->why), "seq missing or not a positive integer");
    return CST_PARSE;
  }
  ev->seq = fl.seq;
  memcpy(ev->hash, fl.hash, sizeof(ev->hash));
  t = fl.has_ts ? cst_parse_ts(fl.ts) : -1;
  if(t < 0 || !fl.has_type || !fl.has_id) {
    snprintf(ev->why, sizeof(ev->why), "%s",
             t < 0 ? "ts missing or not an RFC 3339 UTC time"
                   : !fl.has_type ? "type missing or not a string"
                                  : "aggregate_id missing or not a string");
    return CST_PARSE;
  }
  ev->ts = t;
  if(t > s->maxts)
    s->maxts = t;
  type = fl.type;
  id = fl.id;
  if(fl.id_long || !*id || strncmp(id, cf->id_prefix, strlen(cf->id_prefix)) != 0 ||
     strlen(id) > 256)
    return CST_SKIP;
  c = cstore_get(s, id);
  if(c && forgotten(s, c)) {
    /* past its retention: gone, whether a sweep has run yet or not */
    unlink_claim(s, c);
    c = NULL;
  }
  if(!strcmp(type, cf->t_sub)) {
    if(c && c->sub > 0) {
      c->dups++;
      c->dup_ts = t;
    }
    else {
      if(!c && !(c = add(s, id)))
        return CST_NOMEM;
      c->sub = t;
      c->sub_seq = ev->seq;
      if(fl.synth)
        c->flags |= CL_SYNTH;
      if(cf->first && !(c->flags & CL_SYNTH) && t >= cf->since &&
         s->first_count < cf->first) {
        c->first_idx = ++s->first_count;
        c->flags |= CL_PINNED;
      }
    }
  }
  else if(!strcmp(type, cf->t_val) || !strcmp(type, cf->t_adj) ||
          !strcmp(type, cf->t_rej) || !strcmp(type, cf->t_fail) ||
          !strcmp(type, cf->t_cb_ok) || !strcmp(type, cf->t_cb_fail)) {
    int was_fin;
    if(!c && !(c = add(s, id)))
      return CST_NOMEM;
    was_fin = finished(c);
    if(c->sub <= 0)
      c->flags |= CL_OOO_DEC;
    if(!strcmp(type, cf->t_val))
      c->val = c->val > 0 ? c->val : t;
    else if(!strcmp(type, cf->t_adj) || !strcmp(type, cf->t_rej)) {
      if(c->dec <= 0) {
        c->dec = t;
        snprintf(c->decision, sizeof(c->decision), "%s",
                 !strcmp(type, cf->t_rej) ? "rejected" : fl.decision);
      }
    }
    else if(!strcmp(type, cf->t_fail)) {
      c->flags |= CL_FAIL_CLAIM;
      if(c->fail <= 0 && !was_fin) {
        c->fail = t;
        c->done_seq = ev->seq;
      }
    }
    else if(!strcmp(type, cf->t_cb_ok)) {
      if(c->dec <= 0)
        c->flags |= CL_OOO_CB;
      else if(c->del <= 0 && !was_fin) {
        c->del = t;
        c->done_seq = ev->seq;
      }
    }
    else {
      c->cb_fails++;
      if(fl.final) {
        c->flags |= CL_FAIL_CB;
        if(c->fail <= 0 && !was_fin) {
          c->fail = t;
          c->done_seq = ev->seq;
        }
      }
    }
    if(!was_fin && finished(c))
      s->in_flight--;
  }
  else {
    /* another type: part of the trace, changes nothing else */
    if(c && add_extra(c, type, t, ev->seq) != 0)
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

/* A growing text buffer. */
typedef struct tbuf {
  char *p;
  size_t len, cap;
  int oom;
} tbuf;

/* printf onto a tbuf. */
static void tb_printf(tbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void tb_printf(tbuf *b, const char *fmt, ...)
{
  va_list ap;
  int n;
  if(b->oom)
    return;
  for(;;) {
    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if(n < 0) {
      b->oom = 1;
      return;
    }
    if((size_t)n < b->cap - b->len) {
      b->len += (size_t)n;
      return;
    }
    {
      size_t nc = b->cap * 2 + (size_t)n + 256;
      char *np = realloc(b->p, nc);
      if(!np) {
        b->oom = 1;
        return;
      }
      b->p = np;
      b->cap = nc;
    }
  }
}

/* Writes s escaped as one word: bytes <= ' ', '%', 0x7f and a leading '-'
 * as %XX; "-" for the empty string. */
static void tb_word(tbuf *b, const char *s)
{
  const unsigned char *p = (const unsigned char *)s;
  if(!*p) {
    tb_printf(b, "-");
    return;
  }
  for(; *p; p++)
    if(*p <= ' ' || *p == '%' || *p == 0x7f || *p == '-')
      tb_printf(b, "%%%02X", *p);
    else
      tb_printf(b, "%c", *p);
}

int cstore_save(const cstore *s, char **out, size_t *len)
{
  tbuf b = {NULL, 0, 0, 0};
  size_t i;
  unsigned k;
  claim *c;
  b.cap = 4096 + s->n * 160;
  b.p = malloc(b.cap);
  if(!b.p)
    return -1;
  b.p[0] = 0;
  tb_printf(&b, "m %.17g %" PRIu32 "\n", s->maxts, s->first_count);
  for(i = 0; i < s->nb; i++)
    for(c = s->b[i]; c; c = c->next) {
      tb_printf(&b, "c ");
      tb_word(&b, c->id);
      tb_printf(&b, " %u %.17g %.17g %.17g %.17g %.17g %.17g %" PRId64
                    " %" PRId64 " %" PRId64 " %" PRIu32 " %" PRIu32
                    " %" PRIu32 " ",
                c->flags, c->sub, c->val, c->dec, c->del, c->fail, c->dup_ts,
                c->sub_seq, c->done_seq, c->last_seq, c->dups, c->cb_fails,
                c->first_idx);
      tb_word(&b, c->decision);
      tb_printf(&b, "\n");
      for(k = 0; k < c->nx; k++) {
        tb_printf(&b, "x ");
        tb_word(&b, c->x[k].type);
        tb_printf(&b, " %.17g %" PRId64 "\n", c->x[k].ts, c->x[k].seq);
      }
    }
  if(b.oom) {
    free(b.p);
    return -1;
  }
  *out = b.p;
  *len = b.len;
  return 0;
}

/* Decodes one escaped word in place; -1 when an escape is malformed. */
static int unword(char *w)
{
  char *o = w;
  if(!strcmp(w, "-")) {
    *w = 0;
    return 0;
  }
  while(*w) {
    if(*w == '%') {
      int hi, lo;
      hi = w[1] >= '0' && w[1] <= '9' ? w[1] - '0'
           : w[1] >= 'A' && w[1] <= 'F' ? w[1] - 'A' + 10 : -1;
      lo = hi < 0 ? -1
           : w[2] >= '0' && w[2] <= '9' ? w[2] - '0'
           : w[2] >= 'A' && w[2] <= 'F' ? w[2] - 'A' + 10 : -1;
      if(lo < 0 || (hi == 0 && lo == 0))
        return -1;
      *o++ = (char)(hi * 16 + lo);
      w += 3;
    }
    else
      *o++ = *w++;
  }
  *o = 0;
  return 0;
}

/* Finite, non-negative, not absurd: a time or a count read back. */
static int sane(double v)
{
  return v >= 0 && v < 1e13;
}

int cstore_load(cstore *s, const char *text, size_t len, char *why,
                size_t whylen)
{
  char *buf = malloc(len + 1), *line, *nl;
  claim *last = NULL;
  size_t lineno = 0;
  if(!buf) {
    snprintf(why, whylen, "out of memory");
    return -1;
  }
  memcpy(buf, text, len);
  buf[len] = 0;
  for(line = buf; *line; line = nl) {
    char w1[600], w2[64];
    nl = strchr(line, '\n');
    if(!nl) {
      snprintf(why, whylen, "line %zu has no end", lineno + 1);
      goto bad;
    }
    *nl++ = 0;
    lineno++;
    if(line[0] == 'm' && line[1] == ' ') {
      double mt;
      unsigned fc;
      if(sscanf(line + 2, "%lf %u", &mt, &fc) != 2 || !sane(mt)) {
        snprintf(why, whylen, "line %zu: bad m line", lineno);
        goto bad;
      }
      s->maxts = mt;
      s->first_count = fc;
    }
    else if(line[0] == 'c' && line[1] == ' ') {
      claim c;
      double sub, val, dec, del, fail, dup;
      int64_t a, b2, d;
      unsigned fl, dups, cbf, fi;
      int n = 0;
      claim *nc;
      memset(&c, 0, sizeof(c));
      if(strlen(line) > 2000 ||
         sscanf(line + 2,
                "%599s %u %lf %lf %lf %lf %lf %lf %" SCNd64 " %" SCNd64
                " %" SCNd64 " %u %u %u %63s%n",
                w1, &fl, &sub, &val, &dec, &del, &fail, &dup, &a, &b2, &d,
                &dups, &cbf, &fi, w2, &n) != 15 ||
         line[2 + n] != 0 || unword(w1) != 0 || unword(w2) != 0 || !*w1 ||
         !sane(sub) || !sane(val) || !sane(dec) || !sane(del) ||
         !sane(fail) || !sane(dup) || a < 0 || b2 < 0 || d < 0 ||
         strlen(w2) >= sizeof(c.decision) || cstore_get(s, w1)) {
        snprintf(why, whylen, "line %zu: bad claim line", lineno);
        goto bad;
      }
      nc = add(s, w1);
      if(!nc) {
        snprintf(why, whylen, "out of memory");
        goto bad;
      }
      nc->flags = fl & 0x3fu;
      nc->sub = sub;
      nc->val = val;
      nc->dec = dec;
      nc->del = del;
      nc->fail = fail;
      nc->dup_ts = dup;
      nc->sub_seq = a;
      nc->done_seq = b2;
      nc->last_seq = d;
      nc->dups = dups;
      nc->cb_fails = cbf;
      nc->first_idx = fi;
      memcpy(nc->decision, w2, strlen(w2) + 1); /* checked shorter above */
      if(finished(nc))
        s->in_flight--;
      last = nc;
    }
    else if(line[0] == 'x' && line[1] == ' ' && last) {
      double ts;
      int64_t sq;
      int n = 0;
      if(sscanf(line + 2, "%47s %lf %" SCNd64 "%n", w1, &ts, &sq, &n) != 3 ||
         line[2 + n] != 0 || unword(w1) != 0 || !sane(ts) || sq < 0) {
        snprintf(why, whylen, "line %zu: bad x line", lineno);
        goto bad;
      }
      {
        unsigned keep = last->flags;
        last->flags |= CL_PINNED;
        if(add_extra(last, w1, ts, sq) != 0) {
          snprintf(why, whylen, "out of memory");
          goto bad;
        }
        last->flags = keep;
      }
    }
    else {
      snprintf(why, whylen, "line %zu: not a state line", lineno);
      goto bad;
    }
  }
  free(buf);
  return 0;
bad:
  free(buf);
  return -1;
}
