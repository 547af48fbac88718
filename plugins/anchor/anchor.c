/*
 * anchor.c: the anchor plugin. Check `anchor.confirm`: reads the anchors
 * that the ledger records (AnchorSubmitted, AnchorSuperseded; section 3 of
 * the ledger format) and confirms each against the chain over JSON-RPC,
 * trusting neither the ledger nor the node: the seven rules of "confirmed"
 *   1 chain_id     eth_chainId (and the chain the signature binds) = chain_id
 *   2 transaction  the transaction exists, hashes to tx_hash, receipt 0x1
 *   3 input        input data is the raw or abi form of this anchor
 *   4 sender       sender recovered from the signature = node's from
 *                  (= expected_sender when configured)
 *   5 reorg        its block is still the canonical block at that height
 *   6 final        at or below "finalized", else min_confirmations deep
 *   7 ledger_hash  anchored_hash = the ledger's hash at anchored_seq
 * A failure names the tx hash and the rule. Not final yet is pending until
 * pending_grace after the anchor event, then failed. Several rpc_urls must
 * agree. Final anchors are cached (cache.h) and not asked again; each run
 * still asks every node for its chain id and blocks (one request), so that
 * an unreachable node or one on another chain is a warning right away.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "crypto/eth.h"
#include "crypto/hex.h"
#include "crypto/keccak.h"
#include "plugins/anchor/cache.h"
#include "plugins/anchor/ledgerscan.h"
#include "plugins/anchor/rpc.h"
#include "plugins/anchor/txjson.h"
#include "plugins/common/pstate.h"
#include "probe-plugin.h"

#define RING 4096        /* recent (seq, hash) kept while reading */
#define RECHECK_FILE "recheck.last"
#define CHUNK 200        /* anchors asked per round of requests */
#define MAX_LISTED 50    /* failures / pending listed in details */

enum { A_UNKNOWN, A_CONFIRMED, A_PENDING, A_FAILED, A_SUPERSEDED };

static const char *const rule_names[] = {
    "nodes_disagree", "chain_id", "transaction", "input",
    "sender",         "reorg",    "final",       "ledger_hash"};

/* One AnchorSubmitted event and what became of it. */
typedef struct anchor {
  int64_t seq;
  double ts;
  int64_t anchored_seq;
  uint8_t anchored_hash[32];
  uint64_t chain_id;
  uint8_t tx_hash[32];
  char tx_hex[67];
  int malformed;           /* the event's payload is not what section 3 says */
  char malformed_why[160];
  int superseded;
  int lh;                  /* ledger hash: 0 unchecked, 1 ok, -1 differs,
                              -2 no such event, -3 seq not smaller */
  int cached;
  const cache_entry *seen; /* block where it was last seen, not final */
  const cache_entry *recheck; /* a cached final anchor asked again */
  /* verdict */
  int status, rule;
  char reason[800];
  int have_block;
  uint64_t block_number;
  uint8_t block_hash[32];
  int64_t block_ts;
} anchor;

/* What one node says about one anchor. */
typedef struct obs {
  int status, rule;
  char reason[400];
  int have_block;
  uint64_t block_number;
  uint8_t block_hash[32];
  int64_t block_ts;
} obs;

/* What one node says about the chain. */
typedef struct node_facts {
  int usable;
  char why[400];
  uint64_t chain_id;
  int fin_known;
  uint64_t fin_bn, latest_bn;
} node_facts;

/* Everything of one run. */
typedef struct run {
  probe_ctx *ctx;
  const probe_host *host;
  /* settings */
  ledgerscan_opts src;
  const char **urls;
  size_t nurls;
  int have_sender;
  uint8_t sender[20];
  char sender_hex[43];
  long long min_conf;
  int finality_confirmations; /* 1: ignore the finalized tag */
  double grace, max_age, rpc_timeout, now;
  size_t max_bytes, batch_max;
  int use_cache;
  double recheck_every;   /* re-ask cached final anchors this often (0 never) */
  double last_run;        /* when the previous run began (recheck.json) */
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
  size_t *idx, nidx; /* unresolved anchors by anchored_seq (second pass) */
  /* nodes */
  rpc_node *nodes;
  node_facts *facts;
  char node_problem[600]; /* a node unusable or disagreeing, for a warning */
  cache cache;
} run;

static const probe_setting settings[] = {
    {"source", PROBE_SET_STRING, NULL, PROBE_SETTING_REQUIRED,
     "ledger: snapshot file (.gz ok, - for stdin) or PostgreSQL conninfo/URI"},
    {"table", PROBE_SET_STRING, "\"ledger_events\"", 0,
     "PostgreSQL table holding the events (source is a conninfo)"},
    {"column", PROBE_SET_STRING, "\"event\"", 0,
     "json/jsonb column holding each event"},
    {"rpc_url", PROBE_SET_STRING, NULL, 0, "Ethereum JSON-RPC URL"},
    {"rpc_urls", PROBE_SET_LIST, NULL, 0,
     "several JSON-RPC URLs that must all agree (instead of rpc_url)"},
    {"expected_sender", PROBE_SET_STRING, NULL, 0,
     "address of the anchoring wallet (0x + 40 hex)"},
    {"min_confirmations", PROBE_SET_INT, "12", 0,
     "depth that makes a block final where the node has no finalized tag"},
    {"finality", PROBE_SET_STRING, "\"auto\"", 0,
     "auto (finalized tag when the node has it, else min_confirmations) or "
     "confirmations (always min_confirmations)"},
    {"pending_grace", PROBE_SET_DURATION, "\"30m\"", 0,
     "time after the anchor event within which not final is pending, not failed"},
    {"max_anchor_age", PROBE_SET_DURATION, "\"2h\"", 0,
     "warning when the newest anchor is older"},
    {"rpc_timeout", PROBE_SET_DURATION, "10", 0,
     "time limit of one JSON-RPC HTTP request"},
    {"max_response_bytes", PROBE_SET_INT, "16777216", 0,
     "largest JSON-RPC answer accepted"},
    {"batch_size", PROBE_SET_INT, "100", 0,
     "JSON-RPC calls per batched request (1 = no batches)"},
    {"recheck_every", PROBE_SET_DURATION, "\"24h\"", 0,
     "ask again about each cached final anchor this often, spread over the "
     "runs (0: never); a chain that no longer holds one is critical"},
    {"cache", PROBE_SET_BOOL, "true", 0,
     "remember final anchors in the state directory and not ask again"},
    {NULL, 0, NULL, 0, NULL}};

/* --- small helpers ------------------------------------------------------ */

