#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tls-files.sh: the tls plugin on PEM files, bundles and a Kubernetes TLS
# secret volume, with a test PKI made by the openssl command line: each
# certificate case gives the status and the days it should; expiry days
# count the leaf and intermediates, not a presented root; verification,
# host names (wildcards), weak signature and key; the settings that relax
# statuses; the canary (a private key inside a bundle never shows).
# Days are asserted independently of timing: the certificates end half a
# day off a whole number of days (tls-lib.sh), and days_left is checked
# against leaf_not_after_timestamp_seconds and the line's own time.
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/integration/tls-lib.sh"
. "$top_srcdir/tests/integration/secrets-lib.sh"

P=$TEST_TMP/pki
tls_make_pki "$P"
canary_record "$P/valid.key" "$P/ca.key" "$P/inter.key"

# a combined file: certificate, chain and private key (as some servers keep it)
cat "$P/valid.crt" "$P/valid.key" "$P/inter.crt" > "$P/combined.pem"
# a Kubernetes TLS secret volume, laid out as the kubelet does
K=$TEST_TMP/k8s-tls
mkdir -p "$K/..2026_11_28_12_00_00.000000001"
cp "$P/exp25.chain" "$K/..2026_11_28_12_00_00.000000001/tls.crt"
cp "$P/exp25.key" "$K/..2026_11_28_12_00_00.000000001/tls.key"
cp "$P/ca.crt" "$K/..2026_11_28_12_00_00.000000001/ca.crt"
ln -s ..2026_11_28_12_00_00.000000001 "$K/..data"
for f in tls.crt tls.key ca.crt; do ln -s "..data/$f" "$K/$f"; done
canary_record "$P/exp25.key"
printf 'not a certificate\n' > "$P/garbage.pem"
printf -- '-----BEGIN CERTIFICATE-----\nMIIBxzCCAW2g!!!!\n-----END CERTIFICATE-----\n' > "$P/broken.pem"

files=$(jq -cn --arg p "$P" --arg k "$K" '[
  "\($p)/valid.chain", "\($p)/exp5.chain", "\($p)/exp25.chain", "\($p)/expired.chain",
  "\($p)/future.chain", "\($p)/selfsigned.crt", "\($p)/sha1.chain", "\($p)/rsa1024.chain",
  "\($p)/withroot.chain", "\($p)/combined.pem", $k, "\($p)/garbage.pem", "\($p)/broken.pem",
  "\($p)/missing.pem",
  {"path": "\($p)/wildcard.chain", "servername": "api.example.test"},
  {"path": "\($p)/wildcard.chain", "servername": "a.b.example.test"},
  {"path": "\($p)/valid.chain", "servername": "localhost", "ca_file": "\($p)/inter.crt"}
]')
out=$TEST_TMP/files.jsonl
rc=0
canary_run agent --plugin tls -s "tls.files=$files" -s "tls.ca_file=$P/ca.crt" > "$out" || rc=$?
[ "$rc" = 2 ] || fail "exit status $rc, expected 2 (critical)"
[ "$(wc -l < "$out")" = 17 ] || fail "expected 17 lines, got $(wc -l < "$out")"

# t NAME: the line whose target ends with NAME (first one)
line() { jq -c --arg n "$1" 'select(.target | endswith($n))' "$out" | head -n1; }
expect() { # expect NAME STATUS [jq condition]
  local l; l=$(line "$1")
  [ -n "$l" ] || fail "no line for $1"
  echo "$l" | jq -e --arg s "$2" '.status == $s and .check == "tls.cert"' >/dev/null ||
    { echo "$l" >&2; fail "$1: expected status $2"; }
  if [ -n "${3:-}" ]; then
    echo "$l" | jq -e "$3" >/dev/null || { echo "$l" >&2; fail "$1: $3 does not hold"; }
  fi
}
expect /valid.chain ok '.metrics.days_left == 199 and .details.verify_ok == true and
  .details.subject == "CN=valid.probe.test" and .details.issuer == "CN=Probe Test Intermediate" and
  (.details.sans | index("localhost")) != null and (.details.sha256_fingerprint | length) == 64 and
  (.details.serial | length) > 0 and .metrics.leaf_not_after_timestamp_seconds > 0 and
  .metrics.chain_not_after_timestamp_seconds == .metrics.leaf_not_after_timestamp_seconds and
  (((.metrics.leaf_not_after_timestamp_seconds - (.ts | sub("\\.[0-9]+Z$"; "Z") | fromdate)) / 86400 | floor)
    as $d | .metrics.days_left == $d or .metrics.days_left == $d - 1)'
