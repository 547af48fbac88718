#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# claims-anchor.sh: "anchored" from a real anchor plugin run. A ganache of
# its own (like anchor-confirm.sh) gets one real anchor transaction, whose
# AnchorSubmitted event sits in the generator's ledger 37.5 min back; the
# anchor plugin confirms it and leaves <state>/anchor/confirmed.json; the
# claims plugin, with the same state directory, then reports the claims
# before it anchored (by that transaction) and those after it not: two old
# ones past anchor_grace counted in claims_unanchored, the synthetic claim
# within its grace a warning. Without the anchor state: unknown, and why.
. "$top_srcdir/tests/lib/env.sh"
need_eth
ganache="$top_srcdir/tests/node_modules/.bin/ganache"
[ -x "$ganache" ] || missing_server "ganache (tests/node_modules)"
grep -q confirmed.json "$top_srcdir/plugins/anchor/anchor.c" || {
  echo "SKIP: $TEST_NAME: this tree's anchor plugin does not write confirmed.json yet" >&2
  exit 77
}
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$ganache" --server.host 127.0.0.1 --server.port "$port" --chain.chainId 1337 \
  --wallet.deterministic --logging.quiet >"$TEST_TMP/ganache.log" 2>&1 &
pid=$!
RPC="http://127.0.0.1:$port"
rpc() { curl -s -m 10 -H 'content-type: application/json' -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":[]}" "$RPC"; }
for i in $(seq 1 120); do rpc eth_chainId | grep -q result && break; sleep 0.25; done
rpc eth_chainId | grep -q result || fail "ganache did not start"

L=$TEST_TMP/ledger.jsonl
A=$TEST_TMP/answers.json
out=$TEST_TMP/out.jsonl
python3 "$top_srcdir/tests/integration/claims-gen.py" anchored --rpc "$RPC" --answers "$A" >"$L"
export TEST_STATE_DIR=$TEST_TMP/state
agent -p anchor -s anchor.source="$L" -s anchor.rpc_url="$RPC" -s anchor.max_anchor_age=1d >"$out" || true
jq_assert "$out" 'select(.check == "anchor.confirm") | .metrics.anchors_confirmed == 1'
[ -s "$TEST_STATE_DIR/anchor/confirmed.json" ] || fail "the anchor plugin left no confirmed.json"
aseq=$(jq .anchor_seq "$A")
tx=$(jq -r .anchor_tx "$A")
jq_assert "$TEST_STATE_DIR/anchor/confirmed.json" ".covered_seq == $aseq - 1"

agent -p claims -s claims.source="$L" -s 'claims.claim_ids=["claim-000601","claim-synth-001"]' >"$out" || true
jq_assert "$out" 'select(.check == "claims.trace" and .target == "claim-000601")
  | .status == "ok" and .details.anchored_tx == "'"$tx"'"'
jq_assert "$out" 'select(.check == "claims.trace" and .target == "claim-synth-001")
  | .status == "warning" and .details.missing_stage == "anchored"'
jq_assert "$out" 'select(.check == "claims.lifecycle") | .metrics.claims_unanchored == 2
  and (.details.unanchored | sort) == ["claim-000604", "claim-000605"]'

# the same without the anchor plugin's state
TEST_STATE_DIR=$TEST_TMP/other agent -p claims -s claims.source="$L" -s 'claims.claim_ids=["claim-000601"]' >"$out" || true
jq_assert "$out" 'select(.check == "claims.trace") | .status == "unknown" and (.summary | test("anchored unknown: no anchor confirmations"))'
jq_assert "$out" 'select(.check == "claims.lifecycle") | (.metrics | has("claims_unanchored") | not)
  and (.details.anchored_unknown | test("is the anchor plugin running"))'
exit 0
