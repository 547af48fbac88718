#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ledger-compare.sh: the ledger plugin's compare_with (issue 15, checklist
# T-12h "backup verified", rollback 3.3 "verify restored ledger"): a true
# snapshot (a prefix of the live ledger) is ok and says both heads; a stale
# one is a warning past max_lag_events; one whose tail was re-chained after
# seq N (every hash valid on its own) is critical, naming seq N+1; a copy
# that is itself broken is critical; a missing copy is unknown. The copy
# is read in step with the live ledger's one verification pass: a live
# ledger on standard input (readable once) is compared all the same; a run
# with a checkpoint is still a full one. With PostgreSQL: the copy in a
# table (a restored instance), the live ledger in one, both in tables.
. "$top_srcdir/tests/lib/env.sh"
case " ${PROBE_BUILT_PLUGINS:-} " in *" ledger.la "*) ;; *) echo "SKIP: ledger plugin not built" >&2; exit 77 ;; esac
gen() { python3 "$top_srcdir/tests/integration/ledger-gen.py" "$@"; }
live=$TEST_TMP/live.jsonl
gen 300 >"$live"
head -n 250 "$live" >"$TEST_TMP/true.jsonl"
head -n 100 "$live" >"$TEST_TMP/stale.jsonl"
# re-chain after seq 180: a changed payload, every later hash recomputed,
# the anchors into the re-chained part made to agree (a valid ledger)
python3 - "$live" 180 >"$TEST_TMP/forked.jsonl" <<'PY'
import hashlib, json, sys
n = int(sys.argv[2]); prev = None; new = {}
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if ev["seq"] > n:
        if ev["seq"] == n + 1:
            ev["payload"]["forged"] = True
        if ev["type"] == "AnchorSubmitted" and ev["payload"]["anchored_seq"] > n:
            ev["payload"]["anchored_hash"] = new[ev["payload"]["anchored_seq"]]
        ev["prev_hash"] = prev
        body = {k: v for k, v in ev.items() if k != "hash"}
        ev["hash"] = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                               ensure_ascii=False).encode()).hexdigest()
    prev = new[ev["seq"]] = ev["hash"]
    print(json.dumps(ev, separators=(",", ":"), ensure_ascii=False))
PY
# a valid ledger on its own (the copy's pass checks every rule)
TEST_STATE_DIR=$TEST_TMP/st0 agent --plugin ledger -s "ledger.source=$TEST_TMP/forked.jsonl" >"$TEST_TMP/out.jsonl" 2>/dev/null ||
  { cat "$TEST_TMP/out.jsonl" >&2; fail "the re-chained ledger is not valid on its own"; }
gen --break hash_mismatch:40 200 >"$TEST_TMP/broken.jsonl"
out=$TEST_TMP/out.jsonl
run() { rc=0; agent --plugin ledger -s "ledger.source=$live" -s "ledger.compare_with=$1" "${@:2}" >"$out" 2>"$TEST_TMP/err" || rc=$?; }
cmp_line() {
  jq -c 'select(.check == "ledger.compare")' "$out" >"$TEST_TMP/line.json"
  [ -s "$TEST_TMP/line.json" ] || { cat "$out" "$TEST_TMP/err" >&2; fail "no ledger.compare line"; }
  jq_assert "$TEST_TMP/line.json" "$1" "${2:-ledger.compare: $1}"
}
live_head=$(tail -n 1 "$live" | jq -r .hash)

