#!/usr/bin/env bash
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

# probe-agent: four test plugins as often as the scheduler allows (its
# 100 ms floor), so that 10,000 runs take minutes, not half an hour: echo
# reports, segv and abort crash, silent reports nothing. Each run is one
# line, and the crashes walk the agent's failure paths as well.
cat >"$work/agent.json" <<J
{ "agent": { "output": "$work/lines.jsonl" },
  "plugins": { "echo": { "interval": 0.01 }, "segv": { "interval": 0.01 },
               "abort": { "interval": 0.01 }, "silent": { "interval": 0.01 } } }
J
"$build/probe-agent" --plugin-dir "$build/tests/plugins/.libs" --state-dir "$work/state" \
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
