#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/anchor-confirm.sh: the anchor plugin against a real
# node. Starts its own ganache (tests/anchor/ganache.sh, from node_modules,
# so that evm_snapshot/evm_revert and the accounts' nonces are its own),
# writes ledgers with real anchors (tests/anchor/make-fixtures.mjs) and
# checks that every case gives its status and names its rule and tx hash;
# then a reorg, the cache, several nodes, and nodes that misbehave
# (tests/anchor/fake-node.py). These ledgers share one wallet, so the
# wallet check is off here (anchor.wallet_check=false); anchor-wallet.sh
# checks the wallet, each case with a wallet of its own.
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/anchor/ganache.sh"

t0=$(date +%s)
# first, on the fresh node: the independent vectors' transactions as they
# were signed, so that their ledger confirms here (rule 7 catches the
# re-chained copy)
(cd "$top_srcdir/tests/anchor" && node make-fixtures.mjs "$RPC" "$top_srcdir/tests/vectors" replay) || fail "replay of eth-tx.jsonl failed"
out="$TEST_TMP/out.vectors.json"
agent --plugin anchor -s anchor.cache=false -s "anchor.source=$top_srcdir/tests/vectors/ledger-valid.jsonl" -s "anchor.rpc_url=$RPC" \
  -s anchor.expected_sender=0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1 -s anchor.wallet_check=false -s 'anchor.max_anchor_age="3650d"' >"$out" || true
jq_assert "$out" '.status == "ok" and .metrics.anchors_confirmed == 6' "the vectors' ledger does not confirm"
agent --plugin anchor -s anchor.cache=false -s "anchor.source=$top_srcdir/tests/vectors/ledger-broken-rechained.jsonl" -s "anchor.rpc_url=$RPC" >"$out" || true
jq_assert "$out" '.status == "critical" and .details.rule == 7 and .details.tx_hash == "0x043382eb8853257a4647878ff85b2e30d182be6aa480e39371337f170fba1928"' "re-chained vectors ledger not caught by rule 7"

fx="$TEST_TMP/fx"
mkdir -p "$fx"
(cd "$top_srcdir/tests/anchor" && node make-fixtures.mjs "$RPC" "$fx") || fail "fixture generator failed"

# the fake nodes, all started now (python is slow to start on a busy box)
for m in forked chain1 nobatch nofinal stall garbage huge reset redirect; do
  python3 "$top_srcdir/tests/anchor/fake-node.py" "$m" "$TEST_TMP/port.$m" "$RPC" &
  pids+=($!)
done
# fake MODE: sets FAKE_URL to that fake node
fake() {
  local i
  for i in $(seq 1 200); do [ -s "$TEST_TMP/port.$1" ] && break; sleep 0.05; done
  [ -s "$TEST_TMP/port.$1" ] || fail "fake node $1 did not start"
  FAKE_URL="http://127.0.0.1:$(cat "$TEST_TMP/port.$1")"
}

n=0
# run_case NAME: runs the agent on one case of cases.json and asserts it
# (one jq to read the case, one to check the line: jq is slow to start)
run_case() {
  local c="$1" out="$TEST_TMP/out.$1.json" args=() ledger="" filter="" kv
  while IFS= read -r kv; do
    case "$kv" in
      ledger=*) ledger=${kv#ledger=} ;;
      filter=*) filter=${kv#filter=} ;;
      *) args+=(-s "anchor.$kv") ;;
    esac
  done < <(jq -r --arg n "$c" '.[] | select(.name == $n) |
      "ledger=\(.ledger)",
      "filter=.status == \"\(.status)\"" +
        (if .rule then " and .details.rule == \(.rule) and .details.tx_hash == \"\(.tx_hash)\"" +
           " and (.summary | contains(\"\(.tx_hash)\")) and (.summary | contains(\"rule \(.rule)\"))" else "" end) +
        ([("confirmed", "pending", "superseded") as $m | select(.[$m]) |
          " and .metrics.anchors_\($m) == \(.[$m])"] | join("")),
      (.settings | to_entries[] | "\(.key)=\(.value)")' "$fx/cases.json")
  [ -n "$ledger" ] || fail "no case $c"
  TEST_STATE_DIR="$TEST_TMP/state.$c" agent --plugin anchor -s "anchor.source=$fx/$ledger" \
    -s "anchor.rpc_url=$RPC" "${args[@]}" >"$out" || true
  jq_assert "$out" "$filter" "case $c: expected $filter"
  n=$((n + 1))
}

for c in $(jq -r '.[].name' "$fx/cases.json"); do run_case "$c"; done

# the good ledger again: now from the cache, without asking the node about
# any anchor; one request (chain id, blocks) shows the node is still there
sender=$(jq -r '.[0].settings.expected_sender' "$fx/cases.json")
out="$TEST_TMP/out.good.json"
TEST_STATE_DIR="$TEST_TMP/state.good" agent --plugin anchor -s "anchor.source=$fx/good.jsonl" -s "anchor.rpc_url=$RPC" \
  -s "anchor.expected_sender=$sender" -s anchor.wallet_check=false >"$out" || true
