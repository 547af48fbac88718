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
 *
 * With expected_sender the wallet is watched too (wallet_check): its
 * transaction count at the final block, asked in that same request, must
 * be covered by the nonces of the recorded transactions (kept in the
 * cache) and wallet_other_nonces; a nonce that is not is critical, and the
 * blocks between its recorded neighbours are searched for it. Its balance
 * over the recent anchors' fee gives anchors_left and the runway. After
 * each run confirmed.json tells the claims plugin what is anchored.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
#define MAX_UNRECORDED 20 /* unrecorded nonces listed (and searched) */
#define FEE_ANCHORS 20   /* recent confirmed anchors averaged for the fee */
#define CONFIRMED_FILE "confirmed.json"
#define CONFIRMED_MAX 1000 /* anchors listed in confirmed.json */
#define MAX_PLAUSIBLE_COUNT ((uint64_t)1 << 40) /* a larger nonce count is a lie */

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
  int has_nonce;           /* the wallet's nonce of the transaction */
  uint64_t nonce;
  double fee_wei;          /* gasUsed x effectiveGasPrice, 0 unknown */
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
  /* the wallet */
  int wallet_on;          /* expected_sender and wallet_check */
  uint64_t *other_nonces;
  size_t nother;
  long long max_scan;
  double min_runway, window;
  wtx *w;
  size_t nw;
  int w_status;           /* PROBE_OK.. of the wallet part */
  char w_sum[1400];
  cJSON *w_unrec;         /* details.unrecorded */
  double w_nunrec;
  int have_count, have_balance, have_fee;
  uint64_t count;
  double balance, avg_fee, anchors_left, runway;
  int have_runway;
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
    {"wallet_check", PROBE_SET_BOOL, "true", 0,
     "with expected_sender: every transaction of the wallet must be recorded, "
     "and its funds must last"},
    {"wallet_other_nonces", PROBE_SET_LIST, "[]", 0,
     "nonces of the wallet's transactions that are not anchors (known, allowed)"},
    {"max_scan_blocks", PROBE_SET_INT, "10000", 0,
     "largest block range searched for an unrecorded transaction"},
    {"min_runway", PROBE_SET_DURATION, "\"7d\"", 0,
     "warning when the wallet's funds last less (critical under 1d)"},
    {"window", PROBE_SET_DURATION, "\"24h\"", 0,
     "period of the anchor rate, the runway and the latency percentiles"},
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
    int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0'
            : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
            : s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10 : -1;
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
    snprintf(f->count_why, sizeof(f->count_why), "eth_getTransactionCount(%s): %s", at, c->err);
    return;
  }
  if(txjson_quantity_u64(c->result, &v) != 0 || v >= MAX_PLAUSIBLE_COUNT) {
    txt = cJSON_PrintUnformatted(c->result);
    snprintf(f->count_why, sizeof(f->count_why),
             "eth_getTransactionCount(%s) answered %.60s, %s", at, txt ? txt : "?",
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
  snprintf(wparams[0], sizeof(wparams[0]), "[\"%s\",\"finalized\"]", r->sender_hex);
  snprintf(wparams[1], sizeof(wparams[1]), "[\"%s\",\"latest\"]", r->sender_hex);
  rpc_call c[5] = {{.method = "eth_chainId", .params = "[]"},
                   {.method = "eth_getBlockByNumber", .params = "[\"finalized\",false]"},
                   {.method = "eth_getBlockByNumber", .params = "[\"latest\",false]"},
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
  } else if(c[1].status == RPC_ERR_TRANSPORT ||
            c[1].status == RPC_ERR_GARBAGE) {
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
    snprintf(f->balance_why, sizeof(f->balance_why), "eth_getBalance: %s", c[4].err);
  else if(quantity_double(c[4].result, &f->balance_wei) != 0)
    snprintf(f->balance_why, sizeof(f->balance_why), "eth_getBalance: not a hex quantity");
  else
    f->balance_ok = 1;
  if(f->fin_known && c[3].status != RPC_ERR_NODE) {
    f->count_block = f->fin_bn;
    take_count(f, &c[3], "finalized");
  } else if(!f->fin_known && f->latest_bn + 1 < (uint64_t)r->min_conf) {
    f->count_ok = 1; /* no block is final yet: nothing sent is final */
  } else {
    /* by number: no finalized tag, or a node that takes it for blocks
     * but not for eth_getTransactionCount */
    char p[96], at[32];
    f->count_block = f->fin_known ? f->fin_bn : f->latest_bn + 1 - (uint64_t)r->min_conf;
    snprintf(at, sizeof(at), "0x%" PRIx64, f->count_block);
    snprintf(p, sizeof(p), "[\"%s\",\"%s\"]", r->sender_hex, at);
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
  /* the wallet's nonce (nonce accounting): only of the wallet's own */
  if(txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(txo, "nonce"),
                         &o->nonce) == 0 &&
     (!r->have_sender || memcmp(t.from, r->sender, 20) == 0))
    o->has_nonce = 1;
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
  /* the fee it paid, for the wallet's runway */
  uint64_t gas_used, price;
  if(txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(rcpt, "gasUsed"), &gas_used) == 0 &&
     (txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(rcpt, "effectiveGasPrice"), &price) == 0 ||
      txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(txo, "gasPrice"), &price) == 0))
    o->fee_wei = (double)gas_used * (double)price;
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
  a->has_nonce = pick->has_nonce;
  a->nonce = pick->nonce;
  a->fee_wei = pick->fee_wei;
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
  r->wallet_on = r->have_sender;
  if(h->conf_bool(r->ctx, "wallet_check", &b) == 0 && !b)
    r->wallet_on = 0;
  r->max_scan = 10000;
  if(h->conf_int(r->ctx, "max_scan_blocks", &v) == 0)
    r->max_scan = v < 0 ? 0 : v;
  r->min_runway = 7 * 86400;
  h->conf_duration(r->ctx, "min_runway", &r->min_runway);
  r->window = 86400;
  h->conf_duration(r->ctx, "window", &r->window);
  if(!(r->window > 0)) {
    snprintf(why, n, "window must be longer than 0 s");
    return -1;
  }
  const char *on = NULL;
  if(h->conf_json(r->ctx, "wallet_other_nonces", &on) == 0 && on) {
    cJSON *arr = cJSON_Parse(on);
    const cJSON *e;
    int k = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1;
    if(k < 0) {
      cJSON_Delete(arr);
      snprintf(why, n, "wallet_other_nonces must be a list of nonces");
      return -1;
    }
    r->other_nonces = calloc((size_t)k + 1, sizeof(*r->other_nonces));
    if(!r->other_nonces) {
      cJSON_Delete(arr);
      snprintf(why, n, "out of memory");
      return -1;
    }
    cJSON_ArrayForEach(e, arr) {
      if(!cJSON_IsNumber(e) || e->valuedouble < 0 ||
         e->valuedouble != floor(e->valuedouble) || e->valuedouble > 9007199254740992.0) {
        cJSON_Delete(arr);
        snprintf(why, n, "wallet_other_nonces must hold non-negative integers");
        return -1;
      }
      r->other_nonces[r->nother++] = (uint64_t)e->valuedouble;
    }
    cJSON_Delete(arr);
  }
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

