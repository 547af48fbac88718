/* SPDX-License-Identifier: Apache-2.0 */
/*
 * anchor.h: what the parts of the anchor plugin share. The plugin is
 * split along its seams, each part a file:
 *   aledger.c   reading the ledger: anchors, supersessions, the hashes at
 *               the anchored seqs (over ledgerscan.h, each event's seq and
 *               hash by lverify's engine), with progress
 *   anodes.c    asking the nodes (rpc.h): chain facts, each anchor's
 *               transaction, receipt and block as evidence, and merging
 *               what several nodes said
 *   rules.c     the seven rules as pure functions over that evidence (no
 *               I/O, no host calls; tests/unit/anchor-rules.c)
 *   wallet.c    the wallet checks (nonce accounting, funds)
 *   remember.c  the cache of final anchors (cache.h) and its rechecks
 *   report.c    the result line and confirmed.json
 *   anchor.c    the settings and the run that ties them together
 */
#ifndef PLUGINS_ANCHOR_ANCHOR_H
#define PLUGINS_ANCHOR_ANCHOR_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "plugins/anchor/cache.h"
#include "plugins/anchor/ledgerscan.h"
#include "plugins/anchor/rpc.h"
#include "plugins/common/pkit.h"
#include "plugins/ledger/lverify.h"
#include "probe-plugin.h"

#define RING 4096         /* recent (seq, hash) kept while reading */
#define CHUNK 200         /* anchors asked per round of requests */
#define MAX_LISTED 50     /* failures / pending listed in details */
#define MAX_UNRECORDED 20 /* unrecorded nonces listed (and searched) */
#define FEE_ANCHORS 20    /* recent confirmed anchors averaged for the fee */
#define MAX_PLAUSIBLE_COUNT ((uint64_t)1 << 40) /* a larger nonce count lies */

/* What became of an anchor (and what one node says of it). */
typedef enum anchor_status {
  A_UNKNOWN,
  A_CONFIRMED,
  A_PENDING,
  A_FAILED,
  A_SUPERSEDED
} anchor_status;

/* The rules of "confirmed", numbered as in the result's details.rule. */
typedef enum anchor_rule {
  RULE_NODES_DISAGREE = 0,
  RULE_CHAIN_ID = 1,
  RULE_TRANSACTION = 2,
  RULE_INPUT = 3,
  RULE_SENDER = 4,
  RULE_REORG = 5,
  RULE_FINAL = 6,
  RULE_LEDGER_HASH = 7
} anchor_rule;

/* The ledger's hash at anchored_seq against anchored_hash: negative
 * states are rule 7 failures. */
typedef enum anchor_lh {
  LH_NOT_BEFORE = -3, /* anchored_seq is not before the anchor's own seq */
  LH_NO_EVENT = -2,   /* the ledger has no event at anchored_seq */
  LH_DIFFERS = -1,    /* the event's hash is another */
  LH_UNCHECKED = 0,   /* not known yet (or too far back on stdin) */
  LH_OK = 1
} anchor_lh;

/* One AnchorSubmitted event and what became of it. */
typedef struct anchor {
  int64_t seq;
  double ts;
  int64_t anchored_seq;
  uint8_t anchored_hash[32];
  uint64_t chain_id;
  uint8_t tx_hash[32];
  char tx_hex[67];
  int malformed; /* the event's payload is not what section 3 says */
  char malformed_why[160];
  int superseded;
  anchor_lh lh;
  int cached;
  const cache_entry *seen;    /* block where it was last seen, not final */
  const cache_entry *recheck; /* a cached final anchor asked again */
  /* verdict */
  int status, rule;
  char reason[800];
  int have_block;
  uint64_t block_number;
  uint8_t block_hash[32];
  int64_t block_ts;
  int has_nonce; /* the wallet's nonce of the transaction */
  uint64_t nonce;
  double fee_wei; /* gasUsed x effectiveGasPrice, 0 unknown */
} anchor;

/* What one node says about one anchor. */
typedef struct obs {
  int status, rule;
  char reason[400];
  int have_block;
  uint64_t block_number;
  uint8_t block_hash[32];
  int64_t block_ts;
  int has_nonce;
  uint64_t nonce;
  double fee_wei;
  int moved; /* included again elsewhere after a reorg */
} obs;

/* What one node says about the chain. */
typedef struct node_facts {
  int usable;
  char why[400];
  uint64_t chain_id;
  int fin_known;
  uint64_t fin_bn, latest_bn;
  /* the wallet (wallet_check): count at the final block, balance */
  int count_ok, balance_ok;
  uint64_t count, count_block;
  double balance_wei;
  char count_why[400], balance_why[400];
} node_facts;

/* A recorded transaction of the wallet, for the nonce accounting. */
typedef struct wtx {
  uint8_t h[32];
  int has_nonce, not_ours, lookup;
  uint64_t nonce, block;
  int have_block;
} wtx;