jq_assert "$out" '.status == "ok" and .metrics.anchors_cached == 6 and .metrics.rpc_requests == 1 and .metrics.rpc_calls == 3' \
  "warm run asked the node about anchors again"
# a warm run whose node is gone: the anchors stay confirmed, with a warning
TEST_STATE_DIR="$TEST_TMP/state.good" agent --plugin anchor -s "anchor.source=$fx/good.jsonl" \
  -s "anchor.rpc_url=http://127.0.0.1:1" -s "anchor.expected_sender=$sender" -s anchor.wallet_check=false >"$out" || true
jq_assert "$out" '.status == "warning" and .metrics.anchors_confirmed == 6 and .metrics.anchors_cached == 6
  and (.summary | test("node http://127.0.0.1:1 is not usable")) and (.details.node_error | test("eth_chainId"))' \
  "a dead node behind a warm cache went unnoticed"
# another expected_sender makes the cache void: asked again, and all fail rule 4
TEST_STATE_DIR="$TEST_TMP/state.good" agent --plugin anchor -s "anchor.source=$fx/good.jsonl" -s "anchor.rpc_url=$RPC" \
  -s "anchor.expected_sender=0x000000000000000000000000000000000000dead" >"$out" || true
jq_assert "$out" '.status == "critical" and .details.rule == 4 and .metrics.anchors_failed == 6' "cache not voided by another expected_sender"
# ... and a ledger rewritten under a cached anchor is still caught (rule 7)
out="$TEST_TMP/out.tamper.json"
python3 - "$fx/good.jsonl" "$TEST_TMP/good-tampered.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
a = next(e for e in ev if e["type"] == "AnchorSubmitted")
tgt = next(e for e in ev if e["seq"] == a["payload"]["anchored_seq"])
tgt["hash"] = "ab" * 32  # what a rewrite leaves at that seq
open(sys.argv[2], "w").write("".join(json.dumps(e) + "\n" for e in ev))
PY
TEST_STATE_DIR="$TEST_TMP/state.good" agent --plugin anchor -s "anchor.source=$TEST_TMP/good-tampered.jsonl" -s "anchor.rpc_url=$RPC" \
  -s "anchor.expected_sender=$sender" -s anchor.wallet_check=false >"$out" || true
jq_assert "$out" '.status == "critical" and .details.rule == 7' "rewritten ledger under a cached anchor not caught"

# several nodes: the same node twice agrees; a node on another fork does not
fake forked; forked=$FAKE_URL
out="$TEST_TMP/out.multi.json"
agent --plugin anchor -s anchor.cache=false -s "anchor.source=$fx/good.jsonl" -s "anchor.rpc_urls=[\"$RPC\",\"$RPC/\"]" >"$out" || true
jq_assert "$out" '.status == "ok" and .metrics.anchors_confirmed == 6' "two agreeing nodes"
agent --plugin anchor -s anchor.cache=false -s "anchor.source=$fx/good.jsonl" -s "anchor.rpc_urls=[\"$RPC\",\"$forked\"]" >"$out" || true
jq_assert "$out" '.status == "critical" and .details.rule == 0 and (.summary | contains("disagree"))' "disagreeing nodes"
fake chain1
agent --plugin anchor -s anchor.cache=false -s "anchor.source=$fx/good.jsonl" -s "anchor.rpc_urls=[\"$RPC\",\"$FAKE_URL\"]" >"$out" || true
jq_assert "$out" '.status == "critical" and (.summary | contains("eth_chainId"))' "nodes on other chains"
# a single node on another fork: the receipt's block is not canonical (rule 5)
agent --plugin anchor -s anchor.cache=false -s "anchor.source=$fx/good.jsonl" -s "anchor.rpc_url=$forked" >"$out" || true
jq_assert "$out" '.status == "critical" and .details.rule == 5' "non-canonical block not caught"

# cached final anchors are asked again on a slow cycle (recheck_every): a
# warm run with the default 24h stays cached, one on a node whose chain no
# longer holds them is critical once they are due
rs="$TEST_TMP/state.recheck"
TEST_STATE_DIR=$rs agent --plugin anchor -s "anchor.source=$fx/good.jsonl" -s "anchor.rpc_url=$RPC" >"$out" || true
jq_assert "$out" '.status == "ok" and .metrics.anchors_confirmed == 6 and .metrics.anchors_cached == 0'
TEST_STATE_DIR=$rs agent --plugin anchor -s "anchor.source=$fx/good.jsonl" -s "anchor.rpc_url=$forked" >"$out" || true
jq_assert "$out" '.metrics.anchors_cached == 6 and .metrics.anchors_rechecked == 0 and .metrics.rpc_requests == 1' \
  "a warm run with the default recheck_every asked again"
