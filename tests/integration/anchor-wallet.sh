#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/anchor-wallet.sh: the anchoring wallet watched (the
# anchor plugin with expected_sender), against a real node: a transaction
# of the wallet that the ledger does not record, a ledger rolled back past
# anchors on chain and then corrected, the wallet's funds and runway, two
# nodes that disagree on the count, nodes that answer the count with
# garbage, a warm run of 500 cached anchors in one request, and the
# confirmations file left for the claims plugin. Its own ganache, like
# anchor-confirm.sh, so that the wallets' nonces are known.
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/anchor/ganache.sh"

fx="$TEST_TMP/fx"
mkdir -p "$fx"
# 500 anchors of account 0 (nonces 0..499, all recorded), then the cases
(cd "$top_srcdir/tests/anchor" && node make-fixtures.mjs "$RPC" "$fx" bench 500) || fail "bench fixture failed"
(cd "$top_srcdir/tests/anchor" && node make-fixtures.mjs "$RPC" "$fx" wallet) || fail "wallet fixture failed"
for m in countoff countgarbage countneg counthuge countbig nofinal; do
  python3 "$top_srcdir/tests/anchor/fake-node.py" "$m" "$TEST_TMP/port.$m" "$RPC" &
  pids+=($!)
done
fake() {
  local i
  for i in $(seq 1 200); do [ -s "$TEST_TMP/port.$1" ] && break; sleep 0.05; done
  [ -s "$TEST_TMP/port.$1" ] || fail "fake node $1 did not start"
  FAKE_URL="http://127.0.0.1:$(cat "$TEST_TMP/port.$1")"
}
w() { jq -r "$1" "$fx/wallet.json"; }
out="$TEST_TMP/out.json"
# anchor LEDGER SENDER [settings...]: one run, its line in $out
anchor() {
  local ledger=$1 sender=$2
  shift 2
  agent --plugin anchor -s "anchor.source=$fx/$ledger" -s "anchor.expected_sender=$sender" "$@" >"$out" || true
}

