/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wallet.c: the anchor plugin's wallet checks (with expected_sender and
 * wallet_check): every nonce below the wallet's count at the final block
 * must be a recorded transaction or one of wallet_other_nonces (an
 * unrecorded one is searched for between its recorded neighbours and
 * classified), and its balance over the recent anchors' fee gives
 * anchors_left and the runway.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hex.h"
#include "lib/status.h"
#include "plugins/anchor/anchor.h"
#include "plugins/anchor/txjson.h"

static int cmp_wtx(const void *a, const void *b)
{
  return memcmp(((const wtx *)a)->h, ((const wtx *)b)->h, 32);
}

/* The recorded transaction of a tx hash, or NULL (r->w sorted by hash). */
const wtx *anchor_find_wtx(const run *r, const uint8_t h[32])
{
  wtx key;
  memcpy(key.h, h, 32);
  return r->nw ? bsearch(&key, r->w, r->nw, sizeof(*r->w), cmp_wtx) : NULL;
}

/* Every transaction the ledger records (anchors, supersessions), each
 * once, with the wallet's nonce where this run's answers or the cache
 * know it. Returns how many are still to be looked up, or -1. */
static long recorded_txs(run *r)
{
  size_t n = 0, nlook = 0;
  r->w = calloc(r->na + r->nsup + 1, sizeof(*r->w));
  if(!r->w)
    return -1;
  for(size_t i = 0; i < r->na; i++) {
    const anchor *a = &r->a[i];
    if(a->tx_hex[0] != '0')
      continue; /* no tx hash at all */
    wtx *w = &r->w[n++];
    memcpy(w->h, a->tx_hash, 32);
    w->has_nonce = a->has_nonce;
    w->nonce = a->nonce;
    w->have_block = a->have_block;
    w->block = a->block_number;
  }
  for(size_t i = 0; i < r->nsup; i++)
    memcpy(r->w[n++].h, r->superseded[i], 32);
  qsort(r->w, n, sizeof(*r->w), cmp_wtx);
  r->nw = 0;
  for(size_t i = 0; i < n; i++) {
    if(r->nw && memcmp(r->w[r->nw - 1].h, r->w[i].h, 32) == 0) {
      wtx *p = &r->w[r->nw - 1];
      if(!p->has_nonce && r->w[i].has_nonce)
        *p = r->w[i];
      continue;
    }
    r->w[r->nw++] = r->w[i];
  }
  for(size_t i = 0; i < r->nw; i++) {
    wtx *w = &r->w[i];
    const cache_entry *ce = w->has_nonce ? NULL : cache_get(&r->cache, w->h);
    if(w->has_nonce)
      continue;
    if(ce && ce->has_nonce) {
      w->has_nonce = 1;
      w->nonce = ce->nonce;
      w->have_block = 1;
      w->block = ce->block_number;
    }
    else if(ce && ce->nonce_only) {
      w->not_ours = 1;
    }
    else {
      w->lookup = 1;
      nlook++;
    }
  }
  return (long)nlook;
}

/* The recorded transactions' nonces (recorded_txs), those still unknown
 * asked of node k in one batch. 0, or -1 with err. */