/* Seconds since the epoch of an RFC 3339 UTC time; NAN when malformed. */
static double parse_ts(const char *s)
{
  struct tm tm = {0};
  int y, mo, d, h, mi, n = 0;
  double sec;
  if(sscanf(s, "%4d-%2d-%2dT%2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
    return NAN;
  const char *z = s + n;
  if(strcmp(z, "Z") != 0 && strcmp(z, "z") != 0 && strcmp(z, "+00:00") != 0)
    return NAN;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = 0;
  time_t t = timegm(&tm);
  if(t == (time_t)-1)
    return NAN;
  return (double)t + sec;
}

static void hex32(const uint8_t h[32], char out[67])
{
  out[0] = '0';
  out[1] = 'x';
  crypto_hex_encode(h, 32, out + 2);
}

static void hex20(const uint8_t h[20], char out[43])
{
  out[0] = '0';
  out[1] = 'x';
  crypto_hex_encode(h, 20, out + 2);
}

static double host_time_left(void *ud)
{
  run *r = ud;
  return r->host->time_left(r->ctx);
}

/* --- reading the ledger ------------------------------------------------- */

/* Integer member of an object, exactly (no fraction, fits int64). */
static int get_int(const cJSON *o, const char *name, int64_t *out)
{
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
  if(!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) ||
     fabs(it->valuedouble) > 9007199254740992.0)
    return -1;
  *out = (int64_t)it->valuedouble;
  return 0;
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
    hex32(a->tx_hash, a->tx_hex);
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

/* First pass: every event. */
static int scan_event(void *ud, const char *text, size_t len, uint64_t line)
{
  run *r = ud;
  cJSON *ev = cJSON_ParseWithLength(text, len);
  int64_t seq;
  uint8_t hash[32];
  const cJSON *h, *type;
  (void)line;
  if(!ev)
    return 0; /* the ledger plugin reports broken events; we skip them */
  r->events++;
  if(get_int(ev, "seq", &seq) != 0) {
    cJSON_Delete(ev);
    return 0;
  }
  if(seq > r->head_seq)
    r->head_seq = seq;
  h = cJSON_GetObjectItemCaseSensitive(ev, "hash");
  int have_hash = cJSON_IsString(h) &&
                  crypto_hex_is_hash64(h->valuestring, strlen(h->valuestring)) &&
                  crypto_hex_decode(h->valuestring, 64, hash, 32) == 0;
  if(have_hash) {
    size_t k = (size_t)((uint64_t)seq % RING);
    r->ring_seq[k] = seq;
    memcpy(r->ring_hash[k], hash, 32);
  }
  type = cJSON_GetObjectItemCaseSensitive(ev, "type");
  const cJSON *payload = cJSON_GetObjectItemCaseSensitive(ev, "payload");
  if(cJSON_IsString(type) && strcmp(type->valuestring, "AnchorSubmitted") == 0) {
    if(r->na == r->cap) {
      size_t ncap = r->cap ? r->cap * 2 : 64;
      anchor *na = realloc(r->a, ncap * sizeof(*na));
      if(!na) {
        cJSON_Delete(ev);
        return -1;
      }
      r->a = na;
      r->cap = ncap;
    }
    anchor *a = &r->a[r->na++];
    memset(a, 0, sizeof(*a));
    a->seq = seq;
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(ev, "ts");
    a->ts = cJSON_IsString(ts) ? parse_ts(ts->valuestring) : NAN;
    parse_anchor(a, payload);
    if(!a->malformed) {
      if(a->anchored_seq >= a->seq) {
        a->lh = -3;
      } else {
        size_t k = (size_t)((uint64_t)a->anchored_seq % RING);
        if(a->anchored_seq >= 0 && r->ring_seq[k] == a->anchored_seq &&
           a->anchored_seq != 0)
          a->lh = memcmp(a->anchored_hash, r->ring_hash[k], 32) == 0 ? 1 : -1;
        else
          r->unresolved++;
      }
    }
  } else if(cJSON_IsString(type) &&
            strcmp(type->valuestring, "AnchorSuperseded") == 0) {
    const cJSON *tx = cJSON_GetObjectItemCaseSensitive(payload, "tx_hash");
    uint8_t th[32];
    if(cJSON_IsString(tx) && strlen(tx->valuestring) == 66 &&
       crypto_hex_decode(tx->valuestring, 66, th, 32) == 0) {
      if(r->nsup == r->capsup) {
        size_t ncap = r->capsup ? r->capsup * 2 : 16;
        uint8_t(*ns)[32] = realloc(r->superseded, ncap * 32);
        if(!ns) {
          cJSON_Delete(ev);
          return -1;
        }
        r->superseded = ns;
        r->capsup = ncap;
      }
      memcpy(r->superseded[r->nsup++], th, 32);
    }
  }
  cJSON_Delete(ev);
  return 0;
}

/* Orders anchor indexes by anchored_seq (qsort_r-free: a file global). */
static const anchor *sort_base;
static int cmp_by_anchored(const void *x, const void *y)
{
  int64_t a = sort_base[*(const size_t *)x].anchored_seq;
  int64_t b = sort_base[*(const size_t *)y].anchored_seq;
  return a < b ? -1 : a > b;
}

/* Second pass (only when some anchored_seq was too far back): hashes. */
static int scan_hashes(void *ud, const char *text, size_t len, uint64_t line)
{
  run *r = ud;
  (void)line;
  if(r->unresolved == 0)
    return 1;
  cJSON *ev = cJSON_ParseWithLength(text, len);
  int64_t seq;
  uint8_t hash[32];
  if(!ev)
    return 0;
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(ev, "hash");
  if(get_int(ev, "seq", &seq) == 0 && cJSON_IsString(h) &&
     crypto_hex_is_hash64(h->valuestring, strlen(h->valuestring)) &&
     crypto_hex_decode(h->valuestring, 64, hash, 32) == 0) {
    /* binary search the unresolved anchors sorted by anchored_seq */
    size_t lo = 0, hi = r->nidx;
    while(lo < hi) {
      size_t mid = (lo + hi) / 2;
      if(r->a[r->idx[mid]].anchored_seq < seq)
        lo = mid + 1;
      else
        hi = mid;
    }
    for(; lo < r->nidx && r->a[r->idx[lo]].anchored_seq == seq; lo++) {
      anchor *a = &r->a[r->idx[lo]];
      if(a->lh == 0) {
        a->lh = memcmp(a->anchored_hash, hash, 32) == 0 ? 1 : -1;
        r->unresolved--;
      }
    }
  }
  cJSON_Delete(ev);
  return 0;
}

/* --- asking the nodes ------------------------------------------------------ */

/* Number member of a block object. */
static int block_fields(const cJSON *blk, uint64_t *number, uint8_t hash[32],
                        int64_t *ts)
{
  uint64_t t = 0;
  if(!cJSON_IsObject(blk) ||
     txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(blk, "number"),
                         number) != 0)
    return -1;
  if(hash && txjson_fixed(cJSON_GetObjectItemCaseSensitive(blk, "hash"), hash,
                          32) != 0)
    return -1;
  if(ts) {
    if(txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(blk, "timestamp"),
                           &t) != 0)
      return -1;
    *ts = (int64_t)t;
  }
  return 0;
}

