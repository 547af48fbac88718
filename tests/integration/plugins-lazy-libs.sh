#!/usr/bin/env bash
# plugins-lazy-libs.sh: no plugin is linked with libpq or libcurl; they are
# opened when a run first needs them (plugins/common/plib.h), so that the
# runs that do not (a ledger read from a file, tls, secrets) do not pay
# 10 ms each for loading them. The dynamic loader's own trace
# (LD_DEBUG=files) of --list-plugins, whose describe child loads every
# plugin, must show each plugin and neither library. That they do open
# when needed is tested by tests/unit/common-plib and by every test of a
# PostgreSQL source or an HTTP endpoint.
. "$top_srcdir/tests/lib/env.sh"

LD_DEBUG=files LD_DEBUG_OUTPUT="$TEST_TMP/ld" agent --list-plugins >"$TEST_TMP/list.txt" 2>/dev/null ||
  fail "--list-plugins failed"
ls "$TEST_TMP"/ld.* >/dev/null 2>&1 || fail "no loader trace (LD_DEBUG ignored?)"
n=0
for so in "$PROBE_AGENT_PLUGIN_DIR"/*.so; do
  name=$(basename "$so")
  grep -q "file=.*/$name " "$TEST_TMP"/ld.* || grep -q "file=.*/$name\$" "$TEST_TMP"/ld.* ||
    fail "the trace does not show $name being loaded"
  n=$((n + 1))
done
[ "$n" -ge 1 ] || fail "no plugin in $PROBE_AGENT_PLUGIN_DIR"
got=$(grep -ho 'file=lib\(pq\|curl\)\.so[.0-9]*' "$TEST_TMP"/ld.* | sort -u | tr '\n' ' ')
[ -z "$got" ] || fail "loading the plugins loaded $got"
echo "plugins-lazy-libs: $n plugins loaded without libpq or libcurl"
