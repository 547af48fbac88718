#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# claims-lifecycle.sh: the claims plugin against ledgers with known answers
# (tests/integration/claims-gen.py computes them independently):
#   - claims.lifecycle: every metric, percentiles exact, default thresholds;
#   - incremental: appended events move the metrics exactly as a full pass
#     over the same file gives them (three runs against one); a run that
#     read nothing leaves the state file alone; an earlier-format or
#     damaged state makes one full pass;
#   - a rewritten ledger (the last event read has another hash) and a
#     shorter one start over from the top and say so;
#   - bad input: an unparsable line is unknown with line and reason; a
#     last line without its newline is left for the next run;
#   - max_in_flight exceeded is unknown and says so.
. "$top_srcdir/tests/lib/env.sh"
gen() { python3 "$top_srcdir/tests/integration/claims-gen.py" "$@"; }
L=$TEST_TMP/ledger.jsonl
A=$TEST_TMP/answers.json
out=$TEST_TMP/out.jsonl
run() { # run STATE_DIR [ARGS...]
  local sd=$1; shift
  rc=0
  TEST_STATE_DIR=$sd agent -p claims -s claims.source="$L" "$@" >"$out" || rc=$?
}
lifecycle() { jq -c 'select(.check == "claims.lifecycle")' "$out"; }
# same_metrics FILE1 FILE2: the lifecycle metrics agree (bar events_read)
same_metrics() {
  jq -e -s '[.[] | select(.check == "claims.lifecycle") | .metrics | del(.events_read)]
    | length == 2 and .[0] == .[1]' "$1" "$2" >/dev/null || {
    cat "$1" "$2" >&2; fail "metrics differ between incremental and full runs"; }
}

