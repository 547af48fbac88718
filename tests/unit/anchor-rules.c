/* SPDX-License-Identifier: Apache-2.0 */
/*
 * anchor-rules.c: unit tests of the anchor plugin's seven rules
 * (plugins/anchor/rules.c), one by one over hand-made evidence, without a
 * node: each rule's passing and failing case, pending within the grace
 * and failed after it, and the order between the rules (the chain first,
 * the ledger hash before finality, a receipt before the input).
 */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plugins/anchor/anchor.h"

#define NOW 1000000.0
#define CHAIN 1337
#define BLOCK 100

static const uint8_t wallet[20] = {0x90, 0xf8, 0xbf, 0x6a, 0x47};

/* The case every test starts from: a well-formed anchor that every rule
 * confirms (finalized tag at BLOCK + 5, the sender the wallet's). */
typedef struct fixture {
  anchor_rules c;
  node_facts f;
  anchor a;
  anchor_evidence e;
  obs o;
} fixture;

static void setup_case(fixture *x)
{
  memset(x, 0, sizeof(*x));
  x->c.now = NOW;
  x->c.grace = 1800;
  x->c.min_conf = 12;
  x->c.have_sender = 1;
  memcpy(x->c.sender, wallet, 20);
  strcpy(x->c.sender_hex, "0x90f8bf6a47");
  x->f.usable = 1;
  x->f.chain_id = CHAIN;
  x->f.fin_known = 1;
  x->f.fin_bn = BLOCK + 5;
  x->f.latest_bn = BLOCK + 20;
  x->a.seq = 10;
  x->a.ts = NOW - 3600; /* past the grace */
  x->a.anchored_seq = 9;
  memset(x->a.anchored_hash, 0xab, 32);
  x->a.chain_id = CHAIN;
  memset(x->a.tx_hash, 0x11, 32);
  strcpy(x->a.tx_hex, "0x1111");
  x->a.lh = LH_OK;
  x->e.tx = ANS_OK;
  x->e.hash_ok = 1;
  x->e.has_nonce = 1;
  x->e.nonce = 7;
  memcpy(x->e.from, wallet, 20);
  x->e.has_tx_chain = 1;
  x->e.tx_chain = CHAIN;
  x->e.tx_has_block = 1;
  memset(x->e.tx_block_hash, 0xbb, 32);
  x->e.rcpt = ANS_OK;
  memset(x->e.rcpt_tx, 0x11, 32);
  x->e.rcpt_status = 1;
  x->e.rcpt_block = BLOCK;
  memset(x->e.rcpt_block_hash, 0xbb, 32);
  x->e.fee_wei = 21000.0 * 1e9;
  x->e.input_len = 32;
  memset(x->e.input, 0xab, 32);
  x->e.recovered = 1;
  memcpy(x->e.who, wallet, 20);
  x->e.block_ok = 1;
  memset(x->e.block_hash, 0xbb, 32);
  x->e.block_ts = (int64_t)NOW - 3000;
}

static void judge(fixture *x)
{
  anchor_judge(&x->c, &x->f, &x->a, &x->e, &x->o);
}

/* Judges x and checks status and rule, and that reason holds want. */
static void expect(fixture *x, int status, int rule, const char *want)
{
  judge(x);
  if(x->o.status != status || x->o.rule != rule ||
     (want && !strstr(x->o.reason, want)))
    fail_msg("status %d rule %d \"%s\", expected status %d rule %d \"%s\"",
             x->o.status, x->o.rule, x->o.reason, status, rule,
             want ? want : "");
}

static void test_confirmed(void **state)
{
  fixture x;
  (void)state;
  setup_case(&x);
  expect(&x, A_CONFIRMED, 0, "confirmed in block 100");
  assert_true(x.o.have_block);
  assert_int_equal(x.o.block_number, BLOCK);
  assert_true(x.o.has_nonce);
  assert_int_equal(x.o.nonce, 7);
  assert_int_equal(x.o.block_ts, (int64_t)NOW - 3000);
  assert_false(x.o.moved);
}

static void test_rule1_chain(void **state)
{
  fixture x;
  (void)state;
  setup_case(&x);
  x.f.chain_id = 1;
  expect(&x, A_FAILED, RULE_CHAIN_ID, "node is on chain 1");
  setup_case(&x);
  x.e.tx_chain = 5;
  expect(&x, A_FAILED, RULE_CHAIN_ID, "signed for chain 5");
  setup_case(&x);
  x.e.has_tx_chain = 0; /* a legacy transaction binds no chain: ok */
  x.e.tx_chain = 5;
  expect(&x, A_CONFIRMED, 0, NULL);
}

