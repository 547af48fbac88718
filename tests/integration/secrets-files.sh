#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# secrets-files.sh: the secrets plugin on files and environment variables:
# age from mtime and from a Kubernetes volume's ..data link, file mode,
# missing/empty/unreadable secrets, HMAC minimum length, wallet keys against
# anchor.expected_sender, and the keyed baseline (record, then unchanged vs
# rotated). The canary: every secret value made here has a unique marker,
# and no value or 8-character piece of one may appear in anything printed.
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/integration/secrets-lib.sh"

S=$TEST_TMP/secrets
mkdir -p "$S"
umask 077
canary_secret api > "$S/api_key"
canary_secret hmac > "$S/hmac_ok"
canary_secret hmacshort short > "$S/hmac_short"
canary_secret old > "$S/old_key"
touch -d '-200 days' "$S/old_key"
canary_secret open > "$S/world_readable"
chmod 644 "$S/world_readable"
canary_secret grp > "$S/group_readable"
chmod 640 "$S/group_readable"
: > "$S/empty"
# the first ganache --wallet.deterministic account: address 0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1
# (a well-known test key; recorded as a secret all the same)
printf '0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d\n' > "$S/wallet"
cp "$S/wallet" "$CANARY_DIR/secret.wallet"
canary_secret wallet2 hex64 > "$S/wallet_other"
printf 'not-a-key-CANARYxyz\n' > "$S/wallet_bad"
cp "$S/wallet_bad" "$CANARY_DIR/secret.walletbad"
# a Kubernetes secret volume: the file is old, the ..data link was just swapped
K=$TEST_TMP/k8s
mkdir -p "$K/..2026_11_28_12_00_00.1"
canary_secret k8s > "$K/..2026_11_28_12_00_00.1/itrans_api_key"
touch -h -d '-300 days' "$K/..2026_11_28_12_00_00.1/itrans_api_key"
ln -s ..2026_11_28_12_00_00.1 "$K/..data"
ln -s ..data/itrans_api_key "$K/itrans_api_key"
# and one whose ..data link itself is 120 days old
K2=$TEST_TMP/k8s-old
mkdir -p "$K2/..2026_07_01_00_00_00.1"
canary_secret k8sold > "$K2/..2026_07_01_00_00_00.1/token"
ln -s ..2026_07_01_00_00_00.1 "$K2/..data"
touch -h -d '-120 days' "$K2/..data"
ln -s ..data/token "$K2/token"
export PROBE_TEST_SECRET_ENV="$(canary_secret env)"
export PROBE_TEST_SECRET_EMPTY=""

files=$(jq -cn --arg s "$S" --arg k "$K" --arg k2 "$K2" '[
  "\($s)/api_key",
  {"path": "\($s)/hmac_ok", "kind": "hmac", "name": "itrans-hmac"},
  {"path": "\($s)/hmac_short", "kind": "hmac"},
  "\($s)/old_key", "\($s)/world_readable", "\($s)/group_readable", "\($s)/empty", "\($s)/missing",
  {"path": "\($s)/wallet", "kind": "eth_private_key", "name": "anchor-wallet"},
  {"path": "\($s)/wallet_other", "kind": "eth_private_key"},
  {"path": "\($s)/wallet_bad", "kind": "eth_private_key"},
  "\($k)/itrans_api_key", "\($k2)/token"
]')
envs='["PROBE_TEST_SECRET_ENV", {"env": "PROBE_TEST_SECRET_EMPTY", "kind": "hmac"}, "PROBE_TEST_SECRET_UNSET"]'
sender=0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1
out=$TEST_TMP/run1.jsonl
rc=0
canary_run agent --plugin secrets -s "secrets.files=$files" -s "secrets.env=$envs" \
  -s "anchor.expected_sender=$sender" -s anchor.enabled=false -s secrets.baseline=record > "$out" || rc=$?
