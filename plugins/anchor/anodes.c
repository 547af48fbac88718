/* SPDX-License-Identifier: Apache-2.0 */
/*
 * anodes.c: the anchor plugin asking the nodes (rpc.h): each node's chain
 * facts (and the wallet's count and balance) in one request a run, then
 * each anchor's transaction, receipt and blocks in batches, turned into
 * evidence for the rules (rules.c), and what several nodes said merged
 * into one verdict per anchor (they must agree).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/eth.h"
#include "plugins/anchor/anchor.h"
#include "plugins/anchor/txjson.h"

/* Number member of a block object. */
static int block_fields(const cJSON *blk, uint64_t *number, uint8_t hash[32],
                        int64_t *ts)
{
  uint64_t t = 0;
  if(!cJSON_IsObject(blk) ||
     txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(blk, "number"),
                         number) != 0)
    return -1;
  if(hash &&
     txjson_fixed(cJSON_GetObjectItemCaseSensitive(blk, "hash"), hash, 32) != 0)
    return -1;
  if(ts) {
    if(txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(blk, "timestamp"),
                           &t) != 0)
      return -1;
    *ts = (int64_t)t;
  }
  return 0;
}

/* A hex quantity of up to 256 bits (a balance in wei) as a double. */
static int quantity_double(const cJSON *item, double *out)
{
  const char *s;
  size_t len;
  double v = 0;
  if(!cJSON_IsString(item))
    return -1;
  s = item->valuestring;
  len = strlen(s);
  if(len < 3 || len > 66 || s[0] != '0' || s[1] != 'x')
    return -1;
  for(size_t i = 2; i < len; i++) {
    int d = s[i] >= '0' && s[i] <= '9'   ? s[i] - '0'
            : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
            : s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10
                                         : -1;
    if(d < 0)
      return -1;
    v = v * 16 + d;
  }
  *out = v;
  return 0;
}

/* The wallet's nonce count from an answer: a hex quantity, and a
 * plausible one (no wallet sends 2^40 transactions: a node saying so is
 * broken, and believing it would list nonces that are not there). */
static void take_count(node_facts *f, const rpc_call *c, const char *at)
{
  uint64_t v;
  char *txt = NULL;
  if(c->status != RPC_OK) {
    snprintf(f->count_why, sizeof(f->count_why),
             "eth_getTransactionCount(%s): %s", at, c->err);
    return;
  }
  if(txjson_quantity_u64(c->result, &v) != 0 || v >= MAX_PLAUSIBLE_COUNT) {
    txt = cJSON_PrintUnformatted(c->result);
    snprintf(f->count_why, sizeof(f->count_why),
             "eth_getTransactionCount(%s) answered %.60s, %s", at,
             txt ? txt : "?",
             txjson_quantity_u64(c->result, &v) != 0
                 ? "not a hex quantity of at most 64 bits"
                 : "an implausible nonce count");
    free(txt);
    return;
  }
  f->count = v;
  f->count_ok = 1;
}

/* The chain facts of node k (and the wallet's count and balance, in the
 * same request: the count at "finalized", asked again at head minus
 * min_confirmations only when the node has no such tag). */
