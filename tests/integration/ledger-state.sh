#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ledger-state.sh: the checkpoint is trusted only when this user made it
# and it is not from the future (SPEC 6).
#   - a checkpoint whose last_full lies in the future (a clock excursion)
#     is stale: a full pass runs and finds a tampered seq 2;
#   - in a shared (1777) state base another user (nobody) pre-creates
#     `ledger` as a link to a directory of theirs with a forged checkpoint,
#     or as a directory of their own: root's run does not trust it, runs a
#     full pass (critical), and adds an unknown agent.state line;
#   - a state directory writable by others, and a checkpoint file that is a
#     link, are refused the same way;
#   - the secrets baseline and fingerprint key are never written into a
#     directory that is a link or not ours.
. "$top_srcdir/tests/lib/env.sh"
gen() { python3 "$top_srcdir/tests/integration/ledger-gen.py" "$@"; }
skip() { echo "SKIP: $TEST_NAME: $1" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (to act as another user)"
id nobody >/dev/null 2>&1 || skip "no user nobody"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
out=$TEST_TMP/out.jsonl
# a base every user can reach, outside the 0700 TEST_TMP
base=$(mktemp -d /tmp/probe-ledger-state.XXXXXX)
trap 'rm -rf "$base"' EXIT
chmod 0755 "$base"
L=$base/ledger.jsonl
export TEST_STATE_DIR=$base/state
# the ledger keeps root (ledger.user): the attack is on root's runs, and
# the attacker here, nobody, may be the sandbox's own user for plugins
run() { rc=0; agent -p ledger -s ledger.user=root -s ledger.source="$L" "$@" >"$out" || rc=$?; }
# tamper seq 2 in place, same length, so that offsets do not move
tamper2() { python3 - "$L" <<'PY'
import sys
p = sys.argv[1]
lines = open(p, 'rb').read().split(b'\n')
l = lines[1]
i = l.index(b'"amount":"') + len(b'"amount":"')
lines[1] = l[:i] + (b'9' if l[i:i+1] != b'9' else b'8') + l[i+1:]
open(p, 'wb').write(b'\n'.join(lines))
PY
}

# 1. a checkpoint from the future is stale
gen 1000 >"$L"
run -s ledger.full_budget=0
jq_assert "$out" '.status == "ok" and .details.mode == "full"'
cp="$TEST_STATE_DIR/ledger/checkpoint.json"
jq -c '.last_full = (now + 10*365*86400) | .last_run = (now + 10*365*86400)' "$cp" >"$cp.new"
mv "$cp.new" "$cp"; chmod 600 "$cp"
tamper2
run -s ledger.full_budget=0
[ "$rc" = 2 ] || fail "exit status $rc, expected 2 (critical)"
jq_assert "$out" '.status == "critical" and .details.first_bad_seq == 2 and (.details.mode | startswith("full"))
  and .details.full_reason == "the checkpoint'"'"'s times lie in the future"'
# the times from the future are not carried on
jq_assert "$cp" '.last_full < now + 60 and .last_run < now + 60'

# 2. the hijack: in a 1777 base, nobody's link to nobody's forged checkpoint
gen 1000 >"$L"
rm -rf "$TEST_STATE_DIR"; mkdir -p "$TEST_STATE_DIR"
run -s ledger.full_budget=0            # the checkpoint of the good ledger
good=$(cat "$cp")
tamper2
rm -rf "$TEST_STATE_DIR"; mkdir -m 1777 "$TEST_STATE_DIR"; chmod 1777 "$TEST_STATE_DIR"
evil=$base/evil; mkdir "$evil"; chown nobody:nogroup "$evil"
as_nobody sh -c "printf '%s' '$good' > '$evil/checkpoint.json'; chmod 600 '$evil/checkpoint.json'; ln -s '$evil' '$TEST_STATE_DIR/ledger'"
[ -L "$TEST_STATE_DIR/ledger" ] || fail "setup: no link"
run -s ledger.full_budget=0
jq_assert "$out" 'select(.check == "ledger.chain") | .status == "critical" and .details.first_bad_seq == 2
  and (.details.state_error | contains("writable by group or others"))' "a hijacked state directory was trusted"
jq_assert "$out" 'select(.check == "agent.state") | .status == "unknown" and (.summary | contains("refused"))'
[ "$rc" = 2 ] || fail "exit status $rc, expected 2"
[ "$(stat -c %U "$evil/checkpoint.json")" = nobody ] || fail "root wrote into the other user's directory"

# the same attack by the very user the plugins run as (nobody, where no
# probe-agent user exists): its own directory, made before the first run,
# in the shared base, with the checkpoint of the untampered ledger
rm -f "$TEST_STATE_DIR/ledger"
as_nobody sh -c "mkdir -m 700 '$TEST_STATE_DIR/ledger' && printf '%s' '$good' > '$TEST_STATE_DIR/ledger/checkpoint.json'"
rc=0; agent -p ledger -s ledger.source="$L" -s ledger.full_budget=0 -s agent.user=nobody >"$out" || rc=$?
jq_assert "$out" 'select(.check == "ledger.chain") | .status == "critical" and .details.first_bad_seq == 2' \
  "a state directory planted by the plugins' own user in a shared base was trusted"
jq_assert "$out" 'select(.check == "agent.state") | .status == "unknown" and (.summary | contains("shared, so never trusted"))'
rm -rf "$TEST_STATE_DIR/ledger"
# the rest in a base of the agent's own (0755): what is planted there was
# planted by root's hand here, as by an earlier compromise
chmod 0755 "$TEST_STATE_DIR"

# a real directory of another user's
rm -f "$TEST_STATE_DIR/ledger"
mkdir -m 700 "$TEST_STATE_DIR/ledger"; chown nobody "$TEST_STATE_DIR/ledger"
as_nobody sh -c "printf '%s' '$good' > '$TEST_STATE_DIR/ledger/checkpoint.json'"
run -s ledger.full_budget=0
jq_assert "$out" 'select(.check == "ledger.chain") | .status == "critical" and .details.first_bad_seq == 2'
jq_assert "$out" 'select(.check == "agent.state") | .status == "unknown" and (.summary | contains("owned by uid"))'
rm -rf "$TEST_STATE_DIR/ledger"

# our own directory, but writable by others
mkdir -m 0777 "$TEST_STATE_DIR/ledger"; chmod 0777 "$TEST_STATE_DIR/ledger"
printf '%s' "$good" > "$TEST_STATE_DIR/ledger/checkpoint.json"; chmod 600 "$cp"
run -s ledger.full_budget=0
jq_assert "$out" 'select(.check == "ledger.chain") | .status == "critical" and .details.first_bad_seq == 2'
jq_assert "$out" 'select(.check == "agent.state") | .status == "unknown" and (.summary | contains("writable"))'
rm -rf "$TEST_STATE_DIR/ledger"

# our own directory, the checkpoint a link to another user's file
mkdir -m 0700 "$TEST_STATE_DIR/ledger"
as_nobody sh -c "printf '%s' '$good' > '$evil/cp2.json'"
ln -s "$evil/cp2.json" "$cp"
run -s ledger.full_budget=0
jq_assert "$out" 'select(.check == "ledger.chain") | .status == "critical" and .details.first_bad_seq == 2'
jq_assert "$out" 'select(.check == "ledger.state") | .status == "unknown" and (.summary | contains("symbolic link"))'
[ "$(cat "$evil/cp2.json")" = "$good" ] || fail "the linked file was written through"
gen 1000 >"$L"; run   # intact again: the new checkpoint replaces the link
jq_assert "$out" 'select(.check == "ledger.chain") | .status == "ok"'
[ ! -L "$cp" ] && [ "$(cat "$evil/cp2.json")" = "$good" ] || fail "the link was followed, not replaced"

# 3. secrets: no baseline or key written through a link or into nobody's dir
printf 'k%.0s' $(seq 40) > "$base/key"; chmod 600 "$base/key"
evil2=$base/evil2; mkdir "$evil2"; chown nobody:nogroup "$evil2"; chmod 0777 "$evil2"
ln -s "$evil2" "$TEST_STATE_DIR/secrets"
rc=0
agent -p secrets -s "secrets.files=[\"$base/key\"]" -s secrets.baseline=record >"$out" || rc=$?
[ -z "$(ls -A "$evil2")" ] || fail "the secrets plugin wrote into a linked state directory: $(ls "$evil2")"
jq_assert "$out" 'select(.check == "agent.state") | .status == "unknown"'
rm -f "$TEST_STATE_DIR/secrets"
mkdir -m 0777 "$TEST_STATE_DIR/secrets"; chown nobody "$TEST_STATE_DIR/secrets"; chmod 0777 "$TEST_STATE_DIR/secrets"
rc=0
agent -p secrets -s "secrets.files=[\"$base/key\"]" -s secrets.baseline=record >"$out" || rc=$?
[ -z "$(ls -A "$TEST_STATE_DIR/secrets")" ] || fail "the secrets plugin wrote into another user's state directory"
jq_assert "$out" 'select(.check == "agent.state") | .status == "unknown"'
echo ok
