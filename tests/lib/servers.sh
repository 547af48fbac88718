#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/lib/servers.sh start|stop DIR: the real servers of the integration
# tests, all on loopback or Unix sockets, all inside DIR.
#   start: a throwaway PostgreSQL cluster (initdb + pg_ctl, socket in DIR,
#          run as an unprivileged user when we are root: initdb refuses root)
#          and a ganache node on a free loopback port; writes DIR/servers.env
#          with the PROBE_TEST_* variables tests/lib/env.sh documents.
#   stop:  stops both.
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:?directory}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

pg_bin() {
  local b
  for b in "$(command -v pg_ctl 2>/dev/null || true)" /usr/lib/postgresql/*/bin/pg_ctl; do
    [ -x "$b" ] && { dirname "$b"; return; }
  done
  return 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

as_pg_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  mkdir -p "$dir"
  : > "$dir/servers.env"
  local bin; bin=$(pg_bin) || { echo "servers.sh: no PostgreSQL server binaries" >&2; return 1; }
  local pgdir="$dir/pg"
  mkdir -p "$pgdir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir" "$pgdir"
  chmod 755 "$dir"
  as_pg_user "$bin/initdb" -D "$pgdir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; return 1; }
  local pgport; pgport=$(free_port)
  as_pg_user "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 \
    -o "-k $pgdir -p $pgport -c listen_addresses='' -c fsync=off -c full_page_writes=off -c max_connections=200" start >/dev/null ||
    { cat "$pgdir/server.log" >&2; return 1; }
  echo "export PROBE_TEST_PG='host=$pgdir port=$pgport user=postgres'" >> "$dir/servers.env"
  echo "export PROBE_TEST_PG_BIN='$bin'" >> "$dir/servers.env"
  echo "export PROBE_TEST_PG_DATA='$pgdir/data'" >> "$dir/servers.env"

  local ganache="$top/tests/node_modules/.bin/ganache"
  if [ -x "$ganache" ]; then
    local ethport; ethport=$(free_port)
    "$ganache" --server.host 127.0.0.1 --server.port "$ethport" --chain.chainId 1337 \
      --wallet.deterministic --logging.quiet >"$dir/ganache.log" 2>&1 &
    echo $! > "$dir/ganache.pid"
    local i
    for i in $(seq 1 120); do
      if curl -s -m 2 -H 'content-type: application/json' \
           -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' \
           "http://127.0.0.1:$ethport" | grep -q result; then
        echo "export PROBE_TEST_ETH_RPC='http://127.0.0.1:$ethport'" >> "$dir/servers.env"
        break
      fi
      sleep 0.5
    done
  fi
}

stop() {
  if [ -f "$dir/ganache.pid" ]; then kill "$(cat "$dir/ganache.pid")" 2>/dev/null || true; fi
  if [ -d "$dir/pg/data" ]; then
    local bin; bin=$(pg_bin)
    as_pg_user "$bin/pg_ctl" -D "$dir/pg/data" -m immediate stop >/dev/null 2>&1 || true
  fi
}

"$cmd"