static int wallet_collect(run *r, size_t k, char *err, size_t errlen)
{
  long looked = recorded_txs(r);
  size_t nlook = looked > 0 ? (size_t)looked : 0;
  if(looked < 0) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  if(!nlook)
    return 0;
  rpc_call *c = calloc(nlook, sizeof(*c));
  char(*params)[80] = calloc(nlook, sizeof(*params));
  size_t *which = calloc(nlook, sizeof(*which));
  int rc = 0;
  if(!c || !params || !which) {
    snprintf(err, errlen, "out of memory");
    rc = -1;
    goto out;
  }
  for(size_t i = 0, j = 0; i < r->nw; i++) {
    if(!r->w[i].lookup)
      continue;
    char hx[67];
    anchor_hex32(r->w[i].h, hx);
    snprintf(params[j], sizeof(params[j]), "[\"%s\"]", hx);
    c[j].method = "eth_getTransactionByHash";
    c[j].params = params[j];
    which[j++] = i;
  }
  rpc_run(&r->nodes[k], c, nlook);
  for(size_t j = 0; j < nlook; j++) {
    wtx *w = &r->w[which[j]];
    uint8_t h[32], from[20];
    uint64_t nonce, bn;
    if(c[j].status != RPC_OK) {
      snprintf(err, errlen, "eth_getTransactionByHash: %s", c[j].err);
      rc = -1;
      goto out;
    }
    if(cJSON_IsNull(c[j].result))
      continue; /* not on chain: it covers no nonce */
    if(txjson_fixed(cJSON_GetObjectItemCaseSensitive(c[j].result, "hash"), h,
                    32) != 0 ||
       memcmp(h, w->h, 32) != 0 ||
       txjson_fixed(cJSON_GetObjectItemCaseSensitive(c[j].result, "from"), from,
                    20) != 0 ||
       txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(c[j].result,
                                                            "nonce"),
                           &nonce) != 0) {
      snprintf(err, errlen,
               "eth_getTransactionByHash answered a malformed transaction");
      rc = -1;
      goto out;
    }
    if(memcmp(from, r->rules.sender, 20) != 0) {
      w->not_ours = 1;
      continue;
    }
    if(txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(c[j].result,
                                                            "blockNumber"),
                           &bn) == 0) {
      w->have_block = 1;
      w->block = bn;
    }
    w->has_nonce = 1;
    w->nonce = nonce;
  }
out:
  if(c)
    rpc_calls_free(c, nlook);
  free(c);
  free(params);
  free(which);
  return rc;
}

/* A nonce and where it was mined, for the search bounds. */
typedef struct nblock {
  uint64_t nonce, block;
} nblock;

static int cmp_nblock(const void *a, const void *b)
{
  return anchor_cmp_u64(&((const nblock *)a)->nonce,
                        &((const nblock *)b)->nonce);
}

/* One nonce the ledger does not record, and what the search found. */
typedef struct unrec {
  uint64_t nonce;
  int searched, found;
  uint64_t lo, hi, block;
  char tx[67];
  const char *kind;
  char what[200];
} unrec;

/* What an unrecorded transaction's input says: an anchor of a hash the
 * ledger does not hold (a rollback), of one it holds, or something else. */
static void classify_input(const run *r, const cJSON *txo, unrec *u)
{
  static const uint8_t selector[4] = {0xdb, 0x2c, 0x4a, 0xca};
  const cJSON *in = cJSON_GetObjectItemCaseSensitive(txo, "input");
  uint8_t b[68];
  size_t n = 0;
  char hh[65];
  int64_t seq = -1;
  if(!in)
    in = cJSON_GetObjectItemCaseSensitive(txo, "data");
  /* data, not a quantity: every digit counts, a hash may begin with 00 */
  size_t len = cJSON_IsString(in) ? strlen(in->valuestring) : 0;
  if(len == 2 + 2 * 32 || len == 2 + 2 * 68)
    n = (len - 2) / 2;
  if(n == 0 || in->valuestring[0] != '0' ||
     (in->valuestring[1] != 'x' && in->valuestring[1] != 'X') ||
     crypto_hex_decode(in->valuestring, len, b, n) != 0 ||
     (n == 68 && memcmp(b, selector, 4) != 0)) {
    u->kind = "other";
    snprintf(u->what, sizeof(u->what),
             "no anchor: the wallet key signed something else");
    return;
  }
  const uint8_t *h = n == 32 ? b : b + 4;
  if(n == 68) {
    uint64_t s = 0;
    for(int i = 0; i < 8; i++)
      s = s << 8 | b[60 + i];
    seq = s > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)s;
  }
  crypto_hex_encode(h, 32, hh);
  int held = anchor_ledger_holds(r, h, seq);
  if(held == 0) {
    u->kind = "anchor_not_in_ledger";
    if(seq >= 0)
      snprintf(u->what, sizeof(u->what),
               "an anchor of hash %.16s.. at seq %" PRId64
               " that the ledger does not hold",
               hh, seq);
    else
      snprintf(u->what, sizeof(u->what),
               "an anchor of hash %.16s.. that the ledger does not hold", hh);
  }
  else {
    u->kind = "anchor_unrecorded";
    snprintf(u->what, sizeof(u->what),
             "an anchor of hash %.16s.. %s, not recorded as anchored", hh,
             held == 1 ? "that the ledger holds" : "too far back to compare");
  }
}