/* --- the wallet ------------------------------------------------------------ */

static int cmp_wtx(const void *a, const void *b)
{
  return memcmp(((const wtx *)a)->h, ((const wtx *)b)->h, 32);
}

/* The recorded transaction of a tx hash, or NULL (r->w sorted by hash). */
static wtx *find_wtx(const run *r, const uint8_t h[32])
{
  wtx key;
  memcpy(key.h, h, 32);
  return r->nw ? bsearch(&key, r->w, r->nw, sizeof(*r->w), cmp_wtx) : NULL;
}

/* Every transaction the ledger records (anchors, supersessions), with the
 * wallet's nonce where this run's answers or the cache know it; those
 * still unknown are asked of node k in one batch. 0, or -1 with err. */
static int wallet_collect(run *r, size_t k, char *err, size_t errlen)
{
  size_t n = 0, nlook = 0;
  r->w = calloc(r->na + r->nsup + 1, sizeof(*r->w));
  if(!r->w) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
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
    } else if(ce && ce->nonce_only) {
      w->not_ours = 1;
    } else {
      w->lookup = 1;
      nlook++;
    }
  }
  if(!nlook)
    return 0;
  rpc_call *c = calloc(nlook, sizeof(*c));
  char (*params)[80] = calloc(nlook, sizeof(*params));
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
    hex32(r->w[i].h, hx);
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
    if(txjson_fixed(cJSON_GetObjectItemCaseSensitive(c[j].result, "hash"), h, 32) != 0 ||
       memcmp(h, w->h, 32) != 0 ||
       txjson_fixed(cJSON_GetObjectItemCaseSensitive(c[j].result, "from"), from, 20) != 0 ||
       txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(c[j].result, "nonce"), &nonce) != 0) {
      snprintf(err, errlen, "eth_getTransactionByHash answered a malformed transaction");
      rc = -1;
      goto out;
    }
    if(memcmp(from, r->sender, 20) != 0) {
      w->not_ours = 1;
      continue;
    }
    if(txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(c[j].result, "blockNumber"), &bn) == 0) {
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
  return cmp_u64(&((const nblock *)a)->nonce, &((const nblock *)b)->nonce);
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

/* Whether the ledger holds hash h (at seq when seq >= 0): 1 yes, 0 no,
 * -1 cannot tell (older than the hashes kept while reading). */
static int ledger_holds(const run *r, const uint8_t h[32], int64_t seq)
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
  if(!cJSON_IsString(in) || strlen(in->valuestring) < 2 ||
     crypto_hex_decode_var(in->valuestring, strlen(in->valuestring), b, sizeof(b), &n) != 0 ||
     !(n == 32 || (n == 68 && memcmp(b, selector, 4) == 0))) {
    u->kind = "other";
    snprintf(u->what, sizeof(u->what), "no anchor: the wallet key signed something else");
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
  int held = ledger_holds(r, h, seq);
  if(held == 0) {
    u->kind = "anchor_not_in_ledger";
    if(seq >= 0)
      snprintf(u->what, sizeof(u->what), "an anchor of hash %.16s.. at seq %" PRId64
               " that the ledger does not hold", hh, seq);
    else
      snprintf(u->what, sizeof(u->what), "an anchor of hash %.16s.. that the ledger does not hold", hh);
  } else {
    u->kind = "anchor_unrecorded";
    snprintf(u->what, sizeof(u->what), "an anchor of hash %.16s.. %s, not recorded as anchored", hh,
             held == 1 ? "that the ledger holds" : "too far back to compare");
  }
}

/* Searches the blocks that bound the unrecorded nonces u[0..nu) (batched
 * eth_getBlockByNumber with full transactions on node k), at most
 * max_scan_blocks blocks in all. Returns how many blocks could not be read. */
static size_t wallet_search(run *r, size_t k, const nblock *nb, size_t nnb,
                          uint64_t final_block, unrec *u, size_t nu)
{
  uint64_t *blocks = NULL;
  size_t nblocks = 0, cap = 0;
  rpc_call *c = NULL;
  char (*params)[48] = NULL;
  size_t nbad = 0;
  for(size_t i = 0; i < nu; i++) {
    /* neighbours: the recorded nonces just below and above */
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
       nblocks + (size_t)(u[i].hi - u[i].lo + 1) > (size_t)r->max_scan)
      continue;
    if(nblocks + (size_t)(u[i].hi - u[i].lo + 1) > cap) {
      size_t ncap = nblocks + (size_t)(u[i].hi - u[i].lo + 1) + 64;
      uint64_t *nbk = realloc(blocks, ncap * sizeof(*nbk));
      if(!nbk)
        goto out;
      blocks = nbk;
      cap = ncap;
    }
    for(uint64_t b = u[i].lo; b <= u[i].hi; b++)
      blocks[nblocks++] = b;
    u[i].searched = 1;
  }
  if(!nblocks)
    goto out;
  qsort(blocks, nblocks, sizeof(*blocks), cmp_u64);
  size_t nd = 0;
  for(size_t i = 0; i < nblocks; i++)
    if(nd == 0 || blocks[nd - 1] != blocks[i])
      blocks[nd++] = blocks[i];
  nblocks = nd;
  c = calloc(nblocks, sizeof(*c));
  params = calloc(nblocks, sizeof(*params));
  if(!c || !params)
    goto out;
  for(size_t i = 0; i < nblocks; i++) {
    snprintf(params[i], sizeof(params[i]), "[\"0x%" PRIx64 "\",true]", blocks[i]);
    c[i].method = "eth_getBlockByNumber";
    c[i].params = params[i];
  }
  rpc_run(&r->nodes[k], c, nblocks);
  for(size_t i = 0; i < nblocks; i++) {
    const cJSON *txs, *t;
    if(c[i].status != RPC_OK || !cJSON_IsObject(c[i].result)) {
      nbad++;
      continue;
    }
    txs = cJSON_GetObjectItemCaseSensitive(c[i].result, "transactions");
    cJSON_ArrayForEach(t, txs) {
      uint8_t from[20], h[32];
      uint64_t nonce;
      if(!cJSON_IsObject(t) ||
         txjson_fixed(cJSON_GetObjectItemCaseSensitive(t, "from"), from, 20) != 0 ||
         memcmp(from, r->sender, 20) != 0 ||
         txjson_quantity_u64(cJSON_GetObjectItemCaseSensitive(t, "nonce"), &nonce) != 0 ||
         txjson_fixed(cJSON_GetObjectItemCaseSensitive(t, "hash"), h, 32) != 0)
        continue;
      for(size_t j = 0; j < nu; j++) {
        if(!u[j].searched || u[j].found || u[j].nonce != nonce)
          continue;
        u[j].found = 1;
        u[j].block = blocks[i];
        hex32(h, u[j].tx);
        classify_input(r, t, &u[j]);
      }
    }
  }
out:
  if(c)
    rpc_calls_free(c, nblocks);
  free(c);
  free(params);
  free(blocks);
  return nbad;
}

