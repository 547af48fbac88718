#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# deadletter-store.sh: the deadletter plugin reading the relay's store (a
# PostgreSQL table) over a read-only session: count thresholds and the rate
# from created_column, with the password kept out of every line.
. "$top_srcdir/tests/lib/env.sh"
need_pg
out=$TEST_TMP/out.jsonl
db=$(pg_newdb)
psql "$db" -qAtX -v ON_ERROR_STOP=1 -c "
  CREATE SCHEMA relay;
  CREATE TABLE relay.dead_letters (id bigserial PRIMARY KEY, arrived timestamptz NOT NULL, body jsonb);
  INSERT INTO relay.dead_letters (arrived) VALUES (now() - interval '2 hour'), (now() - interval '1 hour');" >/dev/null
s=(-s "deadletter.conninfo=$db password=n0t-pr1nted" -s deadletter.table=relay.dead_letters -s deadletter.created_column=arrived)
run() { rc=0; agent --plugin deadletter "$@" >"$out" 2>"$TEST_TMP/err" || rc=$?; [ -s "$out" ] || { cat "$TEST_TMP/err" >&2; fail "no line"; }; }

run "${s[@]}"
[ "$rc" = 1 ] || fail "2 old dead letters: exit $rc, expected 1"
jq_assert "$out" 'select(.check == "deadletter.count") | .status == "warning" and .metrics.dead_letters == 2 and .details.source == "store"'
jq_assert "$out" 'select(.check == "deadletter.rate") | .status == "ok" and .metrics.new_in_window == 0'
[ "$(jq -s 'map(select(.check == "relay.status")) | length' "$out")" = 0 ] || fail "relay.status without url"

psql "$db" -qAtX -c "INSERT INTO relay.dead_letters (arrived) SELECT date_trunc('second', now()) - make_interval(mins => 2 + g)
  FROM generate_series(1, 6) g" >/dev/null
first=$(psql "$db" -qAtX -c "SELECT to_char(min(arrived) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
  to_char(max(arrived) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM relay.dead_letters WHERE arrived > now() - interval '15 min'")
last=${first#*|}; first=${first%|*}
run "${s[@]}"
[ "$rc" = 2 ] || fail "8 dead letters, 6 new: exit $rc, expected 2"
jq_assert "$out" 'select(.check == "deadletter.count") | .status == "critical" and .metrics.dead_letters == 8'
jq_assert "$out" 'select(.check == "deadletter.rate") | .status == "critical" and .metrics.new_in_window == 6'
# thresholds named, and when the six arrived: the rows' own first and last times
jq_assert "$out" 'select(.check == "deadletter.count") | .summary == "8 dead letters (count_critical=5)"'
jq_assert "$out" 'select(.check == "deadletter.rate") | .summary == "6 new dead letters in the last 15m (rate_critical=5), arrived '"$first"' to '"$last"'"
  and .details.first_arrival == "'"$first"'" and .details.arrival_times == "the rows'"'"' own"'

grep -q n0t-pr1nted "$out" "$TEST_TMP/err" && fail "password printed"

# a missing table is unknown, naming it
run -s "deadletter.conninfo=$db" -s deadletter.table=relay.nope
jq_assert "$out" '.status == "unknown" and (.summary | test("relay.nope"))'
exit 0
