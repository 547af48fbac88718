#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
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
  "plugins": { "echo": { "interval": 1, "message": "$1" },
               "slow": { "enabled": false } } }
J
}
# "slow" names no plugin file but is disabled: no error, no run.
write_cfg first
"$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" --state-dir "$TEST_TMP/state" \
  -c "$cfg" --daemon 2>"$TEST_TMP/err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$TEST_TMP"' EXIT

# wait_for FILE N [SECONDS]: until FILE has N lines (fails after SECONDS).
wait_for() {
  local i
  for i in $(seq 1 $(( ${3:-30} * 10 ))); do
    [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
    sleep 0.1
  done
  fail "$1 has $(wc -l <"$1" 2>/dev/null || echo 0) lines, not $2, after ${3:-30} s"
}
t0=$(date +%s%N)
wait_for "$outf" 4
elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
n1=$(wc -l <"$outf")
# at a 1 s interval (the floor), no more lines than the elapsed time allows
# (+ jitter, + the agent's own start line)
[ "$n1" -le $(( elapsed_ms / 950 + 3 )) ] || fail "$n1 lines in $elapsed_ms ms: the interval is not kept"
[ -f "$beat" ] || fail "no heartbeat file"
age=$(( $(date +%s) - $(stat -c %Y "$beat") ))
[ "$age" -le 6 ] || fail "heartbeat is $age s old"
jq_assert "$outf" 'select(.plugin == "echo") | .summary == "first"'
# the daemon keeps to what it needs: no libm (linked --as-needed; the
# sanitizers' runtime needs it, so not in their build), and, as root, where
# its runs change user, no NSS module (the users are looked up in a child:
# libnss_systemd and its libraries stay out of the daemon)
unneeded='libm\.so|libnss_'
grep -q '^#define PROBE_SANITIZERS 1' "$top_builddir/config.h" && unneeded='libnss_'
if grep -E "$unneeded" /proc/$pid/maps >"$TEST_TMP/maps"; then
  cat "$TEST_TMP/maps" >&2
  fail "the daemon mapped a library it does not need"
fi

# a bad new configuration is reported, the old one kept
echo '{ "plugins": { "echo": { "nope": 1 } } }' >"$cfg"
kill -HUP $pid
for i in $(seq 1 100); do grep -q 'keeping the previous one' "$TEST_TMP/err" && break; sleep 0.1; done
grep -q 'setting "nope": unknown setting' "$TEST_TMP/err" || fail "bad reload not reported"
grep -q 'keeping the previous one' "$TEST_TMP/err" || fail "bad reload not said to be ignored"
kill -0 $pid || fail "the daemon died on a bad reload"
n2=$(wc -l <"$outf")
wait_for "$outf" $((n2 + 2))

# a good new configuration takes effect; the output file is reopened
write_cfg second
mv "$outf" "$outf.1"
kill -HUP $pid
wait_for "$outf" 3
[ -s "$outf" ] || fail "the output file was not reopened after SIGHUP"
# a run in flight at the reload may still say "first"; the newest says "second"
grep '"plugin":"echo"' "$outf" | tail -n 1 >"$TEST_TMP/last"
jq_assert "$TEST_TMP/last" '.summary == "second"'
grep -q 'configuration reloaded' "$TEST_TMP/err" || fail "reload not logged"

# never two runs of one plugin at once: a 1.5 s run on a 1 s interval;
# the echo plugin reports "overlapping run" if it finds its own marker
cat >"$cfg" <<J
{ "agent": { "output": "$outf" }, "plugins": { "echo": { "interval": 1, "delay": 1.5, "message": "slow" } } }
J
kill -HUP $pid
for i in $(seq 1 300); do
  [ "$(grep -c '"summary":"slow"' "$outf" || true)" -ge 3 ] && break
  sleep 0.1
done
[ "$(grep -c '"summary":"slow"' "$outf" || true)" -ge 3 ] || fail "the slow runs did not come"
! grep -q 'overlapping run' "$outf" || fail "two runs of one plugin overlapped"

# SIGTERM: exit 0
kill -TERM $pid
rc=0; wait $pid || rc=$?
[ "$rc" = 0 ] || fail "exit status $rc on SIGTERM"
grep -q 'stopping' "$TEST_TMP/err" || fail "no stop message"
jq -c . "$outf" "$outf.1" >/dev/null || fail "a line was cut"
echo "agent-daemon: all assertions hold"
