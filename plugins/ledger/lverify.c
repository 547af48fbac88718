/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lverify.c: the ledger verifier engine (see lverify.h for the design).
 *
 * Pipeline: the calling thread reads lines from the source into batches
 * (a fixed ring of 2 * threads + 1 batches); threads - 1 workers, and the
 * calling thread whenever it would otherwise wait, canonicalize and hash
 * every line of a batch and extract the members the rules need into a
 * small per-event record; the calling thread then checks the batches in
 * order (truncation, per-event parse/member/type results, seq, genesis,
 * prev_hash, hash, anchors, the rollback checkpoint).
 */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/hex.h"
#include "crypto/jcs.h"
#include "crypto/sha256many.h"
#include "plugins/ledger/lverify.h"

#define BATCH_LINES 256
#define BATCH_BYTES (128u << 10)
#define MAX_THREADS 64

static const char *const reason_names[] = {"ok",
                                           "truncated",
                                           "parse_error",
                                           "missing_member",
                                           "bad_type",
                                           "seq_gap",
                                           "seq_repeat",
                                           "seq_order",
                                           "bad_genesis",
                                           "prev_hash_mismatch",
                                           "hash_mismatch",
                                           "anchor_mismatch",
                                           "rollback"};

const char *lv_reason_name(lv_reason r)
{
  if((unsigned)r < sizeof(reason_names) / sizeof(reason_names[0]))
    return reason_names[r];
  return "unknown";
}

/* What a worker found out about one line. */
typedef struct ev_rec {
  uint64_t line, offset;
  size_t off, len;  /* text in the batch's data, */
  const char *view; /* or here (a view into the source) when not NULL */
  uint8_t terminated;
  uint8_t reason; /* LV_OK, or parse_error/missing_member/bad_type */
  uint8_t seq_ok; /* seq readable (for reports) */
  uint8_t is_anchor;
  uint8_t anchor_ok; /* payload's anchored_seq/anchored_hash well-formed */
  int64_t seq;
  uint8_t prev[32], hash[32], computed[32];
  int64_t anchored_seq;
  uint8_t anchored_hash[32];
  char ts[40];
  char msg[80];
} ev_rec;

enum { SLOT_FREE, SLOT_FILLED, SLOT_WORKING, SLOT_DONE };

typedef struct batch {
  char *data;
  size_t dlen, dcap;
  ev_rec *ev;
  size_t n, cap; /* events, room in ev */
  int state;
  uint64_t serial; /* order of filling */
  /* a span of whole lines (lsrc_next_span) the worker splits itself;
   * span.len 0 when the batch holds lines the reader split */
  lsrc_span span;
  size_t max_line;
  uint8_t too_long;    /* the lines stop at one longer than max_line */
  uint8_t nomem;       /* the event records could not grow */
  uint8_t hash_failed; /* an event could not be canonicalized or hashed
                          (out of memory) */
} batch;

typedef struct pending {
  int64_t anchored_seq, seq;
  uint8_t hash[32];
  uint8_t prev[32]; /* the anchor event's prev_hash: its predecessor's hash */
  uint64_t line, offset;
} pending;

typedef struct index_ent {
  int64_t seq;
  uint64_t offset, line;
} index_ent;

typedef struct vctx {
  const lv_options *o;
  lv_result *r;
  /* threads */
  pthread_mutex_t mu;
  pthread_cond_t work, done;
  int quit;
  batch *slots;
  int nslot;
  uint64_t next_serial;
  /* sequential state */
  int have_prev;
  int64_t prev_seq;
  uint8_t prev_hash[32];
  uint8_t (*ring)[32];
  int64_t *ring_seq;
  index_ent *index;
  size_t nindex;
  int64_t index_every;
  pending *pend;
  size_t npend;
  int resumed;       /* the resume event has been matched */
  uint64_t lines;    /* span batches: number of the last line checked */
  char span_err[96]; /* span batches: what ended the reading, if not EOF */
  int stop;
  int reread_ok; /* the source can be read a second time */
  int few;       /* a short remainder: a hash without multi-buffer set-up */
  int seen_expect;
  uint8_t expect_hash[32];
  crypto_jcs_names *need; /* the set of `need`, for every worker */
  uint8_t head_hash[32];  /* of r->head, hex-encoded when the run ends */
} vctx;

/* Parses a canonical integer (digits, optional '-') up to 2^53. */
static int parse_int(const char *v, size_t n, int64_t *out)
{
  int neg = 0;
  int64_t x = 0;
  size_t i = 0;
  if(n > 0 && v[0] == '-') {
    neg = 1;
    i = 1;
  }
  if(i == n || n - i > 16)
    return -1;
  for(; i < n; i++) {
    if(v[i] < '0' || v[i] > '9')
      return -1;
    x = x * 10 + (v[i] - '0');
  }
  if(x > ((int64_t)1 << 53))
    return -1;
  *out = neg ? -x : x;
  return 0;
}

/* Lower-case hex digit values; 0xFF for anything else. */
static uint8_t hexval[256];
static pthread_once_t hexval_once = PTHREAD_ONCE_INIT;

static void hexval_init(void)
{
  int i;
  memset(hexval, 0xFF, sizeof(hexval));
  for(i = 0; i < 10; i++)
    hexval['0' + i] = (uint8_t)i;
  for(i = 0; i < 6; i++)
    hexval['a' + i] = (uint8_t)(10 + i);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <emmintrin.h>

/* 16 lower-case hex digits at p to 8 bytes in the low half of a vector;
 * *bad gets a set bit for each byte that is no such digit. */
static inline __m128i hex16_sse2(const unsigned char *p, unsigned *bad)
{
  __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
  /* signed compares: bytes >= 0x80 are negative and fail both ranges */
  __m128i dig = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
                              _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
  __m128i alp = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('a' - 1)),
                              _mm_cmplt_epi8(x, _mm_set1_epi8('f' + 1)));
  __m128i v = _mm_sub_epi8(_mm_sub_epi8(x, _mm_set1_epi8('0')),
                           _mm_and_si128(alp, _mm_set1_epi8('a' - '0' - 10)));
  *bad |= (unsigned)_mm_movemask_epi8(_mm_or_si128(dig, alp)) ^ 0xFFFFu;
  /* each 16-bit lane holds hi | lo << 8: make it hi << 4 | lo */
  return _mm_or_si128(_mm_slli_epi16(_mm_and_si128(v, _mm_set1_epi16(0xFF)), 4),
                      _mm_srli_epi16(v, 8));
}

