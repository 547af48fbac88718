#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# http-endpoints.sh: the http plugin against real HTTP servers on loopback
# (tests/integration/http-server.py), plain and https with the test CA of
# tls-lib.sh: each status, a slow endpoint over max_latency, JSON assertions
# that hold and fail, invalid JSON, a 40 MB body, a stalled body, a reset,
# unhealthy_for across runs (a failure shorter and longer than it), and a
# redirect to another origin with a token (the token never reaches it).
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/integration/tls-lib.sh"
command -v python3 >/dev/null || fail "python3 is needed"
case " ${PROBE_BUILT_PLUGINS:-} " in *" http.la "*) ;; *) echo "SKIP: http plugin not built" >&2; exit 77 ;; esac
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; tls_cleanup; rm -rf "$TEST_TMP"' EXIT

# serve NAME [CERT KEY]: starts a server, sets port_NAME.
serve() {
  local n=$1; shift
  python3 "$top_srcdir/tests/integration/http-server.py" "$TEST_TMP/$n.port" "$TEST_TMP/$n.log" "$@" \
    2>"$TEST_TMP/$n.err" &
  PIDS="$PIDS $!"
  for _ in $(seq 100); do [ -s "$TEST_TMP/$n.port" ] && break; sleep 0.1; done
  [ -s "$TEST_TMP/$n.port" ] || { cat "$TEST_TMP/$n.err" >&2; fail "server $n did not start"; }
  eval "port_$n=$(cat "$TEST_TMP/$n.port")"
}
serve main
serve other
cp "$TEST_TMP/other.port" "$TEST_TMP/main.log.other"
b=http://127.0.0.1:$port_main
out=$TEST_TMP/out.jsonl
err=$TEST_TMP/err.txt
export TEST_STATE_DIR=$TEST_TMP/state

run() { rc=0; agent --plugin http "$@" >"$out" 2>"$err" || rc=$?; [ -s "$out" ] || { cat "$err" >&2; fail "no line"; }; }
targets() { run -s "http.targets=$1" "${@:2}"; }
# nth N FILTER [MSG]: the Nth http.endpoint line (0-based) satisfies FILTER.
nth() {
  jq -c "select(.check == \"http.endpoint\")" "$out" | sed -n "$(($1 + 1))p" >"$TEST_TMP/line.json"
  [ -s "$TEST_TMP/line.json" ] || { cat "$out" "$err" >&2; fail "no line $1"; }
  jq_assert "$TEST_TMP/line.json" "$2" "${3:-line $1: $2}"
}

# --- statuses, the phases as metrics ------------------------------------------
targets "[\"$b/verify\", {\"url\": \"$b/status/503\", \"name\": \"medlink\"},
  {\"url\": \"$b/status/404\", \"expect_status\": [200, 404]}, \"$b/status/302\"]"
[ "$rc" = 2 ] || fail "a 503 must make the run critical (exit $rc)"
nth 0 '.status == "ok" and .metrics.status_code == 200 and .metrics.body_bytes > 0
  and (.metrics | has("dns_seconds") and has("connect_seconds") and has("tls_seconds")
       and has("first_byte_seconds") and has("total_seconds"))
  and .metrics.tls_seconds == 0 and .metrics.total_seconds >= .metrics.first_byte_seconds'
nth 1 '.status == "critical" and .metrics.status_code == 503 and .details.name == "medlink"
  and (.summary | test("HTTP 503, expected 200"))'
nth 2 '.status == "ok" and .metrics.status_code == 404'
nth 3 '.status == "critical" and .metrics.status_code == 302'

# --- max_latency: a slow endpoint is a warning; a fast one is not --------------
targets "[{\"url\": \"$b/slow\", \"max_latency\": \"500ms\"}, {\"url\": \"$b/verify\", \"max_latency\": \"5s\"}]"
[ "$rc" = 1 ] || fail "slow endpoint: exit $rc"
nth 0 '.status == "warning" and (.summary | test("max_latency=500 ms")) and .metrics.total_seconds >= 1.4'
nth 1 '.status == "ok"'

# --- JSON pointer assertions ----------------------------------------------------
js='"json": [{"pointer": "/status", "equals": "intact"}, {"pointer": "/database", "one_of": ["ok", "degraded"]},
  {"pointer": "/events", "min": 10}, {"pointer": "/events", "max": 100}]'
