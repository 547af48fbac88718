#!/usr/bin/env bash
# tests/integration/ops-completion.sh: loads contrib/bash-completion/probe-agent
# into bash and asks it what the shell would: its option list must be
# exactly the options of `probe-agent --help`; after --plugin it offers the
# plugin names `probe-agent --list-plugins` prints (and only those); after
# --format json and text; after --set the sections, with no space.
. "$top_srcdir/tests/lib/env.sh"

comp=$top_srcdir/contrib/bash-completion/probe-agent
bash -n "$comp" || fail "the completion script does not parse"

# complete_words WORD...: the completions bash would offer for the last word.
complete_words() {
  bash -c '
    . "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
    _probe_agent
    printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$@" | sort -u
}

"$PROBE_AGENT" --help | grep -E '^  -' | sed -E 's/^  //; s/  .*//' \
  | grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z-]*' | sed 's/^[ ,]//' | sort -u >"$TEST_TMP/help.opts"
complete_words "$PROBE_AGENT" - >"$TEST_TMP/comp.opts"
diff -u "$TEST_TMP/help.opts" "$TEST_TMP/comp.opts" >&2 \
  || fail "completion's options differ from --help (- only in --help, + only in the completion)"

complete_words "$PROBE_AGENT" --daemon --plug >"$TEST_TMP/plug"
grep -qx -- --plugin "$TEST_TMP/plug" && grep -qx -- --plugin-dir "$TEST_TMP/plug" \
  || fail "--plug does not complete to --plugin and --plugin-dir: $(cat "$TEST_TMP/plug")"

"$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" --list-plugins | awk '{print $1}' | sort -u >"$TEST_TMP/plugins"
complete_words "$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" --plugin "" >"$TEST_TMP/comp.plugins"
diff -u "$TEST_TMP/plugins" "$TEST_TMP/comp.plugins" >&2 \
  || fail "--plugin completes to other names than --list-plugins prints"
for la in ${PROBE_BUILT_PLUGINS:-}; do
  grep -qx "${la%.la}" "$TEST_TMP/comp.plugins" || fail "--plugin does not complete the built plugin ${la%.la}"
done
if [ -s "$TEST_TMP/plugins" ]; then
  first=$(head -n1 "$TEST_TMP/plugins")
  complete_words "$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" -p "${first:0:2}" | grep -qx "$first" \
    || fail "-p ${first:0:2} does not complete to $first"
  complete_words "$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" -s "${first:0:2}" | grep -qx "$first." \
    || fail "-s ${first:0:2} does not complete to $first."
fi
[ "$(complete_words "$PROBE_AGENT" -s ag)" = "agent." ] || fail "-s ag does not complete to agent."
[ "$(complete_words "$PROBE_AGENT" --format "" | tr '\n' ' ')" = "json text " ] \
  || fail "--format does not complete to json and text"
mkdir -p "$TEST_TMP/cfgdir"; touch "$TEST_TMP/cfgdir/probe.json"
complete_words "$PROBE_AGENT" -c "$TEST_TMP/cfgdir/pr" | grep -qx "$TEST_TMP/cfgdir/probe.json" \
  || fail "-c does not complete file names"
echo "ok: completion matches --help and --list-plugins"
