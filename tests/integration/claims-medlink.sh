#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# claims-medlink.sh: MedLink's side of the callback, from a throwaway
# PostgreSQL with a MedLink claims table (its name needs quoting):
#   - rows that agree count as arrived; a row that lags (decided in the
#     ledger, not yet in MedLink) and a missing row count against
#     callback_success_ratio once past callback_grace, and not before;
#   - the same answers whatever the batch size of the ids;
#   - claims.trace names the missing "arrived" stage;
#   - the session is read-only, with statement and lock timeouts and
#     application_name=probe-agent: a view whose function writes fails,
#     one that reports the session's settings shows them.
. "$top_srcdir/tests/lib/env.sh"
need_pg
gen() { python3 "$top_srcdir/tests/integration/claims-gen.py" "$@"; }
L=$TEST_TMP/ledger.jsonl
A=$TEST_TMP/answers.json
out=$TEST_TMP/out.jsonl
export TEST_STATE_DIR=$TEST_TMP/state
DB=$(pg_newdb)
psql "$DB" -qAtX -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE TABLE "medlink claims" (itrans_claim_id text PRIMARY KEY, status text,
  updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE written (x int);
CREATE FUNCTION writes() RETURNS int LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO written VALUES (1); RETURN 1; END $$;
CREATE VIEW writing_view AS SELECT c.* FROM "medlink claims" c, writes() w;
CREATE FUNCTION tells() RETURNS int LANGUAGE plpgsql AS $$ BEGIN
  RAISE EXCEPTION 'session: app=% ro=% st=% lt=%', current_setting('application_name'),
    current_setting('transaction_read_only'), current_setting('statement_timeout'),
    current_setting('lock_timeout'); END $$;
CREATE VIEW telling_view AS SELECT c.* FROM "medlink claims" c, tells() w;
SQL
gen mix --answers "$A" >"$L"
# every claim that completed agrees, except 010 (lags), 020 (no row) and
# 090 (lags, but within the grace used below)
jq -r '.done_seq | keys[]' "$A" | grep -v -e claim-000010 -e claim-000020 -e claim-000090 |
  sed "s/.*/INSERT INTO \"medlink claims\" VALUES ('&', 'adjudicated');/" >"$TEST_TMP/rows.sql"
echo "INSERT INTO \"medlink claims\" VALUES ('claim-000010', 'submitted'), ('claim-000090', 'submitted');" >>"$TEST_TMP/rows.sql"
psql "$DB" -qAtX -v ON_ERROR_STOP=1 -f "$TEST_TMP/rows.sql" >/dev/null
run() {
  rc=0
  agent -p claims -s claims.source="$L" -s claims.medlink_conninfo="$DB" \
    -s 'claims.medlink_table=medlink claims' -s claims.callback_grace=420 "$@" >"$out" || rc=$?
}
ids='claims.claim_ids=["claim-000010","claim-000090","claim-000011"]'

for batch in 1000 7; do
  rm -rf "$TEST_STATE_DIR"
  run -s claims.medlink_batch=$batch -s "$ids"
  # 101 delivered in the window: 98 arrived, 2 past the grace not, 1 within it;
  # plus the final CallbackFailed and the overdue claim-000401
  jq_assert "$out" 'select(.check == "claims.lifecycle") | .metrics.callbacks_not_arrived == 2
    and .metrics.callbacks_due == 102 and ((.metrics.callback_success_ratio - 98 / 102) | fabs) < 1e-9
    and (.details.not_arrived | sort) == ["claim-000010", "claim-000020"] and .status == "warning"
    and (.summary | test("callback success 0.9608 < 0.99"))'
  jq_assert "$out" 'select(.check == "claims.trace" and .target == "claim-000010")
    | .status == "critical" and .details.missing_stage == "arrived" and .details.medlink_status == "submitted"'
  jq_assert "$out" 'select(.check == "claims.trace" and .target == "claim-000090")
    | .status == "warning" and .details.missing_stage == "arrived"'
  jq_assert "$out" 'select(.check == "claims.trace" and .target == "claim-000011")
    | .details.medlink_status == "adjudicated" and (.details | has("arrived_at")) and .details.missing_stage == "anchored"'
done

# without MedLink configured, a delivered callback is a success by itself
rm -rf "$TEST_STATE_DIR"
agent -p claims -s claims.source="$L" -s claims.callback_grace=420 >"$out" || true
jq_assert "$out" 'select(.check == "claims.lifecycle") | .metrics.callbacks_due == 103
  and (.metrics | has("callbacks_not_arrived") | not)'

# the ledger itself in PostgreSQL (jsonb), read incrementally: the same
# numbers as the file gives in one pass
rm -rf "$TEST_STATE_DIR"
agent -p claims -s claims.source="$L" >"$TEST_TMP/file.out" || true
psql "$DB" -qAtX -v ON_ERROR_STOP=1 -c 'CREATE TABLE ledger_events (event jsonb NOT NULL)' >/dev/null
load() { # load FROM TO: lines FROM..TO of the ledger as rows
  sed -n "$1,$2p" "$L" | python3 -c '
import sys
for l in sys.stdin:
    print(l.rstrip("\n").replace("\\", "\\\\"))' |
    psql "$DB" -qAtX -v ON_ERROR_STOP=1 -c 'COPY ledger_events (event) FROM STDIN' >/dev/null
}
n=$(wc -l <"$L")
load 1 300
agent -p claims -s claims.source="$DB" >"$out" || true
jq_assert "$out" 'select(.check == "claims.lifecycle") | .details.head_seq == 300 and .details.mode == "full"'
load 301 "$n"
agent -p claims -s claims.source="$DB" >"$out" || true
jq_assert "$out" "select(.check == \"claims.lifecycle\") | .details.mode == \"incremental\" and .metrics.events_read == $((n - 300))"
jq -e -s '[.[] | select(.check == "claims.lifecycle") | .metrics | del(.events_read)] | .[0] == .[1]' \
  "$TEST_TMP/file.out" "$out" >/dev/null || { cat "$TEST_TMP/file.out" "$out" >&2; fail "the table gives other numbers than the file"; }

# read-only, bounded, named
run -s claims.medlink_table=writing_view
jq_assert "$out" 'select(.check == "claims.lifecycle") | .status == "unknown"
  and (.summary | test("cannot read MedLink.*read-only transaction"))'
[ "$(psql "$DB" -qAtX -c 'SELECT count(*) FROM written')" = 0 ] || fail "the probe wrote to MedLink"
run -s claims.medlink_table=telling_view
jq_assert "$out" 'select(.check == "claims.lifecycle")
  | (.summary | test("session: app=probe-agent ro=on st=[1-9][0-9]*(ms|s) lt=[1-9]"))'
# a wrong table is unknown and says why, never a crash
run -s claims.medlink_table=nope
jq_assert "$out" 'select(.check == "claims.lifecycle") | .status == "unknown" and (.summary | test("nope"))'
# the password never shows
echo 'sekrit-pw' >"$TEST_TMP/pw"
run -s claims.password_file="$TEST_TMP/pw"
if grep -q sekrit-pw "$out"; then fail "password in the output"; fi
exit 0