targets "[{\"url\": \"$b/verify\", $js}, {\"url\": \"$b/broken\", $js}, {\"url\": \"$b/invalid\", $js}]"
[ "$rc" = 2 ] || fail "assertions: exit $rc"
nth 0 '.status == "ok"'
nth 1 '.status == "critical" and (.summary | test("/status is \"forked\", want equals \"intact\""))
  and (.summary | test("/database is \"down\", want one_of")) and (.summary | test("/events is 3, want min 10"))'
nth 2 '.status == "critical" and (.summary | test("not valid JSON"))'

# --- faults: a 40 MB body, a stalled body, a reset; each a line, in time --------
t0=$(date +%s)
targets "[\"$b/big\", \"$b/stall\", \"$b/reset\", \"http://127.0.0.1:1/nothing\"]" -s http.request_timeout=3 -s http.timeout=20
t1=$(date +%s)
[ "$rc" = 2 ] || fail "faults: exit $rc"
[ $((t1 - t0)) -le 25 ] || fail "the faults took $((t1 - t0)) s (timeout 20)"
nth 0 '.status == "critical" and (.summary | test("too large"))'
nth 1 '.status == "critical" and (.summary | test("timeout"))'
nth 2 '.status == "critical" and (.summary | test("connection failed"))'
nth 3 '.status == "critical" and (.summary | test("connection failed"))'
# max_response_bytes lets a big body through when raised
targets "[\"$b/big\"]" -s http.max_response_bytes=50000000
nth 0 '.status == "ok" and .metrics.body_bytes == 41943040'

# --- unhealthy_for across runs --------------------------------------------------
flip=$TEST_TMP/main.log.flip
uh="[{\"url\": \"$b/flip\", \"name\": \"relay\", \"unhealthy_for\": \"3s\"}]"
echo 500 >"$flip"
targets "$uh"
[ "$rc" = 1 ] || fail "a fresh failure under unhealthy_for must be a warning (exit $rc)"
nth 0 '.status == "warning" and (.details.failing_since | test("^[0-9-]{10}T[0-9:]{8}Z$")) and (.summary | test("unhealthy_for=3 s"))'
since=$(jq -r 'select(.check == "http.endpoint") | .details.failing_since' "$out")
# a failure shorter than unhealthy_for never turns critical
rm -f "$flip"
targets "$uh"
nth 0 '.status == "ok" and (.details | has("failing_since") | not)'
# and a new one starts counting afresh, then lasts longer than it
echo 500 >"$flip"
sleep 1.1
targets "$uh"
nth 0 '.status == "warning"'
since2=$(jq -r 'select(.check == "http.endpoint") | .details.failing_since' "$out")
[ "$since2" != "$since" ] || fail "a recovered failure kept its failing_since"
sleep 3.2
targets "$uh"
[ "$rc" = 2 ] || fail "a failure longer than unhealthy_for must be critical (exit $rc)"
nth 0 ".status == \"critical\" and .details.failing_since == \"$since2\" and .metrics.failing_seconds >= 3"
# without unhealthy_for the same failure is critical at once
targets "[\"$b/flip\"]"
nth 0 '.status == "critical"'
rm -f "$flip"

