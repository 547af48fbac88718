#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ledger-kinds.sh: one generated ledger per failure kind of format v1, each
# must name exactly its first bad event and reason; JCS-equivalent
# re-spellings (member order, white space, \u escapes, 1.0 for 1, CRLF)
# must stay intact; .gz and standard input; an anchor far behind its event
# (beyond the in-memory window: resolved by the second read), both intact
# and mismatching.
. "$top_srcdir/tests/lib/env.sh"
gen() { python3 "$top_srcdir/tests/integration/ledger-gen.py" "$@"; }
out=$TEST_TMP/out.jsonl
L=$TEST_TMP/l.jsonl

# expect FILE STATUS [SEQ-OR-LINE REASON]: runs the plugin on FILE.
expect() {
  local rc=0
  agent -p ledger -s ledger.source="$1" -s ledger.incremental=false >"$out" || rc=$?
  jq_assert "$out" ".status == \"$2\"" "$1: expected $2"
  if [ $# -gt 2 ]; then
    jq_assert "$out" "(.details.first_bad_seq // .details.line) == $3 and .details.reason == \"$4\"" \
      "$1: expected $4 at $3"
  fi
}

gen 300 >"$L"; expect "$L" ok
jq_assert "$out" '.metrics.events == 300'
# kind:where-broken:expected-first-bad (seq, or line when the seq cannot be read)
for c in truncated:300:300 parse_error:77:77 duplicate:77:77 missing_member:77:77 \
         bad_type:77:77 seq_gap:77:78 seq_repeat:77:77 seq_order:77:74 bad_genesis:1:1 \
         prev_hash_mismatch:77:77 hash_mismatch:77:77 hash_mismatch:100:100 \
         anchor_mismatch:150:150; do
  IFS=: read -r kind at want <<<"$c"
  gen --break "$kind:$at" 300 >"$L"
  reason=$kind; [ "$kind" = duplicate ] && reason=parse_error
  expect "$L" critical "$want" "$reason"
done
# an anchor that is not behind its own event
python3 - "$L" <<'P'
import json, hashlib, sys
ev = {"seq": 1, "ts": "2026-02-19T10:00:00.000Z", "type": "AnchorSubmitted", "aggregate_id": "ledger",
      "payload": {"anchored_seq": 1, "anchored_hash": "0" * 64, "chain_id": 1337, "tx_hash": "0x" + "1" * 64},
      "prev_hash": "0" * 64}
ev["hash"] = hashlib.sha256(json.dumps(ev, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
open(sys.argv[1], "w").write(json.dumps(ev) + "\n")
P
expect "$L" critical 1 anchor_mismatch

# re-spellings stay intact, with the same head hash
gen 300 >"$L"; want=$(tail -n1 "$L" | jq -r .hash)
gen --respell 300 >"$TEST_TMP/r.jsonl"
grep -q $'\r$' "$TEST_TMP/r.jsonl" && grep -q '\\u00e9\|\\u0160\|\\u015c' "$TEST_TMP/r.jsonl" && grep -q '"units" : [0-9]*\.0' "$TEST_TMP/r.jsonl" ||
  fail "the generator did not re-spell"
expect "$TEST_TMP/r.jsonl" ok
jq_assert "$out" ".details.head_hash == \"$want\" and .metrics.events == 300"

# gzip and standard input
gen 300 >"$L"; gzip -c "$L" >"$TEST_TMP/l.jsonl.gz"; expect "$TEST_TMP/l.jsonl.gz" ok
jq_assert "$out" '.metrics.events == 300'
gen --break hash_mismatch:123 300 | gzip >"$TEST_TMP/b.jsonl.gz"; expect "$TEST_TMP/b.jsonl.gz" critical 123 hash_mismatch
head -c 20000 "$L" >"$TEST_TMP/t.jsonl"
gzip -c "$TEST_TMP/t.jsonl" >"$TEST_TMP/t.jsonl.gz"
expect "$TEST_TMP/t.jsonl.gz" critical $(( $(wc -l <"$TEST_TMP/t.jsonl") + 1 )) truncated
head -c $(( $(wc -c <"$TEST_TMP/l.jsonl.gz") / 2 )) "$TEST_TMP/l.jsonl.gz" >"$TEST_TMP/cut.jsonl.gz"; expect "$TEST_TMP/cut.jsonl.gz" unknown
gen 300 >"$L"; gen --break seq_gap:200 300 >"$TEST_TMP/gap.jsonl"
verify="$top_builddir/tests/bench/ledger-verify"
r=$("$verify" - 2 <"$L") || fail "stdin: $r"
case $r in "ok -1 0 300 300 "*) ;; *) fail "stdin through the engine: $r" ;; esac
r=$("$verify" - 2 <"$TEST_TMP/gap.jsonl") && fail "stdin gap not found"
case $r in "seq_gap 201 200 "*) ;; *) fail "stdin gap through the engine: $r" ;; esac
# through the agent: a one-shot run hands its standard input to the plugin
rc=0; agent -p ledger -s ledger.source=- <"$L" >"$out" || rc=$?
jq_assert "$out" '.status == "ok" and .metrics.events == 300 and .target == "stdin"'
rc=0; agent -p ledger -s ledger.source=- <"$TEST_TMP/gap.jsonl" >"$out" || rc=$?
jq_assert "$out" '.status == "critical" and .details.first_bad_seq == 201 and .details.reason == "seq_gap"'
# an empty ledger is no proof of anything
: >"$TEST_TMP/empty.jsonl"; expect "$TEST_TMP/empty.jsonl" unknown

# anchors far back (beyond the window of recent hashes)
gen --anchor-every 0 --far-anchor 9500:3 9510 >"$L"; expect "$L" ok
gen --anchor-every 0 --far-anchor 9500:3 --break anchor_mismatch:9500 9510 >"$L"
expect "$L" critical 9500 anchor_mismatch
# ... and one failing far back while a later event breaks the chain too
gen --anchor-every 0 --far-anchor 9500:3 --break anchor_mismatch:9500 9510 |
  sed '9505s/"aggregate_id":"claim-/"aggregate_id":"X-/' >"$L"
expect "$L" critical 9500 anchor_mismatch

# a missing source is unknown, not ok
expect "$TEST_TMP/nonexistent.jsonl" unknown
echo "ok"
