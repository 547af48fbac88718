/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aledger.c: the anchor plugin reading the ledger (over ledgerscan.h):
 * every AnchorSubmitted event parsed into an anchor, the AnchorSuperseded
 * tx hashes, and for each anchor the ledger's hash at its anchored_seq
 * (LH_*), from a ring of recent hashes kept while reading or, for those
 * too far back, a second hash-only pass. Long reads report their
 * progress to the host (at most a few times a second).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/hex.h"
#include "lib/rfc3339.h"
#include "plugins/anchor/anchor.h"
#include "plugins/common/putil.h"
#include "plugins/ledger/lverify.h"

#define PROGRESS_EVERY 1024 /* events between looks at the clock */
#define PROGRESS_MS 250.0   /* least time between two progress reports */


/* Seconds since the epoch of an RFC 3339 time (lib/rfc3339.h); NAN when
 * malformed, as the rules expect. */
static double parse_ts(const char *s)
{
  double t;
  return rfc3339_parse(s, &t) == 0 ? t : NAN;
}

/* Integer member of an object, exactly (no fraction, fits int64). */
static int get_int(const cJSON *o, const char *name, int64_t *out)
{
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsNumber(it) ? putil_exact_int(it->valuedouble, out) : -1;
}

/* Fills a from an AnchorSubmitted event's payload. */
static void parse_anchor(anchor *a, const cJSON *payload)
{
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(payload, "anchored_hash");
  const cJSON *tx = cJSON_GetObjectItemCaseSensitive(payload, "tx_hash");
  int64_t chain;
  if(cJSON_IsString(tx) && strlen(tx->valuestring) == 66 &&
     strncmp(tx->valuestring, "0x", 2) == 0 &&
     crypto_hex_decode(tx->valuestring, 66, a->tx_hash, 32) == 0)
    anchor_hex32(a->tx_hash, a->tx_hex);
  else {
    a->malformed = 1;
    snprintf(a->malformed_why, sizeof(a->malformed_why),
             "payload.tx_hash is not 0x and 64 hex digits");
    snprintf(a->tx_hex, sizeof(a->tx_hex), "(none)");
    return;
  }
  if(!cJSON_IsObject(payload) ||
     get_int(payload, "anchored_seq", &a->anchored_seq) != 0)
    snprintf(a->malformed_why, sizeof(a->malformed_why),
             "payload.anchored_seq is not an integer");
  else if(!cJSON_IsString(h) ||
          !crypto_hex_is_hash64(h->valuestring, strlen(h->valuestring)) ||
          crypto_hex_decode(h->valuestring, 64, a->anchored_hash, 32) != 0)
    snprintf(a->malformed_why, sizeof(a->malformed_why),
             "payload.anchored_hash is not 64 lower-case hex digits");
  else if(get_int(payload, "chain_id", &chain) != 0 || chain < 0)
    snprintf(a->malformed_why, sizeof(a->malformed_why),
             "payload.chain_id is not a non-negative integer");
  else {
    a->chain_id = (uint64_t)chain;
    return;
  }
  a->malformed = 1;
}

/* An AnchorSubmitted event at seq: its anchor, with the ledger's hash at
 * anchored_seq when the ring still has it. 0, or -1 out of memory. */
static int add_anchor(run *r, const cJSON *ev, int64_t seq)
{
  anchor *a;
  const cJSON *ts = cJSON_GetObjectItemCaseSensitive(ev, "ts");
  if(r->na == r->cap) {
    size_t ncap = r->cap ? r->cap * 2 : 64;
    anchor *na = realloc(r->a, ncap * sizeof(*na));
    if(!na)
      return -1;
    r->a = na;
    r->cap = ncap;
  }
  a = &r->a[r->na++];
  memset(a, 0, sizeof(*a));
  a->seq = seq;
  a->ts = cJSON_IsString(ts) ? parse_ts(ts->valuestring) : NAN;
  parse_anchor(a, cJSON_GetObjectItemCaseSensitive(ev, "payload"));
  if(a->malformed)
    return 0;
  if(a->anchored_seq >= a->seq) {
    a->lh = LH_NOT_BEFORE;
    return 0;
  }
  size_t k = (size_t)((uint64_t)a->anchored_seq % RING);
  if(a->anchored_seq > 0 && r->ring_seq[k] == a->anchored_seq)
    a->lh =
        memcmp(a->anchored_hash, r->ring_hash[k], 32) == 0 ? LH_OK : LH_DIFFERS;
  else
    r->unresolved++;
  return 0;
}

