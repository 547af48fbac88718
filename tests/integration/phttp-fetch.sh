#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/phttp-fetch.sh: phttp_fetch (through tests/helpers/
# phttp-get) against servers that misbehave: a body that stalls half way
# (timeout, in bounded time), an endless body (too large, stopped early),
# a connection reset, a redirect to https (refused), same-scheme redirects
# (followed, at most 3), and a plain good answer. Fakes from
# tests/anchor/fake-node.py, on loopback ports of their own.
. "$top_srcdir/tests/lib/env.sh"
get="$top_builddir/tests/helpers/phttp-get"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$TEST_TMP"
}
trap cleanup EXIT
for m in stall huge reset redirect hops loop garbage; do
  python3 "$top_srcdir/tests/anchor/fake-node.py" "$m" "$TEST_TMP/port.$m" &
  pids+=($!)
done
url() {
  local i
  for i in $(seq 1 200); do [ -s "$TEST_TMP/port.$1" ] && break; sleep 0.05; done
  echo "http://127.0.0.1:$(cat "$TEST_TMP/port.$1")/"
}
# expect MODE CODE [ARGS]: phttp-get on that fake ends with that code
expect() {
  local m=$1 want=$2; shift 2
  local out rc=0 u start
  u=$(url "$m")
  start=$(date +%s)
  out=$("$get" -X POST -d '{}' "$@" "$u") || rc=$?
  echo "$m: $out"
  grep -q "^code=$want " <<<"$out" || fail "$m: wanted code=$want, got: $out"
  [ $(( $(date +%s) - start )) -le 10 ] || fail "$m: took longer than 10 s"
}
expect stall timeout -t 2
expect huge "response too large" -m 100000 -t 20
expect reset "connection failed"
expect redirect "redirect refused"
expect loop "redirect refused"
expect hops ok
"$get" -X POST -d '{}' -b "$(url hops)" | grep -q '"result":"0x539"' || fail "hops: body not from the last hop"
expect garbage ok # not HTTP's business: the JSON-RPC layer judges the body
# nothing listening
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
out=$("$get" "http://127.0.0.1:$port/") || true
grep -q "^code=connection failed " <<<"$out" || fail "closed port: $out"
# a password in the URL never shows in the error text
out=$("$get" "http://user:s3cret-pw@127.0.0.1:$port/?token=t0ps3cret") || true
if grep -q -e s3cret-pw -e t0ps3cret <<<"$out"; then fail "credential in error: $out"; fi
echo "phttp-fetch: all cases passed"