static void ask_node_facts(run *r, size_t k)
{
  node_facts *f = &r->facts[k];
  char wparams[2][80];
  snprintf(wparams[0], sizeof(wparams[0]), "[\"%s\",\"finalized\"]",
           r->rules.sender_hex);
  snprintf(wparams[1], sizeof(wparams[1]), "[\"%s\",\"latest\"]",
           r->rules.sender_hex);
  rpc_call c[5] = {{.method = "eth_chainId", .params = "[]"},
                   {.method = "eth_getBlockByNumber",
                    .params = "[\"finalized\",false]"},
                   {.method = "eth_getBlockByNumber",
                    .params = "[\"latest\",false]"},
                   {.method = "eth_getTransactionCount", .params = wparams[0]},
                   {.method = "eth_getBalance", .params = wparams[1]}};
  size_t nc = r->wallet_on ? 5 : 3;
  memset(f, 0, sizeof(*f));
  rpc_run(&r->nodes[k], c, nc);
  if(c[0].status != RPC_OK ||
     txjson_quantity_u64(c[0].result, &f->chain_id) != 0) {
    snprintf(f->why, sizeof(f->why), "eth_chainId: %s",
             c[0].status != RPC_OK ? c[0].err : "not a hex quantity");
    goto out;
  }
  if(c[2].status != RPC_OK ||
     block_fields(c[2].result, &f->latest_bn, NULL, NULL) != 0) {
    snprintf(f->why, sizeof(f->why), "eth_getBlockByNumber(latest): %s",
             c[2].status != RPC_OK ? c[2].err : "not a block");
    goto out;
  }
  /* "finalized": a node error (-39001 unknown block, or no such tag) or
   * null means the node does not know it: min_confirmations then */
  if(c[1].status == RPC_OK && !cJSON_IsNull(c[1].result)) {
    if(block_fields(c[1].result, &f->fin_bn, NULL, NULL) != 0) {
      snprintf(f->why, sizeof(f->why),
               "eth_getBlockByNumber(finalized): not a block");
      goto out;
    }
    f->fin_known = 1;
  }
  else if(c[1].status == RPC_ERR_TRANSPORT || c[1].status == RPC_ERR_GARBAGE) {
    snprintf(f->why, sizeof(f->why), "eth_getBlockByNumber(finalized): %s",
             c[1].err);
    goto out;
  }
  if(r->finality_confirmations)
    f->fin_known = 0;
  f->usable = 1;
  if(!r->wallet_on)
    goto out;
  if(c[4].status != RPC_OK)
    snprintf(f->balance_why, sizeof(f->balance_why), "eth_getBalance: %s",
             c[4].err);
  else if(quantity_double(c[4].result, &f->balance_wei) != 0)
    snprintf(f->balance_why, sizeof(f->balance_why),
             "eth_getBalance: not a hex quantity");
  else
    f->balance_ok = 1;
  if(f->fin_known && c[3].status != RPC_ERR_NODE) {
    f->count_block = f->fin_bn;
    take_count(f, &c[3], "finalized");
  }
  else if(!f->fin_known && f->latest_bn + 1 < (uint64_t)r->rules.min_conf) {
    f->count_ok = 1; /* no block is final yet: nothing sent is final */
  }
  else {
    /* by number: no finalized tag, or a node that takes it for blocks
     * but not for eth_getTransactionCount */
    char p[96], at[32];
    f->count_block = f->fin_known
                         ? f->fin_bn
                         : f->latest_bn + 1 - (uint64_t)r->rules.min_conf;
    snprintf(at, sizeof(at), "0x%" PRIx64, f->count_block);
    snprintf(p, sizeof(p), "[\"%s\",\"%s\"]", r->rules.sender_hex, at);
    rpc_call one = {.method = "eth_getTransactionCount", .params = p};
    rpc_run(&r->nodes[k], &one, 1);
    take_count(f, &one, at);
    rpc_calls_free(&one, 1);
  }
out:
  rpc_calls_free(c, nc);
}

/* A fetched block: number, hash, time. */
typedef struct blockinfo {
  uint64_t number;
  int ok;
  uint8_t hash[32];
  int64_t ts;
  char err[200];
} blockinfo;

static int cmp_block(const void *a, const void *b)
{
  return anchor_cmp_u64(&((const blockinfo *)a)->number,
                        &((const blockinfo *)b)->number);
}

static const blockinfo *find_block(const blockinfo *b, size_t n, uint64_t num)
{
  blockinfo key = {.number = num};
  return n ? bsearch(&key, b, n, sizeof(*b), cmp_block) : NULL;
}


