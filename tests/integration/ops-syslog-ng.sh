#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/ops-syslog-ng.sh: runs syslog-ng for real with
# contrib/logging/syslog-ng-probe-agent.conf (only its paths substituted) on
# lines the agent wrote, and checks json-parser's fields arrive: one JSON
# line per agent line with the same ts, status, plugin, check, level, host
# and target (one holding quotes and a backslash), and a line that is not
# JSON is not forwarded. syslog-ng-core conflicts with rsyslog as a Debian
# package, so it is not installed: `apt-get download` fetches it and the
# libraries it needs that are missing here (cached under
# $PROBE_TEST_CACHE/debs), `dpkg-deb -x` unpacks them, and syslog-ng runs
# from there (LD_LIBRARY_PATH, --module-path). With CI=true a failed
# download is a failure.
. "$top_srcdir/tests/lib/env.sh"

conf=$top_srcdir/contrib/logging/syslog-ng-probe-agent.conf
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || missing_tool "apt-get/dpkg-deb missing"
[ -d "${PROBE_TEST_PLUGIN_DIR:-}" ] || fail "no test plugins in ${PROBE_TEST_PLUGIN_DIR:-(unset)}: run through make check"

# --- syslog-ng-core and its missing libraries, unpacked -----------------------
debs=${PROBE_TEST_CACHE:-/var/cache/probe-agent-tests}/debs
mkdir -p "$debs"
chmod 755 "$debs" 2>/dev/null || true
want=(syslog-ng-core)
while read -r p; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || want+=("$p")
done < <(apt-cache depends --no-recommends --no-suggests syslog-ng-core 2>/dev/null \
           | sed -n 's/^ *|\{0,1\}Depends: \([a-z0-9.+-]*\)$/\1/p' | sort -u)
for p in "${want[@]}"; do
  ls "$debs/${p}_"*.deb >/dev/null 2>&1 && continue
  (cd "$debs" && apt-get download -q "$p" >"$TEST_TMP/download.log" 2>&1) \
    || { cat "$TEST_TMP/download.log" >&2; missing_tool "apt-get download $p failed"; }
done
root=$TEST_TMP/sng
for p in "${want[@]}"; do
  dpkg-deb -x "$(ls "$debs/${p}_"*.deb | tail -1)" "$root" || fail "dpkg-deb -x of $p failed"
done
sng=$root/usr/sbin/syslog-ng
[ -x "$sng" ] || fail "no usr/sbin/syslog-ng in syslog-ng-core"
moddir=$(dirname "$(find "$root/usr/lib/syslog-ng" -name 'libjson-plugin.so' | head -1)")
[ -f "$moddir/libjson-plugin.so" ] || fail "syslog-ng-core has no json-plugin"
export LD_LIBRARY_PATH=$root/usr/lib/syslog-ng:$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu
if LD_LIBRARY_PATH=$LD_LIBRARY_PATH ldd "$sng" | grep -q 'not found'; then
  ldd "$sng" | grep 'not found' >&2; fail "syslog-ng still lacks libraries after unpacking ${want[*]}"
fi

# --- real agent output ---------------------------------------------------------
dir=$TEST_TMP/run
mkdir -p "$dir"
input=$dir/results.jsonl
output=$dir/results.fields.log
set +e
"$PROBE_AGENT" --plugin-dir "$PROBE_TEST_PLUGIN_DIR" --state-dir "$TEST_TMP/state" -o "$input" \
  -p echo -s echo.count=2 -s echo.target=/var/lib/x/ledger.jsonl
"$PROBE_AGENT" --plugin-dir "$PROBE_TEST_PLUGIN_DIR" --state-dir "$TEST_TMP/state" -o "$input" \
  -p echo -s echo.status=critical -s 'echo.target=/srv/a "quoted" \path.jsonl' -s 'echo.message=hash mismatch at "seq" 41'
set -e
n=$(wc -l <"$input")
[ "$n" -ge 3 ] || fail "the agent wrote $n lines, expected at least 3"
echo 'this line is not JSON' >>"$input"

sed -e "s#/var/log/probe-agent/results.jsonl#$input#" \
    -e "s#/var/log/probe-agent/results.fields.log#$output#" "$conf" >"$dir/syslog-ng.conf"
grep -q "$input" "$dir/syslog-ng.conf" || fail "the example no longer reads /var/log/probe-agent/results.jsonl"
grep -q "$output" "$dir/syslog-ng.conf" || fail "the example no longer writes /var/log/probe-agent/results.fields.log"
args=(--module-path="$moddir" -f "$dir/syslog-ng.conf" --persist-file="$dir/persist"
      --pidfile="$dir/pid" --control="$dir/ctl" --no-caps)
"$sng" "${args[@]}" --syntax-only >"$dir/check.log" 2>&1 \
  || { cat "$dir/check.log" >&2; fail "syslog-ng --syntax-only rejects the example"; }
"$sng" -F "${args[@]}" >"$dir/sng.log" 2>&1 &
spid=$!
trap 'kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; rm -rf "$TEST_TMP"' EXIT
for _ in $(seq 150); do
  [ -f "$output" ] && [ "$(wc -l <"$output")" -ge "$n" ] && break
  sleep 0.1
done
sleep 0.5                                 # a late non-JSON line would show now
kill "$spid"; wait "$spid" 2>/dev/null || true
[ -f "$output" ] || { cat "$dir/sng.log" >&2; fail "syslog-ng wrote nothing to $output"; }
got=$(wc -l <"$output")
[ "$got" = "$n" ] || { cat "$output" >&2; fail "syslog-ng forwarded $got lines for $n JSON lines (the non-JSON one must be dropped)"; }
if grep -q 'this line is not JSON' "$output"; then fail "a non-JSON line was forwarded"; fi

# Each output line is JSON with the input line's fields, in order.
jq -c '{ts, status, plugin, check, level, host, target, summary}' <(head -n "$n" "$input") >"$dir/want"
jq -c '{ts, status, plugin, check, level, host, target, summary}' "$output" >"$dir/have" 2>"$dir/jq.err" \
  || { cat "$output" >&2; fail "syslog-ng's output is not JSON lines: $(cat "$dir/jq.err")"; }
diff -u "$dir/want" "$dir/have" >&2 || fail "syslog-ng's parsed fields differ from the agent's lines"
grep -q '"target":"/srv/a \\"quoted\\" \\\\path.jsonl"' "$output" \
  || fail "the quoted target did not arrive escaped: $(cat "$output")"
echo "ok: syslog-ng (unpacked with dpkg-deb -x) parsed $n agent lines with json-parser"
