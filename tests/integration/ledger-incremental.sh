#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ledger-incremental.sh: the checkpoint between runs. A second run verifies
# only what was appended (mode incremental, verified_events = appended),
# with appended_events and append_rate_per_minute; a re-spelled file whose
# offsets moved makes a full run that is still ok; a shorter ledger and a
# ledger whose event at the checkpoint changed are critical `rollback`, and
# stay so; incremental=false always verifies fully; max_idle. full_budget=0
# keeps the old behaviour (incremental between full_every passes) so that
# the incremental path is exercised on a small ledger; the default budget
# (a full pass on every run that fits it) is in ledger-budget.sh.
. "$top_srcdir/tests/lib/env.sh"
gen() { python3 "$top_srcdir/tests/integration/ledger-gen.py" "$@"; }
out=$TEST_TMP/out.jsonl
L=$TEST_TMP/ledger.jsonl
export TEST_STATE_DIR=$TEST_TMP/state
run() { rc=0; agent -p ledger -s ledger.source="$L" -s ledger.full_budget=0 "$@" >"$out" || rc=$?; }

gen 1000 >"$L"
run
jq_assert "$out" '.status == "ok" and .details.mode == "full" and .metrics.verified_events == 1000'
[ -f "$TEST_STATE_DIR/ledger/checkpoint.json" ] || fail "no checkpoint written"
jq_assert "$TEST_STATE_DIR/ledger/checkpoint.json" '.seq == 1000 and (.hash | length) == 64 and .offset > 0'

# append 500 (the generator's first 1000 events are the same); a second
# later, so that the append rate (per whole second of time()) exists
sleep 1
gen 1500 >"$L.new" && mv "$L.new" "$L"
run
jq_assert "$out" '.status == "ok" and .details.mode == "incremental" and .metrics.verified_events == 500
  and .metrics.events == 1500 and .metrics.appended_events == 500 and .metrics.append_rate_per_minute > 0'
# an incremental line says what it verified and how old the full pass is
jq_assert "$out" '(.summary | startswith("500 appended events verified, head seq 1500; whole ledger verified "))
  and (.summary | test("intact") | not) and .metrics.last_full_age_seconds >= 0
  and (.details.last_full_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))'
want=$(tail -n1 "$L" | jq -r .hash)
jq_assert "$out" ".details.head_hash == \"$want\""

# nothing appended
run
jq_assert "$out" '.status == "ok" and .details.mode == "incremental" and .metrics.verified_events == 0
  and .metrics.appended_events == 0'

# a bad event appended is found by the incremental run
gen --break hash_mismatch:1600 1700 >"$L"
run
jq_assert "$out" '.status == "critical" and .details.mode == "incremental" and .details.first_bad_seq == 1600
  and .details.reason == "hash_mismatch"'

# same events, other spelling: the checkpoint's offset no longer matches,
# so a full run, which finds the ledger intact
gen --respell 1500 >"$L"
run
jq_assert "$out" '.status == "ok" and (.details.mode | startswith("full")) and .metrics.verified_events == 1500'
gen 1500 >"$L"; run   # back to the plain spelling, checkpoint at 1500
jq_assert "$out" '.status == "ok"'

# rollback: shorter ledger
gen 1200 >"$L"
run
jq_assert "$out" '.status == "critical" and .details.reason == "rollback" and (.summary | startswith("rollback"))'
run   # stays critical: the checkpoint is not moved back silently
jq_assert "$out" '.status == "critical" and .details.reason == "rollback"'

# rollback: another history, intact on its own, with another hash at seq 1500
gen --seed 7 1600 >"$L"
run
jq_assert "$out" '.status == "critical" and .details.reason == "rollback" and .details.first_bad_seq == 1500'

# incremental=false: full each time; removing the state accepts a rebuilt ledger
rm -f "$TEST_STATE_DIR/ledger/checkpoint.json"
run -s ledger.incremental=false
jq_assert "$out" '.status == "ok" and .details.mode == "full" and .metrics.verified_events == 1600'
run -s ledger.incremental=false
jq_assert "$out" '.details.mode == "full" and .metrics.verified_events == 1600'

# max_idle: the generated events are from February 2026
run -s 'ledger.max_idle="1h"'
jq_assert "$out" '.status == "critical" and .details.reason == "idle" and .metrics.idle_seconds > 3600
  and (.summary | contains("max_idle 3600 s"))'
run -s ledger.max_idle=999999999
jq_assert "$out" '.status == "ok"'
echo ok
