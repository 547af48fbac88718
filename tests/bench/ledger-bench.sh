#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ledger-bench.sh [BUILD_DIR] [EVENTS]: the ledger verifier's throughput and
# memory against baselines measured in the same run, over the same file
# (SPEC section 7). Not part of make check; prints figures, asserts nothing.
#   1. generates a ledger of EVENTS (default 1,000,000) events, members in
#      random order, plus the same ledger with 1,000 more events;
#   2. times, over the same file: this verifier through the agent (ledger
#      plugin, full run, every core), the engine alone (tests/bench/
#      ledger-verify), a straightforward Python verifier (json + hashlib,
#      sort_keys, compact separators, ensure_ascii=False),
#      `openssl dgst -sha256` and `sha256sum`; openssl, the engine and
#      the agent in turn for ROUNDS rounds (default 5), sha256sum three
#      times, the best counting (the machine may be shared: CPU seconds
#      are printed beside wall seconds), and beside it the median of the
#      ratios taken within each round, since a machine's speed can drift
#      between the minutes of one run;
#      in each round also the engine with shape replay turned off
#      (PROBE_JCS_SHAPES=0), so that what replay gains is measured in the
#      same run, and the verifier's floor: the same events' canonical
#      text, made beforehand, hashed alone as the verifier hashes it
#      (ledger-verify --floor, every core), which shows how much of the
#      agent's time is the hashing and how much all the rest;
#   2b. the same events with their members in one fixed order, the order
#      the service writes them (as a table's jsonb column or any fixed
#      serializer gives them too): openssl, the engine and the agent in
#      turn, 3 rounds, best of each;
#   3. appends 1,000 events and times the incremental run (full_budget=0)
#      against the full,
#      both per run (the plugin's duration_ms) and as one-shot invocations.
#   4. reports what the default full_budget (10% of a 5-minute interval)
#      decides for this ledger: a full pass on every run, or how often.
# LEDGER_BENCH_CACHE=DIR reuses (or keeps) the generated ledger.
# Peak resident memory comes from /usr/bin/time (GNU time), which reports
# the largest of the agent and its plugin child.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
n=${2:-1000000}
build=$(cd "$build" && pwd)
agent=$build/probe-agent
engine=$build/tests/bench/ledger-verify
[ -x "$agent" ] || { echo "no agent in $build (build first)" >&2; exit 1; }
[ -x "$engine" ] || make -C "$build" tests/bench/ledger-verify >/dev/null
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ledger-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# run as root, the agent runs its plugins as an unprivileged user: they
# must be able to read the ledger and keep state here
chmod 755 "$tmp"

# timed OUTVAR CMD...: runs CMD, stores wall seconds in OUTVAR and peak RSS
# (KiB) in OUTVAR_rss. The wall clock is bash's own, read without a fork: a
# `date` process on either side of a run added 2-4 ms to each (measured).
timed() {
  local var=$1; shift
  local a b
  a=$EPOCHREALTIME
  /usr/bin/time -f '%U %S %M' -o "$tmp/time.txt" "$@" >"$tmp/out.txt" 2>"$tmp/err.txt" || true
  b=$EPOCHREALTIME
  printf -v "$var" '%s' "$(echo "$b - $a" | bc -l)"
  printf -v "${var}_rss" '%s' "$(tail -n1 "$tmp/time.txt" | cut -d' ' -f3)"
  printf -v "${var}_cpu" '%s' "$(tail -n1 "$tmp/time.txt" | awk '{print $1 + $2}')"
}
# wall OUTVAR CMD...: a one-shot's wall seconds (bench-lib.sh)
. "$here/bench-lib.sh"
wall() { bench_wall "$@"; }

# LEDGER_BENCH_CACHE=DIR keeps the generated ledger there for later runs
cache=${LEDGER_BENCH_CACHE:-}
if [ -n "$cache" ] && [ -s "$cache/long-$n.jsonl" ]; then
  cp "$cache/long-$n.jsonl" "$tmp/long.jsonl"
