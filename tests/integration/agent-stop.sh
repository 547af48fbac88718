#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# agent-stop.sh: the daemon's honest shutdown and its own lines (issue 19.3,
# 19.4, issue 11 items 1 and 9): on SIGTERM a run in flight finishes and
# writes its own line, one past agent.stop_timeout gets an unknown line;
# start, stop and reloads are agent.lifecycle / agent.config lines; a plugin
# that leaves a child holding its pipe still runs on every interval and the
# daemon still stops; the heartbeat stops while lines cannot be written.
. "$top_srcdir/tests/lib/env.sh"
PROBE_AGENT_PLUGIN_DIR=$PROBE_TEST_PLUGIN_DIR
cfg=$TEST_TMP/d.json
outf=$TEST_TMP/lines.jsonl
beat=$TEST_TMP/heartbeat
marker=$$$RANDOM
pid=
trap '[ -n "$pid" ] && kill -KILL $pid 2>/dev/null; pkill -KILL -f "sleep 20\.$marker" 2>/dev/null || true; rm -rf "$TEST_TMP"' EXIT

start_daemon() {
  "$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" --state-dir "$TEST_TMP/state" \
    -c "$cfg" --daemon "$@" 2>>"$TEST_TMP/err" &
  pid=$!
}
# stop_daemon: SIGTERM, then the exit status in $rc and the time in $ms
stop_daemon() {
  local t0
  t0=$(date +%s%N)
  kill -TERM $pid
  rc=0; wait $pid || rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  pid=
}
# wait_until CMD...: up to 30 s
wait_until() {
  local i
  for i in $(seq 1 300); do "$@" && return 0; sleep 0.1; done
  return 1
}
leftovers() { pgrep -f "sleep 20\.$marker" || true; }
count() { local c; c=$(grep -c "$1" "$outf" 2>/dev/null) || true; echo "${c:-0}"; }
# at_least PATTERN N: $outf has N lines matching PATTERN
at_least() { [ "$(count "$1")" -ge "$2" ]; }

# graceful stop: echo sleeps 1 s, echo2 30 s, both in flight at SIGTERM
cat >"$cfg" <<J
{ "agent": { "output": "$outf", "stop_timeout": "3s" },
  "plugins": { "echo": { "interval": 3600, "delay": 1, "message": "finished" },
               "echo2": { "interval": 3600, "delay": 30, "timeout": 60 } } }
J
start_daemon
wait_until test -e "$TEST_TMP/state/echo/busy" -a -e "$TEST_TMP/state/echo2/busy" ||
  fail "the runs did not start"
stop_daemon
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
[ "$ms" -lt 8000 ] || fail "stop took $ms ms with agent.stop_timeout 3 s"
[ "$ms" -ge 2500 ] || fail "stop took only $ms ms: agent.stop_timeout not waited for"
jq_assert "$outf" 'select(.plugin == "echo") | .check == "echo.line" and .status == "ok" and .summary == "finished"'
# (3 s of stop_timeout after SIGTERM, which waits for the later of the two
# first runs: the daemon spreads them over up to a second, so echo2 may
# have run up to a second before it)
jq_assert "$outf" 'select(.plugin == "echo2") | .check == "agent.run" and .status == "unknown"
  and (.summary | test("stopped after [34]\\.[0-9] s: the agent is shutting down"))'
jq_assert "$outf" 'select(.check == "agent.lifecycle") | .plugin == "agent" and .status == "ok"'
[ "$(count '"check":"agent.lifecycle"')" = 2 ] || fail "no start and stop lines"
head -n 1 "$outf" | grep -q 'agent [0-9.]* started' || fail "the first line is not the start"
tail -n 1 "$outf" | grep -q 'agent stopped (SIGTERM)' || fail "the last line is not the stop"

# reloads in the stream: a broken file is a warning line (one line, the
# old configuration kept), a good one an ok line
rm -f "$outf"
cat >"$cfg" <<J
{ "agent": { "output": "$outf", "heartbeat_file": "$beat" },
  "plugins": { "leak": { "interval": 1, "mode": "fork", "marker": "$marker" } } }
J
start_daemon
wait_until at_least '"check":"leak.line"' 1 || fail "leak did not run"
cp "$cfg" "$cfg.good"
printf '{ "plugins": { "leak": { "nope": 1 } } }\n' >"$cfg"
kill -HUP $pid
wait_until grep -q '"check":"agent.config"' "$outf" || fail "no line for a rejected reload"
jq_assert "$outf" 'select(.check == "agent.config") | .status == "warning"
  and (.summary | test("rejected, the previous one is kept: .*setting \"nope\": unknown setting"))'
cp "$cfg.good" "$cfg"
kill -HUP $pid
wait_until grep -q 'configuration reloaded from' "$outf" || fail "no line for a reload"
jq_assert "$outf" 'select(.check == "agent.config" and .status == "ok") | .summary | test("reloaded from .*d.json")'

# a plugin leaving a child that holds its pipe runs again on its interval
n=$(count '"check":"leak.line"')
wait_until at_least '"check":"leak.line"' $((n + 3)) ||
  fail "the leaking plugin did not run again on its 1 s interval"
stop_daemon
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM with a leaking plugin"
[ "$ms" -lt 7000 ] || fail "stop took $ms ms with a leaking plugin"
sleep 0.2
[ -z "$(leftovers)" ] || fail "leftovers of the leaking plugin remain: $(leftovers)"

# lines that cannot be written: the heartbeat stops
cat >"$cfg" <<J
{ "agent": { "output": "/dev/full", "heartbeat_file": "$beat" },
  "plugins": { "echo": { "interval": 1 } } }
J
rm -f "$beat"
: >"$TEST_TMP/err"
start_daemon
wait_until grep -q 'cannot write result lines to /dev/full' "$TEST_TMP/err" || fail "no message for /dev/full"
sleep 0.3
rm -f "$beat"
sleep 3
[ ! -e "$beat" ] || fail "the heartbeat was touched while no line could be written"
[ "$(grep -c 'cannot write result lines' "$TEST_TMP/err")" = 1 ] || fail "more than one message for one failing streak"
stop_daemon
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
# a reader of standard output that goes away (| head -1): one message,
# then the daemon stops with 74 instead of writing into the void forever
printf '{ "plugins": { "echo": { "interval": 1, "count": 50 } } }\n' >"$cfg"
set +e
timeout 60 "$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" --state-dir "$TEST_TMP/state" \
  -c "$cfg" --daemon 2>"$TEST_TMP/err" | head -n 1 >/dev/null
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 74 ] || { cat "$TEST_TMP/err"; fail "EPIPE in daemon mode: exit $rc, expected 74"; }
[ "$(grep -c 'Broken pipe' "$TEST_TMP/err")" = 1 ] || { cat "$TEST_TMP/err"; fail "not one message for a broken pipe"; }
echo "agent-stop: all assertions hold"