static void test_rule2_transaction(void **state)
{
  fixture x;
  (void)state;
  setup_case(&x);
  x.e.hash_ok = 0;
  expect(&x, A_FAILED, RULE_TRANSACTION,
         "does not hash to tx_hash (fields differ)");
  setup_case(&x);
  x.e.rcpt_tx[0] = 0x22;
  expect(&x, A_FAILED, RULE_TRANSACTION, "receipt is for another transaction");
  setup_case(&x);
  x.e.rcpt_status = 0;
  expect(&x, A_FAILED, RULE_TRANSACTION, "reverted");
  /* not found: pending within the grace, failed after it */
  setup_case(&x);
  x.e.tx = ANS_NONE;
  expect(&x, A_FAILED, RULE_TRANSACTION, "transaction not found, 3600 s");
  x.a.ts = NOW - 60;
  expect(&x, A_PENDING, RULE_TRANSACTION, "transaction not found");
  x.a.ts = NAN; /* no time: never pending */
  expect(&x, A_FAILED, RULE_TRANSACTION, "not found");
  /* a malformed answer is no verdict */
  setup_case(&x);
  x.e.tx = ANS_MALFORMED;
  expect(&x, A_UNKNOWN, 0, "malformed transaction");
  setup_case(&x);
  x.e.rcpt = ANS_MALFORMED;
  expect(&x, A_UNKNOWN, 0, "malformed receipt");
}

static void test_rule3_input(void **state)
{
  fixture x;
  (void)state;
  setup_case(&x);
  x.e.input[5] ^= 1;
  expect(&x, A_FAILED, RULE_INPUT, "input data is raw hash");
  /* the abi form: selector, hash, seq as a 32-byte word */
  setup_case(&x);
  static const uint8_t sel[4] = {0xdb, 0x2c, 0x4a, 0xca};
  x.e.input_len = 68;
  memcpy(x.e.input, sel, 4);
  memset(x.e.input + 4, 0xab, 32);
  memset(x.e.input + 36, 0, 32);
  x.e.input[67] = 9;
  expect(&x, A_CONFIRMED, 0, NULL);
  x.e.input[67] = 8; /* another seq */
  expect(&x, A_FAILED, RULE_INPUT, "anchor(");
  x.e.input[67] = 9;
  x.e.input[40] = 1; /* a seq word wider than 64 bits */
  expect(&x, A_FAILED, RULE_INPUT, NULL);
  setup_case(&x);
  x.e.input_len = 4;
  expect(&x, A_FAILED, RULE_INPUT, "4 bytes in neither form");
}

static void test_rule4_sender(void **state)
{
  fixture x;
  (void)state;
  setup_case(&x);
  x.e.recovered = 0;
  x.e.recover_err = "bad s";
  expect(&x, A_FAILED, RULE_SENDER, "does not recover: bad s");
  setup_case(&x);
  x.e.from[0] ^= 1;
  expect(&x, A_FAILED, RULE_SENDER, "but the node says from");
  setup_case(&x);
  x.e.who[0] ^= 1;
  x.e.from[0] ^= 1;
  expect(&x, A_FAILED, RULE_SENDER, "not by the anchoring wallet");
  assert_false(x.o.has_nonce); /* not the wallet's nonce */
  x.c.have_sender = 0;         /* no expected_sender: anyone may anchor */
  expect(&x, A_CONFIRMED, 0, NULL);
  assert_true(x.o.has_nonce);
}

static void test_rule5_reorg(void **state)
{
  fixture x;
  cache_entry seen;
  (void)state;
  setup_case(&x);
  x.e.block_hash[0] = 0xcc;
  expect(&x, A_FAILED, RULE_REORG,
         "the canonical block at that height is 0xcc");
  setup_case(&x);
  x.e.tx_block_hash[0] = 0xcc;
  expect(&x, A_FAILED, RULE_REORG, "reorg");
  setup_case(&x);
  x.e.block_ok = 0;
  expect(&x, A_UNKNOWN, 0, "block 100: not fetched");
  /* gone with the block it was seen in */
  setup_case(&x);
  memset(&seen, 0, sizeof(seen));
  seen.block_number = 90;
  memset(seen.block_hash, 0xdd, 32);
  x.a.seen = &seen;
  x.e.tx = ANS_NONE;
  x.e.seen_ok = 1;
  memset(x.e.seen_hash, 0xee, 32);
  expect(&x, A_FAILED, RULE_REORG, "block 90");
  memset(x.e.seen_hash, 0xdd, 32); /* still there: merely not found */
  expect(&x, A_FAILED, RULE_TRANSACTION, "not found");
  /* moved and included again: judged where it is now */
  setup_case(&x);
  x.a.seen = &seen;
  expect(&x, A_CONFIRMED, 0, NULL);
  assert_true(x.o.moved);
}

