/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jcs.c: RFC 8785 canonicalization in one pass (see jcs.h).
 *
 * How it works: a recursive-descent parser writes canonical text straight
 * into j->out as it reads. Every object member ("name":value) is written
 * where it comes and its span recorded on a stack of member records; at the
 * object's closing brace the records are checked for order (UTF-16 code
 * units) and duplicates, and only when they are out of order (or a member
 * must be omitted) is the object's body rewritten in sorted order through
 * one scratch copy. An object of 2 to 8 members with plain ASCII names
 * (a ledger event, its payload) is ordered by a sorting network over the
 * names' first 7 bytes, without the branch per step that insertion sort
 * mispredicts on shuffled members. No per-value allocation: the output,
 * the member stack and the scratch buffers are reused from call to call.
 *
 * Numbers: a number with at most 15 significant digits inside the normal
 * double range is printed from its own digits (by DBL_DIG, such a decimal
 * is the unique shortest one that round-trips to its double, which is what
 * ECMAScript prints). Any other goes through strtod and the shortest of
 * %.15e/%.16e/%.17e that round-trips (all precisions for subnormals), then
 * ECMAScript's layout rules (plain up to 1e21, exponent below 1e-6).
 *
 * Fast path (crypto_jcs_set_path): ledger lines are nearly always canonical
 * token by token, members aside, so a first pass copies the line whole and
 * only checks it (string ends found with 16-byte SSE2 or 8-byte SWAR
 * loads, escapes and numbers checked to be in canonical spelling, UTF-8
 * validated), then sorts objects in place with the same finish_object.
 * Anything it would have to respell, and every error, makes it give up;
 * the full parser then runs over the line from the start, so results and
 * errors are the full parser's by construction. tests/unit/crypto-jcs.c
 * and tests/fuzz/fuzz-jcs-diff.c compare the two.
 *
 * Shape replay, first within the fast path: a line whose member names and
 * nesting are those of a recent line (in any order) is checked against
 * that line's recorded shape and written in its recorded sorted order,
 * without scanning names or sorting (see "shape replay" below).
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/jcs.h"

#ifdef __GNUC__
#define JCS_INLINE inline __attribute__((always_inline))
#else
#define JCS_INLINE inline
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#define JCS_X86 1
#include <immintrin.h>
#endif

/* One object member written to the output: its whole "name":value span
 * (the name's bytes, in canonical escaped spelling, start after the quote
 * at start + 1). */
typedef struct member {
  size_t start, len;
  size_t name_len;
  uint64_t key; /* first 8 name bytes, big-endian, zero padded, when
                   `quick`: a plain-ASCII, escape-free prefix */
  int esc;      /* the name's canonical spelling holds a backslash escape */
  int quick;
} member;

/* Shape replay (see "shape replay" below): the bounds of the templates one
 * canonicalizer keeps, and of one line's shape. */
#define JCS_SHAPE_OBJS 64  /* object templates kept */
#define JCS_SHAPE_MEMS 256 /* their members */
#define JCS_LINE_OBJS 16   /* objects of one line, outside arrays */
#define JCS_LINE_MEMS 64   /* their members */
#define JCS_SHAPE_WIDTH 16 /* members of one object */
#define JCS_SHAPE_NAME 32  /* bytes of one `"name":` */
#define JCS_SHAPE_SLOTS 32 /* look-up slots of one template */

/* One member of a template: its `"name":` bytes as written. */
typedef struct shape_member {
  _Alignas(16) unsigned char name[JCS_SHAPE_NAME]; /* zero padded */
  uint64_t key;                                    /* as member.key */
  unsigned char len;                               /* bytes of name used */
  unsigned char next;   /* 1 + the next member in its look-up chain, or 0 */
  unsigned char is_obj; /* its value is an object */
  short child;          /* then the first of the templates it may have, or -1 */
} shape_member;

/* One object template: members mem[first..first+n), in sorted order, found
 * by the three bytes after a name's opening quote: slot[shape_slot(...)]
 * is 1 + the first member of that slot's chain, or 0. alt is the next
 * template for the same place (another payload for another event type),
 * or -1. */
typedef struct shape_object {
  unsigned short first;
  unsigned char n;
  /* hints are tried while they come true: this rises by 2 on each wrong
   * one and falls by 1 on each right one, and past 16 they are skipped (a
   * writer that shuffles would make each a mispredicted branch) */
  unsigned char missed;
  short alt;
  unsigned char slot[JCS_SHAPE_SLOTS];
  /* 1 + the member found at each place in the last line replayed: a
   * writer that keeps one order needs no look-up */
  unsigned char hint[JCS_SHAPE_WIDTH];
} shape_object;

/* One line's shape while it is recorded: objects and members as in the
 * library, each member's child the one object its value is. */
typedef struct line_shape {
  unsigned nobj, nmem;
  shape_object obj[JCS_LINE_OBJS];
  shape_member mem[JCS_LINE_MEMS];
} line_shape;

/* The templates, allocated when the first line is recorded: root is the
 * first template for a top-level object. For the line being replayed:
 * where each member's text starts and ends, and for a member holding an
 * object the template that object matched (a template serves one place,
 * and so at most once a line). */
typedef struct jcs_shapes {
  unsigned nobj, nmem;
  unsigned gen; /* rises each time the templates are forgotten */
  short root;
  shape_object obj[JCS_SHAPE_OBJS];
  shape_member mem[JCS_SHAPE_MEMS];
  const unsigned char *span[JCS_SHAPE_MEMS], *span_end[JCS_SHAPE_MEMS];
  short chosen[JCS_SHAPE_MEMS];
  line_shape rec; /* scratch for recording */
} jcs_shapes;

struct crypto_jcs {
  char *out;
  size_t len, cap;
  member *mem; /* member stack, all open objects */
  size_t nmem, capmem;
  member *msort; /* merge-sort scratch */
  size_t capmsort;
  char *tmp; /* body copy while reordering */
  size_t captmp;
  char *num; /* NUL-terminated number text for strtod */
  size_t capnum;
  member *top; /* top-level members, final positions */
  size_t ntop, captop;
  int top_is_object;
  char *omitted;
  size_t omitted_len, capomitted;
  int has_omitted;
  const char *omit;
  size_t omit_len;
  uint64_t omit_key; /* sort key of omit's first 8 bytes (see member) */
  /* parse state */
  const unsigned char *p, *end, *in;
  int depth;
  crypto_jcs_code err;
  /* fast path: which scanner (FULL: none), the input byte out[0]
   * copies, whether the last call took it */
  crypto_jcs_path path;
  const unsigned char *fb;
  int last_fast;
  /* shape replay: the templates, lines to wait before the next recording
   * after a failed one (and how long the wait was), misses in a row and
   * lines to go without replay after too many */
  jcs_shapes *shapes;
  unsigned record_wait, record_backoff;
  unsigned miss_streak, replay_wait;
  int shapes_on, last_shaped;
  /* the last line replayed: its top-level template, and which of its
   * members was omitted (-1: none) */
  short top_tpl, top_omit;
  /* crypto_jcs_find_members: for the name set fm_id on a line replayed
   * with template fm_tpl (omitting fm_omit, templates of generation
   * fm_gen), the top-level record of each name, or 0xFF */
  uint64_t fm_id;
  short fm_tpl, fm_omit;
  unsigned fm_gen;
  unsigned char fm_at[CRYPTO_JCS_NAMES_MAX];
};

struct crypto_jcs_names {
  uint64_t id; /* one per set made in this process: a set freed and
                  another made at its address are not confused */
  size_t n;
  size_t lens[CRYPTO_JCS_NAMES_MAX];
  char *names[CRYPTO_JCS_NAMES_MAX];
};

/* Grows a buffer to hold at least need elements of size sz. */
static int grow(void **buf, size_t *cap, size_t need, size_t sz)
{
  size_t n;
  void *b;
  if(need <= *cap)
    return 0;
  n = *cap ? *cap : 64;
  while(n < need)
    n *= 2;
  b = realloc(*buf, n * sz);
  if(!b)
    return -1;
  *buf = b;
  *cap = n;
  return 0;
}

/* Grows the member stack to hold at least need records and 8 more: the
 * sorting network reads (and may rewrite) 8 records from an object's
 * first, its own or not. New records are zeroed, so that what it reads is
 * always defined. */
static int grow_members(crypto_jcs *j, size_t need)
{
  size_t old = j->capmem;
  if(grow((void **)&j->mem, &j->capmem, need + 8, sizeof(member)) != 0)
    return -1;
  if(j->capmem > old)
    memset(j->mem + old, 0, (j->capmem - old) * sizeof(member));
  return 0;
}

/* Makes room for `extra` more output bytes. */
static inline int reserve(crypto_jcs *j, size_t extra)
{
  if(j->cap - j->len >= extra)
    return 0;
  return grow((void **)&j->out, &j->cap, j->len + extra, 1);
}

/* Records an error at the current position; returns -1. */
static int fail(crypto_jcs *j, crypto_jcs_code c)
{
  j->err = c;
  return -1;
}

/* Keeps the value of the omitted member (its text after `"name":`), which
 * the caller compares with the recomputed hash. */
static int keep_omitted(crypto_jcs *j, const char *member_text,
                        const member *mb)
{
  size_t vo = mb->name_len + 3; /* "name": */
  if(grow((void **)&j->omitted, &j->capomitted, mb->len - vo, 1) != 0)
    return -1;
  memcpy(j->omitted, member_text + vo, mb->len - vo);
  j->omitted_len = mb->len - vo;
  j->has_omitted = 1;
  return 0;
}

crypto_jcs *crypto_jcs_new(void)
{
  crypto_jcs *j = calloc(1, sizeof(crypto_jcs));
  const char *env = getenv("PROBE_JCS_PATH");
  crypto_jcs_path p = CRYPTO_JCS_PATH_AUTO;
  if(!j)
    return NULL;
  if(env && strcmp(env, "full") == 0)
    p = CRYPTO_JCS_PATH_FULL;
  else if(env && strcmp(env, "swar") == 0)
    p = CRYPTO_JCS_PATH_SWAR;
  else if(env && strcmp(env, "sse2") == 0)
    p = CRYPTO_JCS_PATH_SSE2;
  else if(env && strcmp(env, "avx2") == 0)
    p = CRYPTO_JCS_PATH_AVX2;
  if(crypto_jcs_set_path(j, p) != 0)
    crypto_jcs_set_path(j, CRYPTO_JCS_PATH_AUTO);
  env = getenv("PROBE_JCS_SHAPES");
  j->shapes_on = !(env && strcmp(env, "0") == 0);
  return j;
}

void crypto_jcs_free(crypto_jcs *j)
{
  if(!j)
    return;
  free(j->out);
  free(j->mem);
  free(j->msort);
  free(j->tmp);
  free(j->num);
  free(j->top);
  free(j->omitted);
  free(j->shapes);
  free(j);
}

const char *crypto_jcs_strerror(crypto_jcs_code c)
{
  switch(c) {
  case CRYPTO_JCS_OK: return "ok";
  case CRYPTO_JCS_ERR_SYNTAX: return "not valid JSON";
  case CRYPTO_JCS_ERR_DUPLICATE: return "duplicate member name";
  case CRYPTO_JCS_ERR_UTF8: return "invalid UTF-8";
  case CRYPTO_JCS_ERR_SURROGATE: return "lone surrogate escape";
  case CRYPTO_JCS_ERR_NUMBER: return "number out of range";
  case CRYPTO_JCS_ERR_DEPTH: return "nested too deep";
  case CRYPTO_JCS_ERR_NOMEM: return "out of memory";
  }
  return "unknown error";
}