/* The block numbers to fetch for anchors idx[0..n): where the receipts
 * (c[2i+1]) say, and where they were seen; sorted, each once. */
static size_t blocks_wanted(const run *r, const size_t *idx, size_t n,
                            const rpc_call *c, uint64_t *nums)
{
  size_t nnums = 0, nb = 0;
  for(size_t i = 0; i < n; i++) {
    uint64_t bn;
    const anchor *a = &r->a[idx[i]];
    const cJSON *rc = c[2 * i + 1].result;
    if(c[2 * i + 1].status == RPC_OK &&
       txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(rc, "blockNumber"),
                           &bn) == 0)
      nums[nnums++] = bn;
    if(a->seen)
      nums[nnums++] = a->seen->block_number;
  }
  qsort(nums, nnums, sizeof(*nums), anchor_cmp_u64);
  for(size_t i = 0; i < nnums; i++)
    if(nb == 0 || nums[nb - 1] != nums[i])
      nums[nb++] = nums[i];
  return nb;
}

/* Fetches blocks nums[0..nb) from node into blocks[0..nb) (in one
 * batch); a block that cannot be had says why in its err. */
static void fetch_blocks(rpc_node *node, const uint64_t *nums, size_t nb,
                         blockinfo *blocks)
{
  rpc_call *bc = calloc(nb ? nb : 1, sizeof(*bc));
  char(*bparams)[48] = calloc(nb ? nb : 1, sizeof(*bparams));
  for(size_t i = 0; i < nb; i++) {
    blocks[i].number = nums[i];
    snprintf(blocks[i].err, sizeof(blocks[i].err), "out of memory");
  }
  if(!bc || !bparams || !nb)
    goto out;
  for(size_t i = 0; i < nb; i++) {
    snprintf(bparams[i], sizeof(bparams[i]), "[\"0x%" PRIx64 "\",false]",
             nums[i]);
    bc[i].method = "eth_getBlockByNumber";
    bc[i].params = bparams[i];
  }
  rpc_run(node, bc, nb);
  for(size_t i = 0; i < nb; i++) {
    blockinfo *b = &blocks[i];
    uint64_t num;
    if(bc[i].status != RPC_OK)
      snprintf(b->err, sizeof(b->err), "%s", bc[i].err);
    else if(cJSON_IsNull(bc[i].result))
      snprintf(b->err, sizeof(b->err), "the node has no such block");
    else if(block_fields(bc[i].result, &num, b->hash, &b->ts) != 0 ||
            num != nums[i])
      snprintf(b->err, sizeof(b->err), "node answered a malformed block");
    else
      b->ok = 1;
  }
  rpc_calls_free(bc, nb);
out:
  free(bc);
  free(bparams);
}

/* The receipt's part of the evidence. */
static void gather_receipt(const cJSON *txo, const cJSON *rcpt,
                           anchor_evidence *e)
{
  uint64_t gas_used, price;
  if(cJSON_IsNull(rcpt)) {
    e->rcpt = ANS_NONE;
    return;
  }
  e->rcpt = ANS_MALFORMED;
  if(txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(rcpt, "status"),
                         &e->rcpt_status) != 0 ||
     txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(rcpt, "blockNumber"),
                         &e->rcpt_block) != 0 ||
     txjson_fixed(cJSON_GetObjectItemCaseSensitive(rcpt, "blockHash"),
                  e->rcpt_block_hash, 32) != 0 ||
     txjson_fixed(cJSON_GetObjectItemCaseSensitive(rcpt, "transactionHash"),
                  e->rcpt_tx, 32) != 0)
    return;
  e->rcpt = ANS_OK;
  /* the fee it paid, for the wallet's runway */
  if(txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(rcpt, "gasUsed"),
                         &gas_used) == 0 &&
     (txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(rcpt,
                                                           "effectiveGasPrice"),
                          &price) == 0 ||
      txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(txo, "gasPrice"),
                          &price) == 0))
    e->fee_wei = (double)gas_used * (double)price;
}

