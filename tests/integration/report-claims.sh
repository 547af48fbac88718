#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# report-claims.sh: probe-report's claim rows from the real claims plugin's
# lines, not from lines made to suit it. A live ledger grows by four
# segments (tests/integration/claims-gen.py append), the plugin runs after
# each with a 5 s window, 6 s apart (the windows do not overlap), and once
# more as unknown (max_in_flight 0) just before its second good run. The
# daily and review rows, as text and HTML, must equal what the plugin's own
# lines give: claims processed = the sum of claims_completed +
# claims_failed, failed claims, the worst lifecycle_p95_seconds, the
# callback rate = the sum of delivered over the sum of callbacks_due, the
# lowest ratio. The segments are chosen so that a report taking the window
# from anywhere but the line (details.window_seconds), weighting the rate by
# anything but callbacks_due, reading p50/p99 or claims_submitted, or
# letting the unknown line stand for a window gives other numbers.
. "$top_srcdir/tests/lib/env.sh"
report="$top_builddir/probe-report"
L=$TEST_TMP/ledger.jsonl
lines=$TEST_TMP/lines.jsonl
W=5
: >"$L"
: >"$lines"
chmod 644 "$L"
run() { # run [SETTINGS...]: one plugin run, its lines appended to $lines
  local rc=0
  TEST_STATE_DIR=$TEST_TMP/state agent -p claims -s claims.source="$L" \
    -s claims.window=${W}s "$@" >>"$lines" || rc=$?
  [ "$rc" -le 3 ] || fail "plugin run: exit $rc"
}
for k in 0 1 2 3; do
  python3 "$top_srcdir/tests/integration/claims-gen.py" append "$L" --segment "$k" \
    --answers "$TEST_TMP/answers-$k.json"
  [ "$k" != 1 ] || run -s claims.max_in_flight=0
  run
  [ "$k" = 3 ] || sleep $((W + 1))
done
jq -c '[.ts, .status, .metrics.claims_completed, .metrics.claims_failed,
  .metrics.lifecycle_p95_seconds, .metrics.callbacks_due, .metrics.callback_success_ratio]' "$lines" >&2

# the plugin's lines: five, one unknown, each saying its window
jq_assert "$lines" ".check == \"claims.lifecycle\" and .details.window_seconds == $W"
[ "$(jq -s 'map(select(.status == "unknown" and .metrics.claims_completed == null)) | length' "$lines")" = 1 ] ||
  fail "expected one unknown line without counts"
# each good run counted its own segment (so that the sums below are over
# four different windows; the generator's answers, window 15 min over the
# segment alone)
for k in 0 1 2 3; do
  jq -e -s --slurpfile a "$TEST_TMP/answers-$k.json" --argjson k "$k" \
    '[.[] | select(.metrics.claims_completed != null)][$k].metrics as $m | $a[0].metrics as $x
     | all("claims_completed", "claims_failed", "callbacks_due", "lifecycle_p95_seconds";
           $m[.] == $x[.])' "$lines" >/dev/null ||
    fail "plugin run $k did not count segment $k (a run more than 4 s late?)"
done

# what the rows must say, from the plugin's lines (python: independent of
# the report's C code)
python3 - "$lines" >"$TEST_TMP/want" <<'EOF'
import json, sys
ls = [json.loads(l) for l in open(sys.argv[1])]
m = [l["metrics"] for l in ls if "claims_completed" in l.get("metrics", {})]
proc = sum(x["claims_completed"] + x["claims_failed"] for x in m)
fail = sum(x["claims_failed"] for x in m)
ok = sum(x["callback_success_ratio"] * x["callbacks_due"] for x in m if "callback_success_ratio" in x)
due = sum(x["callbacks_due"] for x in m)
p95 = max(x["lifecycle_p95_seconds"] for x in m)
low = min(x["callback_success_ratio"] for x in m if "callback_success_ratio" in x)
print("proc=%d" % proc)
print("fail=%d" % fail)
print("p95='%.0f ms'" % (p95 * 1000))
print("cb='%.2f%% (lowest window %.2f%%)'" % (100 * ok / due, 100 * low))
print("succ='%.2f%%'" % (100 * (proc - fail) / proc))
EOF
cat "$TEST_TMP/want" >&2
. "$TEST_TMP/want"
# the segments' own answers, spelt out: 63 processed, 5 failed, p95 1.9 s,
# 58 of 60 callbacks
[ "$proc $fail" = "63 5" ] && [ "$p95" = "1900 ms" ] &&
  [ "$cb" = "96.67% (lowest window 75.00%)" ] || fail "the plugin's lines are not the segments'"

# has FILE TEXT: FILE holds the line TEXT, exactly
has() { grep -qxF -- "$2" "$1" || { cat "$1" >&2; fail "no line '$2' in $(basename "$1")"; }; }
"$report" daily "$lines" >"$TEST_TMP/daily.txt" || fail "daily: exit $?"
has "$TEST_TMP/daily.txt" "Claims processed (last 24h): $proc"
has "$TEST_TMP/daily.txt" "Failed claims: $fail"
grep -q "^p95 latency: $p95 (worst window, " "$TEST_TMP/daily.txt" || { cat "$TEST_TMP/daily.txt" >&2; fail "daily p95"; }
has "$TEST_TMP/daily.txt" "Callback success rate: $cb"
"$report" review "$lines" >"$TEST_TMP/review.txt" || fail "review: exit $?"
has "$TEST_TMP/review.txt" "| Total claims processed |  | $proc |  |"
has "$TEST_TMP/review.txt" "| Successful claims (%) | > 99.5% | $succ | not met |"
has "$TEST_TMP/review.txt" "| Failed claims | 0 | $fail | not met |"
grep -q "^| p95 claim lifecycle latency | < 2000ms | $p95 (worst window, [^)]*); 0 of 4 windows at or over 2000 ms | met |\$" \
  "$TEST_TMP/review.txt" || { cat "$TEST_TMP/review.txt" >&2; fail "review p95"; }
has "$TEST_TMP/review.txt" "| Callback success rate | > 99.5% | $cb | not met |"
# the same in the HTML pages
"$report" review --html "$lines" >"$TEST_TMP/review.html" || fail "review --html: exit $?"
"$report" daily --html "$lines" >"$TEST_TMP/daily.html" || fail "daily --html: exit $?"
for want in "<td>Total claims processed</td><td></td><td>$proc</td>" \
    "<td>Failed claims</td><td>0</td><td>$fail</td>" \
    "<td>Callback success rate</td><td>&gt; 99.5%</td><td>$cb</td>" \
    "<td>p95 claim lifecycle latency</td><td>&lt; 2000ms</td><td>$p95 (worst window"; do
  grep -qF -- "$want" "$TEST_TMP/review.html" || fail "review --html: no '$want'"
done
for want in ">Claims processed (last 24h)</th><td>$proc</td>" ">Failed claims</th><td>$fail</td>" \
    ">Callback success rate</th><td>$cb</td>" ">p95 latency</th><td>$p95 (worst window"; do
  grep -qF -- "$want" "$TEST_TMP/daily.html" || fail "daily --html: no '$want'"
done
exit 0
