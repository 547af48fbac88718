#!/usr/bin/env bash
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
case " ${PROBE_BUILT_PLUGINS:-} " in
  *" ledger.la "*) ;;
  *) echo "SKIP: the ledger plugin is not built; it gives the agent lines this test feeds rsyslog" >&2; exit 77 ;;
esac

dir=$TEST_TMP/rs
mkdir -p "$dir/work"
input=$dir/results.jsonl
output=$dir/results.fields.log

# Real agent output: an intact ledger (ok) and a broken one (critical).
set +e
agent -p ledger -s ledger.source="$top_srcdir/tests/vectors/ledger-valid.jsonl" -o "$input"
agent -p ledger -s ledger.source="$top_srcdir/tests/vectors/ledger-broken-payload.jsonl" -o "$input"
set -e
n=$(wc -l <"$input")
[ "$n" -ge 2 ] || fail "the agent wrote $n lines to $input, expected at least 2"
jq -se 'map(.status) | index("ok") != null and index("critical") != null' "$input" >/dev/null \
  || fail "expected an ok and a critical line from the agent: $(cat "$input")"
echo 'this line is not JSON' >>"$input"

# The example configuration with this test's paths, and a work directory
# for imfile's state (a system rsyslog.conf sets that globally).
{
  echo "global(workDirectory=\"$dir/work\")"
  sed -e "s#/var/log/probe-agent/results.jsonl#$input#" \
      -e "s#/var/log/probe-agent/results.fields.log#$output#" "$conf"
} >"$dir/rsyslog.conf"
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
trap 'kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
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
  want=$(jq -r '"\(.ts) status=\(.status) plugin=\(.plugin) check=\(.check) level=\(.level) target=\"\(.target)\""' <<<"$line")
  have=$(sed -n "${i}p" "$output")
  case "$have" in
    "$want"*) ;;
    *) fail "line $i: rsyslog gave '$have', expected it to start with '$want'" ;;
  esac
done < <(head -n "$n" "$input")
grep -q 'status=critical plugin=ledger check=ledger.chain level=error' "$output" \
  || fail "the critical ledger line did not arrive parsed: $(cat "$output")"
echo "ok: rsyslog parsed $n agent lines into status/plugin/check fields"
