#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ledger-pg.sh: the ledger in a real PostgreSQL table (jsonb column, which
# reorders members and drops white space: JCS makes that irrelevant).
# Intact; then one row altered with SQL UPDATE is critical at that seq;
# a table with its own seq column; incremental runs on a table (appended
# rows verified alone; a changed checkpoint row is a rollback); a missing
# table is unknown; the target never shows the password.
. "$top_srcdir/tests/lib/env.sh"
need_pg
gen() { python3 "$top_srcdir/tests/integration/ledger-gen.py" "$@"; }
out=$TEST_TMP/out.jsonl
db=$(pg_newdb)
export TEST_STATE_DIR=$TEST_TMP/state
sql() { psql "$db" -qAtX -v ON_ERROR_STOP=1 "$@"; }
run() { rc=0; agent -p ledger -s "ledger.source=$db" "$@" >"$out" || rc=$?; }

# load N events from the generator into TABLE (jsonb column "event")
load() {
  gen "$2" >"$TEST_TMP/l.jsonl"
  sql -c "CREATE TABLE IF NOT EXISTS $1 (id bigserial primary key, event jsonb not null)"
  sql -c "TRUNCATE $1"
  sql -c "\\copy $1 (event) FROM '$TEST_TMP/l.jsonl' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
}

load ledger_events 700
run -s ledger.incremental=false
jq_assert "$out" '.status == "ok" and .metrics.events == 700 and .details.mode == "full"'
jq_assert "$out" '.target | endswith("#ledger_events.event")'
want=$(tail -n1 "$TEST_TMP/l.jsonl" | jq -r .hash)
jq_assert "$out" ".details.head_hash == \"$want\""

# one row altered in place
sql -c "UPDATE ledger_events SET event = jsonb_set(event, '{payload,amount}', '\"1.00\"') WHERE (event->>'seq')::int = 345"
run -s ledger.incremental=false
jq_assert "$out" '.status == "critical" and .details.first_bad_seq == 345 and .details.reason == "hash_mismatch"'

# rows stored out of order are read in seq order
load ledger_events 300
sql -c "CREATE TABLE shuffled AS SELECT event FROM ledger_events ORDER BY random()"
run -s ledger.incremental=false -s ledger.table=shuffled
jq_assert "$out" '.status == "ok" and .metrics.events == 300'

# a table with its own seq column, json (not jsonb), in a schema
sql -c "CREATE SCHEMA itrans; CREATE TABLE itrans.\"Ledger\" (seq bigint primary key, doc json not null)"
sql -c "INSERT INTO itrans.\"Ledger\" SELECT (event->>'seq')::bigint, event::json FROM ledger_events"
run -s ledger.incremental=false -s ledger.table=itrans.Ledger -s ledger.column=doc
jq_assert "$out" '.status == "ok" and .metrics.events == 300'
sql -c "UPDATE itrans.\"Ledger\" SET seq = 1000 WHERE seq = 150"
run -s ledger.incremental=false -s ledger.table=itrans.Ledger -s ledger.column=doc
jq_assert "$out" '.status == "critical" and .details.first_bad_seq == 151 and .details.reason == "seq_gap"'

# incremental on a table (full_budget=0: incremental between full_every)
load ledger_events 500
run -s ledger.full_budget=0
jq_assert "$out" '.status == "ok" and .details.mode == "full" and .metrics.verified_events == 500'
gen 650 | tail -n 150 >"$TEST_TMP/more.jsonl"
sql -c "\\copy ledger_events (event) FROM '$TEST_TMP/more.jsonl' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
run -s ledger.full_budget=0
jq_assert "$out" '.status == "ok" and .details.mode == "incremental" and .metrics.verified_events == 150
  and .metrics.events == 650 and .metrics.appended_events == 150'
sql -c "UPDATE ledger_events SET event = jsonb_set(event, '{ts}', '\"2020-01-01T00:00:00.000Z\"') WHERE (event->>'seq')::int = 650"
run -s ledger.full_budget=0
jq_assert "$out" '.status == "critical" and (.details.reason == "rollback" or .details.reason == "hash_mismatch") and .details.first_bad_seq == 650'

# a missing table, a wrong password: unknown, no password shown
run -s ledger.table=nosuch
jq_assert "$out" '.status == "unknown" and (.summary | test("nosuch"))'
rc=0; agent -p ledger -s "ledger.source=postgresql://probe:s3cretPW@127.0.0.1:1/x" >"$out" || rc=$?
jq_assert "$out" '.status == "unknown"'
grep -q s3cretPW "$out" && fail "password in the output"
echo ok
