#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/anchor-hashat.sh: rule 7 takes "the ledger's hash at
# anchored_seq" the way the ledger verifier does (lverify's lv_line_hash,
# lv_hash_at): an event with a member twice is no event to either (the
# anchor plugin once read it with cJSON, took the first member and found
# the hash), near (the first pass) and far back (the second pass).
. "$top_srcdir/tests/lib/env.sh"
need_eth
RPC=$PROBE_TEST_ETH_RPC
chain=$(curl -s -m 10 -H 'content-type: application/json' \
  -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$RPC" | jq -r .result)
[ -n "$chain" ] && [ "$chain" != null ] || fail "the node gives no chain id"
chain=$((chain))
h1=$(printf '1%.0s' $(seq 64))
hz=$(printf '0%.0s' $(seq 64))
tx=0x$(printf 'e%.0s' $(seq 64))
ev() { printf '{"seq":%s,"ts":"2020-01-01T00:00:00Z","type":"%s","aggregate_id":"a","prev_hash":"%s","hash":"%s","payload":%s}\n' "$@"; }

# led FAR: event 1 holds "seq" twice; an anchor of it (hash h1) after FAR
# filler events (more than the ring of 4096: the second pass)
led() {
  local f=$TEST_TMP/l$1.jsonl i
  printf '{"seq":1,"seq":1,"ts":"2020-01-01T00:00:00Z","type":"Note","aggregate_id":"a","prev_hash":"%s","hash":"%s","payload":{}}\n' "$hz" "$h1" >"$f"
  for ((i = 2; i < $1 + 2; i++)); do ev "$i" Note "$h1" "$h1" '{}'; done >>"$f"
  ev "$(($1 + 2))" AnchorSubmitted "$h1" "$h1" \
    "{\"anchored_seq\":1,\"anchored_hash\":\"$h1\",\"chain_id\":$chain,\"tx_hash\":\"$tx\"}" >>"$f"
  chmod 644 "$f"
  echo "$f"
}
out=$TEST_TMP/out.json
for far in 1 5000; do
  f=$(led $far)
  agent --plugin anchor -s anchor.cache=false -s "anchor.source=$f" -s "anchor.rpc_url=$RPC" >"$out" || true
  jq_assert "$out" '.status == "critical" and .details.rule == 7 and (.summary | test("the ledger has no event 1"))' \
    "an event with a member twice counted as event 1 ($far events back)"
done
exit 0