/* An AnchorSuperseded event: the tx hash it retires. 0, or -1. */
static int add_superseded(run *r, const cJSON *ev)
{
  const cJSON *payload = cJSON_GetObjectItemCaseSensitive(ev, "payload");
  const cJSON *tx = cJSON_GetObjectItemCaseSensitive(payload, "tx_hash");
  uint8_t th[32];
  if(!cJSON_IsString(tx) || strlen(tx->valuestring) != 66 ||
     crypto_hex_decode(tx->valuestring, 66, th, 32) != 0)
    return 0;
  if(r->nsup == r->capsup) {
    size_t ncap = r->capsup ? r->capsup * 2 : 16;
    uint8_t(*ns)[32] = realloc(r->superseded, ncap * 32);
    if(!ns)
      return -1;
    r->superseded = ns;
    r->capsup = ncap;
  }
  memcpy(r->superseded[r->nsup++], th, 32);
  return 0;
}

/* First pass: every event. Its seq and stored hash are read by the
 * verifier's engine (lv_line_hash), so that rule 7 takes "the ledger's
 * hash at seq" exactly as the ledger plugin does; only the anchor events
 * are parsed further. */
static int scan_event(void *ud, const char *text, size_t len, uint64_t line)
{
  run *r = ud;
  lv_hash lh;
  const char *type;
  size_t tl;
  int rc = 0, sub;
  cJSON *ev;
  (void)line;
  if((rc = lv_line_hash(r->hasher, text, len, LV_HASH_STORED, &lh)) == -3)
    return -1; /* out of memory: skipping it would lose an anchor */
  if(rc == -1)
    return 0; /* the ledger plugin reports broken events; we skip them */
  r->events++;
  if(rc != 0)
    return 0;
  if(lh.seq > r->head_seq)
    r->head_seq = lh.seq;
  if(lh.stored_ok) {
    size_t k = (size_t)((uint64_t)lh.seq % RING);
    r->ring_seq[k] = lh.seq;
    memcpy(r->ring_hash[k], lh.stored, 32);
  }
  if(lv_hasher_member(r->hasher, "type", &type, &tl) != 0)
    return 0;
  sub = tl == 17 && memcmp(type, "\"AnchorSubmitted\"", 17) == 0;
  if(!sub && !(tl == 18 && memcmp(type, "\"AnchorSuperseded\"", 18) == 0))
    return 0;
  if(!(ev = cJSON_ParseWithLength(text, len)))
    return 0;
  rc = sub ? add_anchor(r, ev, lh.seq) : add_superseded(r, ev);
  cJSON_Delete(ev);
  return rc;
}

/* Whether the ledger holds hash h (at seq when seq >= 0): 1 yes, 0 no,
 * -1 cannot tell (older than the hashes kept while reading). */
int anchor_ledger_holds(const run *r, const uint8_t h[32], int64_t seq)
{
  if(seq >= 0) {
    size_t k = (size_t)((uint64_t)seq % RING);
    if(seq > r->head_seq || seq == 0)
      return 0;
    if(r->ring_seq[k] != seq)
      return -1;
    return memcmp(r->ring_hash[k], h, 32) == 0;
  }
  for(size_t k = 0; k < RING; k++)
    if(r->ring_seq[k] >= 0 && memcmp(r->ring_hash[k], h, 32) == 0)
      return 1;
  return 0;
}

/* Milliseconds of a monotonic clock. */
static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ledgerscan progress: hands the first pass's events and bytes to the
 * host when it has the function, at most every PROGRESS_MS. */
