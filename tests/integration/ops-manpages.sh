#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/ops-manpages.sh: keeps the manual pages true to the code.
#  - both pages render with groff without a warning;
#  - the pages make builds (man/) name the configured configuration file and
#    plugin directory, the ones the agent has compiled in (its --help),
#    and both pages refer to probe-agent-ledger(7);
#  - the OPTIONS of probe-agent(1) are exactly the options `probe-agent
#    --help` lists (both directions);
#  - probe-agent.conf(5) documents exactly the settings of the agent's
#    table (agent/conf.c) and of each plugin's settings table in
#    plugins/<name>/*.c (both directions), and every
#    setting it documents for the agent section is accepted by
#    `probe-agent --check-config` while an unknown one is refused (78).
. "$top_srcdir/tests/lib/env.sh"

man1=$top_srcdir/doc/probe-agent.1
man5=$top_srcdir/doc/probe-agent.conf.5

for m in "$man1" "$man5"; do
  groff -man -Tutf8 -ww -z "$m" >"$TEST_TMP/groff.log" 2>&1 || fail "groff fails on $m"
  [ -s "$TEST_TMP/groff.log" ] && { cat "$TEST_TMP/groff.log" >&2; fail "groff warns about $m"; }
done

# --- options: --help against probe-agent(1) ----------------------------------
"$PROBE_AGENT" --help >"$TEST_TMP/help" || fail "probe-agent --help failed"

# --- the built pages name the configured paths ----------------------------------
# make builds man/ from doc/ with $(sysconfdir) and $(pkglibdir); they must
# say what this agent has compiled in (its --help), not the defaults.
cfgdir=$(sed -n 's/^Without -c, \(.*\)\/probe-agent\.json is read.*/\1/p' "$TEST_TMP/help")
plugdir=$(sed -n 's/.*where plugins are found (default \([^;]*\);.*/\1/p' "$TEST_TMP/help")
[ -n "$cfgdir" ] && [ -n "$plugdir" ] || fail "cannot read the configuration and plugin paths from --help"
for m in probe-agent.1 probe-agent.conf.5 probe-agent-ledger.7; do
  [ -f "$top_builddir/man/$m" ] || fail "make did not build man/$m"
  groff -man -Tutf8 -ww -z "$top_builddir/man/$m" 2>&1 | grep . && fail "groff warns about the built man/$m"
done
sed 's/\\-/-/g' "$top_builddir/man/probe-agent.1" >"$TEST_TMP/built.1"
sed 's/\\-/-/g' "$top_builddir/man/probe-agent.conf.5" >"$TEST_TMP/built.5"
grep -qF "$cfgdir/probe-agent.json" "$TEST_TMP/built.1" || fail "the built probe-agent(1) does not name $cfgdir/probe-agent.json"
grep -qF "$cfgdir/probe-agent.json" "$TEST_TMP/built.5" || fail "the built probe-agent.conf(5) does not name $cfgdir/probe-agent.json"
grep -qF "$plugdir" "$TEST_TMP/built.1" || fail "the built probe-agent(1) does not name the plugin directory $plugdir"
if [ "$cfgdir" != /etc/probe-agent ] && grep -qE '(^|[^[:alnum:]_./-])/etc/probe-agent' "$TEST_TMP/built.1" "$TEST_TMP/built.5"; then
  fail "a built page still says /etc/probe-agent although the agent reads $cfgdir"
fi
if [ "$plugdir" != /usr/lib/probe-agent ] && grep -qE '(^|[^[:alnum:]_./-])/usr/lib/probe-agent' "$TEST_TMP/built.1"; then
  fail "the built probe-agent(1) still says /usr/lib/probe-agent although plugins load from $plugdir"
fi
for m in "$man1" "$man5"; do
  sed -n '/^\.SH SEE ALSO/,/^\.SH /p' "$m" | grep -q '^\.BR probe-agent-ledger (7)' \
    || fail "$(basename "$m") does not refer to probe-agent-ledger(7)"
done
# Option lines start with two spaces and a dash; the option part ends at the
# first run of two spaces.
grep -E '^ {2,8}-' "$TEST_TMP/help" | sed -E 's/^ +//; s/  .*//' \
  | grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z-]*' | sed 's/^[ ,]//' | sort -u >"$TEST_TMP/help.opts"
[ "$(wc -l <"$TEST_TMP/help.opts")" -ge 10 ] || fail "found too few options in --help: $(cat "$TEST_TMP/help")"
# The line after each .TP in the OPTIONS section.
sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$man1" | sed -n '/^\.TP/{n;p}' \
  | sed -E 's/\\-/-/g; s/\\f[BIRP]//g' \
  | grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z-]*' | sed 's/^[ ,]//' | sort -u >"$TEST_TMP/man.opts"
if ! diff -u "$TEST_TMP/help.opts" "$TEST_TMP/man.opts" >"$TEST_TMP/opts.diff"; then
  cat "$TEST_TMP/opts.diff" >&2
  fail "probe-agent(1) OPTIONS and --help differ (- only in --help, + only in the man page)"
fi

