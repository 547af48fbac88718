#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# report-bad-input.sh: probe-report on input that is not what it expects:
# garbage and binary lines, a 50 MB line, invalid UTF-8, a truncated last
# line, a gzip that ends early, an empty range or input, a missing file,
# bad options; and outside text with control characters or markup. Each
# gives a clear message and the documented exit status (probe-report.1:
# 0 report, 1 report but an input ended in an error, 64 usage, 65 no agent
# line in the range, 66 an input cannot be opened), never a crash; the
# 50 MB line is skipped without being held (peak RSS bounded); a line
# over 256 MiB (/dev/zero) or a --since beyond 1000 years is refused.
. "$top_srcdir/tests/lib/env.sh"
report="$top_builddir/probe-report"
good=$TEST_TMP/good.jsonl
python3 "$top_srcdir/tests/report/gen-lines.py" --hours 1 >"$good"
ngood=$(wc -l <"$good")

# run ARGS...: probe-report into out/err, its exit status in rc
run() { rc=0; "$report" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?; }
expect() { [ "$rc" = "$1" ] || { cat "$TEST_TMP/err" >&2; fail "$2: exit $rc, want $1"; }; }

# garbage, binary (invalid UTF-8 too), invalid UTF-8, a JSON array, a bad
# time, a bad status, a line of 50 MB, and a
# truncated last line, mixed with the good lines: all counted and skipped
bad=$TEST_TMP/bad.jsonl
{
  head -n 100 "$good"
  echo 'garbage line'
  head -c 3000 /dev/urandom | tr -d '\n'; echo
  printf '{"ts":"2026-11-28T00:30:00Z","check":"x.y","status":"ok","summary":"\xff\xfe"}\n'
  printf '{"ts":"2026-11-28T00:30:00Z","check":"x.y","status":"ok","summary":"\xc0\xaf overlong"}\n'
  echo '[1,2,3]'
  echo '{"ts":"yesterday","check":"x.y","status":"ok"}'
  echo '{"ts":"2026-11-28T00:30:00Z","check":"x.y","status":"purple"}'
  python3 -c 'import sys; sys.stdout.write("{\"ts\":\"2026-11-28T00:30:00Z\",\"check\":\"big\",\"status\":\"ok\",\"summary\":\"" + "a" * (50 * 1024 * 1024) + "\"}\n")'
  tail -n +101 "$good"
  printf '{"ts":"2026-11-28T00:59:30.000Z","check":"ledger.chain","sta'
} >"$bad"
if [ -x /usr/bin/time ]; then
  rc=0; /usr/bin/time -f '%M' -o "$TEST_TMP/rss" "$report" review "$bad" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
  rss=$(tail -n 1 "$TEST_TMP/rss")
  [ "$rss" -lt 65536 ] || fail "peak RSS $rss KiB over a 50 MB line"
  echo "peak RSS with a 50 MB line: $rss KiB"
else
  run review "$bad"
fi
expect 0 "garbage mixed in"
grep -q "^Read $((ngood + 9)) lines: $ngood agent lines in the range, 5 not the agent's (skipped), 3 not valid UTF-8 (skipped), 1 longer than 1048576 bytes (skipped)\.$" "$TEST_TMP/out" ||
  { cat "$TEST_TMP/out" >&2; fail "counts of skipped lines"; }
# the same from standard input
rc=0; "$report" review <"$bad" >"$TEST_TMP/out2" 2>"$TEST_TMP/err" || rc=$?
expect 0 "garbage on standard input"
cmp -s "$TEST_TMP/out" "$TEST_TMP/out2" || fail "standard input gives another report"

# a gzip that ends early: the report of what was read, a message, exit 1
gzip -c "$good" >"$TEST_TMP/full.gz"
head -c $(( $(stat -c %s "$TEST_TMP/full.gz") / 2 )) "$TEST_TMP/full.gz" >"$TEST_TMP/cut.gz"
run review "$TEST_TMP/cut.gz"
expect 1 "truncated gzip"
grep -q 'cut.gz: the compressed file ends early (truncated gzip); the report covers the lines before it' "$TEST_TMP/err" ||
  { cat "$TEST_TMP/err" >&2; fail "truncated gzip: message"; }
grep -q '^| Metric |' "$TEST_TMP/out" || fail "truncated gzip: no report of the lines before"
run review "$TEST_TMP/full.gz"
expect 0 "whole gzip"