/* The chain facts of node k. */
static void ask_node_facts(run *r, size_t k)
{
  node_facts *f = &r->facts[k];
  rpc_call c[3] = {{.method = "eth_chainId", .params = "[]"},
                   {.method = "eth_getBlockByNumber", .params = "[\"finalized\",false]"},
                   {.method = "eth_getBlockByNumber", .params = "[\"latest\",false]"}};
  memset(f, 0, sizeof(*f));
  rpc_run(&r->nodes[k], c, 3);
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
  } else if(c[1].status == RPC_ERR_TRANSPORT ||
            c[1].status == RPC_ERR_GARBAGE) {
    snprintf(f->why, sizeof(f->why), "eth_getBlockByNumber(finalized): %s",
             c[1].err);
    goto out;
  }
  if(r->finality_confirmations)
    f->fin_known = 0;
  f->usable = 1;
out:
  rpc_calls_free(c, 3);
}

/* A fetched block: number, hash, time. */
typedef struct blockinfo {
  uint64_t number;
  int ok;
  uint8_t hash[32];
  int64_t ts;
  char err[200];
} blockinfo;

static int cmp_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static int cmp_block(const void *a, const void *b)
{
  return cmp_u64(&((const blockinfo *)a)->number, &((const blockinfo *)b)->number);
}

static const blockinfo *find_block(const blockinfo *b, size_t n, uint64_t num)
{
  blockinfo key = {.number = num};
  return n ? bsearch(&key, b, n, sizeof(*b), cmp_block) : NULL;
}

/* The input data check (rule 3): raw or abi form. 1 when it matches. */
static int input_matches(const anchor *a, const crypto_bytes *in)
{
  static const uint8_t selector[4] = {0xdb, 0x2c, 0x4a, 0xca};
  if(in->len == 32)
    return memcmp(in->p, a->anchored_hash, 32) == 0;
  if(in->len != 68 || memcmp(in->p, selector, 4) != 0 ||
     memcmp(in->p + 4, a->anchored_hash, 32) != 0)
    return 0;
  for(int i = 0; i < 24; i++)
    if(in->p[36 + i] != 0)
      return 0;
  uint64_t seq = 0;
  for(int i = 0; i < 8; i++)
    seq = seq << 8 | in->p[60 + i];
  return a->anchored_seq >= 0 && seq == (uint64_t)a->anchored_seq;
}

/* A short description of input data, for a rule 3 failure. */
static void describe_input(const crypto_bytes *in, char *out, size_t n)
{
  static const uint8_t selector[4] = {0xdb, 0x2c, 0x4a, 0xca};
  char h[65];
  if(in->len == 32) {
    crypto_hex_encode(in->p, 32, h);
    snprintf(out, n, "raw hash %s", h);
  } else if(in->len == 68 && memcmp(in->p, selector, 4) == 0) {
    uint64_t seq = 0;
    for(int i = 0; i < 8; i++)
      seq = seq << 8 | in->p[60 + i];
    crypto_hex_encode(in->p + 4, 32, h);
    snprintf(out, n, "anchor(%s, %" PRIu64 ")", h, seq);
  } else {
    snprintf(out, n, "%zu bytes in neither form", in->len);
  }
}

/* Not final, or not found: pending within the grace, else failed. */
static void pending_or_failed(run *r, const anchor *a, obs *o, int rule,
                              const char *what)
{
  if(!isnan(a->ts) && r->now - a->ts < r->grace) {
    o->status = A_PENDING;
    o->rule = rule;
    snprintf(o->reason, sizeof(o->reason), "%s", what);
  } else {
    o->status = A_FAILED;
    o->rule = rule;
    snprintf(o->reason, sizeof(o->reason), "%s, %.0f s after the anchor event (pending_grace %.0f s)",
             what, isnan(a->ts) ? -1.0 : r->now - a->ts, r->grace);
  }
}

