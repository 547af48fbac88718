#!/usr/bin/env bash
# report-bench.sh [BUILD_DIR] [HOSTS] [HOURS]: probe-report's throughput and
# peak memory over a week of a busy daemon's lines (default 34 hosts x 168 h
# x 6 checks a minute: about 2 million lines), against baselines over the
# same file measured in the same run: `wc -l` (reading only) and `jq -c .`
# (parsing every line). Not part of make check; prints figures, asserts
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

# timed NAME CMD...: wall seconds and peak RSS (KiB) of CMD, output discarded
timed() {
  local name=$1; shift
  local a b
  a=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/err" || true
  b=$(date +%s.%N)
  local s rss
  s=$(echo "$b - $a" | bc -l)
  rss=$(tail -n 1 "$tmp/rss")
  printf '%-28s %8.2f s %12.0f lines/s %9s KiB peak RSS\n' "$name" "$s" "$(echo "$n / $s" | bc -l)" "$rss"
  eval "t_${name//[^a-z0-9]/_}=$s"
}

printf '%s lines, %s MiB\n' "$n" "$((bytes / 1048576))"
timed wc wc -l "$lines"
timed jq jq -c . "$lines"
timed review "$report" review "$lines"
timed review_html "$report" review --html "$lines"
timed review_gz "$report" review "$lines.gz"
timed daily "$report" daily --until 2026-12-05T00:00:00Z "$lines"
printf 'probe-report review vs jq -c: %.1fx faster; vs wc -l: %.1fx the time\n' \
  "$(echo "$t_jq / $t_review" | bc -l)" "$(echo "$t_review / $t_wc" | bc -l)"
