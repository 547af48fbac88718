#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# report-known.sh: probe-report over 72 hours of generated agent lines with
# known answers (tests/report/gen-lines.py: a dead-letter burst at hour 5,
# a queue stall at hour 30, p95 over the threshold for 10 minutes at hour
# 50). The text outputs must match tests/report/expected/ exactly: the
# counts, rates, open issues and each incident's start, end and duration.
# Also: the same answers from a rotated set named newest first (one file
# gzipped), from standard input, and with options after the command or
# the files; --label leaves the staging line out.
. "$top_srcdir/tests/lib/env.sh"
report="$top_builddir/probe-report"
exp="$top_srcdir/tests/report/expected"
lines=$TEST_TMP/lines.jsonl
python3 "$top_srcdir/tests/report/gen-lines.py" >"$lines"

# check NAME ARGS...: probe-report ARGS must exit 0 and print expected/NAME.txt
check() {
  local name=$1; shift
  local rc=0
  "$report" "$@" >"$TEST_TMP/$name.txt" 2>"$TEST_TMP/$name.err" || rc=$?
  [ "$rc" = 0 ] || { cat "$TEST_TMP/$name.err" >&2; fail "$name: exit $rc"; }
  diff -u "$exp/$name.txt" "$TEST_TMP/$name.txt" >&2 || fail "$name: output differs from expected/$name.txt"
}

check review review --label env=prod "$lines"
check daily-day1-1700 daily --until 2026-11-28T17:00:00Z --label env=prod "$lines"
check daily-stall daily --until 2026-11-29T06:20:00Z --label env=prod "$lines"
check daily-day2-0900 daily --until 2026-11-29T09:00:00Z --label env=prod "$lines"

# the known answers, spelt out (so that expected/ cannot drift unnoticed)
r=$TEST_TMP/review.txt
grep -qx '| Total claims processed |  | 8640 |  |' "$r" || fail "total claims"
grep -qx '| Failed claims | 0 | 3 | not met |' "$r" || fail "failed claims"
grep -qx '| Dead letters generated | 0 | 12 | not met |' "$r" || fail "dead letters"
grep -q '^| p95 claim lifecycle latency | < 2000ms | 6500 ms (worst window, 2026-11-30T02:00:00Z); 10 of 4320 windows' "$r" || fail "p95"
grep -q '^| 1 | deadletter.count | http://relay:8080 | 2026-11-28T05:02:00Z | 2026-11-28T06:00:00Z | 58m |' "$r" || fail "dead-letter incident"
grep -q '^| 3 | pgqueue.health | submit_queue | 2026-11-29T06:10:00Z | 2026-11-29T06:30:00Z | 20m |' "$r" || fail "stall incident"
grep -q '^| 4 | claims.lifecycle | [^|]* | 2026-11-30T02:00:00Z | 2026-11-30T02:10:00Z | 10m |' "$r" || fail "p95 incident"
grep -qx 'Dead letters: 12 new (0 in the store at the end)' "$TEST_TMP/daily-day1-1700.txt" || fail "daily dead letters"
grep -q '^  - pgqueue.health submit_queue: critical since 2026-11-29T06:10:00Z (9m): stalled' "$TEST_TMP/daily-stall.txt" || fail "daily open issue"

# a rotated set, named newest first, the oldest gzipped; and standard input
head -n 8000 "$lines" | gzip >"$TEST_TMP/agent.log.2.gz"
sed -n '8001,16000p' "$lines" >"$TEST_TMP/agent.log.1"
tail -n +16001 "$lines" >"$TEST_TMP/agent.log"
check review review --label env=prod "$TEST_TMP/agent.log" "$TEST_TMP/agent.log.1" "$TEST_TMP/agent.log.2.gz"
check review review "$lines" --label env=prod <"$lines"
"$report" --label env=prod review - <"$lines" >"$TEST_TMP/stdin.txt" || fail "standard input: exit $?"
diff -u "$exp/review.txt" "$TEST_TMP/stdin.txt" >&2 || fail "standard input differs"

# without --label the staging line is in: its incident and open issue too
"$report" review "$lines" >"$TEST_TMP/all.txt"
grep -q 'http://relay-stg:8080 | 2026-11-28T10:00:00Z | ongoing' "$TEST_TMP/all.txt" || fail "staging incident without --label"
# relative times: 100000 days before now takes all in; until then, nothing
"$report" review --since 100000d --label env=prod "$lines" >"$TEST_TMP/rel.txt" || fail "relative --since: exit $?"
grep -qx '| Total claims processed |  | 8640 |  |' "$TEST_TMP/rel.txt" || fail "relative --since: totals"
rc=0; "$report" review --until 100000d "$lines" >/dev/null 2>"$TEST_TMP/rel.err" || rc=$?
[ "$rc" = 65 ] || fail "relative --until: exit $rc"
grep -q 'no agent line in the range' "$TEST_TMP/rel.err" || fail "relative --until: message"
# a line written just now is in the default daily range (up to now, with
# the fraction of the current second)
echo "{\"ts\":\"$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)\",\"check\":\"tls.cert\",\"status\":\"warning\",\"summary\":\"soon\"}" >"$TEST_TMP/now.jsonl"
"$report" daily "$TEST_TMP/now.jsonl" >"$TEST_TMP/now.txt" || fail "daily just now: exit $?"
grep -qx 'Read 1 lines: 1 agent lines in the range.' "$TEST_TMP/now.txt" || { cat "$TEST_TMP/now.txt" >&2; fail "a line of this second left out"; }

# the manual page renders cleanly, and its OPTIONS are those of --help
man1="$top_srcdir/report/probe-report.1"
if command -v groff >/dev/null; then
  groff -man -Tutf8 -ww -z "$man1" >"$TEST_TMP/groff.log" 2>&1 || fail "groff fails on $man1"
  [ ! -s "$TEST_TMP/groff.log" ] || { cat "$TEST_TMP/groff.log" >&2; fail "groff warns about $man1"; }
fi
"$report" --help | grep -E '^ {2,8}-' | sed -E 's/^ +//; s/  .*//' |
  grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z-]*' | sed 's/^[ ,]//' | sort -u >"$TEST_TMP/help.opts"
sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$man1" | sed -n '/^\.TP/{n;p}' | sed -E 's/\\-/-/g; s/\\f[BIRP]//g' |
  grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z-]*' | sed 's/^[ ,]//' | sort -u >"$TEST_TMP/man.opts"
diff -u "$TEST_TMP/help.opts" "$TEST_TMP/man.opts" >&2 || fail "probe-report(1) OPTIONS and --help differ"
exit 0
