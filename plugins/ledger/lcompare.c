/*
 * lcompare.c: compare_with, two copies of the ledger side by side (see
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

/* Reads seq, hash and prev_hash of one event; with verify, also checks
 * that its hash is the SHA-256 of its JCS text without "hash". 0, or -1
 * with why. */
static int read_ev(crypto_jcs *j, const lsrc_event *e, int verify, lc_ev *out, char *why,
                   size_t n)
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
  if(verify) {
    char hex[65];
    text = crypto_jcs_text(j, &tl);
    if(crypto_sha256_hex(text, tl, hex) != 0 || strcmp(hex, out->hash) != 0) {
      snprintf(why, n, "hash_mismatch: the stored hash is not the event's");
      return -1;
    }
  }
  return 0;
}

int lc_compare(const lsrc_options *ao, const lsrc_options *bo, lc_result *r)
{
  lsrc *a = NULL, *b = NULL;
  crypto_jcs *ja = crypto_jcs_new(), *jb = crypto_jcs_new();
  char err[256], prev[65];
  int rc = -1, a_done = 0;
  memset(r, 0, sizeof(*r));
  memset(prev, '0', 64);
  prev[64] = '\0';
  if(!ja || !jb) {
    r->source_error = 1;
    snprintf(r->error, sizeof(r->error), "out of memory");
    goto out;
  }
  if(lsrc_open(bo, &b, err, sizeof(err)) != LSRC_OK) {
    r->source_error = 1;
    snprintf(r->error, sizeof(r->error), "compare_with: %s", err);
    goto out;
  }
  if(lsrc_open(ao, &a, err, sizeof(err)) != LSRC_OK) {
    r->source_error = 1;
    snprintf(r->error, sizeof(r->error), "source: %s", err);
    goto out;
  }
  for(int64_t want = 1;; want++) {
    lsrc_event eb, ea;
    lc_ev vb, va;
    char why[200];
    lsrc_code cb = lsrc_next(b, &eb);
    if(cb == LSRC_EOF)
      break;
    if(cb != LSRC_OK) {
      r->source_error = 1;
      snprintf(r->error, sizeof(r->error), "compare_with: %s", lsrc_error(b));
      goto out;
    }
    if(!eb.terminated) {
      r->b_bad_seq = want;
      snprintf(r->b_detail, sizeof(r->b_detail), "truncated: the last line has no newline");
      break;
    }
    if(read_ev(jb, &eb, 1, &vb, why, sizeof(why)) != 0) {
      r->b_bad_seq = want;
      snprintf(r->b_detail, sizeof(r->b_detail), "%s", why);
      break;
    }
    if(vb.seq != want) {
      r->b_bad_seq = want;
      snprintf(r->b_detail, sizeof(r->b_detail), "seq_gap: seq %lld where %lld was due",
               (long long)vb.seq, (long long)want);
      break;
    }
    if(strcmp(vb.prev, prev) != 0) {
      r->b_bad_seq = want;
      snprintf(r->b_detail, sizeof(r->b_detail), "prev_hash_mismatch");
      break;
    }
    memcpy(prev, vb.hash, sizeof(prev));
    r->b_head = vb.seq;
    memcpy(r->b_hash, vb.hash, sizeof(r->b_hash));
    if(a_done || r->fork_seq)
      continue; /* keep verifying the copy to its end */
    lsrc_code ca = lsrc_next(a, &ea);
    if(ca == LSRC_EOF) {
      a_done = 1;
      continue;
    }
    if(ca != LSRC_OK || read_ev(ja, &ea, 0, &va, why, sizeof(why)) != 0 || va.seq != want) {
      a_done = 1; /* the live ledger's own line reports it */
      continue;
    }
    r->a_seen = va.seq;
    r->compared++;
    if(strcmp(va.hash, vb.hash) != 0)
      r->fork_seq = want;
  }
  rc = 0;
out:
  lsrc_close(a);
  lsrc_close(b);
  crypto_jcs_free(ja);
  crypto_jcs_free(jb);
  return rc;
}