/* What the rules need of the settings and the clock. */
typedef struct anchor_rules {
  double now, grace;
  long long min_conf;
  int have_sender;
  uint8_t sender[20];
  char sender_hex[43];
} anchor_rules;

/* Whether a node has a transaction / receipt, and in what shape. */
typedef enum anchor_answer {
  ANS_NONE,      /* null: the node has no such thing */
  ANS_MALFORMED, /* not what JSON-RPC says */
  ANS_OK
} anchor_answer;

/* One node's answers about one anchor, decoded and with the crypto done
 * (anodes.c gathers it), so that the rules are plain comparisons. */
typedef struct anchor_evidence {
  anchor_answer tx;
  char tx_err[200];     /* ANS_MALFORMED: why */
  int hash_ok;          /* the transaction hashes to tx_hash, as the
                              node's hash says */
  const char *hash_err; /* else why */
  int has_nonce;
  uint64_t nonce;
  uint8_t from[20]; /* the node's "from" */
  int has_tx_chain; /* the chain the signature binds */
  uint64_t tx_chain;
  int tx_has_block;
  uint8_t tx_block_hash[32];
  anchor_answer rcpt;
  uint8_t rcpt_tx[32];
  uint64_t rcpt_status, rcpt_block;
  uint8_t rcpt_block_hash[32];
  double fee_wei;
  size_t input_len; /* input data (its first 68 bytes kept) */
  uint8_t input[68];
  int recovered;           /* the signature recovers to who */
  const char *recover_err; /* else why */
  uint8_t who[20];
  int block_ok;        /* the canonical block at rcpt_block */
  char block_err[200]; /* else why */
  uint8_t block_hash[32];
  int64_t block_ts;
  int seen_ok; /* the canonical block where it was seen */
  uint8_t seen_hash[32];
} anchor_evidence;

/* Everything of one run. */
typedef struct run {
  probe_ctx *ctx;
  const probe_host *host;
  /* settings */
  pkit kit; /* holds the settings' strings until run_free */
  ledgerscan_opts src;
  const char **urls;
  size_t nurls;
  anchor_rules rules;         /* now, grace, min_conf, sender */
  int finality_confirmations; /* 1: ignore the finalized tag */
  double max_age, rpc_timeout;
  size_t max_bytes, batch_max;
  int use_cache;
  double recheck_every; /* re-ask cached final anchors this often (0 never) */
  double last_run;      /* when the previous run began (recheck.json) */
  size_t nrechecked;
  /* ledger */
  anchor *a;
  size_t na, cap;
  uint8_t (*superseded)[32];
  size_t nsup, capsup;
  int64_t head_seq;
  uint64_t events;
  int64_t ring_seq[RING];
  uint8_t ring_hash[RING][32];
  size_t unresolved;
  size_t *idx, nidx;  /* unresolved anchors by anchored_seq (second pass) */
  double progress_ms; /* when progress was last reported */
  lv_hasher *hasher;  /* the seq and hash of each event (lverify.h) */
  /* nodes */
  rpc_node *nodes;
  node_facts *facts;
  char node_problem[600]; /* a node unusable or disagreeing, for a warning */
  cache cache;
  /* the wallet */
  int wallet_on; /* expected_sender and wallet_check */
  uint64_t *other_nonces;
  size_t nother;
  long long max_scan;
  double min_runway, window;
  wtx *w;
  size_t nw;
  int w_status; /* PROBE_OK.. of the wallet part */
  char w_sum[1400];
  cJSON *w_unrec; /* details.unrecorded */
  double w_nunrec;
  int have_count, have_balance, have_fee;
  uint64_t count;
  double balance, avg_fee, anchors_left, runway;
  int have_runway;
} run;

/* rules.c */
extern const char *const anchor_rule_names[8];
void anchor_judge(const anchor_rules *c, const node_facts *f, const anchor *a,
                  const anchor_evidence *e, obs *o);
void anchor_hex32(const uint8_t h[32], char out[67]);
void anchor_hex20(const uint8_t h[20], char out[43]);
int anchor_cmp_u64(const void *a, const void *b);
int anchor_cmp_hash(const void *a, const void *b);

/* aledger.c */
int anchor_read_ledger(run *r, char *why, size_t n);
int anchor_ledger_holds(const run *r, const uint8_t h[32], int64_t seq);

/* anodes.c */
int anchor_ask_nodes(run *r, const size_t *ask, size_t nask);

/* remember.c */
size_t anchor_triage(run *r, const char *state, size_t *ask);
int anchor_settle_rechecks(run *r);
void anchor_remember(run *r, const char *state, int recheck_missed);

/* wallet.c */
void anchor_wallet_check(run *r);
const wtx *anchor_find_wtx(const run *r, const uint8_t h[32]);

/* report.c */
void anchor_write_confirmed(run *r, const char *state);
int anchor_emit(run *r, const char *target, int ledger_ok,
                const char *ledger_err);

#endif
