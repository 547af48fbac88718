#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# agent-runs.sh: what a run may not get away with (issue 11): leftovers
# that outlive the deadline (background, setsid() and system() children),
# lines lost without counting (invalid UTF-8, overlong, unwritable output),
# forged lines (an overlong line's tail, newlines in --format text), raw
# control characters in forwarded logs, "Broken pipe" floods, and a
# one-shot run's SIGTERM.
. "$top_srcdir/tests/lib/env.sh"
PROBE_AGENT_PLUGIN_DIR=$PROBE_TEST_PLUGIN_DIR
out=$TEST_TMP/out.jsonl
err=$TEST_TMP/err.txt
marker=$$$RANDOM
trap 'pkill -KILL -f "sleep 20\.$marker" 2>/dev/null || true; rm -rf "$TEST_TMP"' EXIT

run_agent() { rc=0; agent "$@" >"$out" 2>"$err" || rc=$?; }
expect_rc() { [ "$rc" = "$1" ] || { cat "$out" "$err" >&2; fail "$2: exit $rc, expected $1"; }; }
# leftovers: processes whose command line holds the marker
leftovers() { pgrep -f "sleep 20\.$marker" || true; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# 1. the deadline holds for everything a run started: a run that emits its
# line and leaves a child holding the pipe (plain, setsid(), system("... &"))
# ends well before the child's 20 s, and nothing of it remains
for mode in fork setsid system hang-setsid; do
  t0=$(date +%s%N)
  run_agent -p leak -s leak.mode=$mode -s leak.marker=$marker -s agent.timeout=3
  ms=$(ms_since "$t0")
  [ "$ms" -lt 8000 ] || fail "leak $mode: a 3 s timeout took $ms ms"
  jq_assert "$out" 'select(.check == "leak.line") | .status == "ok"'
  [ -z "$(leftovers)" ] || fail "leak $mode: processes of the run remain: $(leftovers)"
done
expect_rc 3 "a run that hangs after its setsid() child"
jq_assert "$out" 'select(.check == "agent.run") | .summary | test("timed out after 3\\.[0-9] s")'

# 2. a dropped line counts: invalid UTF-8 then an ok line is unknown
run_agent -p raw -s raw.mode=badutf8
expect_rc 3 "an invalid UTF-8 line followed by an ok line"
jq_assert "$out" 'select(.check == "agent.run") | .status == "unknown" and (.summary | test("not valid UTF-8"))'
# a critical line with a 70 KB detail does not vanish: it counts critical
run_agent -p raw -s raw.mode=bigcritical
expect_rc 2 "a critical line too long to write"
[ "$(wc -l <"$out")" = 1 ] || fail "expected one line for the overlong critical result"
jq_assert "$out" '.check == "agent.run" and .status == "critical" and (.summary | test("longer than 65536 bytes"))'
# an output that cannot be written: unknown, one message on standard error
run_agent -p echo -s echo.count=3 -o /dev/full
expect_rc 3 "-o /dev/full"
[ "$(grep -c 'cannot write result lines' "$err")" = 1 ] || { cat "$err"; fail "no single message for /dev/full"; }

# 4. forged lines: 70 KB without a newline, then a line of the plugin's
# choosing: the overlong line is dropped up to its newline, the tail too
run_agent -p raw -s raw.mode=overlong
expect_rc 3 "an overlong line"
! grep -q forged "$out" || fail "the tail of an overlong line was taken as a line"
[ "$(grep -c 'longer than 65536' "$out")" = 1 ] || fail "the overlong line is not reported once"
jq_assert "$out" 'select(.check == "raw.ok") | .status == "ok"'
# --format text escapes control characters: one line, no ESC, no CR
run_agent -p echo -s 'echo.message="x\nOK ledger.chain intact\r\u001b[2J"' \
  -s 'echo.target="t\u0007"' --format text
[ "$(wc -l <"$out")" = 1 ] || { cat -A "$out"; fail "a newline in a summary made two text lines"; }
! grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$out" || { cat -A "$out"; fail "a control character reached the text output"; }
grep -qF 'x\nOK ledger.chain intact\r\x1b[2J' "$out" || { cat "$out"; fail "the text output does not show the escapes"; }

# 5. forwarded logs are escaped: no ESC, BEL, CR, invalid UTF-8 or C1
run_agent -p raw -s raw.mode=logs
expect_rc 0 "a plugin with odd logs"
grep -q 'plugin raw: log ' "$err" || { cat "$err"; fail "the log line was not forwarded"; }
! LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f\xff]' "$err" || { cat -A "$err"; fail "a control byte reached standard error"; }
! LC_ALL=C grep -qP '\xc2[\x80-\x9f]' "$err" || fail "a C1 control reached standard error"
# a reader that goes away (| head -1): one message, exit 3
set +e
agent -p echo -s echo.count=20000 2>"$err" | head -n 1 >/dev/null
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 3 ] || fail "EPIPE on standard output: exit $rc, expected 3"
[ "$(wc -l <"$err")" -le 2 ] || { head -5 "$err"; fail "$(wc -l <"$err") lines on standard error for one broken pipe"; }

