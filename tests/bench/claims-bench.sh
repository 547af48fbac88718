#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# claims-bench.sh [BUILD_DIR] [EVENTS]: the claims plugin's full and
# incremental passes against the ledger plugin's full pass, in one run, over
# the same file (SPEC section 7: claims full at most 1.5x the ledger
# plugin's, incremental under 2% of the claims full). Not part of make
# check; prints figures, asserts nothing.
#   1. generates EVENTS (default 1,000,000) events of realistic claims
#      (claims-gen.py bench: 5 events each, a claim every 3 s, ~600 in flight),
#      and the same with 1,000 more events appended;
#   2. times the ledger plugin's full pass and the claims plugin's full
#      pass (no state) in turn, FULL_RUNS times (default 3; the fastest of
#      each, and the median of the rounds' ratios), then the claims
#      plugin's incremental run over the 1,000 appended events (the median
#      of INC_RUNS, default 5, from the same state, started bare as Nagios
#      starts it); each both as the plugin's own duration_ms and as a
#      one-shot command, start to exit; peak RSS of each (GNU time).
# CLAIMS_BENCH_CACHE=DIR reuses (or keeps) the generated ledgers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
n=${2:-1000000}
build=$(cd "$build" && pwd)
agent=$build/probe-agent
[ -x "$agent" ] || { echo "no agent in $build (build first)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/claims-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# run as root, the plugins run as nobody (the sandbox): they must get in
chmod 755 "$tmp"
cache=${CLAIMS_BENCH_CACHE:-$tmp}
mkdir -p "$cache"
long=$cache/claims-$((n + 1000)).jsonl
L=$tmp/ledger.jsonl
if [ ! -s "$long" ]; then
  echo "generating $((n + 1000)) events ..." >&2
  python3 "$top/tests/integration/claims-gen.py" bench $((n + 1000)) >"$long.tmp"
  mv "$long.tmp" "$long"
fi
head -n "$n" "$long" >"$L"
sync

# the clock is bash's own, read without a fork (a `date` process on either
# side of a one-shot added 2-4 ms to it, measured in ledger-bench)
# line_ms: the duration_ms of the chain or lifecycle line in out.txt
line_ms() {
  jq -s 'map(select(.check | endswith(".chain") or endswith(".lifecycle"))) | .[0].duration_ms' "$tmp/out.txt"
}
# timed VAR CMD...: wall seconds in VAR, peak RSS (KiB) in VAR_rss, the
# line's duration_ms in VAR_ms
timed() {
  local var=$1; shift
  local a b
  a=$EPOCHREALTIME
  /usr/bin/time -f '%M' -o "$tmp/time.txt" "$@" >"$tmp/out.txt" 2>"$tmp/err.txt" || true
  b=$EPOCHREALTIME
  printf -v "$var" '%s' "$(echo "$b - $a" | bc -l)"
  printf -v "${var}_rss" '%s' "$(tail -n1 "$tmp/time.txt")"
  printf -v "${var}_ms" '%s' "$(line_ms)"
}
# bare VAR CMD...: wall seconds of CMD alone in VAR (bench-lib.sh: started
# as Nagios starts a check), duration_ms in VAR_ms
. "$here/bench-lib.sh"
bare() {
  bench_wall "$@"
  printf -v "${1}_ms" '%s' "$(line_ms)"
}
A=(--plugin-dir "$build/.libs")
# the ledger plugin's and the claims plugin's full passes in turn,
# FULL_RUNS times (default 3), each from an empty state directory: the
# fastest of each counts, and the median of the rounds' ratios beside it
# (this machine's speed drifts between minutes)
full_runs=${FULL_RUNS:-3}
led= full= ratios=()
for ((k = 0; k < full_runs; k++)); do
  rm -rf "$tmp/s-led" "$tmp/s-cl"
  timed l1 "$agent" "${A[@]}" --state-dir "$tmp/s-led" -p ledger -s ledger.source="$L" -s ledger.incremental=false
  cp "$tmp/out.txt" "$tmp/ledger.out"
  timed f1 "$agent" "${A[@]}" --state-dir "$tmp/s-cl" -p claims -s claims.source="$L"
  cp "$tmp/out.txt" "$tmp/full.out"
  ratios+=("$(echo "$f1 / $l1" | bc -l)")
  if [ -z "$led" ] || [ "$(echo "$l1 < $led" | bc -l)" = 1 ]; then
    led=$l1 led_ms=$l1_ms led_rss=$l1_rss
  fi
  if [ -z "$full" ] || [ "$(echo "$f1 < $full" | bc -l)" = 1 ]; then
    full=$f1 full_ms=$f1_ms full_rss=$f1_rss
  fi
done
ratio_med=$(printf '%s\n' "${ratios[@]}" | sort -g | sed -n "$(((full_runs + 1) / 2))p")
# the 1,000 events appended (not the file copied anew: with 280 MB of dirty
# pages the state's fsync waits for ext4's journal to write them all), then
# the incremental run INC_RUNS times (default 5) from the same state: the
# median of each figure
tail -n +$((n + 1)) "$long" >>"$L"
sync
cp -a "$tmp/s-cl" "$tmp/s-cl0"
runs=${INC_RUNS:-5}
: >"$tmp/inc.list"
for ((k = 0; k < runs; k++)); do
  rm -rf "$tmp/s-cl"
  cp -a "$tmp/s-cl0" "$tmp/s-cl"
  sync
  bare inc "$agent" "${A[@]}" --state-dir "$tmp/s-cl" -p claims -s claims.source="$L"
  echo "$inc $inc_ms" >>"$tmp/inc.list"
done
med() { cut -d' ' -f"$1" "$tmp/inc.list" | sort -g | sed -n "$(((runs + 1) / 2))p"; }
inc=$(med 1)
inc_ms=$(med 2)
cp "$tmp/out.txt" "$tmp/inc.out"
# and once more under GNU time, for its peak RSS
rm -rf "$tmp/s-cl"
cp -a "$tmp/s-cl0" "$tmp/s-cl"
timed inc1 "$agent" "${A[@]}" --state-dir "$tmp/s-cl" -p claims -s claims.source="$L"
inc_rss=$inc1_rss
mode=$(jq -r 'select(.check == "claims.lifecycle") | .details.mode' "$tmp/inc.out")
read_n=$(jq -r 'select(.check == "claims.lifecycle") | .metrics.events_read' "$tmp/inc.out")
kept=$(jq -r 'select(.check == "claims.lifecycle") | .metrics.claims_kept' "$tmp/inc.out")
state=$(stat -c %s "$tmp/s-cl/claims/claims.state")
printf '%-34s %10s %12s %10s\n' "run ($n events)" "wall s" "duration ms" "peak RSS KiB"
printf '%-34s %10.3f %12s %10s\n' "ledger plugin, full (best of $full_runs)" "$led" "$led_ms" "$led_rss"
printf '%-34s %10.3f %12s %10s\n' "claims plugin, full (best of $full_runs)" "$full" "$full_ms" "$full_rss"
printf '%-34s %10.3f %12s %10s\n' "claims plugin, +1000 ($mode, $read_n read; median of $runs)" "$inc" "$inc_ms" "$inc_rss"
echo "claims full / ledger full: $(echo "$full / $led" | bc -l | cut -c1-5) best, $(echo "$ratio_med" | cut -c1-5) median of rounds (target <= 1.5)"
echo "claims incremental / full: $(echo "100 * $inc / $full" | bc -l | cut -c1-5) % one-shot, $(echo "100 * $inc_ms / $full_ms" | bc -l | cut -c1-5) % in-plugin (target < 2 %)"
echo "claims kept in state: $kept; state file $state bytes"
