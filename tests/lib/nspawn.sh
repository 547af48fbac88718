# SPDX-License-Identifier: Apache-2.0
# tests/lib/nspawn.sh: a Debian 12 with systemd, booted under systemd-nspawn,
# for the tests that need a real systemd (ops-nspawn.sh, the shipped unit;
# format-journal-real.sh, a real journal). Sourced after tests/lib/env.sh.
# Both use one package list so that they share one cached base
# (tests/lib/debian-base.sh), and the same boot: a oneshot unit inside runs
# /usr/local/sbin/probe-test, which writes its answers to /probe-test.out,
# ends with a line "done" and powers the machine off.

# nspawn_root: checks the tools, unpacks the base into $TEST_TMP/root and
# sets root to it.
nspawn_root() {
  local base
  [ "$(id -u)" = 0 ] || missing_tool "systemd-nspawn needs root"
  command -v systemd-nspawn >/dev/null || missing_tool "systemd-nspawn missing (systemd-container)"
  command -v mmdebstrap >/dev/null || missing_tool "mmdebstrap missing"
  mapfile -t runtime < <("$top_srcdir/contrib/build-stages.sh" deps runtime)
  base=$("$top_srcdir/tests/lib/debian-base.sh" apt systemd systemd-sysv dbus "${runtime[@]}") \
    || fail "mmdebstrap could not make the Debian 12 base"
  root=$TEST_TMP/root
  mkdir -p "$root"
  tar -C "$root" -xf "$base" || fail "cannot unpack $base"
}

# nspawn_boot WHAT AFTER SECONDS: installs $root/usr/local/sbin/probe-test
# (written by the caller) as a oneshot unit ordered after AFTER, boots the
# machine with at most SECONDS, and fails unless probe-test got to its
# "done". Sets boot_started (for the caller's timings) and a (the answers).
nspawn_boot() {
  local rc
  chmod 755 "$root/usr/local/sbin/probe-test"
  cat >"$root/etc/systemd/system/probe-test.service" <<EOT
[Unit]
Description=probe-agent $1
After=$2
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/probe-test
[Install]
WantedBy=multi-user.target
EOT
  ln -sf /etc/systemd/system/probe-test.service "$root/etc/systemd/system/multi-user.target.wants/probe-test.service"
  boot_started=$(date +%s)
  set +e
  timeout "$3" systemd-nspawn -q -b --register=no --keep-unit --private-network -D "$root" \
    </dev/null >"$TEST_TMP/boot.log" 2>&1
  rc=$?
  set -e
  a=$root/probe-test.out
  if ! grep -qx done "$a" 2>/dev/null; then
    tail -n 40 "$TEST_TMP/boot.log" >&2; cat "$a" 2>/dev/null >&2
    [ "$rc" = 124 ] && fail "the container did not finish within $3 s"
    fail "the $1 did not run to its end (systemd-nspawn exited $rc)"
  fi
}