static int status_rank(int st)
{
  return st == PROBE_CRITICAL ? 3 : st == PROBE_UNKNOWN ? 2 : st == PROBE_WARNING ? 1 : 0;
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
    if(snprintf(r->w_sum, sizeof(r->w_sum), "%s%s%s", buf, old[0] ? "; " : "", old) < 0)
      r->w_sum[0] = '\0'; /* cut short where long: the details hold all */
    r->w_status = st;
  } else {
    snprintf(r->w_sum + len, sizeof(r->w_sum) - len, "%s%s", len ? "; " : "", buf);
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
      wallet_add(r, PROBE_UNKNOWN, "cannot read the wallet's balance from %s: %s",
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
    if(!isnan(r->a[i].ts) && r->a[i].ts > r->now - r->window && r->a[i].ts <= r->now + 300)
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
    wallet_add(r, PROBE_CRITICAL, "the anchoring wallet %s has no funds: anchoring stops; fund it",
               r->sender_hex);
    return;
  }
  if(!r->have_runway)
    return;
  if(r->runway < 86400 || r->runway < r->min_runway)
    wallet_add(r, r->runway < 86400 ? PROBE_CRITICAL : PROBE_WARNING,
               "the anchoring wallet %s has funds for about %.0f anchors (%.6g ETH at %.6g ETH each): "
               "at %.3g anchors an hour that lasts %.1f h, less than %s; fund it before anchoring stops",
               r->sender_hex, r->anchors_left, r->balance / 1e18, r->avg_fee / 1e18,
               (double)nrate * 3600 / r->window, r->runway / 3600,
               r->runway < 86400 ? "1 day" : "min_runway");
}

