#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/format-journal-real.sh: the journald priorities read
# back from a real journal. format-journald.sh checks the "<N>" prefixes
# the agent writes; this one proves that journald parses them as operators
# query them. A Debian 12 with systemd (tests/lib/debian-base.sh, the
# cached base ops-nspawn.sh boots) gets the built agent and the echo test
# plugin and is booted with `systemd-nspawn -b --register=no --keep-unit
# --private-network`. A oneshot unit inside runs one `probe-agent -p echo`
# per status (ok, warning, critical, unknown), each as a transient service
# (systemd-run, StandardOutput=journal), then the daemon under the shipped
# contrib/systemd/probe-agent.service (a drop-in for the paths only), whose
# one pass gives the four statuses; it asks journald, for both:
#  - `journalctl -p warning -o cat` is exactly the warning, critical and
#    unknown lines, `-p err` exactly critical and unknown;
#  - every line is in the journal, as the JSON line the agent writes (no
#    prefix left in MESSAGE), with PRIORITY 6/4/3/3.
# Runs once (skipped in the sanitizer pass: the host's agent is copied into
# the container, whose libraries have no ASan runtime); with CI=true a
# missing tool or a failed boot is a failure.
. "$top_srcdir/tests/lib/env.sh"

plain_pass_only "copies the plain agent into a container"
. "$top_srcdir/tests/lib/nspawn.sh"
[ -f "$PROBE_TEST_PLUGIN_DIR/echo.so" ] || fail "no echo test plugin in $PROBE_TEST_PLUGIN_DIR"
started=$(date +%s)

nspawn_root

# The agent as built here (the container is the same Debian 12, and the
# agent links only the runtime libraries the base has) and the echo plugin.
install -m 755 "$PROBE_AGENT" "$root/usr/local/bin/probe-agent"
install -d -m 755 "$root/usr/local/lib/probe-test"
install -m 755 "$PROBE_TEST_PLUGIN_DIR/echo.so" "$root/usr/local/lib/probe-test/echo.so"

# The shipped unit, as installed, with a drop-in for this agent's paths
# (built for /usr/local) and the test plugin; its configuration: one pass
# of echo giving the four statuses in turn, to standard output (the journal).
install -m 644 "$top_srcdir/contrib/systemd/probe-agent.service" "$root/etc/systemd/system/"
mkdir -p "$root/etc/systemd/system/probe-agent.service.d" "$root/etc/probe-agent"
cat >"$root/etc/systemd/system/probe-agent.service.d/test.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=/usr/local/bin/probe-agent --daemon -c /etc/probe-agent/probe-agent.json --plugin-dir /usr/local/lib/probe-test
EOF
printf '{ "agent": { "interval": 3600 },\n  "plugins": { "echo": { "status": "%s", "count": 4, "target": "unit" } } }\n' \
  ok,warning,critical,unknown >"$root/etc/probe-agent/probe-agent.json"

cat >"$root/usr/local/sbin/probe-test" <<'EOF'
#!/bin/sh
out=/probe-test.out
# one-shot runs, one transient service per status
for st in ok warning critical unknown; do
  systemd-run --quiet --wait --collect -u "probe-journal-$st" -p StandardOutput=journal \
    /usr/local/bin/probe-agent --plugin-dir /usr/local/lib/probe-test \
    --state-dir /var/lib/probe-test -p echo -s echo.status="$st" -s echo.target="journal-$st"
  echo "rc_$st=$?" >>"$out"
done
journalctl --sync
q() { journalctl --no-pager -q -t probe-agent "$@"; }
q -o cat >/probe-all.out 2>&1
q -p warning -o cat >/probe-warning.out 2>&1
q -p err -o cat >/probe-err.out 2>&1
q -o json >/probe-json.out 2>&1
# the daemon under the shipped unit: its first pass, then stop
systemctl start probe-agent.service
echo "unit=$(systemctl show -P ActiveState probe-agent.service)" >>"$out"
u() { journalctl --no-pager -q _SYSTEMD_UNIT=probe-agent.service SYSLOG_IDENTIFIER=probe-agent "$@"; }
i=0
while [ $i -lt 60 ] && [ "$(u -o cat | grep -c '"check":"echo.line"')" -lt 4 ]; do
  sleep 0.5; journalctl --sync; i=$((i+1))
