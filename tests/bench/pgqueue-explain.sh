#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# pgqueue-explain.sh [BUILD_DIR]: pgqueue's query time on 1,000,000-row
# queue tables with the libraries' own indexes, for the river and pg-boss
# presets. The agent runs the real plugin with auto_explain (log_analyze,
# notices to the client), so the figures are EXPLAIN ANALYZE of exactly the
# queries the plugin sends. Printed against a baseline measured in the same
# run on the same table: a plain SELECT count(*) (a full scan), as a ratio.
#
# Uses PROBE_TEST_PG when set, else starts a throwaway cluster with
# tests/lib/servers.sh and stops it afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top}
agent=$build/probe-agent
plugins=$build/.libs
[ -x "$agent" ] || { echo "no agent at $agent (pass the build directory)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/pgqueue-bench.XXXXXX)
chmod 755 "$tmp" # the cluster runs as postgres when we are root
started=
cleanup() { [ -n "$started" ] && "$top/tests/lib/servers.sh" stop "$tmp/srv" >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT
if [ -z "${PROBE_TEST_PG:-}" ]; then
  "$top/tests/lib/servers.sh" start "$tmp/srv" >/dev/null
  started=1
  . "$tmp/srv/servers.env"
fi
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}

# fill PRESET DB: the library's schema and ROWS jobs in a realistic mix:
# 95% completed over a week, 3% failed/discarded, 1% waiting (some for an
# hour), 0.02% running, the rest scheduled or waiting to retry.
fill() {
  local p=$1 db=$2
  psql "$db" -qAtX -v ON_ERROR_STOP=1 -f "$top/tests/integration/pgqueue/$p.sql" >/dev/null
  case $p in
    river) psql "$db" -qAtX -v ON_ERROR_STOP=1 -c "
      INSERT INTO river_job (state, max_attempts, kind, queue, scheduled_at, finalized_at, created_at)
      SELECT s, 25, 'submit', 'default', now() - (i % 3600) * interval '1 s',
             CASE WHEN s IN ('completed', 'discarded') THEN now() - (i % 604800) * interval '1 s' END,
             now() - (i % 604800) * interval '1 s'
      FROM (SELECT i, CASE WHEN i % 100 < 95 THEN 'completed' WHEN i % 100 < 98 THEN 'discarded'
                           WHEN i % 100 = 98 THEN 'available'
                           WHEN i % 5000 = 99 THEN 'running' ELSE 'scheduled' END::river_job_state AS s
            FROM generate_series(1, $ROWS) i) g;" -c "VACUUM ANALYZE river_job" >/dev/null ;;
    pg-boss) psql "$db" -qAtX -v ON_ERROR_STOP=1 -c "
      INSERT INTO pgboss.job (name, state, start_after, created_on, started_on, completed_on)
      SELECT 'submit', s, now() - (i % 3600) * interval '1 s', now() - (i % 604800) * interval '1 s', NULL,
             CASE WHEN s IN ('completed', 'failed') THEN now() - (i % 604800) * interval '1 s' END
      FROM (SELECT i, CASE WHEN i % 100 < 95 THEN 'completed' WHEN i % 100 < 98 THEN 'failed'
                           WHEN i % 100 = 98 THEN 'created'
                           WHEN i % 5000 = 99 THEN 'active' ELSE 'retry' END::pgboss.job_state AS s
            FROM generate_series(1, $ROWS) i) g;" -c "VACUUM ANALYZE pgboss.job_common" >/dev/null ;;
  esac
}

# median of numbers on stdin
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

printf '%-9s %10s %12s %14s %8s  %s\n' preset rows "query ms" "count(*) ms" ratio "indexes used by the plugin's query"
for p in river pg-boss; do
  db_name="pgq_bench_${p//-/_}_$$"
  psql "$PROBE_TEST_PG" -qAtX -c "CREATE DATABASE $db_name" >/dev/null
  db="$PROBE_TEST_PG dbname=$db_name"
  fill "$p" "$db"
  table=river_job; [ "$p" = pg-boss ] && table=pgboss.job
  : >"$tmp/q.txt"; : >"$tmp/b.txt"
  for _ in $(seq "$RUNS"); do
    "$agent" --plugin-dir "$plugins" --state-dir "$tmp/state" --plugin pgqueue -s pgqueue.preset="$p" \
      -s "pgqueue.conninfo=$db options='-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0 -c auto_explain.log_analyze=on -c auto_explain.log_buffers=on -c auto_explain.log_level=notice'" \
      >"$tmp/out.json" 2>"$tmp/plan.txt" || true
    # the main query is the one selecting the DB time and 12 more columns
    # (some presets put a WITH before it)
    awk '/NOTICE:  duration:/ { d = $(NF - 2) } /Query Text: .*SELECT extract\(epoch from now\(\)\)::float8,/ { print d }' \
      "$tmp/plan.txt" >>"$tmp/q.txt"
    psql "$db" -qAtX -c "EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM $table" |
      jq '.[0]["Execution Time"]' >>"$tmp/b.txt"
  done
  q=$(median <"$tmp/q.txt"); b=$(median <"$tmp/b.txt")
  idx=$(sed -n '/Query Text: .*SELECT extract(epoch from now())::float8,/,$p' "$tmp/plan.txt" |
    grep -o 'Index[ A-Za-z]* Scan using [a-z0-9_]*' | sed 's/.* using //' | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')
  seq=$(sed -n '/Query Text: .*SELECT extract(epoch from now())::float8,/,$p' "$tmp/plan.txt" | grep -c 'Seq Scan' || true)
  printf '%-9s %10s %12.1f %14.1f %8.3f  %s; seq scans: %s\n' "$p" "$ROWS" "$q" "$b" \
    "$(awk -v q="$q" -v b="$b" 'BEGIN { print q / b }')" "$idx" "$seq"
  cp "$tmp/plan.txt" "${BENCH_PLANS:-$tmp}/pgqueue-$p-plan.txt" 2>/dev/null || true
  psql "$PROBE_TEST_PG" -qAtX -c "DROP DATABASE $db_name" >/dev/null
done