/* 64 lower-case hex digits at p to 32 bytes in out, SSE2 (x86-64's
 * baseline): 0 when all are hex digits, else -1. Straight-line, over four
 * independent loads: a loop over 32-digit halves kept them in an array on
 * the stack, stored and read back for each pack, and cost three times as
 * much (this runs twice per event). */
static int hex64_sse2(const unsigned char *p, uint8_t *out)
{
  unsigned bad = 0;
  __m128i a = hex16_sse2(p, &bad), b = hex16_sse2(p + 16, &bad),
          c = hex16_sse2(p + 32, &bad), d = hex16_sse2(p + 48, &bad);
  _mm_storeu_si128((__m128i *)(void *)out, _mm_packus_epi16(a, b));
  _mm_storeu_si128((__m128i *)(void *)(out + 16), _mm_packus_epi16(c, d));
  return bad ? -1 : 0;
}
#endif

/* A canonical string value holding exactly 64 lower-case hex digits:
 * validated and decoded in one pass (this runs twice per event, so it is
 * kept cheap: SSE2 on x86-64, else table-driven). */
static int parse_hash(const char *v, size_t n, uint8_t out[32])
{
  const unsigned char *p = (const unsigned char *)v + 1;
  if(n != 66 || v[0] != '"' || v[65] != '"')
    return -1;
#if defined(__x86_64__) && defined(__GNUC__)
  return hex64_sse2(p, out);
#else
  {
    unsigned bad = 0;
    int i;
    for(i = 0; i < 32; i++) {
      uint8_t hi = hexval[p[2 * i]], lo = hexval[p[2 * i + 1]];
      bad |= hi | lo;
      out[i] = (uint8_t)(hi << 4 | (lo & 15));
    }
    return bad & 0xF0 ? -1 : 0;
  }
#endif
}

/* The members every event must have, in the order process_line reads
 * them (lv_verify makes the set once for its workers). */
static const char *const need[] = {"seq",          "ts",      "type",
                                   "aggregate_id", "payload", "prev_hash"};

/* One worker's state: its canonicalizer and hash queue, and the set of
 * names `need` (shared, read only). */
typedef struct worker_arg {
  vctx *v;
  crypto_jcs *j;
  crypto_sha256_many *h;
  const crypto_jcs_names *need;
} worker_arg;

/* Canonicalizes and hashes one line; fills e. Returns -1 when its hash
 * (or one queued before it) could not be computed, else 0. */
static int process_line(const worker_arg *w, const char *t, ev_rec *e)
{
  crypto_jcs *j = w->j;
  crypto_sha256_many *h = w->h;
  const char *val[6], *hv, *text;
  size_t vlen[6], hl, tl, i;
  crypto_jcs_code c;
  int rc;

  e->reason = LV_OK;
  e->seq_ok = 0;
  e->is_anchor = 0;
  e->anchor_ok = 0;
  e->ts[0] = 0;
  e->msg[0] = 0;
  c = crypto_jcs_canonicalize_omit(j, t, e->len, "hash");
  if(c == CRYPTO_JCS_ERR_NOMEM)
    return -1; /* no verdict on this line: the run ends unknown */
  if(c != CRYPTO_JCS_OK) {
    e->reason = LV_PARSE_ERROR;
    snprintf(e->msg, sizeof(e->msg), "%s at byte %zu", crypto_jcs_strerror(c),
             crypto_jcs_error_offset(j) + 1);
    return 0;
  }
  text = crypto_jcs_text(j, &tl);
  if(tl == 0 || text[0] != '{') {
    e->reason = LV_PARSE_ERROR;
    snprintf(e->msg, sizeof(e->msg), "not a JSON object");
    return 0;
  }
  crypto_jcs_find_members(j, w->need, val, vlen);
  if(val[0] && parse_int(val[0], vlen[0], &e->seq) == 0)
    e->seq_ok = 1;
  for(i = 0; i < 6; i++)
    if(!val[i]) {
      e->reason = LV_MISSING_MEMBER;
      snprintf(e->msg, sizeof(e->msg), "member \"%s\" is missing", need[i]);
      return 0;
    }
  hv = crypto_jcs_omitted(j, &hl);
  if(!hv) {
    e->reason = LV_MISSING_MEMBER;
    snprintf(e->msg, sizeof(e->msg), "member \"hash\" is missing");
    return 0;
  }
  if(!e->seq_ok) {
    e->reason = LV_BAD_TYPE;
    snprintf(e->msg, sizeof(e->msg), "seq is not an integer");
    return 0;
  }
  for(i = 1; i <= 3; i++)
    if(val[i][0] != '"') {
      e->reason = LV_BAD_TYPE;
      snprintf(e->msg, sizeof(e->msg), "%s is not a string", need[i]);
      return 0;
    }
  if(val[4][0] != '{') {
    e->reason = LV_BAD_TYPE;
    snprintf(e->msg, sizeof(e->msg), "payload is not an object");
    return 0;
  }
  if(parse_hash(val[5], vlen[5], e->prev) != 0) {
    e->reason = LV_BAD_TYPE;
    snprintf(e->msg, sizeof(e->msg),
             "prev_hash is not 64 lower-case hex digits");
    return 0;
  }
  if(parse_hash(hv, hl, e->hash) != 0) {
    e->reason = LV_BAD_TYPE;
    snprintf(e->msg, sizeof(e->msg), "hash is not 64 lower-case hex digits");
    return 0;
  }
  if(vlen[1] - 2 < sizeof(e->ts)) {
    memcpy(e->ts, val[1] + 1, vlen[1] - 2);
    e->ts[vlen[1] - 2] = 0;
  }
  /* e->computed is written by the worker's next crypto_sha256_many_run:
   * before the batch's records move or are handed back */
  rc = crypto_sha256_many_add(h, text, tl, e->computed);
  if(vlen[2] == 17 && memcmp(val[2], "\"AnchorSubmitted\"", 17) == 0) {
    const char *as, *ah;
    size_t asl, ahl;
    e->is_anchor = 1;
    if(crypto_jcs_member(val[4], vlen[4], "anchored_seq", &as, &asl) == 0 &&
       parse_int(as, asl, &e->anchored_seq) == 0 &&
       crypto_jcs_member(val[4], vlen[4], "anchored_hash", &ah, &ahl) == 0 &&
       parse_hash(ah, ahl, e->anchored_hash) == 0)
      e->anchor_ok = 1;
  }
  return rc;
}

