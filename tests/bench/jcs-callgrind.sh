#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# jcs-callgrind.sh [BUILD_DIR] [EVENTS]: instructions per ledger line of the
# canonicalizer alone (tests/bench/jcs-bench), counted by valgrind's
# callgrind, which stays repeatable on a loaded machine where wall time is
# noise. For each implementation (full parser, fast path with SWAR, SSE2,
# AVX2 where the CPU has them) and for three generated ledgers: members in
# canonical order (--plain), shuffled (the benchmark's default) and
# respelled (white space, escapes, 1.0: every line falls back to the full
# parser). Not part of make check; prints figures, asserts nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
n=${2:-20000}
bench=$build/tests/bench/jcs-bench
[ -x "$bench" ] || make -C "$build" tests/bench/jcs-bench >/dev/null
command -v valgrind >/dev/null || { echo "needs valgrind" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jcs-callgrind.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
gen=$top/tests/integration/ledger-gen.py
python3 "$gen" --plain "$n" >"$tmp/plain.jsonl"
python3 "$gen" "$n" >"$tmp/shuffled.jsonl"
python3 "$gen" --respell "$n" >"$tmp/respelled.jsonl"
printf '%-10s %-6s %8s %8s %12s %8s\n' ledger path lines fast Ir/line Ir/byte
for l in plain shuffled respelled; do
  bytes=$(stat -c %s "$tmp/$l.jsonl")
  for p in full swar sse2 avx2; do
    "$bench" "$tmp/$l.jsonl" "$p" >/dev/null 2>&1 || continue
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
      --toggle-collect=crypto_jcs_canonicalize_omit \
      "$bench" "$tmp/$l.jsonl" "$p" >"$tmp/out.txt" 2>"$tmp/err.txt"
    ir=$(grep -m1 '^summary:' "$tmp/cg.out" | awk '{print $2}')
    read -r _ lines fast _ _ <"$tmp/out.txt"
    printf '%-10s %-6s %8s %8s %12.0f %8.2f\n' "$l" "$p" "$lines" "$fast" \
      "$(echo "$ir / $lines" | bc -l)" "$(echo "$ir / $bytes" | bc -l)"
  done
done
