#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# pgqueue-alerts.sh: the thresholds of the go-live checklist (4.2) on a real
# PostgreSQL: failed jobs warning at 3 and critical at 10 in 15 minutes,
# depth above 100 for 10 minutes (remembered in the state), and a stalled
# queue (work waiting, nothing completed in stall_after) critical, both for
# a table with completion timestamps and for pgmq, whose completions are
# only seen between runs.
. "$top_srcdir/tests/lib/env.sh"
need_pg
out=$TEST_TMP/out.jsonl
export TEST_STATE_DIR=$TEST_TMP/state

run() { rc=0; agent --plugin pgqueue "$@" >"$out" 2>"$TEST_TMP/err" || rc=$?; [ -s "$out" ] || { cat "$TEST_TMP/err" >&2; fail "no line"; }; }
# state_set FILTER: applies a jq filter to the plugin's only state file
state_set() {
  local f; f=$(ls "$TEST_STATE_DIR"/pgqueue/queue-*.json)
  [ "$(echo "$f" | wc -l)" = 1 ] || fail "expected one state file: $f"
  # as the plugin wrote it: its owner (the sandbox user) and mode, or it is refused
  jq -c "$1" "$f" >"$f.new" && chown --reference="$f" "$f.new" && chmod --reference="$f" "$f.new" && mv "$f.new" "$f"
}

db=$(pg_newdb)
psql "$db" -qAtX -v ON_ERROR_STOP=1 -f "$top_srcdir/tests/integration/pgqueue/generic.sql" >/dev/null
g=(-s "pgqueue.conninfo=$db" -s pgqueue.table=submit_queue -s pgqueue.run_at_column=run_at)

# 2 failed in the window: ok; 3: warning; 10: critical
run "${g[@]}"
jq_assert "$out" '.status == "ok" and .metrics.failed_window == 2'
psql "$db" -qAtX -c "INSERT INTO submit_queue (status, updated_at) VALUES ('failed', now() - interval '1 min')" >/dev/null
run "${g[@]}"
[ "$rc" = 1 ] || fail "3 failures: exit $rc, expected 1"
jq_assert "$out" '.status == "warning" and .metrics.failed_window == 3 and (.summary | test("3 jobs failed in the last 15m \\(failed_warning=3\\)"))'
psql "$db" -qAtX -c "INSERT INTO submit_queue (status, updated_at) SELECT 'dead', now() - interval '1 min' FROM generate_series(1, 7)" >/dev/null
run "${g[@]}"
[ "$rc" = 2 ] || fail "10 failures: exit $rc, expected 2"
jq_assert "$out" '.status == "critical" and .metrics.failed_window == 10 and (.summary | test("10 jobs failed in the last 15m \\(failed_critical=10\\)"))'
# a shorter window leaves them out (setting honoured)
run "${g[@]}" -s 'pgqueue.window="30s"'
jq_assert "$out" '.metrics.failed_window == 0 and .metrics.window_seconds == 30'

# depth above 100: not yet a warning; still above 10 minutes later: warning
db2=$(pg_newdb)
psql "$db2" -qAtX -v ON_ERROR_STOP=1 -f "$top_srcdir/tests/integration/pgqueue/generic.sql" \
  -c "INSERT INTO submit_queue (status) SELECT 'queued' FROM generate_series(1, 150)" \
  -c "UPDATE submit_queue SET updated_at = now() WHERE status = 'done'" >/dev/null
export TEST_STATE_DIR=$TEST_TMP/state2
g2=(-s "pgqueue.conninfo=$db2" -s pgqueue.table=submit_queue -s pgqueue.failed_values='["none"]')
run "${g2[@]}"
jq_assert "$out" '.status == "ok" and .metrics.depth == 154 and .details.depth_high_seconds < 5'
state_set '.depth_high_since = .t - 700'
run "${g2[@]}"
jq_assert "$out" '.status == "warning" and (.summary | test("depth 154 above 100 for 10m or more \\(depth_warning=100, depth_for=10m\\)"))
  and .details.depth_high_seconds >= 700'
psql "$db2" -qAtX -c "DELETE FROM submit_queue WHERE status = 'queued'" >/dev/null
run "${g2[@]}"
jq_assert "$out" '.status == "ok" and (.details | has("depth_high_seconds") | not)'

# stalled: work due for 20 minutes, the newest completion 30 minutes ago
db3=$(pg_newdb)
psql "$db3" -qAtX -v ON_ERROR_STOP=1 -c "
  CREATE TABLE jobs (id serial, state text, created_at timestamptz, updated_at timestamptz);
  INSERT INTO jobs (state, created_at, updated_at) VALUES
    ('pending', now() - interval '20 min', now() - interval '20 min'),
    ('pending', now() - interval '1 min', now() - interval '1 min'),
    ('completed', now() - interval '40 min', now() - interval '30 min');" >/dev/null
export TEST_STATE_DIR=$TEST_TMP/state3
g3=(-s "pgqueue.conninfo=$db3" -s pgqueue.table=public.jobs -s pgqueue.status_column=state)
run "${g3[@]}"
[ "$rc" = 2 ] || fail "stalled queue: exit $rc, expected 2"
jq_assert "$out" '.status == "critical" and .details.stalled == true
  and (.summary | test("queue stalled: 2 jobs waiting, oldest for 20m, nothing completed in 10m \\(stall_after=10m\\)"))'
# a longer stall_after is no stall; a completion a minute ago is none either
run "${g3[@]}" -s 'pgqueue.stall_after="1h"'
jq_assert "$out" '.status == "ok" and .details.stalled == false'
psql "$db3" -qAtX -c "INSERT INTO jobs (state, created_at, updated_at) VALUES ('completed', now(), now() - interval '1 min')" >/dev/null
run "${g3[@]}"
jq_assert "$out" '.status == "ok" and .details.stalled == false and .metrics.completed_window == 1'

# pgmq: completions are only seen between runs; undecided until watched
# for stall_after, then critical when nothing left the queue
db4=$(pg_newdb)
psql "$db4" -qAtX -v ON_ERROR_STOP=1 -f "$top_srcdir/tests/integration/pgqueue/pgmq.sql" \
  -c "UPDATE pgmq.q_claims SET enqueued_at = now() - interval '20 min' WHERE msg_id = 1" >/dev/null
export TEST_STATE_DIR=$TEST_TMP/state4
g4=(-s "pgqueue.conninfo=$db4" -s pgqueue.preset=pgmq -s pgqueue.queue=claims)
run "${g4[@]}"
jq_assert "$out" '.status == "ok" and .details.stalled == false and (.details.stall | test("undecided"))'
state_set '.first = .t - 1200 | .hist = [] | del(.last_completion)'
run "${g4[@]}"
jq_assert "$out" '.status == "critical" and .details.stalled == true and (.summary | test("queue stalled: 3 jobs"))'
# a message leaving the queue is a completion: no longer stalled
psql "$db4" -qAtX -c "DELETE FROM pgmq.q_claims WHERE msg_id = 2" >/dev/null
run "${g4[@]}"
jq_assert "$out" '.status == "ok" and .metrics.completed_window == 1 and .details.stalled == false'
exit 0
