#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/ops-rsyslog.sh: runs rsyslogd for real, as an
# unprivileged foreground process with contrib/logging/rsyslog-probe-agent.conf
# (only its paths substituted), on lines the agent itself wrote, and checks
# that mmjsonparse's fields arrive: for each agent line, the output has one
# line with the same ts, status, plugin, check, level and target; a line
# that is not JSON is not forwarded.
. "$top_srcdir/tests/lib/env.sh"

conf=$top_srcdir/contrib/logging/rsyslog-probe-agent.conf
rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
if [ ! -x "$rsyslogd" ]; then
  [ "${CI:-}" = true ] && { echo "ERROR: rsyslogd missing (contrib/apt/ops.txt lists rsyslog)" >&2; exit 99; }
  echo "SKIP: rsyslogd is not installed (apt-get install rsyslog)" >&2; exit 77
fi
[ -d "${PROBE_TEST_PLUGIN_DIR:-}" ] || fail "no test plugins in ${PROBE_TEST_PLUGIN_DIR:-(unset)}: run through make check"

dir=$TEST_TMP/rs
mkdir -p "$dir/work"
input=$dir/results.jsonl
output=$dir/results.fields.log

# Real agent output: the test plugin "echo" reporting ok and critical (with
# labels and a path target), and the ledger plugin on an intact and a
# broken ledger when it is built.
set +e
"$PROBE_AGENT" --plugin-dir "$PROBE_TEST_PLUGIN_DIR" --state-dir "$TEST_TMP/state" -o "$input" \
  -p echo -s echo.count=2 -s echo.target=/var/lib/x/ledger.jsonl -s 'agent.labels={"service":"medlink"}'
"$PROBE_AGENT" --plugin-dir "$PROBE_TEST_PLUGIN_DIR" --state-dir "$TEST_TMP/state" -o "$input" \
  -p echo -s 'echo.target=/srv/a "quoted" \back\slash.jsonl'
"$PROBE_AGENT" --plugin-dir "$PROBE_TEST_PLUGIN_DIR" --state-dir "$TEST_TMP/state" -o "$input" \
  -p echo -s echo.status=critical -s 'echo.message=hash mismatch at "seq" 41'
case " ${PROBE_BUILT_PLUGINS:-} " in
  *" ledger.la "*)
    agent -p ledger -s ledger.source="$top_srcdir/tests/vectors/ledger-valid.jsonl" -o "$input"
    agent -p ledger -s ledger.source="$top_srcdir/tests/vectors/ledger-broken-payload.jsonl" -o "$input" ;;
esac
set -e
n=$(wc -l <"$input")
[ "$n" -ge 3 ] || fail "the agent wrote $n lines to $input, expected at least 3"
jq -se 'map(.status) | index("ok") != null and index("critical") != null' "$input" >/dev/null \
  || fail "expected ok and critical lines from the agent: $(cat "$input")"
echo 'this line is not JSON' >>"$input"

# The example configuration with this test's paths only: it must run on its
# own (no global workDirectory added; imfile's state directory is its own).
sed -e "s#/var/log/probe-agent/results.jsonl#$input#" \
    -e "s#/var/log/probe-agent/results.fields.log#$output#" \
    -e "s#/var/spool/rsyslog#$dir/work#" "$conf" >"$dir/rsyslog.conf"
grep -q "$dir/work" "$dir/rsyslog.conf" || fail "the example no longer keeps imfile state in /var/spool/rsyslog"
grep -q "$input" "$dir/rsyslog.conf" || fail "the example no longer reads /var/log/probe-agent/results.jsonl"
grep -q "$output" "$dir/rsyslog.conf" || fail "the example no longer writes /var/log/probe-agent/results.fields.log"

run=()
if [ "$(id -u)" = 0 ]; then
  chown -R nobody:nogroup "$dir"
  chmod 755 "$TEST_TMP"
  run=(runuser -u nobody --)
fi
"${run[@]}" "$rsyslogd" -N1 -f "$dir/rsyslog.conf" >"$dir/check.log" 2>&1 \
  || { cat "$dir/check.log" >&2; fail "rsyslogd -N1 rejects the example configuration"; }
"${run[@]}" "$rsyslogd" -n -f "$dir/rsyslog.conf" -i "$dir/rsyslog.pid" >"$dir/rsyslogd.log" 2>&1 &
rpid=$!
trap 'kill "$rpid" 2>/dev/null || true; wait "$rpid" 2>/dev/null || true; rm -rf "$TEST_TMP"' EXIT
for _ in $(seq 100); do
  [ -f "$output" ] && [ "$(wc -l <"$output")" -ge "$n" ] && break
  sleep 0.1
done
kill "$rpid"; wait "$rpid" 2>/dev/null || true
[ -f "$output" ] || { cat "$dir/rsyslogd.log" >&2; fail "rsyslog wrote nothing to $output"; }

got=$(wc -l <"$output")
[ "$got" = "$n" ] || { cat "$output" >&2; fail "rsyslog forwarded $got lines for $n JSON lines (the non-JSON one must be dropped)"; }
grep -q 'this line is not JSON' "$output" && fail "a non-JSON line was forwarded"

# Each agent line arrives with its fields, in order.
i=0
while IFS= read -r line; do
  i=$((i + 1))
  # every field JSON-escaped: tojson without its quotes, and rsyslog's
  # format="json" also writes / as \/ (valid JSON)
  want=$(jq -r 'def e: tojson | .[1:-1] | gsub("/"; "\\/"); "\(.ts|e) status=\(.status|e) plugin=\(.plugin|e) check=\(.check|e) level=\(.level|e) target=\"\(.target|e)\""' <<<"$line")
  have=$(sed -n "${i}p" "$output")
  case "$have" in
    "$want"*) ;;
    *) fail "line $i: rsyslog gave '$have', expected it to start with '$want'" ;;
  esac
done < <(head -n "$n" "$input")
grep -q 'status=critical plugin=echo check=echo.line level=error' "$output" \
  || fail "the critical line did not arrive parsed: $(cat "$output")"
grep -qF 'target="\/srv\/a \"quoted\" \\back\\slash.jsonl"' "$output" \
  || fail "the target with quotes and backslashes did not arrive escaped: $(cat "$output")"
grep -qF 'summary="hash mismatch at \"seq\" 41"' "$output" \
  || fail "the summary with quotes did not arrive escaped: $(cat "$output")"
case " ${PROBE_BUILT_PLUGINS:-} " in
  *" ledger.la "*)
    grep -q 'status=critical plugin=ledger check=ledger.chain level=error' "$output" \
      || fail "the critical ledger line did not arrive parsed: $(cat "$output")" ;;
esac
echo "ok: rsyslog parsed $n agent lines into status/plugin/check fields"
