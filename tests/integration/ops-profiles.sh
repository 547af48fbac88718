#!/usr/bin/env bash
# tests/integration/ops-profiles.sh: contrib/profiles/pre-cutover.json, the
# automated part of the go-live checklist's T-24h items:
#  - it holds the checklist's thresholds (certificates 90 days, dead letters
#    warn from 1) and names every plugin a T-24h item needs;
#  - `probe-agent --check-config` accepts it (the sections of plugins that
#    are not built are left out);
#  - with the secrets plugin built: a secret unchanged since the recorded
#    baseline is critical (exit 2), and ok once rotated;
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
jq_assert "$TEST_TMP/profile.json" '.plugins.deadletter.count_warning == 1' "dead letters must warn from 1 (checklist: count = 0)"

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

# --- "all secrets rotated": baseline before, check after ---------------------
case "$built" in
  *" secrets "*)
    sec=$TEST_TMP/secrets
    mkdir -p "$sec"; chmod 700 "$sec"
    ( umask 077; head -c 48 /dev/urandom | base64 >"$sec/api_key" )
    sflags=(-s "secrets.files=[{\"path\": \"$sec/api_key\", \"kind\": \"api_key\", \"name\": \"itrans-api-key\"}]"
            -s 'secrets.env=[]' -s 'secrets.repo_paths=[]')
    set +e
    agent -c "$cfg" -p secrets "${sflags[@]}" -s secrets.baseline=record >"$TEST_TMP/rec.jsonl" 2>"$TEST_TMP/sec.err"
    agent -c "$cfg" -p secrets "${sflags[@]}" >"$TEST_TMP/unrotated.jsonl" 2>>"$TEST_TMP/sec.err"
    rc=$?
    set -e
    [ "$rc" = 2 ] || { cat "$TEST_TMP/sec.err" "$TEST_TMP/unrotated.jsonl" >&2; fail "a secret not rotated since the baseline exits $rc under the profile, expected 2 (no-go)"; }
    jq_assert "$TEST_TMP/unrotated.jsonl" 'select(.check == "secrets.rotation") | .status == "critical"' \
      "a secret not rotated since the baseline is not critical under the pre-cutover profile"
    grep -qF "$(cat "$sec/api_key")" "$TEST_TMP/unrotated.jsonl" "$TEST_TMP/sec.err" \
      && fail "the secret's value appears in the output"
    ( umask 077; head -c 48 /dev/urandom | base64 >"$sec/api_key.new" ); mv "$sec/api_key.new" "$sec/api_key"
    set +e
    agent -c "$cfg" -p secrets "${sflags[@]}" >"$TEST_TMP/rotated.jsonl" 2>>"$TEST_TMP/sec.err"
    set -e
    jq_assert "$TEST_TMP/rotated.jsonl" 'select(.check == "secrets.rotation") | .status == "ok"' \
      "a rotated secret is not ok under the pre-cutover profile"
    ;;
  *) echo "note: secrets plugin not built; the rotation row is not exercised" >&2 ;;
esac

# --- a subset with --plugin (issue 15): the sections of plugins that do not
# run are type-checked, but their required settings are not demanded -------
case "$built" in
  *" secrets "*" anchor "* | *" anchor "*" secrets "*)
    printf '0000000000000000000000000000000000000000000000000000000000000001\n' >"$TEST_TMP/wallet"
    chmod 600 "$TEST_TMP/wallet"
    set +e
    agent --plugin secrets -s "secrets.files=[{\"path\": \"$TEST_TMP/wallet\", \"kind\": \"eth_private_key\", \"name\": \"anchor-wallet\"}]" \
      -s anchor.expected_sender=0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf >"$TEST_TMP/subset.jsonl" 2>"$TEST_TMP/subset.err"
    rc=$?
    set -e
    grep -q 'required but not set' "$TEST_TMP/subset.err" && { cat "$TEST_TMP/subset.err" >&2; fail "--plugin secrets demands the anchor plugin's required settings"; }
    [ "$rc" = 0 ] || { cat "$TEST_TMP/subset.err" "$TEST_TMP/subset.jsonl" >&2; fail "--plugin secrets with anchor.expected_sender exits $rc"; }
    jq_assert "$TEST_TMP/subset.jsonl" '.plugin == "secrets"' "a plugin that was not asked for ran"
    # the section of a plugin that does not run is still type-checked
    printf '{"plugins": {"anchor": {"source": [1]}, "secrets": {"files": []}}}\n' >"$TEST_TMP/subset.json"
    set +e
    agent -c "$TEST_TMP/subset.json" --plugin secrets >/dev/null 2>"$TEST_TMP/subset.err"
    rc=$?
    set -e
    [ "$rc" = 78 ] && grep -q 'plugin "anchor": setting "source": must be a string' "$TEST_TMP/subset.err" \
      || { cat "$TEST_TMP/subset.err" >&2; fail "a bad anchor section passed with --plugin secrets (exit $rc)"; }
    # and with every plugin running, a missing required setting is still an error
    printf '{"plugins": {"anchor": {"rpc_url": "http://127.0.0.1:1"}}}\n' >"$TEST_TMP/subset.json"
    set +e
    agent -c "$TEST_TMP/subset.json" --check-config >/dev/null 2>"$TEST_TMP/subset.err"
    rc=$?
    set -e
    [ "$rc" != 0 ] && grep -q 'required but not set' "$TEST_TMP/subset.err" \
      || { cat "$TEST_TMP/subset.err" >&2; fail "a missing required setting of a plugin that runs passed (exit $rc)"; }
    ;;
esac

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
