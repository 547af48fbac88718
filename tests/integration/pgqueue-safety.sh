#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# pgqueue-safety.sh: pgqueue on a production-like database never waits on
# the workers: a worker's row locks (SELECT ... FOR UPDATE, as every
# library's fetch takes them) do not slow it, and a migration's ACCESS
# EXCLUSIVE lock makes it report unknown after lock_timeout instead of
# queueing. (That writes through the probe's session fail is proved by
# tests/unit/common-ppg-pg.) Also: identifiers from settings are quoted.
. "$top_srcdir/tests/lib/env.sh"
need_pg
out=$TEST_TMP/out.jsonl
db=$(pg_newdb)
psql "$db" -qAtX -v ON_ERROR_STOP=1 -f "$top_srcdir/tests/integration/pgqueue/river.sql" >/dev/null
r=(-s "pgqueue.conninfo=$db" -s pgqueue.preset=river)

# hold: runs SQL in a background session named 'holder' until released
hold() {
  PGAPPNAME=holder psql "$db" -qAtX -c "BEGIN" -c "$1" -c "SELECT pg_sleep(30)" >/dev/null 2>&1 &
  holder=$!
  for _ in $(seq 100); do
    n=$(psql "$db" -qAtX -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'holder' AND query LIKE '%pg_sleep%'")
    [ "$n" = 1 ] && return; sleep 0.1
  done
  fail "the holder session did not start"
}
release() {
  psql "$db" -qAtX -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'" >/dev/null
  wait "$holder" 2>/dev/null || true
}
trap 'release 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
now() { date +%s.%N; }

# workers have claimed every job row
hold "SELECT id FROM river_job FOR UPDATE"
t0=$(now); rc=0
agent --plugin pgqueue "${r[@]}" >"$out" 2>"$TEST_TMP/err" || rc=$?
took=$(awk -v a="$(now)" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')
release
jq_assert "$out" '.status == "ok" and .metrics.depth == 3 and .metrics.in_flight == 1' "figures under row locks"
awk -v t="$took" 'BEGIN { exit !(t < 5) }' || fail "run took ${took}s under workers' row locks"

# a migration holds ACCESS EXCLUSIVE: unknown after lock_timeout, not a hang
hold "LOCK TABLE river_job IN ACCESS EXCLUSIVE MODE"
t0=$(now); rc=0
agent --plugin pgqueue "${r[@]}" -s pgqueue.timeout=30 >"$out" 2>"$TEST_TMP/err" || rc=$?
took=$(awk -v a="$(now)" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')
release
[ "$rc" = 3 ] || fail "locked table: exit $rc, expected 3 (unknown)"
jq_assert "$out" '.status == "unknown" and (.summary | test("lock timeout"))' "lock timeout reported"
awk -v t="$took" 'BEGIN { exit !(t < 6) }' || fail "waited ${took}s behind an ACCESS EXCLUSIVE lock"

# identifiers are quoted: a table name that is an injection attempt is just
# a table that does not exist
rc=0
agent --plugin pgqueue -s "pgqueue.conninfo=$db" -s 'pgqueue.table=river_job; DROP TABLE river_job; --' \
  >"$out" 2>"$TEST_TMP/err" || rc=$?
jq_assert "$out" '.status == "unknown" and (.summary | test("does not exist"))'
[ "$(psql "$db" -qAtX -c "SELECT to_regclass('river_job') IS NOT NULL")" = t ] || fail "table dropped"
exit 0
