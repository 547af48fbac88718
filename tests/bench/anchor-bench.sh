#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/bench/anchor-bench.sh [N]: how many JSON-RPC requests and how long
# the anchor plugin takes to confirm N anchors (default 500) against a
# local ganache, cold (empty state) and warm (final anchors cached), with
# and without batches; and, as the baseline measured in the same run, a
# straightforward client (Python, one HTTP request per call: transaction,
# receipt, block for each anchor). Figures are printed as ratios to that
# baseline. Run from the build directory:
#   top_srcdir=/path/to/src tests/bench/anchor-bench.sh 500
set -euo pipefail
N=${1:-500}
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$PWD}"
agent="$top_builddir/probe-agent"
ganache="$top_srcdir/tests/node_modules/.bin/ganache"
[ -x "$ganache" ] || { echo "no ganache: npm ci --prefix tests" >&2; exit 77; }
tmp=$(mktemp -d /tmp/anchor-bench.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$ganache" --server.host 127.0.0.1 --server.port "$port" --chain.chainId 1337 \
  --wallet.deterministic --logging.quiet >"$tmp/ganache.log" 2>&1 &
pid=$!
RPC="http://127.0.0.1:$port"
for i in $(seq 1 240); do
  curl -s -m 2 -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$RPC" | grep -q result && break
  sleep 0.25
done
echo "generating $N anchors on ganache..."
(cd "$top_srcdir/tests/anchor" && node make-fixtures.mjs "$RPC" "$tmp" bench "$N")

# run LABEL STATE [SETTINGS...]: one agent run; prints the figures
run() {
  local label=$1 state=$2; shift 2
  "$agent" --plugin-dir "$top_builddir/.libs" --state-dir "$state" --plugin anchor \
    -s "anchor.source=$tmp/bench.jsonl" -s "anchor.rpc_url=$RPC" -s anchor.timeout=600 "$@" >"$tmp/$label.json" || true
  jq -r --arg l "$label" '"\($l) \(.status) \(.metrics.anchors_confirmed) \(.metrics.rpc_requests) \(.metrics.rpc_calls) \(.duration_ms / 1000)"' "$tmp/$label.json"
}

base=$(python3 - "$tmp/bench.jsonl" "$RPC" <<'PY'
import json, sys, time, urllib.request
url = sys.argv[2]
def call(m, p):
    req = urllib.request.Request(url, data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": m, "params": p}).encode(),
                                 headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req, timeout=30).read())["result"]
txs = [json.loads(l)["payload"]["tx_hash"] for l in open(sys.argv[1]) if '"AnchorSubmitted"' in l]
t = time.monotonic(); n = 0; ok = 0
call("eth_chainId", []); n += 1
for h in txs:
    tx = call("eth_getTransactionByHash", [h]); r = call("eth_getTransactionReceipt", [h])
    b = call("eth_getBlockByNumber", [r["blockNumber"], False]); n += 3
    ok += r["status"] == "0x1" and b["hash"] == r["blockHash"]
print("baseline ok %d %d %d %.3f" % (ok, n, n, time.monotonic() - t))
PY
)
cold=$(run cold "$tmp/state")
warm=$(run warm "$tmp/state")
nobatch=$(run cold-nobatch "$tmp/state2" -s anchor.batch_size=1)
echo
printf '%-14s %-7s %9s %9s %9s %9s %9s\n' run status confirmed requests calls seconds "x baseline time"
for line in "$base" "$cold" "$warm" "$nobatch"; do
  read -r l s c r k sec <<<"$line"
  bsec=$(awk '{print $6}' <<<"$base")
  printf '%-14s %-7s %9s %9s %9s %9.3f %9.3f\n' "$l" "$s" "$c" "$r" "$k" "$sec" "$(awk -v a="$sec" -v b="$bsec" 'BEGIN{print a/b}')"
done