/* Judges one anchor from what node k answered. */
static void judge(run *r, size_t k, const anchor *a, const cJSON *txo,
                  const cJSON *rcpt, const blockinfo *blocks, size_t nblocks,
                  obs *o)
{
  const node_facts *f = &r->facts[k];
  txjson t;
  char err[200];
  int have_tx = 0;
  memset(o, 0, sizeof(*o));
  o->status = A_FAILED;

  /* rule 1: the chain */
  if(f->chain_id != a->chain_id) {
    o->rule = 1;
    snprintf(o->reason, sizeof(o->reason),
             "node is on chain %" PRIu64 ", the anchor says chain %" PRIu64,
             f->chain_id, a->chain_id);
    return;
  }
  /* rule 2: the transaction exists (a reorg may have dropped it) */
  if(cJSON_IsNull(txo)) {
    if(a->seen) {
      const blockinfo *b = find_block(blocks, nblocks, a->seen->block_number);
      if(b && b->ok && memcmp(b->hash, a->seen->block_hash, 32) != 0) {
        char was[67], now[67];
        hex32(a->seen->block_hash, was);
        hex32(b->hash, now);
        o->rule = 5;
        snprintf(o->reason, sizeof(o->reason),
                 "reorg: the transaction was in block %" PRIu64 " %s, which is no longer canonical (now %s), and is gone",
                 a->seen->block_number, was, now);
        return;
      }
    }
    if(a->lh < 0)
      goto rule7;
    pending_or_failed(r, a, o, 2, "transaction not found");
    return;
  }
  if(txjson_parse(txo, &t, err, sizeof(err)) != 0) {
    o->status = A_UNKNOWN;
    snprintf(o->reason, sizeof(o->reason), "node answered a malformed transaction: %s", err);
    return;
  }
  have_tx = 1;
  uint8_t h[32];
  crypto_eth_err ce = crypto_eth_tx_hash(&t.tx, h);
  if(ce != CRYPTO_ETH_OK || memcmp(h, a->tx_hash, 32) != 0 ||
     memcmp(t.hash, a->tx_hash, 32) != 0) {
    o->rule = 2;
    snprintf(o->reason, sizeof(o->reason),
             "the node's transaction does not hash to tx_hash (%s)",
             ce ? crypto_eth_strerror(ce) : "fields differ");
    goto out;
  }
  uint64_t tx_chain;
  int has_chain;
  if(crypto_eth_tx_chain_id(&t.tx, &tx_chain, &has_chain) == CRYPTO_ETH_OK &&
     has_chain && tx_chain != a->chain_id) {
    o->rule = 1;
    snprintf(o->reason, sizeof(o->reason),
             "transaction is signed for chain %" PRIu64 ", the anchor says %" PRIu64,
             tx_chain, a->chain_id);
    goto out;
  }
  /* a mined transaction has a receipt; one without is still pending */
  if(cJSON_IsNull(rcpt) || !t.has_block) {
    if(a->lh < 0)
      goto rule7;
    pending_or_failed(r, a, o, 6, "transaction not mined yet");
    goto out;
  }
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(rcpt, "status");
  uint64_t status, rbn;
  uint8_t rbh[32], rtx[32];
  if(txjson_quantity_u64(st, &status) != 0 ||
     txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(rcpt, "blockNumber"), &rbn) != 0 ||
     txjson_fixed(cJSON_GetObjectItemCaseSensitive(rcpt, "blockHash"), rbh, 32) != 0 ||
     txjson_fixed(cJSON_GetObjectItemCaseSensitive(rcpt, "transactionHash"), rtx, 32) != 0) {
    o->status = A_UNKNOWN;
    snprintf(o->reason, sizeof(o->reason), "node answered a malformed receipt");
    goto out;
  }
  if(memcmp(rtx, a->tx_hash, 32) != 0) {
    o->rule = 2;
    snprintf(o->reason, sizeof(o->reason), "the node's receipt is for another transaction");
    goto out;
  }
  if(status != 1) {
    o->rule = 2;
    snprintf(o->reason, sizeof(o->reason),
             "transaction failed on chain (receipt status 0x%" PRIx64 ", reverted)", status);
    goto out;
  }
  o->have_block = 1;
  o->block_number = rbn;
  memcpy(o->block_hash, rbh, 32);
  /* rule 3: what was written */
  if(!input_matches(a, &t.tx.input)) {
    char got[160], want[65];
    describe_input(&t.tx.input, got, sizeof(got));
    crypto_hex_encode(a->anchored_hash, 32, want);
    o->rule = 3;
    snprintf(o->reason, sizeof(o->reason),
             "input data is %s, not the raw or abi form of hash %s seq %" PRId64,
             got, want, a->anchored_seq);
    goto out;
  }
  /* rule 4: who wrote it */
  uint8_t who[20];
  char whohex[43], fromhex[43];
  ce = crypto_eth_recover_sender(&t.tx, who);
  if(ce != CRYPTO_ETH_OK) {
    o->rule = 4;
    snprintf(o->reason, sizeof(o->reason), "signature does not recover: %s",
             crypto_eth_strerror(ce));
    goto out;
  }
  hex20(who, whohex);
  hex20(t.from, fromhex);
  if(memcmp(who, t.from, 20) != 0) {
    o->rule = 4;
    snprintf(o->reason, sizeof(o->reason),
             "signature recovers to %s but the node says from %s", whohex, fromhex);
    goto out;
  }
  if(r->have_sender && memcmp(who, r->sender, 20) != 0) {
    o->rule = 4;
    snprintf(o->reason, sizeof(o->reason),
             "sent by %s, not by the anchoring wallet %s", whohex, r->sender_hex);
    goto out;
  }
  /* rule 5: still on the canonical chain */
  const blockinfo *b = find_block(blocks, nblocks, rbn);
  if(!b || !b->ok) {
    o->status = A_UNKNOWN;
    snprintf(o->reason, sizeof(o->reason), "block %" PRIu64 ": %s", rbn,
             b ? b->err : "not fetched");
    goto out;
  }
  o->block_ts = b->ts;
  if(memcmp(b->hash, rbh, 32) != 0 || memcmp(t.block_hash, rbh, 32) != 0) {
    char in[67], canon[67];
    hex32(rbh, in);
    hex32(b->hash, canon);
    o->rule = 5;
    snprintf(o->reason, sizeof(o->reason),
             "reorg: receipt says block %" PRIu64 " %s, the canonical block at that height is %s",
             rbn, in, canon);
    goto out;
  }
  if(a->seen && a->seen->block_number != rbn) {
    /* moved by a reorg but included again: judged where it is now */
    r->host->log(r->ctx, PROBE_LOG_INFO,
                 "anchor %s moved from block %" PRIu64 " to %" PRIu64 " (reorg)",
                 a->tx_hex, a->seen->block_number, rbn);
  }
  /* rule 7 before 6: a wrong ledger hash fails whether final or not */
  if(a->lh < 0)
    goto rule7;
  /* rule 6: final */
  int final;
  char what[160];
  if(f->fin_known) {
    final = rbn <= f->fin_bn;
    snprintf(what, sizeof(what), "not final: block %" PRIu64 " is above the finalized block %" PRIu64,
             rbn, f->fin_bn);
  } else {
    uint64_t conf = f->latest_bn >= rbn ? f->latest_bn - rbn + 1 : 0;
    final = conf >= (uint64_t)r->min_conf;
    snprintf(what, sizeof(what), "not final: %" PRIu64 " of %lld confirmations",
             conf, r->min_conf);
  }
  if(!final) {
    pending_or_failed(r, a, o, 6, what);
    goto out;
  }
  o->status = A_CONFIRMED;
  o->rule = 0;
  snprintf(o->reason, sizeof(o->reason), "confirmed in block %" PRIu64, rbn);
  goto out;

rule7:
  o->status = A_FAILED;
  o->rule = 7;
  if(a->lh == -3)
    snprintf(o->reason, sizeof(o->reason),
             "anchored_seq %" PRId64 " is not before the anchor event's own seq %" PRId64,
             a->anchored_seq, a->seq);
  else if(a->lh == -2)
    snprintf(o->reason, sizeof(o->reason), "the ledger has no event %" PRId64,
             a->anchored_seq);
  else
    snprintf(o->reason, sizeof(o->reason),
             "anchored_hash is not the ledger's hash of event %" PRId64,
             a->anchored_seq);
out:
  if(have_tx)
    txjson_free(&t);
}

