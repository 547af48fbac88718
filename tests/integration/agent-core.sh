#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# agent-core.sh: the agent itself, with the test plugins of tests/plugins:
# listing, exit statuses, isolation of crashing/hanging/flooding plugins,
# refusal of unsafe plugin files, configuration errors with file and line,
# precedence of --set over environment over file, redaction, state, text.
. "$top_srcdir/tests/lib/env.sh"
PROBE_AGENT_PLUGIN_DIR=$PROBE_TEST_PLUGIN_DIR
out=$TEST_TMP/out.jsonl
err=$TEST_TMP/err.txt

# run_agent ARGS: runs the agent, stdout to $out, stderr to $err; sets $rc.
run_agent() { rc=0; agent "$@" >"$out" 2>"$err" || rc=$?; }
expect_rc() { [ "$rc" = "$1" ] || { cat "$out" "$err" >&2; fail "$2: exit $rc, expected $1"; }; }

# --list-plugins
run_agent --list-plugins
grep -q '^echo  *1.0  *test plugin (echo)' "$out" || fail "--list-plugins misses echo"
grep -q '^wrongabi .*unusable: .*built for plugin ABI 42, this agent speaks ABI 1' "$out" ||
  fail "--list-plugins does not flag the wrong ABI"

# one ok line, every field, in order
cat >"$TEST_TMP/c.json" <<'J'
{ // comments are allowed
  "agent": { "host": "test-host", "labels": { "service": "medlink" } },
  /* the plugin */
  "plugins": { "echo": { "message": "from-file" } }
}
J
run_agent -c "$TEST_TMP/c.json" --once
expect_rc 0 "an ok run"
[ "$(wc -l <"$out")" = 1 ] || fail "expected one line"
keys=$(jq -r 'keys_unsorted | join(",")' "$out")
[ "$keys" = "ts,host,agent_version,plugin,check,target,status,level,summary,duration_ms,metrics,details,labels" ] ||
  fail "field order: $keys"