run "$TEST_TMP/true.jsonl"
[ "$rc" = 0 ] || { cat "$out" >&2; fail "a true snapshot: exit $rc"; }
cmp_line ".status == \"ok\" and .metrics.head_seq == 300 and .metrics.compare_head_seq == 250 and .metrics.lag_events == 50
  and .metrics.compared_events == 250 and .details.head_hash == \"$live_head\"
  and (.summary | test(\"live head seq 300 .*copy head seq 250\"))"
jq_assert "$out" 'select(.check == "ledger.chain") | .status == "ok"' "the live ledger's own line"
# the copy equal to the live ledger
run "$live"
cmp_line '.status == "ok" and .metrics.lag_events == 0'

run "$TEST_TMP/stale.jsonl"
[ "$rc" = 1 ] || fail "a stale snapshot: exit $rc"
cmp_line '.status == "warning" and .metrics.lag_events == 200 and (.summary | test("lags by 200 events \\(max_lag_events=100\\)"))'
run "$TEST_TMP/stale.jsonl" -s ledger.max_lag_events=500
cmp_line '.status == "ok"'

run "$TEST_TMP/forked.jsonl"
[ "$rc" = 2 ] || fail "a re-chained tail: exit $rc"
cmp_line '.status == "critical" and .details.fork_seq == 181 and (.summary | test("fork: the copies differ from seq 181 on"))
  and .metrics.compare_head_seq == 300'

run "$TEST_TMP/broken.jsonl"
[ "$rc" = 2 ] || fail "a broken copy: exit $rc"
cmp_line '.status == "critical" and .details.compare_bad_seq == 40 and (.summary | test("hash_mismatch"))'

# broken by a rule beyond the chain's links: an anchor whose anchored_hash
# is not its event's, a missing member (the copy's pass checks them all)
gen --break anchor_mismatch:150 200 >"$TEST_TMP/badanchor.jsonl"
run "$TEST_TMP/badanchor.jsonl"
cmp_line '.status == "critical" and .details.compare_bad_seq == 150 and (.summary | test("anchor_mismatch"))'
gen --break missing_member:120 200 >"$TEST_TMP/nomember.jsonl"
run "$TEST_TMP/nomember.jsonl"
cmp_line '.status == "critical" and .details.compare_bad_seq == 120 and (.summary | test("missing_member"))'

run "$TEST_TMP/missing.jsonl"
cmp_line '.status == "unknown" and (.summary | test("cannot compare"))'

# the live ledger on standard input: it is read once, so the copy must be
# compared during that read (a second read found nothing and called any
# copy a prefix)
runin() { rc=0; agent --plugin ledger -s ledger.source=- -s "ledger.compare_with=$1" "${@:2}" <"$live" >"$out" 2>"$TEST_TMP/err" || rc=$?; }
runin "$TEST_TMP/true.jsonl"
cmp_line '.status == "ok" and .metrics.compared_events == 250 and .metrics.compare_head_seq == 250 and .metrics.lag_events == 50'
runin "$TEST_TMP/forked.jsonl"
[ "$rc" = 2 ] || fail "a re-chained tail, live on stdin: exit $rc"
cmp_line '.status == "critical" and .details.fork_seq == 181'

# both on standard input: refused (one of the two passes only can read it)
runin -
cmp_line '.status == "unknown" and (.summary | test("already reads standard input"))'
rc=0; agent --check-config -s ledger.source=- -s ledger.compare_with=- 2>"$TEST_TMP/err" || rc=$?
[ "$rc" = 78 ] && grep -q 'compare_with.*already reads standard input' "$TEST_TMP/err" || fail "--check-config: both on stdin: exit $rc"

# with a checkpoint kept, a run with compare_with is still a full pass
# (every seq both hold is compared), and says why
export TEST_STATE_DIR=$TEST_TMP/st1
agent --plugin ledger -s "ledger.source=$live" >/dev/null
run "$TEST_TMP/stale.jsonl" -s ledger.full_budget=0
cmp_line '.status == "warning" and .metrics.compared_events == 100'
jq_assert "$out" 'select(.check == "ledger.chain") | .details.mode == "full" and (.details.full_reason | test("compare_with"))'
run "$TEST_TMP/forked.jsonl" -s ledger.full_budget=0
cmp_line '.status == "critical" and .details.fork_seq == 181'
unset TEST_STATE_DIR

# without compare_with there is no such line
agent --plugin ledger -s "ledger.source=$live" >"$out" 2>/dev/null || true
jq -e -s 'map(select(.check == "ledger.compare")) | length == 0' "$out" >/dev/null || fail "a compare line without compare_with"

# PostgreSQL: the copy (or the live ledger) in a table
if [ -z "${PROBE_TEST_PG:-}" ] && [ "${CI:-}" != true ]; then
  echo "note: $TEST_NAME: no PostgreSQL, its cases not run" >&2
  exit 0
fi
need_pg
db=$(pg_newdb)
sql() { psql "$db" -qAtX -v ON_ERROR_STOP=1 "$@"; }
# load FILE TABLE [COLUMN TYPE]: one event per row
load() {
  sql -c "CREATE TABLE $2 (id bigserial primary key, ${3:-event} ${4:-jsonb} not null)"
  sql -c "\\copy $2 (${3:-event}) FROM '$1' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
}
load "$live" live_events
load "$TEST_TMP/true.jsonl" ledger_events
load "$TEST_TMP/forked.jsonl" forked_events
load "$TEST_TMP/stale.jsonl" stale_copy doc json

# a restored instance's table, a true copy of the live file
run "$db"
[ "$rc" = 0 ] || { cat "$out" >&2; fail "a true copy in a table: exit $rc"; }
cmp_line '.status == "ok" and .metrics.compare_head_seq == 250 and .metrics.compared_events == 250
  and (.target | endswith("#ledger_events.event"))'
# its json column under another name: stale
run "$db" -s ledger.compare_table=stale_copy -s ledger.compare_column=doc
cmp_line '.status == "warning" and .metrics.lag_events == 200 and (.target | endswith("#stale_copy.doc"))'
# rollback 3.3: the restored live ledger in a table, the backup a file
rc=0; agent --plugin ledger -s "ledger.source=$db" -s ledger.table=forked_events \
  -s "ledger.compare_with=$TEST_TMP/true.jsonl" >"$out" 2>"$TEST_TMP/err" || rc=$?
[ "$rc" = 2 ] || fail "a re-chained restored table: exit $rc"
cmp_line '.status == "critical" and .details.fork_seq == 181 and .metrics.head_seq == 300 and .metrics.compare_head_seq == 250'
# both in tables, in step
rc=0; agent --plugin ledger -s "ledger.source=$db" -s ledger.table=live_events \
  -s "ledger.compare_with=$db" -s ledger.compare_table=forked_events >"$out" 2>"$TEST_TMP/err" || rc=$?
cmp_line '.status == "critical" and .details.fork_seq == 181 and .metrics.compare_head_seq == 300'
# a row of the copy altered in place: the copy is broken there
sql -c "UPDATE ledger_events SET event = jsonb_set(event, '{payload,amount}', '\"1.00\"') WHERE (event->>'seq')::int = 77"
run "$db"
[ "$rc" = 2 ] || fail "an altered row in the copy: exit $rc"
cmp_line '.status == "critical" and .details.compare_bad_seq == 77 and (.summary | test("hash_mismatch"))'
# no such table: unknown, the live ledger's own line unaffected
run "$db" -s ledger.compare_table=nosuch
cmp_line '.status == "unknown" and (.summary | test("cannot compare.*nosuch"))'
jq_assert "$out" 'select(.check == "ledger.chain") | .status == "ok"' "the live ledger's own line, copy missing"
exit 0