static inline void skip_ws(crypto_jcs *j)
{
  const unsigned char *p = j->p, *e = j->end;
  while(p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
    p++;
  j->p = p;
}

/* --- numbers ------------------------------------------------------------ */

/* Lays out k significant digits dig (no leading/trailing zeros) of a value
 * 0.dig x 10^n the ECMAScript way. Returns the length written. */
static int layout_es(char *o, int neg, const char *dig, int k, int n)
{
  char *s = o;
  int i;
  if(neg)
    *o++ = '-';
  if(k <= n && n <= 21) {
    memcpy(o, dig, (size_t)k);
    o += k;
    for(i = k; i < n; i++)
      *o++ = '0';
  }
  else if(0 < n && n <= 21) {
    memcpy(o, dig, (size_t)n);
    o += n;
    *o++ = '.';
    memcpy(o, dig + n, (size_t)(k - n));
    o += k - n;
  }
  else if(-6 < n && n <= 0) {
    *o++ = '0';
    *o++ = '.';
    for(i = 0; i < -n; i++)
      *o++ = '0';
    memcpy(o, dig, (size_t)k);
    o += k;
  }
  else {
    int e = n - 1;
    char eb[8];
    int el = 0;
    *o++ = dig[0];
    if(k > 1) {
      *o++ = '.';
      memcpy(o, dig + 1, (size_t)(k - 1));
      o += k - 1;
    }
    *o++ = 'e';
    *o++ = e < 0 ? '-' : '+';
    if(e < 0)
      e = -e;
    do {
      eb[el++] = (char)('0' + e % 10);
      e /= 10;
    } while(e);
    while(el)
      *o++ = eb[--el];
  }
  return (int)(o - s);
}

int crypto_jcs_format_double(double d, char *out)
{
  char buf[40], dig[20];
  int prec, k = 0, n, neg = 0;
  double a;
  const char *s;
  if(isnan(d) || isinf(d))
    return -1;
  if(d == 0) {
    out[0] = '0';
    return 1;
  }
  if(d < 0) {
    neg = 1;
    a = -d;
  }
  else
    a = d;
  /* Shortest correctly rounded digits that round-trip. For normal doubles
   * 15 digits suffice unless 16 or 17 are needed (DBL_DIG); subnormals
   * have fewer bits, so try every precision there. */
  for(prec = a < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
    snprintf(buf, sizeof(buf), "%.*e", prec - 1, a);
    if(strtod(buf, NULL) == a)
      break;
  }
  /* buf: d[.ddd]e[+-]xx */
  s = buf;
  dig[k++] = *s++;
  if(*s == '.') {
    s++;
    while(*s >= '0' && *s <= '9')
      dig[k++] = *s++;
  }
  n = atoi(s + 1) + 1;
  while(k > 1 && dig[k - 1] == '0')
    k--;
  return layout_es(out, neg, dig, k, n);
}

/* Parses a JSON number at j->p and writes its canonical spelling. */
static int parse_number(crypto_jcs *j)
{
  const unsigned char *p = j->p, *e = j->end, *tok = p;
  const unsigned char *ip, *ie, *fp = NULL, *fe = NULL;
  int neg = 0, expo = 0, eneg = 0;
  char dig[20];
  int k = 0, lastnz = 0, seen = 0, n, toolong = 0;
  long pos = 0, firstpos = 0;
  const unsigned char *q;

  if(*p == '-') {
    neg = 1;
    p++;
  }
  ip = p;
  if(p < e && *p == '0')
    p++;
  else if(p < e && *p >= '1' && *p <= '9') {
    while(p < e && *p >= '0' && *p <= '9')
      p++;
  }
  else
    return fail(j, CRYPTO_JCS_ERR_SYNTAX);
  ie = p;
  if(p < e && *p == '.') {
    p++;
    fp = p;
    while(p < e && *p >= '0' && *p <= '9')
      p++;
    if(p == fp) {
      j->p = p;
      return fail(j, CRYPTO_JCS_ERR_SYNTAX);
    }
    fe = p;
  }
  if(p < e && (*p == 'e' || *p == 'E')) {
    const unsigned char *ds;
    p++;
    if(p < e && (*p == '+' || *p == '-')) {
      eneg = *p == '-';
      p++;
    }
    ds = p;
    while(p < e && *p >= '0' && *p <= '9') {
      if(expo < 100000)
        expo = expo * 10 + (*p - '0');
      p++;
    }
    if(p == ds) {
      j->p = p;
      return fail(j, CRYPTO_JCS_ERR_SYNTAX);
    }
    if(eneg)
      expo = -expo;
  }
  j->p = p;
  if(reserve(j, 40) != 0)
    return fail(j, CRYPTO_JCS_ERR_NOMEM);

  /* Significant digits: position counts digits from the start of the
   * integer part; the point sits after (ie - ip) digits. */
  for(q = ip;; q++) {
    if(q == ie) {
      if(!fp)
        break;
      q = fp;
    }
    if(q == fe)
      break;
    if(*q != '0' || seen) {
      if(!seen) {
        seen = 1;
        firstpos = pos;
      }
      if(k < 16)
        dig[k] = (char)*q;
      else if(*q != '0')
        toolong = 1;
      if(*q != '0')
        lastnz = k + 1;
      k++;
    }
    pos++;
  }
  if(!seen) { /* zero, any spelling, also -0 */
    j->out[j->len++] = '0';
    return 0;
  }
  /* value = 0.dig x 10^n */
  n = (int)((ie - ip) - firstpos) + expo;
  k = lastnz;
  if(!toolong && k <= 15 && n > -290 && n < 290) {
    j->len += (size_t)layout_es(j->out + j->len, neg, dig, k, n);
    return 0;
  }
  else {
    size_t tl = (size_t)(p - tok);
    double d;
    int w;
    if(grow((void **)&j->num, &j->capnum, tl + 1, 1) != 0)
      return fail(j, CRYPTO_JCS_ERR_NOMEM);
    memcpy(j->num, tok, tl);
    j->num[tl] = 0;
    d = strtod(j->num, NULL);
    w = crypto_jcs_format_double(d, j->out + j->len);
    if(w < 0) {
      j->p = tok;
      return fail(j, CRYPTO_JCS_ERR_NUMBER);
    }
    j->len += (size_t)w;
  }
  return 0;
}

/* --- strings ------------------------------------------------------------ */

static const char hexdig[] = "0123456789abcdef";

/* Writes code point cp (already validated) in canonical form; sets *esc when
 * an escape was written. o must have room for 6 bytes. */
static inline char *put_cp(char *o, unsigned cp, int *esc)
{
  if(cp < 0x20 || cp == '"' || cp == '\\') {
    *esc = 1;
    *o++ = '\\';
    switch(cp) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '\b': *o++ = 'b'; break;
    case '\t': *o++ = 't'; break;
    case '\n': *o++ = 'n'; break;
    case '\f': *o++ = 'f'; break;
    case '\r': *o++ = 'r'; break;
    default:
      *o++ = 'u';
      *o++ = '0';
      *o++ = '0';
      *o++ = hexdig[cp >> 4];
      *o++ = hexdig[cp & 15];
    }
  }
  else if(cp < 0x80)
    *o++ = (char)cp;
  else if(cp < 0x800) {
    *o++ = (char)(0xC0 | (cp >> 6));
    *o++ = (char)(0x80 | (cp & 0x3F));
  }
  else if(cp < 0x10000) {
    *o++ = (char)(0xE0 | (cp >> 12));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  }
  else {
    *o++ = (char)(0xF0 | (cp >> 18));
    *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  }
  return o;
}

