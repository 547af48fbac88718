#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ledger-budget.sh: "intact" means verified, with its age (full_budget).
#   - file ledger, default budget: every run is a full pass (a small ledger
#     fits 10% of the interval), so a past event tampered in place is caught
#     by the next run; with a budget too small for a full pass, runs are
#     incremental (the summary says what was verified and how old the full
#     pass is, never "intact") until full_every brings the full pass;
#   - append rate through an incident: a critical run reports the ledger's
#     real head (past the first bad event) and the next ok run's rate is the
#     true one, no spike;
#   - PostgreSQL: a row UPDATEd in place after a run holds a checkpoint is
#     caught on the next run with the defaults (full pass), and with a budget
#     that forces incremental mode, through the rows' xmin.
. "$top_srcdir/tests/lib/env.sh"
gen() { python3 "$top_srcdir/tests/integration/ledger-gen.py" "$@"; }
out=$TEST_TMP/out.jsonl
L=$TEST_TMP/ledger.jsonl
export TEST_STATE_DIR=$TEST_TMP/state
run() { rc=0; agent -p ledger -s ledger.source="$L" "$@" >"$out" || rc=$?; }
tamper() { python3 - "$L" "$1" <<'PY'
import sys
p, n = sys.argv[1], int(sys.argv[2])
lines = open(p, 'rb').read().split(b'\n')
l = lines[n - 1]
lines[n - 1] = l.replace(b'"ts":"2026-', b'"ts":"2025-', 1)
assert lines[n - 1] != l
open(p, 'wb').write(b'\n'.join(lines))
PY
}

# default budget: full on every run
gen 2000 >"$L"
run
jq_assert "$out" '.status == "ok" and .details.mode == "full" and .metrics.verified_events == 2000
  and .metrics.last_full_age_seconds == 0 and .details.full_budget_seconds == 6
  and (.summary | startswith("ledger intact: whole ledger verified, 2000 events"))'
run
jq_assert "$out" '.status == "ok" and .details.mode == "full" and .details.full_reason == "within full_budget"'
tamper 700
run
jq_assert "$out" '.status == "critical" and .details.first_bad_seq == 700 and .details.mode == "full"'
[ "$rc" = 2 ] || fail "exit status $rc, expected 2"

# a budget no full pass fits: incremental, honest, until full_every
rm -rf "$TEST_STATE_DIR"
gen 2000 >"$L"
run -s ledger.full_budget=0.000001
jq_assert "$out" '.details.mode == "full"'
tamper 700
gen 2100 | tail -n 100 >>"$L"
run -s ledger.full_budget=0.000001
jq_assert "$out" '.status == "ok" and .details.mode == "incremental" and .metrics.verified_events == 100
  and (.summary | startswith("100 appended events verified, head seq 2100; whole ledger verified "))
  and (.summary | test("intact") | not) and .metrics.last_full_age_seconds > 0'
sleep 1.1
run -s ledger.full_budget=0.000001 -s ledger.full_every=1
jq_assert "$out" '.status == "critical" and .details.first_bad_seq == 700 and (.details.mode | startswith("full"))
  and .details.full_reason == "full_every"'

# append rate through an incident
rm -rf "$TEST_STATE_DIR"
gen 1000 >"$L"
run
gen --break hash_mismatch:1050 1100 >"$L"
run
jq_assert "$out" '.status == "critical" and .details.first_bad_seq == 1050 and .metrics.head_seq == 1100
  and .metrics.events == 1100 and .metrics.verified_head_seq == 1049 and .metrics.appended_events == 100'
gen 1200 >"$L"
run
jq_assert "$out" '.status == "ok" and .metrics.appended_events == 100 and .metrics.head_seq == 1200'

# PostgreSQL: tampered in place, caught on the next run
need_pg
db=$(pg_newdb)
sql() { psql "$db" -qAtX -v ON_ERROR_STOP=1 "$@"; }
prun() { rc=0; agent -p ledger -s "ledger.source=$db" "$@" >"$out" || rc=$?; }
gen 5000 >"$TEST_TMP/l.jsonl"
sql -c "CREATE TABLE ledger_events (id bigserial primary key, event jsonb not null)"
sql -c "\\copy ledger_events (event) FROM '$TEST_TMP/l.jsonl' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
upd() { sql -c "UPDATE ledger_events SET event = jsonb_set(event, '{payload,amount}', '\"$2\"') WHERE (event->>'seq')::int = $1"; }
# defaults
rm -rf "$TEST_STATE_DIR"
prun
jq_assert "$out" '.status == "ok" and .details.mode == "full" and .metrics.events == 5000'
upd 2345 1.00
prun
jq_assert "$out" '.status == "critical" and .details.first_bad_seq == 2345 and .details.reason == "hash_mismatch"'
upd 2345 "$(sed -n 2345p "$TEST_TMP/l.jsonl" | jq -r .payload.amount)"
prun
jq_assert "$out" '.status == "ok"'
# a budget that forces incremental mode: the xmin finds the changed row
# (changed_rows counts rows whose xmin is past the previous run's snapshot
# xmin: another test's transaction open in the same cluster holds that
# horizon back, so a row repaired just before may count again: a few, never the table)
prun -s ledger.full_budget=0.000001
jq_assert "$out" '.status == "ok" and .details.mode == "incremental" and .metrics.changed_rows <= 10'
upd 3456 2.00
prun -s ledger.full_budget=0.000001
jq_assert "$out" '.status == "critical" and .details.mode == "incremental" and .details.first_bad_seq == 3456
  and .details.found_by == "xmin (row changed in place)"'
prun -s ledger.full_budget=0.000001   # stays critical until repaired
jq_assert "$out" '.status == "critical" and .details.first_bad_seq == 3456'
upd 3456 "$(sed -n 3456p "$TEST_TMP/l.jsonl" | jq -r .payload.amount)"
prun -s ledger.full_budget=0.000001
jq_assert "$out" '.status == "ok" and .details.mode == "incremental" and .metrics.changed_rows >= 1'
prun -s ledger.full_budget=0.000001
jq_assert "$out" '.status == "ok" and .metrics.changed_rows <= 10'
# the changed row's link: rewrite 4000 with its own hash recomputed is
# still caught, by 4001's prev_hash
python3 - "$TEST_TMP/l.jsonl" >"$TEST_TMP/e4000.json" <<'PY'
import sys, json, hashlib
ev = json.loads(open(sys.argv[1]).read().split('\n')[3999])
ev['payload']['amount'] = '3.00'
body = {k: v for k, v in ev.items() if k != 'hash'}
def canon(x):
    return json.dumps(x, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
ev['hash'] = hashlib.sha256(canon(body).encode()).hexdigest()
print(json.dumps(ev, ensure_ascii=False))
PY
sql -v ev="$(cat "$TEST_TMP/e4000.json")" <<<"UPDATE ledger_events SET event = :'ev'::jsonb WHERE (event->>'seq')::int = 4000"
prun -s ledger.full_budget=0.000001
jq_assert "$out" '.status == "critical" and .details.mode == "incremental" and (.details.first_bad_seq == 4000 or .details.first_bad_seq == 4001)'
echo ok