/* Splits a span batch into its lines and processes each as it is found,
 * while its bytes are in this core's cache. Stops at a line longer than
 * max_line (b->too_long; the end of a span that is not at the file's end
 * without a newline is one, see lsrc_next_span). */
static void process_span(const worker_arg *w, batch *b)
{
  const char *p = b->span.text, *e = p + b->span.len;
  b->n = 0;
  b->too_long = 0;
  b->nomem = 0;
  while(p < e) {
    const char *nl = memchr(p, '\n', (size_t)(e - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(e - p);
    ev_rec *rec;
    if(len > b->max_line || (!nl && !b->span.at_end)) {
      b->too_long = 1;
      return;
    }
    if(b->n == b->cap) {
      size_t nc = b->cap ? 2 * b->cap : BATCH_LINES;
      ev_rec *ne;
      /* the queued digests' records move */
      if(crypto_sha256_many_run(w->h) != 0)
        b->hash_failed = 1;
      ne = realloc(b->ev, nc * sizeof(*ne));
      if(!ne) {
        b->nomem = 1;
        return;
      }
      b->ev = ne;
      b->cap = nc;
    }
    rec = &b->ev[b->n++];
    rec->line = 0; /* numbered when checked, in order */
    rec->offset = b->span.offset + (uint64_t)(p - b->span.text);
    rec->off = 0;
    rec->view = p;
    rec->len = len;
    rec->terminated = nl != NULL;
    if(process_line(w, p, rec) != 0)
      b->hash_failed = 1;
    p = nl ? nl + 1 : e;
  }
}

/* Processes a whole batch (worker side). */
static void process_batch(const worker_arg *w, batch *b)
{
  size_t i;
  b->hash_failed = 0;
  if(b->span.len)
    process_span(w, b);
  else
    for(i = 0; i < b->n; i++)
      if(process_line(w, b->ev[i].view ? b->ev[i].view : b->data + b->ev[i].off,
                      &b->ev[i]) != 0)
        b->hash_failed = 1;
  if(crypto_sha256_many_run(w->h) != 0)
    b->hash_failed = 1;
}

/* Worker thread: takes the oldest filled batch, processes it. */
static void *worker(void *arg)
{
  worker_arg *w = arg;
  vctx *v = w->v;
  pthread_mutex_lock(&v->mu);
  for(;;) {
    batch *pick = NULL;
    int i;
    for(i = 0; i < v->nslot; i++)
      if(v->slots[i].state == SLOT_FILLED &&
         (!pick || v->slots[i].serial < pick->serial))
        pick = &v->slots[i];
    if(!pick) {
      if(v->quit)
        break;
      pthread_cond_wait(&v->work, &v->mu);
      continue;
    }
    pick->state = SLOT_WORKING;
    pthread_mutex_unlock(&v->mu);
    process_batch(w, pick);
    pthread_mutex_lock(&v->mu);
    pick->state = SLOT_DONE;
    pthread_cond_broadcast(&v->done);
  }
  pthread_mutex_unlock(&v->mu);
  return NULL;
}

/* Records the first bad event and stops. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void
set_bad(vctx *v, const ev_rec *e, lv_reason reason, const char *fmt, ...)
{
  va_list ap;
  v->r->reason = reason;
  v->r->bad_seq = e && e->seq_ok ? e->seq : -1;
  v->r->bad_line = e ? e->line : 0;
  v->r->bad_offset = e ? e->offset : 0;
  va_start(ap, fmt);
  vsnprintf(v->r->detail, sizeof(v->r->detail), fmt, ap);
  va_end(ap);
  v->stop = 1;
}

/* Adds a sparse resume point; halves the index when full so that it
 * stays bounded. */
static void index_add(vctx *v, const ev_rec *e)
{
  if(v->index_every <= 0 || e->seq % v->index_every != 0)
    return;
  if(v->nindex == LV_INDEX_MAX) {
    size_t i, k = 0;
    for(i = 1; i < v->nindex; i += 2)
      v->index[k++] = v->index[i];
    v->nindex = k;
    v->index_every *= 2;
    if(e->seq % v->index_every != 0)
      return;
  }
  v->index[v->nindex].seq = e->seq;
  v->index[v->nindex].offset = e->offset;
  v->index[v->nindex].line = e->line;
  v->nindex++;
}

static int cmp_pending(const void *a, const void *b)
{
  const pending *x = a, *y = b;
  if(x->anchored_seq != y->anchored_seq)
    return x->anchored_seq < y->anchored_seq ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Resolves the deferred anchor checks by a second, hash-only read of the
 * verified part. On a failing one, records the earliest failing event. */
static void resolve_pending(vctx *v)
{
  lsrc_options so = v->o->src;
  lsrc *s = NULL;
  lsrc_event ev;
  crypto_jcs *j = NULL;
  char err[256];
  size_t i, k = 0;
  int64_t seq;
  const pending *worst = NULL;
  const char *worst_why = NULL;
  lsrc_code c;

  if(v->npend == 0)
    return;
  if(!v->reread_ok) {
    v->r->anchors_unresolved += v->npend;
    v->npend = 0;
    return;
  }
  qsort(v->pend, v->npend, sizeof(pending), cmp_pending);
  /* start at the nearest sparse-index point at or before the first need */
  so.start_offset = 0;
  so.start_line = 0;
  so.from_seq = 0;
  seq = 1;
  for(i = 0; i < v->nindex; i++) {
    if(v->index[i].seq > v->pend[0].anchored_seq)
      break;
    seq = v->index[i].seq;
    so.start_offset = v->index[i].offset;
    so.start_line = v->index[i].line;
  }
  if(seq > 1)
    so.from_seq = seq;
  j = crypto_jcs_new();
  if(!j || lsrc_open(&so, &s, err, sizeof(err)) != LSRC_OK) {
    v->r->anchors_unresolved += v->npend;
    goto out;
  }
  seq--;
  while(k < v->npend && (c = lsrc_next(s, &ev)) == LSRC_OK) {
    const char *hv, *sv;
    size_t hl, sl;
    int64_t got;
    uint8_t hash[32];
    seq++;
    if(seq < v->pend[k].anchored_seq)
      continue;
    /* the line of a needed seq: read its stored hash (verified before) */
    if(crypto_jcs_canonicalize_omit(j, ev.text, ev.len, "hash") !=
           CRYPTO_JCS_OK ||
       crypto_jcs_top_member(j, "seq", &sv, &sl) != 0 ||
       parse_int(sv, sl, &got) != 0 || got != seq ||
       !(hv = crypto_jcs_omitted(j, &hl)) || parse_hash(hv, hl, hash) != 0) {
      /* the ledger changed under us: leave these unresolved */
      break;
    }
    for(; k < v->npend && v->pend[k].anchored_seq == seq; k++) {
      if(memcmp(hash, v->pend[k].hash, 32) != 0 &&
         (!worst || v->pend[k].seq < worst->seq)) {
        worst = &v->pend[k];
        worst_why = "anchored_hash is not the hash of event";
      }
    }
  }
  v->r->anchors_unresolved += v->npend - k;
  if(worst && (v->r->reason == LV_OK || worst->seq < v->r->bad_seq)) {
    ev_rec e;
    memset(&e, 0, sizeof(e));
    e.seq = worst->seq;
    e.seq_ok = 1;
    e.line = worst->line;
    e.offset = worst->offset;
    set_bad(v, &e, LV_ANCHOR_MISMATCH,
            "%s %" PRId64 " (anchored %" PRId64 " events back)", worst_why,
            worst->anchored_seq, worst->seq - worst->anchored_seq);
    /* the head is the event before the bad one (its offset is unknown) */
    if(v->r->head.seq >= worst->seq) {
      v->r->events -= (uint64_t)(v->r->head.seq - (worst->seq - 1));
      v->r->head.seq = worst->seq - 1;
      crypto_hex_encode(worst->prev, 32, v->r->head.hash);
      v->r->head.line = worst->line - 1;
      v->r->head.offset = 0;
      v->r->head_ts[0] = 0;
    }
  }
out:
  lsrc_close(s);
  crypto_jcs_free(j);
  v->npend = 0;
}

/* The sequential checks of one processed batch. */
static void check_batch(vctx *v, batch *b)
{
  static const uint8_t zeros[32];
  size_t i;
  lv_result *r = v->r;
  for(i = 0; i < b->n && !v->stop; i++) {
    ev_rec *e = &b->ev[i];
    char hx[65], hy[65];
    if(v->o->resume && !v->resumed) {
      /* the first event must be the checkpoint itself */
      uint8_t want[32];
      if(!e->terminated || e->reason != LV_OK || e->seq != v->o->resume->seq ||
         crypto_hex_decode(v->o->resume->hash, 64, want, 32) != 0 ||
         memcmp(e->hash, want, 32) != 0 || memcmp(e->computed, want, 32) != 0) {
        r->checkpoint_mismatch = 1;
        v->stop = 1;
        return;
      }
      v->resumed = 1;
      v->have_prev = 1;
      v->prev_seq = e->seq;
      memcpy(v->prev_hash, e->hash, 32);
      memcpy(v->ring[e->seq % LV_WINDOW], e->hash, 32);
      v->ring_seq[e->seq % LV_WINDOW] = e->seq;
      r->head = *v->o->resume;
      snprintf(r->head_ts, sizeof(r->head_ts), "%s", e->ts);
      r->bytes = e->offset + e->len + 1;
      if(v->o->on_event)
        v->o->on_event(v->o->on_event_arg, e->seq, e->hash);
      continue;
    }
    if(!e->terminated) {
      set_bad(v, e, LV_TRUNCATED, "last line has no newline (%zu bytes)",
              (size_t)e->len);
      return;
    }
    if(e->reason != LV_OK) {
      set_bad(v, e, (lv_reason)e->reason, "%s", e->msg);
      return;
    }
    {
      int64_t expected = v->have_prev    ? v->prev_seq + 1
                         : v->o->segment ? v->o->src.from_seq
                                         : 1;
      if(e->seq > expected) {
        set_bad(v, e, LV_SEQ_GAP,
                "seq %" PRId64 " where %" PRId64 " was expected", e->seq,
                expected);
        return;
      }
      if(v->have_prev && e->seq == v->prev_seq) {
        set_bad(v, e, LV_SEQ_REPEAT, "seq %" PRId64 " repeated", e->seq);
        return;
      }
      if(e->seq < expected) {
        set_bad(v, e, LV_SEQ_ORDER,
                "seq %" PRId64 " where %" PRId64 " was expected", e->seq,
                expected);
        return;
      }
    }
    if(e->seq == 1 && memcmp(e->prev, zeros, 32) != 0) {
      set_bad(v, e, LV_BAD_GENESIS, "prev_hash of seq 1 is not 64 zeros");
      return;
    }
    if(e->seq > 1 && v->have_prev && memcmp(e->prev, v->prev_hash, 32) != 0) {
      crypto_hex_encode(e->prev, 32, hx);
      crypto_hex_encode(v->prev_hash, 32, hy);
      set_bad(v, e, LV_PREV_HASH_MISMATCH,
              "prev_hash %.16s... but event %" PRId64 " has hash %.16s...", hx,
              v->prev_seq, hy);
      return;
    }
    if(memcmp(e->computed, e->hash, 32) != 0) {
      crypto_hex_encode(e->computed, 32, hx);
      crypto_hex_encode(e->hash, 32, hy);
      set_bad(v, e, LV_HASH_MISMATCH,
              "stored hash %.16s... recomputed %.16s...", hy, hx);
      return;
    }
    if(e->is_anchor) {
      r->anchors++;
      if(!e->anchor_ok) {
        set_bad(
            v, e, LV_ANCHOR_MISMATCH,
            "payload lacks an integer anchored_seq or a 64-hex anchored_hash");
        return;
      }
      if(e->anchored_seq >= e->seq || e->anchored_seq < 1) {
        set_bad(v, e, LV_ANCHOR_MISMATCH,
                "anchored_seq %" PRId64 " is not smaller than its own seq",
                e->anchored_seq);
        return;
      }
      if(e->seq - e->anchored_seq < LV_WINDOW &&
         v->ring_seq[e->anchored_seq % LV_WINDOW] == e->anchored_seq) {
        if(memcmp(v->ring[e->anchored_seq % LV_WINDOW], e->anchored_hash, 32) !=
           0) {
          set_bad(v, e, LV_ANCHOR_MISMATCH,
                  "anchored_hash is not the hash of event %" PRId64,
                  e->anchored_seq);
          return;
        }
      }
      else {
        pending *p = &v->pend[v->npend++];
        p->anchored_seq = e->anchored_seq;
        p->seq = e->seq;
        p->line = e->line;
        p->offset = e->offset;
        memcpy(p->hash, e->anchored_hash, 32);
        memcpy(p->prev, e->prev, 32);
        r->anchors_deferred++;
        if(v->npend == LV_PENDING_MAX) {
          resolve_pending(v);
          if(v->stop)
            return;
        }
      }
    }
    if(v->o->expect && v->o->expect->seq == e->seq) {
      v->seen_expect = 1;
      if(memcmp(e->hash, v->expect_hash, 32) != 0) {
        crypto_hex_encode(e->hash, 32, hx);
        set_bad(v, e, LV_ROLLBACK,
                "event %" PRId64 " now has hash %.16s..., the checkpoint "
                "recorded %.16s...",
                e->seq, hx, v->o->expect->hash);
        return;
      }
    }
    /* event verified */
    v->have_prev = 1;
    v->prev_seq = e->seq;
    memcpy(v->prev_hash, e->hash, 32);
    memcpy(v->ring[e->seq % LV_WINDOW], e->hash, 32);
    v->ring_seq[e->seq % LV_WINDOW] = e->seq;
    index_add(v, e);
    r->events++;
    r->head.seq = e->seq;
    memcpy(v->head_hash, e->hash, 32); /* hex only once, at the end */
    r->head.offset = e->offset;
    r->head.line = e->line;
    memcpy(r->head_ts, e->ts, sizeof(r->head_ts));
    r->bytes = e->offset + e->len + 1;
    if(v->o->on_event)
      v->o->on_event(v->o->on_event_arg, e->seq, e->hash);
  }
}

/* Checks a span batch: numbers its lines (in order, so here), checks them,
 * then ends the reading where the worker stopped at a line too long (the
 * lsrc_next error for it, in the same words) or out of memory. */
static void check_span(vctx *v, batch *b, lsrc_code *end, uint64_t *errline)
{
  size_t i;
  for(i = 0; i < b->n; i++)
    b->ev[i].line = v->lines + 1 + i;
  check_batch(v, b);
  v->lines += b->n;
  if(v->stop || (!b->too_long && !b->nomem))
    return;
  v->stop = 1;
  *errline = v->lines + 1;
  if(b->nomem) {
    *end = LSRC_ERR_NOMEM;
    snprintf(v->span_err, sizeof(v->span_err), "out of memory");
  }
  else {
    *end = LSRC_ERR_TOO_LONG;
    snprintf(v->span_err, sizeof(v->span_err),
             "line %" PRIu64 " is longer than %zu bytes", *errline,
             b->max_line);
  }
}

/* Hands the progress on: a file's bytes of its size; a table's bytes read
 * of an estimate of its bytes from its row estimate (lsrc_progress_total),
 * so that the percent is the share of rows read. */
static void report_progress(const lv_options *o, const lsrc_options *so,
                            const lsrc *s, const lv_result *r, uint64_t rows)
{
  int64_t total = r->file_size;
  uint64_t bytes = r->bytes;
  if(lsrc_is_table(s)) {
    bytes = lsrc_bytes(s);
    total = lsrc_progress_total(s, rows, so->from_seq, so->to_seq);
  }
  o->progress(o->progress_arg, r->events, bytes, total);
}

/* Fills batch b from the source, copying each line (or, when the source's
 * texts stay valid, taking views of them). Returns the lsrc code
 * that ended the filling (LSRC_OK when the batch is full; *errline is the
 * line an error names). A line that does not fit the batch's bytes is
 * carried over to the next batch (its text stays valid: no lsrc_next call
 * happens before the next fill_batch takes it). */
static lsrc_code fill_batch(lsrc *s, batch *b, lsrc_event *carry,
                            int *have_carry, uint64_t *errline)
{
  lsrc_code c = LSRC_OK;
  b->n = 0;
  b->dlen = 0;
  b->span.len = 0;
  if(lsrc_keep_views(s)) {
    /* the texts stay valid until the source closes: one span of whole
     * lines, which the worker splits (the reader does no per-line work) */
    c = lsrc_next_span(s, BATCH_BYTES, &b->span);
    if(c == LSRC_OK)
      b->max_line = lsrc_max_line(s);
    else
      b->span.len = 0;
    return c;
  }
  while(b->n < BATCH_LINES) {
    lsrc_event ev;
    ev_rec *e;
    if(*have_carry) {
      ev = *carry;
      *have_carry = 0;
    }
    else if((c = lsrc_next(s, &ev)) != LSRC_OK) {
      *errline = ev.line;
      return c;
    }
    if(b->dlen + ev.len + 1 > b->dcap) {
      if(b->n > 0 && b->dlen + ev.len + 1 > BATCH_BYTES) {
        /* keep it for the next batch */
        *carry = ev;
        *have_carry = 1;
        return LSRC_OK;
      }
      {
        size_t nc = b->dcap ? b->dcap : BATCH_BYTES;
        char *nd;
        while(nc < b->dlen + ev.len + 1)
          nc *= 2;
        nd = realloc(b->data, nc);
        if(!nd)
          return LSRC_ERR_NOMEM;
        b->data = nd;
        b->dcap = nc;
      }
    }
    e = &b->ev[b->n++];
    e->line = ev.line;
    e->offset = ev.offset;
    e->off = b->dlen;
    e->view = NULL;
    e->len = ev.len;
    e->terminated = (uint8_t)ev.terminated;
    memcpy(b->data + b->dlen, ev.text, ev.len);
    b->data[b->dlen + ev.len] = 0;
    b->dlen += ev.len + 1;
  }
  return c;
}

/* The pipeline: fills batches while slots are free, hands them to the
 * workers (or processes them itself when there are none), checks them in
 * order, helping with the oldest unclaimed batch rather than waiting.
 * *end is the lsrc code that ended the reading. */
static void pump(vctx *v, lsrc *s, const lsrc_options *so, worker_arg *self,
                 int started, lsrc_code *end, uint64_t *errline)
{
  uint64_t head = 0, tail = 0, tail_rows = 0;
  lsrc_event carry;
  int have_carry = 0, reading = 1, i;

  for(;;) {
    batch *b;
    while(reading && tail - head < (uint64_t)v->nslot && !v->stop) {
      b = &v->slots[tail % (uint64_t)v->nslot];
      *end = fill_batch(s, b, &carry, &have_carry, errline);
      if(*end != LSRC_OK)
        reading = 0;
      if(b->n == 0 && b->span.len == 0)
        break;
      b->serial = v->next_serial++;
      if(b->n > 0)
        tail_rows = b->ev[b->n - 1].line;
      if(started > 0) {
        pthread_mutex_lock(&v->mu);
        b->state = SLOT_FILLED;
        pthread_cond_signal(&v->work);
        pthread_mutex_unlock(&v->mu);
      }
      else {
        process_batch(self, b);
        b->state = SLOT_DONE;
      }
      tail++;
    }
    if(head == tail)
      break;
    b = &v->slots[head % (uint64_t)v->nslot];
    if(started > 0) {
      pthread_mutex_lock(&v->mu);
      while(b->state != SLOT_DONE) {
        /* help rather than wait: take the oldest batch nobody works on */
        batch *pick = NULL;
        for(i = 0; i < v->nslot; i++)
          if(v->slots[i].state == SLOT_FILLED &&
             (!pick || v->slots[i].serial < pick->serial))
            pick = &v->slots[i];
        if(!pick) {
          pthread_cond_wait(&v->done, &v->mu);
          continue;
        }
        pick->state = SLOT_WORKING;
        pthread_mutex_unlock(&v->mu);
        process_batch(self, pick);
        pthread_mutex_lock(&v->mu);
        pick->state = SLOT_DONE;
      }
      pthread_mutex_unlock(&v->mu);
    }
    if(!v->stop && b->hash_failed) {
      /* no verdict on events that were never hashed: zeros would read
       * as a mismatch, so the run ends unknown */
      v->stop = 1;
      *end = LSRC_ERR_NOMEM;
      snprintf(v->span_err, sizeof(v->span_err),
               "canonicalizing and hashing the events ran out of memory");
    }
    else if(!v->stop && b->span.len)
      check_span(v, b, end, errline);
    else if(!v->stop)
      check_batch(v, b);
    /* done with what came before */
    if(b->span.len)
      lsrc_release(s, b->span.offset + b->span.len);
    else
      lsrc_release(s, b->ev[b->n - 1].offset);
    if(started > 0) {
      /* workers scan the states under the mutex */
      pthread_mutex_lock(&v->mu);
      b->state = SLOT_FREE;
      pthread_mutex_unlock(&v->mu);
    }
    else
      b->state = SLOT_FREE;
    head++;
    if(v->o->progress)
      report_progress(v->o, so, s, v->r, b->span.len ? v->lines : tail_rows);
  }
}

/* After the last batch: the head's hash in hex, the deferred anchors,
 * what ended the reading (a line too long is a parse error, a read error
 * makes the result unknown: -1), a checkpoint that was never reached. */
static int finish_run(vctx *v, lsrc *s, lsrc_code end, uint64_t errline)
{
  lv_result *r = v->r;
  if(lsrc_truncated(s)) {
    /* what was read since may be zeros where the lost bytes were */
    snprintf(r->error, sizeof(r->error), "%s",
             "the ledger file was truncated while read");
    r->source_error = 1;
    return -1;
  }
  if(r->head.seq > 0 && (!v->o->resume || r->events > 0))
    crypto_hex_encode(v->head_hash, 32, r->head.hash);
  /* deferred anchors: they may name an event before the one that failed */
  if(!r->checkpoint_mismatch)
    resolve_pending(v);
  if(v->o->resume && !v->resumed && !r->checkpoint_mismatch && end == LSRC_EOF)
    r->checkpoint_mismatch = 1; /* nothing at the checkpoint's offset */
  if(r->reason == LV_OK && !r->checkpoint_mismatch && end != LSRC_EOF) {
    if(end == LSRC_ERR_TOO_LONG) {
      ev_rec e;
      memset(&e, 0, sizeof(e));
      e.line = errline;
      set_bad(v, &e, LV_PARSE_ERROR, "%s",
              v->span_err[0] ? v->span_err : lsrc_error(s));
    }
    else {
      snprintf(r->error, sizeof(r->error), "%s",
               v->span_err[0] ? v->span_err : lsrc_error(s));
      r->source_error = 1;
      return -1;
    }
  }
  if(r->reason == LV_OK && !r->checkpoint_mismatch && v->o->expect &&
     v->o->expect->seq > 0 && !v->seen_expect) {
    set_bad(v, NULL, LV_ROLLBACK,
            "the ledger ends at seq %" PRId64
            ", before the checkpoint's seq %" PRId64,
            r->head.seq, v->o->expect->seq);
    r->bad_seq = r->head.seq + 1;
  }
  if(r->reason == LV_OK || lsrc_is_table(s))
    r->bytes = lsrc_bytes(s);
  return 0;
}

/* Allocates the batches, the ring, the index, the pending anchors, the
 * name set and each worker's canonicalizer and hash; 0, or -1 when out
 * of memory (the caller frees what was taken; *nth becomes the count of
 * complete worker states). */
static int alloc_state(vctx *v, worker_arg *wa, int *nth)
{
  int i;
  v->slots = calloc((size_t)v->nslot, sizeof(batch));
  v->ring = malloc(sizeof(*v->ring) * LV_WINDOW);
  v->ring_seq = calloc(LV_WINDOW, sizeof(int64_t));
  v->index = malloc(sizeof(index_ent) * LV_INDEX_MAX);
  v->pend = malloc(sizeof(pending) * LV_PENDING_MAX);
  v->need = crypto_jcs_names_new(need, sizeof(need) / sizeof(need[0]));
  if(!v->slots || !v->ring || !v->ring_seq || !v->index || !v->pend || !v->need)
    return -1;
  for(i = 0; i < v->nslot; i++) {
    v->slots[i].ev = malloc(sizeof(ev_rec) * BATCH_LINES);
    if(!v->slots[i].ev)
      return -1;
    v->slots[i].cap = BATCH_LINES;
  }
  for(i = 0; i < *nth; i++) {
    wa[i].v = v;
    wa[i].need = v->need;
    wa[i].j = crypto_jcs_new();
    wa[i].h =
        crypto_sha256_many_new(v->few ? CRYPTO_SHA256_FEW : CRYPTO_SHA256_AUTO);
    if(!wa[i].j || !wa[i].h) {
      crypto_jcs_free(wa[i].j);
      crypto_sha256_many_free(wa[i].h);
      wa[i].j = NULL;
      wa[i].h = NULL;
      *nth = i;
      return -1;
    }
  }
  return 0;
}

int lv_verify(const lv_options *o, lv_result *r)
{
  vctx v;
  lsrc *s = NULL;
  lsrc_options so = o->src;
  pthread_t th[MAX_THREADS];
  worker_arg wa[MAX_THREADS + 1];
  int nth = o->threads, started = 0, i, rc = -1, mu_init = 0;
  lsrc_code end = LSRC_OK;
  uint64_t errline = 0;
  char err[256];

  pthread_once(&hexval_once, hexval_init);
  memset(wa, 0, sizeof(wa)); /* freed on every path, also before use */
  memset(r, 0, sizeof(*r));
  memset(&v, 0, sizeof(v));
  r->bad_seq = -1;
  r->file_size = -1;
  v.o = o;
  v.r = r;
  if(nth <= 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    nth = n > 0 ? (int)n : 1;
  }
  if(nth > MAX_THREADS)
    nth = MAX_THREADS;
  if(o->expect && o->expect->seq > 0 &&
     crypto_hex_decode(o->expect->hash, 64, v.expect_hash, 32) != 0) {
    snprintf(r->error, sizeof(r->error), "bad checkpoint hash");
    r->source_error = 1;
    return -1;
  }
  if(o->resume) {
    so.start_offset = o->resume->offset;
    so.start_line = o->resume->line;
    so.from_seq = o->resume->seq;
  }
  if(lsrc_open(&so, &s, err, sizeof(err)) != LSRC_OK) {
    if(o->resume) {
      /* e.g. the file shrank below the checkpoint's offset */
      if(strstr(err, "beyond the end")) {
        r->checkpoint_mismatch = 1;
        return 0;
      }
    }
    snprintf(r->error, sizeof(r->error), "%s", err);
    r->source_error = 1;
    return -1;
  }
  r->file_size = lsrc_file_size(s);
  /* a short remainder (the usual incremental run) is not worth threads,
   * nor the multi-buffer hash's set-up */
  if(o->resume && r->file_size >= 0 &&
     (uint64_t)r->file_size - o->resume->offset < (8u << 20)) {
    nth = 1;
    v.few = 1;
  }
  v.reread_ok = strcmp(o->src.source, "-") != 0;
  v.lines = so.start_line > 0 ? so.start_line - 1 : 0;
  v.index_every = 1024;
  v.nslot = nth > 1 ? 2 * nth + 1 : 1;
  if(alloc_state(&v, wa, &nth) != 0)
    goto nomem;
  pthread_mutex_init(&v.mu, NULL);
  pthread_cond_init(&v.work, NULL);
  pthread_cond_init(&v.done, NULL);
  mu_init = 1;
  /* nth - 1 workers; the calling thread is the last of the nth: it reads,
   * checks in order, and processes batches itself while it would wait */
  if(nth > 1)
    for(started = 0; started < nth - 1; started++)
      if(pthread_create(&th[started], NULL, worker, &wa[started]) != 0)
        break;

  pump(&v, s, &so, &wa[nth - 1], started, &end, &errline);
  if(started > 0) {
    pthread_mutex_lock(&v.mu);
    v.quit = 1;
    pthread_cond_broadcast(&v.work);
    pthread_mutex_unlock(&v.mu);
    for(i = 0; i < started; i++)
      pthread_join(th[i], NULL);
  }
  if(finish_run(&v, s, end, errline) != 0)
    goto out;
  rc = 0;
  goto out;
nomem:
  snprintf(r->error, sizeof(r->error), "out of memory");
  r->source_error = 1;
out:
  for(i = 0; i < nth; i++) {
    crypto_jcs_free(wa[i].j);
    crypto_sha256_many_free(wa[i].h);
  }
  if(mu_init) {
    pthread_mutex_destroy(&v.mu);
    pthread_cond_destroy(&v.work);
    pthread_cond_destroy(&v.done);
  }
  if(v.slots)
    for(i = 0; i < v.nslot; i++) {
      free(v.slots[i].data);
      free(v.slots[i].ev);
    }
  free(v.slots);
  crypto_jcs_names_free(v.need);
  free(v.ring);
  free(v.ring_seq);
  free(v.index);
  free(v.pend);
  lsrc_close(s);
  return rc;
}

int lv_scan_head(const lsrc_options *src, int64_t *events, int64_t *head_seq)
{
  lsrc_options so = *src;
  lsrc *s = NULL;
  lsrc_event ev;
  lsrc_code c;
  crypto_jcs *j = NULL;
  char err[256], *last = NULL;
  size_t lastlen = 0, lastcap = 0;
  int64_t n = 0, seq = 0;
  int rc = -1;
  const char *sv;
  size_t sl;

  so.start_offset = 0;
  so.start_line = 0;
  so.from_seq = 0;
  if(!strcmp(so.source, "-"))
    return -1; /* read once already */
  if(lsrc_open(&so, &s, err, sizeof(err)) != LSRC_OK)
    return -1;
  while((c = lsrc_next(s, &ev)) == LSRC_OK) {
    n++;
    if(ev.len + 1 > lastcap) {
      size_t nc = lastcap ? lastcap : 4096;
      char *nb;
      while(nc < ev.len + 1)
        nc *= 2;
      if(!(nb = realloc(last, nc)))
        goto out;
      last = nb;
      lastcap = nc;
    }
    memcpy(last, ev.text, ev.len);
    lastlen = ev.len;
  }
  if(c != LSRC_EOF && c != LSRC_ERR_TOO_LONG)
    goto out;
  /* the last event's own seq when it has one, else the count */
  seq = n;
  if(last && (j = crypto_jcs_new()) &&
     crypto_jcs_canonicalize_omit(j, last, lastlen, "hash") == CRYPTO_JCS_OK &&
     crypto_jcs_top_member(j, "seq", &sv, &sl) == 0) {
    int64_t got;
    if(parse_int(sv, sl, &got) == 0 && got > 0)
      seq = got;
  }
  *events = n;
  *head_seq = seq;
  rc = 0;
out:
  crypto_jcs_free(j);
  free(last);
  lsrc_close(s);
  return rc;
}

/* --- the hash at a seq (lverify.h: lv_line_hash, lv_hash_at) ------------ */

struct lv_hasher {
  crypto_jcs *jcs;
  crypto_sha256_many *sha; /* the verifier's engine, one message a run;
                              made on the first computed hash, since the
                              anchor plugin only reads stored ones and a
                              manager's set-up is 0.3-0.7 ms (measured) */
};

/* A canonicalizer and a hash reused over the lines. */
lv_hasher *lv_hasher_new(void)
{
  lv_hasher *h = calloc(1, sizeof(*h));
  if(!h || !(h->jcs = crypto_jcs_new())) {
    lv_hasher_free(h);
    return NULL;
  }
  return h;
}

void lv_hasher_free(lv_hasher *h)
{
  if(!h)
    return;
  crypto_jcs_free(h->jcs);
  crypto_sha256_many_free(h->sha);
  free(h);
}

/* A canonical integer member (JCS spelling: digits, optional '-') up to
 * 2^53, as the verifier takes seq. */
static int hash_at_int(const char *v, size_t n, int64_t *out)
{
  char buf[24];
  char *end;
  long long x;
  if(n == 0 || n > 17 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')))
    return -1;
  memcpy(buf, v, n);
  buf[n] = '\0';
  x = strtoll(buf, &end, 10);
  if(*end || x > (1LL << 53) || x < -(1LL << 53))
    return -1;
  *out = x;
  return 0;
}

int lv_line_hash(lv_hasher *h, const char *text, size_t len, unsigned want,
                 lv_hash *out)
{
  const char *v, *canon;
  size_t vl, cl;
  crypto_jcs_code c;
  memset(out, 0, sizeof(*out));
  c = crypto_jcs_canonicalize_omit(h->jcs, text, len, "hash");
  if(c == CRYPTO_JCS_ERR_NOMEM)
    return -3;
  if(c != CRYPTO_JCS_OK)
    return -1;
  canon = crypto_jcs_text(h->jcs, &cl);
  if(cl == 0 || canon[0] != '{')
    return -1;
  if(crypto_jcs_top_member(h->jcs, "seq", &v, &vl) != 0 ||
     hash_at_int(v, vl, &out->seq) != 0)
    return -2;
  v = (want & LV_HASH_STORED) ? crypto_jcs_omitted(h->jcs, &vl) : NULL;
  if(v && vl == 66 && v[0] == '"' && v[65] == '"' &&
     crypto_hex_is_hash64(v + 1, 64) &&
     crypto_hex_decode(v + 1, 64, out->stored, 32) == 0)
    out->stored_ok = 1;
  if(want & LV_HASH_COMPUTED) {
    /* a hash that could not be computed (EVP's context is made on first
     * use, and may not be) is no answer, as it ends a verifier's run */
    if((!h->sha && !(h->sha = crypto_sha256_many_new(CRYPTO_SHA256_AUTO))) ||
       crypto_sha256_many_add(h->sha, canon, cl, out->computed) != 0 ||
       crypto_sha256_many_run(h->sha) != 0)
      return -3;
    out->computed_ok = 1;
  }
  return 0;
}

int lv_hasher_member(const lv_hasher *h, const char *name, const char **v,
                     size_t *len)
{
  return crypto_jcs_top_member(h->jcs, name, v, len);
}

/* The index of seq in the ascending seqs[0..n), or n. */
static size_t hash_at_find(const int64_t *seqs, size_t n, int64_t seq)
{
  size_t lo = 0, hi = n;
  while(lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if(seqs[mid] < seq)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && seqs[lo] == seq ? lo : n;
}

int lv_hash_at(const lsrc_options *src, const int64_t *seqs, size_t n,
               unsigned want, lv_hash *out, char *err, size_t errlen)
{
  lv_hasher *h = lv_hasher_new();
  lsrc *s = NULL;
  lsrc_event ev;
  lsrc_code c = LSRC_EOF;
  size_t left = n;
  lv_hash one;
  int rc = -1;
  memset(out, 0, n * sizeof(*out));
  if(!h) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  if(n && lsrc_open(src, &s, err, errlen) != LSRC_OK)
    goto out;
  while(left && (c = lsrc_next(s, &ev)) == LSRC_OK) {
    size_t k;
    int lh = lv_line_hash(h, ev.text, ev.len, want, &one);
    if(lh == -3) { /* not "no such event": no answer */
      snprintf(err, errlen, "out of memory at line %" PRIu64, ev.line);
      goto out;
    }
    if(lh != 0 || (k = hash_at_find(seqs, n, one.seq)) == n || out[k].found)
      continue;
    out[k] = one;
    out[k].found = 1;
    left--;
  }
  if(left && c != LSRC_EOF) {
    snprintf(err, errlen, "%s", lsrc_error(s));
    goto out;
  }
  rc = 0;
out:
  lsrc_close(s);
  lv_hasher_free(h);
  return rc;
}