/* Nonce accounting: every nonce below the count at the final block must
 * be a recorded transaction or one of wallet_other_nonces. */
static void wallet_nonces(run *r, size_t k, const char *collect_err)
{
  uint64_t *known = NULL;
  nblock *nb = NULL;
  size_t nk = 0, nnb = 0, nu = 0;
  unrec u[MAX_UNRECORDED];
  /* every usable node's count, and all the same */
  for(size_t i = 0; i < r->nurls; i++) {
    const node_facts *f = &r->facts[i];
    if(!f->usable)
      continue;
    if(!f->count_ok) {
      wallet_add(r, PROBE_UNKNOWN, "cannot check the wallet's transactions: node %s: %s",
                 r->nodes[i].target, f->count_why);
      return;
    }
    if(!r->have_count) {
      r->count = f->count;
      r->have_count = 1;
      k = i;
    } else if(f->count != r->count) {
      wallet_add(r, PROBE_CRITICAL,
                 "nodes disagree on the wallet's transaction count: %s says %" PRIu64
                 " (block %" PRIu64 "), %s says %" PRIu64 " (block %" PRIu64 ")",
                 r->nodes[k].target, r->count, r->facts[k].count_block,
                 r->nodes[i].target, f->count, f->count_block);
      r->have_count = 0;
      return;
    }
  }
  if(!r->have_count)
    return;
  if(collect_err) {
    wallet_add(r, PROBE_UNKNOWN, "cannot learn the nonces of the recorded transactions: %s",
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
  qsort(known, nk, sizeof(*known), cmp_u64);
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
  r->w_unrec = cJSON_CreateArray();
  char list[700] = "";
  size_t len = 0;
  int any_anchor = 0, any_other = 0;
  for(size_t i = 0; i < nu; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "nonce", (double)u[i].nonce);
    if(!u[i].searched) {
      snprintf(u[i].what, sizeof(u[i].what), "not searched: its neighbours' blocks %" PRIu64 "..%" PRIu64
               " are more than max_scan_blocks %lld apart", u[i].lo, u[i].hi, r->max_scan);
    } else if(!u[i].found) {
      u[i].kind = "not_found";
      snprintf(u[i].what, sizeof(u[i].what), "not found in blocks %" PRIu64 "..%" PRIu64 "%s",
               u[i].lo, u[i].hi, nbad ? " (some blocks could not be read)" : "");
    } else {
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
      len += (size_t)snprintf(list + len, sizeof(list) - len, "%snonce %" PRIu64 "%s%s%s%s%s",
                              i ? ", " : "", u[i].nonce, u[i].found ? " tx " : "",
                              u[i].found ? u[i].tx : "", u[i].found ? " (" : "",
                              u[i].found ? u[i].what : "", u[i].found ? ")" : "");
  }
  static const char rollback[] =
      "an anchor the ledger does not hold means the ledger was rolled back past anchors "
      "already on chain: apply the correction policy (an AnchorSuperseded event for each)";
  static const char leaked[] =
      "any other transaction means the wallet key signs for someone else (a leaked key): "
      "rotate the key";
  wallet_add(r, PROBE_CRITICAL,
             "the anchoring wallet %s sent %.0f transaction%s the ledger does not record: %s%s; %s; %s",
             r->sender_hex, r->w_nunrec, r->w_nunrec == 1 ? "" : "s", list,
             r->w_nunrec > 3 ? " (and more, see details.unrecorded)" : "",
             any_other && !any_anchor ? leaked : rollback,
             any_other && !any_anchor ? rollback : leaked);
out:
  free(known);
  free(nb);
}

/* The wallet part of the run (wallet_on): nonces and funds. */
static void wallet_check(run *r)
{
  char err[400];
  const char *collect_err = NULL;
  size_t k = 0;
  r->w_status = PROBE_OK;
  while(k < r->nurls && !r->facts[k].usable)
    k++;
  if(k == r->nurls) {
    /* the node problem is the finding (a warning, as for the anchors) */
    wallet_add(r, PROBE_WARNING, "the wallet is not checked: no node is usable");
    return;
  }
  if(wallet_collect(r, k, err, sizeof(err)) != 0)
    collect_err = err;
  wallet_nonces(r, k, collect_err);
  wallet_funds(r);
}

/* Seconds since the epoch as RFC 3339 UTC (milliseconds when ms). */
static void rfc3339(double t, int ms, char out[32])
{
  time_t s = (time_t)floor(t);
  struct tm tm;
  gmtime_r(&s, &tm);
  size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
  if(ms)
    snprintf(out + n, 32 - n, ".%03dZ", (int)((t - floor(t)) * 1000) % 1000);
  else
    snprintf(out + n, 32 - n, "Z");
}

/* Leaves confirmed.json for the claims plugin (format in probe-agent.conf(5)):
 * the highest seq covered by a confirmed, not superseded anchor. Atomic
 * (pstate), then made readable by others (0644) on the descriptor. */
static void write_confirmed(run *r, const char *state)
{
  const anchor *best = NULL;
  size_t ncon = 0, skip = 0;
  char t[32];
  struct timespec now;
  for(size_t i = 0; i < r->na; i++)
    if(r->a[i].status == A_CONFIRMED) {
      ncon++;
      if(!best || r->a[i].anchored_seq > best->anchored_seq)
        best = &r->a[i];
    }
  cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
  if(!o || !arr) {
    cJSON_Delete(o);
    cJSON_Delete(arr);
    return;
  }
  cJSON_AddNumberToObject(o, "version", 1);
  cJSON_AddNumberToObject(o, "covered_seq", best ? (double)best->anchored_seq : 0);
  if(best) {
    cJSON_AddStringToObject(o, "tx_hash", best->tx_hex);
    cJSON_AddNumberToObject(o, "block_number", (double)best->block_number);
    rfc3339((double)best->block_ts, 0, t);
    cJSON_AddStringToObject(o, "block_time", t);
  }
  clock_gettime(CLOCK_REALTIME, &now);
  rfc3339((double)now.tv_sec + now.tv_nsec / 1e9, 1, t);
  cJSON_AddStringToObject(o, "updated_at", t);
  skip = ncon > CONFIRMED_MAX ? ncon - CONFIRMED_MAX : 0;
  int64_t prev = 0; /* an anchor covers the events after the one before */
  for(size_t i = 0; i < r->na; i++) {
    const anchor *a = &r->a[i];
    int64_t from = prev + 1;
    if(a->status != A_CONFIRMED)
      continue;
    if(a->anchored_seq > prev)
      prev = a->anchored_seq;
    if(skip && skip--)
      continue;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "from_seq", (double)(from <= a->anchored_seq ? from : a->anchored_seq));
    cJSON_AddNumberToObject(e, "to_seq", (double)a->anchored_seq);
    cJSON_AddStringToObject(e, "tx_hash", a->tx_hex);
    rfc3339((double)a->block_ts, 0, t);
    cJSON_AddStringToObject(e, "block_time", t);
    cJSON_AddItemToArray(arr, e);
  }
  cJSON_AddItemToObject(o, "anchors", arr);
  char *txt = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if(!txt)
    return;
  size_t len = strlen(txt);
  char *buf = realloc(txt, len + 2);
  if(buf) {
    txt = buf;
    txt[len++] = '\n';
    txt[len] = '\0';
  }
  if(pstate_write(state, CONFIRMED_FILE, txt, len) != 0) {
    r->host->log(r->ctx, PROBE_LOG_WARNING, "cannot write %s in %s: %s", CONFIRMED_FILE,
                 state, strerror(errno));
  } else {
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", state, CONFIRMED_FILE);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if(fd >= 0) {
      if(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid())
        fchmod(fd, 0644); /* the claims plugin reads it */
      close(fd);
    }
  }
  free(txt);
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
  free(r->other_nonces);
  free(r->w);
  cJSON_Delete(r->w_unrec);
  cache_free(&r->cache);
}

