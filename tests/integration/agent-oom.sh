#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/agent-oom.sh: the agent when memory runs out. Each
# allocation the agent asks for (and cJSON on its behalf) fails in turn,
# alone and with every one after it (tests/lib/failalloc-preload.c), on a
# one-shot of the ledger plugin over an intact ledger and a broken one, in
# the JSON format and in Nagios's; the plugin's own run child is not failed
# (tests/unit/ledger-oom does the verifier). Whatever fails, a run never
#   - gives a verdict other than the true one (ok for the intact ledger,
#     critical for the broken one) or an exit status that says one,
#   - exits 0 without its ok line, or with anything but critical or
#     unknown on the broken ledger,
#   - ends without a word: no result line and nothing on standard error
#     (for Nagios, no line on standard output),
#   - crashes or hangs.
# --list-plugins gets the same sweep: it lists every plugin by its name
# or says on standard error why it cannot, and never prints a name it lost.
. "$top_srcdir/tests/lib/env.sh"
plain_pass_only "LD_PRELOAD's allocator and AddressSanitizer's do not mix"
preload=$top_builddir/tests/lib/.libs/libfailalloc.so
[ -f "$preload" ] || fail "no $preload (make check builds it)"
out=$TEST_TMP/out err=$TEST_TMP/err mark=$TEST_TMP/mark

# one N AFTER LEDGER [ARGS...]: a one-shot with allocation N failing (and
# all after it when AFTER is 1); sets rc. timeout comes first, so that only
# the agent is preloaded.
one() {
  local n=$1 after=$2 ledger=$3
  shift 3
  rm -f "$mark"
  rm -rf "$TEST_TMP/state"
  rc=0
  timeout -k 5 60 env FAILALLOC_AT="$n" ${after:+FAILALLOC_AFTER=1} FAILALLOC_MARK="$mark" \
    LD_PRELOAD="$preload" "$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" \
    --state-dir "$TEST_TMP/state" -p ledger -s "ledger.source=$ledger" "$@" \
    >"$out" 2>"$err" || rc=$?
}

# broken N WHY: fails the test with what the run printed.
broken() {
  echo "--- stdout:" >&2; head -c 2000 "$out" >&2
  echo "--- stderr:" >&2; head -c 2000 "$err" >&2
  fail "$label, allocation $1 failing: $2 (exit $rc)"
}

# sweep LABEL WANT AFTER LEDGER [ARGS...]: every allocation of the run in
# turn, until a run meets no failure; WANT is ok or critical.
sweep() {
  local want=$2 after=$3 ledger=$4 n chain format=json
  label=$1
  shift 4
  [ "${1:-}" = --format ] && format=$2
  for ((n = 1; ; n++)); do
    one "$n" "$after" "$ledger" "$@"
    [ -e "$mark" ] || break # past the run's last allocation
    [ "$rc" -lt 124 ] || broken "$n" "crashed or hung"
    if [ "$format" = json ]; then
      chain=$(grep -o '"check":"ledger.chain","target":"[^"]*","status":"[a-z]*"' "$out" |
        sed 's/.*"status":"//; s/"$//' | head -n1 || true)
    else
      chain=$(head -n1 "$out" | grep -o '^LEDGER [A-Z]*' | sed 's/^LEDGER //' |
        tr '[:upper:]' '[:lower:]' || true)
    fi
    case $want:$chain in
    ok:ok | ok:unknown | ok: | critical:critical | critical:unknown | critical:) ;;
    *) broken "$n" "the ledger.chain line says ${chain}, not $want" ;;
    esac
    case $want:$rc in
    ok:0) [ "$chain" = ok ] || broken "$n" "exit 0 without the ok line" ;;
    critical:2 | ok:3 | ok:71 | critical:3 | critical:71) ;;
    *) broken "$n" "exit $rc" ;;
    esac
    [ -s "$out" ] || [ -s "$err" ] || broken "$n" "not a word"
    # Nagios reads standard output only
    [ "$format" = json ] || [ -s "$out" ] || broken "$n" "no line for Nagios"
    # the plugin's lines are whole: the agent's memory is not their fault
    ! grep -q 'invalid result line' "$out" "$err" ||
      broken "$n" "the plugin blamed for the agent's memory"
  done
  [ "$n" -gt 50 ] || fail "$label: only $n allocations: is the preload failing any?"
  # the run after the last allocation is an ordinary one
  [ "$rc" = "$([ "$want" = ok ] && echo 0 || echo 2)" ] || broken "$n" "the run without failures"
  echo "agent-oom: $label: $((n - 1)) allocations failed in turn"
}

valid=$top_srcdir/tests/vectors/ledger-valid.jsonl
bad=$top_srcdir/tests/vectors/ledger-broken-payload.jsonl
sweep "intact ledger" ok "" "$valid"
sweep "intact ledger, memory staying short" ok 1 "$valid"
sweep "broken ledger" critical "" "$bad"
sweep "broken ledger, memory staying short" critical 1 "$bad"
sweep "broken ledger, Nagios format" critical "" "$bad" --format nagios
sweep "intact ledger, memory staying short, Nagios format" ok 1 "$valid" --format nagios

# two plugins are enough (each costs some 300 allocations to describe)
plugdir=$TEST_TMP/plugins
mkdir -m 755 "$plugdir"
for p in ledger tls; do
  cp "$PROBE_AGENT_PLUGIN_DIR/$p.so" "$plugdir/"
done
# list N AFTER: --list-plugins with allocation N failing; sets rc.
list() {
  rm -f "$mark"
  rc=0
  timeout -k 5 60 env FAILALLOC_AT="$1" ${2:+FAILALLOC_AFTER=1} FAILALLOC_MARK="$mark" \
    LD_PRELOAD="$preload" "$PROBE_AGENT" --plugin-dir "$plugdir" \
    --list-plugins >"$out" 2>"$err" || rc=$?
}
nplugins=2
for after in "" 1; do
  label="--list-plugins${after:+, memory staying short}"
  for ((n = 1; ; n++)); do
    list "$n" "$after"
    [ -e "$mark" ] || break
    [ "$rc" -lt 124 ] || broken "$n" "crashed or hung"
    case $rc in
    0 | 1) # listed: each plugin by its name, none lost to a failed copy
      [ "$(wc -l <"$out")" -eq "$nplugins" ] || broken "$n" "not $nplugins lines"
      ! grep -q '(null)' "$out" || broken "$n" "a name lost" ;;
    71) [ -s "$err" ] || broken "$n" "exit 71 without a word" ;;
    *) broken "$n" "exit $rc" ;;
    esac
  done
  [ "$n" -gt 5 ] || fail "$label: only $n allocations: is the preload failing any?"
  [ "$rc" = 0 ] || broken "$n" "the run without failures"
  ! grep -q '(null)' "$out" || broken "$n" "a name lost"
  echo "agent-oom: $label: $((n - 1)) allocations failed in turn"
done
