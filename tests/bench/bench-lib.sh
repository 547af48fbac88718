# SPDX-License-Identifier: Apache-2.0
# bench-lib.sh: shell helpers the benchmarks share; sourced, with $tmp set.

# bench_wall VAR CMD...: wall seconds of CMD alone in VAR, started by this
# shell as Nagios starts a check: no GNU time fork and exec in between, and
# the clock bash's own (a `date` process on either side added 2-4 ms to a
# one-shot run, measured). CMD's output goes to $tmp/out.txt and
# $tmp/err.txt.
bench_wall() {
  local var=$1; shift
  local a b
  a=$EPOCHREALTIME
  "$@" >"$tmp/out.txt" 2>"$tmp/err.txt" || true
  b=$EPOCHREALTIME
  printf -v "$var" '%s' "$(echo "$b - $a" | bc -l)"
}