static int cmp_hash(const void *a, const void *b)
{
  return memcmp(a, b, 32);
}

/* Formats the anchors' status and summary. */
static void say(int *st, char *buf, size_t n, int status, const char *fmt, ...)
  __attribute__((format(printf, 5, 6)));
static void say(int *st, char *buf, size_t n, int status, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, n, fmt, ap);
  va_end(ap);
  *st = status;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile p (0..100) of sorted v[0..n), n > 0. */
static double percentile(const double *v, size_t n, double p)
{
  size_t k = (size_t)ceil(p / 100.0 * (double)n);
  return v[k ? k - 1 : 0];
}

/* The dashboard's figures over window: submission rate, latency p50/p95;
 * and the wallet's. */
static void emit_window(run *r, probe_result *res)
{
  const probe_host *h = r->host;
  size_t nsub = 0, nl = 0;
  double *lat = calloc(r->na + 1, sizeof(*lat));
  for(size_t i = 0; i < r->na; i++) {
    const anchor *a = &r->a[i];
    if(isnan(a->ts) || a->ts <= r->now - r->window || a->ts > r->now + 300)
      continue;
    nsub++;
    if(lat && a->status == A_CONFIRMED && a->have_block)
      lat[nl++] = (double)a->block_ts - a->ts;
  }
  h->result_metric(res, "anchor_submission_rate_per_hour", (double)nsub * 3600 / r->window);
  if(nl) {
    qsort(lat, nl, sizeof(*lat), cmp_double);
    h->result_metric(res, "confirmation_latency_p50_seconds", percentile(lat, nl, 50));
    h->result_metric(res, "confirmation_latency_p95_seconds", percentile(lat, nl, 95));
  }
  free(lat);
  if(!r->wallet_on)
    return;
  if(r->have_count) {
    h->result_metric(res, "wallet_nonce_count", (double)r->count);
    h->result_metric(res, "unrecorded_transactions", r->w_nunrec);
  }
  if(r->w_unrec) {
    char *txt = cJSON_PrintUnformatted(r->w_unrec);
    if(txt)
      h->result_detail_json(res, "unrecorded", txt);
    free(txt);
  }
  if(r->have_balance)
    h->result_metric(res, "wallet_balance_wei", r->balance);
  if(r->have_fee) {
    h->result_metric(res, "anchor_fee_wei", r->avg_fee);
    h->result_metric(res, "anchors_left", r->anchors_left);
  }
  if(r->have_runway)
    h->result_metric(res, "wallet_runway_seconds", r->runway);
  if(r->w_status != PROBE_OK)
    h->result_detail_string(res, "wallet", r->w_sum);
}

