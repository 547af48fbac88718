/* SPDX-License-Identifier: Apache-2.0 */
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

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "crypto/hex.h"
#include "plugins/anchor/anchor.h"
#include "plugins/common/pkit.h"
#include "plugins/common/pledger_settings.h"
#include "probe-plugin.h"

static const probe_setting settings[] = {
    /* the ledger source's rows are those of ledger and claims; no
     * max_line_bytes: ledgerscan_opts has no line limit (lsrc's 16 MiB) */
    PLEDGER_SOURCE_SETTINGS,
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


/* A list setting (JSON text) as a cJSON array, or NULL with why. */
static cJSON *json_list(const char *text, const char *key, const char *what,
                        char *why, size_t n)
{
  cJSON *arr = cJSON_Parse(text);
  if(!cJSON_IsArray(arr)) {
    cJSON_Delete(arr);
    snprintf(why, n, "%s must be a list of %s", key, what);
    return NULL;
  }
  return arr;
}

/* Adds a copy of url to r->urls (room made by the caller). */
static int add_url(run *r, const char *url, char *why, size_t n)
{
  char *dup = strdup(url);
  if(!dup) {
    snprintf(why, n, "out of memory");
    return -1;
  }
  r->urls[r->nurls++] = dup;
  return 0;
}

/* rpc_urls (then rpc_url), or rpc_url alone: the nodes to ask. */
static int read_urls(run *r, char *why, size_t n)
{
  const char *one = NULL, *list = NULL;
  cJSON *arr = NULL;
  const cJSON *e;
  int k = 0;
  one = pkit_str(&r->kit, "rpc_url");
  list = pkit_json(&r->kit, "rpc_urls");
  if(!list && !one) {
    snprintf(why, n, "neither rpc_url nor rpc_urls is configured");
    return -1;
  }
  if(list && (!(arr = cJSON_Parse(list)) || !cJSON_IsArray(arr) ||
              (k = cJSON_GetArraySize(arr)) == 0)) {
    cJSON_Delete(arr);
    snprintf(why, n, "rpc_urls must be a non-empty list of URLs");
    return -1;
  }
  r->urls = calloc((size_t)k + (one ? 1 : 0), sizeof(*r->urls));
  if(!r->urls) {
    snprintf(why, n, "out of memory");
    goto fail;
  }
  /* the strings must outlive arr: kept in settings-lifetime copies */
  cJSON_ArrayForEach(e, arr) {
    if(!cJSON_IsString(e)) {
      snprintf(why, n, "rpc_urls must hold strings");
      goto fail;
    }
    if(add_url(r, e->valuestring, why, n) != 0)
      goto fail;
  }
  if(one && add_url(r, one, why, n) != 0)
    goto fail;
  cJSON_Delete(arr);
  return 0;
fail:
  cJSON_Delete(arr);
  return -1;
}

/* wallet_other_nonces: non-negative integers. */
static int read_other_nonces(run *r, char *why, size_t n)
{
  const char *on = NULL;
  const cJSON *e;
  cJSON *arr;
  if(!(on = pkit_json(&r->kit, "wallet_other_nonces")))
    return 0;
  if(!(arr = json_list(on, "wallet_other_nonces", "nonces", why, n)))
    return -1;
  r->other_nonces =
      calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*r->other_nonces));
  if(!r->other_nonces) {
    cJSON_Delete(arr);
    snprintf(why, n, "out of memory");
    return -1;
  }
  cJSON_ArrayForEach(e, arr) {
    if(!cJSON_IsNumber(e) || e->valuedouble < 0 ||
       e->valuedouble != floor(e->valuedouble) ||
       e->valuedouble > 9007199254740992.0) {
      cJSON_Delete(arr);
      snprintf(why, n, "wallet_other_nonces must hold non-negative integers");
      return -1;
    }
    r->other_nonces[r->nother++] = (uint64_t)e->valuedouble;
  }
  cJSON_Delete(arr);
  return 0;
}

/* expected_sender, min_confirmations and finality (in this order, as
 * the errors were always checked). */
static int read_forms(run *r, char *why, size_t n)
{
  const char *s;
  anchor_rules *c = &r->rules;
  if((s = pkit_str(&r->kit, "expected_sender"))) {
    if(strlen(s) != 42 || strncmp(s, "0x", 2) != 0 ||
       crypto_hex_decode(s, 42, c->sender, 20) != 0) {
      snprintf(why, n, "expected_sender is not 0x and 40 hex digits");
      return -1;
    }
    c->have_sender = 1;
    anchor_hex20(c->sender, c->sender_hex);
  }
  c->min_conf = pkit_int(&r->kit, "min_confirmations");
  if(c->min_conf < 1) {
    snprintf(why, n, "min_confirmations must be at least 1");
    return -1;
  }
  if((s = pkit_str(&r->kit, "finality"))) {
    if(strcmp(s, "confirmations") == 0)
      r->finality_confirmations = 1;
    else if(strcmp(s, "auto") != 0) {
      snprintf(why, n, "finality must be \"auto\" or \"confirmations\"");
      return -1;
    }
  }
  return 0;
}

