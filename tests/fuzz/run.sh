#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/fuzz/run.sh: runs libFuzzer targets for a few seconds each on their
# seed corpus (tests/fuzz/corpus/<name without fuzz->), FUZZ_JOBS at once
# (default: the number of CPUs), and fails when one of them finds a crash,
# a leak, a sanitizer report or a timeout. New inputs go to a scratch copy
# of the corpus, never into the source tree; a crashing input is kept in
# OUT (default: a temporary directory) and named in the output.
#   tests/fuzz/run.sh [-t SECONDS] [-o OUT] TARGET...
# One line per target: its name, executions, coverage (edges) and features.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=5 out=
while getopts 't:o:' opt; do
  case $opt in
    t) secs=$OPTARG ;;
    o) out=$OPTARG ;;
    *) exit 64 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-t SECONDS] [-o OUT] TARGET..." >&2; exit 64; }
[ -n "$out" ] || out=$(mktemp -d /tmp/probe-fuzz.XXXXXX)
mkdir -p "$out"
jobs=${FUZZ_JOBS:-$(nproc)}

# one TARGET: runs it into $out/<name>.log; the exit status is libFuzzer's
one() {
  local bin=$1 name seeds work
  name=$(basename "$bin")
  seeds=$here/corpus/${name#fuzz-}
  work=$out/$name.corpus
  mkdir -p "$work" "$out/$name.artifacts"
  [ -d "$seeds" ] || { echo "$name: no seed corpus $seeds" >"$out/$name.log"; return 1; }
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/$name.artifacts/" \
    "$work" "$seeds" >"$out/$name.log" 2>&1
}

# the "#N DONE cov: C ft: F" line and the final stats of a log
summary() {
  local log=$1 execs cov ft
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  echo "execs=${execs:-?} edges=${cov:-?} features=${ft:-?}"
}

failed=0 running=0 pids=() names=()
for bin in "$@"; do
  one "$bin" & pids+=($!) names+=("$bin")
  running=$((running + 1))
  if [ $running -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
for i in "${!pids[@]}"; do
  name=$(basename "${names[$i]}")
  if wait "${pids[$i]}"; then
    printf '  %-20s ok    %s\n' "$name" "$(summary "$out/$name.log")"
  else
    failed=1
    printf '  %-20s FAIL  %s\n' "$name" "$(summary "$out/$name.log")"
    grep -E 'ERROR|SUMMARY|Test unit written|no seed' "$out/$name.log" | head -5 | sed 's/^/    /'
  fi
done
exit $failed