/* The transaction's part of the evidence, with its hash, chain and
 * signature worked out. */
static void gather_tx(const anchor *a, const cJSON *txo, anchor_evidence *e)
{
  txjson t;
  uint8_t h[32];
  int has_chain;
  crypto_eth_err ce;
  if(cJSON_IsNull(txo)) {
    e->tx = ANS_NONE;
    return;
  }
  if(txjson_parse(txo, &t, e->tx_err, sizeof(e->tx_err)) != 0) {
    e->tx = ANS_MALFORMED;
    return;
  }
  e->tx = ANS_OK;
  ce = crypto_eth_tx_hash(&t.tx, h);
  e->hash_ok = ce == CRYPTO_ETH_OK && memcmp(h, a->tx_hash, 32) == 0 &&
               memcmp(t.hash, a->tx_hash, 32) == 0;
  e->hash_err = ce != CRYPTO_ETH_OK ? crypto_eth_strerror(ce) : NULL;
  e->has_nonce =
      txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(txo, "nonce"),
                          &e->nonce) == 0;
  memcpy(e->from, t.from, 20);
  e->has_tx_chain = crypto_eth_tx_chain_id(&t.tx, &e->tx_chain, &has_chain) ==
                        CRYPTO_ETH_OK &&
                    has_chain;
  e->tx_has_block = t.has_block;
  memcpy(e->tx_block_hash, t.block_hash, 32);
  e->input_len = t.tx.input.len;
  memcpy(e->input, t.tx.input.p, t.tx.input.len < 68 ? t.tx.input.len : 68);
  ce = crypto_eth_recover_sender(&t.tx, e->who);
  e->recovered = ce == CRYPTO_ETH_OK;
  e->recover_err = e->recovered ? NULL : crypto_eth_strerror(ce);
  txjson_free(&t);
}

/* One node's answers about anchor a as evidence for the rules. */
static void gather(const anchor *a, const cJSON *txo, const cJSON *rcpt,
                   const blockinfo *blocks, size_t nb, anchor_evidence *e)
{
  const blockinfo *b;
  memset(e, 0, sizeof(*e));
  gather_tx(a, txo, e);
  gather_receipt(txo, rcpt, e);
  if(a->seen && (b = find_block(blocks, nb, a->seen->block_number)) && b->ok) {
    e->seen_ok = 1;
    memcpy(e->seen_hash, b->hash, 32);
  }
  if(e->rcpt == ANS_OK && (b = find_block(blocks, nb, e->rcpt_block))) {
    e->block_ok = b->ok;
    snprintf(e->block_err, sizeof(e->block_err), "%s", b->ok ? "" : b->err);
    memcpy(e->block_hash, b->hash, 32);
    e->block_ts = b->ts;
  }
}

/* Every observation o[0..n) unknown, for why. */
static void all_unknown(obs *o, size_t n, const char *why)
{
  for(size_t i = 0; i < n; i++) {
    memset(&o[i], 0, sizeof(o[i]));
    o[i].status = A_UNKNOWN;
    snprintf(o[i].reason, sizeof(o[i].reason), "%s", why);
  }
}

