#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# deadletter-api.sh: the deadletter plugin against an HTTP relay played by
# tests/integration/fake-relay.py on a free loopback port: counts and
# thresholds, the rate from the plugin's own history, relay.status, the
# token header (sent, never printed), a Svix-like list API through
# count_pointer, and every fault (stall mid-body, huge body, invalid JSON,
# 500, redirect to another scheme): a clear unknown/critical line each,
# never a hang or a crash.
. "$top_srcdir/tests/lib/env.sh"
command -v python3 >/dev/null || fail "python3 is needed"
relay=$TEST_TMP/relay
mkdir -p "$relay"
python3 "$top_srcdir/tests/integration/fake-relay.py" "$TEST_TMP/port" "$relay" 2>"$TEST_TMP/relay.err" &
relay_pid=$!
trap 'kill $relay_pid 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
for _ in $(seq 100); do [ -s "$TEST_TMP/port" ] && break; sleep 0.1; done
[ -s "$TEST_TMP/port" ] || { cat "$TEST_TMP/relay.err" >&2; fail "fake relay did not start"; }
base=http://127.0.0.1:$(cat "$TEST_TMP/port")
out=$TEST_TMP/out.jsonl
err=$TEST_TMP/err.txt
export TEST_STATE_DIR=$TEST_TMP/state

run() { rc=0; agent --plugin deadletter "$@" >"$out" 2>"$err" || rc=$?; [ -s "$out" ] || { cat "$err" >&2; fail "no line"; }; }
line() { jq -c "select(.check == \"$1\")" "$out" >"$TEST_TMP/line.json"; [ -s "$TEST_TMP/line.json" ] || fail "no $1 line"; jq_assert "$TEST_TMP/line.json" "$2" "${3:-$1: $2}"; }

# thresholds: 0 ok, 1 warning, 5 critical; relay connected with its backlog
echo 0 >"$relay/count"
run -s "deadletter.url=$base/ok"
[ "$rc" = 0 ] || fail "all ok: exit $rc"
line deadletter.count '.status == "ok" and .metrics.dead_letters == 0 and .details.source == "api"'
line deadletter.rate '.status == "ok" and (.summary | test("first run"))'
line relay.status '.status == "ok" and .metrics.backlog == 3 and .details.connected == true'
echo 1 >"$relay/count"
run -s "deadletter.url=$base/ok"
[ "$rc" = 1 ] || fail "one dead letter: exit $rc"
line deadletter.count '.status == "warning" and (.summary | test("1 dead letters \\(count_warning=1\\)"))'
line deadletter.rate '.status == "ok" and .metrics.new_in_window == 1'
# rate: 6 more arrive (7 in the window, more than 5): critical
echo 7 >"$relay/count"
run -s "deadletter.url=$base/ok"
[ "$rc" = 2 ] || fail "seven dead letters: exit $rc"
line deadletter.count '.status == "critical" and .metrics.dead_letters == 7'
line deadletter.rate '.status == "critical" and .metrics.new_in_window == 7 and (.summary | test("7 new dead letters in the last 15m"))'
# the summary names its threshold and when the counted letters were seen
# (issue 19 item 7): the first increase by the second run, the last by this one
line deadletter.rate '(.summary | test("\\(rate_critical=5\\), seen [0-9-]{10}T[0-9:]{8}Z( to [0-9-]{10}T[0-9:]{8}Z)?$"))
  and .details.first_arrival <= .details.last_arrival and .details.arrival_times == "the runs that first saw them"
  and .metrics.first_arrival_timestamp_seconds <= .metrics.last_arrival_timestamp_seconds'
line deadletter.count '.status == "critical" and (.summary | test("7 dead letters \\(count_critical=5\\)"))'
# replayed (count falls): nothing new arrived since; the earlier 7 stay in the window
echo 4 >"$relay/count"
run -s "deadletter.url=$base/ok"
line deadletter.rate '.metrics.new_in_window == 7'
# a window that leaves the earlier arrivals out
sleep 1.2
run -s "deadletter.url=$base/ok" -s 'deadletter.rate_window="1s"'
line deadletter.rate '.status == "ok" and .metrics.new_in_window == 0'