# 3. SIGTERM to a one-shot run: the running plugin's line, its children
# ended, the usual exit status
t0=$(date +%s%N)
"$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" --state-dir "$TEST_TMP/state" \
  -p echo -s echo.delay=20 -s echo.must=$marker -p leak -s leak.mode=hang-setsid \
  -s leak.marker=$marker -s agent.timeout=30 >"$out" 2>"$err" &
apid=$!
for _ in $(seq 1 100); do
  [ -n "$(leftovers)" ] && [ -e "$TEST_TMP/state/echo/busy" ] && break
  sleep 0.1
done
[ -e "$TEST_TMP/state/echo/busy" ] || fail "the echo run did not start"
kill -TERM $apid
rc=0; wait $apid || rc=$?
ms=$(ms_since "$t0")
[ "$ms" -lt 15000 ] || fail "a SIGTERM'd one-shot run took $ms ms"
expect_rc 3 "SIGTERM to a one-shot run"
jq_assert "$out" 'select(.plugin == "echo") | .status == "unknown" and (.summary | test("stopped after .* the agent received SIGTERM"))'
jq_assert "$out" 'select(.plugin == "leak" and .check == "agent.run") | .summary | test("the agent received SIGTERM")'
sleep 0.2
[ -z "$(pgrep -f "echo.must=$marker" || true)" ] || fail "the SIGTERM'd run's process remains"
[ -z "$(leftovers)" ] || fail "a SIGTERM'd run's leftovers remain"
# 6. a FIFO nobody reads, as output or heartbeat, never blocks the agent
mkfifo "$TEST_TMP/fifo"
t0=$(date +%s%N)
rc=0; timeout 20 "$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" --state-dir "$TEST_TMP/state" \
  -p echo -o "$TEST_TMP/fifo" >"$out" 2>"$err" || rc=$?
[ "$rc" != 124 ] || fail "-o FIFO: the agent blocked"
expect_rc 73 "-o FIFO nobody reads"
grep -q "a FIFO that nobody reads" "$err" || fail "-o FIFO: no clear message: $(cat "$err")"
printf '{ "agent": { "heartbeat_file": "%s" }, "plugins": { "echo": { "interval": 1 } } }\n' \
  "$TEST_TMP/fifo" >"$TEST_TMP/hb.json"
"$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" --state-dir "$TEST_TMP/state" \
  -c "$TEST_TMP/hb.json" --daemon >"$out" 2>"$err" &
hb=$!
for _ in $(seq 150); do [ "$(grep -c '"check":"echo' "$out" 2>/dev/null)" -ge 2 ] && break; sleep 0.1; done
kill $hb; wait $hb || true
[ "$(grep -c '"check":"echo' "$out")" -ge 2 ] || fail "a FIFO heartbeat froze the scheduler: $(cat "$out" "$err")"
grep -q "cannot touch heartbeat file" "$err" || fail "FIFO heartbeat: no message: $(cat "$err")"

echo "agent-runs: all assertions hold"
