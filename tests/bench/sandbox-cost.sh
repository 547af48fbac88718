#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/bench/sandbox-cost.sh [RUNS]: what the sandbox costs a plugin run.
# Runs the echo test plugin RUNS times (default 100) with the sandbox and
# RUNS times with agent.sandbox=false (the debugging switch), interleaved,
# and prints the median "fork to first line" (the line's duration_ms: from
# just before fork() to the plugin's first emit, so fork, sandbox, dlopen
# and run) and the median wall time of the whole agent, with the ratios.
# BASELINE=/path/to/probe-agent adds a third series: another build (e.g.
# main's, from before the sandbox) with the same plugins.
# Needs a built tree (build/). Not a test: it prints figures.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
runs=${1:-100}
make -s -C "$build" check TESTS= >/dev/null   # builds the test plugins
work=$(mktemp -d /tmp/probe-sbcost.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

# one run: appends "<first line's duration_ms> <wall ms>" to $2
one() {
  local t0 t1 line bin=$build/probe-agent set=(-s agent.sandbox="$1")
  [ "$1" != baseline ] || { bin=$BASELINE; set=(); }
  t0=$(date +%s%N)
  line=$("$bin" --plugin-dir "$build/tests/plugins/.libs" \
    --state-dir "$work/state" -p echo "${set[@]}" 2>/dev/null | head -1)
  t1=$(date +%s%N)
  printf '%s %s\n' "$(jq -r .duration_ms <<<"$line")" "$(( (t1 - t0) / 1000 ))e-3" >>"$2"
}
for i in $(seq 1 "$runs"); do
  one true "$work/on"
  one false "$work/off"
  [ -z "${BASELINE:-}" ] || one baseline "$work/base"
done
# median COLUMN FILE
median() { awk -v c="$1" '{print $c + 0}' "$2" | sort -g | awk '{v[NR]=$1} END {
  if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2 }'; }
on_first=$(median 1 "$work/on"); off_first=$(median 1 "$work/off")
on_wall=$(median 2 "$work/on"); off_wall=$(median 2 "$work/off")
echo "runs: $runs each, $(nproc) CPUs, euid $(id -u)"
printf 'fork to first line, median: sandbox %.3f ms, none %.3f ms, ratio %.2f, cost %.3f ms\n' \
  "$on_first" "$off_first" "$(echo "$on_first / $off_first" | bc -l)" "$(echo "$on_first - $off_first" | bc -l)"
printf 'whole agent run, median:    sandbox %.1f ms, none %.1f ms, ratio %.2f\n' \
  "$on_wall" "$off_wall" "$(echo "$on_wall / $off_wall" | bc -l)"
if [ -n "${BASELINE:-}" ]; then
  b_first=$(median 1 "$work/base"); b_wall=$(median 2 "$work/base")
  printf 'baseline %s: fork to first line %.3f ms (sandbox/baseline %.2f), whole run %.1f ms (%.2f)\n' \
    "$BASELINE" "$b_first" "$(echo "$on_first / $b_first" | bc -l)" "$b_wall" "$(echo "$on_wall / $b_wall" | bc -l)"
fi
