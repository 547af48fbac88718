#!/usr/bin/env bash
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
echo "secrets-k8s: fsGroup reads allowed, nothing wider"