# an extra transaction of the wallet: critical, naming its nonce and hash
s=$(w .unrecorded.sender) nonce=$(w .unrecorded.nonce) tx=$(w .unrecorded.tx_hash)
anchor "$(w .unrecorded.ledger)" "$s" -s anchor.cache=false -s "anchor.rpc_url=$RPC"
jq_assert "$out" ".status == \"critical\" and .metrics.unrecorded_transactions == 1
  and .metrics.anchors_confirmed == 5 and .details.unrecorded[0].nonce == $nonce
  and .details.unrecorded[0].tx_hash == \"$tx\" and .details.unrecorded[0].kind == \"other\"
  and (.summary | contains(\"nonce $nonce tx $tx\")) and (.summary | contains(\"rotate the key\"))" \
  "an unrecorded transaction of the wallet went unnoticed"
# ... allowed in wallet_other_nonces: ok
anchor "$(w .unrecorded.ledger)" "$s" -s anchor.cache=false -s "anchor.rpc_url=$RPC" -s "anchor.wallet_other_nonces=[$nonce]"
jq_assert "$out" '.status == "ok" and .metrics.unrecorded_transactions == 0' "wallet_other_nonces not honoured"
# ... the same from a node without the finalized tag: counted at head
# minus min_confirmations (a second request), still found
fake nofinal
anchor "$(w .unrecorded.ledger)" "$s" -s anchor.cache=false -s "anchor.rpc_url=$FAKE_URL" -s anchor.min_confirmations=3
jq_assert "$out" ".status == \"critical\" and .metrics.unrecorded_transactions == 1 and .details.unrecorded[0].tx_hash == \"$tx\"" \
  "no finalized tag: the unrecorded transaction went unnoticed"
# ... and not searched when the blocks are too far apart, still critical
anchor "$(w .unrecorded.ledger)" "$s" -s anchor.cache=false -s "anchor.rpc_url=$RPC" -s anchor.max_scan_blocks=0
jq_assert "$out" ".status == \"critical\" and .details.unrecorded[0].nonce == $nonce and .details.unrecorded[0].kind == \"not_searched\"" \
  "max_scan_blocks 0 still searched, or lost the finding"

# a ledger cut back before anchors 4 and 5 (on chain), and a raw anchor of
# a hash beginning 0000: critical, all three named as anchors of hashes the
# ledger does not hold, with the correction policy
s=$(w .rollback.sender) tx4=$(w '.rollback.tx_hashes[0]') tx5=$(w '.rollback.tx_hashes[1]') tx6=$(w '.rollback.tx_hashes[2]')
st="$TEST_TMP/state.rollback"
TEST_STATE_DIR=$st anchor "$(w .rollback.ledger)" "$s" -s "anchor.rpc_url=$RPC"
jq_assert "$out" ".status == \"critical\" and .metrics.unrecorded_transactions == 3 and .metrics.anchors_confirmed == 3
  and ([.details.unrecorded[] | select(.kind == \"anchor_not_in_ledger\") | .tx_hash] == [\"$tx4\", \"$tx5\", \"$tx6\"])
  and (.details.unrecorded[2].what | contains(\"hash 0000c0ffeec0ffee..\"))
  and (.summary | contains(\"$tx4\")) and (.summary | contains(\"$tx5\")) and (.summary | contains(\"correction policy\"))" \
  "a ledger rolled back past anchors on chain went unnoticed"
# ... AnchorSuperseded events for both: ok again (and again from the cache)
TEST_STATE_DIR=$st anchor "$(w .rollback.superseded)" "$s" -s "anchor.rpc_url=$RPC"
jq_assert "$out" '.status == "ok" and .metrics.unrecorded_transactions == 0' "superseded anchors still counted as unrecorded"
TEST_STATE_DIR=$st anchor "$(w .rollback.superseded)" "$s" -s "anchor.rpc_url=$RPC"
jq_assert "$out" '.status == "ok" and .metrics.unrecorded_transactions == 0 and .metrics.rpc_requests == 1' \
  "superseded anchors' nonces not cached"
# ... a node gone: the wallet is unchecked, a warning like the anchors'
TEST_STATE_DIR=$st anchor "$(w .rollback.superseded)" "$s" -s "anchor.rpc_url=http://127.0.0.1:1"
jq_assert "$out" '.status == "warning" and .metrics.anchors_confirmed == 3 and (.metrics | has("unrecorded_transactions") | not)
  and (.summary | contains("wallet is not checked"))' "a dead node: the wallet reported as checked"
# the confirmations file for the claims plugin: the highest seq of a
# confirmed anchor not superseded (anchor 3), atomically written, 0644
cf="$st/anchor/confirmed.json"
[ -f "$cf" ] || fail "no confirmed.json"
[ "$(stat -c %a "$cf")" = 644 ] || fail "confirmed.json is mode $(stat -c %a "$cf"), not 644"
a3=$(jq -r 'select(.type == "AnchorSubmitted") | .payload' "$fx/$(w .rollback.superseded)" | jq -s '.[2]')
jq_assert "$cf" ".version == 1 and .covered_seq == $(jq .anchored_seq <<<"$a3") and .tx_hash == $(jq .tx_hash <<<"$a3")
  and (.block_number | type) == \"number\" and (.block_time | test(\"^[0-9-]{10}T[0-9:]{8}Z$\"))
  and (.updated_at | test(\"^[0-9-]{10}T[0-9:]{8}[.][0-9]{3}Z$\")) and (.anchors | length) == 3
  and ([.anchors[].tx_hash] | index(\"$tx4\") == null) and .anchors[-1].to_seq == .covered_seq" \
  "confirmed.json does not say what is anchored"

# funds: about ten anchors left at five an hour: critical, with the runway
s=$(w .funds.sender) low=$(w .funds.low_balance)
rpc evm_setAccountBalance "[\"$s\",\"$low\"]" | grep -q true || fail "evm_setAccountBalance failed"
anchor "$(w .funds.ledger)" "$s" -s anchor.cache=false -s "anchor.rpc_url=$RPC" -s 'anchor.window="1h"'
jq_assert "$out" '.status == "critical" and .metrics.anchors_left == 10 and .metrics.anchor_submission_rate_per_hour == 5
  and (.metrics.wallet_runway_seconds | . > 7000 and . < 7400) and (.summary | contains("about 10 anchors"))
  and (.metrics | has("confirmation_latency_p50_seconds") and has("confirmation_latency_p95_seconds"))' \
  "a wallet about to run dry was not critical"
# ... well funded: ok
rpc evm_setAccountBalance "[\"$s\",\"0x3635c9adc5dea00000\"]" | grep -q true || fail "evm_setAccountBalance failed"
anchor "$(w .funds.ledger)" "$s" -s anchor.cache=false -s "anchor.rpc_url=$RPC" -s 'anchor.window="1h"'
jq_assert "$out" '.status == "ok" and .metrics.anchors_left > 1000000 and .metrics.unrecorded_transactions == 0' "a funded wallet not ok"

# two nodes that disagree on the count
fake countoff
anchor "$(w .funds.ledger)" "$s" -s anchor.cache=false -s "anchor.rpc_urls=[\"$RPC\",\"$FAKE_URL\"]"
jq_assert "$out" '.status == "critical" and (.summary | contains("nodes disagree on the wallet'"'"'s transaction count"))' \
  "nodes disagreeing on the count"
# a count that is garbage, negative, or too large: unknown, never ok
for m in countgarbage countneg counthuge countbig; do
  fake "$m"
  anchor "$(w .funds.ledger)" "$s" -s anchor.cache=false -s "anchor.rpc_url=$FAKE_URL"
  jq_assert "$out" '.status == "unknown" and (.summary | contains("eth_getTransactionCount"))
    and (.metrics | has("unrecorded_transactions") | not)' "$m: a bad count was not unknown"
done

# 500 anchors of account 0, every nonce recorded: the warm run is one request
bs="$TEST_TMP/state.bench" sender0=0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1
TEST_STATE_DIR=$bs anchor bench.jsonl "$sender0" -s "anchor.rpc_url=$RPC"
jq_assert "$out" '.status == "ok" and .metrics.anchors_confirmed == 500 and .metrics.unrecorded_transactions == 0' "bench: cold run"
TEST_STATE_DIR=$bs anchor bench.jsonl "$sender0" -s "anchor.rpc_url=$RPC"
jq_assert "$out" '.status == "ok" and .metrics.anchors_cached == 500 and .metrics.unrecorded_transactions == 0
  and .metrics.wallet_nonce_count == 500 and .metrics.rpc_requests == 1 and (.metrics | has("anchors_left"))' \
  "warm run of 500 cached anchors made more than one request"
echo "anchor-wallet: warm run of 500 cached anchors: $(jq .metrics.rpc_requests "$out") HTTP request(s), $(jq .metrics.rpc_calls "$out") calls"