static void test_rule6_final(void **state)
{
  fixture x;
  (void)state;
  setup_case(&x);
  x.f.fin_bn = BLOCK - 1;
  expect(&x, A_FAILED, RULE_FINAL, "above the finalized block 99");
  x.a.ts = NOW - 60;
  expect(&x, A_PENDING, RULE_FINAL, "not final");
  x.f.fin_bn = BLOCK; /* at the finalized block: final */
  expect(&x, A_CONFIRMED, 0, NULL);
  /* no finalized tag: min_confirmations deep */
  setup_case(&x);
  x.f.fin_known = 0;
  x.f.latest_bn = BLOCK + 10; /* 11 confirmations */
  expect(&x, A_FAILED, RULE_FINAL, "11 of 12 confirmations");
  x.f.latest_bn = BLOCK + 11;
  expect(&x, A_CONFIRMED, 0, NULL);
  /* not mined yet */
  setup_case(&x);
  x.e.rcpt = ANS_NONE;
  expect(&x, A_FAILED, RULE_FINAL, "not mined yet");
  setup_case(&x);
  x.e.tx_has_block = 0;
  x.a.ts = NOW - 10;
  expect(&x, A_PENDING, RULE_FINAL, "not mined yet");
}

static void test_rule7_ledger_hash(void **state)
{
  fixture x;
  (void)state;
  setup_case(&x);
  x.a.lh = LH_DIFFERS;
  expect(&x, A_FAILED, RULE_LEDGER_HASH, "not the ledger's hash of event 9");
  x.a.lh = LH_NO_EVENT;
  expect(&x, A_FAILED, RULE_LEDGER_HASH, "has no event 9");
  x.a.lh = LH_NOT_BEFORE;
  expect(&x, A_FAILED, RULE_LEDGER_HASH,
         "not before the anchor event's own seq 10");
}

/* The order: which rule a case with several faults fails. */
static void test_order(void **state)
{
  fixture x;
  (void)state;
  /* the chain before everything */
  setup_case(&x);
  x.f.chain_id = 1;
  x.a.lh = LH_DIFFERS;
  x.e.hash_ok = 0;
  expect(&x, A_FAILED, RULE_CHAIN_ID, NULL);
  /* the transaction's hash before the chain it is signed for */
  setup_case(&x);
  x.e.hash_ok = 0;
  x.e.tx_chain = 5;
  expect(&x, A_FAILED, RULE_TRANSACTION, NULL);
  /* rule 7 before 6: a wrong hash fails whether final or not, and
   * whether mined or found at all */
  setup_case(&x);
  x.a.lh = LH_DIFFERS;
  x.f.fin_bn = BLOCK - 1;
  x.a.ts = NOW - 10;
  expect(&x, A_FAILED, RULE_LEDGER_HASH, NULL);
  x.e.rcpt = ANS_NONE;
  expect(&x, A_FAILED, RULE_LEDGER_HASH, NULL);
  x.e.tx = ANS_NONE;
  expect(&x, A_FAILED, RULE_LEDGER_HASH, NULL);
  /* but after what was written and who wrote it: 3 and 4 before 7 */
  setup_case(&x);
  x.a.lh = LH_DIFFERS;
  x.e.input[0] ^= 1;
  x.e.who[0] ^= 1;
  expect(&x, A_FAILED, RULE_INPUT, NULL);
  x.e.input[0] ^= 1;
  expect(&x, A_FAILED, RULE_SENDER, NULL);
  x.e.who[0] ^= 1;
  x.e.block_hash[0] ^= 1;
  expect(&x, A_FAILED, RULE_REORG, NULL);
  /* a reverted receipt before the input */
  setup_case(&x);
  x.e.rcpt_status = 0;
  x.e.input_len = 0;
  expect(&x, A_FAILED, RULE_TRANSACTION, "reverted");
  /* the input before the sender, the sender before the reorg, the reorg
   * before finality */
  setup_case(&x);
  x.e.input_len = 0;
  x.e.recovered = 0;
  expect(&x, A_FAILED, RULE_INPUT, NULL);
  setup_case(&x);
  x.e.recovered = 0;
  x.e.block_hash[0] ^= 1;
  expect(&x, A_FAILED, RULE_SENDER, NULL);
  setup_case(&x);
  x.e.block_hash[0] ^= 1;
  x.f.fin_bn = 0;
  expect(&x, A_FAILED, RULE_REORG, NULL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_confirmed),
      cmocka_unit_test(test_rule1_chain),
      cmocka_unit_test(test_rule2_transaction),
      cmocka_unit_test(test_rule3_input),
      cmocka_unit_test(test_rule4_sender),
      cmocka_unit_test(test_rule5_reorg),
      cmocka_unit_test(test_rule6_final),
      cmocka_unit_test(test_rule7_ledger_hash),
      cmocka_unit_test(test_order),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
