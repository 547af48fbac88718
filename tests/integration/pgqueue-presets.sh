#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# pgqueue-presets.sh: every pgqueue preset against its library's own schema
# (tests/integration/pgqueue/<preset>.sql, built from the library's source),
# seeded with jobs in every state: depth, in_flight, failed/completed in the
# window and the oldest due job's age must come out right. For libraries
# that delete finished jobs, a second run after jobs left the table must
# count them as completions and say how it counted.
. "$top_srcdir/tests/lib/env.sh"
need_pg
sql=$top_srcdir/tests/integration/pgqueue
out=$TEST_TMP/out.jsonl

# run_preset PRESET DB [ARGS...]: one agent run of pgqueue; output in $out.
run_preset() {
  local p=$1 db=$2; shift 2
  rc=0
  agent --plugin pgqueue -s "pgqueue.conninfo=$db" -s "pgqueue.preset=$p" "$@" >"$out" 2>"$TEST_TMP/err" || rc=$?
  [ -s "$out" ] || { cat "$TEST_TMP/err" >&2; fail "$p: no line"; }
}

# The figures every seed is built to give (see the .sql files):
# 3 due, oldest due for 5 minutes, 2 failed and 4 completed in the window.
common='.check == "pgqueue.health" and .metrics.depth == 3
  and .metrics.oldest_pending_age_seconds >= 299 and .metrics.oldest_pending_age_seconds < 400'
window='.metrics.failed_window == 2 and .metrics.completed_window == 4 and .status == "ok"'

for p in generic pg-boss graphile-worker river oban que solid-queue procrastinate pgmq; do
  db=$(pg_newdb)
  psql "$db" -qAtX -v ON_ERROR_STOP=1 -f "$sql/$p.sql" >/dev/null || fail "$p: schema does not load"
  extra=()
  case $p in
    generic) extra=(-s pgqueue.table=submit_queue -s pgqueue.run_at_column=run_at) ;;
    pgmq) extra=(-s pgqueue.queue=claims) ;;
  esac
  export TEST_STATE_DIR=$TEST_TMP/state-$p
  if [ "$p" = que ]; then
    # a que worker holds an advisory lock on the job it works (job 5)
    PGAPPNAME=que-worker psql "$db" -qAtX -c "SELECT pg_advisory_lock(5)" -c "SELECT pg_sleep(20)" >/dev/null 2>&1 &
    locker=$!
    for _ in $(seq 50); do
      n=$(psql "$db" -qAtX -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
      [ "$n" = 1 ] && break; sleep 0.1
    done
  fi
  conn=$db
  # Oban and Rails keep UTC in timestamp without time zone: a session far
  # from UTC must not shift the figures
  case $p in oban|solid-queue) conn="$db options='-c TimeZone=Pacific/Auckland'" ;; esac
  run_preset "$p" "$conn" "${extra[@]}"
  if [ "$p" = que ]; then
    # end the worker's session (a killed psql would leave its backend asleep)
    psql "$db" -qAtX -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'que-worker'" >/dev/null
    wait "$locker" 2>/dev/null || true
  fi
  jq_assert "$out" "$common" "$p: depth/oldest"
  case $p in
    pgmq)
      # poison: read_ct >= 5; in flight: read and invisible (one of them poison)
      jq_assert "$out" '.metrics.in_flight == 2 and .metrics.poison == 2 and .metrics.scheduled == 1
        and (.details.counting | test("left it between runs"))
        and (.details.completions | test("first run"))' "pgmq: first run" ;;
    graphile-worker)
      jq_assert "$out" '.metrics.in_flight == 1 and .metrics.failed_window == 2
        and .metrics.completed_window == 0 and (.details.counting | test("deletes completed jobs"))
        and .details.relation == "graphile_worker._private_jobs"' "graphile-worker: first run" ;;
    que)
      jq_assert "$out" "$window and .metrics.in_flight == 1" "que: figures with a worker's advisory lock" ;;
    *)
      jq_assert "$out" "$window and .metrics.in_flight == 1 and .metrics.scheduled >= 1" "$p: figures" ;;
  esac
  # the conninfo's password never shows; the target names the relation
  grep -q password "$out" && fail "$p: password in output"

  # libraries that delete finished jobs: 2 jobs leave the table (done), one
  # new job arrives; the next run counts the 2 as completions
  case $p in
    pgmq)
      psql "$db" -qAtX -v ON_ERROR_STOP=1 -c "DELETE FROM pgmq.q_claims WHERE msg_id IN (2, 3)" \
        -c "INSERT INTO pgmq.q_claims (vt, message) VALUES (now(), '{}')" \
        -c "UPDATE pgmq.q_claims SET read_ct = 6 WHERE msg_id = 1" >/dev/null
      run_preset pgmq "$db" "${extra[@]}"
      # msg 1 turned poison: one new failure; 2 left: completions
      jq_assert "$out" '.metrics.completed_window == 2 and .metrics.failed_window == 1
        and .metrics.poison == 3 and .metrics.depth == 1' "pgmq: derived completions/failures" ;;
    graphile-worker)
      psql "$db" -qAtX -v ON_ERROR_STOP=1 -c "DELETE FROM graphile_worker._private_jobs WHERE id IN (1, 2)" \
        -c "INSERT INTO graphile_worker._private_jobs (task_id) VALUES (1)" >/dev/null
      run_preset graphile-worker "$db"
      jq_assert "$out" '.metrics.completed_window == 2 and .metrics.depth == 2 and .metrics.failed_window == 2' \
        "graphile-worker: derived completions" ;;
    que)
      psql "$db" -qAtX -v ON_ERROR_STOP=1 -c "DELETE FROM que_jobs WHERE id IN (1, 2)" \
        -c "INSERT INTO que_jobs (job_class) VALUES ('Submit')" >/dev/null
      run_preset que "$db"
      # 4 finished rows on record + 2 destroyed since the last run
      jq_assert "$out" '.metrics.completed_window == 6 and .metrics.depth == 3' "que: destroyed jobs counted" ;;
  esac
done
exit 0
