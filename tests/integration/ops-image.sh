#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/ops-image.sh: builds contrib/Dockerfile for real with
# podman (runc) from the top of this tree, on a debian:bookworm-slim made
# by mmdebstrap from the Debian archive (tests/lib/debian-base.sh; no image
# registry is used), and runs the image the way the Dockerfile says:
# --read-only --cap-drop ALL --security-opt no-new-privileges --network none.
# Checks: the image keeps its HEALTHCHECK (--format docker) and USER; the
# agent runs as uid 10001; --list-plugins; the ledger check is ok on an
# intact ledger and critical on a tampered one; the HEALTHCHECK is healthy
# on a running daemon and unhealthy once it is stopped (SIGSTOP); a clean
# stop exits 0. The tree is built from as it is, configure included: the
# .dockerignore that dropped build-aux/ fails here.
# Podman's storage is kept in $PROBE_TEST_CACHE/podman, so a second run
# reuses the base and the package layers (tagged probe-agent-test-cache;
# the rest of each build is pruned). Runs once (not in the sanitizer
# pass); with CI=true a missing tool or a failed build is a failure.
. "$top_srcdir/tests/lib/env.sh"

plain_pass_only "builds its own image"
[ "$(id -u)" = 0 ] || missing_tool "podman with its own storage needs root here"
command -v podman >/dev/null || missing_tool "podman missing"
command -v runc >/dev/null || missing_tool "runc missing"
started=$(date +%s)

cache=${PROBE_TEST_CACHE:-/var/cache/probe-agent-tests}
# podman's run root must stay what its storage database recorded: it lives
# beside the storage; a storage podman refuses (moved, other version) is
# dropped and rebuilt.
run=$cache/podman/run
mkdir -p "$cache/podman" "$run"
pm() { podman --root "$cache/podman/root" --runroot "$run" --runtime "$(command -v runc)" \
         --cgroup-manager cgroupfs --events-backend file "$@"; }
if ! pm info >/dev/null 2>"$TEST_TMP/info.err"; then
  echo "note: podman refuses the cached storage, rebuilding it: $(head -1 "$TEST_TMP/info.err")" >&2
  rm -rf "$cache/podman"; mkdir -p "$run"
  pm info >/dev/null || fail "podman info fails on a fresh storage"
fi
ctr=probe-agent-test-$$
vol=probe-agent-test-state-$$
cleanup() {
  pm rm -f -t 0 "$ctr" >/dev/null 2>&1 || true
  pm volume rm -f "$vol" >/dev/null 2>&1 || true
  rm -rf "$TEST_TMP"
}
trap cleanup EXIT
limits=(--ulimit nofile=1024:1024 --ulimit nproc=4096:4096)

# --- the base: debian:bookworm-slim from mmdebstrap, imported once ------------
base=$("$top_srcdir/tests/lib/debian-base.sh" apt) || fail "mmdebstrap could not make the Debian 12 base"
key=$(basename "$base" .tar)
if ! pm image exists "localhost/probe-agent-base:$key"; then
  pm import "$base" "localhost/probe-agent-base:$key" >/dev/null || fail "podman import $base failed"
fi
pm tag "localhost/probe-agent-base:$key" localhost/debian:bookworm-slim || fail "podman tag failed"

# --- build --------------------------------------------------------------------
img=localhost/probe-agent-test:$$
t0=$(date +%s)
pm build --pull=never --format docker "${limits[@]}" -f "$top_srcdir/contrib/Dockerfile" \
  -t "$img" "$top_srcdir" >"$TEST_TMP/build.log" 2>&1 \
  || { tail -n 30 "$TEST_TMP/build.log" >&2; fail "podman build of contrib/Dockerfile failed"; }
build_s=$(( $(date +%s) - t0 ))
# Keep the two package-install layers (tagged, so the next run reuses them);
# everything else this build made goes at the end (no growth per run).
awk '/STEP [0-9\/]+: RUN build-stages.sh install-deps build$/ { w = "build"; next }
     /STEP [0-9\/]+: RUN build-stages.sh install-deps runtime/ { w = "runtime"; next }
     /STEP / { w = "" }
     w != "" && /^--> [0-9a-f]+$/ { print w, $2 }' "$TEST_TMP/build.log" >"$TEST_TMP/layers"