static void scan_progress(void *ud, uint64_t events, uint64_t bytes,
                          int64_t total)
{
  run *r = ud;
  double t;
  if(!PROBE_HOST_HAS_PROGRESS(r->host) || events % PROGRESS_EVERY != 0)
    return;
  t = now_ms();
  if(t - r->progress_ms < PROGRESS_MS)
    return;
  r->progress_ms = t;
  r->host->progress(r->ctx, (double)events, (double)bytes, (double)total);
}

/* The anchors of events past the head have no ledger hash to compare. */
static void mark_past_head(run *r)
{
  for(size_t i = 0; i < r->na; i++)
    if(!r->a[i].malformed && r->a[i].lh == LH_UNCHECKED &&
       r->a[i].anchored_seq > r->head_seq) {
      r->a[i].lh = LH_NO_EVENT;
      r->unresolved--;
    }
}

/* Orders anchor indexes by anchored_seq (qsort_r-free: a file global). */
static const anchor *sort_base;
static int cmp_by_anchored(const void *x, const void *y)
{
  int64_t a = sort_base[*(const size_t *)x].anchored_seq;
  int64_t b = sort_base[*(const size_t *)y].anchored_seq;
  return a < b ? -1 : a > b;
}

/* The second pass (some anchored_seq too far back for the ring): the
 * hashes at those seqs, by lv_hash_at. 0, or -1 with why; r->idx NULL
 * when out of memory. */
static int second_pass(run *r, char *why, size_t n)
{
  int64_t *seqs = NULL;
  lv_hash *h = NULL;
  size_t ns = 0;
  int rc = -1;
  r->idx = calloc(r->unresolved, sizeof(*r->idx));
  seqs = calloc(r->unresolved, sizeof(*seqs));
  h = calloc(r->unresolved, sizeof(*h));
  if(!r->idx || !seqs || !h) {
    free(r->idx);
    r->idx = NULL;
    snprintf(why, n, "out of memory");
    goto out;
  }
  for(size_t i = 0; i < r->na; i++)
    if(!r->a[i].malformed && r->a[i].lh == LH_UNCHECKED &&
       r->nidx < r->unresolved)
      r->idx[r->nidx++] = i;
  sort_base = r->a;
  qsort(r->idx, r->nidx, sizeof(*r->idx), cmp_by_anchored);
  for(size_t i = 0; i < r->nidx; i++) {
    int64_t s = r->a[r->idx[i]].anchored_seq;
    if(ns == 0 || seqs[ns - 1] != s)
      seqs[ns++] = s;
  }
  if(ledgerscan_hash_at(&r->src, seqs, ns, h, why, n) != 0)
    goto out;
  for(size_t i = 0, j = 0; i < r->nidx; i++) {
    anchor *a = &r->a[r->idx[i]];
    while(seqs[j] != a->anchored_seq)
      j++;
    if(h[j].found && h[j].stored_ok) {
      a->lh =
          memcmp(a->anchored_hash, h[j].stored, 32) == 0 ? LH_OK : LH_DIFFERS;
      r->unresolved--;
    }
  }
  rc = 0;
out:
  free(seqs);
  free(h);
  return rc;
}

/* Reads the ledger into r: anchors, supersessions (sorted), the hashes at
 * anchored seqs. 0, or -1 with why (the ledger cannot be read; -2 out of
 * memory before any line). */
int anchor_read_ledger(run *r, char *why, size_t n)
{
  for(size_t k = 0; k < RING; k++)
    r->ring_seq[k] = -1;
  r->progress_ms = now_ms();
  if(!(r->hasher = lv_hasher_new()))
    return -2;
  if(ledgerscan_run(&r->src, scan_event, scan_progress, r, why, n) != 0)
    return -1;
  mark_past_head(r);
  if(r->unresolved && ledgerscan_rereadable(&r->src)) {
    if(second_pass(r, why, n) != 0)
      return r->idx ? -1 : -2;
  }
  for(size_t i = 0; i < r->na; i++)
    if(!r->a[i].malformed && r->a[i].lh == LH_UNCHECKED &&
       ledgerscan_rereadable(&r->src))
      r->a[i].lh = LH_NO_EVENT; /* read everything, found no such event */
  if(r->nsup > 1)
    qsort(r->superseded, r->nsup, 32, anchor_cmp_hash);
  return 0;
}
