#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ledger-vectors.sh: the shared ledgers (tests/vectors, made independently of
# this project) through the agent: the intact one is ok with its 300 events
# and head hash; each broken one names exactly the recorded first bad event
# and reason (tests/vectors/ledger-broken.json).
. "$top_srcdir/tests/lib/env.sh"
V=$top_srcdir/tests/vectors
out=$TEST_TMP/out.jsonl

rc=0
agent -p ledger -s ledger.source="$V/ledger-valid.jsonl" >"$out" || rc=$?
[ "$rc" = 0 ] || { cat "$out" >&2; fail "intact ledger: exit $rc"; }
head=$(tail -n1 "$V/ledger-valid.jsonl" | jq -r .hash)
jq_assert "$out" ".status == \"ok\" and .check == \"ledger.chain\" and .metrics.events == 300
  and .metrics.head_seq == 300 and .details.head_hash == \"$head\" and .metrics.bytes == $(wc -c <"$V/ledger-valid.jsonl")
  and .metrics.anchors_checked == 6"

for f in $(jq -r 'keys[]' "$V/ledger-broken.json"); do
  seq=$(jq -r --arg f "$f" '.[$f].first_bad_seq' "$V/ledger-broken.json")
  reason=$(jq -r --arg f "$f" '.[$f].reason' "$V/ledger-broken.json")
  rc=0
  agent -p ledger -s ledger.source="$V/$f" >"$out" || rc=$?
  [ "$rc" = 2 ] || { cat "$out" >&2; fail "$f: exit $rc, expected 2"; }
  jq_assert "$out" ".status == \"critical\" and .details.first_bad_seq == $seq and .details.reason == \"$reason\"
    and (.summary | contains(\"seq $seq\"))" "$f: expected $reason at seq $seq"
done
echo "ok: intact + $(jq length "$V/ledger-broken.json") broken vectors"
