/* SPDX-License-Identifier: Apache-2.0 */
/*
 * remember.c: the anchor plugin's use of its cache (cache.h): which
 * anchors need asking (a cached final anchor is confirmed without a
 * request, except when its recheck is due), the rechecks' outcome, and
 * what is remembered for the next run (final anchors, where pending ones
 * were seen, the nonces of recorded transactions).
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/anchor/anchor.h"
#include "plugins/common/pstate.h"

#define RECHECK_FILE "recheck.last"

/* Confirms an anchor from its cached final entry, without asking. */
static void use_cached_final(anchor *a, const cache_entry *ce)
{
  a->cached = 1;
  a->status = A_CONFIRMED;
  a->have_block = 1;
  a->block_number = ce->block_number;
  memcpy(a->block_hash, ce->block_hash, 32);
  a->block_ts = ce->block_ts;
  snprintf(a->reason, sizeof(a->reason), "confirmed (cached)");
  a->has_nonce = ce->has_nonce;
  a->nonce = ce->nonce;
  a->fee_wei = ce->fee_wei;
}

/* Whether a cached final anchor is asked again on this run. Each anchor
 * has a phase in the recheck_every cycle from its tx hash; it is due when
 * a time of that phase falls between the previous run and this one, so
 * each is asked once a cycle and the asks spread evenly over the runs (a
 * warm run stays one request plus a few). A gap longer than the cycle, or
 * a previous run in the future (a clock that jumped), makes all due;
 * without a previous run none is (the cache is new). */
static int recheck_due(const run *r, const anchor *a)
{
  double cyc = floor(r->recheck_every), phase, k, t;
  uint64_t h = 0;
  if(cyc < 1 || r->last_run <= 0)
    return 0;
  if(r->last_run > r->rules.now || r->rules.now - r->last_run >= cyc)
    return 1; /* a record from the future is stale: all are due */
  for(int i = 0; i < 8; i++)
    h = h << 8 | a->tx_hash[i];
  phase = (double)(h % (uint64_t)cyc);
  k = floor((r->rules.now - phase) / cyc);
  t = phase + k * cyc; /* the latest time of this phase, at most now */
  return t > r->last_run;
}

/* Reads when the previous run began, for recheck_due. */
static void recheck_load(run *r, const char *state)
{
  char *text = NULL;
  size_t len = 0;
  r->last_run = 0;
  if(!state || pstate_read(state, RECHECK_FILE, 256, &text, &len) != 0)
    return;
  r->last_run = strtod(text, NULL);
  if(!(r->last_run > 0))
    r->last_run = 0;
  free(text);
}

/* Records when this run began. */
static void recheck_save(const run *r, const char *state)
{
  char buf[64];
  int n = snprintf(buf, sizeof(buf), "%.3f\n", r->rules.now);
  if(state && pstate_write(state, RECHECK_FILE, buf, (size_t)n) != 0)
    r->host->log(r->ctx, PROBE_LOG_WARNING, "cannot write %s in %s",
                 RECHECK_FILE, state);
}


/* An anchor that is not asked: malformed, superseded, or confirmed from
 * the cache (or failed when the ledger changed under it). 1 when so. */
static int settled_without_asking(run *r, anchor *a, const cache_entry *ce)
{
  if(a->malformed) {
    a->status = A_FAILED;
    a->rule = RULE_LEDGER_HASH;
    snprintf(a->reason, sizeof(a->reason),
             "AnchorSubmitted event is malformed: %s", a->malformed_why);
    return 1;
  }
  if(r->nsup &&
     bsearch(a->tx_hash, r->superseded, r->nsup, 32, anchor_cmp_hash)) {
    a->superseded = 1;
    a->status = A_SUPERSEDED;
    snprintf(a->reason, sizeof(a->reason),
             "superseded by a later AnchorSuperseded event");
    return 1;
  }
  if(!ce || !ce->final || ce->anchored_seq != a->anchored_seq ||
     ce->chain_id != a->chain_id ||
     memcmp(ce->anchored_hash, a->anchored_hash, 32) != 0)
    return 0;
  if(a->lh < 0) { /* the ledger changed under a confirmed anchor */
    a->status = A_FAILED;
    a->rule = RULE_LEDGER_HASH;
    snprintf(a->reason, sizeof(a->reason),
             a->lh == LH_NOT_BEFORE
                 ? "anchored_seq is not before the anchor event"
             : a->lh == LH_NO_EVENT
                 ? "the ledger has no event %" PRId64
                 : "anchored_hash is not the ledger's hash of event %" PRId64,
             a->anchored_seq);
    return 1;
  }
  if(recheck_due(r, a)) {
    /* asked again like a new one; a node that cannot answer leaves it
     * confirmed from the cache (the node's error is on the line) */
    a->recheck = ce;
    r->nrechecked++;
    return 0;
  }
  use_cached_final(a, ce);
  return 1;
}

