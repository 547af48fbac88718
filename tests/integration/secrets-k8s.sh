#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# secrets-k8s.sh: a Kubernetes secret volume read through fsGroup (mode
# 0440, group one of ours) is no finding; the same file with a group that
# is not ours, or readable by others, is critical. The value never shows.
. "$top_srcdir/tests/lib/env.sh"
vol=$TEST_TMP/vol
value=k8s-canary-Qz7rTw93mLpX2vNc
mkdir -p "$vol/..2026_11_28_10_00_00.1"
printf '%s\n' "$value" >"$vol/..2026_11_28_10_00_00.1/api_key"
ln -s ..2026_11_28_10_00_00.1 "$vol/..data"
ln -s ..data/api_key "$vol/api_key"
f=$vol/..2026_11_28_10_00_00.1/api_key
run() { agent -p secrets -s "secrets.files=[\"$vol/api_key\"]" >"$TEST_TMP/out" 2>&1 || true; }
chmod 440 "$f"; chgrp "$(id -g)" "$f"
run
jq_assert "$TEST_TMP/out" '.status == "ok" and .details.kubernetes_volume == true and (.details.group_read | test("fsGroup"))'
other=$(getent group nogroup | cut -d: -f3)
if [ -n "$other" ] && ! id -G | tr ' ' '\n' | grep -qx "$other"; then
  chgrp "$other" "$f"
  run
  jq_assert "$TEST_TMP/out" '.status == "critical" and (.summary | test("readable or writable by its group"))'
fi
chmod 444 "$f"; chgrp "$(id -g)" "$f"
run
jq_assert "$TEST_TMP/out" '.status == "critical" and (.summary | test("by others"))'
! grep -q "${value:0:8}\|${value:10:8}" "$TEST_TMP/out" || fail "a piece of the secret reached the output"

# Links out of the secret's directory are not followed (issue 11 item 14):
# the probe runs as root, and a link planted in a secrets directory must
# not make it read (fingerprint, measure, derive an address from) any file
# on the host. Relative links that stay inside (the Kubernetes layout above)
# are fine; "../" and absolute links are refused, as is a link inside the
# directory that neither root nor the directory's owner made.
chmod 440 "$f"
mkdir -p "$TEST_TMP/elsewhere" "$TEST_TMP/plant"
printf 'outside-canary-Hk3mQ9wLx2\n' >"$TEST_TMP/elsewhere/shadow"
chmod 600 "$TEST_TMP/elsewhere/shadow"
ln -s ../elsewhere/shadow "$TEST_TMP/plant/dotdot"
ln -s "$TEST_TMP/elsewhere/shadow" "$TEST_TMP/plant/absolute"
ln -s "$vol/..data/api_key" "$TEST_TMP/plant/into_other_dir"
for l in dotdot absolute into_other_dir; do
  agent -p secrets -s "secrets.files=[\"$TEST_TMP/plant/$l\"]" >"$TEST_TMP/out" 2>&1 || true
  jq_assert "$TEST_TMP/out" '.status == "critical" and (.summary | test("a link that leads out of its directory: not followed"))
    and .details.error == "a link out of its directory (not followed)" and (.metrics.age_seconds == null)' "link $l followed"
done
! grep -q "outside-canary" "$TEST_TMP/out" || fail "the outside file reached the output"
# a link inside a directory, owned by a user who is neither root nor the directory's owner
if [ "$(id -u)" = 0 ] && getent passwd nobody >/dev/null; then
  mkdir -p "$TEST_TMP/shared"
  printf 'inside-canary-Rt5vB8nQ1z\n' >"$TEST_TMP/shared/real"
  chmod 600 "$TEST_TMP/shared/real"
  ln -s real "$TEST_TMP/shared/alias"
  chown -h nobody "$TEST_TMP/shared/alias"
  agent -p secrets -s "secrets.files=[\"$TEST_TMP/shared/alias\"]" >"$TEST_TMP/out" 2>&1 || true
  jq_assert "$TEST_TMP/out" '.status == "critical" and (.summary | test("a link owned by uid [0-9]+, neither root nor the owner"))' \
    "a link planted by another user was followed"
fi
# the Kubernetes layout still reads, through the link the kubelet made
agent -p secrets -s "secrets.files=[\"$vol/api_key\"]" >"$TEST_TMP/out" 2>&1 || true
jq_assert "$TEST_TMP/out" '.status == "ok" and .details.kubernetes_volume == true'
echo "secrets-k8s: fsGroup reads allowed, nothing wider"