[ "$rc" = 2 ] || fail "exit status $rc, expected 2"
[ "$(wc -l < "$out")" = 16 ] || { cat "$out" >&2; fail "expected 16 lines"; }
n() { jq -s -c ".[$1]" "$out"; }
expect() {
  n "$1" | jq -e --arg s "$2" ".check == \"secrets.rotation\" and .status == \$s and ($3)" >/dev/null ||
    { n "$1" >&2; fail "line $1: expected $2 and $3"; }
}
expect 0 ok '.details.mode == "0600" and .metrics.age_days == 0 and .details.age_from == "file mtime" and (.details.fingerprint | length) == 16 and .details.baseline == "recorded"'
expect 1 ok '.details.kind == "hmac" and .details.name == "itrans-hmac"'
expect 2 critical '.summary | test("HMAC secret shorter than 32 bytes \\(hmac_min_bytes=32\\)")'
expect 3 warning '(.summary | test("not rotated for 200 days \\(max_age_days=90\\)")) and .metrics.age_days == 200'
expect 4 critical '.summary | test("mode 0644: readable or writable by others")'
expect 5 critical '.summary | test("mode 0640: readable or writable by its group")'
expect 6 critical '.summary | test("empty")'
expect 7 critical '.summary | test("missing")'
expect 8 ok '.details.derived_address == "0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1" and .details.sender_match == true'
expect 9 critical '(.summary | test("wallet key derives 0x[0-9a-f]{40} but anchor.expected_sender is")) and .details.sender_match == false'
expect 10 critical '.summary | test("not a valid secp256k1 private key")'
# Kubernetes: the ..data link decides, not the 300-day-old file
expect 11 ok '.details.kubernetes_volume == true and .metrics.age_days == 0'
expect 12 warning '.details.kubernetes_volume == true and .metrics.age_days == 120 and (.summary | test("not rotated for 120 days"))'
expect 13 ok '.target == "env:PROBE_TEST_SECRET_ENV" and (.details.age_from | test("no rotation time"))'
expect 14 critical '.summary | test("empty")'
expect 15 critical '.summary | test("PROBE_TEST_SECRET_UNSET is not set")'
# the baseline and its key: mode 0600, no plain value in them
st=$TEST_TMP/state/secrets
[ -f "$st/fingerprint.key" ] && [ -f "$st/baseline.json" ] || fail "baseline files missing"
[ "$(stat -c %a "$st/fingerprint.key")" = 600 ] || fail "fingerprint.key is not mode 0600"
[ "$(stat -c %a "$st/baseline.json")" = 600 ] || fail "baseline.json is not mode 0600"
cat "$st/baseline.json" >> "$CANARY_OUT"
# a plain SHA-256 of a value must not be what is stored
plain=$(printf '%s' "$(cat "$S/api_key")" | sha256sum | cut -d' ' -f1)
grep -q "$plain" "$st/baseline.json" && fail "baseline holds a plain hash"

# second run: rotate two secrets; the others are reported unchanged
canary_secret api2 > "$S/api_key"
canary_secret k8s2 > "$K/..2026_11_28_12_00_00.1/itrans_api_key"
out=$TEST_TMP/run2.jsonl
rc=0
canary_run agent --plugin secrets -s "secrets.files=$files" -s "secrets.env=$envs" \
  -s "anchor.expected_sender=$sender" -s anchor.enabled=false > "$out" || rc=$?
expect 0 ok '.details.changed_since_baseline == true'
expect 1 warning '(.summary | test("not rotated since the baseline of")) and .details.changed_since_baseline == false'
expect 11 ok '.details.changed_since_baseline == true'
expect 13 warning '.summary | test("not rotated since the baseline")'
# unchanged_status=critical
out=$TEST_TMP/run3.jsonl
canary_run agent --plugin secrets -s "secrets.files=[{\"path\":\"$S/hmac_ok\",\"kind\":\"hmac\",\"name\":\"itrans-hmac\"}]" \
  -s secrets.unchanged_status=critical > "$out" || true
jq_assert "$out" '.status == "critical" and (.summary | test("not rotated since the baseline"))'
# without the expected sender: a warning that says so
out=$TEST_TMP/run4.jsonl
canary_run agent --plugin secrets -s "secrets.files=[{\"path\":\"$S/wallet\",\"kind\":\"eth_private_key\"}]" -s secrets.baseline=off > "$out" || true
jq_assert "$out" '.status == "warning" and (.summary | test("expected_sender is not set"))'
# expected_owner: another user is critical, the right one is not
me=$(id -un)
out=$TEST_TMP/run6.jsonl
canary_run agent --plugin secrets -s "secrets.files=[\"$S/api_key\"]" -s secrets.baseline=off -s secrets.expected_owner=nobody > "$out" || true
jq_assert "$out" ".status == \"critical\" and (.summary | test(\"owned by $me, expected nobody\"))"
canary_run agent --plugin secrets -s "secrets.files=[\"$S/api_key\"]" -s secrets.baseline=off -s "secrets.expected_owner=$(id -u)" > "$out" || true
jq_assert "$out" '.status == "ok"'
# unreadable by the probe (when not root, which reads everything)
if [ "$(id -u)" != 0 ]; then
  canary_secret locked > "$S/locked"; chmod 000 "$S/locked"
  out=$TEST_TMP/run5.jsonl
  canary_run agent --plugin secrets -s "secrets.files=[\"$S/locked\"]" > "$out" || true
  jq_assert "$out" '.status == "unknown"'
fi
# a bad entry is refused by --check-config
rc=0
canary_run agent --check-config -c /dev/stdin <<<'{"plugins":{"secrets":{"files":[{"path":"/x","kind":"rsa"}]}}}' > /dev/null 2>&1 || rc=$?
[ "$rc" = 78 ] || fail "check-config of a bad kind: exit $rc, expected 78"

canary_check
# the canary itself catches a planted 9-byte piece of a secret
( CANARY_OUT=$TEST_TMP/planted
  { cat "$TEST_TMP/canary/all-output"; head -c 14 "$S/hmac_ok" | tail -c 9; } > "$CANARY_OUT"
  canary_check ) 2>/dev/null && fail "the canary does not catch a planted piece of a secret"
echo "secrets-files: ok"
