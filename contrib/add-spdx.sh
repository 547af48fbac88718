#!/usr/bin/env bash
# contrib/add-spdx.sh: adds "SPDX-License-Identifier: Apache-2.0" as the
# first comment line of every source file that lacks it (the list is
# contrib/check-style.sh --sources): "/* ... */" on line 1 of C files,
# ".\" ..." on line 1 of man pages, "# ..." on line 1 of shell, Python and
# build files, or on line 2 after a shebang. Files that have it already are
# left alone, so running it twice changes nothing. Prints each file changed.
#   contrib/add-spdx.sh [FILE...]   (default: every source file)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
spdx='SPDX-License-Identifier: Apache-2.0'

# add FILE: writes the line for FILE's kind in, keeping its mode
add() {
  local f=$1 line tmp
  head -n 2 "$f" | grep -qF "$spdx" && return 0
  case "$f" in
    *.c|*.h) line="/* $spdx */" ;;
    *.[157]) line=".\\\" $spdx" ;;
    *) line="# $spdx" ;;
  esac
  tmp=$(mktemp "$f.spdx.XXXXXX")
  if head -c 2 "$f" | grep -q '^#!'; then
    { head -n 1 "$f"; printf '%s\n' "$line"; tail -n +2 "$f"; } >"$tmp"
  else
    { printf '%s\n' "$line"; cat "$f"; } >"$tmp"
  fi
  chmod --reference="$f" "$tmp"
  mv "$tmp" "$f"
  echo "$f"
}

if [ $# -gt 0 ]; then
  for f in "$@"; do add "$f"; done
else
  contrib/check-style.sh --sources | while read -r f; do
    [ -f "$f" ] && add "$f"
  done
fi
