#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# style.sh: the house style holds over the tree (contrib/check-style.sh):
# every C file as clang-format writes it with .clang-format, every source
# file with its SPDX line. Skips when clang-format is missing, except under
# CI=true.
. "$top_srcdir/tests/lib/env.sh"
if ! command -v "${CLANG_FORMAT:-clang-format}" >/dev/null; then
  [ "${CI:-}" = true ] && fail "clang-format is missing and CI=true forbids skipping"
  echo "SKIP: clang-format not installed (apt-get install clang-format)"
  exit 77
fi
rc=0
"$top_srcdir/contrib/check-style.sh" >"$TEST_TMP/style.out" 2>&1 || rc=$?
if [ $rc != 0 ]; then
  head -n 40 "$TEST_TMP/style.out" >&2
  fail "$(grep -c . "$TEST_TMP/style.out") files break the house style (contrib/check-style.sh)"
fi
