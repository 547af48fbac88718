#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# contrib/demo.sh: builds probe-agent, then runs it once on the bundled
# demo data (contrib/demo/): an intact ledger and a tampered copy, a
# certificate, and two secrets (one readable by others, one too short for
# an HMAC key). No server needed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$top"
# only what the build and the demo need: not the test suite's servers and browser
APT_LISTS="core tlssec" ensure_packages
build "$top/build" >/dev/null
agent="$top/build/probe-agent"
plugins="$top/build/.libs"
work=$(mktemp -d /tmp/probe-agent-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
# run as root, the plugins run as an unprivileged user: let it read the data
chmod 0755 "$work"
cp -r "$top/contrib/demo/." "$work/"
chmod 600 "$work/secrets/itrans_api_key"
chmod 644 "$work/secrets/itrans_hmac"   # readable by others: a finding
sed "s|DEMO_DIR|$work|g" "$top/contrib/demo/demo.json" >"$work/demo.json"

available=$("$agent" --plugin-dir "$plugins" --list-plugins 2>/dev/null | awk '{print $1}')
args=()
for p in ledger tls secrets; do
  if grep -qx "$p" <<<"$available"; then args+=(--plugin "$p"); fi
done

echo
echo "== plugins available:"
"$agent" --plugin-dir "$plugins" --list-plugins | sed 's/^/   /'
echo
echo "== one run on the demo data (--format text):"
rc=0
"$agent" --plugin-dir "$plugins" --state-dir "$work/state" -c "$work/demo.json" \
  "${args[@]}" --format text || rc=$?
echo "   exit status $rc (0 ok, 1 warning, 2 critical, 3 unknown)"
if grep -qx ledger <<<"$available"; then
  echo
  echo "== the same ledger with one payload altered (JSON line, as a log pipeline sees it):"
  "$agent" --plugin-dir "$plugins" --state-dir "$work/state2" -p ledger \
    -s ledger.source="$work/ledger-tampered.jsonl" || true
fi