while read -r w id; do pm tag "$id" "localhost/probe-agent-test-cache:$w" || true; done <"$TEST_TMP/layers"
trap 'cleanup; pm rmi -f "$img" >/dev/null 2>&1 || true; pm image prune -f >/dev/null 2>&1 || true' EXIT
pm image inspect "$img" >"$TEST_TMP/inspect.json"
jq -e '.[0].Config.User == "10001:10001"' "$TEST_TMP/inspect.json" >/dev/null \
  || fail "the image does not run as 10001:10001"
jq -e '.[0].Healthcheck.Test | tostring | test("HEARTBEAT")' "$TEST_TMP/inspect.json" >/dev/null \
  || fail "the image lost its HEALTHCHECK (podman build needs --format docker)"

hard=(--read-only --cap-drop ALL --security-opt no-new-privileges --network none "${limits[@]}")
vectors=(-v "$top_srcdir/tests/vectors:/v:ro")

pm run --rm "${hard[@]}" "$img" --list-plugins >"$TEST_TMP/list" 2>&1 \
  || { cat "$TEST_TMP/list" >&2; fail "--list-plugins in the image failed"; }
grep -q '^ledger ' "$TEST_TMP/list" || fail "the image lists no ledger plugin: $(cat "$TEST_TMP/list")"

# ledger: ok on the intact vector, critical on a tampered one (exit 2).
pm volume create "$vol" >/dev/null
set +e
pm run --rm "${hard[@]}" "${vectors[@]}" -v "$vol:/var/lib/probe-agent" \
  -e PROBE_LEDGER_SOURCE=/v/ledger-valid.jsonl "$img" --once -p ledger >"$TEST_TMP/ok.jsonl" 2>"$TEST_TMP/ok.err"
rc_ok=$?
pm run --rm "${hard[@]}" "${vectors[@]}" -v "$vol:/var/lib/probe-agent" \
  -e PROBE_LEDGER_SOURCE=/v/ledger-broken-payload.jsonl "$img" --once -p ledger >"$TEST_TMP/bad.jsonl" 2>"$TEST_TMP/bad.err"
rc_bad=$?
set -e
[ "$rc_ok" = 0 ] || { cat "$TEST_TMP/ok.err" >&2; fail "the ledger check on the intact ledger exited $rc_ok in the image"; }
jq_assert "$TEST_TMP/ok.jsonl" 'select(.check == "ledger.chain") | .status == "ok"' "intact ledger not ok in the image"
[ "$rc_bad" != 0 ] || fail "the ledger check on a tampered ledger exited 0 in the image"
jq_assert "$TEST_TMP/bad.jsonl" 'select(.check == "ledger.chain") | .status == "critical"' "tampered ledger not critical in the image"

# --- the daemon, its uid and its HEALTHCHECK ---------------------------------
pm run -d --name "$ctr" "${hard[@]}" "${vectors[@]}" -v "$vol:/var/lib/probe-agent" \
  -e PROBE_LEDGER_SOURCE=/v/ledger-valid.jsonl -e PROBE_AGENT_INTERVAL=1 -e HEARTBEAT_MAX_AGE=4 \
  "$img" >/dev/null 2>"$TEST_TMP/run.err" || { cat "$TEST_TMP/run.err" >&2; fail "podman run -d failed"; }
healthy=
for _ in $(seq 30); do
  if pm healthcheck run "$ctr" >/dev/null 2>&1; then healthy=1; break; fi
  sleep 1
done
[ -n "$healthy" ] || { pm logs "$ctr" >&2 || true; fail "the HEALTHCHECK never passed on a running daemon"; }
uid=$(pm exec "$ctr" sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' /proc/1/status)
[ "$uid" = 10001 ] || fail "the daemon runs as '$uid', expected 10001"
pm kill --signal STOP "$ctr" >/dev/null
sleep 6                                   # past HEARTBEAT_MAX_AGE=4
if pm healthcheck run "$ctr" >/dev/null 2>&1; then fail "the HEALTHCHECK still passes with the daemon stopped"; fi
pm kill --signal CONT "$ctr" >/dev/null
pm stop -t 30 "$ctr" >/dev/null || fail "podman stop failed"
code=$(pm inspect --format '{{.State.ExitCode}}' "$ctr")
[ "$code" = 0 ] || { pm logs "$ctr" >&2 || true; fail "the daemon exited $code on stop, expected 0"; }
pm logs "$ctr" 2>/dev/null | grep -q '"check":"ledger.chain"' || fail "the daemon logged no ledger line"
echo "ok: image built (${build_s} s) and ran read-only, no capabilities, no network, as 10001; healthcheck healthy then unhealthy; clean stop; test $(( $(date +%s) - started )) s"