/* Asks node k about anchors idx[0..n) and fills o[0..n). */
static void ask_anchors(run *r, size_t k, const size_t *idx, size_t n, obs *o)
{
  rpc_call *c = calloc(2 * n, sizeof(*c));
  char(*params)[80] = calloc(n, sizeof(*params));
  uint64_t *nums = calloc(2 * n, sizeof(*nums));
  blockinfo *blocks = calloc(2 * n, sizeof(*blocks));
  size_t nb;
  anchor_evidence e;
  if(!c || !params || !nums || !blocks) {
    all_unknown(o, n, "out of memory");
    goto out;
  }
  for(size_t i = 0; i < n; i++) {
    snprintf(params[i], sizeof(params[i]), "[\"%s\"]", r->a[idx[i]].tx_hex);
    c[2 * i].method = "eth_getTransactionByHash";
    c[2 * i].params = params[i];
    c[2 * i + 1].method = "eth_getTransactionReceipt";
    c[2 * i + 1].params = params[i];
  }
  rpc_run(&r->nodes[k], c, 2 * n);
  nb = blocks_wanted(r, idx, n, c, nums);
  fetch_blocks(&r->nodes[k], nums, nb, blocks);
  for(size_t i = 0; i < n; i++) {
    const rpc_call *tc = &c[2 * i], *rc = &c[2 * i + 1];
    const anchor *a = &r->a[idx[i]];
    if(tc->status != RPC_OK || rc->status != RPC_OK) {
      const rpc_call *bad = tc->status != RPC_OK ? tc : rc;
      all_unknown(&o[i], 1, "");
      snprintf(o[i].reason, sizeof(o[i].reason), "%s: %s", bad->method,
               bad->err);
      continue;
    }
    gather(a, tc->result, rc->result, blocks, nb, &e);
    anchor_judge(&r->rules, &r->facts[k], a, &e, &o[i]);
    if(o[i].moved)
      r->host->log(r->ctx, PROBE_LOG_INFO,
                   "anchor %s moved from block %" PRIu64 " to %" PRIu64
                   " (reorg)",
                   a->tx_hex, a->seen->block_number, o[i].block_number);
  }
out:
  if(c)
    rpc_calls_free(c, 2 * n);
  free(c);
  free(params);
  free(nums);
  free(blocks);
}
/* Short text of an observation, for a disagreement. */
static void describe_obs(const obs *o, char *out, size_t n)
{
  static const char *const names[] = {"unknown", "confirmed", "pending",
                                      "failed", "superseded"};
  char bh[67] = "";
  if(o->have_block)
    anchor_hex32(o->block_hash, bh);
  snprintf(out, n, "%s%s%s%s%s", names[o->status],
           o->status == A_FAILED ? " rule " : "",
           o->status == A_FAILED ? anchor_rule_names[o->rule] : "",
           o->have_block ? " in block " : "", bh);
}

/* Merges what the nodes said about anchor a (obs o[k] of node k). */
static void combine(const run *r, anchor *a, obs *const *o, size_t i)
{
  const obs *first = &o[0][i];
  const obs *pick = first;
  int disagree = 0;
  for(size_t k = 0; k < r->nurls; k++) {
    const obs *x = &o[k][i];
    if(x->status == A_UNKNOWN) {
      a->status = A_UNKNOWN;
      snprintf(a->reason, sizeof(a->reason), "node %s: %s", r->nodes[k].target,
               x->reason);
      return;
    }
  }
  for(size_t k = 1; k < r->nurls; k++) {
    const obs *x = &o[k][i];
    int same_block =
        x->have_block == first->have_block &&
        (!x->have_block || (x->block_number == first->block_number &&
                            memcmp(x->block_hash, first->block_hash, 32) == 0));
    int both_ok = (x->status == A_CONFIRMED || x->status == A_PENDING) &&
                  (first->status == A_CONFIRMED || first->status == A_PENDING);
    if(same_block && both_ok) {
      if(x->status == A_PENDING)
        pick = x; /* a lagging node: not final until final everywhere */
    }
    else if(!same_block || x->status != first->status ||
            x->rule != first->rule) {
      disagree = 1;
    }
  }
  if(disagree) {
    size_t len = 0;
    a->status = A_FAILED;
    a->rule = 0;
    len += (size_t)snprintf(a->reason, sizeof(a->reason), "nodes disagree:");
    for(size_t k = 0; k < r->nurls && len < sizeof(a->reason); k++) {
      char d[160];
      describe_obs(&o[k][i], d, sizeof(d));
      len += (size_t)snprintf(a->reason + len, sizeof(a->reason) - len,
                              "%s %s says %s", k ? ";" : "", r->nodes[k].target,
                              d);
    }
    return;
  }
  a->status = pick->status;
  a->rule = pick->rule;
  snprintf(a->reason, sizeof(a->reason), "%s", pick->reason);
  a->have_block = pick->have_block;
  a->block_number = pick->block_number;
  memcpy(a->block_hash, pick->block_hash, 32);
  a->block_ts = pick->block_ts;
  a->has_nonce = pick->has_nonce;
  a->nonce = pick->nonce;
  a->fee_wei = pick->fee_wei;
}


