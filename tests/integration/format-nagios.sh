#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# format-nagios.sh: --format nagios as a stock Nagios, Icinga 2 or Naemon
# reads it (issue 16): the worst result first as "PLUGIN STATUS: summary |
# perfdata" with units and the thresholds the plugin handed over, one
# long-output line per further result, worst first; exit 0-3 only, usage
# and configuration errors as 3 UNKNOWN with the message; -t ends the run.
. "$top_srcdir/tests/lib/env.sh"
PROBE_AGENT_PLUGIN_DIR=$PROBE_TEST_PLUGIN_DIR
out=$TEST_TMP/out.txt
err=$TEST_TMP/err.txt

run_agent() { rc=0; agent --format nagios "$@" >"$out" 2>"$err" || rc=$?; }
expect_rc() { [ "$rc" = "$1" ] || { cat "$out" "$err" >&2; fail "$2: exit $rc, expected $1"; }; }
first() { head -n1 "$out"; }

# each status, its exit status and its first line
for pair in ok:0:OK warning:1:WARNING critical:2:CRITICAL unknown:3:UNKNOWN; do
  IFS=: read -r st code word <<<"$pair"
  run_agent -p echo -s echo.status="$st" -s echo.message="said $st"
  expect_rc "$code" "status $st"
  [ "$(wc -l <"$out")" = 1 ] || fail "$st: one result, one line expected"
  first | grep -qx "ECHO $word: echo.line echo-target: said $st | .*" ||
    fail "$st: first line is not 'ECHO $word: summary | perfdata': $(first)"
done

# perfdata: every metric, units from the name, the plugin's thresholds
# (index alerts above 10/20, wait_seconds below 30/5)
run_agent -p echo
perf=$(first | sed 's/^[^|]*| //')
for want in "'echo.line.index'=0;10;20" "'echo.line.wait_seconds'=0s;30:;5:" "'echo.line.open_fds'=[0-9]*" "'echo.line.runs'=[0-9]*"; do
  tr ' ' '\n' <<<"$perf" | grep -qx "$want" || fail "perfdata lacks $want: $perf"
done

# worst first: the crash (unknown) before the warnings, the summary counts
run_agent -p echo -p segv -s echo.status=warning -s echo.count=2
expect_rc 3 "unknown beats warning"
[ "$(wc -l <"$out")" = 3 ] || fail "three results, three lines expected"
first | grep -q '^SEGV UNKNOWN: agent.run segv: plugin segv crashed.*(3 results: 0 critical, 1 unknown, 2 warning, 0 ok) | ' ||
  fail "first line is not the worst result: $(first)"
[ "$(sed -n '2,3p' "$out" | grep -c '^WARNING: echo.line echo-target: hello$')" = 2 ] ||
  fail "long output lines: $(cat "$out")"
# the same check twice: labels stay apart
grep -q "'echo.line.index\[echo-target\]'=0;10;20 .*'echo.line.index\[echo-target\]#2'=1;10;20" "$out" ||
  fail "repeated perfdata labels: $(first)"
run_agent -p echo -p segv -s echo.status=critical
expect_rc 2 "critical beats unknown"
first | grep -q '^ECHO CRITICAL: ' || fail "critical is not first: $(first)"

# outside text stays one line and cannot forge perfdata
run_agent -p echo -s echo.message=$'a | \'x\'=1\nFORGED' -s echo.target="t'=|"
[ "$(wc -l <"$out")" = 1 ] || fail "a newline in a summary made a line: $(cat "$out")"
[ "$(first | tr -cd '|' | wc -c)" = 1 ] || fail "a '|' of a summary reached the line: $(first)"
first | grep -q "^ECHO OK: echo.line t'=/: a / 'x'=1\\\\nFORGED | " || fail "escaped summary: $(first)"

# usage and configuration errors: 3 UNKNOWN with the message, never 64/78
run_agent --bogus
expect_rc 3 "usage error"
grep -qx "PROBE-AGENT UNKNOWN: unknown option '--bogus' (exit status 64)" "$out" || fail "usage error line: $(cat "$out")"
# Icinga 2 puts standard error ahead of the status line: it stays silent
[ ! -s "$err" ] || fail "standard error is not silent in --format nagios: $(cat "$err")"
rc=0; agent --bogus --format=nagios >"$out" 2>"$err" || rc=$?
expect_rc 3 "usage error before --format=nagios"
run_agent -c "$TEST_TMP/none.json" -p echo
expect_rc 3 "missing configuration file"
grep -q "^PROBE-AGENT UNKNOWN: .*none.json.*(exit status 78)$" "$out" || fail "config error line: $(cat "$out")"
printf '{ "plugins": { "echo": { "nosuchkey": 1 } } }\n' >"$TEST_TMP/bad.json"
run_agent -c "$TEST_TMP/bad.json"
expect_rc 3 "unknown key"
grep -q '^PROBE-AGENT UNKNOWN: .*nosuchkey.*(exit status 78)$' "$out" || fail "config error line: $(cat "$out")"
run_agent -p echo -t nope
expect_rc 3 "bad -t"
run_agent --daemon -p echo
expect_rc 3 "nagios is for one run"

# -t: the whole run ends, the hung plugin gets its unknown line
start=$SECONDS
run_agent -p echo -s echo.delay=60 -t 2
expect_rc 3 "-t timeout"
[ $((SECONDS - start)) -le 7 ] || fail "-t 2 ended after $((SECONDS - start)) s"
first | grep -q "^ECHO UNKNOWN: agent.run echo: plugin echo was stopped after .*-t 2" || fail "-t line: $(first)"
# and sizes the plugins' own time (time_left stays positive)
rc=0; agent -p echo -t 5 >"$out" 2>"$err" || rc=$?
expect_rc 0 "-t in json"
jq_assert "$out" '.details.time_left_positive == "yes"'
echo "ok"
