#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# claims-progress.sh: a long scan of the claims plugin shows the agent's one
# updating progress line with --progress, and nothing without it on a
# standard error that is not a terminal (issue 20). The ledger comes from a
# pipe that pauses for two seconds half-way, so that the scan outlasts the
# host's first quarter second whatever the machine's speed.
. "$top_srcdir/tests/lib/env.sh"
L=$TEST_TMP/ledger.jsonl
out=$TEST_TMP/out.jsonl
err=$TEST_TMP/err.txt
python3 "$top_srcdir/tests/integration/claims-gen.py" bench 4000 >"$L"
slow() { head -n 2000 "$L"; sleep 2; tail -n +2001 "$L"; }
scan() { # scan DIR [ARGS...]
  local sd=$1; shift
  rc=0
  slow | TEST_STATE_DIR=$sd agent -p claims -s claims.source=- "$@" \
    >"$out" 2>"$err" || rc=$?
  jq_assert "$out" 'select(.check == "claims.lifecycle")
    | .metrics.events_read == 4000'
}

scan "$TEST_TMP/s1" --progress
grep -q $'\rprobe-agent: claims: [0-9]* events, [0-9.]* MB, [0-9.]* MB/s' "$err" ||
  fail "--progress: no progress line from claims: $(cat -v "$err")"
[ "$(jq -s '[.[] | select(.check == "claims.lifecycle")] | length' "$out")" = 1 ] ||
  fail "--progress: the result stream changed: $(cat "$out")"

scan "$TEST_TMP/s2"
! grep -q 'events' "$err" ||
  fail "progress on a standard error that is not a terminal: $(cat -v "$err")"
scan "$TEST_TMP/s3" --no-progress
! grep -q 'events' "$err" || fail "--no-progress: $(cat -v "$err")"