else
  echo "generating $((n + 1000)) events..." >&2
  python3 "$top/tests/integration/ledger-gen.py" $((n + 1000)) >"$tmp/long.jsonl"
  [ -n "$cache" ] && mkdir -p "$cache" && cp "$tmp/long.jsonl" "$cache/long-$n.jsonl"
fi
head -n "$n" "$tmp/long.jsonl" >"$tmp/ledger.jsonl"
bytes=$(stat -c %s "$tmp/ledger.jsonl")
mb=$(echo "$bytes / 1000000" | bc -l)
cat "$tmp/ledger.jsonl" >/dev/null # warm the page cache for everyone

cat >"$tmp/pyverify.py" <<'P'
import hashlib, json, sys
prev_seq, prev_hash = 0, "0" * 64
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        ev = json.loads(line)
        h = ev.pop("hash")
        if ev["seq"] != prev_seq + 1 or ev["prev_hash"] != prev_hash:
            sys.exit("chain broken at %s" % ev["seq"])
        c = json.dumps(ev, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if hashlib.sha256(c.encode("utf-8")).hexdigest() != h:
            sys.exit("hash mismatch at %s" % ev["seq"])
        prev_seq, prev_hash = ev["seq"], h
print(prev_seq)
P

state=$tmp/state
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
# best NAME CMD...: timed three times; NAME, NAME_rss, NAME_cpu of the run
# with the least wall time (the least disturbed by other load)
best() {
  local var=$1 i w bw= brss= bcpu=; shift
  for i in 1 2 3; do
    timed _b "$@"
    w=$_b
    if [ -z "$bw" ] || [ "$(echo "$w < $bw" | bc -l)" = 1 ]; then
      bw=$w brss=$_b_rss bcpu=$_b_cpu
    fi
  done
  printf -v "$var" '%s' "$bw"
  printf -v "${var}_rss" '%s' "$brss"
  printf -v "${var}_cpu" '%s' "$bcpu"
}
best t_sha256sum sha256sum "$tmp/ledger.jsonl"
# openssl, the engine and the agent's full run in turn, ROUNDS times (this
# machine's speed drifts between minutes: a ratio is taken within a round);
# the agent each time from an empty state directory. Each one's best run
# counts for its row, and the median of the rounds' ratios beside it.
rounds=${ROUNDS:-5}
full_walls=() full_durs=() t_best= round_ratio=() round_eratio=()
t_openssl= t_engine= t_noshape= round_sratio=() t_floor=
for i in $(seq "$rounds"); do
  timed _o openssl dgst -sha256 "$tmp/ledger.jsonl"
  if [ -z "$t_openssl" ] || [ "$(echo "$_o < $t_openssl" | bc -l)" = 1 ]; then
    t_openssl=$_o t_openssl_rss=$_o_rss t_openssl_cpu=$_o_cpu
  fi
  timed _e "$engine" "$tmp/ledger.jsonl" 0
  grep -q "^ok " "$tmp/out.txt" || { cat "$tmp/out.txt" >&2; echo "engine did not verify" >&2; }
  if [ -z "$t_engine" ] || [ "$(echo "$_e < $t_engine" | bc -l)" = 1 ]; then
    t_engine=$_e t_engine_rss=$_e_rss t_engine_cpu=$_e_cpu
  fi
  timed _s env PROBE_JCS_SHAPES=0 "$engine" "$tmp/ledger.jsonl" 0
  grep -q "^ok " "$tmp/out.txt" || { cat "$tmp/out.txt" >&2; echo "engine (no replay) did not verify" >&2; }
  if [ -z "$t_noshape" ] || [ "$(echo "$_s < $t_noshape" | bc -l)" = 1 ]; then
    t_noshape=$_s t_noshape_rss=$_s_rss t_noshape_cpu=$_s_cpu
  fi
  round_sratio+=("$(echo "$_s / $_e" | bc -l)")
  # its own clock: the canonicalizing before it is not the floor
  "$engine" --floor "$tmp/ledger.jsonl" 0 >"$tmp/floor.txt" 2>&1 || cat "$tmp/floor.txt" >&2
  _f=$(awk '/^floor /{print $4}' "$tmp/floor.txt")
  if [ -n "$_f" ] && { [ -z "$t_floor" ] || [ "$(echo "$_f < $t_floor" | bc -l)" = 1 ]; }; then
    t_floor=$_f floor_bytes=$(awk '/^floor /{print $3}' "$tmp/floor.txt")
  fi
  rm -rf "$state"
  timed t_agent "$agent" --plugin-dir "$build/.libs" --state-dir "$state" -p ledger \
    -s ledger.source="$tmp/ledger.jsonl" -s agent.timeout=3600 -s ledger.timeout=3600
  grep -q '"status":"ok"' "$tmp/out.txt" || { cat "$tmp/out.txt" "$tmp/err.txt" >&2; echo "agent run not ok" >&2; }
  grep -q '"mode":"full"' "$tmp/out.txt" || echo "warning: full run $i was not full" >&2
  full_walls+=("$t_agent")
  round_ratio+=("$(echo "$_o / $t_agent" | bc -l)")
  round_eratio+=("$(echo "$_o / $_e" | bc -l)")
  if [ -z "$t_best" ] || [ "$(echo "$t_agent < $t_best" | bc -l)" = 1 ]; then
    t_best=$t_agent t_best_rss=$t_agent_rss t_best_cpu=$t_agent_cpu
  fi
  full_durs+=("$(jq -r .duration_ms "$tmp/out.txt")")
done
echo "python verifier..." >&2
timed t_py python3 "$tmp/pyverify.py" "$tmp/ledger.jsonl"

# the same events, members in the service's fixed order
if [ -n "$cache" ] && [ -s "$cache/svc-$n.jsonl" ]; then
  cp "$cache/svc-$n.jsonl" "$tmp/svc.jsonl"
else
  echo "generating $n events in the service's member order..." >&2
  python3 "$top/tests/integration/ledger-gen.py" --service-order "$n" >"$tmp/svc.jsonl"
  [ -n "$cache" ] && mkdir -p "$cache" && cp "$tmp/svc.jsonl" "$cache/svc-$n.jsonl"
fi
cat "$tmp/svc.jsonl" >/dev/null
v_openssl= v_engine= v_agent= v_ratio=()
for i in 1 2 3; do
  timed _o openssl dgst -sha256 "$tmp/svc.jsonl"
  [ -z "$v_openssl" ] || [ "$(echo "$_o < $v_openssl" | bc -l)" = 1 ] && v_openssl=$_o v_openssl_rss=$_o_rss v_openssl_cpu=$_o_cpu
  timed _e "$engine" "$tmp/svc.jsonl" 0
  grep -q "^ok " "$tmp/out.txt" || { cat "$tmp/out.txt" >&2; echo "engine did not verify (service order)" >&2; }
  [ -z "$v_engine" ] || [ "$(echo "$_e < $v_engine" | bc -l)" = 1 ] && v_engine=$_e v_engine_rss=$_e_rss v_engine_cpu=$_e_cpu
  rm -rf "$tmp/svcstate"
  timed _a "$agent" --plugin-dir "$build/.libs" --state-dir "$tmp/svcstate" -p ledger \
    -s ledger.source="$tmp/svc.jsonl" -s agent.timeout=3600 -s ledger.timeout=3600
  grep -q '"status":"ok"' "$tmp/out.txt" || { cat "$tmp/out.txt" "$tmp/err.txt" >&2; echo "agent run not ok (service order)" >&2; }
  [ -z "$v_agent" ] || [ "$(echo "$_a < $v_agent" | bc -l)" = 1 ] && v_agent=$_a v_agent_rss=$_a_rss v_agent_cpu=$_a_cpu
  v_ratio+=("$(echo "$_o / $_a" | bc -l)")
done
rm -rf "$tmp/svcstate" "$tmp/svc.jsonl"

# incremental: 1,000 more events appended, as a service appends them; the
# run is repeated from the full run's checkpoint, and the median is taken
tail -n +$((n + 1)) "$tmp/long.jsonl" >>"$tmp/ledger.jsonl"
cp "$state/ledger/checkpoint.json" "$tmp/checkpoint.full"
incr_walls=() incr_durs=()
for i in $(seq 15); do
  cp "$tmp/checkpoint.full" "$state/ledger/checkpoint.json"
  wall t_incr "$agent" --plugin-dir "$build/.libs" --state-dir "$state" -p ledger \
    -s ledger.source="$tmp/ledger.jsonl" -s agent.timeout=3600 -s ledger.timeout=3600 \
    -s ledger.full_budget=0
  incr_line=$(cat "$tmp/out.txt")
  echo "$incr_line" | grep -q '"mode":"incremental"' || echo "warning: run $i was not incremental: $incr_line" >&2
  echo "$incr_line" | grep -q '"verified_events":1000,' || echo "warning: run $i did not verify 1,000 events: $incr_line" >&2
  incr_walls+=("$t_incr")
  incr_durs+=("$(echo "$incr_line" | jq -r .duration_ms)")
done
# the default full_budget (10% of the interval) at a 5-minute interval:
# what the plugin decides for this ledger, from its last full pass
cp "$tmp/checkpoint.full" "$state/ledger/checkpoint.json"
"$agent" --plugin-dir "$build/.libs" --state-dir "$state" -p ledger \
  -s ledger.source="$tmp/ledger.jsonl" -s agent.timeout=3600 -s ledger.timeout=3600 \
  -s ledger.interval=300 >"$tmp/budget.txt" 2>/dev/null || true
budget_mode=$(jq -r .details.mode "$tmp/budget.txt")
budget_full=$(jq -r '.metrics.full_pass_seconds' "$tmp/budget.txt")
budget_every=$(echo "$budget_full / 30" | bc -l)
t_med=$(median "${full_walls[@]}")
t_agent=$t_best t_agent_rss=$t_best_rss t_agent_cpu=$t_best_cpu
d_full=$(median "${full_durs[@]}")
t_incr=$(median "${incr_walls[@]}")
t_incr_min=$(printf '%s\n' "${incr_walls[@]}" | sort -g | head -n1)
# the floor under any one-shot: a process that does nothing, started alike
true_walls=()
for i in $(seq 15); do wall t_true /bin/true; true_walls+=("$t_true"); done
t_true=$(median "${true_walls[@]}")
d_incr=$(median "${incr_durs[@]}")

rate() { echo "$1 / $2" | bc -l; }
printf 'ledger: %d events, %.1f MB, %d CPUs, load %s\n' "$n" "$mb" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
# the canonicalizer's implementation for this CPU, and what SHA-256 can use
printf '%s%s\n' "$("$engine" --cpu 2>/dev/null || echo 'canonicalizer path unknown (engine too old)')" \
  "$(grep -qw sha_ni /proc/cpuinfo && echo ' sha_ni')"
printf '%-28s %9s %12s %10s %10s %9s\n' "" seconds events/s MB/s "peak RSS" "CPU s"
row() { printf '%-28s %9.2f %12.0f %10.1f %6.1f MiB %9.2f\n' "$1" "$2" "$(rate "$n" "$2")" "$(rate "$mb" "$2")" "$(echo "$3 / 1024" | bc -l)" "$4"; }
row "probe-agent ledger (full)*" "$t_agent" "$t_agent_rss" "$t_agent_cpu"
row "lverify engine alone" "$t_engine" "$t_engine_rss" "$t_engine_cpu"
row "python json+hashlib" "$t_py" "$t_py_rss" "$t_py_cpu"
row "openssl dgst -sha256" "$t_openssl" "$t_openssl_rss" "$t_openssl_cpu"
row "sha256sum" "$t_sha256sum" "$t_sha256sum_rss" "$t_sha256sum_cpu"
row "engine, no shape replay" "$t_noshape" "$t_noshape_rss" "$t_noshape_cpu"
echo "the same events, members in the service's order:"
row "  probe-agent ledger (full)" "$v_agent" "$v_agent_rss" "$v_agent_cpu"
row "  lverify engine alone" "$v_engine" "$v_engine_rss" "$v_engine_cpu"
row "  openssl dgst -sha256" "$v_openssl" "$v_openssl_rss" "$v_openssl_cpu"
printf '* best of %d full runs (median %.2f s), each from an empty state directory;\n' "$rounds" "$t_med"
printf '  openssl, engine, agent in turn, %d rounds, best of each; sha256sum: best of 3;\n  Python: one run\n' "$rounds"
printf 'ratio agent / python:    %.1fx  (SPEC 7: >= 20x)\n' "$(rate "$t_py" "$t_agent")"
printf 'ratio agent / openssl:   %.2f best, %.2f median of rounds  (SPEC 7: >= 1.00, MB/s on the same file)\n' \
  "$(rate "$t_openssl" "$t_agent")" "$(median "${round_ratio[@]}")"
printf 'ratio agent / sha256sum: %.2f\n' "$(rate "$t_sha256sum" "$t_agent")"
printf 'ratio engine / openssl:  %.2f best, %.2f median of rounds\n' \
  "$(rate "$t_openssl" "$t_engine")" "$(median "${round_eratio[@]}")"
printf 'shape replay: engine without / with it  %.2f best, %.2f median of rounds\n' \
  "$(rate "$t_noshape" "$t_engine")" "$(median "${round_sratio[@]}")"
printf 'service order: agent / openssl %.2f best, %.2f median of 3 rounds\n' \
  "$(rate "$v_openssl" "$v_agent")" "$(median "${v_ratio[@]}")"
if [ -n "$t_floor" ]; then
  printf 'floor, the canonical text (%.1f MB) hashed alone, every core: %.3f s (%.1f MB/s of the file)\n' \
    "$(echo "$floor_bytes / 1000000" | bc -l)" "$t_floor" "$(rate "$mb" "$t_floor")"
  printf '  all but the hashing: agent %.3f s; for agent >= openssl it may take %.3f s\n' \
    "$(echo "$t_agent - $t_floor" | bc -l)" "$(echo "$t_openssl - $t_floor" | bc -l)"
fi
printf 'CPU seconds per MB: agent %.2f ms, openssl %.2f ms\n' \
  "$(echo "1000 * $t_agent_cpu / $mb" | bc -l)" "$(echo "1000 * $t_openssl_cpu / $mb" | bc -l)"
# The plugin's own duration_ms runs from the fork of its process to its
# result: what each scheduled run costs a daemon, which describes its
# plugins once at start-up. A one-shot invocation adds the agent's start to
# both sides (one process: its run child checks the plugin's settings).
printf 'incremental, 1,000 appended (median of 15; full: best of %d):\n' "$rounds"
printf '  per run (plugin duration_ms): %.1f ms of %.1f ms = %.2f%%  (target < 2%%)\n' \
  "$d_incr" "$d_full" "$(echo "100 * $d_incr / $d_full" | bc -l)"
printf '  one-shot agent wall time:     %.1f ms of %.1f ms = %.2f%%  (target < 2%%)\n' \
  "$(echo "1000 * $t_incr" | bc -l)" "$(echo "1000 * $t_agent" | bc -l)" "$(echo "100 * $t_incr / $t_agent" | bc -l)"
printf '    fastest %.1f ms; /bin/true started alike: %.1f ms\n' \
  "$(echo "1000 * $t_incr_min" | bc -l)" "$(echo "1000 * $t_true" | bc -l)"
printf 'full_budget default at a 5 min interval (30 s): full pass %.2f s, next run %s;\n' \
  "$budget_full" "$budget_mode"
if [ "$(echo "$budget_every <= 1" | bc -l)" = 1 ]; then
  printf '  a full pass on every run (every 5 min)\n'
else
  printf '  a full pass every %.1f runs\n' "$budget_every"
fi
printf 'peak RSS of the agent run: %.1f MiB (target < 16 MiB)\n' "$(echo "$t_agent_rss / 1024" | bc -l)"