done
systemctl stop probe-agent.service
echo "unit_stop=$(systemctl show -P Result probe-agent.service)" >>"$out"
journalctl --sync
u -o cat >/probe-unit-all.out 2>&1
u -p warning -o cat >/probe-unit-warning.out 2>&1
u -p err -o cat >/probe-unit-err.out 2>&1
u -o json >/probe-unit-json.out 2>&1
echo done >>"$out"
systemctl poweroff --no-block
EOF
nspawn_boot "journal test" systemd-journald.service 180
echo "--- answers from inside:"; cat "$a"
echo "--- journalctl -t probe-agent -o cat (one-shot runs):"; cat "$root/probe-all.out"
echo "--- journalctl _SYSTEMD_UNIT=probe-agent.service -p warning -o cat:"; cat "$root/probe-unit-warning.out"
[ "$(sed -n 's/^unit=//p' "$a")" = active ] || { cat "$root/probe-unit-all.out" >&2; fail "the shipped unit did not start"; }

# results FILE FIELD [FILTER]: FIELD/status of FILE's result lines (those
# FILTER selects; all by default), in order, on one line; with no FILTER a
# line that is not the JSON of a result line fails the test.
results() {
  local t
  t=$(jq -r -R "fromjson? // error(\"not JSON\") | select(${3:-true}) | .$2 + \"/\" + .status" "$1" 2>/dev/null) ||
    { cat "$1" >&2; fail "$(basename "$1"): a line that is not a result line"; }
  # shellcheck disable=SC2086  # unquoted: the lines joined by spaces
  echo $t
}
# expect FILE FIELD WANT WHAT [FILTER]
expect() {
  local got
  got=$(results "$1" "$2" "${5:-}")
  [ "$got" = "$3" ] || fail "$4 returned '$got', expected exactly '$3'"
}
oneshot="journal-ok/ok journal-warning/warning journal-critical/critical journal-unknown/unknown"
expect "$root/probe-all.out" target "$oneshot" "the journal of the one-shot runs"
expect "$root/probe-warning.out" target "${oneshot#* }" "journalctl -p warning (one-shot runs)"
expect "$root/probe-err.out" target "journal-critical/critical journal-unknown/unknown" "journalctl -p err (one-shot runs)"
# the daemon: beside its lines its standard error (plain text, info) is there
grep '^{' "$root/probe-unit-all.out" >"$TEST_TMP/unit-json.out" || true
expect "$TEST_TMP/unit-json.out" check "echo.line/ok echo.line/warning echo.line/critical echo.line/unknown" \
  "the journal of the shipped unit" '.check == "echo.line"'
expect "$root/probe-unit-warning.out" check "echo.line/warning echo.line/critical echo.line/unknown" \
  "journalctl -p warning (the shipped unit)"
expect "$root/probe-unit-err.out" check "echo.line/critical echo.line/unknown" "journalctl -p err (the shipped unit)"
# PRIORITY per status, and MESSAGE the JSON line itself (no prefix left)
for f in probe-json probe-unit-json; do
  jq -e -s 'map(select(.MESSAGE | startswith("{")) | {p: .PRIORITY, m: (.MESSAGE | fromjson)})
    | (map(select(.m.check == "echo.line")) | length == 4)
      and all(.p == ({"ok": "6", "warning": "4", "critical": "3", "unknown": "3"}[.m.status]))' \
    "$root/$f.out" >/dev/null ||
    { jq -c '{PRIORITY, MESSAGE}' "$root/$f.out" >&2
      fail "$f: entries with the wrong PRIORITY, or a MESSAGE that is not the result line"; }
  ! jq -r .MESSAGE "$root/$f.out" | grep -q '^<[0-9]>' || fail "$f: a MESSAGE kept its <N> prefix"
done
[ "$(sed -n 's/^unit_stop=//p' "$a")" = success ] || fail "the shipped unit did not stop cleanly"
echo "ok: a real journal (systemd-nspawn, Debian 12): -p warning and -p err return exactly the warning-and-worse and critical/unknown lines, from one-shot runs and the shipped unit; boot $(( $(date +%s) - boot_started )) s, test $(( $(date +%s) - started )) s"
