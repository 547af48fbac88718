#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/phttp-redirect-auth.sh: credentials never follow a
# redirect to another origin (issue 11 item 2). Two servers on loopback
# (tests/integration/hop-server.py, A and B, on ports of their own) log the
# headers they receive. deadletter with token_file, its url on A answering
# 302 to B: B gets no Authorization and no token. phttp-get (the helper over
# phttp_fetch) shows the same for a custom token header and for userinfo
# (Basic), for another host name on the same port, and for a hop out and
# back; redirects within the origin keep the credentials.
. "$top_srcdir/tests/lib/env.sh"
command -v python3 >/dev/null || fail "python3 is needed"
get="$top_builddir/tests/helpers/phttp-get"
srv="$top_srcdir/tests/integration/hop-server.py"
python3 "$srv" "$TEST_TMP/portA" "$TEST_TMP/A.log" "$TEST_TMP/portB" 2>"$TEST_TMP/A.err" &
pa=$!
python3 "$srv" "$TEST_TMP/portB" "$TEST_TMP/B.log" "$TEST_TMP/portA" 2>"$TEST_TMP/B.err" &
pb=$!
trap 'kill $pa $pb 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
for _ in $(seq 100); do [ -s "$TEST_TMP/portA" ] && [ -s "$TEST_TMP/portB" ] && break; sleep 0.1; done
[ -s "$TEST_TMP/portA" ] && [ -s "$TEST_TMP/portB" ] || { cat "$TEST_TMP"/*.err >&2; fail "servers did not start"; }
A=http://127.0.0.1:$(cat "$TEST_TMP/portA")
touch "$TEST_TMP/A.log" "$TEST_TMP/B.log"
token=t0k3n-$RANDOM-s3cret
# received SERVER PATH: the headers of SERVER's requests for PATH, one JSON
# object a line
received() { jq -c --arg p "$2" 'select(.path == $p) | .headers' "$TEST_TMP/$1.log"; }
# no_cred SERVER PATH: SERVER got a request for PATH, and no credential with it
no_cred() {
  local h
  h=$(received "$1" "$2")
  [ -n "$h" ] || fail "$1 got no request for $2"
  if grep -q -i -e authorization -e x-api-key -e "$token" -e s3cret <<<"$h"; then
    fail "$1 received a credential on $2: $h"
  fi
}
reset_logs() { : >"$TEST_TMP/A.log"; : >"$TEST_TMP/B.log"; }

# the reproduction: deadletter, token_file, 302 to another port
echo "$token" >"$TEST_TMP/token"
chmod 600 "$TEST_TMP/token"
give_to_plugins "$TEST_TMP/token" # plugins run as the sandbox user when we are root
rc=0
agent --plugin deadletter -s "deadletter.url=$A/away" -s deadletter.status_path='""' \
  -s "deadletter.token_file=$TEST_TMP/token" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
grep -q "Bearer $token" <(received A /away/relay/workflow/dead-letters) ||
  fail "A did not get the token (so the test proves nothing): $(cat "$TEST_TMP/A.log")"
no_cred B /landed
! grep -q "$token" "$TEST_TMP/out" "$TEST_TMP/err" || fail "token printed"

# phttp_fetch: custom token header and userinfo (Basic), another port
reset_logs
auth="http://probe:pw-s3cret@127.0.0.1:$(cat "$TEST_TMP/portA")"
"$get" -H "X-Api-Key: $token" -H "Authorization: Bearer $token" -H "Accept: application/json" \
  "$auth/away" >"$TEST_TMP/get" || fail "GET /away: $(cat "$TEST_TMP/get")"
grep -q '^code=ok status=200 ' "$TEST_TMP/get" || fail "GET /away: $(cat "$TEST_TMP/get")"
no_cred B /landed
received B /landed | grep -q -i '"accept": *"application/json"' || fail "harmless header dropped"
received A /away | grep -q "$token" || fail "A did not get the token header"
# another host name, same port: another origin too
reset_logs
"$get" -H "Authorization: Bearer $token" "$auth/host" >"$TEST_TMP/get" || fail "GET /host: $(cat "$TEST_TMP/get")"
no_cred A /landed
# out and back: once dropped, the credentials stay dropped
reset_logs
"$get" -H "Authorization: Bearer $token" "$A/back" >"$TEST_TMP/get" || fail "GET /back: $(cat "$TEST_TMP/get")"
no_cred B /away
no_cred A /landed
# within the origin (relative and absolute Location) they are kept
for p in stay self; do
  reset_logs
  "$get" -H "Authorization: Bearer $token" "$A/$p" >"$TEST_TMP/get" || fail "GET /$p: $(cat "$TEST_TMP/get")"
  received A /landed | grep -q "Bearer $token" || fail "same-origin redirect /$p lost the token"
done
echo "phttp-redirect-auth: all cases passed"