/* Four hex digits at p (p+4 <= e checked by the caller); -1 if not hex. */
static inline int hex4(const unsigned char *p)
{
  int v = 0, i;
  for(i = 0; i < 4; i++) {
    unsigned c = p[i];
    v <<= 4;
    if(c >= '0' && c <= '9')
      v |= (int)(c - '0');
    else if((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
      v |= (int)((c | 0x20) - 'a' + 10);
    else
      return -1;
  }
  return v;
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0. */
static inline int utf8_len(const unsigned char *p, const unsigned char *e)
{
  unsigned c = p[0];
  size_t left = (size_t)(e - p);
#define CONT(x) (((x)&0xC0) == 0x80)
  if(c >= 0xC2 && c <= 0xDF)
    return left >= 2 && CONT(p[1]) ? 2 : 0;
  if(c >= 0xE0 && c <= 0xEF) {
    unsigned lo = 0x80, hi = 0xBF;
    if(c == 0xE0)
      lo = 0xA0;
    else if(c == 0xED)
      hi = 0x9F; /* no encoded surrogates */
    return left >= 3 && p[1] >= lo && p[1] <= hi && CONT(p[2]) ? 3 : 0;
  }
  if(c >= 0xF0 && c <= 0xF4) {
    unsigned lo = 0x80, hi = 0xBF;
    if(c == 0xF0)
      lo = 0x90;
    else if(c == 0xF4)
      hi = 0x8F;
    return left >= 4 && p[1] >= lo && p[1] <= hi && CONT(p[2]) && CONT(p[3])
               ? 4
               : 0;
  }
#undef CONT
  return 0;
}

/* High bit set in each byte of x that is < 0x20, '"', '\\' or >= 0x80 (a
 * byte that ends a plain ASCII run). x - 0x20 sets a byte's high bit when
 * it is < 0x20 (bytes >= 0x80 are caught by | x); a byte equal to '"' or
 * '\\' makes q or b zero there, and zero - 1 sets the high bit. A borrow
 * only spreads upwards from a byte that is itself flagged, so the lowest
 * flagged byte is exact (higher ones may be spurious). */
static inline uint64_t special8(uint64_t x)
{
  const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
  uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
  return ((x - ones * 0x20) | (q - ones) | (b - ones) | x) & high;
}

/* The sort key (see member) of a plain ASCII name of n bytes: lookups
 * compare it before the bytes. */
static uint64_t name_key8(const char *name, size_t n)
{
  uint64_t k = 0;
  size_t i;
  for(i = 0; i < n && i < 8; i++)
    k = k << 8 | (unsigned char)name[i];
  return i ? k << (8 * (8 - i)) : 0;
}

/* Fills a member's sort key from its canonical name in j->out (both
 * paths use it, so their member records compare alike). */
static inline void name_key(const crypto_jcs *j, member *m)
{
  uint64_t k = 0;
  size_t i, n = m->name_len < 8 ? m->name_len : 8;
  m->quick = !m->esc;
  for(i = 0; i < n; i++) {
    unsigned char c = (unsigned char)j->out[m->start + 1 + i];
    k = k << 8 | c;
    if(c >= 0x80)
      m->quick = 0;
  }
  m->key = n ? k << (8 * (8 - n)) : 0;
}

/* Parses a string at j->p (at the opening quote) and writes it
 * canonically. m, when given, receives the name's span and escape flag. */
static int parse_string(crypto_jcs *j, member *m)
{
  const unsigned char *p = j->p + 1, *e = j->end;
  char *o;
  int esc = 0;
  if(reserve(j, (size_t)(e - p) + 2) != 0)
    return fail(j, CRYPTO_JCS_ERR_NOMEM);
  o = j->out + j->len;
  *o++ = '"';
  for(;;) {
    unsigned c;
    /* 8 bytes at a time: copy them all (the output has room: it never
     * outgrows the input left), then advance to the first special byte */
    while(e - p >= 8) {
      uint64_t x, t;
      memcpy(&x, p, 8);
      memcpy(o, &x, 8);
      t = special8(x);
      if(!t) {
        o += 8;
        p += 8;
        continue;
      }
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      {
        int k = __builtin_ctzll(t) >> 3;
        o += k;
        p += k;
      }
#endif
      break;
    }
    while(p < e && (c = *p) >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      *o++ = (char)c;
      p++;
    }
    if(p >= e) {
      j->p = p;
      return fail(j, CRYPTO_JCS_ERR_SYNTAX);
    }
    c = *p;
    if(c == '"')
      break;
    if(c < 0x20) {
      j->p = p;
      return fail(j, CRYPTO_JCS_ERR_SYNTAX);
    }
    if(c == '\\') {
      unsigned cp;
      if(e - p < 2) {
        j->p = p;
        return fail(j, CRYPTO_JCS_ERR_SYNTAX);
      }
      switch(p[1]) {
      case '"': cp = '"'; break;
      case '\\': cp = '\\'; break;
      case '/': cp = '/'; break;
      case 'b': cp = '\b'; break;
      case 'f': cp = '\f'; break;
      case 'n': cp = '\n'; break;
      case 'r': cp = '\r'; break;
      case 't': cp = '\t'; break;
      case 'u': {
        int v;
        if(e - p < 6 || (v = hex4(p + 2)) < 0) {
          j->p = p;
          return fail(j, CRYPTO_JCS_ERR_SYNTAX);
        }
        cp = (unsigned)v;
        if(cp >= 0xDC00 && cp <= 0xDFFF) {
          j->p = p;
          return fail(j, CRYPTO_JCS_ERR_SURROGATE);
        }
        if(cp >= 0xD800 && cp <= 0xDBFF) {
          int lo;
          if(e - p < 12 || p[6] != '\\' || p[7] != 'u' ||
             (lo = hex4(p + 8)) < 0x0) {
            j->p = p;
            return fail(j, e - p >= 12 && p[6] == '\\' && p[7] == 'u' &&
                                   hex4(p + 8) < 0
                               ? CRYPTO_JCS_ERR_SYNTAX
                               : CRYPTO_JCS_ERR_SURROGATE);
          }
          if(lo < 0xDC00 || lo > 0xDFFF) {
            j->p = p;
            return fail(j, CRYPTO_JCS_ERR_SURROGATE);
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
          p += 6;
        }
        p += 4;
        break;
      }
      default: j->p = p; return fail(j, CRYPTO_JCS_ERR_SYNTAX);
      }
      p += 2;
      o = put_cp(o, cp, &esc);
      continue;
    }
    /* c >= 0x80: one whole UTF-8 sequence, copied as is */
    {
      int n = utf8_len(p, e);
      if(!n) {
        j->p = p;
        return fail(j, CRYPTO_JCS_ERR_UTF8);
      }
      memcpy(o, p, (size_t)n);
      o += n;
      p += n;
    }
  }
  if(m) {
    m->name_len = (size_t)(o - j->out) - (m->start + 1);
    m->esc = esc;
    name_key(j, m);
  }
  *o++ = '"';
  j->len = (size_t)(o - j->out);
  j->p = p + 1;
  return 0;
}

/* --- member ordering ------------------------------------------------------ */

/* Next UTF-16 code unit of a canonical (escaped) name at *s, with a pending
 * low surrogate in *pend. */
static unsigned next_unit(const unsigned char **s, unsigned *pend)
{
  const unsigned char *p = *s;
  unsigned cp;
  if(*pend) {
    cp = *pend;
    *pend = 0;
    return cp;
  }
  if(p[0] == '\\') {
    switch(p[1]) {
    case 'b': cp = '\b'; break;
    case 't': cp = '\t'; break;
    case 'n': cp = '\n'; break;
    case 'f': cp = '\f'; break;
    case 'r': cp = '\r'; break;
    case 'u':
      cp = (unsigned)hex4(p + 2);
      *s = p + 6;
      return cp;
    default: cp = p[1]; break;
    }
    *s = p + 2;
    return cp;
  }
  if(p[0] < 0x80) {
    *s = p + 1;
    return p[0];
  }
  if(p[0] < 0xE0) {
    cp = ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
    *s = p + 2;
    return cp;
  }
  if(p[0] < 0xF0) {
    cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    *s = p + 3;
    return cp;
  }
  cp = ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) |
       (p[3] & 0x3Fu);
  *s = p + 4;
  cp -= 0x10000;
  *pend = 0xDC00 + (cp & 0x3FF);
  return 0xD800 + (cp >> 10);
}

/* Compares two member names by UTF-16 code units: <0, 0, >0. */
static int cmp_names(const char *base, const member *a, const member *b)
{
  const unsigned char *x = (const unsigned char *)base + a->start + 1;
  const unsigned char *y = (const unsigned char *)base + b->start + 1;
  size_t n = a->name_len < b->name_len ? a->name_len : b->name_len, i = 0;
  /* the common case: plain ASCII names that differ in their first 8 bytes
   * (or are no longer than 8) compare as two integers */
  if(a->quick & b->quick) {
    if(a->key != b->key)
      return a->key < b->key ? -1 : 1;
    if(n <= 8 && (a->name_len <= 8 || b->name_len <= 8))
      return (a->name_len > b->name_len) - (a->name_len < b->name_len);
    i = 8;
  }
  if(!a->esc && !b->esc) {
    unsigned cx, cy;
    while(i < n && x[i] == y[i])
      i++;
    if(i == n)
      return (a->name_len > b->name_len) - (a->name_len < b->name_len);
    cx = x[i];
    cy = y[i];
    /* UTF-8 byte order is code point order; UTF-16 differs only where a
     * supplementary character (surrogates D800-DFFF) meets U+E000-U+FFFF */
    if(cx >= 0xF0 && (cy == 0xEE || cy == 0xEF))
      return -1;
    if(cy >= 0xF0 && (cx == 0xEE || cx == 0xEF))
      return 1;
    return cx < cy ? -1 : 1;
  }
  else {
    const unsigned char *xe = x + a->name_len, *ye = y + b->name_len;
    unsigned px = 0, py = 0;
    while((x < xe || px) && (y < ye || py)) {
      unsigned ux = next_unit(&x, &px), uy = next_unit(&y, &py);
      if(ux != uy)
        return ux < uy ? -1 : 1;
    }
    return ((x < xe || px) ? 1 : 0) - ((y < ye || py) ? 1 : 0);
  }
}

/* cmp_names with its commonest case (plain names that differ in their
 * first 8 bytes) inline. */
static inline int cmp_quick(const char *base, const member *a, const member *b)
{
  if((a->quick & b->quick) && a->key != b->key)
    return a->key < b->key ? -1 : 1;
  return cmp_names(base, a, b);
}

/* Stable merge sort of m[0..n) by name, using scratch t. */
static void sort_members(const char *base, member *m, member *t, size_t n)
{
  size_t w, i;
  if(n < 2)
    return;
  if(n <= 16) { /* insertion sort */
    for(i = 1; i < n; i++) {
      member v = m[i];
      size_t k = i;
      while(k > 0 && cmp_names(base, &m[k - 1], &v) > 0) {
        m[k] = m[k - 1];
        k--;
      }
      m[k] = v;
    }
    return;
  }
  for(w = 1; w < n; w *= 2) {
    for(i = 0; i < n; i += 2 * w) {
      size_t a = i, am = i + w < n ? i + w : n, b = am,
             bm = i + 2 * w < n ? i + 2 * w : n, k = i;
      while(a < am && b < bm)
        t[k++] = cmp_names(base, &m[b], &m[a]) < 0 ? m[b++] : m[a++];
      while(a < am)
        t[k++] = m[a++];
      while(b < bm)
        t[k++] = m[b++];
    }
    memcpy(m, t, n * sizeof(*m));
  }
}

/* --- values --------------------------------------------------------------- */

static int parse_value(crypto_jcs *j);

/* Room past what a member copy needs, on both sides: copy_member copies
 * whole 64-byte blocks. */
#define JCS_SLACK 128

/* Copies a member's n bytes from s to d. Members are mostly a few dozen
 * bytes of every length, where a copy whose work depends on the length
 * mispredicts its branches (measured: memcpy 4% of the fast path's time,
 * 16-byte chunks a misprediction per member): one or two whole 64-byte
 * blocks instead, which only the members above 64 bytes (in a ledger the
 * same ones on every line) branch for, where both the source (up to
 * send) and the destination (up to dend) have JCS_SLACK bytes of room. */
static inline void copy_member(char *d, const char *s, size_t n,
                               const char *send, const char *dend)
{
  if(n <= JCS_SLACK && (size_t)(send - s) >= JCS_SLACK &&
     (size_t)(dend - d) >= JCS_SLACK) {
    memcpy(d, s, 64);
    if(n > 64)
      memcpy(d + 64, s + 64, 64);
    return;
  }
  memcpy(d, s, n);
}

/* Writes the members m[0..n) comma-separated at buf + o, in order (or
 * in the order m[ord[0]], m[ord[1]], ... when ord is given), but for the
 * one at sorted position omit_at, kept apart; a member's text is at
 * src + start - off. Each record's start becomes its offset in buf. The
 * bytes from src up to send may be read and those of buf up to bend
 * overwritten (see copy_member). Returns the offset after the last, or 0
 * when out of memory. */
static size_t write_sorted(crypto_jcs *j, member *m, const unsigned char *ord,
                           size_t n, int omit_at, char *buf, size_t o,
                           const char *src, size_t off, const char *send,
                           const char *bend)
{
  size_t i, first = o;
  for(i = 0; i < n; i++) {
    member *r = ord ? &m[ord[i]] : &m[i];
    const char *s = src + (r->start - off);
    if((int)i == omit_at) {
      if(keep_omitted(j, s, r) != 0)
        return 0;
      continue;
    }
    if(o != first)
      buf[o++] = ',';
    copy_member(buf + o, s, r->len, send, bend);
    r->start = o;
    o += r->len;
  }
  return o;
}

/* For an object whose members m[0..n) are in order already: keeps the
 * value of m[at], the member to omit, and cuts it (and one comma) out of
 * the output. */
static int cut_omitted(crypto_jcs *j, member *m, size_t n, size_t at)
{
  size_t from = m[at].start, cut = m[at].len, i;
  if(keep_omitted(j, j->out + from, &m[at]) != 0)
    return -1;
  if(at + 1 < n)
    cut++; /* the comma after it */
  else if(at > 0) {
    from--; /* the comma before it */
    cut++;
  }
  memmove(j->out + from, j->out + from + cut, j->len - from - cut);
  j->len -= cut;
  for(i = at + 1; i < n; i++)
    m[i].start -= cut;
  return 0;
}

/* One compare-exchange of a sorting network, without a branch. */
#define JCS_CX(v, a, b)                \
  do {                                 \
    uint64_t x_ = (v)[a], y_ = (v)[b]; \
    (v)[a] = x_ < y_ ? x_ : y_;        \
    (v)[b] = x_ < y_ ? y_ : x_;        \
  } while(0)

/* One record of sort_small_quick: slot i of m, or padding past n. */
#define JCS_REC(v, m, n, i)                                                   \
  do {                                                                        \
    uint64_t in_ = (uint64_t)0 - (uint64_t)((i) < (n));                       \
    (v)[i] = ((((m)[i].key & ~(uint64_t)0xFF) | (i)) & in_) |                 \
             (((~(uint64_t)0xFF - ((uint64_t)(7 - (i)) << 8)) | (i)) & ~in_); \
    quick &= (unsigned)!((i) < (n)) | (unsigned)(m)[i].quick;                 \
  } while(0)

/* Orders the n (2 to 8) members at m, whose names are all plain ASCII
 * (quick), by their first 7 bytes with a sorting network: shuffled
 * members cost insertion sort a branch misprediction per move (sorting
 * measured 40% of the canonicalizer on a shuffled ledger), a network
 * none. Each record is the name's first 7 bytes, big-endian, over its
 * index; the slots from n to 8, read but never used (m has room for 8,
 * see grow_members), get padding that sorts last (an ASCII name's top bit
 * is clear, padding's set), each its own 7 bytes. The records stay where
 * they are: ord[k] is the index of the k-th in order. Returns 1 with ord
 * filled and *moved set when the order is not m's own, or 0 when a name
 * is not quick or two share their first 7 bytes, which cmp_names then
 * decides. */
static int sort_small_quick(const member *m, size_t n, unsigned char ord[8],
                            int *moved)
{
  uint64_t v[8];
  unsigned quick = 1, tie, mv;
  JCS_REC(v, m, n, 0);
  JCS_REC(v, m, n, 1);
  JCS_REC(v, m, n, 2);
  JCS_REC(v, m, n, 3);
  JCS_REC(v, m, n, 4);
  JCS_REC(v, m, n, 5);
  JCS_REC(v, m, n, 6);
  JCS_REC(v, m, n, 7);
  if(!quick)
    return 0;
  if(n <= 4) {
    JCS_CX(v, 0, 1);
    JCS_CX(v, 2, 3);
    JCS_CX(v, 0, 2);
    JCS_CX(v, 1, 3);
    JCS_CX(v, 1, 2);
  }
  else {
    JCS_CX(v, 0, 2);
    JCS_CX(v, 1, 3);
    JCS_CX(v, 4, 6);
    JCS_CX(v, 5, 7);
    JCS_CX(v, 0, 4);
    JCS_CX(v, 1, 5);
    JCS_CX(v, 2, 6);
    JCS_CX(v, 3, 7);
    JCS_CX(v, 0, 1);
    JCS_CX(v, 2, 3);
    JCS_CX(v, 4, 5);
    JCS_CX(v, 6, 7);
    JCS_CX(v, 2, 4);
    JCS_CX(v, 3, 5);
    JCS_CX(v, 1, 4);
    JCS_CX(v, 3, 6);
    JCS_CX(v, 1, 2);
    JCS_CX(v, 3, 4);
    JCS_CX(v, 5, 6);
  }
  /* neighbours alike in 7 bytes (never padding: each is its own) */
  tie = (unsigned)((v[0] >> 8) == (v[1] >> 8)) |
        (unsigned)((v[1] >> 8) == (v[2] >> 8)) |
        (unsigned)((v[2] >> 8) == (v[3] >> 8)) |
        (unsigned)((v[3] >> 8) == (v[4] >> 8)) |
        (unsigned)((v[4] >> 8) == (v[5] >> 8)) |
        (unsigned)((v[5] >> 8) == (v[6] >> 8)) |
        (unsigned)((v[6] >> 8) == (v[7] >> 8));
  if(tie)
    return 0;
  mv = (unsigned)((v[0] & 0xFF) != 0) | (unsigned)((v[1] & 0xFF) != 1) |
       (unsigned)((v[2] & 0xFF) != 2) | (unsigned)((v[3] & 0xFF) != 3) |
       (unsigned)((v[4] & 0xFF) != 4) | (unsigned)((v[5] & 0xFF) != 5) |
       (unsigned)((v[6] & 0xFF) != 6) | (unsigned)((v[7] & 0xFF) != 7);
  ord[0] = (unsigned char)v[0];
  ord[1] = (unsigned char)v[1];
  ord[2] = (unsigned char)v[2];
  ord[3] = (unsigned char)v[3];
  ord[4] = (unsigned char)v[4];
  ord[5] = (unsigned char)v[5];
  ord[6] = (unsigned char)v[6];
  ord[7] = (unsigned char)v[7];
  *moved = (int)mv;
  return 1;
}

/* Finishes an object whose members are j->mem[base..nmem) and whose body
 * starts at output offset body: orders, checks duplicates, omits. */
static int finish_object(crypto_jcs *j, size_t base, size_t body, int top)
{
  member *m = j->mem + base;
  size_t n = j->nmem - base, i;
  int unsorted = 0, omit_at = -1;
  unsigned char order[8];
  const unsigned char *ord = NULL;
  if(n >= 2 && n <= 8 && base + 8 <= j->capmem &&
     sort_small_quick(m, n, order, &unsorted)) {
    /* no two names alike: no duplicate either */
    if(unsorted)
      ord = order;
  }
  else if(n <= 16) {
    /* insertion sort that finds duplicates on the way: in the sorted,
     * duplicate-free prefix, a name equal to the one being inserted is
     * the one where its insertion stops. Sorted input costs n-1 compares. */
    for(i = 1; i < n; i++) {
      member v;
      size_t k = i - 1;
      int c = cmp_quick(j->out, &m[k], &m[i]);
      if(c < 0)
        continue;
      if(c == 0)
        return fail(j, CRYPTO_JCS_ERR_DUPLICATE);
      unsorted = 1;
      v = m[i];
      m[i] = m[k];
      while(k > 0 && (c = cmp_quick(j->out, &m[k - 1], &v)) > 0) {
        m[k] = m[k - 1];
        k--;
      }
      if(k > 0 && c == 0)
        return fail(j, CRYPTO_JCS_ERR_DUPLICATE);
      m[k] = v;
    }
  }
  else {
    for(i = 1; i < n; i++) {
      int c = cmp_names(j->out, &m[i - 1], &m[i]);
      if(c == 0)
        return fail(j, CRYPTO_JCS_ERR_DUPLICATE);
      if(c > 0)
        unsorted = 1;
    }
  }
  if(unsorted && n > 16) {
    if(grow((void **)&j->msort, &j->capmsort, n, sizeof(member)) != 0)
      return fail(j, CRYPTO_JCS_ERR_NOMEM);
    sort_members(j->out, m, j->msort, n);
    for(i = 1; i < n; i++)
      if(cmp_names(j->out, &m[i - 1], &m[i]) == 0)
        return fail(j, CRYPTO_JCS_ERR_DUPLICATE);
  }
  if(top && j->omit) {
    for(i = 0; i < n; i++) {
      const member *r = ord ? &m[ord[i]] : &m[i];
      /* a plain name of up to 8 bytes is all in its key */
      if(r->name_len == j->omit_len && !r->esc &&
         (!r->quick || r->key == j->omit_key) &&
         ((r->quick && j->omit_len <= 8) ||
          memcmp(j->out + r->start + 1, j->omit, j->omit_len) == 0)) {
        omit_at = (int)i;
        break;
      }
    }
  }
  if(!unsorted && omit_at >= 0) {
    if(cut_omitted(j, m, n, (size_t)omit_at) != 0)
      return fail(j, CRYPTO_JCS_ERR_NOMEM);
  }
  else if((unsorted || omit_at >= 0) && body == 1) {
    /* the top-level object is the whole output: write the sorted text
     * into the scratch buffer and swap the two, one copy instead of two */
    size_t o;
    char *sw;
    size_t swc;
    if(grow((void **)&j->tmp, &j->captmp, j->len + JCS_SLACK, 1) != 0)
      return fail(j, CRYPTO_JCS_ERR_NOMEM);
    j->tmp[0] = '{';
    o = write_sorted(j, m, ord, n, omit_at, j->tmp, 1, j->out, 0,
                     j->out + j->cap, j->tmp + j->captmp);
    if(!o)
      return fail(j, CRYPTO_JCS_ERR_NOMEM);
    sw = j->out;
    j->out = j->tmp;
    j->tmp = sw;
    swc = j->cap;
    j->cap = j->captmp;
    j->captmp = swc;
    j->len = o;
  }
  else if(unsorted || omit_at >= 0) {
    /* sorted into the scratch buffer, whose room past the body the copies
     * may run over, then back in one piece: what follows the body in
     * j->out is still to be read. The records' starts are left as offsets
     * in the scratch: a nested object's records end here. */
    size_t o;
    if(grow((void **)&j->tmp, &j->captmp, j->len - body + JCS_SLACK, 1) != 0)
      return fail(j, CRYPTO_JCS_ERR_NOMEM);
    o = write_sorted(j, m, ord, n, omit_at, j->tmp, 0, j->out, 0,
                     j->out + j->cap, j->tmp + j->captmp);
    if(!o)
      return fail(j, CRYPTO_JCS_ERR_NOMEM);
    memcpy(j->out + body, j->tmp, o);
    j->len = body + o;
  }
  if(top) {
    if(grow((void **)&j->top, &j->captop, n, sizeof(member)) != 0)
      return fail(j, CRYPTO_JCS_ERR_NOMEM);
    member *t = j->top;
    for(i = 0; i < n; i++)
      if((int)i != omit_at)
        *t++ = ord ? m[ord[i]] : m[i];
    j->ntop = (size_t)(t - j->top);
    j->top_is_object = 1;
  }
  return 0;
}

/* Parses an object at j->p ('{'). */
static int parse_object(crypto_jcs *j)
{
  size_t base = j->nmem, body;
  int top = j->depth == 1;
  if(reserve(j, 2) != 0)
    return fail(j, CRYPTO_JCS_ERR_NOMEM);
  j->out[j->len++] = '{';
  body = j->len;
  j->p++;
  skip_ws(j);
  if(j->p < j->end && *j->p == '}') {
    j->p++;
    j->out[j->len++] = '}';
    if(top) {
      j->ntop = 0;
      j->top_is_object = 1;
    }
    return 0;
  }
  for(;;) {
    member m;
    if(j->p >= j->end || *j->p != '"')
      return fail(j, CRYPTO_JCS_ERR_SYNTAX);
    m.start = j->len;
    if(parse_string(j, &m) != 0)
      return -1;
    skip_ws(j);
    if(j->p >= j->end || *j->p != ':')
      return fail(j, CRYPTO_JCS_ERR_SYNTAX);
    j->p++;
    if(reserve(j, 1) != 0)
      return fail(j, CRYPTO_JCS_ERR_NOMEM);
    j->out[j->len++] = ':';
    skip_ws(j);
    if(parse_value(j) != 0)
      return -1;
    m.len = j->len - m.start;
    if(j->nmem == j->capmem && grow_members(j, j->nmem + 1) != 0)
      return fail(j, CRYPTO_JCS_ERR_NOMEM);
    j->mem[j->nmem++] = m;
    skip_ws(j);
    if(j->p >= j->end)
      return fail(j, CRYPTO_JCS_ERR_SYNTAX);
    if(*j->p == ',') {
      j->p++;
      if(reserve(j, 1) != 0)
        return fail(j, CRYPTO_JCS_ERR_NOMEM);
      j->out[j->len++] = ',';
      skip_ws(j);
      continue;
    }
    if(*j->p != '}')
      return fail(j, CRYPTO_JCS_ERR_SYNTAX);
    j->p++;
    break;
  }
  if(finish_object(j, base, body, top) != 0)
    return -1;
  j->nmem = base;
  if(reserve(j, 1) != 0)
    return fail(j, CRYPTO_JCS_ERR_NOMEM);
  j->out[j->len++] = '}';
  return 0;
}

/* Parses an array at j->p ('['). */
static int parse_array(crypto_jcs *j)
{
  if(reserve(j, 2) != 0)
    return fail(j, CRYPTO_JCS_ERR_NOMEM);
  j->out[j->len++] = '[';
  j->p++;
  skip_ws(j);
  if(j->p < j->end && *j->p == ']') {
    j->p++;
    j->out[j->len++] = ']';
    return 0;
  }
  for(;;) {
    if(parse_value(j) != 0)
      return -1;
    skip_ws(j);
    if(j->p >= j->end)
      return fail(j, CRYPTO_JCS_ERR_SYNTAX);
    if(reserve(j, 1) != 0)
      return fail(j, CRYPTO_JCS_ERR_NOMEM);
    if(*j->p == ',') {
      j->p++;
      j->out[j->len++] = ',';
      skip_ws(j);
      continue;
    }
    if(*j->p != ']')
      return fail(j, CRYPTO_JCS_ERR_SYNTAX);
    j->p++;
    j->out[j->len++] = ']';
    return 0;
  }
}

/* Parses a literal (true, false, null) of length n at j->p. */
static int parse_literal(crypto_jcs *j, const char *lit, size_t n)
{
  if((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
    return fail(j, CRYPTO_JCS_ERR_SYNTAX);
  if(reserve(j, n) != 0)
    return fail(j, CRYPTO_JCS_ERR_NOMEM);
  memcpy(j->out + j->len, lit, n);
  j->len += n;
  j->p += n;
  return 0;
}

/* Parses any value at j->p (white space already skipped). */
static int parse_value(crypto_jcs *j)
{
  int r;
  if(j->p >= j->end)
    return fail(j, CRYPTO_JCS_ERR_SYNTAX);
  switch(*j->p) {
  case '{':
  case '[':
    if(++j->depth > CRYPTO_JCS_MAX_DEPTH)
      return fail(j, CRYPTO_JCS_ERR_DEPTH);
    r = *j->p == '{' ? parse_object(j) : parse_array(j);
    j->depth--;
    return r;
  case '"': return parse_string(j, NULL);
  case 't': return parse_literal(j, "true", 4);
  case 'f': return parse_literal(j, "false", 5);
  case 'n': return parse_literal(j, "null", 4);
  default:
    if(*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
      return parse_number(j);
    return fail(j, CRYPTO_JCS_ERR_SYNTAX);
  }
}

/* --- fast path ------------------------------------------------------------ */

/* The fast path accepts only text that is already canonical token by token
 * (no white space between tokens, strings with raw UTF-8 and canonical
 * escapes only, numbers already in their ECMAScript spelling). For such
 * text the canonical output is the input with members reordered (and the
 * omitted member dropped), so the line is copied to j->out once, scanned
 * for its structure, and each object is sorted in place by finish_object,
 * the same code the full parser uses. Whatever else it meets, it gives up
 * (returns NULL) and the caller reruns the full parser over the line, which
 * then decides the output or the error. Output offsets are input offsets
 * minus j->fb. */

/* Each scanner returns the first byte in [p, e) that is '"', '\\', < 0x20
 * or >= 0x80 (e when none is). */
/* Is c one of the bytes a scanner stops at. */
static inline int special1(unsigned c)
{
  return c < 0x20 || c >= 0x80 || c == '"' || c == '\\';
}

/* Portable scanner: 8 bytes at a time with special8. */
static inline const unsigned char *scan_swar(const unsigned char *p,
                                             const unsigned char *e)
{
  while(e - p >= 8) {
    uint64_t x, t;
    memcpy(&x, p, 8);
    t = special8(x);
    if(t) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      return p + (__builtin_ctzll(t) >> 3);
#else
      break;
#endif
    }
    p += 8;
  }
  while(p < e && !special1(*p))
    p++;
  return p;
}

#ifdef JCS_X86
/* SSE2 scanner (x86-64 baseline): 16 bytes per step. A signed compare
 * with 0x20 flags the controls and every byte >= 0x80 at once. */
static inline const unsigned char *scan_sse2(const unsigned char *p,
                                             const unsigned char *e)
{
  const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\'),
                sp = _mm_set1_epi8(0x20);
  while(e - p >= 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i m =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, b)),
                     _mm_cmplt_epi8(x, sp));
    unsigned k = (unsigned)_mm_movemask_epi8(m);
    if(k)
      return p + __builtin_ctz(k);
    p += 16;
  }
  /* the tail bytewise: the SWAR constants would cost more (most strings
   * end within a 16-byte load) */
  while(p < e && !special1(*p))
    p++;
  return p;
}

/* AVX2 scanner: 32 bytes per step, the rest by SSE2. */
__attribute__((target("avx2"))) static const unsigned char *
scan_avx2(const unsigned char *p, const unsigned char *e)
{
  const __m256i q = _mm256_set1_epi8('"'), b = _mm256_set1_epi8('\\'),
                sp = _mm256_set1_epi8(0x20);
  while(e - p >= 32) {
    __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i m = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(x, q),
                                                _mm256_cmpeq_epi8(x, b)),
                                _mm256_cmpgt_epi8(sp, x));
    unsigned k = (unsigned)_mm256_movemask_epi8(m);
    if(k)
      return p + __builtin_ctz(k);
    p += 32;
  }
  return scan_sse2(p, e);
}

