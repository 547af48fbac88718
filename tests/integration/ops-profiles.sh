#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
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
case "$built" in *" anchor "*) subset=1 ;; *) subset=0 ;; esac
case "$built" in *" secrets "*) ;; *) subset=0 ;; esac
case "$subset" in
  1)
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

# --- cutover.json and post-enable.json (issue 15): one command per phase ------
# profile_cfg NAME: the profile without its comment lines and without the
# sections of plugins that are not built, in $TEST_TMP/NAME.json.
profile_cfg() {
  grep -v '^[[:space:]]*//' "$top_srcdir/contrib/profiles/$1.json" >"$TEST_TMP/$1.all.json"
  jq -e . "$TEST_TMP/$1.all.json" >/dev/null || fail "$1.json is not JSON once its comment lines are removed"
  jq --arg built "$built" '.plugins |= with_entries(select(.key as $k | $built | contains(" " + $k + " ")))' \
    "$TEST_TMP/$1.all.json" >"$TEST_TMP/$1.json"
}
for p in pre-cutover cutover post-enable; do
  profile_cfg "$p"
  set +e
  agent -c "$TEST_TMP/$p.json" --check-config >"$TEST_TMP/cc.out" 2>"$TEST_TMP/cc.err"
  rc=$?
  set -e
  [ "$rc" = 0 ] || { cat "$TEST_TMP/cc.err" >&2; fail "--check-config rejects the $p profile (exit $rc)"; }
done
jq_assert "$TEST_TMP/pre-cutover.all.json" '(.plugins.config.expect | any(.key == "ITRANS_AUTO_SUBMIT_ENABLED" and .equals == false)) and (.plugins.ledger | has("compare_with"))' \
  "pre-cutover does not check that auto-submit is off (T-24h)"
jq_assert "$TEST_TMP/cutover.all.json" '(.plugins.http.targets | map(.name) | index("itrans-ledger-verify") and index("relay-status") and index("medlink-health"))
  and (.plugins.http.targets[0].max_latency == "500ms") and .plugins.deadletter.count_critical == 1
  and (.plugins.config.expect | any(.equals == false)) and (.plugins.ledger | has("service_verify_url"))' \
  "cutover.json lacks a check of steps 3, 5, 6 or 7"
jq_assert "$TEST_TMP/post-enable.all.json" '(.plugins.config.expect | any(.key == "ITRANS_AUTO_SUBMIT_ENABLED" and .equals == true))
  and (.plugins.http.targets | map(.unhealthy_for) | index("1m") and index("2m")) and (.plugins | has("pgqueue"))' \
  "post-enable.json lacks step 10 or the alert rules' durations"

# A run of each phase against the services played by http-server.py and a
# MedLink environment file; the exit status is the phase's go/no-go.
case "$built" in *" http "*) ;; *) built_phases=0 ;; esac
case "$built" in *" config "*) ;; *) built_phases=0 ;; esac
[ "${built_phases:-1}" = 1 ] || echo "note: http or config plugin not built; the phase runs are not exercised" >&2
if [ "${built_phases:-1}" = 1 ] && command -v python3 >/dev/null; then
  python3 "$top_srcdir/tests/integration/http-server.py" "$TEST_TMP/svc.port" "$TEST_TMP/svc.log" 2>"$TEST_TMP/svc.err" &
  svc=$!
  trap 'kill $svc 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
  for _ in $(seq 100); do [ -s "$TEST_TMP/svc.port" ] && break; sleep 0.1; done
  [ -s "$TEST_TMP/svc.port" ] || fail "test services did not start"
  base=http://127.0.0.1:$(cat "$TEST_TMP/svc.port")
  env=$TEST_TMP/medlink.env
  printf '# MedLink\nITRANS_AUTO_SUBMIT_ENABLED=false\n' >"$env"
  python3 "$top_srcdir/tests/integration/ledger-gen.py" --plain 60 >"$TEST_TMP/ledger.jsonl"
  # the profile with the test's addresses; pgqueue needs a real database
  localize() {
    sed -e "s#http://itrans.example:8080#$base#g; s#http://relay.example:8080#$base#g" \
        -e "s#http://medlink.example:8443#$base#g; s#/etc/medlink/medlink.env#$env#g" \
        -e "s#postgresql://probe@itrans-db.example/itrans#$TEST_TMP/ledger.jsonl#g" \
        "$TEST_TMP/$1.json" | jq 'del(.plugins.pgqueue, .plugins.secrets, .plugins.tls, .plugins.anchor)
          | if .plugins.ledger then .plugins.ledger.source = "'"$TEST_TMP/ledger.jsonl"'" else . end' >"$TEST_TMP/$1.local.json"
  }
  phase() { # phase NAME WANT_EXIT WHY
    set +e
    agent -c "$TEST_TMP/$1.local.json" >"$TEST_TMP/$1.out" 2>"$TEST_TMP/$1.err"
    rc=$?
    set -e
    [ "$rc" = "$2" ] || { cat "$TEST_TMP/$1.err" "$TEST_TMP/$1.out" >&2; fail "$1: exit $rc, expected $2 ($3)"; }
  }
  localize cutover
  phase cutover 0 "every service healthy, auto-submit off"
  jq_assert "$TEST_TMP/cutover.out" 'select(.check == "http.endpoint") | .status == "ok"' "cutover: an endpoint not ok"
  jq -e -s 'map(.check) | index("http.endpoint") and index("config.value") and index("deadletter.count")' \
    "$TEST_TMP/cutover.out" >/dev/null || fail "cutover: a step's check did not run"
  case "$built" in *" ledger "*)
    jq_assert "$TEST_TMP/cutover.out" 'select(.check == "ledger.chain") | .status == "ok" and .details.service_intact == true' \
      "cutover: step 3's ledger verdict" ;; esac
  # a service down: no-go
  touch "$TEST_TMP/svc.log.down"
  phase cutover 2 "the services answer 503"
  rm -f "$TEST_TMP/svc.log.down"
  # auto-submit turned on too early: no-go
  printf 'ITRANS_AUTO_SUBMIT_ENABLED=true\n' >>"$env"
  phase cutover 2 "auto-submit on before step 10"
  jq_assert "$TEST_TMP/cutover.out" 'select(.check == "config.value") | .status == "critical" and .details.line == 3' \
    "cutover: the flag's line"
  # post-enable: the flag on is the go
  localize post-enable
  phase post-enable 0 "auto-submit on, services healthy"
  # MedLink down, but for less than unhealthy_for: a warning, not yet the rollback
  touch "$TEST_TMP/svc.log.down"
  phase post-enable 2 "the ledger verify endpoint has no unhealthy_for"
  jq_assert "$TEST_TMP/post-enable.out" 'select(.check == "http.endpoint" and .details.name == "medlink-health") | .status == "warning" and (.details | has("failing_since"))' \
    "post-enable: a fresh MedLink failure is not a warning under unhealthy_for 1m"
  rm -f "$TEST_TMP/svc.log.down"
  # pre-cutover: the flag must be off
  localize pre-cutover
  agent -c "$TEST_TMP/pre-cutover.local.json" --plugin config >"$TEST_TMP/pre.out" 2>&1 && fail "pre-cutover: auto-submit on passed"
  jq_assert "$TEST_TMP/pre.out" 'select(.check == "config.value") | .status == "critical"' "pre-cutover: the flag on is not critical"
fi

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