# a history that cannot be written is said, as unknown, not left to a
# rate that stays "first run" and ok forever (issue 11 item 9)
echo 0 >"$relay/count"
ro_state=$TEST_TMP/ro-state
run -s "deadletter.url=$base/ok" --state-dir "$ro_state"
[ -d "$ro_state/deadletter" ] || fail "no state directory made in $ro_state"
# the history file replaced by a directory: the rename over it fails (the
# agent re-asserts the directory's owner and mode, so a chmod would not do)
hist_file=$(ls "$ro_state"/deadletter/counts-*.json)
rm -f "$hist_file" && mkdir "$hist_file"
run -s "deadletter.url=$base/ok" --state-dir "$ro_state"
[ "$rc" = 3 ] || fail "state not kept: exit $rc, expected 3 (unknown)"
line deadletter.state '.status == "unknown" and (.summary | test("cannot keep the dead-letter counts in .*the next runs cannot judge the rate"))'
line deadletter.count '.status == "ok"'

# relay not connected: critical
run -s "deadletter.url=$base/down"
line relay.status '.status == "critical" and .details.connected == false and .metrics.backlog == 250'

# a list API (Svix-like): the array's length at count_pointer
run -s "deadletter.url=$base/svix" -s deadletter.count_pointer=/data -s deadletter.connected_pointer=/connected
line deadletter.count '.status == "warning" and .metrics.dead_letters == 3'

# the token from token_file goes in the header and nowhere else
printf 's3cret-token\n' >"$TEST_TMP/token"
chmod 600 "$TEST_TMP/token"
give_to_plugins "$TEST_TMP/token"
echo 2 >"$relay/count"
run -s "deadletter.url=$base/auth" -s "deadletter.token_file=$TEST_TMP/token"
line deadletter.count '.metrics.dead_letters == 2'
line relay.status '.status == "ok"'
grep -q "^auth /relay/workflow/dead-letters auth=ok" "$relay/requests.log" || fail "token not sent"
grep -q s3cret "$out" "$err" && fail "token printed"
run -s "deadletter.url=$base/auth"
line deadletter.count '.status == "unknown" and (.summary | test("HTTP 401"))'

# faults: each a clear line, within the run's time
t0=$(date +%s)
run -s "deadletter.url=$base/slow" -s deadletter.timeout=4
took=$(( $(date +%s) - t0 ))
[ "$took" -le 8 ] || fail "stalled relay held the run for ${took}s"
line deadletter.count '.status == "unknown" and (.summary | test("timeout"))'
line relay.status '.status == "critical" and (.summary | test("not reachable.*timeout"))'
run -s "deadletter.url=$base/huge"
line deadletter.count '.status == "unknown" and (.summary | test("too large"))'
run -s "deadletter.url=$base/huge" -s deadletter.max_response_bytes=1000
line relay.status '.status == "unknown" and (.summary | test("too large"))'
run -s "deadletter.url=$base/invalid"
line deadletter.count '.status == "unknown" and (.summary | test("not valid JSON"))'
line relay.status '.status == "unknown" and (.summary | test("not valid JSON"))'
run -s "deadletter.url=$base/wrongtype"
line deadletter.count '.status == "unknown" and (.summary | test("not a count"))'
line relay.status '.status == "unknown" and (.summary | test("no boolean at /connected"))'
run -s "deadletter.url=$base/500"
line deadletter.count '.status == "unknown" and (.summary | test("HTTP 500"))'
line relay.status '.status == "critical" and (.summary | test("HTTP 500"))'
run -s "deadletter.url=$base/redirect"
line deadletter.count '.status == "unknown" and (.summary | test("redirect"))'
line relay.status '.status == "unknown" and (.summary | test("redirect"))'
# nothing listening
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
run -s "deadletter.url=http://127.0.0.1:$port"
line relay.status '.status == "critical" and (.summary | test("not reachable"))'
# a malformed pointer is a configuration error, named
rc=0
agent --plugin deadletter -s "deadletter.url=$base/ok" -s deadletter.count_pointer=count --check-config >"$out" 2>"$err" || rc=$?
[ "$rc" != 0 ] || fail "--check-config accepted count_pointer=count"
grep -q count_pointer "$err" "$out" || fail "the error does not name count_pointer"
exit 0
