#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# agent-conf.sh: the configuration as the command line meets it (issue 11
# item 13, issue 19 items 4 and 5): a FIFO given as -c is refused at once,
# never waited on; an interval below the 1 s floor is refused by
# --check-config; errors are one line each, at the character that is wrong;
# a host name in invalid UTF-8 is refused, the system's escaped, never
# raw in a line; a SIGHUP reload that meets a FIFO is refused and the
# daemon goes on; with standard output closed the agent exits 73 with a
# message and prints nothing else.
. "$top_srcdir/tests/lib/env.sh"
PROBE_AGENT_PLUGIN_DIR=$PROBE_TEST_PLUGIN_DIR
out=$TEST_TMP/out
err=$TEST_TMP/err

# run_agent ARGS: runs the agent (at most 30 s), stdout to $out, stderr to $err; sets $rc.
run_agent() { rc=0; timeout 30 "$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" \
  --state-dir "$TEST_TMP/state" "$@" >"$out" 2>"$err" || rc=$?; }
expect_rc() { [ "$rc" = "$1" ] || { cat "$out" "$err" >&2; fail "$2: exit $rc, expected $1"; }; }

# a FIFO: refused (78) and named, not waited on (timeout would give 124)
mkfifo "$TEST_TMP/fifo"
run_agent -c "$TEST_TMP/fifo" --check-config
expect_rc 78 "-c FIFO --check-config"
grep -q "fifo: cannot read the configuration: not a regular file" "$err" || fail "FIFO not named as such"
run_agent -c "$TEST_TMP" --check-config
expect_rc 78 "-c DIRECTORY"

# the interval floor, in the file and per plugin
echo '{ "plugins": { "echo": { "interval": 0 } } }' >"$TEST_TMP/zero.json"
run_agent -c "$TEST_TMP/zero.json" --check-config
expect_rc 78 "interval 0"
grep -q 'zero.json:1: plugin "echo": setting "interval": must be at least 1 s (got 0 s)' "$err" ||
  { cat "$err" >&2; fail "interval 0 not refused with its place"; }
run_agent --check-config -p echo -s agent.interval=0.5
expect_rc 78 "agent.interval 0.5"
run_agent --check-config -p echo -s echo.interval=1
expect_rc 0 "interval 1"

# an integer beyond 2^53 is not taken (converting 1e300 to an integer
# would be undefined): refused at its place
printf '{ "agent": { "max_output_bytes": 1e300 },\n  "plugins": { "echo": { "memory_limit": 1e300 } } }\n' >"$TEST_TMP/huge.json"
run_agent -c "$TEST_TMP/huge.json" --check-config
expect_rc 78 "integers beyond 2^53"
grep -q 'huge.json:1: agent: setting "max_output_bytes": must be an integer' "$err" &&
  grep -q 'huge.json:2: plugin "echo": setting "memory_limit": must be an integer' "$err" ||
  { cat "$err" >&2; fail "1e300 not refused as an integer setting"; }

# a comma missing at the end of line 4: reported at line 4, after its last token
printf '{\n  "agent": {\n    "host": "h",\n    "timeout": 30\n    "interval": 60\n  }\n}\n' >"$TEST_TMP/comma.json"
run_agent -c "$TEST_TMP/comma.json" --check-config
expect_rc 78 "missing comma"
grep -qF "comma.json: line 4, column 18: ',' missing here" "$err" || { cat "$err" >&2; fail "missing comma position"; }
# one line per error on standard error, whatever the names hold
printf '{ "agent": { "x\\ny": 1, "\\u001b]0;t\\u0007": 2 } }' >"$TEST_TMP/ctl.json"
run_agent -c "$TEST_TMP/ctl.json" --check-config
expect_rc 78 "control characters in names"
[ "$(wc -l <"$err")" = 2 ] || { cat -A "$err" >&2; fail "an error message holds a raw newline"; }
! LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$err" || fail "control characters reach standard error"

# a host name in invalid UTF-8 is refused, never written into a line
run_agent -p echo -s "agent.host=$(printf 'h\377')"
expect_rc 78 "invalid UTF-8 host"
[ ! -s "$out" ] || fail "a line was written with an invalid host"
grep -q 'setting "host": must be a non-empty name in valid UTF-8' "$err" || fail "host not refused"

