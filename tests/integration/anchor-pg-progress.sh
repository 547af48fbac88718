#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/anchor-pg-progress.sh: the anchor plugin's ledger scan
# over a PostgreSQL table shows a percent in its progress line, from the
# table's row estimate (pg_class.reltuples once analysed), as the ledger
# plugin's does (issue 20); anchor-progress.sh is the file/stdin case. The
# host sends the first progress a quarter second into a run: the table is
# large enough for the scan to last longer than that. No node is needed:
# the ledger holds no anchors and the node refuses connections.
. "$top_srcdir/tests/lib/env.sh"
need_pg
db=$(pg_newdb)
sql() { psql "$db" -qAtX -v ON_ERROR_STOP=1 "$@"; }
python3 "$top_srcdir/tests/integration/ledger-gen.py" 200000 >"$TEST_TMP/l.jsonl"
sql -c "CREATE TABLE ledger_events (id bigserial primary key, event jsonb not null)"
sql -c "\\copy ledger_events (event) FROM '$TEST_TMP/l.jsonl' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
sql -c "ANALYZE ledger_events"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
out=$TEST_TMP/out.jsonl err=$TEST_TMP/err.txt
agent -p anchor -s "anchor.source=$db" -s "anchor.rpc_url=http://127.0.0.1:$port" \
  -s anchor.cache=false --progress >"$out" 2>"$err" || true
jq_assert "$out" '.check == "anchor.confirm" and .details.events == 200000' \
  "the scan did not read the table: $(cat "$out")"
grep -q $'\rprobe-agent: anchor: [0-9]* events, [0-9.]* MB of [0-9.]* MB ([0-9]*%)' "$err" ||
  fail "no percent in the anchor's progress line over a table: $(cat -v "$err")"
tr '\r' '\n' <"$err" | grep -o '([0-9]*%)' | tr -d '(%)' | while read -r pc; do
  [ "$pc" -le 100 ] || fail "a percent above 100: $(cat -v "$err")"
done
echo ok