/* Emits the one result line. */
static int emit(run *r, const char *target, int ledger_ok, const char *ledger_err)
{
  int st = PROBE_OK;
  char sum[3000] = "";
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
  emit_window(r, res);
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
    say(&st, sum, sizeof(sum), PROBE_CRITICAL,
                     "anchor %s (seq %" PRId64 ") failed rule %d %s: %s%s",
                     first_fail->tx_hex, first_fail->seq, first_fail->rule,
                     rule_names[first_fail->rule], first_fail->reason,
                     nfail > 1 ? " (and more, see details.failures)" : "");
  } else if(first_unk) {
    h->result_detail_string(res, "tx_hash", first_unk->tx_hex);
    say(&st, sum, sizeof(sum), PROBE_UNKNOWN, "cannot confirm anchor %s: %s",
                     first_unk->tx_hex, first_unk->reason);
  } else if(r->node_problem[0]) {
    /* every anchor confirmed (from the cache), but the next one could not be */
    h->result_detail_string(res, "node_error", r->node_problem);
    say(&st, sum, sizeof(sum), PROBE_WARNING,
                     "%zu anchors: %zu confirmed, %zu pending, %zu superseded; but %s",
                     r->na, ncon, npen, nsup, r->node_problem);
  } else if(r->na == 0) {
    say(&st, sum, sizeof(sum), r->events ? PROBE_WARNING : PROBE_OK,
                     "no anchors in the ledger (%" PRIu64 " events)", r->events);
  } else if(age > r->max_age) {
    say(&st, sum, sizeof(sum), PROBE_WARNING,
                     "newest anchor (seq %" PRId64 ") is %.0f s old, more than max_anchor_age %.0f s",
                     newest->seq, age, r->max_age);
  } else {
    say(&st, sum, sizeof(sum), PROBE_OK,
                     "%zu anchors: %zu confirmed, %zu pending, %zu superseded",
                     r->na, ncon, npen, nsup);
  }
  /* the wallet: the worse part first, the other after it */
  if(r->wallet_on && r->w_sum[0]) {
    char both[sizeof(sum)];
    int m; /* cut short where long: details.wallet holds it whole */
    if(status_rank(r->w_status) > status_rank(st)) {
      m = snprintf(both, sizeof(both), "%s%s%.1500s", r->w_sum, st != PROBE_OK ? "; " : "",
                   st != PROBE_OK ? sum : "");
      st = r->w_status;
    } else {
      m = snprintf(both, sizeof(both), "%.1500s; %.1400s", sum, r->w_sum);
    }
    if(m >= 0)
      memcpy(sum, both, sizeof(sum));
  }
  h->result_status(res, (probe_status)st, "%s", sum);
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

  if(r->wallet_on)
    wallet_check(r);

  /* remember final anchors, and where pending ones were seen */
  if(r->use_cache && state) {
    if(!recheck_missed) /* else the next run asks them again */
      recheck_save(r, state);
    cache next = {0};
    snprintf(next.sender, sizeof(next.sender), "%s", r->cache.sender);
    for(size_t i = 0; i < r->na; i++) {
      const anchor *a = &r->a[i];
      cache_entry e = {0};
      const wtx *w = find_wtx(r, a->tx_hash);
      if(a->status == A_PENDING && !a->have_block && a->seen) {
        if(cache_put(&next, a->seen) != 0) /* keep where it was seen */
          break;
        continue;
      }
      if(w && w->has_nonce) {
        e.has_nonce = 1;
        e.nonce = w->nonce;
      } else if(a->has_nonce) { /* wallet_check off: kept for when it is on */
        e.has_nonce = 1;
        e.nonce = a->nonce;
      }
      e.fee_wei = a->fee_wei;
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
    /* the nonces of recorded transactions that are no F or S entry */
    cache_sort(&next);
    size_t nfs = next.n;
    for(size_t i = 0; i < r->nw; i++) {
      const wtx *w = &r->w[i];
      cache_entry e = {0};
      if(!(w->has_nonce || w->not_ours) || !(w->have_block || w->not_ours))
        continue;
      if(nfs && bsearch(w, next.e, nfs, sizeof(*next.e), cmp_hash))
        continue;
      memcpy(e.tx_hash, w->h, 32);
      e.nonce_only = 1;
      e.has_nonce = w->has_nonce;
      e.nonce = w->nonce;
      e.block_number = w->block;
      if(cache_put(&next, &e) != 0)
        break;
    }
    if(cache_save(&next, state) != 0)
      host->log(ctx, PROBE_LOG_WARNING, "cannot write the anchor cache in %s", state);
    cache_free(&next);
  }

  if(state)
    write_confirmed(r, state);

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

/* The JSON-RPC node and the ledger's PostgreSQL. */
PROBE_PLUGIN_EXPORT const probe_sandbox probe_plugin_sandbox = {
  PROBE_SANDBOX_VERSION, PROBE_NEEDS_NETWORK
};

PROBE_PLUGIN_EXPORT const probe_plugin probe_plugin_entry = {
    PROBE_PLUGIN_ABI, "anchor", PACKAGE_VERSION,
    "confirms the ledger's anchors on an Ethereum chain (JSON-RPC)",
    settings, NULL, anchor_run, NULL, anchor_check_config};
