#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# example-plugin.sh: contrib/example-plugin builds out of tree against the
# installed header and pkg-config file only, and the agent loads it.
. "$top_srcdir/tests/lib/env.sh"
root=$TEST_TMP/root
make -s -C "$top_builddir" install-includeHEADERS install-pkgconfigDATA DESTDIR="$root" >/dev/null
pc=$(find "$root" -name probe-agent.pc)
[ -n "$pc" ] || fail "make install did not install probe-agent.pc"
cp -r "$top_srcdir/contrib/example-plugin" "$TEST_TMP/ex"
chmod -R u+w "$TEST_TMP/ex"
PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$(dirname "$pc") \
  make -s -C "$TEST_TMP/ex" >"$TEST_TMP/build.log" 2>&1 || { cat "$TEST_TMP/build.log"; fail "the example does not build"; }
nm -D --defined-only "$TEST_TMP/ex/fileage.so" | grep -q ' probe_plugin_entry$' || fail "entry symbol not exported"
pd=$TEST_TMP/plugins
mkdir -m 755 "$pd"
install -m 0644 "$TEST_TMP/ex/fileage.so" "$pd/"
touch -d '30 hours ago' "$TEST_TMP/old"
rc=0
"$PROBE_AGENT" --plugin-dir "$pd" --state-dir "$TEST_TMP/st" -p fileage -s fileage.path="$TEST_TMP/old" >"$TEST_TMP/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$TEST_TMP/out"; fail "expected a warning (exit 1), got $rc"; }
jq_assert "$TEST_TMP/out" '.check == "fileage.age" and .status == "warning" and .metrics.age_seconds > 100000'
rc=0
"$PROBE_AGENT" --plugin-dir "$pd" --state-dir "$TEST_TMP/st" -p fileage >"$TEST_TMP/out" 2>&1 || rc=$?
[ "$rc" = 78 ] || fail "a missing required setting gave $rc, not 78"
grep -q 'setting "path": required but not set' "$TEST_TMP/out" || fail "missing required setting not named"
echo "example-plugin: builds out of tree and runs"
