#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# contrib/test.sh: builds probe-agent and runs every test, unit and
# integration, against real servers it starts and stops itself: a throwaway
# PostgreSQL cluster, a local Ethereum node (ganache, from the npm registry)
# and TLS servers (started by the tests that need them). Then the same
# suite again under AddressSanitizer + UndefinedBehaviorSanitizer, the
# libFuzzer targets for a few seconds each, a clang build, a style check, and
# `make distcheck`. With CI=true a missing server fails the run.
#
#   contrib/test.sh              everything
#   SKIP_ASAN=1 contrib/test.sh  without the sanitizer pass
#   SKIP_DISTCHECK=1 ...         without distcheck
#   SKIP_FUZZ=1, SKIP_STYLE=1    without the fuzz step, the style check
#   SKIP_CLANG=1                 without the clang build of the whole tree
#   FUZZ_SECONDS=N               seconds per fuzz target (default 5)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$top"
started=$(date +%s)

ensure_packages

if [ -f tests/package-lock.json ]; then
  # Debian's nodejs comes without npm; a NodeSource nodejs has its own
  command -v npm >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq npm >/dev/null; }
  if [ ! -x tests/node_modules/.bin/ganache ] || [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
    echo "== npm ci (tests/)"
    npm ci --prefix tests --no-audit --no-fund --loglevel=error >/dev/null
  fi
fi

run_dir=$(mktemp -d /tmp/probe-agent-test.XXXXXX)
chmod 755 "$run_dir"
cleanup() {
  "$top/tests/lib/servers.sh" stop "$run_dir/servers" || true
  rm -rf "$run_dir"
}
trap cleanup EXIT
echo "== starting servers"
"$top/tests/lib/servers.sh" start "$run_dir/servers"
. "$run_dir/servers/servers.env"
if [ "${CI:-}" = true ]; then
  [ -n "${PROBE_TEST_PG:-}" ] || { echo "CI: PostgreSQL did not start" >&2; exit 1; }
  if [ -f tests/package-lock.json ]; then
    [ -n "${PROBE_TEST_ETH_RPC:-}" ] || { echo "CI: ganache did not start" >&2; exit 1; }
  fi
fi
export PROBE_TEST_PG PROBE_TEST_ETH_RPC

failed=0
# check DIR LABEL: make check in DIR, keeping going on failure.
check() {
  echo "== make check ($2)"
  if ! make -C "$1" -j2 check >"$run_dir/check-$2.out" 2>&1; then
    failed=1
    grep -E '^(FAIL|ERROR|XPASS)' "$run_dir/check-$2.out" || true
    for log in $(grep -lE '^:test-result: (FAIL|ERROR)' $(find "$1" -name '*.trs') 2>/dev/null); do
      echo "--- ${log%.trs}.log"
      tail -n 40 "${log%.trs}.log"
    done
  fi
  grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$run_dir/check-$2.out" | sed "s/^/   [$2] /" || true
}

# intel-ipsec-mb hashes the ledger's events where Debian has it (amd64):
# there a build without it is an error, not a quiet fallback; distcheck
# builds without it, so the unit tests also cover the EVP-only build
mb=()
[ "$(deb_arch)" = amd64 ] && mb=(--with-ipsec-mb=yes)
build "$top/build" --enable-werror "${mb[@]}"
check "$top/build" default

# Style: every C file as clang-format writes it (.clang-format), every source
# file with its SPDX line; a file that differs fails the run.
if [ -z "${SKIP_STYLE:-}" ]; then
  echo "== style (contrib/check-style.sh)"
  if ! contrib/check-style.sh >"$run_dir/style.out" 2>&1; then
    echo "   $(grep -c . "$run_dir/style.out") files differ; first ones:"
    head -n 5 "$run_dir/style.out" | sed 's/^/   /'
    failed=1
  fi
fi

# Fuzzing: every libFuzzer target, built with clang from the same library
# objects as the agent and the plugins, a few seconds each on its seed
# corpus (tests/fuzz/run.sh); a crash fails the run and its input is kept
# under build-fuzz/fuzz-out.
if [ -z "${SKIP_FUZZ:-}" ]; then
  fuzz_started=$(date +%s)
  echo "== fuzz (clang --enable-fuzzing, ${FUZZ_SECONDS:-5} s per target)"
  mkdir -p "$top/build-fuzz"
  # --enable-werror: what the targets link builds without a clang warning
  (cd "$top/build-fuzz" && "$top/configure" -q CC=clang --enable-fuzzing --enable-werror)
  if make -C "$top/build-fuzz" -j"$(nproc)" fuzz-targets >"$run_dir/fuzz-build.out" 2>&1; then
    fuzz_bins=()
    for t in $(make -s -C "$top/build-fuzz" print-fuzz-targets); do
      fuzz_bins+=("$top/build-fuzz/$t")
    done
    rm -rf "$top/build-fuzz/fuzz-out"
    tests/fuzz/run.sh -t "${FUZZ_SECONDS:-5}" -o "$top/build-fuzz/fuzz-out" "${fuzz_bins[@]}" || failed=1
  else
    tail -n 40 "$run_dir/fuzz-build.out"
    failed=1
  fi
  echo "   fuzz step: $(( $(date +%s) - fuzz_started )) s"
fi

# clang: the whole tree and the test programs build without a clang
# warning too (the fuzz build above only compiles what its targets link)
if [ -z "${SKIP_CLANG:-}" ]; then
  clang_started=$(date +%s)
  echo "== clang --enable-werror (all, check programs)"
  mkdir -p "$top/build-clang"
  if ! { (cd "$top/build-clang" && "$top/configure" -q CC=clang --enable-werror "${mb[@]}") &&
    make -C "$top/build-clang" -j"$(nproc)" all >"$run_dir/clang.out" 2>&1 &&
    make -C "$top/build-clang" -j"$(nproc)" check TESTS= >>"$run_dir/clang.out" 2>&1; }; then
    grep -E 'error|warning:' "$run_dir/clang.out" | head -n 20 || tail -n 20 "$run_dir/clang.out"
    failed=1
  fi
  echo "   clang step: $(( $(date +%s) - clang_started )) s"
fi

if [ -z "${SKIP_ASAN:-}" ]; then
  build "$top/build-asan" --enable-werror --enable-sanitizers "${mb[@]}" CC=gcc CFLAGS="-O1 -g"
  # crashes of the test plugins must stay signals, not sanitizer reports
  export ASAN_OPTIONS=handle_segv=0:handle_sigbus=0:handle_abort=0:detect_leaks=1
  export UBSAN_OPTIONS=print_stacktrace=1
  check "$top/build-asan" sanitizers
  unset ASAN_OPTIONS UBSAN_OPTIONS
  if grep -rlE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
       --include='*.log' "$top/build-asan" >/dev/null 2>&1; then
    echo "!! sanitizer reports in the test logs:"
    grep -rlE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' --include='*.log' "$top/build-asan" | head
    failed=1
  fi
fi

if [ -z "${SKIP_DISTCHECK:-}" ]; then
  echo "== make distcheck (unit tests)"
  unit_tests=$(make -s -C "$top/build" print-unit-tests 2>/dev/null || true)
  if ! make -C "$top/build" -j2 distcheck TESTS="$unit_tests" \
       DISTCHECK_CONFIGURE_FLAGS=--without-ipsec-mb >"$run_dir/distcheck.out" 2>&1; then
    tail -n 40 "$run_dir/distcheck.out"
    failed=1
  else
    grep -E 'archives ready|tar.gz' "$run_dir/distcheck.out" | head -2
  fi
fi

# one closing line that any CI reader understands
pass=0 fail=0 skip=0
for trs in $(find "$top/build" "$top/build-asan" -name '*.trs' 2>/dev/null); do
  case "$(sed -n 's/^:test-result: //p' "$trs" | head -1)" in
    PASS|XFAIL) pass=$((pass + 1)) ;;
    SKIP) skip=$((skip + 1)) ;;
    *) fail=$((fail + 1)) ;;
  esac
done
echo "== done in $(( $(date +%s) - started )) s"
[ $failed = 0 ] || [ $fail -gt 0 ] || fail=1
echo "$pass passed, $fail failed, $skip skipped"
exit $failed
