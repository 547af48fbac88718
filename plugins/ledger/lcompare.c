/*
 * lcompare.c: compare_with, two copies of the ledger side by side: the
 * copy is read in step with the live ledger's verification pass (see
 * lcompare.h for what is checked and why in one pass).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hex.h"
#include "crypto/jcs.h"
#include "crypto/sha256.h"
#include "plugins/ledger/lcompare.h"

/* The copy being read, and what the comparison found so far. */
struct lc_stream {
  lsrc *b;
  crypto_jcs *j;
  char prev[65];  /* hash of the copy's last intact event (genesis: zeros) */
  int b_stop;     /* the copy ended, broke or failed: read no further */
  lc_result r;
};

/* What one event gives the comparison. */
typedef struct lc_ev {
  int64_t seq;
  char hash[65], prev[65];
} lc_ev;

/* Copies a canonical JSON string of 64 lower-case hex digits into out. */
static int hash_of(const char *v, size_t n, char out[65])
{
  if(n != 66 || v[0] != '"' || v[65] != '"' || !crypto_hex_is_hash64(v + 1, 64))
    return -1;
  memcpy(out, v + 1, 64);
  out[64] = '\0';
  return 0;
}

/* Reads seq, hash and prev_hash of one event and checks that its hash is
 * the SHA-256 of its JCS text without "hash". 0, or -1 with why. */
static int read_ev(crypto_jcs *j, const lsrc_event *e, lc_ev *out, char *why, size_t n)
{
  const char *v, *text;
  size_t vl, tl;
  crypto_jcs_code c = crypto_jcs_canonicalize_omit(j, e->text, e->len, "hash");
  if(c != CRYPTO_JCS_OK) {
    snprintf(why, n, "parse_error: %s", crypto_jcs_strerror(c));
    return -1;
  }
  if(crypto_jcs_top_member(j, "seq", &v, &vl) != 0 || vl == 0 || vl > 18 ||
     strspn(v, "0123456789") < vl) {
    snprintf(why, n, "bad_type: seq missing or not a positive integer");
    return -1;
  }
  char num[20];
  memcpy(num, v, vl);
  num[vl] = '\0';
  out->seq = strtoll(num, NULL, 10);
  v = crypto_jcs_omitted(j, &vl);
  if(!v || hash_of(v, vl, out->hash) != 0) {
    snprintf(why, n, "bad_type: hash missing or not 64 hex digits");
    return -1;
  }
  if(crypto_jcs_top_member(j, "prev_hash", &v, &vl) != 0 || hash_of(v, vl, out->prev) != 0) {
    snprintf(why, n, "bad_type: prev_hash missing or not 64 hex digits");
    return -1;
  }
  char hex[65];
  text = crypto_jcs_text(j, &tl);
  if(crypto_sha256_hex(text, tl, hex) != 0 || strcmp(hex, out->hash) != 0) {
    snprintf(why, n, "hash_mismatch: the stored hash is not the event's");
    return -1;
  }
  return 0;
}

int lc_open(const lsrc_options *bo, lc_stream **out, char *err, size_t errlen)
{
  lc_stream *s = calloc(1, sizeof(*s));
  char why[256];
  *out = NULL;
  if(!s || !(s->j = crypto_jcs_new())) {
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  if(lsrc_open(bo, &s->b, why, sizeof(why)) != LSRC_OK) {
    snprintf(err, errlen, "%s", why);
    goto fail;
  }
  memset(s->prev, '0', 64);
  *out = s;
  return 0;
fail:
  lc_close(s);
  return -1;
}

/* Reads and verifies the copy's next event; on its end, a bad event or a
 * read error, sets b_stop (and what it was). */
static void read_next(lc_stream *s)
{
  lc_result *r = &s->r;
  int64_t want = r->b_head + 1;
  lsrc_event e;
  lc_ev v;
  char why[200];
  lsrc_code c = lsrc_next(s->b, &e);
  if(c == LSRC_EOF) {
    s->b_stop = 1;
    return;
  }
  s->b_stop = 1; /* unless this event is intact */
  if(c != LSRC_OK) {
    r->source_error = 1;
    snprintf(r->error, sizeof(r->error), "compare_with: %s", lsrc_error(s->b));
    return;
  }
  r->b_bad_seq = want;
  if(!e.terminated) {
    snprintf(r->b_detail, sizeof(r->b_detail), "truncated: the last line has no newline");
    return;
  }
  if(read_ev(s->j, &e, &v, why, sizeof(why)) != 0) {
    snprintf(r->b_detail, sizeof(r->b_detail), "%s", why);
    return;
  }
  if(v.seq != want) {
    snprintf(r->b_detail, sizeof(r->b_detail), "seq_gap: seq %lld where %lld was due",
             (long long)v.seq, (long long)want);
    return;
  }
  if(strcmp(v.prev, s->prev) != 0) {
    snprintf(r->b_detail, sizeof(r->b_detail), "prev_hash_mismatch");
    return;
  }
  r->b_bad_seq = 0;
  s->b_stop = 0;
  memcpy(s->prev, v.hash, sizeof(s->prev));
  r->b_head = v.seq;
  memcpy(r->b_hash, v.hash, sizeof(r->b_hash));
}

void lc_feed(void *arg, int64_t seq, const uint8_t hash[32])
{
  lc_stream *s = arg;
  lc_result *r = &s->r;
  char hex[65];
  if(r->fork_seq)
    return; /* the rest of the copy is only verified (lc_finish) */
  while(!s->b_stop && r->b_head < seq)
    read_next(s);
  if(r->b_head != seq)
    return; /* the copy ends (or breaks) before seq */
  crypto_hex_encode(hash, 32, hex);
  r->a_seen = seq;
  r->compared++;
  if(strcmp(hex, r->b_hash) != 0)
    r->fork_seq = seq;
}

int lc_finish(lc_stream *s, int64_t a_head, lc_result *r)
{
  while(!s->b_stop)
    read_next(s);
  if(s->r.a_seen > a_head)
    s->r.a_seen = a_head;
  *r = s->r;
  return r->source_error ? -1 : 0;
}

void lc_close(lc_stream *s)
{
  if(!s)
    return;
  lsrc_close(s->b);
  crypto_jcs_free(s->j);
  free(s);
}
