#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# agent-plugin-header.sh: probe-plugin.h is the whole plugin contract. The
# installed header compiles alone, strictly, in a directory that holds no
# other header; and the tree's plugins are built without -I.../agent, so
# none of them can reach an internal header of the agent by accident.
. "$top_srcdir/tests/lib/env.sh"
root=$TEST_TMP/root
make -s -C "$top_builddir" install-includeHEADERS DESTDIR="$root" >/dev/null
hdr=$(find "$root" -name probe-plugin.h)
[ -n "$hdr" ] || fail "make install did not install probe-plugin.h"
n=$(find "$(dirname "$hdr")" -name '*.h' | wc -l)
[ "$n" = 1 ] || fail "the installed include directory holds $n headers, not 1"
mkdir "$TEST_TMP/tu"
cp "$hdr" "$TEST_TMP/tu/"
cat >"$TEST_TMP/tu/tu.c" <<'C'
#include "probe-plugin.h"
int main(void) { return PROBE_PLUGIN_ABI > 0 ? 0 : 1; }
C
cc=$(sed -n 's/^CC = //p' "$top_builddir/Makefile")
(cd "$TEST_TMP/tu" && ${cc:-cc} -std=c11 -Wall -Wextra -Werror -pedantic \
   -c tu.c -o tu.o) >"$TEST_TMP/cc.log" 2>&1 ||
  { cat "$TEST_TMP/cc.log"; fail "probe-plugin.h does not compile alone"; }
# the flags every plugin is compiled with: no directory of the agent's
# own headers (agent/include holds probe-plugin.h only)
flags=$(sed -n 's/^AM_CPPFLAGS = //p' "$top_builddir/Makefile")
for f in $flags; do
  case "$f" in
  -I*/agent | -I*/agent/) fail "plugins are compiled with $f" ;;
  esac
done
echo "agent-plugin-header: probe-plugin.h compiles alone; plugins see no other agent header"