/* Asks node k about anchors idx[0..n) and fills o[0..n). */
static void ask_anchors(run *r, size_t k, const size_t *idx, size_t n, obs *o)
{
  rpc_node *node = &r->nodes[k];
  rpc_call *c = calloc(2 * n, sizeof(*c));
  char (*params)[80] = calloc(n, sizeof(*params));
  uint64_t *nums = calloc(2 * n, sizeof(*nums));
  blockinfo *blocks = NULL;
  rpc_call *bc = NULL;
  char (*bparams)[48] = NULL;
  size_t nnums = 0, nb = 0;
  if(!c || !params || !nums) {
    for(size_t i = 0; i < n; i++) {
      o[i].status = A_UNKNOWN;
      snprintf(o[i].reason, sizeof(o[i].reason), "out of memory");
    }
    goto out;
  }
  for(size_t i = 0; i < n; i++) {
    snprintf(params[i], sizeof(params[i]), "[\"%s\"]", r->a[idx[i]].tx_hex);
    c[2 * i].method = "eth_getTransactionByHash";
    c[2 * i].params = params[i];
    c[2 * i + 1].method = "eth_getTransactionReceipt";
    c[2 * i + 1].params = params[i];
  }
  rpc_run(node, c, 2 * n);
  /* the blocks to look at: where receipts say, and where we saw them */
  for(size_t i = 0; i < n; i++) {
    uint64_t bn;
    const anchor *a = &r->a[idx[i]];
    if(c[2 * i + 1].status == RPC_OK &&
       txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(c[2 * i + 1].result, "blockNumber"),
                           &bn) == 0)
      nums[nnums++] = bn;
    if(a->seen)
      nums[nnums++] = a->seen->block_number;
  }
  qsort(nums, nnums, sizeof(*nums), cmp_u64);
  for(size_t i = 0; i < nnums; i++)
    if(nb == 0 || nums[nb - 1] != nums[i])
      nums[nb++] = nums[i];
  blocks = calloc(nb ? nb : 1, sizeof(*blocks));
  bc = calloc(nb ? nb : 1, sizeof(*bc));
  bparams = calloc(nb ? nb : 1, sizeof(*bparams));
  if(!blocks || !bc || !bparams) {
    nb = 0;
  } else {
    for(size_t i = 0; i < nb; i++) {
      snprintf(bparams[i], sizeof(bparams[i]), "[\"0x%" PRIx64 "\",false]", nums[i]);
      bc[i].method = "eth_getBlockByNumber";
      bc[i].params = bparams[i];
    }
    if(nb)
      rpc_run(node, bc, nb);
    for(size_t i = 0; i < nb; i++) {
      blocks[i].number = nums[i];
      uint64_t num;
      if(bc[i].status != RPC_OK)
        snprintf(blocks[i].err, sizeof(blocks[i].err), "%s", bc[i].err);
      else if(cJSON_IsNull(bc[i].result))
        snprintf(blocks[i].err, sizeof(blocks[i].err), "the node has no such block");
      else if(block_fields(bc[i].result, &num, blocks[i].hash, &blocks[i].ts) != 0 ||
              num != nums[i])
        snprintf(blocks[i].err, sizeof(blocks[i].err), "node answered a malformed block");
      else
        blocks[i].ok = 1;
    }
  }
  for(size_t i = 0; i < n; i++) {
    const rpc_call *tc = &c[2 * i], *rc = &c[2 * i + 1];
    if(tc->status != RPC_OK || rc->status != RPC_OK) {
      const rpc_call *bad = tc->status != RPC_OK ? tc : rc;
      memset(&o[i], 0, sizeof(o[i]));
      o[i].status = A_UNKNOWN;
      snprintf(o[i].reason, sizeof(o[i].reason), "%s: %s", bad->method, bad->err);
      continue;
    }
    judge(r, k, &r->a[idx[i]], tc->result, rc->result, blocks, nb, &o[i]);
  }
out:
  if(c)
    rpc_calls_free(c, 2 * n);
  if(bc)
    rpc_calls_free(bc, nb);
  free(c);
  free(params);
  free(nums);
  free(blocks);
  free(bc);
  free(bparams);
}

/* Short text of an observation, for a disagreement. */
static void describe_obs(const obs *o, char *out, size_t n)
{
  static const char *const names[] = {"unknown", "confirmed", "pending",
                                      "failed", "superseded"};
  char bh[67] = "";
  if(o->have_block)
    hex32(o->block_hash, bh);
  snprintf(out, n, "%s%s%s%s%s", names[o->status],
           o->status == A_FAILED ? " rule " : "",
           o->status == A_FAILED ? rule_names[o->rule] : "",
           o->have_block ? " in block " : "", bh);
}

/* Merges what the nodes said about anchor a (obs o[k] of node k). */
static void combine(run *r, anchor *a, obs *const *o, size_t i)
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
    int same_block = x->have_block == first->have_block &&
                     (!x->have_block || (x->block_number == first->block_number &&
                                         memcmp(x->block_hash, first->block_hash, 32) == 0));
    int both_ok = (x->status == A_CONFIRMED || x->status == A_PENDING) &&
                  (first->status == A_CONFIRMED || first->status == A_PENDING);
    if(same_block && both_ok) {
      if(x->status == A_PENDING)
        pick = x; /* a lagging node: not final until final everywhere */
    } else if(!same_block || x->status != first->status || x->rule != first->rule) {
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
      len += (size_t)snprintf(a->reason + len, sizeof(a->reason) - len, "%s %s says %s",
                              k ? ";" : "", r->nodes[k].target, d);
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
}

/* --- the run -------------------------------------------------------------- */

/* Reads the settings into r; on error writes why and returns -1. */
static int read_settings(run *r, char *why, size_t n)
{
  const probe_host *h = r->host;
  const char *s;
  long long v;
  if(h->conf_string(r->ctx, "source", &r->src.source) != 0) {
    snprintf(why, n, "no source configured");
    return -1;
  }
  h->conf_string(r->ctx, "table", &r->src.table);
  h->conf_string(r->ctx, "column", &r->src.column);
  const char *one = NULL, *list = NULL;
  h->conf_string(r->ctx, "rpc_url", &one);
  h->conf_json(r->ctx, "rpc_urls", &list);
  if(list) {
    cJSON *arr = cJSON_Parse(list);
    int k = arr ? cJSON_GetArraySize(arr) : 0;
    if(!cJSON_IsArray(arr) || k == 0) {
      cJSON_Delete(arr);
      snprintf(why, n, "rpc_urls must be a non-empty list of URLs");
      return -1;
    }
    r->urls = calloc((size_t)k + (one ? 1 : 0), sizeof(*r->urls));
    if(!r->urls) {
      cJSON_Delete(arr);
      snprintf(why, n, "out of memory");
      return -1;
    }
    /* the strings must outlive arr: keep them in a settings-lifetime copy */
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) {
      if(!cJSON_IsString(e)) {
        cJSON_Delete(arr);
        snprintf(why, n, "rpc_urls must hold strings");
        return -1;
      }
      char *dup = strdup(e->valuestring);
      if(!dup) {
        cJSON_Delete(arr);
        snprintf(why, n, "out of memory");
        return -1;
      }
      r->urls[r->nurls++] = dup;
    }
    cJSON_Delete(arr);
    if(one) {
      char *dup = strdup(one);
      if(!dup) {
        snprintf(why, n, "out of memory");
        return -1;
      }
      r->urls[r->nurls++] = dup;
    }
  } else if(one) {
    r->urls = calloc(1, sizeof(*r->urls));
    char *dup = strdup(one);
    if(!r->urls || !dup) {
      free(dup);
      snprintf(why, n, "out of memory");
      return -1;
    }
    r->urls[r->nurls++] = dup;
  } else {
    snprintf(why, n, "neither rpc_url nor rpc_urls is configured");
    return -1;
  }
  if(h->conf_string(r->ctx, "expected_sender", &s) == 0) {
    if(strlen(s) != 42 || strncmp(s, "0x", 2) != 0 ||
       crypto_hex_decode(s, 42, r->sender, 20) != 0) {
      snprintf(why, n, "expected_sender is not 0x and 40 hex digits");
      return -1;
    }
    r->have_sender = 1;
    hex20(r->sender, r->sender_hex);
  }
  r->min_conf = 12;
  if(h->conf_int(r->ctx, "min_confirmations", &v) == 0)
    r->min_conf = v;
  if(r->min_conf < 1) {
    snprintf(why, n, "min_confirmations must be at least 1");
    return -1;
  }
  if(h->conf_string(r->ctx, "finality", &s) == 0) {
    if(strcmp(s, "confirmations") == 0)
      r->finality_confirmations = 1;
    else if(strcmp(s, "auto") != 0) {
      snprintf(why, n, "finality must be \"auto\" or \"confirmations\"");
      return -1;
    }
  }
  r->grace = 1800;
  h->conf_duration(r->ctx, "pending_grace", &r->grace);
  r->max_age = 7200;
  h->conf_duration(r->ctx, "max_anchor_age", &r->max_age);
  r->rpc_timeout = 10;
  h->conf_duration(r->ctx, "rpc_timeout", &r->rpc_timeout);
  r->max_bytes = (size_t)16 * 1024 * 1024;
  if(h->conf_int(r->ctx, "max_response_bytes", &v) == 0 && v > 0)
    r->max_bytes = (size_t)v;
  r->batch_max = 100;
  if(h->conf_int(r->ctx, "batch_size", &v) == 0)
    r->batch_max = v < 1 ? 1 : (size_t)v;
  int b;
  r->use_cache = 1;
  if(h->conf_bool(r->ctx, "cache", &b) == 0)
    r->use_cache = b;
  r->recheck_every = 86400;
  if(h->conf_duration(r->ctx, "recheck_every", &r->recheck_every) != 0)
    r->recheck_every = 86400;
  r->src.timeout_s = r->rpc_timeout;
  return 0;
}

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
  if(r->last_run > r->now || r->now - r->last_run >= cyc)
    return 1; /* a record from the future is stale: all are due */
  for(int i = 0; i < 8; i++)
    h = h << 8 | a->tx_hash[i];
  phase = (double)(h % (uint64_t)cyc);
  k = floor((r->now - phase) / cyc);
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
  int n = snprintf(buf, sizeof(buf), "%.3f\n", r->now);
  if(state && pstate_write(state, RECHECK_FILE, buf, (size_t)n) != 0)
    r->host->log(r->ctx, PROBE_LOG_WARNING, "cannot write %s in %s",
                 RECHECK_FILE, state);
}