/* The numbers, durations and flags (defaults: the table's, by pkit). */
static int read_numbers(run *r, char *why, size_t n)
{
  pkit *k = &r->kit;
  long long v;
  r->rules.grace = pkit_duration(k, "pending_grace");
  r->max_age = pkit_duration(k, "max_anchor_age");
  r->rpc_timeout = pkit_duration(k, "rpc_timeout");
  v = pkit_int(k, "max_response_bytes");
  r->max_bytes =
      v > 0 ? (size_t)v : (size_t)pkit_default(k, "max_response_bytes");
  v = pkit_int(k, "batch_size");
  r->batch_max = v < 1 ? 1 : (size_t)v;
  r->use_cache = pkit_bool(k, "cache");
  r->recheck_every = pkit_duration(k, "recheck_every");
  r->wallet_on = r->rules.have_sender && pkit_bool(k, "wallet_check");
  v = pkit_int(k, "max_scan_blocks");
  r->max_scan = v < 0 ? 0 : v;
  r->min_runway = pkit_duration(k, "min_runway");
  r->window = pkit_duration(k, "window");
  if(!(r->window > 0)) {
    snprintf(why, n, "window must be longer than 0 s");
    return -1;
  }
  return 0;
}

/* Reads the settings into r (one reader for run and check_config); on
 * error writes why and returns -1. */
static int read_settings(run *r, char *why, size_t n)
{
  lsrc_options o;
  pkit_init(&r->kit, r->ctx, r->host, settings);
  pledger_settings_read(&r->kit, &o);
  if(!(r->src.source = o.source)) {
    snprintf(why, n, "no source configured");
    return -1;
  }
  r->src.table = o.table;
  r->src.column = o.column;
  if(read_urls(r, why, n) != 0 || read_forms(r, why, n) != 0 ||
     read_numbers(r, why, n) != 0 || read_other_nonces(r, why, n) != 0)
    return -1;
  /* the ledger's PostgreSQL keeps the anchor's own limit, rpc_timeout
   * (not pledger_settings_read's run time left) */
  r->src.timeout_s = r->rpc_timeout;
  return 0;
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
  lv_hasher_free(r->hasher);
  if(r->kit.host)
    pkit_free(&r->kit);
}

/* The entry point: one run of check anchor.confirm: read settings, read
 * the ledger, ask the nodes, judge, remember, report. */
static int anchor_run(probe_ctx *ctx, const probe_host *host)
{
  run *r = calloc(1, sizeof(*r));
  char why[512] = "", *target = NULL;
  int rc = -1, ledger_ok = 1, lr;
  size_t *ask = NULL, nask;
  const char *state;
  if(!r)
    return -1;
  r->ctx = ctx;
  r->host = host;
  r->rules.now = (double)time(NULL);
  if(read_settings(r, why, sizeof(why)) != 0) {
    rc =
        pkit_misconfigured(ctx, host, "anchor.confirm",
                           r->src.source ? r->src.source : "anchor", "%s", why);
    goto out;
  }
  target = ledgerscan_target(&r->src);
  if((lr = anchor_read_ledger(r, why, sizeof(why))) == -2)
    goto out;
  if(lr != 0) {
    ledger_ok = 0;
    goto report;
  }
  state = host->state_dir(ctx);
  ask = calloc(r->na ? r->na : 1, sizeof(*ask));
  if(!ask)
    goto out;
  nask = anchor_triage(r, state, ask);
  if(anchor_ask_nodes(r, ask, nask) != 0)
    goto out;
  int recheck_missed = anchor_settle_rechecks(r);
  if(r->wallet_on)
    anchor_wallet_check(r);
  anchor_remember(r, state, recheck_missed);
  if(state)
    anchor_write_confirmed(r, state);
report:
  rc = anchor_emit(r, target ? target : r->src.source, ledger_ok, why);
out:
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
  rc |= pledger_settings_check(ctx, host);
  run_free(r);
  free(r);
  return rc != 0;
}

/* The JSON-RPC node and the ledger's PostgreSQL. */
PROBE_PLUGIN_EXPORT const probe_sandbox
    probe_plugin_sandbox = {PROBE_SANDBOX_VERSION, PROBE_NEEDS_NETWORK};

PROBE_PLUGIN_EXPORT const probe_plugin probe_plugin_entry = {
    PROBE_PLUGIN_ABI,
    "anchor",
    PACKAGE_VERSION,
    "confirms the ledger's anchors on an Ethereum chain (JSON-RPC)",
    settings,
    NULL,
    anchor_run,
    NULL,
    anchor_check_config};
