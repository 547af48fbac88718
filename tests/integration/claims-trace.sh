#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# claims-trace.sh: claims.trace and claims.first, and "anchored" from the
# anchor plugin's confirmations file (<state>/anchor/confirmed.json, written
# here with the documented content; claims-anchor.sh has the real anchor
# plugin write it):
#   - the synthetic claim (step 8): every stage's time, ok once complete and
#     anchored, warning while the anchor is within anchor_grace, the anchor
#     named from the "anchors" list; unknown without confirmations, with a
#     future updated_at (stale) or another version, and the line says why;
#   - claims_unanchored counts complete claims past anchor_grace that the
#     covered seq does not reach;
#   - a failed claim is critical, an id not in the ledger a warning;
#   - the first ten after since (step 11): three failed is critical (the
#     rollback trigger), two a warning, none ok ("10/10 complete").
. "$top_srcdir/tests/lib/env.sh"
gen() { python3 "$top_srcdir/tests/integration/claims-gen.py" "$@"; }
L=$TEST_TMP/ledger.jsonl
A=$TEST_TMP/answers.json
out=$TEST_TMP/out.jsonl
export TEST_STATE_DIR=$TEST_TMP/state
run() { rc=0; agent -p claims -s claims.source="$L" "$@" >"$out" || rc=$?; }
# the anchor plugin's directory as the agent would make it: owned by the
# user the plugins run as (the claims plugin's own state directory shows it)
python3 "$top_srcdir/tests/integration/claims-gen.py" mix >"$L"
run
[ -d "$TEST_STATE_DIR/claims" ] || fail "no state directory after a run"
owner=$(stat -c %u:%g "$TEST_STATE_DIR/claims")
mkdir -m 700 -p "$TEST_STATE_DIR/anchor"
chown "$owner" "$TEST_STATE_DIR/anchor"
# confirmed COVERED [UPDATED_AT] [VERSION] [ANCHORS_JSON]
confirmed() {
  local up=${2:-$(date -u +%Y-%m-%dT%H:%M:%S.000Z)}
  printf '{"version":%s,"covered_seq":%s,"tx_hash":"0x%064d","block_number":7,"block_time":"%s","updated_at":"%s"%s}\n' \
    "${3:-1}" "$1" 1 "$up" "$up" "${4:+,\"anchors\":$4}" >"$TEST_STATE_DIR/anchor/confirmed.json"
  chmod 644 "$TEST_STATE_DIR/anchor/confirmed.json"
  chown "$owner" "$TEST_STATE_DIR/anchor/confirmed.json"
}
trace() { jq -c "select(.check == \"claims.trace\" and .target == \"$1\")" "$out"; }

gen mix --answers "$A" >"$L"
n=$(wc -l <"$L")
synth_done=$(jq '.done_seq["claim-synth-001"]' "$A")
old3=$(jq '.done_seq["claim-000603"]' "$A")
ids='claims.claim_ids=["claim-synth-001","claim-000301","claim-nope"]'

# covered: the synthetic claim complete and anchored
confirmed "$n"
run -s "$ids"
trace claim-synth-001 >"$TEST_TMP/t.json"
jq_assert "$TEST_TMP/t.json" '.status == "ok" and .metrics.latency_seconds == 1.5
  and .details.decision == "approved" and .details.synthetic == true
  and (.details | has("submitted_at") and has("validated_at") and has("decided_at") and has("callback_delivered_at"))
  and .details.anchored_tx == ("0x" + "0" * 63 + "1") and .details.other_events[0].type == "ClaimNoted"
  and (.summary | test("complete in 1.500 s, anchored"))'
trace claim-000301 >"$TEST_TMP/t.json"
jq_assert "$TEST_TMP/t.json" '.status == "critical" and (.summary | test("failed \\(ClaimFailed\\)"))'
trace claim-nope >"$TEST_TMP/t.json"
jq_assert "$TEST_TMP/t.json" '.status == "warning" and .details.missing_stage == "submitted"'
jq_assert "$out" 'select(.check == "claims.lifecycle") | .metrics.claims_unanchored == 0
  and .metrics.anchor_covered_seq == '"$n"

# not yet covered: within anchor_grace a warning; old claims past it unanchored
confirmed "$old3"
run -s "$ids"
trace claim-synth-001 >"$TEST_TMP/t.json"
jq_assert "$TEST_TMP/t.json" '.status == "warning" and .details.missing_stage == "anchored"
  and (.summary | test("waits for anchored"))'