/* The blocks to search for the unrecorded nonces u[0..nu): for each,
 * those between the recorded nonces just below and above (nb, by nonce),
 * at most max_scan_blocks in all, sorted and each once; marks the nonces
 * searched. A malloc'd array (NULL when none or out of memory) of
 * *nblocks. */
static uint64_t *search_blocks(const run *r, const nblock *nb, size_t nnb,
                               uint64_t final_block, unrec *u, size_t nu,
                               size_t *nblocks)
{
  uint64_t *blocks = NULL;
  size_t n = 0, cap = 0, nd = 0;
  for(size_t i = 0; i < nu; i++) {
    size_t lo = 0, hi = nnb;
    while(lo < hi) {
      size_t mid = (lo + hi) / 2;
      if(nb[mid].nonce < u[i].nonce)
        lo = mid + 1;
      else
        hi = mid;
    }
    u[i].lo = lo > 0 ? nb[lo - 1].block : 0;
    u[i].hi = lo < nnb ? nb[lo].block : final_block;
    if(u[i].hi < u[i].lo || u[i].hi - u[i].lo + 1 > (uint64_t)r->max_scan ||
       n + (size_t)(u[i].hi - u[i].lo + 1) > (size_t)r->max_scan)
      continue;
    if(n + (size_t)(u[i].hi - u[i].lo + 1) > cap) {
      size_t ncap = n + (size_t)(u[i].hi - u[i].lo + 1) + 64;
      uint64_t *nbk = realloc(blocks, ncap * sizeof(*nbk));
      if(!nbk) {
        free(blocks);
        *nblocks = 0;
        return NULL;
      }
      blocks = nbk;
      cap = ncap;
    }
    for(uint64_t b = u[i].lo; b <= u[i].hi; b++)
      blocks[n++] = b;
    u[i].searched = 1;
  }
  if(n)
    qsort(blocks, n, sizeof(*blocks), anchor_cmp_u64);
  for(size_t i = 0; i < n; i++)
    if(nd == 0 || blocks[nd - 1] != blocks[i])
      blocks[nd++] = blocks[i];
  *nblocks = nd;
  return blocks;
}

/* The wallet's transactions in one block (its full eth_getBlockByNumber
 * answer) that are searched, not yet found nonces of u[0..nu). */
static void match_block(run *r, const cJSON *block, uint64_t number, unrec *u,
                        size_t nu)
{
  const cJSON *txs, *t;
  txs = cJSON_GetObjectItemCaseSensitive(block, "transactions");
  cJSON_ArrayForEach(t, txs) {
    uint8_t from[20], h[32];
    uint64_t nonce;
    if(!cJSON_IsObject(t) ||
       txjson_fixed(cJSON_GetObjectItemCaseSensitive(t, "from"), from, 20) !=
           0 ||
       memcmp(from, r->rules.sender, 20) != 0 ||
       txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(t, "nonce"),
                           &nonce) != 0 ||
       txjson_fixed(cJSON_GetObjectItemCaseSensitive(t, "hash"), h, 32) != 0)
      continue;
    for(size_t j = 0; j < nu; j++) {
      if(!u[j].searched || u[j].found || u[j].nonce != nonce)
        continue;
      u[j].found = 1;
      u[j].block = number;
      anchor_hex32(h, u[j].tx);
      classify_input(r, t, &u[j]);
    }
  }
}