# --- every metric, against the generator's answers
gen mix --answers "$A" >"$L"
run "$TEST_TMP/s1"
lifecycle >"$TEST_TMP/l1.json"
jq -e -s --slurpfile a "$A" '.[0].metrics as $m | $a[0].metrics as $x
  | [$x | to_entries[] | .key as $k | .value as $v
     | (($m[$k] // null) != null and (($m[$k] - $v) | fabs) < 1e-6)] | all' \
  "$TEST_TMP/l1.json" >/dev/null || {
  cat "$TEST_TMP/l1.json" "$A" >&2; fail "metrics differ from the generator's answers"; }
jq_assert "$TEST_TMP/l1.json" '.metrics.lifecycle_p50_seconds == 2 and .metrics.lifecycle_p95_seconds == 3.8
  and .metrics.lifecycle_p99_seconds == 3.96 and .status == "warning"
  and (.summary | test("p95 lifecycle 3.800 s > 3 s")) and (.summary | test("2 claims stuck"))
  and (.summary | test("3 claims failed")) and (.summary | test("callback success 0.98"))
  and (.details.out_of_order | sort) == ["claim-000501", "claim-000502"]
  and .details.callbacks_overdue == ["claim-000401"] and .details.duplicate_submissions == ["claim-000050"]
  and (.details.anchored_unknown | test("no anchor confirmations"))
  and .details.mode == "full"'
[ "$rc" = 1 ] || fail "exit status $rc, expected 1 (warning)"
# critical thresholds: p95 over 3.5 s is critical with p95_critical 3.5
run "$TEST_TMP/s1b" -s claims.p95_critical=3.5
jq_assert "$out" 'select(.check == "claims.lifecycle") | .status == "critical"'

# the same from a .gz copy and from standard input
gzip -c "$L" >"$TEST_TMP/l.jsonl.gz"
TEST_STATE_DIR=$TEST_TMP/gz agent -p claims -s claims.source="$TEST_TMP/l.jsonl.gz" >"$TEST_TMP/gz.out" || true
jq -c 'select(.check == "claims.lifecycle")' "$TEST_TMP/gz.out" >"$TEST_TMP/gz.json"
same_metrics "$TEST_TMP/l1.json" "$TEST_TMP/gz.json"
TEST_STATE_DIR=$TEST_TMP/stdin agent -p claims -s claims.source=- <"$L" >"$TEST_TMP/in.out" || true
jq -c 'select(.check == "claims.lifecycle")' "$TEST_TMP/in.out" >"$TEST_TMP/in.json"
same_metrics "$TEST_TMP/l1.json" "$TEST_TMP/in.json"
jq_assert "$TEST_TMP/in.json" '.details.full_reason == "standard input"'

# --- incremental runs give the numbers of one full pass
n=$(wc -l <"$L")
cp "$L" "$TEST_TMP/whole.jsonl"
for cut in $((n / 3)) $((2 * n / 3)) "$n"; do
  head -n "$cut" "$TEST_TMP/whole.jsonl" >"$L"
  run "$TEST_TMP/inc"
  lifecycle >"$TEST_TMP/inc.json"
  run "$TEST_TMP/full-$cut"
  lifecycle >"$TEST_TMP/full.json"
  jq_assert "$TEST_TMP/full.json" '.details.mode == "full"'
  [ "$cut" = $((n / 3)) ] || jq_assert "$TEST_TMP/inc.json" '.details.mode == "incremental"'
  same_metrics "$TEST_TMP/inc.json" "$TEST_TMP/full.json"
done
jq_assert "$TEST_TMP/inc.json" ".details.mode == \"incremental\" and .metrics.events_read == $((n - 2 * n / 3))"
# nothing appended: nothing read, same numbers, and the state file is left
# as it was (not rewritten: same inode, same mtime)
S=$TEST_TMP/inc/claims/claims.state
before=$(stat -c '%i %y' "$S")
run "$TEST_TMP/inc"
lifecycle >"$TEST_TMP/inc2.json"
jq_assert "$TEST_TMP/inc2.json" '.details.mode == "incremental" and .metrics.events_read == 0'
same_metrics "$TEST_TMP/inc2.json" "$TEST_TMP/full.json"
[ "$(stat -c '%i %y' "$S")" = "$before" ] || fail "a run that read nothing rewrote the state"
# a run that saves its state syncs it once: the file, not its directory
# too (a rename lost in a crash leaves the previous state, as good to
# resume from); counted with strace where there is one
if command -v strace >/dev/null; then
  cp -a "$TEST_TMP/inc" "$TEST_TMP/fs"
  sed -n 1,5p "$TEST_TMP/whole.jsonl" >"$TEST_TMP/fs-ledger.jsonl"
  TEST_STATE_DIR=$TEST_TMP/fs strace -f -qq -e trace=fsync,fdatasync,sync_file_range \
    -o "$TEST_TMP/fs.strace" "$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" \
    --state-dir "$TEST_TMP/fs" -p claims -s claims.source="$TEST_TMP/fs-ledger.jsonl" >"$out" || true
  jq_assert "$out" 'select(.check == "claims.lifecycle") | .details.mode == "full"'
  [ -s "$TEST_TMP/fs/claims/claims.state" ] || fail "no state kept"
  syncs=$(grep -c 'sync' "$TEST_TMP/fs.strace" || true)
  [ "$syncs" = 1 ] || { cat "$TEST_TMP/fs.strace" >&2; fail "$syncs syncs for one state write, expected 1"; }
fi
# a state of the earlier text format (version 1) makes one full pass, no
# warning; a damaged one (cut short) too, saying why
cp -a "$TEST_TMP/inc" "$TEST_TMP/v1"
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(13); f.write(b"1")' "$TEST_TMP/v1/claims/claims.state"
run "$TEST_TMP/v1"
lifecycle >"$TEST_TMP/v1.json"
jq_assert "$TEST_TMP/v1.json" '.details.mode == "full" and .details.full_reason == "the state is of an earlier format"'
same_metrics "$TEST_TMP/v1.json" "$TEST_TMP/full.json"
run "$TEST_TMP/v1"
jq_assert "$out" 'select(.check == "claims.lifecycle") | .details.mode == "incremental"'
truncate -s -7 "$TEST_TMP/v1/claims/claims.state"
run "$TEST_TMP/v1"
lifecycle >"$TEST_TMP/cut.json"
jq_assert "$TEST_TMP/cut.json" '.details.mode == "full" and (.details.full_reason | test("malformed"))'
same_metrics "$TEST_TMP/cut.json" "$TEST_TMP/full.json"

# --- a rewritten ledger (same length, other hashes) starts over, says so
gen mix --now "$(jq .now "$A" | awk '{print $1 + 0.5}')" >"$L"
run "$TEST_TMP/inc"
lifecycle >"$TEST_TMP/rw.json"
jq_assert "$TEST_TMP/rw.json" '.details.mode == "full (checkpoint mismatch)"
  and (.details.full_reason | test("rolled back or rewritten"))'
run "$TEST_TMP/rw-full"
lifecycle >"$TEST_TMP/rw-full.json"
same_metrics "$TEST_TMP/rw.json" "$TEST_TMP/rw-full.json"
# a shorter ledger (a rollback) too
head -n 100 "$TEST_TMP/whole.jsonl" >"$L"
run "$TEST_TMP/inc"
jq_assert "$out" 'select(.check == "claims.lifecycle") | .details.mode == "full (checkpoint mismatch)"
  and .details.head_seq == 100'

# --- bad input
cp "$TEST_TMP/whole.jsonl" "$L"
run "$TEST_TMP/bad"
sed -i '120s/.*/{"seq": 120, "ts": "yesterday"/' "$L"
run "$TEST_TMP/bad2"
jq_assert "$out" 'select(.check == "claims.lifecycle") | .status == "unknown" and .details.line == 120
  and (.summary | test("ledger line 120 unreadable")) and (.summary | test("ledger plugin"))'
[ "$rc" = 3 ] || fail "exit status $rc, expected 3 (unknown)"
# a last line still being written is left for the next run
head -n 200 "$TEST_TMP/whole.jsonl" >"$L"
sed -n 201p "$TEST_TMP/whole.jsonl" | head -c 50 >>"$L"
run "$TEST_TMP/part"
jq_assert "$out" 'select(.check == "claims.lifecycle") | .details.head_seq == 200 and .metrics.events_read == 200
  and (.details.partial_last_line | test("no newline"))'
head -n 201 "$TEST_TMP/whole.jsonl" >"$L"
run "$TEST_TMP/part"
jq_assert "$out" 'select(.check == "claims.lifecycle") | .details.head_seq == 201 and .metrics.events_read == 1
  and .details.mode == "incremental"'

# --- max_in_flight
cp "$TEST_TMP/whole.jsonl" "$L"
run "$TEST_TMP/mif" -s claims.max_in_flight=3
jq_assert "$out" 'select(.check == "claims.lifecycle") | .status == "unknown"
  and (.summary | test("more than max_in_flight \\(3\\) claims in flight"))'
# and the state kept stays within it: nothing was saved from that run
[ ! -e "$TEST_TMP/mif/claims/claims.state" ] || fail "a state was kept past max_in_flight"
exit 0
