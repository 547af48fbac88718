#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# agent-oneshot.sh: a one-shot run of one plugin (`probe-agent -p NAME`, the
# way Nagios runs it) loads the plugin once, in its run child, which checks
# its own settings (issue 20); the messages and exit 78 of a bad setting
# are those of the full check; --check-config, --list-plugins and runs of
# several plugins still describe each plugin first.
. "$top_srcdir/tests/lib/env.sh"
PROBE_AGENT_PLUGIN_DIR=$PROBE_TEST_PLUGIN_DIR
LOAD_DIR=$PROBE_TEST_PLUGIN_DIR/../load/.libs
out=$TEST_TMP/out.jsonl
err=$TEST_TMP/err.txt
run_agent() { rc=0; agent "$@" >"$out" 2>"$err" || rc=$?; }
expect_rc() { [ "$rc" = "$1" ] || { cat "$out" "$err" >&2; fail "$2: exit $rc, expected $1"; }; }
expect_err() { grep -qF -- "$1" "$err" || { cat "$err" >&2; fail "$2: stderr lacks: $1"; }; }

# the plugins' user (nobody when we are root) appends to the load log
ld=$TEST_TMP/ld
mkdir -m 755 "$ld"
cp "$LOAD_DIR/ctorprint.so" "$PROBE_TEST_PLUGIN_DIR/echo.so" "$ld/"
mkdir -m 1777 "$TEST_TMP/log"
export TP_LOAD_LOG=$TEST_TMP/log/loads
loads() { if [ -f "$TP_LOAD_LOG" ]; then wc -l <"$TP_LOAD_LOG" | tr -d ' '; else echo 0; fi; }

# --- one plugin once: one process loads it, once ------------------------
run_agent --plugin-dir "$ld" -p ctorprint
expect_rc 0 "a one-shot of ctorprint"
jq_assert "$out" '.plugin == "ctorprint" and .status == "ok"'
[ "$(loads)" = 1 ] || fail "a one-shot loaded the plugin $(loads) times, expected once (no describing child)"

# ... and one process is all it makes: the run child (as root, the
# plugin user's lookup stays in the agent, no child of its own, as it is in
# a daemon). Counted with strace; the sanitizers' leak check at exit makes
# a tracer process of its own, so not in their build.
if ! grep -q '^#define PROBE_SANITIZERS 1' "$top_builddir/config.h"; then
  if command -v strace >/dev/null; then
    strace -f -qq -e trace=fork,vfork,clone,clone3 -o "$TEST_TMP/forks" \
      "$PROBE_AGENT" --plugin-dir "$ld" -p ctorprint >/dev/null 2>&1 || true
    n=$(grep -E 'clone3?\(|fork\(' "$TEST_TMP/forks" | grep -vc 'CLONE_THREAD' || true)
    [ "$n" = 1 ] || { cat "$TEST_TMP/forks" >&2; fail "a one-shot made $n processes, expected 1"; }
  elif [ "${CI:-}" = true ]; then
    fail "strace is missing (contrib/apt/core.txt)"
  fi
fi