#endif

/* The closing quote of a canonical string, scanning from s inside it;
 * NULL when the string is not canonical as written. Sets *esc when it
 * holds an escape. */
static const unsigned char *string_end(const crypto_jcs *j,
                                       const unsigned char *s, int *esc)
{
  const unsigned char *e = j->end;
  for(;;) {
    unsigned c;
#ifdef JCS_X86
    if(j->path == CRYPTO_JCS_PATH_SSE2)
      s = scan_sse2(s, e);
    else if(j->path == CRYPTO_JCS_PATH_AVX2)
      s = scan_avx2(s, e);
    else
#endif
      s = scan_swar(s, e);
    if(s >= e)
      return NULL;
    c = *s;
    if(c == '"')
      return s;
    if(c == '\\') {
      unsigned h, l, v;
      if(e - s < 2)
        return NULL;
      *esc = 1;
      switch(s[1]) {
      case '"':
      case '\\':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't': s += 2; continue;
      case 'u':
        /* canonical only as \u00xx, lower-case hex, for a control
         * without a short escape */
        if(e - s < 6 || s[2] != '0' || s[3] != '0')
          return NULL;
        h = s[4];
        l = s[5];
        if(h != '0' && h != '1')
          return NULL;
        if(l >= '0' && l <= '9')
          v = l - '0';
        else if(l >= 'a' && l <= 'f')
          v = l - 'a' + 10;
        else
          return NULL;
        v |= (h - '0') << 4;
        if(v == '\b' || v == '\t' || v == '\n' || v == '\f' || v == '\r')
          return NULL;
        s += 6;
        continue;
      default: return NULL;
      }
    }
    if(c < 0x20)
      return NULL;
    {
      int n = utf8_len(s, e);
      if(!n)
        return NULL;
      s += n;
    }
  }
}