# --- settings: probe-agent.conf(5) against the plugins' settings tables -------
# man_settings SECTION: the keys documented under .SS SECTION (the first bold
# word after each .TP).
man_settings() {
  awk -v s="$1" '
    /^\.SS / { cur = $0; sub(/^\.SS +"?/, "", cur); sub(/"? *$/, "", cur); next }
    /^\.SH / { cur = "" }
    cur == s && /^\.TP/ { getline; if (match($0, /\\fB[a-z0-9_]+\\fR/)) print substr($0, RSTART + 3, RLENGTH - 6) }
  ' "$man5" | sort -u
}
# shared_rows NAME: the body of plugins/common/*.h's settings-rows macro NAME.
shared_rows() {
  awk -v m="$1" '$0 ~ "^#define " m "( |$)" { on = 1 } on { print } on && !/\\$/ { on = 0 }' \
    "$top_srcdir"/plugins/common/*.h
}
# code_settings DIR: the keys of the settings tables in DIR/*.c, with the
# shared rows (e.g. PLEDGER_SOURCE_SETTINGS) they name.
code_settings() {
  local m
  { cat "$1"/*.c
    for m in $(cat "$1"/*.c | grep -oE '\bP[A-Z0-9]*_[A-Z0-9_]*SETTINGS?\b' | sort -u); do
      shared_rows "$m"
    done
  } | tr '\n' ' ' | grep -oE '\{ *"[a-z0-9_]+", *PROBE_SET_' \
    | sed -E 's/^\{ *"([a-z0-9_]+)".*/\1/' | sort -u
}
checked=0
for d in "$top_srcdir"/plugins/*/; do
  p=$(basename "$d")
  [ "$p" = common ] && continue
  compgen -G "$d*.c" >/dev/null || continue
  code_settings "$d" >"$TEST_TMP/code.$p"
  [ -s "$TEST_TMP/code.$p" ] || continue
  man_settings "$p" >"$TEST_TMP/man.$p"
  if ! diff -u "$TEST_TMP/code.$p" "$TEST_TMP/man.$p" >"$TEST_TMP/$p.diff"; then
    cat "$TEST_TMP/$p.diff" >&2
    fail "probe-agent.conf(5) section $p and plugins/$p's settings table differ (- only in the code, + only in the man page)"
  fi
  checked=$((checked + 1))
done
echo "note: compared the settings of $checked plugins" >&2

# The agent section against agent_settings[] in agent/conf.c.
man_settings agent >"$TEST_TMP/man.agent"
sed -n '/agent_settings\[\] *= *{/,/{ *NULL/p' "$top_srcdir/agent/conf.c" | tr '\n' ' ' \
  | grep -oE '\{ *"[a-z0-9_]+", *PROBE_SET_' | sed -E 's/^\{ *"([a-z0-9_]+)".*/\1/' | sort -u >"$TEST_TMP/code.agent"
[ -s "$TEST_TMP/code.agent" ] || fail "found no agent_settings table in agent/conf.c"
diff -u "$TEST_TMP/code.agent" "$TEST_TMP/man.agent" >&2 \
  || fail "probe-agent.conf(5) agent section and agent_settings in agent/conf.c differ (- only in the code)"

# Every documented agent setting is accepted (a value of its type from the
# man page's own example), an unknown one is refused.
man_settings agent >"$TEST_TMP/man.agent"
[ "$(wc -l <"$TEST_TMP/man.agent")" -ge 6 ] || fail "too few agent settings documented"
# The EXAMPLE of probe-agent.conf(5), between .EX and .EE, is a whole valid
# configuration; it must set every documented agent setting.
sed -n '/^\.SH EXAMPLE/,/^\.SH /p' "$man5" | sed -n '/^\.EX/,/^\.EE/p' | sed '1d;$d' \
  | sed -E 's/\\-/-/g; s/\\e/\\/g' >"$TEST_TMP/example.json"
jq -e . "$TEST_TMP/example.json" >/dev/null || fail "the EXAMPLE of probe-agent.conf(5) is not JSON"
jq -r '.agent | keys[]' "$TEST_TMP/example.json" | sort -u >"$TEST_TMP/example.agent"
diff -u "$TEST_TMP/man.agent" "$TEST_TMP/example.agent" >&2 \
  || fail "the EXAMPLE's agent section does not set exactly the documented agent settings"
# Only the plugins that are built can be checked by the agent.
built=" $(for la in ${PROBE_BUILT_PLUGINS:-}; do printf '%s ' "${la%.la}"; done)"
jq --arg built "$built" '.plugins |= with_entries(select(.key as $k | $built | contains(" " + $k + " ")))' \
  "$TEST_TMP/example.json" >"$TEST_TMP/example.built.json"
sed -i "s#/var/lib/probe-agent#$TEST_TMP/state#; s#\"output\": \"[^\"]*\"#\"output\": \"-\"#" "$TEST_TMP/example.built.json"
set +e
agent -c "$TEST_TMP/example.built.json" --check-config >"$TEST_TMP/cc.out" 2>"$TEST_TMP/cc.err"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$TEST_TMP/cc.err" >&2; fail "--check-config rejects the EXAMPLE of probe-agent.conf(5) (exit $rc)"; }
jq '.agent.no_such_setting = 1' "$TEST_TMP/example.built.json" >"$TEST_TMP/bad.json"
set +e
agent -c "$TEST_TMP/bad.json" --check-config >/dev/null 2>"$TEST_TMP/bad.err"
rc=$?
set -e
[ "$rc" = 78 ] || fail "--check-config accepted an unknown agent setting (exit $rc): the check above proves nothing"
echo "ok: man pages match --help, the settings tables and --check-config"