# an agent that is not root (NRPE's, systemd's DynamicUser) looks no user
# up: only root changes user, and a name that is not there (probe-agent,
# where no package made it) goes through every NSS module, 0.6 to 1.7 ms
# with nss-systemd, on every one-shot
if [ "$(id -u)" = 0 ] && ! grep -q '^#define PROBE_SANITIZERS 1' "$top_builddir/config.h"; then
  if command -v strace >/dev/null && command -v setpriv >/dev/null; then
    nr=$(mktemp -d /tmp/probe-oneshot.XXXXXX)
    chmod 755 "$nr"
    cp "$PROBE_TEST_PLUGIN_DIR/echo.so" "$nr/"
    rc=0
    strace -f -qq -e trace=openat,connect,execve -o "$TEST_TMP/nss" \
      setpriv --reuid=65534 --regid=65534 --clear-groups \
      "$PROBE_AGENT" --plugin-dir "$nr" -p echo >"$out" 2>"$err" || rc=$?
    rm -rf "$nr"
    expect_rc 0 "a one-shot as uid 65534"
    jq_assert "$out" '.plugin == "echo" and .status == "ok"'
    # what setpriv itself looks up comes before the agent's execve
    awk -v a="execve(\"$PROBE_AGENT\"" 'index($0, a) { f = 1 } f' "$TEST_TMP/nss" >"$TEST_TMP/nss.agent"
    [ -s "$TEST_TMP/nss.agent" ] || fail "strace did not see the agent start"
    if grep -E 'nsswitch|/etc/passwd|/etc/group|libnss_|nscd' "$TEST_TMP/nss.agent"; then
      fail "an agent that is not root looked a user up"
    fi
  elif [ "${CI:-}" = true ]; then
    fail "strace or setpriv is missing (contrib/apt/core.txt)"
  fi
fi

# a build with intel-ipsec-mb maps no OpenSSL and no secp256k1 into the
# ledger plugin: loading libcrypto (21,000 relocations) was a millisecond
# of each one-shot ledger run, for a fallback the portable C now is
if grep -q '^#define HAVE_IPSEC_MB 1' "$top_builddir/config.h"; then
  lso=$top_builddir/.libs/ledger.so
  [ -f "$lso" ] || fail "no ledger plugin at $lso"
  ldd "$lso" >"$TEST_TMP/ldd" || fail "ldd $lso failed"
  grep -q 'libIPSec_MB' "$TEST_TMP/ldd" || { cat "$TEST_TMP/ldd" >&2; fail "the ledger plugin does not link intel-ipsec-mb"; }
  if grep -E 'libcrypto|libssl|libsecp256k1' "$TEST_TMP/ldd"; then
    fail "the ledger plugin maps OpenSSL or secp256k1, which it does not use"
  fi
fi

# the daemon's start, --check-config and --list-plugins still describe it
rm -f "$TP_LOAD_LOG"
printf '{"plugins":{"ctorprint":{}}}\n' >"$TEST_TMP/c.json"
run_agent --plugin-dir "$ld" -c "$TEST_TMP/c.json" --check-config
expect_rc 0 "--check-config"
[ "$(loads)" -ge 1 ] || fail "--check-config did not load the plugin"
rm -f "$TP_LOAD_LOG"
run_agent --plugin-dir "$ld" --list-plugins
[ "$(loads)" -ge 1 ] || fail "--list-plugins did not load the plugin"
unset TP_LOAD_LOG

# --- the run child's settings check: same messages, exit 78 --------------
run_agent -p echo --set echo.nosuch=1
expect_rc 78 "an unknown setting"
expect_err 'probe-agent: --set echo.nosuch: plugin "echo": setting "nosuch": unknown setting (known: enabled,' "an unknown setting"
[ ! -s "$out" ] || fail "a refused one-shot wrote result lines: $(cat "$out")"

cat >"$TEST_TMP/bad.json" <<'EOF'
{
  "plugins": {
    "echo": {
      "count": "three"
    }
  }
}
EOF
run_agent -c "$TEST_TMP/bad.json" -p echo
expect_rc 78 "a setting of the wrong type"
expect_err "probe-agent: $TEST_TMP/bad.json:4: plugin \"echo\": setting \"count\": must be an integer" "a setting of the wrong type"
[ ! -s "$out" ] || fail "a refused one-shot wrote result lines"

# the environment is checked too, and a string setting keeps digits as text
rc=0; PROBE_ECHO_DELAY=soon agent -p echo >"$out" 2>"$err" || rc=$?
expect_rc 78 "a bad duration from the environment"
expect_err 'probe-agent: environment PROBE_ECHO_DELAY: plugin "echo": setting "delay": must be a duration' "a bad duration from the environment"
run_agent -p echo --set echo.message=123 --set echo.count=2
expect_rc 0 "digits for a string setting"
jq_assert "$out" '.summary == "123"'
[ "$(wc -l <"$out")" = 2 ] || fail "echo.count=2 gave $(wc -l <"$out") lines"

