#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/ops-completion.sh: loads contrib/bash-completion/probe-agent
# into bash and asks it what the shell would: its option list must be
# exactly the options of `probe-agent --help`; after --plugin it offers the
# plugin names `probe-agent --list-plugins` prints (and only those); after
# --format json, text, nagios and openmetrics; after --set the sections, with no space.
. "$top_srcdir/tests/lib/env.sh"

comp=$top_srcdir/contrib/bash-completion/probe-agent
bash -n "$comp" || fail "the completion script does not parse"

# complete_words WORD...: the completions bash would offer for the last word.
complete_words() {
  bash -c '
    . "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
    _probe_agent
    [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$@" | sort -u
}

"$PROBE_AGENT" --help | grep -E '^ {2,8}-' | sed -E 's/^ +//; s/  .*//' \
  | grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z-]*' | sed 's/^[ ,]//' | sort -u >"$TEST_TMP/help.opts"
complete_words "$PROBE_AGENT" - >"$TEST_TMP/comp.opts"
diff -u "$TEST_TMP/help.opts" "$TEST_TMP/comp.opts" >&2 \
  || fail "completion's options differ from --help (- only in --help, + only in the completion)"

complete_words "$PROBE_AGENT" --daemon --plug >"$TEST_TMP/plug"
grep -qx -- --plugin "$TEST_TMP/plug" && grep -qx -- --plugin-dir "$TEST_TMP/plug" \
  || fail "--plug does not complete to --plugin and --plugin-dir: $(cat "$TEST_TMP/plug")"

# Plugin names, in the installed plugins' directory and in the test
# plugins' one (several plugins even before any real one is built).
for dir in "$PROBE_AGENT_PLUGIN_DIR" "${PROBE_TEST_PLUGIN_DIR:-}"; do
  [ -n "$dir" ] && [ -d "$dir" ] || continue
  "$PROBE_AGENT" --plugin-dir "$dir" --list-plugins 2>/dev/null | awk '{print $1}' | sort -u >"$TEST_TMP/plugins"
  complete_words "$PROBE_AGENT" --plugin-dir "$dir" --plugin "" >"$TEST_TMP/comp.plugins"
  diff -u "$TEST_TMP/plugins" "$TEST_TMP/comp.plugins" >&2 \
    || fail "--plugin completes to other names than --list-plugins prints for $dir"
  [ -s "$TEST_TMP/plugins" ] || continue
  first=$(head -n1 "$TEST_TMP/plugins")
  complete_words "$PROBE_AGENT" --plugin-dir "$dir" -p "${first:0:2}" | grep -qx "$first" \
    || fail "-p ${first:0:2} does not complete to $first"
  complete_words "$PROBE_AGENT" --plugin-dir "$dir" -s "${first:0:2}" | grep -qx "$first." \
    || fail "-s ${first:0:2} does not complete to $first."
  checked_plugins=yes
done
[ -n "${checked_plugins:-}" ] || fail "no plugin directory with plugins to complete from"
for la in ${PROBE_BUILT_PLUGINS:-}; do
  complete_words "$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" --plugin "" | grep -qx "${la%.la}" \
    || fail "--plugin does not complete the built plugin ${la%.la}"
done
[ "$(complete_words "$PROBE_AGENT" -s ag)" = "agent." ] || fail "-s ag does not complete to agent."
[ "$(complete_words "$PROBE_AGENT" --format "" | tr '\n' ' ')" = "json nagios openmetrics text " ] \
  || fail "--format does not complete to json, text, nagios and openmetrics"
mkdir -p "$TEST_TMP/cfgdir"; touch "$TEST_TMP/cfgdir/probe.json"
complete_words "$PROBE_AGENT" -c "$TEST_TMP/cfgdir/pr" | grep -qx "$TEST_TMP/cfgdir/probe.json" \
  || fail "-c does not complete file names"
echo "ok: completion matches --help and --list-plugins"