/* Frees everything r holds. */
static void run_free(run *r)
{
  for(size_t k = 0; k < r->nurls; k++) {
    if(r->nodes)
      rpc_node_free(&r->nodes[k]);
    free((char *)r->urls[k]);
  }
  free(r->urls);
  free(r->nodes);
  free(r->facts);
  free(r->a);
  free(r->superseded);
  free(r->idx);
  cache_free(&r->cache);
}

static int cmp_hash(const void *a, const void *b)
{
  return memcmp(a, b, 32);
}

/* Emits the one result line. */
static int emit(run *r, const char *target, int ledger_ok, const char *ledger_err)
{
  const probe_host *h = r->host;
  probe_result *res = h->result_begin(r->ctx, "anchor.confirm", target);
  size_t ncon = 0, npen = 0, nfail = 0, nsup = 0, nunk = 0, ncached = 0;
  const anchor *first_fail = NULL, *first_unk = NULL, *newest = NULL,
               *newest_conf = NULL;
  int64_t max_covered = 0;
  double max_latency = -1;
  unsigned long reqs = 0, calls = 0;
  if(!res)
    return -1;
  if(!ledger_ok) {
    h->result_status(res, PROBE_UNKNOWN, "cannot read the ledger: %s", ledger_err);
    return h->result_emit(res);
  }
  cJSON *fails = cJSON_CreateArray(), *pend = cJSON_CreateArray();
  for(size_t i = 0; i < r->na; i++) {
    const anchor *a = &r->a[i];
    if(!newest || a->seq > newest->seq)
      newest = a;
    ncached += a->cached;
    switch(a->status) {
    case A_CONFIRMED:
      ncon++;
      if(a->anchored_seq > max_covered)
        max_covered = a->anchored_seq;
      if(!newest_conf || a->seq > newest_conf->seq)
        newest_conf = a;
      if(a->have_block && !isnan(a->ts) && a->block_ts - a->ts > max_latency)
        max_latency = (double)a->block_ts - a->ts;
      break;
    case A_PENDING:
      npen++;
      if(cJSON_GetArraySize(pend) < MAX_LISTED) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "tx_hash", a->tx_hex);
        cJSON_AddNumberToObject(p, "seq", (double)a->seq);
        cJSON_AddStringToObject(p, "reason", a->reason);
        cJSON_AddItemToArray(pend, p);
      }
      break;
    case A_FAILED:
      nfail++;
      if(!first_fail)
        first_fail = a;
      if(cJSON_GetArraySize(fails) < MAX_LISTED) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "tx_hash", a->tx_hex);
        cJSON_AddNumberToObject(p, "seq", (double)a->seq);
        cJSON_AddNumberToObject(p, "rule", a->rule);
        cJSON_AddStringToObject(p, "rule_name", rule_names[a->rule]);
        cJSON_AddStringToObject(p, "reason", a->reason);
        cJSON_AddItemToArray(fails, p);
      }
      break;
    case A_SUPERSEDED:
      nsup++;
      break;
    default:
      nunk++;
      if(!first_unk)
        first_unk = a;
    }
  }
  for(size_t k = 0; k < r->nurls && r->nodes; k++) {
    reqs += r->nodes[k].http_requests;
    calls += r->nodes[k].calls;
  }
  double age = newest && !isnan(newest->ts) ? r->now - newest->ts : -1;
  h->result_metric(res, "anchors_total", (double)r->na);
  h->result_metric(res, "anchors_confirmed", (double)ncon);
  h->result_metric(res, "anchors_pending", (double)npen);
  h->result_metric(res, "anchors_failed", (double)nfail);
  h->result_metric(res, "anchors_superseded", (double)nsup);
  if(age >= 0)
    h->result_metric(res, "last_anchor_age_seconds", age);
  if(age >= 0 && PROBE_HOST_HAS_THRESHOLD(h))
    h->result_threshold(res, "last_anchor_age_seconds", r->max_age, NAN);
  /* an anchor whose fate is unknown (node down, say) may cover events
   * past the confirmed ones: the count is then unknown, not the worst case
   * (before any anchor is known that would be the whole ledger) */
  int64_t max_unknown = 0;
  for(size_t i = 0; i < r->na; i++)
    if(r->a[i].status == A_UNKNOWN && r->a[i].anchored_seq > max_unknown)
      max_unknown = r->a[i].anchored_seq;
  if(max_unknown > max_covered)
    h->result_detail_string(res, "unanchored_events_unknown",
                            "anchors past the confirmed ones could not be checked");
  else
    h->result_metric(res, "unanchored_events",
                     (double)(r->head_seq > max_covered ? r->head_seq - max_covered : 0));
  if(newest_conf && newest_conf->have_block && !isnan(newest_conf->ts))
    h->result_metric(res, "confirmation_latency_seconds",
                     (double)newest_conf->block_ts - newest_conf->ts);
  h->result_metric(res, "anchors_cached", (double)ncached);
  h->result_metric(res, "anchors_rechecked", (double)r->nrechecked);
  h->result_metric(res, "rpc_requests", (double)reqs);
  h->result_metric(res, "rpc_calls", (double)calls);
  if(max_latency >= 0)
    h->result_detail_number(res, "max_confirmation_latency_seconds", max_latency);
  h->result_detail_number(res, "events", (double)r->events);
  h->result_detail_number(res, "head_seq", (double)r->head_seq);
  cJSON *urls = cJSON_CreateArray();
  for(size_t k = 0; k < r->nurls && r->nodes; k++)
    cJSON_AddItemToArray(urls, cJSON_CreateString(r->nodes[k].target));
  char *txt = cJSON_PrintUnformatted(urls);
  if(txt)
    h->result_detail_json(res, "rpc_urls", txt);
  free(txt);
  cJSON_Delete(urls);
  if(cJSON_GetArraySize(fails)) {
    txt = cJSON_PrintUnformatted(fails);
    if(txt)
      h->result_detail_json(res, "failures", txt);
    free(txt);
  }
  if(cJSON_GetArraySize(pend)) {
    txt = cJSON_PrintUnformatted(pend);
    if(txt)
      h->result_detail_json(res, "pending", txt);
    free(txt);
  }
  cJSON_Delete(fails);
  cJSON_Delete(pend);

  if(first_fail) {
    h->result_detail_string(res, "reason", rule_names[first_fail->rule]);
    h->result_detail_string(res, "tx_hash", first_fail->tx_hex);
    h->result_detail_number(res, "rule", first_fail->rule);
    h->result_status(res, PROBE_CRITICAL,
                     "anchor %s (seq %" PRId64 ") failed rule %d %s: %s%s",
                     first_fail->tx_hex, first_fail->seq, first_fail->rule,
                     rule_names[first_fail->rule], first_fail->reason,
                     nfail > 1 ? " (and more, see details.failures)" : "");
  } else if(first_unk) {
    h->result_detail_string(res, "tx_hash", first_unk->tx_hex);
    h->result_status(res, PROBE_UNKNOWN, "cannot confirm anchor %s: %s",
                     first_unk->tx_hex, first_unk->reason);
  } else if(r->node_problem[0]) {
    /* every anchor confirmed (from the cache), but the next one could not be */
    h->result_detail_string(res, "node_error", r->node_problem);
    h->result_status(res, PROBE_WARNING,
                     "%zu anchors: %zu confirmed, %zu pending, %zu superseded; but %s",
                     r->na, ncon, npen, nsup, r->node_problem);
  } else if(r->na == 0) {
    h->result_status(res, r->events ? PROBE_WARNING : PROBE_OK,
                     "no anchors in the ledger (%" PRIu64 " events)", r->events);
  } else if(age > r->max_age) {
    h->result_status(res, PROBE_WARNING,
                     "newest anchor (seq %" PRId64 ") is %.0f s old, more than max_anchor_age %.0f s",
                     newest->seq, age, r->max_age);
  } else {
    h->result_status(res, PROBE_OK,
                     "%zu anchors: %zu confirmed, %zu pending, %zu superseded",
                     r->na, ncon, npen, nsup);
  }
  return h->result_emit(res);
}