# defaults still apply (echo's status defaults to "ok", target to echo-target)
run_agent -p echo
expect_rc 0 "defaults"
jq_assert "$out" '.status == "ok" and .target == "echo-target"'

# a file setting that cannot be read
run_agent -p echo --set echo.token_file=/nonexistent/token
expect_rc 78 "an unreadable file setting"
expect_err 'plugin "echo": setting "token_file": cannot read the file: No such file or directory' "an unreadable file setting"

# the monitoring-plugins form of the same refusal
rc=0; agent -p echo --set echo.nosuch=1 --format nagios >"$out" 2>/dev/null || rc=$?
expect_rc 3 "nagios: an unknown setting"
grep -q '^PROBE-AGENT UNKNOWN: --set echo.nosuch: plugin "echo": setting "nosuch": unknown setting.*(exit status 78)$' "$out" ||
  { cat "$out" >&2; fail "nagios: the refusal is not one UNKNOWN line"; }
[ "$(wc -l <"$out")" = 1 ] || fail "nagios: more than the one line"

# a plugin that is not there: the same unknown line as before
run_agent -p nosuch
expect_rc 3 "a missing plugin"
jq_assert "$out" '.plugin == "nosuch" and .status == "unknown" and (.summary | test("no plugin \"nosuch\""))'

# two plugins: both described first, as before; nothing runs
run_agent --plugin-dir "$ld" -p ctorprint -p echo --set echo.nosuch=1
expect_rc 78 "two plugins, one misconfigured"
[ ! -s "$out" ] || fail "two plugins: a result line despite the bad setting"

# --- progress of a long run: one updating line on a terminal only --------
# (echo's mode "progress" reports 5 steps of 1 MB over a second)
prog=(-p echo --set echo.mode=progress)
run_agent "${prog[@]}"
expect_rc 0 "progress: not a terminal"
! grep -q 'events' "$err" || fail "progress on a standard error that is not a terminal: $(cat -v "$err")"
run_agent "${prog[@]}" --progress
expect_rc 0 "--progress"
grep -q $'\rprobe-agent: echo: [0-9]* events, [0-9.]* MB of 5.0 MB ([0-9]*%), [0-9.]* MB/s, 0:[0-9][0-9] left' "$err" ||
  fail "--progress: no progress line: $(cat -v "$err")"
[ "$(jq -s length "$out")" = 1 ] || fail "--progress: the result stream changed"
if command -v script >/dev/null 2>&1; then
  # script(1) gives the agent a terminal; results and progress share it
  script -qec "$(printf '%q ' "$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" \
    --state-dir "$TEST_TMP/state" "${prog[@]}")" /dev/null >"$TEST_TMP/tty.txt" </dev/null
  grep -q 'probe-agent: echo: [0-9]* events' "$TEST_TMP/tty.txt" ||
    fail "a terminal got no progress line: $(cat -v "$TEST_TMP/tty.txt")"
  # the line is taken away before the result is written
  grep -q $'\r\033\\[K{"ts"' "$TEST_TMP/tty.txt" ||
    fail "the progress line was not cleared before the result: $(cat -v "$TEST_TMP/tty.txt")"
  script -qec "$(printf '%q ' "$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" \
    --state-dir "$TEST_TMP/state" "${prog[@]}" --no-progress)" /dev/null >"$TEST_TMP/tty.txt" </dev/null
  ! grep -q 'events' "$TEST_TMP/tty.txt" || fail "--no-progress on a terminal: $(cat -v "$TEST_TMP/tty.txt")"
elif [ "${CI:-}" = true ]; then
  fail "script (util-linux) is missing, and CI=true forbids skipping the terminal case"
else
  echo "note: no script(1); the terminal case is not tested" >&2
fi