# the summaries name the threshold crossed (issue 19 item 7)
expect /exp5.chain critical '.metrics.days_left == 5 and (.summary | test("^expires in 5 days \\(crit_days=7; leaf certificate notAfter "))'
expect /exp25.chain warning '.metrics.days_left == 25 and (.summary | test("^expires in 25 days \\(warn_days=30; leaf certificate notAfter "))'
expect /expired.chain critical '(.summary | startswith("expired: leaf certificate notAfter")) and
  (.summary | test("notBefore")) and .details.expired == true and .metrics.days_left == -2 and
  (.summary | test("connection") | not) and .details.verify_ok == false'
expect /future.chain critical '(.summary | startswith("not yet valid: leaf certificate notBefore")) and .details.not_yet_valid == true'
expect /selfsigned.crt critical '(.summary | test("verification failed: self-signed certificate")) and .details.verify_ok == false'
expect /sha1.chain critical '(.summary | test("weak leaf signature ecdsa-with-SHA1")) and .details.verify_ok == true'
expect /rsa1024.chain critical '(.summary | test("weak leaf key RSA 1024 bits \\(minimum 2048\\)")) and .details.key_bits == 1024'
# a presented root is reported apart and its 10 years do not count
expect /withroot.chain ok '.details.root_subject == "CN=Probe Test Root CA" and .metrics.days_left == 199 and .metrics.chain_certificates == 3'
expect /combined.pem ok '.metrics.chain_certificates == 2'
# the Kubernetes secret folder: tls.crt read through ..data, ca.crt used as anchors
expect "$K" warning '.details.path == "'"$K"'/tls.crt" and .details.ca_file == "'"$K"'/ca.crt" and .details.verify_ok == true and .metrics.days_left == 25'
expect /garbage.pem critical '.summary | test("no PEM certificate")'
expect /broken.pem critical '.summary | test("certificate block 1")'
expect /missing.pem unknown '.summary | test("No such file")'
# wildcards: one label only
l=$(jq -c 'select(.target | endswith("wildcard.chain"))' "$out")
echo "$l" | head -n1 | jq -e '.status == "ok" and .details.hostname_match == true' >/dev/null || fail "wildcard: api.example.test should match"
echo "$l" | sed -n 2p | jq -e '.status == "critical" and .details.hostname_match == false and (.summary | test("does not match"))' >/dev/null ||
  fail "wildcard: a.b.example.test must not match"
# a per-file ca_file that is not a root: verification fails
jq -s -e '.[16] | .status == "critical" and .details.verify_ok == false and .details.hostname_match == true' "$out" >/dev/null ||
  fail "per-entry ca_file was not used"

# relaxed statuses: verify_failure=warning, weak_crypto=warning; thresholds
out2=$TEST_TMP/relaxed.jsonl
rc=0
canary_run agent --plugin tls -s "tls.files=[\"$P/selfsigned.crt\",\"$P/sha1.chain\",\"$P/valid.chain\"]" \
  -s tls.verify_failure=warning -s tls.weak_crypto=warning -s tls.warn_days=250 -s tls.crit_days=100 \
  -s "tls.ca_file=$P/ca.crt" > "$out2" || rc=$?
[ "$rc" = 1 ] || fail "relaxed: exit status $rc, expected 1"
jq -s -e 'map(.status) == ["warning","warning","warning"]' "$out2" >/dev/null || { cat "$out2" >&2; fail "relaxed statuses"; }
jq -s -e '.[2].summary | test("expires in 199 days \\(warn_days=250; ")' "$out2" >/dev/null || fail "warn_days=250 not applied"

# nothing configured: one unknown line
rc=0
canary_run agent --plugin tls > "$TEST_TMP/none.jsonl" || rc=$?
[ "$rc" = 3 ] || fail "no targets: exit $rc, expected 3"
jq_assert "$TEST_TMP/none.jsonl" '.status == "unknown" and (.summary | test("nothing to check"))'

canary_check
echo "tls-files: ok"