jq_assert "$out" '.host == "test-host" and .labels.service == "medlink" and .status == "ok" and .level == "info"
  and .summary == "from-file" and .plugin == "echo" and .check == "echo.line"
  and (.ts | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z$"))'

# exit status is the worst status: critical > unknown > warning > ok
for pair in ok:0 warning:1 critical:2 unknown:3; do
  run_agent -p echo -s echo.status="${pair%:*}"
  expect_rc "${pair#*:}" "status ${pair%:*}"
done
jq_assert "$out" '.level == "error"'
run_agent -p echo -p segv -s echo.status=critical
expect_rc 2 "critical beats unknown"

# isolation: crashes become one unknown line each, others still report
run_agent -p segv -p abort -p silent -p echo -p wrongabi -p nosuch
expect_rc 3 "crashing plugins"
[ "$(wc -l <"$out")" = 6 ] || fail "expected 6 lines, got $(wc -l <"$out")"
jq_assert "$out" 'select(.plugin == "segv") | .status == "unknown" and .check == "agent.run" and (.summary | test("crashed: killed by signal 11"))'
jq_assert "$out" 'select(.plugin == "abort") | .status == "unknown" and (.summary | test("signal 6"))'
jq_assert "$out" 'select(.plugin == "silent") | .status == "unknown" and (.summary | test("without reporting a result"))'
jq_assert "$out" 'select(.plugin == "wrongabi") | .status == "unknown" and (.summary | test("ABI 42"))'
jq_assert "$out" 'select(.plugin == "nosuch") | .status == "unknown" and (.summary | test("no plugin"))'
jq_assert "$out" 'select(.plugin == "echo") | .status == "ok"'

# a plugin's process holds 0, 1, 2 and its result pipe, nothing the agent
# was started with (close_range, or the loop where there is none)
run_agent -p echo 7</dev/null 1000</dev/null
jq_assert "$out" '.metrics.open_fds == 4'

# a hang is cut at its timeout, within a second
t0=$(date +%s%N)
run_agent -p hang -p echo -s hang.timeout=1
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
expect_rc 3 "hang"
[ "$ms" -lt 3000 ] || fail "a 1 s timeout took $ms ms"
jq_assert "$out" 'select(.check == "agent.run") | .plugin == "hang" and (.summary | test("timed out after 1\\.[0-9] s"))'
jq_assert "$out" 'select(.plugin == "hang" and .check == "hang.before") | .status == "ok"'

# a flood is killed at the output bound; logs are capped
run_agent -p flood -p echo -s agent.max_output_bytes=200000
expect_rc 3 "flood"
jq_assert "$out" 'select(.check == "agent.run") | .plugin == "flood" and (.summary | test("flooded its output"))'
[ "$(grep -c '"plugin":"echo"' "$out")" = 1 ] || fail "echo did not report next to the flood"
[ "$(wc -c <"$out")" -lt 400000 ] || fail "the flood went through"
[ "$(wc -c <"$err")" -lt 100000 ] || fail "the flood's 100 MB of logs were not capped"

# unsafe plugin files and directories are refused
pd=$TEST_TMP/pd
mkdir -p "$pd"
cp "$PROBE_TEST_PLUGIN_DIR/echo.so" "$pd/echo.so"
chmod 755 "$pd"; chmod 666 "$pd/echo.so"
run_agent --plugin-dir "$pd" -p echo
expect_rc 3 "world-writable plugin"
jq_assert "$out" '.status == "unknown" and (.summary | test("refusing plugin file .*writable by others"))'
chmod 644 "$pd/echo.so"; chmod 775 "$pd"
run_agent --plugin-dir "$pd" -p echo
jq_assert "$out" '.status == "unknown" and (.summary | test("refusing plugin directory .*writable by group"))'
chmod 755 "$pd"
run_agent --plugin-dir "$pd" -p echo
expect_rc 0 "plugin in a safe directory"
if [ "$(id -u)" = 0 ]; then
  chown nobody "$pd/echo.so"
  run_agent --plugin-dir "$pd" -p echo
  jq_assert "$out" '.status == "unknown" and (.summary | test("refusing plugin file .*owned by uid [0-9]+, neither root nor"))'
  chown root "$pd/echo.so"
fi

# configuration errors: file, line, plugin, key; exit 78
cat >"$TEST_TMP/bad.json" <<'J'
{
  "plugins": {
    "echo": {
      "message": "x",
      "sourse": "/tmp/typo",
      "count": "three"
    }
  }
}
J
run_agent -c "$TEST_TMP/bad.json" --check-config
expect_rc 78 "unknown key"
grep -q "bad.json:5: plugin \"echo\": setting \"sourse\": unknown setting (known: enabled, interval, timeout, user, memory_limit, cpu_limit, max_processes, status" "$err" ||
  { cat "$err"; fail "unknown key not named with its line"; }
grep -q "bad.json:6: plugin \"echo\": setting \"count\": must be an integer" "$err" || fail "wrong type not named"
run_agent -c "$TEST_TMP/bad.json" --once
expect_rc 78 "a run refuses a bad configuration too"
[ ! -s "$out" ] || fail "a bad configuration still ran"
printf '{\n  "plugins": {\n    "echo": { "message": "x", }\n  }\n}\n' >"$TEST_TMP/syntax.json"
run_agent -c "$TEST_TMP/syntax.json" --check-config
expect_rc 78 "invalid JSON"
grep -q 'syntax.json: line 3, column' "$err" || { cat "$err"; fail "syntax error without its line"; }
printf '{"plugins":{"echo":{"status":"bogus"}}}' >"$TEST_TMP/sem.json"
run_agent -c "$TEST_TMP/sem.json" --check-config
expect_rc 78 "the plugin's own check"
grep -q 'plugin "echo": setting "status": must be ok, warning, critical or unknown, not "bogus"' "$err" ||
  { cat "$err"; fail "check_config message missing"; }
printf '{"plugins":{"echo":{"token_file":"/nonexistent/secret-path-XYZ"}}}' >"$TEST_TMP/file.json"
run_agent -c "$TEST_TMP/file.json" --check-config
expect_rc 78 "unreadable file setting"
grep -q 'setting "token_file": cannot read the file' "$err" || { cat "$err"; fail "unreadable file not reported"; }
! grep -q 'secret-path-XYZ' "$err" || fail "a secret setting's value was echoed"
run_agent -c "$TEST_TMP/nonexistent.json" --check-config
expect_rc 78 "missing explicit file"
grep -q 'nonexistent.json: cannot read the configuration' "$err" || fail "missing file not named"
run_agent -c "$TEST_TMP/c.json" --check-config
expect_rc 0 "a good configuration"
grep -q '^configuration ok' "$out" || fail "--check-config says nothing on success"

# precedence: --set > environment > file > default
run_agent -c "$TEST_TMP/c.json"
jq_assert "$out" '.summary == "from-file"'
rc=0; PROBE_ECHO_MESSAGE=from-env agent -c "$TEST_TMP/c.json" >"$out" 2>"$err" || rc=$?
jq_assert "$out" '.summary == "from-env"' "environment does not beat the file"
rc=0; PROBE_ECHO_MESSAGE=from-env agent -c "$TEST_TMP/c.json" -s echo.message=from-set >"$out" 2>"$err" || rc=$?
jq_assert "$out" '.summary == "from-set"' "--set does not beat the environment"
rc=0; PROBE_ECHO_MESAGE=typo agent -p echo >"$out" 2>"$err" || rc=$?
expect_rc 78 "a typo in an environment variable"
grep -q 'environment PROBE_ECHO_MESAGE: plugin "echo": setting "mesage": unknown setting' "$err" || { cat "$err"; fail "env typo not named"; }
run_agent -p echo -s echo.count=2 -s 'agent.labels={"team":"claims"}'
[ "$(wc -l <"$out")" = 2 ] || fail "--set JSON value"
jq_assert "$out" '.labels.team == "claims"'

# usage errors: 64
run_agent --bogus; expect_rc 64 "unknown option"
grep -q "unknown option '--bogus'" "$err" || fail "unknown option not named"
run_agent --format yaml -p echo; expect_rc 64 "bad --format"
run_agent -s novalue -p echo; expect_rc 64 "bad --set"
run_agent --once --daemon; expect_rc 64 "two modes"

# redaction of targets; no secret in a line
run_agent -p echo -s 'echo.target=https://probe:hunter2@relay.example/x?token=abc123&page=2'
jq_assert "$out" '.target == "https://REDACTED@relay.example/x?token=REDACTED&page=2"'
! grep -q -e hunter2 -e abc123 "$out" || fail "a credential reached the output"
run_agent -p echo -s "echo.target=host=db user=probe password='s3cr et' dbname=x"
jq_assert "$out" '.target == "host=db user=probe password=REDACTED dbname=x"'
# a plugin's target cannot get a secret past the agent's redactor (issue 11
# item 7): any white space, a :// elsewhere, userinfo without a colon, an
# '@' after a '/' in the password, query names nobody listed
redacted() {
  run_agent -p echo -s "echo.target=$1"
  jq_assert "$out" ".target == \"$2\"" "target $1"
  ! grep -q s3cr "$out" || fail "a credential reached the output: $1"
}
redacted "host=db$(printf '\t')password=s3cr1" "host=db password=REDACTED"
redacted '"host=db\npassword=s3cr2"' "host=db password=REDACTED" # JSON: a real newline
redacted "user=x sslpassword=s3cr3" "user=x sslpassword=REDACTED"
redacted "host=db password=s3cr4 via http://relay/" "host=db password=REDACTED via http://relay/"
redacted "postgresql://u:pa/s3cr5@h/db" "postgresql://REDACTED@h/db"
redacted "http://s3cr6@relay/x" "http://REDACTED@relay/x"
redacted "https://h/x?jwt=s3cr7&pwd=s3cr8&session=s3cr9&access=s3cr0&page=2" \
  "https://h/x?jwt=REDACTED&pwd=REDACTED&session=REDACTED&access=REDACTED&page=2"

# state persists between runs, per plugin
export TEST_STATE_DIR=$TEST_TMP/st
run_agent -p echo; jq_assert "$out" '.metrics.runs == 1'
run_agent -p echo; jq_assert "$out" '.metrics.runs == 2'
[ -d "$TEST_STATE_DIR/echo" ] || fail "no per-plugin state directory"
unset TEST_STATE_DIR

# -o appends whole lines; --format text is readable
run_agent -p echo -o "$TEST_TMP/o.jsonl"; run_agent -p echo -o "$TEST_TMP/o.jsonl"
[ "$(jq -c . "$TEST_TMP/o.jsonl" | wc -l)" = 2 ] || fail "-o did not append"
run_agent -p echo -s echo.status=warning --format text
grep -qE '^[0-9T:.Z-]+ WARNING +echo.line +echo-target: hello \([0-9.]+ ms\)$' "$out" || { cat "$out"; fail "text format"; }
echo "agent-core: all assertions hold"
