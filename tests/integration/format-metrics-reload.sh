#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# format-metrics-reload.sh: agent.metrics_listen is re-read on SIGHUP. A
# daemon serving /metrics on one loopback port, after a reload that names
# another, serves it there (with the results it already had) and no longer
# on the old one; an address it cannot listen on is an agent.config
# warning and the old one is served again; a configuration without the key
# stops serving, and one with it again starts. Only curl (no Prometheus).
. "$top_srcdir/tests/lib/env.sh"
command -v curl >/dev/null || {
  [ "${CI:-}" = true ] && fail "curl is missing and CI=true"
  echo "SKIP: curl is missing" >&2; exit 77; }

# a free loopback port: bind 0 and read it back
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
p1=$(free_port); p2=$(free_port)
cfg=$TEST_TMP/agent.json
out=$TEST_TMP/out.jsonl
# conf [AGENT_FIELDS]: the configuration, echo every second
conf() { printf '{"agent":{%s},"plugins":{"echo":{"interval":1}}}\n' "${1:-}" >"$cfg"; }
listen() { conf "\"metrics_listen\":\"$1\""; }

listen "127.0.0.1:$p1"
"$PROBE_AGENT" --plugin-dir "$PROBE_TEST_PLUGIN_DIR" --state-dir "$TEST_TMP/state" --daemon \
  -c "$cfg" >"$out" 2>"$TEST_TMP/agent.err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$TEST_TMP"' EXIT

# serves PORT: /metrics on PORT has the echo result (waits up to 10 s)
serves() {
  for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$1/metrics" 2>/dev/null | grep -q '^probe_status{check="echo.line"' && return 0
    sleep 0.2
  done
  return 1
}
# refused PORT: nothing listens on PORT any more (waits up to 10 s)
refused() {
  for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$1/healthz" 2>/dev/null || return 0
    sleep 0.2
  done
  return 1
}
# reloads N: waits for the Nth agent.config line (up to 10 s)
reloads() {
  for _ in $(seq 50); do
    [ "$(grep -c '"check":"agent.config"' "$out")" -ge "$1" ] && return 0
    sleep 0.2
  done
  fail "no agent.config line number $1 after SIGHUP"
}
show() { cat "$TEST_TMP/agent.err" >&2; }

serves "$p1" || { show; fail "no /metrics on the first port"; }

# a new port: served there at once (the latest results kept), not on the old
listen "127.0.0.1:$p2"
kill -HUP "$pid"; reloads 1
curl -sf "http://127.0.0.1:$p2/metrics" | grep -q '^probe_status{check="echo.line"' ||
  serves "$p2" || { show; fail "after SIGHUP no /metrics on the new port"; }
refused "$p1" || fail "after SIGHUP the old port still answers"

# an address that cannot be listened on (TEST-NET-1 is on no interface:
# EADDRNOTAVAIL, nothing sent): a warning, the old address served again
listen "192.0.2.1:$p1"
kill -HUP "$pid"; reloads 3
jq -e -s 'map(select(.check == "agent.config")) | last
  | .status == "warning" and (.summary | test("192.0.2.1.*still serving /metrics on 127.0.0.1:'"$p2"'"))' \
  "$out" >/dev/null || { grep agent.config "$out" >&2; fail "no agent.config warning for an address that cannot be used"; }
serves "$p2" || { show; fail "after a failed change the old address is not served"; }

# the key removed: no longer served; the daemon goes on
conf
kill -HUP "$pid"; reloads 4
refused "$p2" || fail "without agent.metrics_listen the port still answers"
n=$(grep -c '"check":"echo.line"' "$out")
for _ in $(seq 50); do [ "$(grep -c '"check":"echo.line"' "$out")" -gt "$n" ] && break; sleep 0.2; done
[ "$(grep -c '"check":"echo.line"' "$out")" -gt "$n" ] || fail "the daemon stopped running checks"
# and back
listen "127.0.0.1:$p1"
kill -HUP "$pid"; reloads 5
serves "$p1" || { show; fail "agent.metrics_listen added by SIGHUP is not served"; }
kill -0 "$pid" || fail "the daemon died"
# clients that connect and say nothing do not hold the checks: 60 of them,
# each sending half a request line and keeping it open for 8 s; echo (1 s
# interval) still runs, and /healthz still answers
n0=$(grep -c '"check":"echo.line"' "$out")
python3 - "$p1" <<'PY' &
import socket, sys, time
socks = []
for _ in range(60):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
        s.sendall(b"GET /metr")
        socks.append(s)
    except OSError:
        pass
time.sleep(8)
PY
idle=$!
sleep 6
n1=$(grep -c '"check":"echo.line"' "$out")
[ $((n1 - n0)) -ge 2 ] || { show; fail "idle /metrics clients stalled the checks: $((n1 - n0)) echo runs in 6 s"; }
curl -s -m 10 -o /dev/null "http://127.0.0.1:$p1/healthz" || { show; fail "/healthz did not answer beside idle clients"; }
wait "$idle" || true
# SIGTERM: exit 0 (under the sanitizers, also no leak of the old sockets'
# state: LeakSanitizer would change the status)
kill "$pid"; st=0; wait "$pid" || st=$?
[ "$st" = 0 ] || { show; fail "the daemon exited $st after SIGTERM"; }
echo ok