sleep 1.1
TEST_STATE_DIR=$rs agent --plugin anchor -s "anchor.source=$fx/good.jsonl" -s "anchor.rpc_url=$forked" \
  -s anchor.recheck_every=1 >"$out" || true
jq_assert "$out" '.status == "critical" and .metrics.anchors_rechecked == 6 and .metrics.anchors_failed == 6
  and (.summary | contains("no longer on the chain"))' "a chain that lost a cached final anchor was not critical"
# an outage before any anchor is known: unanchored_events unknown, not the
# ledger's length
TEST_STATE_DIR="$TEST_TMP/state.cold" agent --plugin anchor -s "anchor.source=$fx/good.jsonl" \
  -s "anchor.rpc_url=http://127.0.0.1:1" >"$out" || true
jq_assert "$out" '.status == "unknown" and (.metrics | has("unanchored_events") | not)
  and (.details.unanchored_events_unknown | length) > 0' "unanchored_events reported during an outage with no anchor known"

# a node without batches, and one without the finalized tag (-39001)
fake nobatch
agent --plugin anchor -s anchor.cache=false -s "anchor.source=$fx/good.jsonl" -s "anchor.rpc_url=$FAKE_URL" >"$out" || true
jq_assert "$out" '.status == "ok" and .metrics.anchors_confirmed == 6' "no batches: fallback to single calls"
fake nofinal
agent --plugin anchor -s anchor.cache=false -s "anchor.source=$fx/good.jsonl" -s "anchor.rpc_url=$FAKE_URL" >"$out" || true
jq_assert "$out" '.status == "ok" and .metrics.anchors_confirmed == 6' "-39001: fallback to min_confirmations"
agent --plugin anchor -s anchor.cache=false -s "anchor.source=$fx/good.jsonl" -s "anchor.rpc_url=$FAKE_URL" -s anchor.min_confirmations=100000 >"$out" || true
jq_assert "$out" '.metrics.anchors_pending == 6' "-39001 fallback does not count confirmations"

# nodes that misbehave: unknown, naming the node and what went wrong, in bounded time
for m in stall garbage huge reset redirect; do
  fake "$m"
  out="$TEST_TMP/out.$m.json"
  start=$(date +%s)
  agent --plugin anchor -s anchor.cache=false -s "anchor.source=$fx/good.jsonl" -s "anchor.rpc_url=$FAKE_URL" -s anchor.rpc_timeout=2 -s anchor.max_response_bytes=1000000 >"$out" || true
  [ $(( $(date +%s) - start )) -le 15 ] || fail "$m: took too long"
  jq_assert "$out" ".status == \"unknown\" and (.summary | contains(\"127.0.0.1\"))" "$m node: not unknown naming the node"
done
jq_assert "$TEST_TMP/out.stall.json" '.summary | test("timeout|timed out")' "stall not reported as a timeout"
jq_assert "$TEST_TMP/out.garbage.json" '.summary | test("not JSON")' "garbage not reported"
jq_assert "$TEST_TMP/out.huge.json" '.summary | test("large")' "huge body not reported"
jq_assert "$TEST_TMP/out.redirect.json" '.summary | test("redirect")' "redirect to https not refused"

# a reorg: an anchor seen in a block that evm_revert then drops
(cd "$top_srcdir/tests/anchor" && node make-fixtures.mjs "$RPC" "$fx" reorg) || fail "reorg fixture failed"
out="$TEST_TMP/out.reorg.json"
deep=(-s anchor.finality=confirmations -s anchor.min_confirmations=1000)
TEST_STATE_DIR="$TEST_TMP/state.reorg" agent --plugin anchor -s "anchor.source=$fx/reorg.jsonl" -s "anchor.rpc_url=$RPC" "${deep[@]}" >"$out" || true
jq_assert "$out" '.status == "ok" and .metrics.anchors_pending == 1' "reorg case: not pending before the reorg"
rpc evm_revert "[\"$(cat "$fx/reorg.snapshot")\"]" | grep -q true || fail "evm_revert failed"
rpc evm_mine '[{"blocks":5}]' >/dev/null
TEST_STATE_DIR="$TEST_TMP/state.reorg" agent --plugin anchor -s "anchor.source=$fx/reorg.jsonl" -s "anchor.rpc_url=$RPC" "${deep[@]}" >"$out" || true
jq_assert "$out" ".status == \"critical\" and .details.rule == 5 and .details.tx_hash == \"$(cat "$fx/reorg.tx")\"" "reorg not detected"

echo "anchor-confirm: $(( $(date +%s) - t0 )) s after ganache started"
echo "anchor-confirm: $n fixture cases and the cache, multi-node, fake-node and reorg checks passed"