# an empty range, an empty input, nothing of the agent's: 65 with a message
run review --since 2027-01-01T00:00:00Z "$good"
expect 65 "empty range"
grep -q "no agent line in the range (2027-01-01T00:00:00Z to the last): $ngood lines read, $ngood outside the range" "$TEST_TMP/err" ||
  { cat "$TEST_TMP/err" >&2; fail "empty range: message"; }
[ ! -s "$TEST_TMP/out" ] || fail "empty range: a report anyway"
: >"$TEST_TMP/empty"
run daily "$TEST_TMP/empty"
expect 65 "empty input"
run review --label env=nowhere "$good"
expect 65 "no line with the label"
grep -q "$ngood with other labels" "$TEST_TMP/err" || fail "label: message"

# usage errors: 64; a missing file: 66
run review --until 2026-11-28T00:00:00Z --since 2026-11-28T01:00:00Z "$good"
expect 64 "until before since"
grep -q 'the range is empty' "$TEST_TMP/err" || fail "until before since: message"
run review --since tomorrowish "$good"; expect 64 "bad --since"
grep -q 'not a time (RFC 3339) or a duration' "$TEST_TMP/err" || fail "bad --since: message"
# a duration beyond the limit is refused, saying the limit (it was taken
# and made a range starting before year 0)
run review --since 99999999999h "$good"; expect 64 "--since too long ago"
grep -q 'since 99999999999h: longer ago than the limit, 365250d (1000 years)' "$TEST_TMP/err" ||
  { cat "$TEST_TMP/err" >&2; fail "--since too long ago: message"; }
run review --until 365251d "$good"; expect 64 "--until too long ago"
grep -q 'until 365251d: longer ago than the limit' "$TEST_TMP/err" || fail "--until too long ago: message"
run review --since 365250d "$good"; expect 0 "--since at the limit"
run review --label novalue "$good"; expect 64 "bad --label"
run weekly "$good"; expect 64 "unknown command"
run review --bogus "$good"; expect 64 "unknown option"
run review "$TEST_TMP/does-not-exist"; expect 66 "missing file"
grep -q 'cannot open .*does-not-exist: No such file or directory' "$TEST_TMP/err" || fail "missing file: message"
run review "$TEST_TMP"; expect 66 "a directory"
grep -q 'Is a directory' "$TEST_TMP/err" || fail "a directory: message"
# -o does not follow a planted link
ln -s "$TEST_TMP/victim" "$TEST_TMP/link.html"
run review --html -o "$TEST_TMP/link.html" "$good"; expect 74 "-o onto a link"
[ ! -e "$TEST_TMP/victim" ] || fail "-o followed a link"

# input that never ends a line (/dev/zero) stops at the skip limit, says
# which limit and where, and reports what came before (it was read forever)
rc=0; timeout 300 "$report" review /dev/zero >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
[ "$rc" != 124 ] || fail "/dev/zero read until the timeout"
expect 65 "/dev/zero"
grep -q '^probe-report: /dev/zero: line 1 is longer than 268435456 bytes (the limit), stopped there; the report covers the lines before it$' "$TEST_TMP/err" ||
  { cat "$TEST_TMP/err" >&2; fail "/dev/zero: message"; }
{ head -n 10 "$good"; head -c 300000000 /dev/zero; } >"$TEST_TMP/zeros"
run review "$TEST_TMP/zeros"; expect 1 "good lines, then zeros"
grep -q 'zeros: line 11 is longer than 268435456 bytes (the limit)' "$TEST_TMP/err" ||
  { cat "$TEST_TMP/err" >&2; fail "zeros after 10 lines: message"; }
rm -f "$TEST_TMP/zeros"

# outside text never becomes a line of its own nor markup
evil=$TEST_TMP/evil.jsonl
echo '{"ts":"2026-11-28T00:00:00Z","check":"tls.cert","target":"a|b","status":"critical","summary":"line\nbreak \u001b[31mred\u001b[0m <script>alert(1)</script> &"}' >"$evil"
run review "$evil"; expect 0 "control characters"
! LC_ALL=C grep -q "$(printf '\033')" "$TEST_TMP/out" || fail "raw escape character in the text"
grep -q 'line\\x0abreak \\x1b\[31mred' "$TEST_TMP/out" || fail "control characters not escaped"
grep -q '| a\\|b |' "$TEST_TMP/out" || fail "a | in a cell not escaped"
run review --html "$evil"; expect 0 "html"
! grep -q '<script>' "$TEST_TMP/out" || fail "markup from a line in the page"
grep -q '&lt;script&gt;alert(1)&lt;/script&gt; &amp;' "$TEST_TMP/out" || fail "markup not escaped"
exit 0