/* Searches the blocks that bound the unrecorded nonces u[0..nu) (batched
 * eth_getBlockByNumber with full transactions on node k), at most
 * max_scan_blocks blocks in all. Returns how many blocks could not be read. */
static size_t wallet_search(run *r, size_t k, const nblock *nb, size_t nnb,
                            uint64_t final_block, unrec *u, size_t nu)
{
  size_t nblocks = 0, nbad = 0;
  uint64_t *blocks = search_blocks(r, nb, nnb, final_block, u, nu, &nblocks);
  rpc_call *c = NULL;
  char(*params)[48] = NULL;
  if(!nblocks)
    goto out;
  c = calloc(nblocks, sizeof(*c));
  params = calloc(nblocks, sizeof(*params));
  if(!c || !params)
    goto out;
  for(size_t i = 0; i < nblocks; i++) {
    snprintf(params[i], sizeof(params[i]), "[\"0x%" PRIx64 "\",true]",
             blocks[i]);
    c[i].method = "eth_getBlockByNumber";
    c[i].params = params[i];
  }
  rpc_run(&r->nodes[k], c, nblocks);
  for(size_t i = 0; i < nblocks; i++) {
    if(c[i].status != RPC_OK || !cJSON_IsObject(c[i].result))
      nbad++;
    else
      match_block(r, c[i].result, blocks[i], u, nu);
  }
out:
  if(c)
    rpc_calls_free(c, nblocks);
  free(c);
  free(params);
  free(blocks);
  return nbad;
}

/* Adds one finding to the wallet part: the worst status, the summaries
 * joined. */
