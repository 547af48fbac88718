# SPDX-License-Identifier: Apache-2.0
# tests/anchor/ganache.sh: sourced by the anchor tests that need a node of
# their own (anchor-confirm.sh, anchor-wallet.sh), after tests/lib/env.sh:
# starts ganache from tests/node_modules (deterministic wallets, chain
# 1337) on a free port, so that evm_snapshot/evm_revert and the accounts'
# nonces are the test's own; sets RPC and rpc METHOD [PARAMS], and pids
# (killed on exit, with TEST_TMP removed: add the test's own servers).
need_eth
ganache="$top_srcdir/tests/node_modules/.bin/ganache"
[ -x "$ganache" ] || missing_server "ganache (tests/node_modules)"

pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$TEST_TMP"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$ganache" --server.host 127.0.0.1 --server.port "$port" --chain.chainId 1337 \
  --wallet.deterministic --logging.quiet >"$TEST_TMP/ganache.log" 2>&1 &
pids+=($!)
RPC="http://127.0.0.1:$port"
rpc() { curl -s -m 10 -H 'content-type: application/json' -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":${2:-[]}}" "$RPC"; }
for i in $(seq 1 120); do rpc eth_chainId | grep -q result && break; sleep 0.25; done
rpc eth_chainId | grep -q result || fail "ganache did not start"