/* The top n bytes of a 64-bit key: the sort key of an n-byte name. */
static const uint64_t keymask[9] = {0,
                                    0xFF00000000000000ULL,
                                    0xFFFF000000000000ULL,
                                    0xFFFFFF0000000000ULL,
                                    0xFFFFFFFF00000000ULL,
                                    0xFFFFFFFFFF000000ULL,
                                    0xFFFFFFFFFFFF0000ULL,
                                    0xFFFFFFFFFFFFFF00ULL,
                                    0xFFFFFFFFFFFFFFFFULL};

/* Scans a canonical string at p (the opening quote); returns the byte after
 * the closing quote, or NULL when the string is not canonical as written.
 * m, when given, receives the name's span and sort key. Most strings are
 * short and plain: one 16-byte probe here finds their end. */
static JCS_INLINE const unsigned char *
fast_string(crypto_jcs *j, const unsigned char *p, member *m)
{
  const unsigned char *s = p + 1, *e = j->end;
  int esc = 0;
#ifdef JCS_X86
  if(j->path != CRYPTO_JCS_PATH_SWAR && e - s >= 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
    unsigned k = (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                  _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
                     _mm_cmplt_epi8(x, _mm_set1_epi8(0x20))));
    if(!k)
      s = string_end(j, s + 16, &esc);
    else if(s[__builtin_ctz(k)] == '"')
      s += __builtin_ctz(k);
    else
      s = string_end(j, s + __builtin_ctz(k), &esc);
  }
  else
#endif
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      if(e - s >= 8) {
    uint64_t x, t;
    memcpy(&x, s, 8);
    t = special8(x);
    if(!t)
      s = string_end(j, s + 8, &esc);
    else if(s[__builtin_ctzll(t) >> 3] == '"')
      s += __builtin_ctzll(t) >> 3;
    else
      s = string_end(j, s + (__builtin_ctzll(t) >> 3), &esc);
  }
  else
#endif
    s = string_end(j, s, &esc);
  if(!s)
    return NULL;
  if(m) {
    m->name_len = (size_t)(s - (p + 1));
    m->esc = esc;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ||   \
     __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
    if(e - (p + 1) >= 8) { /* the key in one load */
      uint64_t k;
      size_t n = m->name_len;
      memcpy(&k, p + 1, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      k = __builtin_bswap64(k);
#endif
      k &= keymask[n < 8 ? n : 8];
      m->key = k;
      m->quick = !esc && !(k & 0x8080808080808080ULL);
    }
    else
#endif
      name_key(j, m);
  }
  return s + 1;
}

/* Scans a number at p that is already in its ECMAScript spelling (the form
 * parse_number prints from its own digits: at most 15 significant digits,
 * no exponent, no trailing fraction zeros, no -0, not below 1e-6); returns
 * the byte after it, or NULL for any other number. */
static const unsigned char *fast_number(const crypto_jcs *j,
                                        const unsigned char *p)
{
  const unsigned char *e = j->end, *d;
  int neg = 0;
  if(*p == '-') {
    neg = 1;
    p++;
  }
  if(p >= e)
    return NULL;
  if(*p == '0') {
    const unsigned char *z;
    p++;
    if(p >= e || *p != '.')
      return neg || (p < e && (*p == 'e' || *p == 'E')) ? NULL : p;
    z = ++p;
    while(p < e && *p == '0')
      p++;
    if(p - z > 5) /* below 1e-6: an exponent form */
      return NULL;
    d = p;
    while(p < e && *p >= '0' && *p <= '9')
      p++;
    if(p == d || p[-1] == '0' || p - d > 15)
      return NULL;
  }
  else if(*p >= '1' && *p <= '9') {
    size_t nd;
    d = p;
    while(p < e && *p >= '0' && *p <= '9')
      p++;
    nd = (size_t)(p - d);
    if(p < e && *p == '.') {
      const unsigned char *f = ++p;
      while(p < e && *p >= '0' && *p <= '9')
        p++;
      if(p == f || p[-1] == '0')
        return NULL;
      nd += (size_t)(p - f);
    }
    if(nd > 15)
      return NULL;
  }
  else
    return NULL;
  if(p < e && (*p == 'e' || *p == 'E'))
    return NULL;
  return p;
}

