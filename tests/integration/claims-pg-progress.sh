#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# claims-pg-progress.sh: the claims plugin's progress line over a
# PostgreSQL table shows a percent, from the table's row estimate (once
# analysed), as a file's shows one from its size (issue 20). The table is
# large enough (300,000 events, about 1.2 s here) for the scan to outlast
# the host's first quarter second several times over.
. "$top_srcdir/tests/lib/env.sh"
need_pg
db=$(pg_newdb)
sql() { psql "$db" -qAtX -v ON_ERROR_STOP=1 "$@"; }
python3 "$top_srcdir/tests/integration/claims-gen.py" bench 300000 >"$TEST_TMP/l.jsonl"
sql -c "CREATE TABLE ledger_events (id bigserial primary key, event jsonb not null)"
sql -c "\\copy ledger_events (event) FROM '$TEST_TMP/l.jsonl' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
sql -c "ANALYZE ledger_events"
out=$TEST_TMP/out.jsonl err=$TEST_TMP/err.txt
agent -p claims -s "claims.source=$db" -s claims.incremental=false --progress \
  >"$out" 2>"$err" || true
jq_assert "$out" 'select(.check == "claims.lifecycle") | .metrics.events_read == 300000'
grep -q $'\rprobe-agent: claims: [0-9]* events, [0-9.]* MB of [0-9.]* MB ([0-9]*%)' "$err" ||
  fail "no percent in the claims table scan's progress line: $(cat -v "$err")"
tr '\r' '\n' <"$err" | grep -o '([0-9]*%)' | tr -d '(%)' | while read -r pc; do
  [ "$pc" -le 100 ] || fail "a percent above 100: $(cat -v "$err")"
done
echo ok
