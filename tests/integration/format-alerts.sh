#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# format-alerts.sh: contrib/alerts/prometheus.rules.yaml answers the same
# checklist rows as the LogQL rules (the same alert names), is valid for
# promtool, and its unit tests pass: each rule fires on the series that
# should fire it and not on the one just under (prometheus.rules.test.yaml).
# Without promtool (Debian prometheus) it skips; with CI=true it fails.
. "$top_srcdir/tests/lib/env.sh"
dir=$top_srcdir/contrib/alerts
if ! command -v promtool >/dev/null; then
  [ "${CI:-}" = true ] && fail "promtool is missing (Debian prometheus) and CI=true"
  echo "SKIP: promtool is missing" >&2; exit 77
fi
names() { sed -n 's/^ *- alert: *//p' "$1" | sort; }
diff <(names "$dir/probe-agent.rules.yaml") <(names "$dir/prometheus.rules.yaml" | grep -vx QueueFailures) ||
  fail "the PromQL rules and the LogQL rules name different alerts"
# every rule has its test, firing and not
for a in $(names "$dir/prometheus.rules.yaml"); do
  grep -q "alertname: $a\b" "$dir/prometheus.rules.test.yaml" || fail "no promtool test for $a"
done
promtool check rules "$dir/prometheus.rules.yaml" >"$TEST_TMP/check.txt" 2>&1 ||
  { cat "$TEST_TMP/check.txt" >&2; fail "promtool check rules"; }
# promtool reads rule_files relative to the test file: run on a copy, so the
# source tree (read-only under distcheck) is not written
cp "$dir/prometheus.rules.yaml" "$dir/prometheus.rules.test.yaml" "$TEST_TMP/"
(cd "$TEST_TMP" && promtool test rules prometheus.rules.test.yaml) >"$TEST_TMP/test.txt" 2>&1 ||
  { cat "$TEST_TMP/test.txt" >&2; fail "promtool test rules"; }
echo ok