# --- a token, and a redirect to another origin -----------------------------------
printf 'tok-s3cr3t-4711\n' >"$TEST_TMP/token"; chmod 600 "$TEST_TMP/token"; give_to_plugins "$TEST_TMP/token"
: >"$TEST_TMP/main.log"; : >"$TEST_TMP/other.log"
targets "[{\"url\": \"$b/verify\", \"token_file\": \"$TEST_TMP/token\", \"headers\": {\"X-Probe\": \"yes\"}},
  {\"url\": \"$b/away\", \"token_file\": \"$TEST_TMP/token\"}]"
nth 0 '.status == "ok"'
nth 1 '.status == "ok" and .metrics.status_code == 200'
jq -e -s 'map(select(.path == "/verify")) | length == 1 and (.[0].headers | .Authorization == "Bearer tok-s3cr3t-4711" and .["X-Probe"] == "yes")' \
  "$TEST_TMP/main.log" >/dev/null || { cat "$TEST_TMP/main.log" "$out" >&2; fail "token or header not sent to the endpoint"; }
jq -e -s 'map(select(.path == "/landed")) | length == 1' "$TEST_TMP/other.log" >/dev/null || fail "the redirect was not followed"
grep -q 'tok-s3cr3t' "$TEST_TMP/other.log" && fail "the token reached another origin"
grep -q 'tok-s3cr3t' "$out" "$err" && fail "the token was printed"
# a missing token file: a clear unknown line
targets "[{\"url\": \"$b/verify\", \"token_file\": \"$TEST_TMP/nope\"}]"
nth 0 '.status == "unknown" and (.summary | test("cannot read token_file")) and (.metrics | has("total_seconds") | not)'
# a token_file that is a link planted to a file outside its directory is
# not followed (the token is not sent); a Kubernetes secret volume's links,
# which stay beneath it, are
mkdir -p "$TEST_TMP/tokdir/..2026_12_01.1"
ln -s ../token "$TEST_TMP/tokdir/planted"
cp "$TEST_TMP/token" "$TEST_TMP/tokdir/..2026_12_01.1/token"
ln -s ..2026_12_01.1 "$TEST_TMP/tokdir/..data"
ln -s ..data/token "$TEST_TMP/tokdir/token"
give_to_plugins "$TEST_TMP/tokdir" "$TEST_TMP/tokdir/..2026_12_01.1" "$TEST_TMP/tokdir/..2026_12_01.1/token"
: >"$TEST_TMP/main.log"
targets "[{\"url\": \"$b/verify\", \"token_file\": \"$TEST_TMP/tokdir/planted\"}]"
nth 0 '.status == "unknown" and (.summary | test("cannot read token_file.*not followed"))'
[ -s "$TEST_TMP/main.log" ] && fail "the endpoint was called with a token read through a planted link"
targets "[{\"url\": \"$b/verify\", \"token_file\": \"$TEST_TMP/tokdir/token\"}]"
nth 0 '.status == "ok"'
jq -e -s 'map(select(.path == "/verify")) | length == 1 and (.[0].headers.Authorization == "Bearer tok-s3cr3t-4711")' \
  "$TEST_TMP/main.log" >/dev/null || fail "the token in a secret volume was not sent"

# --- URLs are redacted in the line ------------------------------------------------
targets "[\"http://user:pw-x9@127.0.0.1:$port_main/verify?token=qq-77\"]"
grep -q 'pw-x9\|qq-77' "$out" && fail "a credential in the URL was printed"

# --- https with the test CA ---------------------------------------------------------
P=$TEST_TMP/pki
tls_make_pki "$P"
serve tls "$P/valid.chain" "$P/valid.key"
targets "[{\"url\": \"https://localhost:$port_tls/verify\", \"ca_file\": \"$P/ca.crt\"},
  \"https://localhost:$port_tls/verify\"]"
nth 0 '.status == "ok" and .metrics.tls_seconds > 0'
nth 1 '.status == "critical" and (.summary | test("TLS"))'

# --- --check-config names a bad target ----------------------------------------------
set +e
agent --plugin http -s 'http.targets=["ftp://x/", {"url": "http://a/", "json": [{"pointer": "x", "equals": 1}]}]' \
  --check-config >"$TEST_TMP/cc.out" 2>"$TEST_TMP/cc.err"
rc=$?
set -e
[ "$rc" != 0 ] || fail "--check-config accepted bad targets"
grep -q 'target 1.*http:// or https://' "$TEST_TMP/cc.err" || { cat "$TEST_TMP/cc.err" >&2; fail "bad scheme not named"; }
grep -q 'target 2.*JSON pointer' "$TEST_TMP/cc.err" || { cat "$TEST_TMP/cc.err" >&2; fail "bad pointer not named"; }
exit 0
