# SPDX-License-Identifier: Apache-2.0
# tests/integration/secrets-lib.sh: sourced by the secrets-*.sh and tls-*.sh
# tests (not a test itself). The canary: every secret a test makes comes
# from canary_secret, which gives it a unique marker and remembers it; after
# the test, canary_check scans everything the agent printed (stdout and
# stderr of every run, collected in $CANARY_OUT) and fails when any secret,
# or any 8-character piece of one, shows up. It never prints a secret.

CANARY_DIR=${CANARY_DIR:-$TEST_TMP/canary}
CANARY_OUT=${CANARY_OUT:-$TEST_TMP/canary/all-output}
mkdir -p "$CANARY_DIR"
: > "$CANARY_OUT"

# canary_secret NAME [KIND]: prints a fresh secret value with a unique marker
# and records it under NAME. KIND: text (default), hex64 (an Ethereum private
# key), short (16 bytes, for the HMAC minimum length).
canary_secret() {
  local name=$1 kind=${2:-text} v
  case $kind in
    text)  v="CANARY-$name-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')-Zq" ;;
    short) v="CNRY$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')" ;;
    hex64) v=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n') ;;
    *) echo "canary_secret: bad kind $kind" >&2; return 1 ;;
  esac
  printf '%s' "$v" > "$CANARY_DIR/secret.$name"
  printf '%s' "$v"
}

# canary_record FILE...: registers existing files' contents as secrets
# (private keys a test generated).
canary_record() {
  local f
  for f in "$@"; do cp "$f" "$CANARY_DIR/secret.file-$(basename "$f")"; done
}

# canary_run CMD...: runs CMD with stdout and stderr appended to the canary
# log as well as shown; keeps CMD's exit status.
canary_run() {
  local rc=0
  "$@" > "$CANARY_DIR/run.out" 2> "$CANARY_DIR/run.err" || rc=$?
  cat "$CANARY_DIR/run.out" "$CANARY_DIR/run.err" >> "$CANARY_OUT"
  cat "$CANARY_DIR/run.out"
  cat "$CANARY_DIR/run.err" >&2
  return $rc
}

# canary_check: fails when any recorded secret or 8-character piece of one
# (per line; PEM armour lines excepted) appears in the collected output.
canary_check() {
  python3 - "$CANARY_DIR" "$CANARY_OUT" <<'PY' || fail "canary: a secret leaked into the output (see above)"
import os, sys
d, out = sys.argv[1], sys.argv[2]
data = open(out, 'rb').read()
bad = 0
n = 0
for f in sorted(os.listdir(d)):
    if not f.startswith('secret.'):
        continue
    n += 1
    for line in open(os.path.join(d, f), 'rb').read().splitlines():
        line = line.strip()
        if line.startswith(b'-----') or not line:
            continue
        pieces = [line] if len(line) < 8 else [line[i:i+8] for i in range(len(line) - 7)]
        hit = [p for p in pieces if p in data]
        if hit:
            print("canary: %d piece(s) of secret %s appear in the output" % (len(hit), f[7:]), file=sys.stderr)
            bad += 1
            break
if n == 0:
    print("canary: no secret recorded", file=sys.stderr); sys.exit(1)
sys.exit(1 if bad else 0)
PY
}
