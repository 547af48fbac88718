#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# report-bench.sh [BUILD_DIR] [HOSTS] [HOURS]: probe-report's throughput and
# peak memory over a week of a busy daemon's lines (default 34 hosts x 168 h
# x 6 checks a minute: about 2 million lines), against baselines over the
# same file measured in the same run: `wc -l` (reading only) and
# `jq -cR 'fromjson? // empty'` (parsing every line, skipping the ones that
# are not JSON as probe-report does; plain `jq -c .` stops at the first). Not part of make check; prints figures, asserts
# nothing. Peak resident memory from GNU time (apt-get install time).
# REPORT_BENCH_CACHE=DIR reuses (or keeps) the generated lines.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
hosts=${2:-34}
hours=${3:-168}
report=$build/probe-report
[ -x "$report" ] || { echo "no probe-report in $build (build first)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/report-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cache=${REPORT_BENCH_CACHE:-$tmp}
mkdir -p "$cache"
lines=$cache/lines-$hosts-$hours.jsonl
if [ ! -s "$lines" ]; then
  echo "generating $hosts hosts x $hours h of lines ..."
  python3 "$top/tests/report/gen-lines.py" --hosts "$hosts" --hours "$hours" >"$lines"
fi
[ -s "$lines.gz" ] || gzip -1 -c "$lines" >"$lines.gz"
n=$(wc -l <"$lines")
bytes=$(stat -c %s "$lines")

# timed NAME CMD...: wall and CPU (user + system) seconds and peak RSS (KiB)
# of CMD, output discarded. Lines per CPU second are the figure to compare
# on a shared machine, where wall time depends on the load.
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || true
  local e u s rss cpu
  read -r e u s rss < <(tail -n 1 "$tmp/time")
  cpu=$(echo "$u + $s" | bc -l)
  printf '%-12s %7.2f s wall %7.2f s CPU %10.0f lines/CPU-s %8s KiB peak RSS\n' \
    "$name" "$e" "$cpu" "$(echo "$n / ($cpu + 0.001)" | bc -l)" "$rss"
  eval "t_${name//[^a-z0-9]/_}=$cpu"
}

printf '%s lines, %s MiB\n' "$n" "$((bytes / 1048576))"
timed wc wc -l "$lines"
timed jq jq -cR 'fromjson? // empty' "$lines"
timed review "$report" review "$lines"
timed review_html "$report" review --html "$lines"
timed review_gz "$report" review "$lines.gz"
timed daily "$report" daily --until 2026-12-05T00:00:00Z "$lines"
printf 'probe-report review (CPU time): %.1fx the speed of jq; %.1fx the time of wc -l\n' \
  "$(echo "$t_jq / $t_review" | bc -l)" "$(echo "$t_review / $t_wc" | bc -l)"
