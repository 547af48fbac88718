# SPDX-License-Identifier: Apache-2.0
# tests/lib/env.sh: sourced by every integration test script.
#
# contrib/test.sh starts the real servers (tests/lib/servers.sh) and exports
# where they are:
#   PROBE_TEST_PG       libpq conninfo of a throwaway cluster (superuser);
#                       tests create their own database with pg_newdb
#   PROBE_TEST_ETH_RPC  JSON-RPC URL of a local ganache node (chain id 1337)
# A test that needs a server that is not there skips (exit 77), except under
# CI=true, where a missing server is a hard failure (exit 99).
set -eu

: "${top_srcdir:?run through make check}"
: "${top_builddir:?run through make check}"
: "${PROBE_AGENT:=$top_builddir/probe-agent}"

TEST_NAME=$(basename "$0" .sh)
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/probe-test-$TEST_NAME.XXXXXX")
# Started as root, the agent runs plugins as an unprivileged user
# (agent.user, e.g. nobody): they must be able to read the test's files.
chmod 755 "$TEST_TMP"
trap 'rm -rf "$TEST_TMP"' EXIT

# plugin_user: the user plugins run as when the agent runs as root
# (agent.user's default); give_to_plugins FILE...: makes a private (0600)
# file readable by them, as an administrator would for a token file.
plugin_user() { if id probe-agent >/dev/null 2>&1; then echo probe-agent; else echo nobody; fi; }
give_to_plugins() { [ "$(id -u)" != 0 ] || chown "$(plugin_user)" "$@"; }

# fail MESSAGE: ends the test as failed.
fail() { echo "FAIL: $TEST_NAME: $*" >&2; exit 1; }

# missing_server WHAT: skip, or hard error in CI.
missing_server() {
  if [ "${CI:-}" = true ]; then
    echo "ERROR: $TEST_NAME: $1 is not running, and CI=true forbids skipping" >&2
    exit 99
  fi
  echo "SKIP: $TEST_NAME: $1 is not running (start it with contrib/test.sh)" >&2
  exit 77
}

# missing_tool WHAT: a tool an operations test needs is not here: skip, or a
# hard error in CI (contrib/apt/ops.txt lists what contrib/test.sh installs).
missing_tool() {
  if [ "${CI:-}" = true ]; then echo "ERROR: $TEST_NAME: $1 (contrib/apt/ops.txt)" >&2; exit 99; fi
  echo "SKIP: $TEST_NAME: $1" >&2; exit 77
}

# plain_pass_only WHY: skips in the sanitizer pass, for tests that build or
# copy a plain agent into a container (whose libraries have no ASan runtime).
plain_pass_only() {
  if ldd "$PROBE_AGENT" 2>/dev/null | grep -q libasan; then
    echo "SKIP: $1, run in the plain pass only" >&2; exit 77
  fi
}

need_pg() { [ -n "${PROBE_TEST_PG:-}" ] || missing_server "PostgreSQL"; }
need_eth() { [ -n "${PROBE_TEST_ETH_RPC:-}" ] || missing_server "the Ethereum node (ganache)"; }

# pg_newdb: creates a fresh database and prints its conninfo.
pg_newdb() {
  local db="t_${TEST_NAME//[^a-zA-Z0-9]/_}_$$_$RANDOM"
  psql "$PROBE_TEST_PG" -qAtX -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\"" >/dev/null
  echo "$PROBE_TEST_PG dbname=$db"
}

# agent ARGS...: runs the built agent with the built plugins; a test state
# directory of its own unless the test sets one.
agent() {
  "$PROBE_AGENT" --plugin-dir "${PROBE_AGENT_PLUGIN_DIR}" \
    --state-dir "${TEST_STATE_DIR:-$TEST_TMP/state}" "$@"
}

# jq_assert FILE FILTER [MESSAGE]: FILTER, applied to each JSON value in
# FILE (e.g. each result line), must give at least one output, all true.
jq_assert() {
  jq -e -s "[.[] | ($2)] | (length > 0 and all)" "$1" >/dev/null || {
    echo "--- $1:" >&2; cat "$1" >&2
    fail "${3:-assertion $2 does not hold}"
  }
}
