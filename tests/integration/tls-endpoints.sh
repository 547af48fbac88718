#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tls-endpoints.sh: the tls plugin against real TLS servers (openssl
# s_server on loopback ports) serving the test PKI: statuses and days per
# case, expired/not-yet-valid said as such (never a connection failure),
# SNI, host names, a root presented by the server, IPv6 literal syntax and
# address fallback, refused and silent servers (timeouts), and concurrency:
# eight silent servers with a 1 s timeout take about 1 s, not 8.
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/integration/tls-lib.sh"
. "$top_srcdir/tests/integration/secrets-lib.sh"
trap 'tls_cleanup; rm -rf "$TEST_TMP"' EXIT

P=$TEST_TMP/pki
tls_make_pki "$P"
canary_record "$P/valid.key" "$P/exp5.key" "$P/sha1.key"

declare -A port
for n in valid exp5 exp25 expired future wronghost sha1 rsa1024 selfsigned withroot; do
  port[$n]=$(tls_serve "$n")
done
sni=$(tls_serve_sni wronghost localhost valid)
refused=$(tls_free_port)

eps=$(jq -cn --argjson p "$(for n in "${!port[@]}"; do echo "\"$n\": ${port[$n]}"; done | paste -sd, | sed 's/^/{/; s/$/}/')" \
  --arg sni "$sni" --arg refused "$refused" '[
  "127.0.0.1:\($p.valid)", "127.0.0.1:\($p.exp5)", "127.0.0.1:\($p.exp25)", "127.0.0.1:\($p.expired)",
  "127.0.0.1:\($p.future)", "127.0.0.1:\($p.wronghost)", "127.0.0.1:\($p.sha1)", "127.0.0.1:\($p.rsa1024)",
  "127.0.0.1:\($p.selfsigned)", "127.0.0.1:\($p.withroot)",
  "localhost:\($p.valid)",
  {"endpoint": "127.0.0.1:\($sni)", "servername": "localhost"},
  "127.0.0.1:\($sni)",
  "127.0.0.1:\($refused)",
  "[::1]:\($refused)",
  {"endpoint": "127.0.0.1:\($p.valid)", "starttls": "xmpp"},
  "no-such-host.invalid:443"
]')
out=$TEST_TMP/endpoints.jsonl
rc=0
canary_run agent --plugin tls -s "tls.endpoints=$eps" -s "tls.ca_file=$P/ca.crt" -s tls.connect_timeout=5 > "$out" || rc=$?
[ "$rc" = 2 ] || fail "exit status $rc, expected 2"
n() { jq -s -c ".[$1]" "$out"; }
expect() { # expect INDEX STATUS CONDITION
  n "$1" | jq -e --arg s "$2" ".status == \$s and ($3)" >/dev/null || { n "$1" >&2; fail "line $1: expected $2 and $3"; }
}
expect 0 ok '.metrics.days_left == 199 and .details.verify_ok and .details.hostname_match and .details.tls_version != "" and .metrics.handshake_seconds >= 0 and .details.address == "127.0.0.1"'
expect 1 critical '.metrics.days_left == 5'
expect 2 warning '.metrics.days_left == 25'
expect 3 critical '(.summary | startswith("expired: leaf certificate notAfter")) and .details.expired and (.summary | test("connection") | not)'
expect 4 critical '(.summary | startswith("not yet valid: leaf certificate notBefore"))'
expect 5 critical '(.summary | test("host name 127.0.0.1 does not match")) and .details.hostname_match == false'
expect 6 critical '(.summary | test("weak leaf signature ecdsa-with-SHA1"))'
expect 7 critical '(.summary | test("weak leaf key RSA 1024 bits"))'
expect 8 critical '(.summary | test("self-signed certificate"))'
expect 9 ok '.details.root_subject == "CN=Probe Test Root CA" and .metrics.days_left == 199 and .metrics.chain_certificates == 3'
expect 10 ok '.details.hostname == "localhost" and .details.hostname_match'
# SNI: the server picks the certificate by the name we send
# (s_server sends no chain with its SNI certificate, so only the leaf is judged)
n 11 | jq -e '.details.subject == "CN=valid.probe.test" and .details.hostname_match' >/dev/null ||
  fail "SNI localhost should select the valid certificate"
n 12 | jq -e '.details.subject == "CN=wronghost.probe.test"' >/dev/null || fail "without SNI the default certificate should come"
expect 13 critical '(.summary | startswith("connection failed")) and (.summary | test("refused"))'
expect 14 critical '(.summary | startswith("connection failed")) and (.target == "[::1]:'"$refused"'")'
expect 15 unknown '.summary | test("starttls must be")'
expect 16 critical '.summary | test("resolve")'

# timeouts and concurrency: 8 silent servers, 1 s each, 8 at once
silent=$(tls_silent)
eps8=$(jq -cn --arg p "$silent" '[range(8)] | map("127.0.0.1:\($p)")')
t0=$(date +%s.%N)
rc=0
canary_run agent --plugin tls -s "tls.endpoints=$eps8" -s tls.connect_timeout=1 -s tls.concurrency=8 > "$TEST_TMP/silent.jsonl" || rc=$?
t1=$(date +%s.%N)
[ "$rc" = 2 ] || fail "silent: exit $rc"
[ "$(jq -s 'map(select(.status == "critical" and (.summary | test("timed out")))) | length' "$TEST_TMP/silent.jsonl")" = 8 ] ||
  { cat "$TEST_TMP/silent.jsonl" >&2; fail "silent servers must time out"; }
elapsed=$(python3 -c 'import sys; print("%.2f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$t0" "$t1")
echo "8 silent endpoints, concurrency 8, timeout 1 s: ${elapsed}s"
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 4.5 else 1)' "$elapsed" || fail "8 silent endpoints took ${elapsed}s: not probed concurrently"

# the run's own timeout bounds the endpoints: with 3 s for the run and one
# endpoint at a time, the first silent one times out within the run and the
# second is reported as not probed, before the agent has to kill anything
rc=0
canary_run agent --plugin tls -s "tls.endpoints=[\"127.0.0.1:$silent\",\"127.0.0.1:$silent\"]" -s tls.timeout=3 \
  -s tls.concurrency=1 > "$TEST_TMP/budget.jsonl" || rc=$?
[ "$rc" = 2 ] || fail "time budget: exit $rc"
jq -s -e '.[0].status == "critical" and (.[0].summary | test("timed out")) and
  .[1].status == "unknown" and (.[1].summary | test("not probed"))' "$TEST_TMP/budget.jsonl" >/dev/null ||
  { cat "$TEST_TMP/budget.jsonl" >&2; fail "the run's time left does not bound the endpoints"; }

canary_check
echo "tls-endpoints: ok"