static const unsigned char *fast_nested(crypto_jcs *j, const unsigned char *p);
static JCS_INLINE const unsigned char *fast_value(crypto_jcs *j,
                                                  const unsigned char *p);

/* Scans an object at p ('{') and sorts it in place. */
static const unsigned char *fast_object(crypto_jcs *j, const unsigned char *p)
{
  const unsigned char *e = j->end;
  size_t base = j->nmem, body = (size_t)(p + 1 - j->fb);
  int top = j->depth == 1;
  p++;
  if(p < e && *p == '}') {
    if(top) {
      j->ntop = 0;
      j->top_is_object = 1;
      j->len = 2;
    }
    return p + 1;
  }
  for(;;) {
    member *m;
    size_t mi = j->nmem;
    if(p >= e || *p != '"')
      return NULL;
    if(j->nmem == j->capmem && grow_members(j, j->nmem + 1) != 0)
      return NULL;
    /* the record is taken before the value, whose own members (if it is
     * an object) come after it on the stack */
    m = &j->mem[j->nmem++];
    m->start = (size_t)(p - j->fb);
    p = fast_string(j, p, m);
    if(!p || p >= e - 1 || *p != ':')
      return NULL;
    /* string values (the commonest) without the call */
    p = p[1] == '"' ? fast_string(j, p + 1, NULL) : fast_value(j, p + 1);
    if(!p)
      return NULL;
    m = &j->mem[mi]; /* fast_value may have moved j->mem */
    m->len = (size_t)(p - j->fb) - m->start;
    if(p >= e)
      return NULL;
    if(*p == ',') {
      p++;
      continue;
    }
    if(*p != '}')
      return NULL;
    break;
  }
  j->len = (size_t)(p - j->fb);
  if(finish_object(j, base, body, top) != 0)
    return NULL;
  j->nmem = base;
  if(top) { /* the body may have shrunk (omitted member) or moved */
    if(reserve(j, 1) != 0)
      return NULL;
    j->out[j->len++] = '}';
  }
  return p + 1;
}

/* Scans an array at p ('['); when flat, NULL for one holding an object or
 * an array (shape replay keeps no template for those). */
static const unsigned char *fast_array(crypto_jcs *j, const unsigned char *p,
                                       int flat)
{
  const unsigned char *e = j->end;
  p++;
  if(p < e && *p == ']')
    return p + 1;
  for(;;) {
    if(flat && p < e && (*p == '{' || *p == '['))
      return NULL;
    p = p < e && *p == '"' ? fast_string(j, p, NULL) : fast_value(j, p);
    if(!p || p >= e)
      return NULL;
    if(*p == ',') {
      p++;
      continue;
    }
    return *p == ']' ? p + 1 : NULL;
  }
}

/* Scans an object or array at p, one level deeper. */
static const unsigned char *fast_nested(crypto_jcs *j, const unsigned char *p)
{
  const unsigned char *r;
  if(++j->depth > CRYPTO_JCS_MAX_DEPTH)
    return NULL;
  r = *p == '{' ? fast_object(j, p) : fast_array(j, p, 0);
  j->depth--;
  return r;
}

/* Scans any value at p; only objects and arrays cost a call. */
static JCS_INLINE const unsigned char *fast_value(crypto_jcs *j,
                                                  const unsigned char *p)
{
  const unsigned char *e = j->end;
  if(p >= e)
    return NULL;
  switch(*p) {
  case '{':
  case '[': return fast_nested(j, p);
  case '"': return fast_string(j, p, NULL);
  case 't': return e - p >= 4 && memcmp(p, "true", 4) == 0 ? p + 4 : NULL;
  case 'f': return e - p >= 5 && memcmp(p, "false", 5) == 0 ? p + 5 : NULL;
  case 'n': return e - p >= 4 && memcmp(p, "null", 4) == 0 ? p + 4 : NULL;
  default: return fast_number(j, p);
  }
}

/* Moves *p past and *e before the JSON white space around a text. */
static void trim_ws(const unsigned char **p, const unsigned char **e)
{
  while(*p < *e && (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t'))
    (*p)++;
  while(*e > *p && ((*e)[-1] == ' ' || (*e)[-1] == '\n' || (*e)[-1] == '\r' ||
                    (*e)[-1] == '\t'))
    (*e)--;
}

/* Runs the fast path over in[0..len) (state already reset by the caller);
 * 0 when it produced the canonical text, -1 when the full parser must. */
static int fast_run(crypto_jcs *j, const unsigned char *in, size_t len)
{
  const unsigned char *p = in, *e = in + len, *r;
  trim_ws(&p, &e);
  if(p == e || reserve(j, (size_t)(e - p) + 1 + JCS_SLACK) != 0)
    return -1;
  memcpy(j->out, p, (size_t)(e - p));
  j->fb = p;
  j->end = e;
  r = fast_value(j, p);
  j->end = in + len;
  if(r != e)
    return -1;
  if(*p != '{')
    j->len = (size_t)(e - p);
  j->p = in + len;
  return 0;
}

/* --- shape replay ---------------------------------------------------------
 *
 * A ledger's lines repeat a few shapes: the same member names in the same
 * nested objects, in whatever order the writer put them; only the values
 * differ, and where event types differ, mostly one nested object (the
 * payload) does. Once the fast path has finished a line, each of its
 * objects (outside arrays) is kept as a template: its members' `"name":`
 * bytes in sorted order, a small table that finds a member by the three
 * bytes after its opening quote, whether each member's value is an object,
 * and for those the templates that have stood in that place (alternatives:
 * one payload per event type). A template already kept with the same names
 * is reused, so one line adds only what is new.
 *
 * The next line is first tried against the templates: one pass finds each
 * member's name in its object's template and checks it byte for byte,
 * checks that each name comes once and all of them come, checks each value
 * as the fast path does (strings, numbers, literals, arrays of those) and
 * matches each nested object against the alternatives for its place (a
 * wrong one mostly fails at its first name); then a second pass writes the
 * members straight from the input to the output in sorted order, each byte
 * copied once. No name is scanned to its end, no member sorted.
 *
 * Why the output is the full parser's: a line that replays is made of
 * names byte-equal to the kept ones (plain printable ASCII, no escape, so
 * their canonical spelling is themselves and their UTF-16 order their byte
 * order), each of them once, and values the fast path itself would accept
 * unchanged. The sorted order of an object's members depends on their
 * names alone, and those are the template's, sorted when kept; a name
 * twice was refused when recording and is a miss when replaying. Anything
 * else (another name, a member more or less, an object where none was kept
 * or none where one was, any spelling to change) is a miss, and the line
 * goes to the fast path and the full parser as before.
 * tests/unit/crypto-jcs.c and tests/fuzz/fuzz-jcs-diff.c compare replayed
 * lines with the full parser's.
 */

/* Any value but an object (and an array holding containers) at p. */
static JCS_INLINE const unsigned char *flat_value(crypto_jcs *j,
                                                  const unsigned char *p)
{
  if(p >= j->end)
    return NULL;
  switch(*p) {
  case '[': return fast_array(j, p, 1);
  case '{': return NULL;
  default: return fast_value(j, p); /* a string, number or literal */
  }
}

/* Compares two recorded names by their bytes between the quotes: <0, 0,
 * >0 (plain ASCII: byte order is UTF-16 order). */
static int shape_cmp(const shape_member *a, const shape_member *b)
{
  size_t la = a->len - 3u, lb = b->len - 3u;
  int c = memcmp(a->name + 1, b->name + 1, la < lb ? la : lb);
  if(c)
    return c;
  return (la > lb) - (la < lb);
}

/* The look-up slot of a member whose opening quote is at q: from the three
 * bytes after it (a name of one byte and its `":`, or the first three of
 * a longer one; a line's other bytes only for the empty name, which then
 * seldom replays but never wrongly). */
static JCS_INLINE unsigned shape_slot(const unsigned char *q)
{
  uint32_t k;
  /* one load of the quote and the three bytes, the quote shifted out:
   * the slot is on the path from one member to the next */
  memcpy(&k, q, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  k &= 0xFFFFFFu;
#else
  k >>= 8;
#endif
  return (k * 0x9E3779B1u) >> (32 - 5);
}

/* Records the object at *pp ('{') and those nested in it into the line's
 * shape ls; returns its index, or -1 when the line cannot be replayed (too
 * many objects or members, a name that is not plain ASCII or too long, a
 * value that is an array holding containers, a name twice). */
static int record_object(crypto_jcs *j, line_shape *ls,
                         const unsigned char **pp)
{
  shape_member m[JCS_SHAPE_WIDTH], v;
  shape_object *o;
  const unsigned char *p = *pp + 1, *e = j->end;
  unsigned n = 0, i, k;
  int idx;
  if(ls->nobj >= JCS_LINE_OBJS)
    return -1;
  idx = (int)ls->nobj++;
  if(p < e && *p == '}')
    p++;
  else
    for(;;) {
      const unsigned char *q;
      if(n == JCS_SHAPE_WIDTH || p >= e || *p != '"')
        return -1;
      for(q = p + 1;
          q < e && *q >= 0x20 && *q < 0x7F && *q != '"' && *q != '\\'; q++)
        ;
      if(e - q < 2 || q[0] != '"' || q[1] != ':' ||
         (size_t)(q + 2 - p) > JCS_SHAPE_NAME)
        return -1;
      memset(&v, 0, sizeof(v));
      v.len = (unsigned char)(q + 2 - p);
      memcpy(v.name, p, v.len);
      v.key = name_key8((const char *)p + 1, (size_t)(q - p - 1));
      v.child = -1;
      p = q + 2;
      if(p < e && *p == '{') {
        int c = record_object(j, ls, &p);
        if(c < 0)
          return -1;
        v.is_obj = 1;
        v.child = (short)c;
      }
      else
        p = flat_value(j, p);
      /* in sorted order, by insertion; a name twice is no shape */
      for(k = n; k > 0; k--) {
        int c = shape_cmp(&m[k - 1], &v);
        if(c == 0)
          return -1;
        if(c < 0)
          break;
        m[k] = m[k - 1];
      }
      m[k] = v;
      n++;
      if(!p || p >= e)
        return -1;
      if(*p == ',') {
        p++;
        continue;
      }
      if(*p != '}')
        return -1;
      p++;
      break;
    }
  if(ls->nmem + n > JCS_LINE_MEMS)
    return -1;
  o = &ls->obj[idx];
  memset(o, 0, sizeof(*o));
  o->first = (unsigned short)ls->nmem;
  o->n = (unsigned char)n;
  o->alt = -1;
  for(i = n; i-- > 0;) { /* chains in sorted order */
    unsigned h = shape_slot(m[i].name);
    m[i].next = o->slot[h];
    o->slot[h] = (unsigned char)(i + 1);
  }
  memcpy(&ls->mem[ls->nmem], m, n * sizeof(m[0]));
  ls->nmem += n;
  *pp = p;
  return idx;
}

/* Do template t and object k of the line's shape have the same names, each
 * holding an object or not alike. */
static int same_names(const jcs_shapes *lib, int t, const line_shape *ls, int k)
{
  const shape_object *a = &lib->obj[t], *b = &ls->obj[k];
  unsigned i;
  if(a->n != b->n)
    return 0;
  for(i = 0; i < a->n; i++) {
    const shape_member *x = &lib->mem[a->first + i],
                       *y = &ls->mem[b->first + i];
    if(x->len != y->len || x->is_obj != y->is_obj ||
       memcmp(x->name, y->name, x->len) != 0)
      return 0;
  }
  return 1;
}

/* Merges object k of the line's shape into the templates that may stand at
 * *head: the one with its names, or a new one put first; then its nested
 * objects likewise. Returns -1 when the library is full. */
static int merge_object(jcs_shapes *lib, const line_shape *ls, int k,
                        short *head)
{
  const shape_object *so = &ls->obj[k];
  int t;
  unsigned i;
  for(t = *head; t >= 0; t = lib->obj[t].alt)
    if(same_names(lib, t, ls, k))
      break;
  if(t < 0) {
    shape_object *o;
    if(lib->nobj >= JCS_SHAPE_OBJS || lib->nmem + so->n > JCS_SHAPE_MEMS)
      return -1;
    t = (int)lib->nobj++;
    o = &lib->obj[t];
    *o = *so;
    o->first = (unsigned short)lib->nmem;
    o->alt = *head;
    memcpy(&lib->mem[lib->nmem], &ls->mem[so->first],
           so->n * sizeof(shape_member));
    for(i = 0; i < so->n; i++)
      lib->mem[lib->nmem + i].child = -1;
    lib->nmem += so->n;
    *head = (short)t;
  }
  for(i = 0; i < so->n; i++) {
    const shape_member *sm = &ls->mem[so->first + i];
    if(sm->is_obj && merge_object(lib, ls, sm->child,
                                  &lib->mem[lib->obj[t].first + i].child) < 0)
      return -1;
  }
  return t;
}

/* Forgets every template. */
static void shapes_clear(jcs_shapes *lib)
{
  lib->gen++;
  lib->nobj = lib->nmem = 0;
  lib->root = -1;
}

/* Records the shape of the line in[0..len), which the fast path has just
 * finished, into the templates (when they are full, they start again from
 * this line). Out of memory or an unrecordable line only means no replay. */
static void record_shape(crypto_jcs *j, const unsigned char *in, size_t len)
{
  const unsigned char *p = in, *e = in + len;
  jcs_shapes *lib;
  trim_ws(&p, &e);
  if(!j->shapes) {
    j->shapes = malloc(sizeof(jcs_shapes));
    if(!j->shapes)
      return;
    j->shapes->gen = 0;
    shapes_clear(j->shapes);
  }
  lib = j->shapes;
  lib->rec.nobj = lib->rec.nmem = 0;
  j->end = e;
  if(p < e && *p == '{' && record_object(j, &lib->rec, &p) == 0 && p == e) {
    if(merge_object(lib, &lib->rec, 0, &lib->root) < 0) {
      shapes_clear(lib);
      if(merge_object(lib, &lib->rec, 0, &lib->root) < 0)
        shapes_clear(lib); /* cannot happen: a line fits */
    }
    j->record_wait = 0;
    j->record_backoff = 0;
  }
  else { /* try again later, and later still if it keeps failing */
    j->record_backoff = j->record_backoff < 10 ? j->record_backoff + 1 : 10;
    j->record_wait = 1u << j->record_backoff;
  }
}

/* Is the member name sm at p. */
static JCS_INLINE int shape_name_at(const crypto_jcs *j, const unsigned char *p,
                                    const shape_member *sm)
{
  const unsigned char *e = j->end;
#ifdef JCS_X86
  if(e - p >= 32 && j->path != CRYPTO_JCS_PATH_SWAR) {
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i b = _mm_load_si128((const __m128i *)(const void *)sm->name);
    unsigned ne = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a, b));
    if(sm->len <= 16)
      return !(ne & ((1u << sm->len) - 1u));
    if(ne & 0xFFFFu)
      return 0;
    a = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
    b = _mm_load_si128((const __m128i *)(const void *)(sm->name + 16));
    ne = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a, b));
    return !(ne & ((1u << (sm->len - 16)) - 1u));
  }
