#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/bench/tls-bench.sh BUILD_DIR: how long the tls plugin takes for 50
# loopback endpoints (openssl s_server, the test PKI of
# tests/integration/tls-lib.sh, ten certificate cases five times over),
# side by side with Debian's monitoring-plugins on the same targets:
#   check_http -C 30,7   (monitoring-plugins-basic), one process per target
#                         as Nagios runs it, all 50 targets;
#   check_ssl_cert        (monitoring-plugins-contrib), a shell script that
#                         runs openssl many times: only the first 10 targets
#                         (one per case), its time scaled to 50.
# Prints wall times, ratios against the tls plugin measured in the same
# run, and whether the expiry days agree (the leaf's notAfter: every case
# here has a 5-year intermediate, so leaf days = chain days).
# Needs: apt-get install monitoring-plugins-basic monitoring-plugins-contrib
set -euo pipefail
build=${1:?usage: tls-bench.sh BUILD_DIR}
build=$(cd "$build" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
NP=/usr/lib/nagios/plugins
[ -x "$NP/check_http" ] || { echo "tls-bench: needs monitoring-plugins-basic (check_http)" >&2; exit 77; }

W=$(mktemp -d /tmp/tls-bench.XXXXXX)
. "$top/tests/integration/tls-lib.sh"
trap 'tls_cleanup; rm -rf "$W"' EXIT
tls_make_pki "$W/pki"

cases=(valid exp5 exp25 expired future wronghost sha1 rsa1024 selfsigned withroot)
ports=()
for r in 1 2 3 4 5; do
  for c in "${cases[@]}"; do ports+=("$(tls_serve "$c")"); done
done
n=${#ports[@]}
eps=$(printf '"127.0.0.1:%s",' "${ports[@]}")
eps="[${eps%,}]"
now() { date +%s.%N; }

# 1. the tls plugin, default concurrency (8), then one at a time
agent_run() {
  "$build/probe-agent" --plugin-dir "$build/.libs" --state-dir "$W/state" --plugin tls \
    -s "tls.endpoints=$eps" -s "tls.ca_file=$W/pki/ca.crt" -s "tls.concurrency=$1" > "$W/agent-$1.jsonl" || true
}
agent_run 8 # warm-up (page cache, dynamic loading)
t0=$(now); agent_run 8; t1=$(now)
agent_s=$(python3 -c "print(f'{$t1-$t0:.3f}')")
t0=$(now); agent_run 1; t1=$(now)
agent1_s=$(python3 -c "print(f'{$t1-$t0:.3f}')")

# 2. check_http -C, one process per target
: > "$W/check_http.txt"
t0=$(now)
for p in "${ports[@]}"; do
  echo "$p $("$NP/check_http" -H localhost -I 127.0.0.1 -p "$p" --sni -C 30,7 2>&1 | head -n1)" >> "$W/check_http.txt" || true
done
t1=$(now)
http_s=$(python3 -c "print(f'{$t1-$t0:.3f}')")

# 3. check_ssl_cert on the first 10 targets
ssl_s=""
if [ -x "$NP/check_ssl_cert" ]; then
  : > "$W/check_ssl_cert.txt"
  t0=$(now)
  for p in "${ports[@]:0:10}"; do
    echo "$p $("$NP/check_ssl_cert" -H 127.0.0.1 -p "$p" -w 30 -c 7 --rootcert-file "$W/pki/ca.crt" \
      --ignore-sct --ignore-ocsp 2>&1 | head -n1)" >> "$W/check_ssl_cert.txt" || true
  done
  t1=$(now)
  ssl_s=$(python3 -c "print(f'{$t1-$t0:.3f}')")
fi

python3 - "$W" "$n" "$agent_s" "$agent1_s" "$http_s" "${ssl_s:-}" <<'PY'
import json, re, sys, time, calendar
W, n, agent_s, agent1_s, http_s, ssl_s = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
now = time.time()
ours = {}
for l in open(f"{W}/agent-8.jsonl"):
    o = json.loads(l)
    port = o["target"].rsplit(":", 1)[1]
    ours[port] = (o["metrics"].get("days_left"), o["metrics"].get("leaf_not_after_timestamp_seconds"), o["status"])
def trunc_days(ts):
    return int((ts - now) / 86400)
agree = disagree = 0
notes = []
for l in open(f"{W}/check_http.txt"):
    port, text = l.rstrip("\n").split(" ", 1)
    m = re.search(r"expires in (-?\d+) day", text)
    d = None
    if m:
        d = int(m.group(1))
    else:
        m = re.search(r"(?:expire on|expired on) \w+ (\w+ +\d+ [\d:]+ \d+) \+0000", text)
        if m:
            ts = calendar.timegm(time.strptime(re.sub(" +", " ", m.group(1)), "%b %d %H:%M:%S %Y"))
            d = trunc_days(ts)
    od = ours.get(port, (None,))[0]
    if d is not None and od is not None and int(od) == d:
        agree += 1
    else:
        disagree += 1
        notes.append(f"  port {port}: tls plugin {od}, check_http {d!r}: {text[:100]}")
print(f"targets: {n} loopback endpoints (openssl s_server), {len(ours)} lines from the tls plugin")
print(f"tls plugin, concurrency 8:  {agent_s:8.3f} s  ({1000*agent_s/n:7.1f} ms/target)  ratio 1.00")
print(f"tls plugin, concurrency 1:  {agent1_s:8.3f} s  ({1000*agent1_s/n:7.1f} ms/target)  ratio {agent1_s/agent_s:.2f}")
print(f"check_http -C, sequential:  {http_s:8.3f} s  ({1000*http_s/n:7.1f} ms/target)  ratio {http_s/agent_s:.2f}")
if ssl_s:
    s = float(ssl_s)
    print(f"check_ssl_cert, 10 targets: {s:8.3f} s  ({1000*s/10:7.1f} ms/target)  scaled to {n}: {s*n/10:.1f} s, ratio {s*n/10/agent_s:.2f}")
print(f"expiry days, tls plugin vs check_http: {agree} agree, {disagree} differ")
for x in notes[:10]:
    print(x)
if ssl_s:
    a = d2 = 0
    for l in open(f"{W}/check_ssl_cert.txt"):
        port, text = l.rstrip("\n").split(" ", 1)
        m = re.search(r"days_chain_elem1=(-?\d+)", text)
        od = ours.get(port, (None,))[0]
        if m and od is not None and int(m.group(1)) == int(od):
            a += 1
        else:
            d2 += 1
            print(f"  port {port}: tls plugin {od}, check_ssl_cert: {text[:120]}")
    print(f"expiry days, tls plugin vs check_ssl_cert (days_chain_elem1): {a} agree, {d2} differ")
PY
