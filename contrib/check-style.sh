#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# contrib/check-style.sh: the two checks of the house style, run by make
# check (tests/integration/style.sh) and contrib/test.sh.
#   --format  lists every C file (.c/.h under agent crypto lib plugins report
#             tests contrib/example-plugin) that differs from what
#             clang-format makes of it with .clang-format;
#   --spdx    lists every source file without its SPDX-License-Identifier
#             line (the first comment line; after a shebang; see
#             contrib/add-spdx.sh, which adds them);
#   --sources prints the files --spdx checks, one a line (add-spdx.sh).
# Without an option: --format and --spdx. Exit 1 when a file is listed, 2
# when clang-format is missing. CLANG_FORMAT names another binary.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
spdx='SPDX-License-Identifier: Apache-2.0'

# tracked files in a git tree, else (a tarball) every file found
files() {
  if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$top" ls-files -- "$@"
  else
    local p args=()
    for p in "$@"; do args+=(-o -path "./$p"); done
    # not what autoreconf and configure generate, nor a build tree inside
    find . \( -name autom4te.cache -o -name build-aux -o -path ./m4 \
      -o -path ./tests/node_modules -o -path ./.ci \
      -o \( -type d -exec test -e '{}/config.status' \; \) \) -prune -o \
      -type f \( -false "${args[@]}" \) -not -name aclocal.m4 -print |
      sed 's|^\./||' | sort
  fi
}

c_files() {
  files 'agent/*.[ch]' 'crypto/*.[ch]' 'lib/*.[ch]' 'plugins/*.[ch]' \
    'report/*.[ch]' 'tests/*.[ch]' 'contrib/example-plugin/*.[ch]'
}

# every file that carries a licence line: C, shell, Python, the build
# files, man pages
sources() {
  { c_files
    files '*.sh' '*.py' '*.m4' 'Makefile.am' '*.inc' 'configure.ac' \
      'contrib/example-plugin/Makefile' 'contrib/bash-completion/*' \
      '*.1' '*.5' '*.7'
  } | grep -v -e '^\.ci/' -e '^tests/node_modules/' -e '^tests/fuzz/corpus/' |
    sort -u
}

check_format() {
  local cf=${CLANG_FORMAT:-clang-format} f bad=0
  command -v "$cf" >/dev/null || { echo "check-style: $cf not found" >&2; return 2; }
  while read -r f; do
    [ -f "$f" ] || continue
    if ! "$cf" --style=file "$f" | cmp -s - "$f"; then
      echo "$f: not as clang-format writes it"
      bad=1
    fi
  done < <(c_files)
  return $bad
}

check_spdx() {
  local f bad=0
  while read -r f; do
    [ -f "$f" ] || continue
    if ! head -n 2 "$f" | grep -qF "$spdx"; then
      echo "$f: no $spdx line"
      bad=1
    fi
  done < <(sources)
  return $bad
}

case "${1:-}" in
  --format) check_format ;;
  --spdx) check_spdx ;;
  --sources) sources ;;
  '') rc=0
      check_format || rc=$?
      check_spdx || { [ $rc != 0 ] || rc=1; }
      exit $rc ;;
  *) echo "usage: $0 [--format|--spdx|--sources]" >&2; exit 64 ;;
esac
