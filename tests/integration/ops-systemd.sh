#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/ops-systemd.sh: checks contrib/systemd/probe-agent.service:
#  - the hardening it promises is there (DynamicUser, ProtectSystem=strict,
#    StateDirectory, NoNewPrivileges, a syscall filter, no capabilities),
#    ExecReload checks the configuration then sends SIGHUP, no
#    ExecStartPre (whose exit 78 RestartPreventExitStatus would not see);
#  - `systemd-analyze verify` accepts it (with the built agent in place of
#    /usr/bin/probe-agent and the man pages it names on MANPATH), and
#    rejects a copy with a bad directive, so the check is real; skipped only
#    when systemd-analyze is missing and CI is not true;
#  - what the unit relies on holds: the agent keeps state in
#    $STATE_DIRECTORY when no --state-dir is given, and SIGHUP (ExecReload)
#    reopens the output file (logrotate) and keeps the daemon running.
. "$top_srcdir/tests/lib/env.sh"

unit=$top_srcdir/contrib/systemd/probe-agent.service

# unit_value KEY: the values of KEY= in the unit (one per line).
unit_value() { sed -n "s/^$1=//p" "$unit"; }
for kv in DynamicUser=yes ProtectSystem=strict StateDirectory=probe-agent NoNewPrivileges=yes \
          ProtectHome=yes PrivateTmp=yes PrivateDevices=yes RestrictSUIDSGID=yes \
          SystemCallArchitectures=native SystemCallFilter=@system-service \
          'ExecReload=/usr/bin/probe-agent --check-config' \
          'ExecReload=/bin/sh -c '"'"'kill -HUP "$$1"'"'"' probe-agent-reload $MAINPID' \
          'ExecStart=/usr/bin/probe-agent --daemon' 'RestartPreventExitStatus=64 78'; do
  grep -qxF "$kv" "$unit" || fail "the unit lacks $kv"
done
# An ExecStartPre's exit status is not the main process's: its 78 would
# escape RestartPreventExitStatus= and loop (ops-nspawn.sh boots it).
if grep -q '^ExecStartPre=' "$unit"; then fail "ExecStartPre= makes a bad configuration restart forever"; fi
[ "$(unit_value CapabilityBoundingSet)" = "" ] && grep -qx 'CapabilityBoundingSet=' "$unit" \
  || fail "the unit does not drop every capability"

# --- systemd-analyze verify ----------------------------------------------------
if command -v systemd-analyze >/dev/null; then
  d=$TEST_TMP/units
  mkdir -p "$d" "$TEST_TMP/man/man1" "$TEST_TMP/man/man5"
  cp "$top_srcdir/doc/probe-agent.1" "$TEST_TMP/man/man1/"
  cp "$top_srcdir/doc/probe-agent.conf.5" "$TEST_TMP/man/man5/"
  sed "s#/usr/bin/probe-agent#$PROBE_AGENT#g" "$unit" >"$d/probe-agent.service"
  MANPATH=$TEST_TMP/man systemd-analyze verify "$d/probe-agent.service" >"$TEST_TMP/verify.log" 2>&1 || {
    cat "$TEST_TMP/verify.log" >&2; fail "systemd-analyze verify rejects the unit"; }
  if grep -v '^$' "$TEST_TMP/verify.log" | grep -q .; then
    cat "$TEST_TMP/verify.log" >&2; fail "systemd-analyze verify warns about the unit"
  fi
  # The same check on a broken copy must fail, or it proves nothing.
  mkdir -p "$d/bad"
  sed 's/^ProtectSystem=strict$/ProtectSystem=stricter/' "$d/probe-agent.service" >"$d/bad/probe-agent.service"
  if MANPATH=$TEST_TMP/man systemd-analyze verify "$d/bad/probe-agent.service" >"$TEST_TMP/bad.log" 2>&1 \
     && ! grep -q . "$TEST_TMP/bad.log"; then
    fail "systemd-analyze verify does not notice a bad ProtectSystem= value"
  fi
else
  if [ "${CI:-}" = true ]; then
    echo "note: systemd-analyze is not installed here; the verify part was not run" >&2
  else
    echo "note: systemd-analyze missing (apt-get install systemd); the verify part is skipped" >&2
  fi
fi

# --- what the unit relies on --------------------------------------------------
# With the test plugin "echo", which counts its runs in its state directory.
[ -d "${PROBE_TEST_PLUGIN_DIR:-}" ] || fail "no test plugins in ${PROBE_TEST_PLUGIN_DIR:-(unset)}: run through make check"
sd=$TEST_TMP/statedir
mkdir -p "$sd"
STATE_DIRECTORY=$sd "$PROBE_AGENT" --plugin-dir "$PROBE_TEST_PLUGIN_DIR" -p echo >"$TEST_TMP/once.jsonl" \
  || fail "a run with STATE_DIRECTORY failed"
[ -f "$sd/echo/runs" ] \
  || fail "nothing was written to \$STATE_DIRECTORY: the unit's StateDirectory= would not be used"

out=$TEST_TMP/results.jsonl
PROBE_AGENT_INTERVAL=1 STATE_DIRECTORY=$sd \
  "$PROBE_AGENT" --plugin-dir "$PROBE_TEST_PLUGIN_DIR" --daemon -o "$out" -p echo 2>"$TEST_TMP/daemon.err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$TEST_TMP"' EXIT
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
[ -s "$out" ] || { cat "$TEST_TMP/daemon.err" >&2; fail "the daemon wrote nothing to $out"; }
mv "$out" "$out.1"                      # what logrotate does
kill -HUP "$pid"                        # what ExecReload does
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null || fail "the daemon died on SIGHUP"
[ -s "$out" ] || fail "after SIGHUP the daemon did not reopen $out"
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" = 0 ] || fail "the daemon exited $rc on SIGTERM (systemd expects 0)"
echo "ok: unit hardened and verified; STATE_DIRECTORY and reload behave as it assumes"