#endif
  return (size_t)(e - p) >= sm->len && memcmp(p, sm->name, sm->len) == 0;
}

static const unsigned char *replay_object(crypto_jcs *j, jcs_shapes *lib, int k,
                                          const unsigned char *p);

/* Checks the object at p ('{') against the templates from t on; the byte
 * after it with *chosen the one it matched, or NULL on a miss. A template
 * that does not fit mostly fails at its first name. */
static const unsigned char *replay_any(crypto_jcs *j, jcs_shapes *lib, int t,
                                       const unsigned char *p, short *chosen)
{
  for(; t >= 0; t = lib->obj[t].alt) {
    const unsigned char *r = replay_object(j, lib, t, p);
    if(r) {
      *chosen = (short)t;
      return r;
    }
  }
  return NULL;
}

/* Checks the object at p ('{') against template k, in any member order:
 * each member must be one of its names, each name must come once, and all
 * of them. Records where each member's text starts and ends; the byte
 * after the object, or NULL on a miss. */
static const unsigned char *replay_object(crypto_jcs *j, jcs_shapes *lib, int k,
                                          const unsigned char *p)
{
  shape_object *o = &lib->obj[k];
  const unsigned char *e = j->end;
  uint32_t seen = 0;
  unsigned i;
  p++;
  if(!o->n)
    return p < e && *p == '}' ? p + 1 : NULL;
  for(i = 0;; i++) {
    const shape_member *sm;
    unsigned c, at;
    if(e - p < 4 || *p != '"' || i == o->n)
      return NULL;
    c = o->missed < 16 ? o->hint[i] : 0;
    sm = &lib->mem[o->first + (c ? c - 1 : 0)];
    if(c && shape_name_at(j, p, sm))
      o->missed -= o->missed > 0;
    else {
      for(c = o->slot[shape_slot(p)];; c = sm->next) {
        if(!c)
          return NULL;
        sm = &lib->mem[o->first + c - 1];
        if(shape_name_at(j, p, sm))
          break;
      }
      if(o->missed < 16) {
        o->missed += o->hint[i] ? 2 : 0;
        o->hint[i] = (unsigned char)c;
      }
    }
    if(seen & (1u << (c - 1)))
      return NULL; /* a name twice (the full parser reports it) */
    seen |= 1u << (c - 1);
    at = o->first + c - 1;
    lib->span[at] = p;
    p += sm->len;
    if(sm->is_obj)
      p = p < e && *p == '{'
              ? replay_any(j, lib, sm->child, p, &lib->chosen[at])
              : NULL;
    else
      p = p < e && *p == '"' ? fast_string(j, p, NULL) : flat_value(j, p);
    if(!p || p >= e)
      return NULL;
    lib->span_end[at] = p;
    if(*p++ == ',')
      continue;
    if(p[-1] != '}' || seen != (uint32_t)((1ull << o->n) - 1u))
      return NULL;
    return p;
  }
}

/* Writes the object replay_object matched with template k at o in sorted
 * order (the bytes up to dend may be overwritten, see copy_member); at the
 * top level, leaves the omitted member out (keeping its value) and fills
 * the top-level member records. Returns the byte after it. */
static char *replay_write(crypto_jcs *j, const jcs_shapes *lib, int k, char *o,
                          char *dend, int top)
{
  const shape_object *ob = &lib->obj[k];
  char *first = o + 1;
  const char *send = (const char *)j->end;
  member *t = j->top;
  unsigned at;
  if(top)
    j->top_omit = -1;
  *o++ = '{';
  for(at = ob->first; at < ob->first + ob->n; at++) {
    const shape_member *sm = &lib->mem[at];
    const char *s = (const char *)lib->span[at];
    size_t len = (size_t)(lib->span_end[at] - lib->span[at]);
    /* by the sort keys, as the fast path finds it: a name of up to 8
     * bytes is all in its key, and "type" beside "hash" costs no memcmp
     * call */
    if(top && j->omit && sm->len - 3u == j->omit_len &&
       sm->key == j->omit_key &&
       (j->omit_len <= 8 || memcmp(sm->name + 1, j->omit, j->omit_len) == 0)) {
      /* room was made before the first pass (replay_run); an object is
       * kept in its canonical order too */
      if(sm->is_obj)
        replay_write(j, lib, lib->chosen[at], j->omitted,
                     j->omitted + j->capomitted, 0);
      else
        memcpy(j->omitted, s + sm->len, len - sm->len);
      j->omitted_len = len - sm->len;
      j->has_omitted = 1;
      j->top_omit = (short)(at - ob->first);
      continue;
    }
    if(o != first)
      *o++ = ',';
    if(top) {
      t->start = (size_t)(o - j->out);
      t->len = len;
      t->name_len = sm->len - 3u;
      t->key = sm->key;
      t->esc = 0;
      t->quick = 1;
      t++;
    }
    if(sm->is_obj) {
      /* the whole zero-padded name in two 16-byte stores: a copy of its
       * own length compiles to a `rep movs` that costs more than the
       * object's other members */
      if(dend - o >= JCS_SHAPE_NAME)
        memcpy(o, sm->name, JCS_SHAPE_NAME);
      else
        memcpy(o, sm->name, sm->len);
      o = replay_write(j, lib, lib->chosen[at], o + sm->len, dend, 0);
    }
    else {
      copy_member(o, s, len, send, dend);
      o += len;
    }
  }
  if(top)
    j->ntop = (size_t)(t - j->top);
  *o++ = '}';
  return o;
}

/* Tries the line in[0..len) against the templates; 0 when they produced
 * its canonical text. */
static int replay_run(crypto_jcs *j, const unsigned char *in, size_t len)
{
  jcs_shapes *lib = j->shapes;
  const unsigned char *p = in, *e = in + len, *r;
  short t = -1;
  trim_ws(&p, &e);
  if(p == e || *p != '{')
    return -1;
  j->end = e;
  r = replay_any(j, lib, lib->root, p, &t);
  /* the output is no longer than the line; the omitted value and the top
   * records no larger than it and its top object */
  if(r != e || reserve(j, (size_t)(e - p) + JCS_SLACK) != 0 ||
     grow((void **)&j->top, &j->captop, lib->obj[t].n + 1u, sizeof(member)) !=
         0 ||
     (j->omit && grow((void **)&j->omitted, &j->capomitted,
                      (size_t)(e - p) + JCS_SLACK, 1) != 0)) {
    j->end = in + len;
    return -1;
  }
  j->len =
      (size_t)(replay_write(j, lib, t, j->out, j->out + j->cap, 1) - j->out);
  j->top_tpl = t;
  j->top_is_object = 1;
  j->end = in + len;
  j->p = in + len;
  return 0;
}