/* rpc_node.time_left: the run's time left, from the host. */
static double host_time_left(void *ud)
{
  run *r = ud;
  return r->host->time_left(r->ctx);
}

/* Every node must be on the same chain: else the anchors to ask fail
 * (rule 0) and the node problem says why. 1 when they disagree. */
static int chains_disagree(run *r, const size_t *ask, size_t nask)
{
  for(size_t k = 1; k < r->nurls; k++) {
    if(!r->facts[k].usable || !r->facts[0].usable ||
       r->facts[k].chain_id == r->facts[0].chain_id)
      continue;
    snprintf(r->node_problem, sizeof(r->node_problem),
             "nodes disagree on eth_chainId: %s says %" PRIu64
             ", %s says %" PRIu64,
             r->nodes[0].target, r->facts[0].chain_id, r->nodes[k].target,
             r->facts[k].chain_id);
    for(size_t j = 0; j < nask; j++) {
      anchor *a = &r->a[ask[j]];
      a->status = A_FAILED;
      a->rule = RULE_NODES_DISAGREE;
      snprintf(a->reason, sizeof(a->reason), "%s", r->node_problem);
    }
    return 1;
  }
  for(size_t k = 0; k < r->nurls && !r->node_problem[0]; k++)
    if(!r->facts[k].usable)
      snprintf(r->node_problem, sizeof(r->node_problem),
               "node %s is not usable: %s", r->nodes[k].target,
               r->facts[k].why);
  return 0;
}

/* Asks every node about anchors ask[0..nask) (and, on every run, for
 * the chain facts: one request a node, so that a dead node or one on
 * another chain shows now, not when the next anchor needs it), and
 * merges their answers into the anchors. 0, or -1 out of memory. */
int anchor_ask_nodes(run *r, const size_t *ask, size_t nask)
{
  obs **o;
  int rc = -1;
  r->nodes = calloc(r->nurls, sizeof(*r->nodes));
  r->facts = calloc(r->nurls, sizeof(*r->facts));
  o = calloc(r->nurls, sizeof(*o));
  if(!r->nodes || !r->facts || !o)
    goto out;
  for(size_t k = 0; k < r->nurls; k++) {
    if(rpc_node_init(&r->nodes[k], r->urls[k], r->rpc_timeout, r->max_bytes,
                     r->batch_max) != 0)
      goto out;
    r->nodes[k].time_left = host_time_left;
    r->nodes[k].time_ud = r;
    o[k] = calloc(CHUNK, sizeof(**o));
    if(!o[k])
      goto out;
  }
  for(size_t k = 0; k < r->nurls; k++)
    ask_node_facts(r, k);
  if(chains_disagree(r, ask, nask))
    nask = 0;
  for(size_t off = 0; off < nask; off += CHUNK) {
    size_t n = nask - off < CHUNK ? nask - off : CHUNK;
    for(size_t k = 0; k < r->nurls; k++) {
      if(r->facts[k].usable)
        ask_anchors(r, k, ask + off, n, o[k]);
      else
        all_unknown(o[k], n, r->facts[k].why);
    }
    for(size_t i = 0; i < n; i++)
      combine(r, &r->a[ask[off + i]], o, i);
  }
  rc = 0;
out:
  if(o)
    for(size_t k = 0; k < r->nurls; k++)
      free(o[k]);
  free(o);
  return rc;
}
