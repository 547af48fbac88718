#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/ops-logrotate.sh: checks contrib/logrotate/probe-agent
# with the real logrotate:
#  - `logrotate -d` reads it without error (its path substituted);
#  - a forced rotation (logrotate -f, the file's own directives, its
#    postrotate's systemctl replaced by the same SIGHUP to a test daemon)
#    of a running daemon's output file loses no line: the runs counted by
#    the test plugin "echo" are contiguous across the rotated and the new
#    file, and the daemon writes to the new one.
. "$top_srcdir/tests/lib/env.sh"

conf=$top_srcdir/contrib/logrotate/probe-agent
command -v logrotate >/dev/null || {
  [ "${CI:-}" = true ] && { echo "ERROR: logrotate missing (contrib/apt/ops.txt)" >&2; exit 99; }
  echo "SKIP: logrotate is not installed" >&2; exit 77; }
[ -d "${PROBE_TEST_PLUGIN_DIR:-}" ] || fail "no test plugins in ${PROBE_TEST_PLUGIN_DIR:-(unset)}: run through make check"
grep -q 'systemctl kill --kill-whom=main --signal=HUP probe-agent.service' "$conf" \
  || fail "the postrotate no longer sends SIGHUP to the daemon"
if grep -qE '^[[:space:]]*copytruncate' "$conf"; then fail "copytruncate loses the lines written during the copy"; fi

logs=$TEST_TMP/log
mkdir -p "$logs"
chmod 755 "$TEST_TMP"
out=$logs/results.jsonl
pidf=$TEST_TMP/agent.pid
sed -e "s#/var/log/probe-agent/#$logs/#" \
    -e "s#systemctl kill --kill-whom=main --signal=HUP probe-agent.service#kill -HUP \$(cat $pidf)#" \
    "$conf" >"$TEST_TMP/rotate.conf"
grep -q "$logs/\*.jsonl" "$TEST_TMP/rotate.conf" || fail "the file no longer rotates /var/log/probe-agent/*.jsonl"

PROBE_AGENT_INTERVAL=1 "$PROBE_AGENT" --plugin-dir "$PROBE_TEST_PLUGIN_DIR" --state-dir "$TEST_TMP/state" \
  --daemon -o "$out" -p echo 2>"$TEST_TMP/daemon.err" &
pid=$!
echo "$pid" >"$pidf"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$TEST_TMP"' EXIT
for _ in $(seq 300); do [ "$(cat "$out" 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 0.1; done
[ "$(wc -l <"$out")" -ge 2 ] || { cat "$TEST_TMP/daemon.err" >&2; fail "the daemon wrote fewer than 2 lines"; }

logrotate -d -s "$TEST_TMP/state.debug" "$TEST_TMP/rotate.conf" >"$TEST_TMP/debug.log" 2>&1 \
  || { cat "$TEST_TMP/debug.log" >&2; fail "logrotate -d rejects the file"; }
if grep -qi 'error' "$TEST_TMP/debug.log"; then cat "$TEST_TMP/debug.log" >&2; fail "logrotate -d reports an error"; fi

logrotate -f -s "$TEST_TMP/rotate.state" "$TEST_TMP/rotate.conf" >"$TEST_TMP/rotate.log" 2>&1 \
  || { cat "$TEST_TMP/rotate.log" >&2; fail "logrotate -f failed"; }
[ -s "$out.1" ] || { ls -l "$logs" >&2; fail "no $out.1 after the forced rotation"; }
before=$(wc -l <"$out.1")
# The daemon reopens the file on SIGHUP and keeps writing: wait for 3 lines.
for _ in $(seq 300); do [ "$(cat "$out" 2>/dev/null | wc -l)" -ge 3 ] && break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null || fail "the daemon died on the rotation's SIGHUP"
[ "$(cat "$out" 2>/dev/null | wc -l)" -ge 3 ] || fail "after the rotation the daemon did not write to a new $out"
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
# Every run's line is in one file or the other, in order, none twice.
cat "$out.1" "$out" | jq -r 'select(.check == "echo.line") | .metrics.runs' >"$TEST_TMP/runs"
first=$(head -1 "$TEST_TMP/runs"); last=$(tail -1 "$TEST_TMP/runs")
seq "$first" "$last" | diff - "$TEST_TMP/runs" >&2 || fail "lines were lost or repeated across the rotation"
echo "ok: logrotate -d clean; forced rotation of a running daemon: $before + $(wc -l <"$out") lines, runs $first..$last contiguous"