# the system's host name may be any bytes: escaped, the line stays valid UTF-8
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && unshare -u true 2>/dev/null; then
  unshare -u python3 - "$PROBE_AGENT" "$PROBE_AGENT_PLUGIN_DIR" "$TEST_TMP/state" >"$out" <<'PY' || fail "sethostname in a UTS namespace"
import ctypes, subprocess, sys
name = b"bad\xff\x1bname"
if ctypes.CDLL(None).sethostname(name, len(name)) != 0:
    sys.exit(1)
sys.stdout.buffer.write(subprocess.run([sys.argv[1], "--plugin-dir", sys.argv[2], "--state-dir", sys.argv[3],
                                        "-p", "echo"], capture_output=True).stdout)
PY
  python3 -c 'import sys; sys.stdin.buffer.read().decode("utf-8")' <"$out" || fail "a line is not valid UTF-8"
  jq_assert "$out" '.host == "bad\\xff\\x1bname"' "the host name's bytes are not escaped"
fi

# a SIGHUP reload that meets a FIFO: refused at once, the old configuration kept
echo '{ "agent": { "output": "'"$TEST_TMP/daemon.jsonl"'" }, "plugins": { "echo": { "interval": 1 } } }' >"$TEST_TMP/d.json"
"$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" --state-dir "$TEST_TMP/state" -c "$TEST_TMP/d.json" \
  --daemon 2>"$TEST_TMP/daemon.err" &
dpid=$!
trap 'kill $dpid 2>/dev/null || true; rm -rf "$TEST_TMP"' EXIT
for _ in $(seq 100); do [ -s "$TEST_TMP/daemon.jsonl" ] && break; sleep 0.1; done
[ -s "$TEST_TMP/daemon.jsonl" ] || fail "the daemon wrote no line"
rm "$TEST_TMP/d.json"
mkfifo "$TEST_TMP/d.json"
kill -HUP $dpid
for _ in $(seq 100); do grep -q 'not a regular file' "$TEST_TMP/daemon.err" && break; sleep 0.1; done
grep -q 'd.json: cannot read the configuration: not a regular file' "$TEST_TMP/daemon.err" ||
  { cat "$TEST_TMP/daemon.err" >&2; fail "the reload of a FIFO was not refused"; }
n=$(wc -l <"$TEST_TMP/daemon.jsonl")
for _ in $(seq 100); do [ "$(wc -l <"$TEST_TMP/daemon.jsonl")" -gt "$n" ] && break; sleep 0.1; done
[ "$(wc -l <"$TEST_TMP/daemon.jsonl")" -gt "$n" ] || fail "the daemon stopped running plugins after the FIFO reload"
kill -TERM $dpid
rc=0; wait $dpid || rc=$?
expect_rc 0 "SIGTERM after a refused reload"

# standard output closed: a documented 73 and a clean message
rc=0
timeout 30 "$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" --state-dir "$TEST_TMP/state" \
  -p echo >&- 2>"$err" || rc=$?
expect_rc 73 "standard output closed"
[ "$(cat "$err")" = "probe-agent: standard output is closed: nowhere to write the result lines (give -o FILE or agent.output)" ] ||
  { od -c "$err" | head >&2; fail "message with standard output closed"; }
# ... and with -o the run goes on: the line goes to the file, nowhere else
rc=0
timeout 30 "$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" --state-dir "$TEST_TMP/state" \
  -p echo -o "$TEST_TMP/lines" >&- 2>"$err" || rc=$?
expect_rc 0 "standard output closed, -o FILE"
jq_assert "$TEST_TMP/lines" '.plugin == "echo"'
# usage errors quote the command line on one line, whatever it holds
nl=$'\n'
for bad in "-p|ec${nl}ho" "--format|x${nl}y"; do
  rc=0
  "$PROBE_AGENT" "${bad%%|*}" "${bad#*|}" >/dev/null 2>"$err" || rc=$?
  expect_rc 64 "usage error (${bad%%|*})"
  [ "$(wc -l <"$err")" = 2 ] || fail "a usage error printed a raw newline: $(cat "$err")"
  grep -q 'x\\ny\|ec\\nho' "$err" || fail "the word is not shown escaped: $(cat "$err")"
done
echo "agent-conf: all assertions hold"
