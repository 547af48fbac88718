#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# plugins-lazy-libs.sh: no plugin is linked with libpq or libcurl; they are
# opened when a run first needs them (plugins/common/plib.h), so that the
# runs that do not (a ledger read from a file, tls, secrets) do not pay
# 10 ms each for loading them. The dynamic loader's own trace
# (LD_DEBUG=files) of --list-plugins, whose describe children load every
# plugin, must show each plugin and neither library. That they do open
# when needed is tested by tests/unit/common-plib and by every test of a
# PostgreSQL source or an HTTP endpoint.
. "$top_srcdir/tests/lib/env.sh"

LD_DEBUG=files LD_DEBUG_OUTPUT="$TEST_TMP/ld" agent --list-plugins >"$TEST_TMP/list.txt" 2>/dev/null ||
  fail "--list-plugins failed"
ls "$TEST_TMP"/ld.* >/dev/null 2>&1 || fail "no loader trace (LD_DEBUG ignored?)"
# each plugin is described in a child of its own and loaded from the
# descriptor that was checked, so the trace names /proc/self/fd/N: one
# describing process per plugin must have loaded one
n=0
for so in "$PROBE_AGENT_PLUGIN_DIR"/*.so; do n=$((n + 1)); done
[ "$n" -ge 1 ] || fail "no plugin in $PROBE_AGENT_PLUGIN_DIR"
loaded=$(grep -h 'file=/proc/self/fd/[0-9]* .*dynamically loaded' "$TEST_TMP"/ld.* |
  awk '{print $1}' | sort -u | wc -l)
[ "$loaded" -ge "$n" ] || fail "the trace shows $loaded plugins loaded, not $n"
got=$(grep -ho 'file=lib\(pq\|curl\)\.so[.0-9]*' "$TEST_TMP"/ld.* | sort -u | tr '\n' ' ')
[ -z "$got" ] || fail "loading the plugins loaded $got"
echo "plugins-lazy-libs: $n plugins loaded without libpq or libcurl"