static void wallet_add(run *r, int st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void wallet_add(run *r, int st, const char *fmt, ...)
{
  char buf[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  size_t len = strlen(r->w_sum);
  if(status_rank(st) > status_rank(r->w_status)) {
    char old[sizeof(r->w_sum)];
    snprintf(old, sizeof(old), "%s", r->w_sum);
    if(snprintf(r->w_sum, sizeof(r->w_sum), "%s%s%s", buf, old[0] ? "; " : "",
                old) < 0)
      r->w_sum[0] = '\0'; /* cut short where long: the details hold all */
    r->w_status = st;
  }
  else {
    snprintf(r->w_sum + len, sizeof(r->w_sum) - len, "%s%s", len ? "; " : "",
             buf);
  }
}

/* Funds: balance over the recent anchors' average fee, and the runway at
 * the anchor rate over window. */
static void wallet_funds(run *r)
{
  size_t nfee = 0, nrate = 0;
  double sum = 0;
  for(size_t i = 0; i < r->nurls; i++) {
    const node_facts *f = &r->facts[i];
    if(!f->usable)
      continue;
    if(!f->balance_ok) {
      wallet_add(r, PROBE_UNKNOWN,
                 "cannot read the wallet's balance from %s: %s",
                 r->nodes[i].target, f->balance_why);
      return;
    }
    if(!r->have_balance || f->balance_wei < r->balance)
      r->balance = f->balance_wei; /* the least any node says */
    r->have_balance = 1;
  }
  for(size_t i = r->na; i-- > 0 && nfee < FEE_ANCHORS;)
    if(r->a[i].status == A_CONFIRMED && r->a[i].fee_wei > 0) {
      sum += r->a[i].fee_wei;
      nfee++;
    }
  for(size_t i = 0; i < r->na; i++)
    if(!isnan(r->a[i].ts) && r->a[i].ts > r->rules.now - r->window &&
       r->a[i].ts <= r->rules.now + 300)
      nrate++;
  if(!r->have_balance)
    return;
  if(nfee) {
    r->have_fee = 1;
    r->avg_fee = sum / (double)nfee;
    r->anchors_left = floor(r->balance / r->avg_fee);
    if(nrate) {
      r->have_runway = 1;
      r->runway = r->anchors_left * r->window / (double)nrate;
    }
  }
  if(r->balance <= 0) {
    wallet_add(r, PROBE_CRITICAL,
               "the anchoring wallet %s has no funds: anchoring stops; fund it",
               r->rules.sender_hex);
    return;
  }
  if(!r->have_runway)
    return;
  if(r->runway < 86400 || r->runway < r->min_runway)
    wallet_add(
        r, r->runway < 86400 ? PROBE_CRITICAL : PROBE_WARNING,
        "the anchoring wallet %s has funds for about %.0f anchors (%.6g ETH at %.6g ETH each): "
        "at %.3g anchors an hour that lasts %.1f h, less than %s; fund it before anchoring stops",
        r->rules.sender_hex, r->anchors_left, r->balance / 1e18,
        r->avg_fee / 1e18, (double)nrate * 3600 / r->window, r->runway / 3600,
        r->runway < 86400 ? "1 day" : "min_runway");
}

/* Every usable node's count of the wallet's transactions, and all the
 * same: sets r->count (have_count) and *k to the node it came from. 0
 * when a finding ends the nonce accounting. */
static int agree_count(run *r, size_t *kp)
{
  size_t k = *kp;
  for(size_t i = 0; i < r->nurls; i++) {
    const node_facts *f = &r->facts[i];
    if(!f->usable)
      continue;
    if(!f->count_ok) {
      wallet_add(r, PROBE_UNKNOWN,
                 "cannot check the wallet's transactions: node %s: %s",
                 r->nodes[i].target, f->count_why);
      return 0;
    }
    if(!r->have_count) {
      r->count = f->count;
      r->have_count = 1;
      k = i;
    }
    else if(f->count != r->count) {
      wallet_add(
          r, PROBE_CRITICAL,
          "nodes disagree on the wallet's transaction count: %s says %" PRIu64
          " (block %" PRIu64 "), %s says %" PRIu64 " (block %" PRIu64 ")",
          r->nodes[k].target, r->count, r->facts[k].count_block,
          r->nodes[i].target, f->count, f->count_block);
      r->have_count = 0;
      return 0;
    }
  }
  *kp = k;
  return 1;
}

/* The unrecorded nonces u[0..nu) (searched, nbad blocks unreadable) as
 * details.unrecorded and one critical finding. */
static void report_unrecorded(run *r, unrec *u, size_t nu, size_t nbad)
{
  r->w_unrec = cJSON_CreateArray();
  char list[700] = "";
  size_t len = 0;
  int any_anchor = 0, any_other = 0;
  for(size_t i = 0; i < nu; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "nonce", (double)u[i].nonce);
    if(!u[i].searched) {
      snprintf(u[i].what, sizeof(u[i].what),
               "not searched: its neighbours' blocks %" PRIu64 "..%" PRIu64
               " are more than max_scan_blocks %lld apart",
               u[i].lo, u[i].hi, r->max_scan);
    }
    else if(!u[i].found) {
      u[i].kind = "not_found";
      snprintf(u[i].what, sizeof(u[i].what),
               "not found in blocks %" PRIu64 "..%" PRIu64 "%s", u[i].lo,
               u[i].hi, nbad ? " (some blocks could not be read)" : "");
    }
    else {
      cJSON_AddStringToObject(o, "tx_hash", u[i].tx);
      cJSON_AddNumberToObject(o, "block_number", (double)u[i].block);
      if(strcmp(u[i].kind, "other") == 0)
        any_other = 1;
      else
        any_anchor = 1;
    }
    cJSON_AddStringToObject(o, "kind", u[i].kind);
    cJSON_AddStringToObject(o, "what", u[i].what);
    cJSON_AddItemToArray(r->w_unrec, o);
    if(i < 3 && len < sizeof(list))
      len +=
          (size_t)snprintf(list + len, sizeof(list) - len,
                           "%snonce %" PRIu64 "%s%s%s%s%s", i ? ", " : "",
                           u[i].nonce, u[i].found ? " tx " : "",
                           u[i].found ? u[i].tx : "", u[i].found ? " (" : "",
                           u[i].found ? u[i].what : "", u[i].found ? ")" : "");
  }
  static const char rollback[] =
      "an anchor the ledger does not hold means the ledger was rolled back past anchors "
      "already on chain: apply the correction policy (an AnchorSuperseded event for each)";
  static const char leaked[] =
      "any other transaction means the wallet key signs for someone else (a leaked key): "
      "rotate the key";
  wallet_add(
      r, PROBE_CRITICAL,
      "the anchoring wallet %s sent %.0f transaction%s the ledger does not record: %s%s; %s; %s",
      r->rules.sender_hex, r->w_nunrec, r->w_nunrec == 1 ? "" : "s", list,
      r->w_nunrec > 3 ? " (and more, see details.unrecorded)" : "",
      any_other && !any_anchor ? leaked : rollback,
      any_other && !any_anchor ? rollback : leaked);
}

/* Nonce accounting: every nonce below the count at the final block must
 * be a recorded transaction or one of wallet_other_nonces. */
static void wallet_nonces(run *r, size_t k, const char *collect_err)
{
  uint64_t *known = NULL;
  nblock *nb = NULL;
  size_t nk = 0, nnb = 0, nu = 0;
  unrec u[MAX_UNRECORDED];
  if(!agree_count(r, &k) || !r->have_count)
    return;
  if(collect_err) {
    wallet_add(r, PROBE_UNKNOWN,
               "cannot learn the nonces of the recorded transactions: %s",
               collect_err);
    r->have_count = 0;
    return;
  }
  known = calloc(r->nw + r->nother + 1, sizeof(*known));
  nb = calloc(r->nw + 1, sizeof(*nb));
  if(!known || !nb) {
    wallet_add(r, PROBE_UNKNOWN, "out of memory");
    goto out;
  }
  for(size_t i = 0; i < r->nw; i++)
    if(r->w[i].has_nonce) {
      known[nk++] = r->w[i].nonce;
      if(r->w[i].have_block) {
        nb[nnb].nonce = r->w[i].nonce;
        nb[nnb++].block = r->w[i].block;
      }
    }
  for(size_t i = 0; i < r->nother; i++)
    known[nk++] = r->other_nonces[i];
  qsort(known, nk, sizeof(*known), anchor_cmp_u64);
  qsort(nb, nnb, sizeof(*nb), cmp_nblock);
  size_t below = 0;
  for(size_t i = 0; i < nk; i++)
    if(known[i] < r->count && (i == 0 || known[i] != known[i - 1]))
      below++;
  r->w_nunrec = (double)(r->count - below);
  for(uint64_t n = 0, j = 0; n < r->count && nu < MAX_UNRECORDED; n++) {
    while(j < nk && known[j] < n)
      j++;
    if(j < nk && known[j] == n)
      continue;
    memset(&u[nu], 0, sizeof(u[nu]));
    u[nu].nonce = n;
    u[nu].kind = "not_searched";
    nu++;
  }
  if(!nu)
    goto out;
  size_t nbad = wallet_search(r, k, nb, nnb, r->facts[k].count_block, u, nu);
  report_unrecorded(r, u, nu, nbad);
out:
  free(known);
  free(nb);
}

/* The wallet part of the run (wallet_on): nonces and funds. */
void anchor_wallet_check(run *r)
{
  char err[400];
  const char *collect_err = NULL;
  size_t k = 0;
  r->w_status = PROBE_OK;
  while(k < r->nurls && !r->facts[k].usable)
    k++;
  if(k == r->nurls) {
    /* the node problem is the finding (a warning, as for the anchors) */
    wallet_add(r, PROBE_WARNING,
               "the wallet is not checked: no node is usable");
    return;
  }
  if(wallet_collect(r, k, err, sizeof(err)) != 0)
    collect_err = err;
  wallet_nonces(r, k, collect_err);
  wallet_funds(r);
}

/* Seconds since the epoch as RFC 3339 UTC (milliseconds when ms). */
