#!/usr/bin/env bash
# tests/integration/ops-profiles.sh: contrib/profiles/pre-cutover.json, the
# automated part of the go-live checklist's T-24h items:
#  - it holds the checklist's thresholds (certificates 90 days, dead letters
#    warn from 1) and names every plugin a T-24h item needs;
#  - `probe-agent --check-config` accepts it (the sections of plugins that
#    are not built are left out);
#  - with the tls plugin built: a certificate with 60 days left is a warning
#    under the profile and ok under the defaults (30 days), i.e. the 90-day
#    row is really in force.
. "$top_srcdir/tests/lib/env.sh"

profile=$top_srcdir/contrib/profiles/pre-cutover.json
built=" $(for la in ${PROBE_BUILT_PLUGINS:-}; do printf '%s ' "${la%.la}"; done)"

# The profile has whole-line // comments only (the agent allows more; jq none).
grep -v '^[[:space:]]*//' "$profile" >"$TEST_TMP/profile.json"
jq -e . "$TEST_TMP/profile.json" >/dev/null || fail "pre-cutover.json is not JSON once its comment lines are removed"
jq_assert "$TEST_TMP/profile.json" '.plugins.tls.warn_days == 90' "the profile does not warn at 90 days left (checklist T-24h)"
jq_assert "$TEST_TMP/profile.json" '.plugins | has("tls") and has("secrets") and has("deadletter") and has("ledger")' \
  "the profile lacks a plugin of the T-24h items"
jq_assert "$TEST_TMP/profile.json" '(.plugins.deadletter.warning // 1) == 1' "dead letters must warn from 1"

# --check-config, on the built plugins' sections, but on the agent's own
# reading of the file, comments and all, when every plugin is built.
missing=$(jq -r '.plugins | keys[]' "$TEST_TMP/profile.json" | while read -r p; do
  case "$built" in *" $p "*) ;; *) echo "$p" ;; esac; done)
if [ -z "$missing" ]; then
  cfg=$profile
else
  echo "note: not built, left out of --check-config: $(echo $missing)" >&2
  jq --arg built "$built" '.plugins |= with_entries(select(.key as $k | $built | contains(" " + $k + " ")))' \
    "$TEST_TMP/profile.json" >"$TEST_TMP/profile.built.json"
  cfg=$TEST_TMP/profile.built.json
fi
set +e
agent -c "$cfg" --check-config >"$TEST_TMP/cc.out" 2>"$TEST_TMP/cc.err"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$TEST_TMP/cc.err" >&2; fail "--check-config rejects the pre-cutover profile (exit $rc)"; }

# --- the 90-day row on a real certificate -----------------------------------
case "$built" in
  *" tls "*) ;;
  *) echo "note: tls plugin not built; the 90-day threshold is not exercised" >&2; exit 0 ;;
esac
openssl req -x509 -newkey rsa:2048 -nodes -days 60 -subj "/CN=medlink.example" \
  -keyout "$TEST_TMP/key.pem" -out "$TEST_TMP/cert.pem" >/dev/null 2>&1 \
  || fail "openssl could not make a test certificate"
set +e
agent -c "$cfg" -p tls -s 'tls.endpoints=[]' -s "tls.files=[\"$TEST_TMP/cert.pem\"]" \
  -s 'tls.verify_failure="ignore"' >"$TEST_TMP/profile-tls.jsonl" 2>"$TEST_TMP/tls.err"
set -e
jq_assert "$TEST_TMP/profile-tls.jsonl" 'select(.check == "tls.cert") | .status == "warning"' \
  "a certificate with 60 days left is not a warning under the pre-cutover profile"
set +e
agent -p tls -s 'tls.endpoints=[]' -s "tls.files=[\"$TEST_TMP/cert.pem\"]" \
  -s 'tls.verify_failure="ignore"' >"$TEST_TMP/default-tls.jsonl" 2>>"$TEST_TMP/tls.err"
set -e
jq_assert "$TEST_TMP/default-tls.jsonl" 'select(.check == "tls.cert") | .status == "ok"' \
  "a certificate with 60 days left is not ok under the defaults (the profile's warning proves nothing)"
echo "ok: the pre-cutover profile is valid and its 90-day threshold is in force"
