#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/bench/daemon-rss.sh [RUNS]: the daemon's resident memory over many
# plugin runs (default 10,000), side by side with collectd 5 running two
# plugins (cpu, memory) on the same machine. Prints RSS samples and the
# ratio probe-agent / collectd. Needs a built tree (build/) and, for the
# baseline, Debian's collectd-core (installed when root).
# Not a test: it prints figures.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
runs=${1:-10000}
make -s -C "$build" check TESTS= >/dev/null   # builds the test plugins
work=$(mktemp -d /tmp/probe-rss.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# probe-agent: test plugins at the agent's 1 s interval floor: NECHO echo
# copies built here under names of their own (one line each a second) and
# segv, abort and silent, which crash or report nothing, so that the runs
# walk the agent's failure paths as well. With the default 36 copies,
# 10,000 runs take about five minutes.
necho=${NECHO:-36}
mkdir -p "$work/plugins"
cp "$build"/tests/plugins/.libs/{segv,abort,silent}.so "$work/plugins/"
sections='"segv": { "interval": 1 }, "abort": { "interval": 1 }, "silent": { "interval": 1 }'
for i in $(seq 1 "$necho"); do
  ${CC:-cc} -shared -fPIC -O2 -I"$build" -I"$top/agent/include" -I"$top" -DTP_ECHO_NAMED="\"echo$i\"" \
    -o "$work/plugins/echo$i.so" "$top/tests/plugins/testplug.c" -lpthread
  sections="$sections, \"echo$i\": { \"interval\": 1 }"
done
chmod 755 "$work" "$work/plugins"; chmod 644 "$work"/plugins/*.so
cat >"$work/agent.json" <<J
{ "agent": { "output": "$work/lines.jsonl" }, "plugins": { $sections } }
J
"$build/probe-agent" --plugin-dir "$work/plugins" --state-dir "$work/state" \
  -c "$work/agent.json" --daemon 2>"$work/agent.err" &
apid=$!
pids+=("$apid")

# collectd baseline: two plugins, foreground
if ! command -v collectd >/dev/null && [ "$(id -u)" = 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends collectd-core >/dev/null 2>&1 || true
fi
cpid=
if command -v collectd >/dev/null || [ -x /usr/sbin/collectd ]; then
  cdir=$(dirname "$(find /usr/lib -path '*collectd/cpu.so' 2>/dev/null | head -1)")
  cat >"$work/collectd.conf" <<C
BaseDir "$work"
PIDFile "$work/collectd.pid"
PluginDir "$cdir"
Interval 1
LoadPlugin cpu
LoadPlugin memory
C
  /usr/sbin/collectd -f -C "$work/collectd.conf" >/dev/null 2>&1 &
  cpid=$!
  pids+=("$cpid")
fi

printf '%10s %14s %14s\n' runs agent_rss_kib collectd_rss_kib
start=$(date +%s)
first=
next=100
while :; do
  n=$(wc -l <"$work/lines.jsonl" 2>/dev/null || echo 0)
  if [ "$n" -ge "$next" ]; then
    a=$(rss_kib "$apid"); c=-
    [ -n "$cpid" ] && c=$(rss_kib "$cpid")
    [ -n "$first" ] || first=$a
    printf '%10d %14s %14s\n' "$n" "$a" "$c"
    [ "$n" -ge "$runs" ] && break
    next=$(( next * 10 > runs ? runs : next * 10 ))
  fi
  sleep 0.2
done
last=$(rss_kib "$apid")
echo "runs: $n in $(( $(date +%s) - start )) s; ok lines (echo): $(grep -c '"status":"ok"' "$work/lines.jsonl"); unknown lines (crashes, silence): $(grep -c '"status":"unknown"' "$work/lines.jsonl")"
echo "agent RSS: first sample $first KiB, after $n runs $last KiB (growth $((last - first)) KiB)"
if [ -n "$cpid" ]; then
  c=$(rss_kib "$cpid")
  echo "collectd (cpu + memory) RSS: $c KiB; ratio agent/collectd: $(awk -v a="$last" -v c="$c" 'BEGIN{printf "%.2f", a/c}')"
fi