crypto_jcs_code crypto_jcs_canonicalize_omit(crypto_jcs *j, const char *in,
                                             size_t len, const char *omit)
{
  j->in = j->p = (const unsigned char *)in;
  j->end = j->p + len;
  j->len = 0;
  j->nmem = 0;
  j->ntop = 0;
  j->top_is_object = 0;
  j->has_omitted = 0;
  j->omitted_len = 0;
  j->depth = 0;
  j->err = CRYPTO_JCS_OK;
  j->omit = omit;
  j->omit_len = omit ? strlen(omit) : 0;
  j->omit_key = name_key8(omit, j->omit_len);
  j->last_fast = 0;
  j->last_shaped = 0;
  if(j->path != CRYPTO_JCS_PATH_FULL) {
    int shaping = j->shapes_on && !j->replay_wait;
    if(!shaping && j->replay_wait)
      j->replay_wait--;
    if(shaping && j->shapes) {
      if(replay_run(j, j->p, len) == 0) {
        j->last_fast = j->last_shaped = 1;
        j->miss_streak = 0;
        return CRYPTO_JCS_OK;
      }
      /* a stream whose lines keep missing (shapes that never repeat, or
       * spellings to change): stop paying for misses for a while */
      if(++j->miss_streak >= 16) {
        j->miss_streak = 0;
        j->replay_wait = 256;
        shaping = 0;
      }
    }
    if(fast_run(j, j->p, len) == 0) {
      j->last_fast = 1;
      if(shaping && j->top_is_object && (!j->record_wait || !--j->record_wait))
        record_shape(j, j->in, len);
      j->end = j->in + len;
      return CRYPTO_JCS_OK;
    }
    j->p = j->in;
    j->len = 0;
    j->nmem = 0;
    j->ntop = 0;
    j->top_is_object = 0;
    j->has_omitted = 0;
    j->omitted_len = 0;
    j->depth = 0;
    j->err = CRYPTO_JCS_OK;
  }
  skip_ws(j);
  if(parse_value(j) != 0)
    goto err;
  skip_ws(j);
  if(j->p != j->end) {
    fail(j, CRYPTO_JCS_ERR_SYNTAX);
    goto err;
  }
  return CRYPTO_JCS_OK;
err:
  j->ntop = 0;
  j->top_is_object = 0;
  j->has_omitted = 0;
  return j->err;
}

crypto_jcs_code crypto_jcs_canonicalize(crypto_jcs *j, const char *in,
                                        size_t len)
{
  return crypto_jcs_canonicalize_omit(j, in, len, NULL);
}

const char *crypto_jcs_text(const crypto_jcs *j, size_t *len)
{
  *len = j->len;
  return j->out ? j->out : "";
}

const char *crypto_jcs_omitted(const crypto_jcs *j, size_t *len)
{
  if(!j->has_omitted)
    return NULL;
  *len = j->omitted_len;
  return j->omitted;
}

int crypto_jcs_top_member(const crypto_jcs *j, const char *name,
                          const char **val, size_t *vlen)
{
  size_t nl = strlen(name), i;
  for(i = 0; i < j->ntop; i++) {
    const member *m = &j->top[i];
    if(m->name_len == nl && memcmp(j->out + m->start + 1, name, nl) == 0) {
      *val = j->out + m->start + nl + 3;
      *vlen = m->len - nl - 3;
      return 0;
    }
  }
  return -1;
}

size_t crypto_jcs_top_members(const crypto_jcs *j, const char *const *names,
                              const size_t *lens, size_t n, const char **val,
                              size_t *vlen)
{
  /* names by length: each member costs one look-up and (where a name has
   * its length) a compare, instead of a search whose end depends on the
   * member order and so mispredicts on shuffled members */
  unsigned char first[64], next[32];
  size_t i, k, found = 0;
  for(k = 0; k < n; k++)
    val[k] = NULL;
  for(k = 0; k < n && n <= sizeof(next); k++)
    if(lens[k] >= sizeof(first))
      break;
  if(k < n || n > sizeof(next)) { /* not for a table: one pass per member */
    for(i = 0; i < j->ntop && found < n; i++) {
      const member *m = &j->top[i];
      const char *name = j->out + m->start + 1;
      for(k = 0; k < n; k++)
        if(lens[k] == m->name_len && !val[k] &&
           memcmp(names[k], name, m->name_len) == 0) {
          val[k] = name + m->name_len + 2;
          vlen[k] = m->len - m->name_len - 3;
          found++;
          break;
        }
    }
    return found;
  }
  memset(first, 0, sizeof(first));
  for(k = n; k-- > 0;) {
    next[k] = first[lens[k]];
    first[lens[k]] = (unsigned char)(k + 1);
  }
  for(i = 0; i < j->ntop && found < n; i++) {
    const member *m = &j->top[i];
    const char *name = j->out + m->start + 1;
    unsigned c = m->name_len < sizeof(first) ? first[m->name_len] : 0;
    for(; c; c = next[c - 1])
      if(!val[c - 1] && memcmp(names[c - 1], name, m->name_len) == 0) {
        val[c - 1] = name + m->name_len + 2;
        vlen[c - 1] = m->len - m->name_len - 3;
        found++;
        break;
      }
  }
  return found;
}

crypto_jcs_names *crypto_jcs_names_new(const char *const *names, size_t n)
{
  static uint64_t last_id; /* atomic: sets may be made on many threads */
  crypto_jcs_names *w;
  size_t k;
  if(n > CRYPTO_JCS_NAMES_MAX || !(w = calloc(1, sizeof(*w))))
    return NULL;
  for(k = 0; k < n; k++) {
    w->lens[k] = strlen(names[k]);
    if(w->lens[k] >= 64 || !(w->names[k] = malloc(w->lens[k] + 1))) {
      w->n = k;
      crypto_jcs_names_free(w);
      return NULL;
    }
    memcpy(w->names[k], names[k], w->lens[k] + 1);
  }
  w->n = n;
  w->id = __atomic_add_fetch(&last_id, 1, __ATOMIC_RELAXED);
  return w;
}

void crypto_jcs_names_free(crypto_jcs_names *w)
{
  size_t k;
  if(!w)
    return;
  for(k = 0; k < w->n; k++)
    free(w->names[k]);
  free(w);
}

size_t crypto_jcs_find_members(crypto_jcs *j, const crypto_jcs_names *w,
                               const char **val, size_t *vlen)
{
  size_t k, i, found;
  /* a replayed line of the template (and omission) the answer was kept
   * for has its top-level records in the same order, with the same names:
   * those of the template, which never change while it is kept */
  if(j->last_shaped && j->fm_id == w->id && j->fm_tpl == j->top_tpl &&
     j->fm_omit == j->top_omit && j->fm_gen == j->shapes->gen) {
    found = 0;
    for(k = 0; k < w->n; k++) {
      const member *m;
      if(j->fm_at[k] == 0xFF) {
        val[k] = NULL;
        continue;
      }
      m = &j->top[j->fm_at[k]];
      val[k] = j->out + m->start + m->name_len + 3;
      vlen[k] = m->len - m->name_len - 3;
      found++;
    }
    return found;
  }
  found = crypto_jcs_top_members(j, (const char *const *)w->names, w->lens,
                                 w->n, val, vlen);
  if(j->last_shaped) {
    for(k = 0; k < w->n; k++) {
      j->fm_at[k] = 0xFF;
      for(i = 0; val[k] && i < j->ntop; i++)
        if(j->out + j->top[i].start + j->top[i].name_len + 3 == val[k])
          j->fm_at[k] = (unsigned char)i;
    }
    j->fm_id = w->id;
    j->fm_tpl = j->top_tpl;
    j->fm_omit = j->top_omit;
    j->fm_gen = j->shapes->gen;
  }
  return found;
}

int crypto_jcs_set_path(crypto_jcs *j, crypto_jcs_path p)
{
  if(p == CRYPTO_JCS_PATH_AUTO) {
#ifdef JCS_X86
    /* not AVX2: most strings end within the inline 16-byte probe, and
     * callgrind counted the same instructions per ledger line with it */
    p = CRYPTO_JCS_PATH_SSE2;
#else
    p = CRYPTO_JCS_PATH_SWAR;
#endif
  }
  switch(p) {
  case CRYPTO_JCS_PATH_FULL:
  case CRYPTO_JCS_PATH_SWAR: break;
#ifdef JCS_X86
  case CRYPTO_JCS_PATH_SSE2: break;
  case CRYPTO_JCS_PATH_AVX2:
    if(!__builtin_cpu_supports("avx2"))
      return -1;
    break;
#endif
  default: return -1;
  }
  j->path = p;
  crypto_jcs_set_shapes(j, j->shapes_on);
  return 0;
}

int crypto_jcs_set_shapes(crypto_jcs *j, int on)
{
  if(j->shapes)
    shapes_clear(j->shapes);
  j->record_wait = j->record_backoff = 0;
  j->miss_streak = j->replay_wait = 0;
  j->shapes_on = on != 0;
  return 0;
}

int crypto_jcs_last_shaped(const crypto_jcs *j)
{
  return j->last_shaped;
}

const char *crypto_jcs_path_name(const crypto_jcs *j)
{
  switch(j->path) {
  case CRYPTO_JCS_PATH_SWAR: return "swar";
  case CRYPTO_JCS_PATH_SSE2: return "sse2";
  case CRYPTO_JCS_PATH_AVX2: return "avx2";
  default: return "full";
  }
}

int crypto_jcs_last_fast(const crypto_jcs *j)
{
  return j->last_fast;
}

size_t crypto_jcs_error_offset(const crypto_jcs *j)
{
  return (size_t)(j->p - j->in);
}

/* --- lookups in canonical text ------------------------------------------- */

/* The closing quote of the string in canonical text whose contents start
 * at p, or NULL: the first quote after an even run of backslashes (none,
 * mostly), found by memchr instead of byte by byte (an anchor's payload
 * holds two 64-digit hashes to step over). */
static const char *canon_string_end(const char *p, const char *e)
{
  for(;;) {
    const char *q = memchr(p, '"', (size_t)(e - p)), *b;
    if(!q)
      return NULL;
    for(b = q; b > p && b[-1] == '\\'; b--)
      ;
    if(!((q - b) & 1))
      return q;
    p = q + 1; /* an escaped quote */
  }
}

/* End of the canonical value starting at p (p < e), or NULL. */
static const char *skip_canon(const char *p, const char *e)
{
  int depth = 0;
  while(p < e) {
    char c = *p;
    if(c == '"') {
      if(!(p = canon_string_end(p + 1, e)))
        return NULL;
      p++;
      if(depth == 0)
        return p;
      continue;
    }
    if(c == '{' || c == '[') {
      depth++;
      p++;
      continue;
    }
    if(c == '}' || c == ']') {
      if(depth == 0)
        return p;
      depth--;
      p++;
      if(depth == 0)
        return p;
      continue;
    }
    if(c == ',' && depth == 0)
      return p;
    p++;
  }
  return depth == 0 ? p : NULL;
}

int crypto_jcs_member(const char *obj, size_t len, const char *name,
                      const char **val, size_t *vlen)
{
  const char *p = obj, *e = obj + len;
  size_t nl = strlen(name);
  if(len < 2 || *p != '{')
    return -1;
  p++;
  while(p < e && *p == '"') {
    const char *ns = p + 1, *ne, *ve;
    ne = canon_string_end(ns, e);
    if(!ne || ne + 1 >= e || ne[1] != ':')
      return -1;
    ve = skip_canon(ne + 2, e);
    if(!ve)
      return -1;
    if((size_t)(ne - ns) == nl && memcmp(ns, name, nl) == 0) {
      *val = ne + 2;
      *vlen = (size_t)(ve - (ne + 2));
      return 0;
    }
    p = ve;
    if(p < e && *p == ',')
      p++;
    else
      break;
  }
  return -1;
}
