#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# format-prometheus.sh: a real Prometheus (Debian prometheus) scrapes the
# daemon's agent.metrics_listen on loopback; a PromQL query through its
# HTTP API returns the ledger's probe_ledger_events and probe_status, and
# promtool check metrics finds the exposition clean. Also the endpoint's
# own answers: /healthz, 404 and 405, an oversized request, staleness after
# two intervals. Slow-ish: runs once (not in the sanitizer pass); without
# prometheus it skips, with CI=true it fails.
. "$top_srcdir/tests/lib/env.sh"
plain_pass_only "run once"
for tool in prometheus promtool curl; do
  command -v "$tool" >/dev/null && continue
  [ "${CI:-}" = true ] && fail "$tool is missing (Debian prometheus, curl) and CI=true"
  echo "SKIP: $tool is missing" >&2; exit 77
done

# a free loopback port: bind 0 and read it back
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
aport=$(free_port); pport=$(free_port)
python3 "$top_srcdir/tests/integration/ledger-gen.py" 120 >"$TEST_TMP/l.jsonl"

# daemon DIR ARGS: the agent in the background, as the process $! names
daemon() { local dir=$1; shift; exec "$PROBE_AGENT" --plugin-dir "$dir" --state-dir "$TEST_TMP/state" --daemon "$@"; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$TEST_TMP"; }
trap cleanup EXIT

daemon "$PROBE_AGENT_PLUGIN_DIR" -p ledger -s ledger.source="$TEST_TMP/l.jsonl" -s ledger.interval=2 \
  -s agent.metrics_listen="127.0.0.1:$aport" \
  -s 'agent.labels={"service":"medlink"}' >"$TEST_TMP/out.jsonl" 2>"$TEST_TMP/agent.err" &
pids+=($!)
url=http://127.0.0.1:$aport
for _ in $(seq 50); do curl -sf "$url/metrics" 2>/dev/null | grep -q '^probe_ledger_events' && break; sleep 0.2; done
curl -sf "$url/metrics" >"$TEST_TMP/m.txt" || { cat "$TEST_TMP/agent.err" >&2; fail "no /metrics"; }
grep -q '^probe_ledger_events{check="ledger.chain",target="[^"]*l.jsonl",service="medlink"} 120$' "$TEST_TMP/m.txt" ||
  { cat "$TEST_TMP/m.txt" >&2; fail "probe_ledger_events not 120"; }
promtool check metrics <"$TEST_TMP/m.txt" || fail "promtool check metrics"
[ "$(curl -s "$url/healthz")" = ok ] || fail "/healthz"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/other")" = 404 ] || fail "/other is not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/metrics")" = 405 ] || fail "POST is not 405"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 8000 /dev/zero | tr '\0' a)" "$url/metrics")
[ "$code" = 400 ] || fail "an 8 KB request head got $code, not 400"
# a client that sends nothing does not hold the daemon: /healthz still answers
exec 7<>"/dev/tcp/127.0.0.1/$aport"
[ "$(curl -s -m 10 "$url/healthz")" = ok ] || fail "a silent client blocked the endpoint"
exec 7>&-

cat >"$TEST_TMP/prom.yml" <<Y
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: probe
    static_configs: [ { targets: ["127.0.0.1:$aport"] } ]
Y
prometheus --config.file="$TEST_TMP/prom.yml" --storage.tsdb.path="$TEST_TMP/tsdb" \
  --web.listen-address="127.0.0.1:$pport" >"$TEST_TMP/prom.log" 2>&1 &
pids+=($!)
q() { curl -sf --data-urlencode "query=$1" "http://127.0.0.1:$pport/api/v1/query"; }
val=
for _ in $(seq 60); do
  val=$(q 'probe_ledger_events{service="medlink"}' 2>/dev/null | jq -r '.data.result[0].value[1] // empty' 2>/dev/null) || true
  [ -n "$val" ] && break
  sleep 0.5
done
[ "$val" = 120 ] || { tail -20 "$TEST_TMP/prom.log" >&2; fail "PromQL probe_ledger_events = '$val', expected 120"; }
st=$(q 'probe_status{check="ledger.chain"}' | jq -r '.data.result[0].value[1]')
[ "$st" = 0 ] || fail "PromQL probe_status of ledger.chain = '$st', expected 0"
up=$(q 'up{job="probe"}' | jq -r '.data.result[0].value[1]')
[ "$up" = 1 ] || fail "the scrape is not up ($up)"

# staleness: a check that stops reporting leaves /metrics after two of its
# intervals (echo every 1 s; after SIGHUP its runs hang for 30 s)
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
cfg=$TEST_TMP/stale.json
printf '{"agent":{"metrics_listen":"127.0.0.1:%s"},"plugins":{"echo":{"interval":1}}}\n' "$aport" >"$cfg"
daemon "$PROBE_TEST_PLUGIN_DIR" -c "$cfg" >/dev/null 2>"$TEST_TMP/agent2.err" &
pids[0]=$!
seen=
for _ in $(seq 50); do
  curl -sf "$url/metrics" 2>/dev/null | grep -q '^probe_status{check="echo.line"' && { seen=1; break; }
  sleep 0.2
done
[ -n "$seen" ] || { cat "$TEST_TMP/agent2.err" >&2; curl -s "$url/metrics" >&2; fail "echo never appeared on /metrics"; }
printf '{"agent":{"metrics_listen":"127.0.0.1:%s"},"plugins":{"echo":{"interval":1,"delay":30,"timeout":60}}}\n' "$aport" >"$cfg"
kill -HUP "${pids[0]}"
gone=
for _ in $(seq 40); do
  curl -sf "$url/metrics" 2>/dev/null | grep -q '^probe_status{check="echo.line"' || { gone=1; break; }
  sleep 0.5
done
[ -n "$gone" ] || fail "a result older than two intervals is still on /metrics"
echo ok