/* The entry point: one run of check anchor.confirm. */
static int anchor_run(probe_ctx *ctx, const probe_host *host)
{
  run *r = calloc(1, sizeof(*r));
  char why[512] = "", *target = NULL;
  int rc = -1, ledger_ok = 1;
  size_t *ask = NULL;
  obs **o = NULL;
  if(!r)
    return -1;
  r->ctx = ctx;
  r->host = host;
  r->now = (double)time(NULL);
  for(size_t k = 0; k < RING; k++)
    r->ring_seq[k] = -1;
  if(read_settings(r, why, sizeof(why)) != 0) {
    probe_result *res = host->result_begin(ctx, "anchor.confirm",
                                           r->src.source ? r->src.source : "anchor");
    if(res) {
      host->result_status(res, PROBE_UNKNOWN, "misconfigured: %s", why);
      rc = host->result_emit(res);
    }
    goto out;
  }
  target = ledgerscan_target(&r->src);

  /* the ledger: anchors, supersessions, hashes at anchored seqs */
  if(ledgerscan_run(&r->src, scan_event, r, why, sizeof(why)) != 0) {
    ledger_ok = 0;
    goto report;
  }
  for(size_t i = 0; i < r->na; i++)
    if(!r->a[i].malformed && r->a[i].lh == 0 && r->a[i].anchored_seq > r->head_seq)
      r->a[i].lh = -2, r->unresolved--;
  if(r->unresolved && ledgerscan_rereadable(&r->src)) {
    r->idx = calloc(r->unresolved, sizeof(*r->idx));
    if(!r->idx)
      goto out;
    for(size_t i = 0; i < r->na; i++)
      if(!r->a[i].malformed && r->a[i].lh == 0 && r->nidx < r->unresolved)
        r->idx[r->nidx++] = i;
    sort_base = r->a;
    qsort(r->idx, r->nidx, sizeof(*r->idx), cmp_by_anchored);
    if(ledgerscan_run(&r->src, scan_hashes, r, why, sizeof(why)) != 0) {
      ledger_ok = 0;
      goto report;
    }
  }
  for(size_t i = 0; i < r->na; i++)
    if(!r->a[i].malformed && r->a[i].lh == 0 && ledgerscan_rereadable(&r->src))
      r->a[i].lh = -2; /* read everything, found no such event */
  if(r->nsup > 1)
    qsort(r->superseded, r->nsup, 32, cmp_hash);

  /* what needs asking */
  const char *state = host->state_dir(ctx);
  cache_load(&r->cache, r->use_cache ? state : NULL,
             r->have_sender ? r->sender_hex : "-");
  if(r->use_cache)
    recheck_load(r, state);
  ask = calloc(r->na ? r->na : 1, sizeof(*ask));
  if(!ask)
    goto out;
  size_t nask = 0;
  for(size_t i = 0; i < r->na; i++) {
    anchor *a = &r->a[i];
    if(a->malformed) {
      a->status = A_FAILED;
      a->rule = 7;
      snprintf(a->reason, sizeof(a->reason), "AnchorSubmitted event is malformed: %s",
               a->malformed_why);
      continue;
    }
    if(r->nsup && bsearch(a->tx_hash, r->superseded, r->nsup, 32, cmp_hash)) {
      a->superseded = 1;
      a->status = A_SUPERSEDED;
      snprintf(a->reason, sizeof(a->reason), "superseded by a later AnchorSuperseded event");
      continue;
    }
    const cache_entry *ce = cache_get(&r->cache, a->tx_hash);
    if(ce && ce->final && ce->anchored_seq == a->anchored_seq &&
       ce->chain_id == a->chain_id && memcmp(ce->anchored_hash, a->anchored_hash, 32) == 0) {
      if(a->lh < 0) { /* the ledger changed under a confirmed anchor */
        a->status = A_FAILED;
        a->rule = 7;
        snprintf(a->reason, sizeof(a->reason),
                 a->lh == -3 ? "anchored_seq is not before the anchor event"
                 : a->lh == -2 ? "the ledger has no event %" PRId64
                               : "anchored_hash is not the ledger's hash of event %" PRId64,
                 a->anchored_seq);
        continue;
      }
      if(recheck_due(r, a)) {
        /* asked again like a new one; a node that cannot answer leaves it
         * confirmed from the cache (the node's error is on the line) */
        a->recheck = ce;
        r->nrechecked++;
        ask[nask++] = i;
        continue;
      }
      use_cached_final(a, ce);
      continue;
    }
    if(ce && !ce->final)
      a->seen = ce;
    if(a->lh == 0) { /* standard input, event too far back to look up */
      a->status = A_UNKNOWN;
      snprintf(a->reason, sizeof(a->reason),
               "cannot check rule 7: event %" PRId64 " is too far back in a ledger read from standard input",
               a->anchored_seq);
      continue;
    }
    ask[nask++] = i;
  }

  /* the nodes */
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
  /* the chain facts are asked on every run, also when every anchor is
   * cached: one request a node, so that a dead node or one on another
   * chain shows now, not when the next anchor needs it */
  for(size_t k = 0; k < r->nurls; k++)
    ask_node_facts(r, k);
  /* every node must agree on the chain */
  for(size_t k = 1; k < r->nurls; k++) {
    if(r->facts[k].usable && r->facts[0].usable &&
       r->facts[k].chain_id != r->facts[0].chain_id) {
      snprintf(r->node_problem, sizeof(r->node_problem),
               "nodes disagree on eth_chainId: %s says %" PRIu64 ", %s says %" PRIu64,
               r->nodes[0].target, r->facts[0].chain_id, r->nodes[k].target,
               r->facts[k].chain_id);
      for(size_t j = 0; j < nask; j++) {
        anchor *a = &r->a[ask[j]];
        a->status = A_FAILED;
        a->rule = 0;
        snprintf(a->reason, sizeof(a->reason), "%s", r->node_problem);
      }
      nask = 0;
      break;
    }
  }
  for(size_t k = 0; k < r->nurls && !r->node_problem[0]; k++)
    if(!r->facts[k].usable)
      snprintf(r->node_problem, sizeof(r->node_problem), "node %s is not usable: %s",
               r->nodes[k].target, r->facts[k].why);
  for(size_t off = 0; off < nask; off += CHUNK) {
    size_t n = nask - off < CHUNK ? nask - off : CHUNK;
    for(size_t k = 0; k < r->nurls; k++) {
      if(!r->facts[k].usable) {
        for(size_t i = 0; i < n; i++) {
          memset(&o[k][i], 0, sizeof(o[k][i]));
          o[k][i].status = A_UNKNOWN;
          snprintf(o[k][i].reason, sizeof(o[k][i].reason), "%s", r->facts[k].why);
        }
        continue;
      }
      ask_anchors(r, k, ask + off, n, o[k]);
    }
    for(size_t i = 0; i < n; i++)
      combine(r, &r->a[ask[off + i]], o, i);
  }

  /* a cached final anchor asked again that the nodes could not answer
   * stays confirmed from the cache; any other answer stands */
  int recheck_missed = 0;
  for(size_t i = 0; i < r->na; i++)
    if(r->a[i].recheck && r->a[i].status == A_UNKNOWN) {
      use_cached_final(&r->a[i], r->a[i].recheck);
      recheck_missed = 1;
    }
    else if(r->a[i].recheck && r->a[i].status == A_FAILED) {
      char was[sizeof(r->a[i].reason)];
      snprintf(was, sizeof(was), "%s", r->a[i].reason);
      snprintf(r->a[i].reason, sizeof(r->a[i].reason),
               "a cached final anchor is no longer on the chain: %.700s", was);
    }

  /* remember final anchors, and where pending ones were seen */
  if(r->use_cache && state) {
    if(!recheck_missed) /* else the next run asks them again */
      recheck_save(r, state);
    cache next = {0};
    snprintf(next.sender, sizeof(next.sender), "%s", r->cache.sender);
    for(size_t i = 0; i < r->na; i++) {
      const anchor *a = &r->a[i];
      cache_entry e = {0};
      if(a->status == A_PENDING && !a->have_block && a->seen) {
        if(cache_put(&next, a->seen) != 0) /* keep where it was seen */
          break;
        continue;
      }
      if(!a->have_block || (a->status != A_CONFIRMED && a->status != A_PENDING))
        continue;
      memcpy(e.tx_hash, a->tx_hash, 32);
      e.final = a->status == A_CONFIRMED;
      e.anchored_seq = a->anchored_seq;
      memcpy(e.anchored_hash, a->anchored_hash, 32);
      e.chain_id = a->chain_id;
      e.block_number = a->block_number;
      memcpy(e.block_hash, a->block_hash, 32);
      e.block_ts = a->block_ts;
      if(cache_put(&next, &e) != 0)
        break;
    }
    if(cache_save(&next, state) != 0)
      host->log(ctx, PROBE_LOG_WARNING, "cannot write the anchor cache in %s", state);
    cache_free(&next);
  }

report:
  rc = emit(r, target ? target : r->src.source, ledger_ok, why);
out:
  if(o)
    for(size_t k = 0; k < r->nurls; k++)
      free(o[k]);
  free(o);
  free(ask);
  free(target);
  run_free(r);
  free(r);
  return rc;
}

/* --check-config: the settings' meaning, without the network. */
static int anchor_check_config(probe_ctx *ctx, const probe_host *host)
{
  run *r = calloc(1, sizeof(*r));
  char why[512];
  int rc;
  if(!r)
    return -1;
  r->ctx = ctx;
  r->host = host;
  rc = read_settings(r, why, sizeof(why));
  if(rc != 0)
    host->config_error(ctx, NULL, "%s", why);
  run_free(r);
  free(r);
  return rc != 0;
}

PROBE_PLUGIN_EXPORT const probe_plugin probe_plugin_entry = {
    PROBE_PLUGIN_ABI, "anchor", PACKAGE_VERSION,
    "confirms the ledger's anchors on an Ethereum chain (JSON-RPC)",
    settings, NULL, anchor_run, NULL, anchor_check_config};
