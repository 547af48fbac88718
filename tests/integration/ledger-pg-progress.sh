#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ledger-pg-progress.sh: the progress line of a run over a PostgreSQL table
# shows a percent, from the table's row estimate (pg_class.reltuples once
# analysed), as a file's shows one from its size (issue 20). The agent
# sends the first progress a quarter second into a run: the table is made
# large enough for a run to last longer than that.
. "$top_srcdir/tests/lib/env.sh"
need_pg
db=$(pg_newdb)
sql() { psql "$db" -qAtX -v ON_ERROR_STOP=1 "$@"; }
python3 "$top_srcdir/tests/integration/ledger-gen.py" 100000 >"$TEST_TMP/l.jsonl"
sql -c "CREATE TABLE ledger_events (id bigserial primary key, event jsonb not null)"
sql -c "\\copy ledger_events (event) FROM '$TEST_TMP/l.jsonl' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
sql -c "ANALYZE ledger_events"
out=$TEST_TMP/out.jsonl err=$TEST_TMP/err.txt
run() {
  agent -p ledger -s "ledger.source=$db" -s ledger.incremental=false \
    -s ledger.threads=1 --progress >"$out" 2>"$err" ||
    fail "the run failed: $(cat -v "$err")"
  jq_assert "$out" '.status == "ok" and .metrics.events == 100000'
}
run
grep -q $'\rprobe-agent: ledger: [0-9]* events, [0-9.]* MB of [0-9.]* MB ([0-9]*%)' "$err" ||
  fail "no percent in a table's progress line: $(cat -v "$err")"
# a stale estimate that the rows outrun: a percent until they pass it,
# then none (how many lines show depends on the machine's speed), never
# one above 100
# (as the superuser the tests run as, the catalogue's estimate is set)
sql -c "UPDATE pg_class SET reltuples = 1000 WHERE oid = 'ledger_events'::regclass"
run
grep -q $'\rprobe-agent: ledger: [0-9]* events' "$err" ||
  fail "no progress line: $(cat -v "$err")"
tr '\r' '\n' <"$err" | grep -o '([0-9]*%)' | tr -d '(%)' | while read -r pc; do
  [ "$pc" -le 100 ] || fail "a percent above 100: $(cat -v "$err")"
done
echo ok
