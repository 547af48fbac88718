#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# format-openmetrics.sh: --format openmetrics writes one run as OpenMetrics
# text (issue 16): probe_status, probe_last_run_timestamp_seconds,
# probe_run_duration_seconds and probe_<plugin>_<metric> with the labels
# check, target and the configured ones, redacted and escaped; "# EOF"
# last; with -o through a temporary file renamed over the target, so that
# node_exporter's textfile collector never reads half of it. promtool
# (Debian prometheus) checks it when present; with CI=true it must be.
. "$top_srcdir/tests/lib/env.sh"
PROBE_AGENT_PLUGIN_DIR=$PROBE_TEST_PLUGIN_DIR
out=$TEST_TMP/out.prom
err=$TEST_TMP/err.txt

rc=0
agent --format openmetrics -p echo -p segv -s echo.status=warning \
  -s echo.target='postgresql://probe:s3cret@db/x' \
  -s 'agent.labels={"service":"med\"link\\x","check":"clash","__x":"y","token":"https://u:hunter2@h/"}' \
  >"$out" 2>"$err" || rc=$?
[ "$rc" = 3 ] || fail "exit status $rc, expected 3 (the crash)"
[ "$(tail -n1 "$out")" = "# EOF" ] || fail "the exposition does not end with # EOF"
grep -q 's3cret\|hunter2' "$out" && fail "a secret reached a label"
want='probe_status{check="echo.line",target="postgresql://REDACTED@db/x",service="med\"link\\x",token="https://REDACTED@h/"} 1'
grep -qxF "$want" "$out" || { cat "$out" >&2; fail "probe_status of echo: expected $want"; }
grep -q '^probe_status{check="agent.run",target="segv",.*} 3$' "$out" || fail "probe_status of the crash"
grep -q 'clash\|__x' "$out" && fail "a configured label clashing with check or reserved __ was kept"
grep -q '^probe_echo_index{check="echo.line",.*} 0$' "$out" || fail "probe_echo_index missing"
grep -q '^probe_last_run_timestamp_seconds{check="echo.line",.*} [0-9]\{10\}$' "$out" || fail "timestamp"
grep -q '^probe_run_duration_seconds{check="echo.line",.*} [0-9.e-]*$' "$out" || fail "duration"
# each family once, its samples together
[ "$(grep -c '^# TYPE probe_status gauge$' "$out")" = 1 ] || fail "probe_status family twice"
awk '!/^#/ { n = $0; sub(/\{.*/, "", n); if (n != last && seen[n]++) bad = 1; last = n }
     END { exit bad }' "$out" || fail "a family's samples are split"

if command -v promtool >/dev/null; then
  promtool check metrics <"$out" >"$err" 2>&1 || { cat "$err" >&2; fail "promtool check metrics"; }
elif [ "${CI:-}" = true ]; then
  fail "promtool is missing (Debian prometheus) and CI=true"
else
  echo "note: promtool missing, exposition not linted" >&2
fi

# -o: written whole through a temporary file in the same directory
dir=$TEST_TMP/textfile
mkdir "$dir"
echo "old" >"$dir/probe.prom"
ino_before=$(stat -c %i "$dir/probe.prom")
agent --format openmetrics -p echo -o "$dir/probe.prom" >/dev/null 2>"$err" || fail "-o run failed: $(cat "$err")"
[ "$(ls "$dir")" = "probe.prom" ] || fail "temporary files left: $(ls "$dir")"
[ "$(stat -c %i "$dir/probe.prom")" != "$ino_before" ] || fail "-o wrote in place instead of renaming"
grep -q '^old$' "$dir/probe.prom" && fail "-o appended instead of replacing"
[ "$(tail -n1 "$dir/probe.prom")" = "# EOF" ] || fail "-o file is not whole"
[ "$(stat -c %a "$dir/probe.prom")" = 644 ] || fail "-o file mode $(stat -c %a "$dir/probe.prom")"
# a directory that cannot be written: unknown, said on standard error
rc=0; agent --format openmetrics -p echo -o "$TEST_TMP/nodir/x.prom" >/dev/null 2>"$err" || rc=$?
[ "$rc" = 3 ] || fail "unwritable -o: exit $rc"
grep -q 'cannot write' "$err" || fail "unwritable -o not said"
echo ok
