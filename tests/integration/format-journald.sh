#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# format-journald.sh: when standard output is the journal ($JOURNAL_STREAM
# names its st_dev:st_ino, as systemd sets it), each line starts with its
# sd-daemon priority, <6> ok, <4> warning, <3> critical and unknown, and the
# JSON after it is unchanged; with another standard output (a child that
# inherited the variable) no prefix. journald itself is not started here:
# the prefix is what it parses (sd-daemon(3)); a real journal is read back
# in an nspawn'd system by format-journal-real.sh.
. "$top_srcdir/tests/lib/env.sh"
PROBE_AGENT_PLUGIN_DIR=$PROBE_TEST_PLUGIN_DIR
out=$TEST_TMP/out.txt
: >"$out"
stream=$(stat -c '%d:%i' "$out")

for pair in ok:'<6>' warning:'<4>' critical:'<3>' unknown:'<3>'; do
  st=${pair%%:*}; want=${pair#*:}
  : >"$out"
  JOURNAL_STREAM=$stream agent -p echo -s echo.status="$st" >>"$out" 2>/dev/null || true
  line=$(cat "$out")
  [ "${line:0:3}" = "$want" ] || fail "$st: line starts with '${line:0:3}', expected '$want'"
  jq -e --arg st "$st" '.status == $st and .plugin == "echo"' <<<"${line:3}" >/dev/null ||
    fail "$st: the JSON after the prefix is not the line: $line"
done
# text format too
: >"$out"
JOURNAL_STREAM=$stream agent -p echo -s echo.status=warning --format text >>"$out" 2>/dev/null || true
grep -q '^<4>[0-9-]*T.* WARNING ' "$out" || fail "text line without its prefix: $(cat "$out")"

# another stream: no prefix
: >"$out"
JOURNAL_STREAM=1:2 agent -p echo -s echo.status=critical >>"$out" 2>/dev/null || true
jq -e '.status == "critical"' "$out" >/dev/null || fail "a foreign JOURNAL_STREAM added a prefix: $(cat "$out")"
: >"$out"
JOURNAL_STREAM=garbage agent -p echo >>"$out" 2>/dev/null || true
jq -e '.status == "ok"' "$out" >/dev/null || fail "a malformed JOURNAL_STREAM added a prefix"
# -o FILE is never the journal, even when it is the same file
: >"$out"
JOURNAL_STREAM=$stream agent -p echo -o "$out" >/dev/null 2>&1 || true
jq -e '.status == "ok"' "$out" >/dev/null || fail "-o FILE got a prefix"
echo ok
