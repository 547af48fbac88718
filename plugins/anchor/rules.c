/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules.c: the seven rules of "confirmed" (anchor.c's header lists them)
 * as pure functions over one node's evidence about one anchor
 * (anchor_evidence, gathered by anodes.c): no I/O and no host calls, so
 * that tests/unit/anchor-rules.c can judge every case without a node.
 * The order matters and is the order of anchor_judge: the chain first, a
 * wrong ledger hash (rule 7) before finality (rule 6).
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "crypto/hex.h"
#include "plugins/anchor/anchor.h"

const char *const anchor_rule_names[8] = {"nodes_disagree", "chain_id",
                                          "transaction",    "input",
                                          "sender",         "reorg",
                                          "final",          "ledger_hash"};

static const uint8_t selector[4] = {0xdb, 0x2c, 0x4a, 0xca};

/* "0x" and the hex of a 32-byte hash. */
void anchor_hex32(const uint8_t h[32], char out[67])
{
  out[0] = '0';
  out[1] = 'x';
  crypto_hex_encode(h, 32, out + 2);
}

/* "0x" and the hex of an address. */
void anchor_hex20(const uint8_t h[20], char out[43])
{
  out[0] = '0';
  out[1] = 'x';
  crypto_hex_encode(h, 20, out + 2);
}

/* qsort order of uint64_t. */
int anchor_cmp_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* qsort/bsearch order of 32-byte hashes. */
int anchor_cmp_hash(const void *a, const void *b)
{
  return memcmp(a, b, 32);
}

/* The input data check (rule 3): raw or abi form. 1 when it matches. */
static int input_matches(const anchor *a, const anchor_evidence *e)
{
  const uint8_t *in = e->input;
  if(e->input_len == 32)
    return memcmp(in, a->anchored_hash, 32) == 0;
  if(e->input_len != 68 || memcmp(in, selector, 4) != 0 ||
     memcmp(in + 4, a->anchored_hash, 32) != 0)
    return 0;
  for(int i = 0; i < 24; i++)
    if(in[36 + i] != 0)
      return 0;
  uint64_t seq = 0;
  for(int i = 0; i < 8; i++)
    seq = seq << 8 | in[60 + i];
  return a->anchored_seq >= 0 && seq == (uint64_t)a->anchored_seq;
}

/* A short description of input data, for a rule 3 failure. */
static void describe_input(const anchor_evidence *e, char *out, size_t n)
{
  const uint8_t *in = e->input;
  char h[65];
  if(e->input_len == 32) {
    crypto_hex_encode(in, 32, h);
    snprintf(out, n, "raw hash %s", h);
  }
  else if(e->input_len == 68 && memcmp(in, selector, 4) == 0) {
    uint64_t seq = 0;
    for(int i = 0; i < 8; i++)
      seq = seq << 8 | in[60 + i];
    crypto_hex_encode(in + 4, 32, h);
    snprintf(out, n, "anchor(%s, %" PRIu64 ")", h, seq);
  }
  else {
    snprintf(out, n, "%zu bytes in neither form", e->input_len);
  }
}

/* A failure of rule with its reason. */
static void fail(obs *o, anchor_rule rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(obs *o, anchor_rule rule, const char *fmt, ...)
{
  va_list ap;
  o->status = A_FAILED;
  o->rule = rule;
  va_start(ap, fmt);
  vsnprintf(o->reason, sizeof(o->reason), fmt, ap);
  va_end(ap);
}

/* An answer the rules cannot judge: unknown, not failed. */
static void unknown(obs *o, const char *what)
{
  o->status = A_UNKNOWN;
  o->rule = 0;
  snprintf(o->reason, sizeof(o->reason), "%s", what);
}

/* Not final, or not found: pending within the grace, else failed. */
static void pending_or_failed(const anchor_rules *c, const anchor *a, obs *o,
                              anchor_rule rule, const char *what)
{
  if(!isnan(a->ts) && c->now - a->ts < c->grace) {
    o->status = A_PENDING;
    o->rule = rule;
    snprintf(o->reason, sizeof(o->reason), "%s", what);
  }
  else
    fail(o, rule, "%s, %.0f s after the anchor event (pending_grace %.0f s)",
         what, isnan(a->ts) ? -1.0 : c->now - a->ts, c->grace);
}

/* Rule 7: anchored_hash is the ledger's hash at anchored_seq. */
static void rule_ledger_hash(const anchor *a, obs *o)
{
  if(a->lh == LH_NOT_BEFORE)
    fail(o, RULE_LEDGER_HASH,
         "anchored_seq %" PRId64
         " is not before the anchor event's own seq %" PRId64,
         a->anchored_seq, a->seq);
  else if(a->lh == LH_NO_EVENT)
    fail(o, RULE_LEDGER_HASH, "the ledger has no event %" PRId64,
         a->anchored_seq);
  else
    fail(o, RULE_LEDGER_HASH,
         "anchored_hash is not the ledger's hash of event %" PRId64,
         a->anchored_seq);
}

/* Rule 1 (the node): the node's chain is the anchor's. */
static int rule_node_chain(const node_facts *f, const anchor *a, obs *o)
{
  if(f->chain_id == a->chain_id)
    return 0;
  fail(o, RULE_CHAIN_ID,
       "node is on chain %" PRIu64 ", the anchor says chain %" PRIu64,
       f->chain_id, a->chain_id);
  return 1;
}

/* No such transaction: gone by a reorg (rule 5) when the block where it
 * was seen is no longer canonical, else rule 7 or not found (rule 2). */
static void judge_missing(const anchor_rules *c, const anchor *a,
                          const anchor_evidence *e, obs *o)
{
  if(a->seen && e->seen_ok &&
     memcmp(e->seen_hash, a->seen->block_hash, 32) != 0) {
    char was[67], now[67];
    anchor_hex32(a->seen->block_hash, was);
    anchor_hex32(e->seen_hash, now);
    fail(o, RULE_REORG,
         "reorg: the transaction was in block %" PRIu64
         " %s, which is no longer canonical (now %s), and is gone",
         a->seen->block_number, was, now);
  }
  else if(a->lh < 0)
    rule_ledger_hash(a, o);
  else
    pending_or_failed(c, a, o, RULE_TRANSACTION, "transaction not found");
}

/* Rule 2 (the transaction): it hashes to tx_hash. */
static int rule_tx_hash(const anchor_evidence *e, obs *o)
{
  if(e->hash_ok)
    return 0;
  fail(o, RULE_TRANSACTION,
       "the node's transaction does not hash to tx_hash (%s)",
       e->hash_err ? e->hash_err : "fields differ");
  return 1;
}

/* Rule 1 (the signature): the chain it is signed for is the anchor's. */
static int rule_tx_chain(const anchor *a, const anchor_evidence *e, obs *o)
{
  if(!e->has_tx_chain || e->tx_chain == a->chain_id)
    return 0;
  fail(o, RULE_CHAIN_ID,
       "transaction is signed for chain %" PRIu64 ", the anchor says %" PRIu64,
       e->tx_chain, a->chain_id);
  return 1;
}

/* Rule 2 (the receipt): for this transaction, and it succeeded. */
static int rule_receipt(const anchor *a, const anchor_evidence *e, obs *o)
{
  if(e->rcpt == ANS_MALFORMED) {
    unknown(o, "node answered a malformed receipt");
    return 1;
  }
  if(memcmp(e->rcpt_tx, a->tx_hash, 32) != 0) {
    fail(o, RULE_TRANSACTION, "the node's receipt is for another transaction");
    return 1;
  }
  if(e->rcpt_status != 1) {
    fail(o, RULE_TRANSACTION,
         "transaction failed on chain (receipt status 0x%" PRIx64 ", reverted)",
         e->rcpt_status);
    return 1;
  }
  return 0;
}

/* Rule 3: what was written is this anchor. */
static int rule_input(const anchor *a, const anchor_evidence *e, obs *o)
{
  char got[160], want[65];
  if(input_matches(a, e))
    return 0;
  describe_input(e, got, sizeof(got));
  crypto_hex_encode(a->anchored_hash, 32, want);
  fail(o, RULE_INPUT,
       "input data is %s, not the raw or abi form of hash %s"
       " seq %" PRId64,
       got, want, a->anchored_seq);
  return 1;
}

/* Rule 4: the signature's sender is the node's from, and the wallet's. */
static int rule_sender(const anchor_rules *c, const anchor_evidence *e, obs *o)
{
  char whohex[43], fromhex[43];
  if(!e->recovered) {
    fail(o, RULE_SENDER, "signature does not recover: %s",
         e->recover_err ? e->recover_err : "?");
    return 1;
  }
  anchor_hex20(e->who, whohex);
  anchor_hex20(e->from, fromhex);
  if(memcmp(e->who, e->from, 20) != 0) {
    fail(o, RULE_SENDER, "signature recovers to %s but the node says from %s",
         whohex, fromhex);
    return 1;
  }
  if(c->have_sender && memcmp(e->who, c->sender, 20) != 0) {
    fail(o, RULE_SENDER, "sent by %s, not by the anchoring wallet %s", whohex,
         c->sender_hex);
    return 1;
  }
  return 0;
}

/* Rule 5: its block is still the canonical one at that height. */
static int rule_reorg(const anchor *a, const anchor_evidence *e, obs *o)
{
  char in[67], canon[67];
  if(!e->block_ok) {
    snprintf(o->reason, sizeof(o->reason), "block %" PRIu64 ": %s",
             e->rcpt_block, e->block_err[0] ? e->block_err : "not fetched");
    o->status = A_UNKNOWN;
    return 1;
  }
  o->block_ts = e->block_ts;
  if(memcmp(e->block_hash, e->rcpt_block_hash, 32) != 0 ||
     memcmp(e->tx_block_hash, e->rcpt_block_hash, 32) != 0) {
    anchor_hex32(e->rcpt_block_hash, in);
    anchor_hex32(e->block_hash, canon);
    fail(o, RULE_REORG,
         "reorg: receipt says block %" PRIu64 " %s, the "
         "canonical block at that height is %s",
         e->rcpt_block, in, canon);
    return 1;
  }
  /* moved by a reorg but included again: judged where it is now */
  o->moved = a->seen && a->seen->block_number != e->rcpt_block;
  return 0;
}

/* Rule 6: at or below "finalized", else min_confirmations deep. */
static int rule_final(const anchor_rules *c, const node_facts *f,
                      const anchor *a, uint64_t bn, obs *o)
{
  char what[160];
  int final;
  if(f->fin_known) {
    final = bn <= f->fin_bn;
    snprintf(what, sizeof(what),
             "not final: block %" PRIu64
             " is above the finalized block %" PRIu64,
             bn, f->fin_bn);
  }
  else {
    uint64_t conf = f->latest_bn >= bn ? f->latest_bn - bn + 1 : 0;
    final = conf >= (uint64_t)c->min_conf;
    snprintf(what, sizeof(what), "not final: %" PRIu64 " of %lld confirmations",
             conf, c->min_conf);
  }
  if(final)
    return 0;
  pending_or_failed(c, a, o, RULE_FINAL, what);
  return 1;
}

/* The wallet's nonce of the transaction, for the nonce accounting: of
 * the wallet's own transactions only. */
static void take_facts(const anchor_rules *c, const anchor_evidence *e, obs *o)
{
  if(e->has_nonce && (!c->have_sender || memcmp(e->from, c->sender, 20) == 0)) {
    o->has_nonce = 1;
    o->nonce = e->nonce;
  }
}

/* Judges one anchor from what node f answered (e): fills o. Pure. */
void anchor_judge(const anchor_rules *c, const node_facts *f, const anchor *a,
                  const anchor_evidence *e, obs *o)
{
  memset(o, 0, sizeof(*o));
  o->status = A_FAILED;
  if(rule_node_chain(f, a, o))
    return;
  if(e->tx == ANS_NONE) {
    judge_missing(c, a, e, o);
    return;
  }
  if(e->tx == ANS_MALFORMED) {
    unknown(o, "");
    snprintf(o->reason, sizeof(o->reason),
             "node answered a malformed transaction: %s", e->tx_err);
    return;
  }
  if(rule_tx_hash(e, o))
    return;
  take_facts(c, e, o);
  if(rule_tx_chain(a, e, o))
    return;
  /* a mined transaction has a receipt; one without is still pending */
  if(e->rcpt == ANS_NONE || !e->tx_has_block) {
    if(a->lh < 0)
      rule_ledger_hash(a, o);
    else
      pending_or_failed(c, a, o, RULE_FINAL, "transaction not mined yet");
    return;
  }
  if(rule_receipt(a, e, o))
    return;
  o->have_block = 1;
  o->block_number = e->rcpt_block;
  memcpy(o->block_hash, e->rcpt_block_hash, 32);
  o->fee_wei = e->fee_wei;
  if(rule_input(a, e, o) || rule_sender(c, e, o) || rule_reorg(a, e, o))
    return;
  /* rule 7 before 6: a wrong ledger hash fails whether final or not */
  if(a->lh < 0) {
    rule_ledger_hash(a, o);
    return;
  }
  if(rule_final(c, f, a, e->rcpt_block, o))
    return;
  o->status = A_CONFIRMED;
  o->rule = 0;
  snprintf(o->reason, sizeof(o->reason), "confirmed in block %" PRIu64,
           e->rcpt_block);
}
