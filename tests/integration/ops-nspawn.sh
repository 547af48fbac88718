#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/ops-nspawn.sh: boots contrib/systemd/probe-agent.service
# for real. A Debian 12 with systemd (tests/lib/debian-base.sh, mmdebstrap,
# cached) gets the agent built the image's way (contrib/build-stages.sh,
# prefix /usr) and the unit, and is booted with
# `systemd-nspawn -b --register=no --keep-unit --private-network`. A oneshot
# unit inside runs the checks and powers the machine off; this script reads
# its answers:
#  - the service is active and writes result lines under its DynamicUser to
#    LogsDirectory;
#  - `systemctl reload` re-reads the configuration (a new ledger source);
#  - `systemctl stop` ends it with Result=success;
#  - a bad configuration (an unknown key) ends in `failed` with exit status
#    78 and NRestarts=0 (no restart loop), waited for well past RestartSec;
#  - `systemd-analyze security` exposure, printed.
# Runs once (skipped in the sanitizer pass); with CI=true a missing tool or
# a failed boot is a failure.
. "$top_srcdir/tests/lib/env.sh"

plain_pass_only "builds its own plain agent"
. "$top_srcdir/tests/lib/nspawn.sh"
started=$(date +%s)

unit=$top_srcdir/contrib/systemd/probe-agent.service
stages=$top_srcdir/contrib/build-stages.sh
nspawn_root

# The agent, built and installed as in the image (prefix /usr, /etc).
src=$TEST_TMP/src
mkdir -p "$src"
# Top-level entries but .git and build directories (build-aux stays: an
# autoreconf'd tree needs it, the bug .dockerignore had).
mapfile -t top < <(cd "$top_srcdir" && ls -A | grep -vxE '\.git|build|build-(asan|[^a].*|a[^u].*)|autom4te\.cache|Makefile|config\.(h|status|log)|libtool|stamp-h1|probe-agent|node_modules')
tar -C "$top_srcdir" --exclude=.libs --exclude=.deps --exclude='*.o' --exclude='*.lo' \
  --exclude='*.la' --exclude=node_modules --exclude='*.trs' -cf - "${top[@]}" | tar -C "$src" -xf -
JOBS=2 "$stages" build "$src" "$TEST_TMP/build" "$root" >"$TEST_TMP/build.log" 2>&1 || {
  tail -n 30 "$TEST_TMP/build.log" >&2; fail "contrib/build-stages.sh build failed"; }
[ -x "$root/usr/bin/probe-agent" ] || fail "no /usr/bin/probe-agent in the booted tree"
[ -f "$root/usr/lib/probe-agent/ledger.so" ] || missing_tool "the ledger plugin is not built"

install -m 644 "$unit" "$root/etc/systemd/system/probe-agent.service"
ln -sf /etc/systemd/system/probe-agent.service "$root/etc/systemd/system/multi-user.target.wants/probe-agent.service"
mkdir -p "$root/srv" "$root/etc/probe-agent"
cp "$top_srcdir/tests/vectors/ledger-valid.jsonl" "$top_srcdir/tests/vectors/ledger-broken-payload.jsonl" "$root/srv/"
chmod 644 "$root"/srv/*.jsonl
# config SOURCE [EXTRA]: the agent's configuration, one ledger source.
config() {
  printf '{ "agent": { "interval": 2, "output": "/var/log/probe-agent/results.jsonl"%s },\n  "plugins": { "ledger": { "source": "%s" } } }\n' "${2:-}" "$1"
}
config /srv/ledger-valid.jsonl >"$root/etc/probe-agent/probe-agent.json"
config /srv/ledger-broken-payload.jsonl >"$root/etc/probe-agent/reload.json"
config /srv/ledger-valid.jsonl ', "no_such_key": 1' >"$root/etc/probe-agent/bad.json"

# The checks, run inside by a oneshot unit; answers as KEY=VALUE lines.
cat >"$root/usr/local/sbin/probe-test" <<'EOF'
#!/bin/sh
out=/probe-test.out
say() { echo "$1" >>"$out"; }
prop() { systemctl show -P "$1" probe-agent.service; }
res=/var/log/probe-agent/results.jsonl
i=0; while [ $i -lt 60 ] && [ "$(prop ActiveState)" != active ]; do sleep 0.5; i=$((i+1)); done
say "active=$(prop ActiveState)/$(prop SubState)"
i=0; while [ $i -lt 60 ] && ! grep -q '"check":"ledger.chain"' "$res" 2>/dev/null; do sleep 0.5; i=$((i+1)); done
say "first=$(grep '"check":"ledger.chain"' "$res" | grep -c '"status":"ok"')"
say "owner=$(stat -c %u "$res" 2>/dev/null)"
cp /etc/probe-agent/reload.json /etc/probe-agent/probe-agent.json
systemctl reload probe-agent.service; say "reload_rc=$?"
new() { grep 'ledger-broken-payload' "$res" | grep -c '"status":"critical"'; }
i=0; while [ $i -lt 60 ] && [ "$(new)" = 0 ]; do sleep 0.5; i=$((i+1)); done
say "after_reload=$(new)"
say "still=$(prop ActiveState)"
systemctl stop probe-agent.service
say "stop=$(prop Result)/$(prop ActiveState)/$(prop ExecMainStatus)"
systemd-analyze security --no-pager probe-agent.service >/probe-security.out 2>&1
say "exposure=$(sed -n 's/.*Overall exposure level for probe-agent.service: \([0-9.]*\).*/\1/p' /probe-security.out)"
cp /etc/probe-agent/bad.json /etc/probe-agent/probe-agent.json
systemctl reset-failed probe-agent.service
systemctl start probe-agent.service
# RestartSec=10s: a restart loop shows within 25 s.
sleep 25
say "bad=$(prop ActiveState)/$(prop Result)/$(prop ExecMainStatus)/$(prop NRestarts)"
journalctl --no-pager -u probe-agent.service >/probe-journal.out 2>&1
say done
systemctl poweroff --no-block
EOF
nspawn_boot "boot test" probe-agent.service 240
echo "--- answers from inside:"; cat "$a"
echo "--- systemd-analyze security:"; grep -E '✗|Overall' "$root/probe-security.out" || true
v() { sed -n "s/^$1=//p" "$a"; }
show_journal() { tail -n 30 "$root/probe-journal.out" >&2; }
[ "$(v active)" = active/running ] || { show_journal; fail "the service is $(v active), expected active/running"; }
[ "$(v first)" -ge 1 ] || { show_journal; fail "no ok ledger.chain line from the service"; }
[ -n "$(v owner)" ] && [ "$(v owner)" != 0 ] || fail "results written by uid $(v owner), expected the dynamic user"
[ "$(v reload_rc)" = 0 ] || { show_journal; fail "systemctl reload failed"; }
[ "$(v after_reload)" -ge 1 ] || { show_journal; fail "after systemctl reload the new ledger source was not checked"; }
[ "$(v still)" = active ] || fail "the service is $(v still) after reload"
[ "$(v stop)" = success/inactive/0 ] || { show_journal; fail "systemctl stop gave Result/State/Status $(v stop), expected success/inactive/0"; }
[ "$(v bad)" = failed/exit-code/78/0 ] || { show_journal
  fail "a bad configuration gave State/Result/Status/NRestarts $(v bad), expected failed/exit-code/78/0"; }
echo "ok: unit booted under systemd-nspawn: active, reload, stop, bad config failed with 78 and no restart; exposure $(v exposure); boot $(( $(date +%s) - boot_started )) s, test $(( $(date +%s) - started )) s"