jq_assert "$out" 'select(.check == "claims.lifecycle") | .metrics.claims_unanchored == 2
  and (.details.unanchored | sort) == ["claim-000604", "claim-000605"]'
# past the grace: critical
run -s "$ids" -s claims.anchor_grace=60
trace claim-synth-001 >"$TEST_TMP/t.json"
jq_assert "$TEST_TMP/t.json" '.status == "critical" and .details.missing_stage == "anchored"'

# the anchors list names the anchor that covers the claim
confirmed "$n" "" 1 "[{\"from_seq\":1,\"to_seq\":$((synth_done - 1)),\"tx_hash\":\"0xaa\",\"block_time\":\"x\"},{\"from_seq\":$synth_done,\"to_seq\":$n,\"tx_hash\":\"0xbb\",\"block_time\":\"x\"}]"
run -s "$ids"
jq_assert "$out" 'select(.check == "claims.trace" and .target == "claim-synth-001")
  | .details.anchored_tx == "0xbb" and .details.anchored_seq == '"$n"

# unknown, and why: stale (future), another version, none
confirmed "$n" "2099-01-01T00:00:00.000Z"
run -s "$ids"
jq_assert "$out" 'select(.check == "claims.trace" and .target == "claim-synth-001")
  | .status == "unknown" and (.summary | test("stale: updated_at lies in the future"))'
jq_assert "$out" 'select(.check == "claims.lifecycle") | (.metrics | has("claims_unanchored") | not)
  and (.details.anchored_unknown | test("stale"))'
confirmed "$n" "" 2
run -s "$ids"
jq_assert "$out" 'select(.check == "claims.trace" and .target == "claim-synth-001")
  | .status == "unknown" and (.summary | test("not version 1"))'
rm "$TEST_STATE_DIR/anchor/confirmed.json"
run -s "$ids"
jq_assert "$out" 'select(.check == "claims.trace" and .target == "claim-synth-001")
  | .status == "unknown" and (.summary | test("no anchor confirmations at"))'

# the first ten (step 11)
for fails in 3 2 0; do
  rm -rf "$TEST_STATE_DIR/claims"
  gen first --fails "$fails" --answers "$A" >"$L"
  confirmed "$(wc -l <"$L")"
  run -s claims.first=10 -s claims.since="$(jq -r .since "$A")"
  [ "$(jq -s '[.[] | select(.check == "claims.trace")] | length' "$out")" = 10 ] ||
    fail "expected 10 trace lines"
  jq_assert "$out" 'select(.check == "claims.trace") | (.target | startswith("claim-org-"))'
  case $fails in
  3) jq_assert "$out" 'select(.check == "claims.first") | .status == "critical" and .metrics.claims_failed == 3
       and (.summary | test("^7/10 complete, 3 failed: more than 2 failed, rollback trigger"))'
     [ "$rc" = 2 ] || fail "exit status $rc, expected 2" ;;
  2) jq_assert "$out" 'select(.check == "claims.first") | .status == "warning" and .metrics.claims_failed == 2
       and (.summary | startswith("8/10 complete, 2 failed"))' ;;
  0) jq_assert "$out" 'select(.check == "claims.first") | .status == "ok" and .summary == "10/10 complete"' ;;
  esac
done

# the cutover profile (steps 8, 9, 11) is a valid configuration
grep -v '^[[:space:]]*//' "$top_srcdir/contrib/profiles/cutover-claims.json" >"$TEST_TMP/profile.json"
jq_assert "$TEST_TMP/profile.json" '.plugins.claims.claim_ids == ["claim-synth-001"] and .plugins.claims.first_failed_critical == 2'
echo secret >"$TEST_TMP/pw"
sed "s#/run/secrets/medlink_probe_password#$TEST_TMP/pw#" "$top_srcdir/contrib/profiles/cutover-claims.json" >"$TEST_TMP/p.json"
agent -c "$TEST_TMP/p.json" --check-config >/dev/null 2>"$TEST_TMP/cc.err" || { cat "$TEST_TMP/cc.err" >&2; fail "cutover-claims.json refused"; }
# and first without since is refused, naming why
rc=0; agent -c "$TEST_TMP/p.json" -s claims.first=10 --check-config >/dev/null 2>"$TEST_TMP/cc.err" || rc=$?
[ "$rc" = 78 ] && grep -q "first needs since" "$TEST_TMP/cc.err" || { cat "$TEST_TMP/cc.err" >&2; fail "first without since accepted (rc $rc)"; }
exit 0