/* Loads the cache and lists in ask[] the anchors the nodes must be asked
 * about (ask holds r->na); returns how many. */
size_t anchor_triage(run *r, const char *state, size_t *ask)
{
  size_t nask = 0;
  cache_load(&r->cache, r->use_cache ? state : NULL,
             r->rules.have_sender ? r->rules.sender_hex : "-");
  if(r->use_cache)
    recheck_load(r, state);
  for(size_t i = 0; i < r->na; i++) {
    anchor *a = &r->a[i];
    const cache_entry *ce =
        a->malformed ? NULL : cache_get(&r->cache, a->tx_hash);
    if(settled_without_asking(r, a, ce))
      continue;
    if(a->recheck) {
      ask[nask++] = i;
      continue;
    }
    if(ce && !ce->final)
      a->seen = ce;
    if(a->lh == LH_UNCHECKED) { /* standard input, event too far back */
      a->status = A_UNKNOWN;
      snprintf(a->reason, sizeof(a->reason),
               "cannot check rule 7: event %" PRId64 " is too far back in a "
               "ledger read from standard input",
               a->anchored_seq);
      continue;
    }
    ask[nask++] = i;
  }
  return nask;
}

/* A cached final anchor asked again that the nodes could not answer
 * stays confirmed from the cache; any other answer stands. Returns 1 when
 * some could not be answered (they are asked again next run). */
int anchor_settle_rechecks(run *r)
{
  int missed = 0;
  for(size_t i = 0; i < r->na; i++) {
    anchor *a = &r->a[i];
    if(a->recheck && a->status == A_UNKNOWN) {
      use_cached_final(a, a->recheck);
      missed = 1;
    }
    else if(a->recheck && a->status == A_FAILED) {
      char was[sizeof(a->reason)];
      snprintf(was, sizeof(was), "%s", a->reason);
      snprintf(a->reason, sizeof(a->reason),
               "a cached final anchor is no longer on the chain: %.700s", was);
    }
  }
  return missed;
}

/* The cache entry of anchor a for the next run: 1 when there is one (a
 * final or pending anchor with its block), -1 cache_put failed. */
static int remember_anchor(const run *r, const anchor *a, cache *next)
{
  cache_entry e = {0};
  const wtx *w = anchor_find_wtx(r, a->tx_hash);
  if(a->status == A_PENDING && !a->have_block && a->seen)
    return cache_put(next, a->seen) != 0 ? -1 : 1; /* where it was seen */
  if(w && w->has_nonce) {
    e.has_nonce = 1;
    e.nonce = w->nonce;
  }
  else if(a->has_nonce) { /* wallet_check off: kept for when it is on */
    e.has_nonce = 1;
    e.nonce = a->nonce;
  }
  e.fee_wei = a->fee_wei;
  if(!a->have_block || (a->status != A_CONFIRMED && a->status != A_PENDING))
    return 0;
  memcpy(e.tx_hash, a->tx_hash, 32);
  e.final = a->status == A_CONFIRMED;
  e.anchored_seq = a->anchored_seq;
  memcpy(e.anchored_hash, a->anchored_hash, 32);
  e.chain_id = a->chain_id;
  e.block_number = a->block_number;
  memcpy(e.block_hash, a->block_hash, 32);
  e.block_ts = a->block_ts;
  return cache_put(next, &e) != 0 ? -1 : 1;
}

/* The nonces of recorded transactions that are no F or S entry of next
 * (sorted, its first nfs entries). */
static void remember_nonces(const run *r, cache *next)
{
  size_t nfs = next->n;
  for(size_t i = 0; i < r->nw; i++) {
    const wtx *w = &r->w[i];
    cache_entry e = {0};
    if(!(w->has_nonce || w->not_ours) || !(w->have_block || w->not_ours))
      continue;
    if(nfs && bsearch(w, next->e, nfs, sizeof(*next->e), anchor_cmp_hash))
      continue;
    memcpy(e.tx_hash, w->h, 32);
    e.nonce_only = 1;
    e.has_nonce = w->has_nonce;
    e.nonce = w->nonce;
    e.block_number = w->block;
    if(cache_put(next, &e) != 0)
      break;
  }
}

/* Remembers final anchors, and where pending ones were seen, in state
 * (with cache on); and when this run began unless some recheck missed. */
void anchor_remember(run *r, const char *state, int recheck_missed)
{
  cache next = {0};
  if(!r->use_cache || !state)
    return;
  if(!recheck_missed) /* else the next run asks them again */
    recheck_save(r, state);
  snprintf(next.sender, sizeof(next.sender), "%s", r->cache.sender);
  for(size_t i = 0; i < r->na; i++)
    if(remember_anchor(r, &r->a[i], &next) < 0)
      break;
  cache_sort(&next);
  remember_nonces(r, &next);
  if(cache_save(&next, state) != 0)
    r->host->log(r->ctx, PROBE_LOG_WARNING,
                 "cannot write the anchor cache in %s", state);
  cache_free(&next);
}
