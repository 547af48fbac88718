#!/usr/bin/env bash
# agent-daemon.sh: daemon mode: runs on intervals, never two runs of one
# plugin at once, heartbeat, SIGHUP reload (a bad configuration is
# reported and the old one kept) and output reopen, SIGTERM exits 0.
. "$top_srcdir/tests/lib/env.sh"
PROBE_AGENT_PLUGIN_DIR=$PROBE_TEST_PLUGIN_DIR
cfg=$TEST_TMP/d.json
outf=$TEST_TMP/lines.jsonl
beat=$TEST_TMP/heartbeat
write_cfg() {
  cat >"$cfg" <<J
{ "agent": { "output": "$outf", "heartbeat_file": "$beat" },
  "plugins": { "echo": { "interval": 0.2, "message": "$1" },
               "slow": { "enabled": false } } }
J
}
# "slow" names no plugin file but is disabled: no error, no run.
write_cfg first
"$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" --state-dir "$TEST_TMP/state" \
  -c "$cfg" --daemon 2>"$TEST_TMP/err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$TEST_TMP"' EXIT
sleep 1.5
n1=$(wc -l <"$outf")
[ "$n1" -ge 4 ] || fail "only $n1 lines in 1.5 s at a 0.2 s interval"
[ "$n1" -le 10 ] || fail "$n1 lines in 1.5 s: the interval is not kept"
[ -f "$beat" ] || fail "no heartbeat file"
age=$(( $(date +%s) - $(stat -c %Y "$beat") ))
[ "$age" -le 2 ] || fail "heartbeat is $age s old"
jq_assert "$outf" '.summary == "first"'

# a bad new configuration is reported, the old one kept
echo '{ "plugins": { "echo": { "nope": 1 } } }' >"$cfg"
kill -HUP $pid
sleep 0.6
grep -q 'setting "nope": unknown setting' "$TEST_TMP/err" || fail "bad reload not reported"
grep -q 'keeping the previous one' "$TEST_TMP/err" || fail "bad reload not said to be ignored"
kill -0 $pid || fail "the daemon died on a bad reload"
n2=$(wc -l <"$outf")
sleep 0.6
[ "$(wc -l <"$outf")" -gt "$n2" ] || fail "the daemon stopped running plugins after a bad reload"

# a good new configuration takes effect; the output file is reopened
write_cfg second
mv "$outf" "$outf.1"
kill -HUP $pid
sleep 1
[ -s "$outf" ] || fail "the output file was not reopened after SIGHUP"
jq_assert "$outf" '.summary == "second"'
grep -q 'configuration reloaded' "$TEST_TMP/err" || fail "reload not logged"

# never two runs of one plugin at once: a 0.5 s run on a 0.1 s interval
cat >"$cfg" <<J
{ "agent": { "output": "$outf" }, "plugins": { "echo": { "interval": 0.1, "delay": 0.5, "message": "slow" } } }
J
kill -HUP $pid
sleep 2.2
slow=$(grep -c '"summary":"slow"' "$outf" || true)
[ "$slow" -ge 2 ] && [ "$slow" -le 5 ] || fail "$slow slow runs in 2.2 s (overlapping or stuck)"

# SIGTERM: exit 0
kill -TERM $pid
rc=0; wait $pid || rc=$?
[ "$rc" = 0 ] || fail "exit status $rc on SIGTERM"
grep -q 'stopping' "$TEST_TMP/err" || fail "no stop message"
jq -c . "$outf" "$outf.1" >/dev/null || fail "a line was cut"
echo "agent-daemon: all assertions hold"
