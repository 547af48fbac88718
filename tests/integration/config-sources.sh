#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# config-sources.sh: the config plugin on each source of issue 15: an
# environment file as shells and systemd read it (export, quotes, comments,
# a value with '=', a duplicated key: the last wins and the line says so),
# a JSON file with a pointer, a Kubernetes ConfigMap volume (..data link,
# its age), an HTTP JSON endpoint; equals, one_of, absent, secret (the value
# never shown); and bad input (missing, directory, FIFO, binary, a 10 MB
# line, invalid UTF-8, a link): each a clear unknown line, never a hang.
. "$top_srcdir/tests/lib/env.sh"
case " ${PROBE_BUILT_PLUGINS:-} " in *" config.la "*) ;; *) echo "SKIP: config plugin not built" >&2; exit 77 ;; esac
out=$TEST_TMP/out.jsonl
err=$TEST_TMP/err.txt
d=$TEST_TMP/cfg
mkdir -p "$d"
run() { rc=0; agent --plugin config -s "config.expect=$1" "${@:2}" >"$out" 2>"$err" || rc=$?; [ -s "$out" ] || { cat "$err" >&2; fail "no line"; }; }
nth() {
  jq -c 'select(.check == "config.value")' "$out" | sed -n "$(($1 + 1))p" >"$TEST_TMP/line.json"
  [ -s "$TEST_TMP/line.json" ] || { cat "$out" "$err" >&2; fail "no line $1"; }
  jq_assert "$TEST_TMP/line.json" "$2" "${3:-line $1: $2}"
}

# --- an env file ------------------------------------------------------------------
cat >"$d/medlink.env" <<'ENV'
# MedLink production settings
export ITRANS_AUTO_SUBMIT_ENABLED=true
DATABASE_URL="postgres://medlink@db/medlink?sslmode=require"
ITRANS_API_KEY='k-9f8e7d6c'   # rotated at T-24h
LOG_LEVEL=info
ITRANS_AUTO_SUBMIT_ENABLED=false
ENV
E=$d/medlink.env
run "[{\"name\": \"auto-submit\", \"file\": \"$E\", \"key\": \"ITRANS_AUTO_SUBMIT_ENABLED\", \"equals\": false},
  {\"file\": \"$E\", \"key\": \"DATABASE_URL\", \"equals\": \"postgres://medlink@db/medlink?sslmode=require\"},
  {\"file\": \"$E\", \"key\": \"LOG_LEVEL\", \"one_of\": [\"warn\", \"info\"]},
  {\"file\": \"$E\", \"key\": \"ITRANS_SANDBOX\", \"absent\": true},
  {\"file\": \"$E\", \"key\": \"ITRANS_API_KEY\", \"equals\": \"k-9f8e7d6c\", \"secret\": true},
  {\"file\": \"$E\", \"key\": \"ITRANS_API_KEY\", \"equals\": \"k-old\", \"secret\": true}]"
[ "$rc" = 2 ] || fail "a secret that does not match must be critical (exit $rc)"
nth 0 '.status == "ok" and .details.value == "false" and .details.line == 6 and .details.duplicates == 1
  and (.summary | test("auto-submit is \"false\" \\(.*medlink.env:6\\); set 2 times, first at line 2, the last one wins"))
  and (.details.changed_at | test("Z$")) and .metrics.age_seconds >= 0'
nth 1 '.status == "ok" and .details.line == 3'
nth 2 '.status == "ok"'
nth 3 '.status == "ok" and .details.present == false'
nth 4 '.status == "ok" and (.details | has("value") | not) and (.summary | test("matches the expected value"))'
nth 5 '.status == "critical" and (.summary | test("does not match"))'
grep -q 'k-9f8e7d6c\|k-old' "$out" "$err" && fail "a secret value was printed"
# the flag turned (step 10): the same expectation is critical and says what it found
run "[{\"name\": \"auto-submit\", \"file\": \"$E\", \"key\": \"ITRANS_AUTO_SUBMIT_ENABLED\", \"equals\": true},
  {\"file\": \"$E\", \"key\": \"LOG_LEVEL\", \"absent\": true}]"
[ "$rc" = 2 ] || fail "wrong flag: exit $rc"
nth 0 '.status == "critical" and (.summary | test("is \"false\" .*want true"))'
nth 1 '.status == "critical" and (.summary | test("want absent"))'

# --- a JSON file with a pointer ----------------------------------------------------
printf '{"itrans": {"auto_submit": {"enabled": false}, "batch": 25}, "name": "medlink"}\n' >"$d/flags.json"
run "[{\"file\": \"$d/flags.json\", \"key\": \"/itrans/auto_submit/enabled\", \"equals\": false},
  {\"file\": \"$d/flags.json\", \"key\": \"/itrans/batch\", \"one_of\": [25, 50]},
  {\"file\": \"$d/flags.json\", \"key\": \"/itrans/auto_submit/enabled\", \"equals\": \"false\"},
  {\"file\": \"$d/flags.json\", \"key\": \"/itrans/missing\", \"absent\": true}]"
nth 0 '.status == "ok"'
nth 1 '.status == "ok" and .details.value == "25"'
nth 2 '.status == "critical"' "a JSON false is not the string \"false\""
nth 3 '.status == "ok"'

# --- a ConfigMap volume as the kubelet writes it -------------------------------------
cm=$d/cm
mkdir -p "$cm/..2026_11_30_10_00_00.1"
printf 'false' >"$cm/..2026_11_30_10_00_00.1/ITRANS_AUTO_SUBMIT_ENABLED"
printf 'info\n' >"$cm/..2026_11_30_10_00_00.1/LOG_LEVEL"
ln -s ..2026_11_30_10_00_00.1 "$cm/..data"
ln -s ..data/ITRANS_AUTO_SUBMIT_ENABLED "$cm/ITRANS_AUTO_SUBMIT_ENABLED"
ln -s ..data/LOG_LEVEL "$cm/LOG_LEVEL"
touch -h -d '2 hours ago' "$cm/..data"
run "[{\"configmap\": \"$cm\", \"key\": \"ITRANS_AUTO_SUBMIT_ENABLED\", \"equals\": false},
  {\"configmap\": \"$cm\", \"key\": \"LOG_LEVEL\", \"equals\": \"info\"},
  {\"configmap\": \"$cm\", \"key\": \"NOT_THERE\", \"absent\": true}]"
[ "$rc" = 0 ] || fail "ConfigMap: exit $rc"
nth 0 '.status == "ok" and .metrics.age_seconds >= 7100 and .metrics.age_seconds < 7400'
nth 1 '.status == "ok"'
nth 2 '.status == "ok"'
# the kubelet's update: a new directory, ..data swapped; the new value and a fresh age
mkdir -p "$cm/..2026_12_01_10_00_00.2"
printf 'true' >"$cm/..2026_12_01_10_00_00.2/ITRANS_AUTO_SUBMIT_ENABLED"
ln -s ..2026_12_01_10_00_00.2 "$cm/..data_tmp" && mv -T "$cm/..data_tmp" "$cm/..data"
run "[{\"configmap\": \"$cm\", \"key\": \"ITRANS_AUTO_SUBMIT_ENABLED\", \"equals\": false}]"
nth 0 '.status == "critical" and .details.value == "true" and .metrics.age_seconds < 600'
run "[{\"configmap\": \"$d\", \"key\": \"X\", \"equals\": 1}]"
nth 0 '.status == "unknown" and (.summary | test("no ..data link"))'

# --- an HTTP JSON endpoint ---------------------------------------------------------------
if command -v python3 >/dev/null; then
  python3 "$top_srcdir/tests/integration/http-server.py" "$TEST_TMP/port" "$TEST_TMP/srv.log" 2>"$TEST_TMP/srv.err" &
  srv=$!
  trap 'kill $srv 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
  for _ in $(seq 100); do [ -s "$TEST_TMP/port" ] && break; sleep 0.1; done
  u=http://127.0.0.1:$(cat "$TEST_TMP/port")
  run "[{\"url\": \"$u/verify\", \"key\": \"/database\", \"equals\": \"ok\"},
    {\"url\": \"$u/status/500\", \"key\": \"/database\", \"equals\": \"ok\"},
    {\"url\": \"$u/invalid\", \"key\": \"/database\", \"equals\": \"ok\"}]"
  nth 0 '.status == "ok" and .details.value == "ok"'
  nth 1 '.status == "unknown" and (.summary | test("HTTP 500"))'
  nth 2 '.status == "unknown" and (.summary | test("not valid JSON"))'
fi

# --- bad input: one clear unknown line each, quickly ----------------------------------------
mkfifo "$d/fifo"
printf 'A=1\nB=\0\001\002\n' >"$d/binary.env"
{ printf 'A='; head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' x; printf '\n'; } >"$d/long.env"
printf 'A=caf\xe9\n' >"$d/latin1.env"
ln -s "$E" "$d/link.env"
printf 'A="open\n' >"$d/quote.env"
t0=$(date +%s)
run "[{\"file\": \"$d/missing.env\", \"key\": \"A\", \"equals\": 1},
  {\"file\": \"$d\", \"key\": \"A\", \"equals\": 1},
  {\"file\": \"$d/fifo\", \"key\": \"A\", \"equals\": 1},
  {\"file\": \"$d/binary.env\", \"key\": \"A\", \"equals\": 1},
  {\"file\": \"$d/long.env\", \"key\": \"A\", \"equals\": 1},
  {\"file\": \"$d/latin1.env\", \"key\": \"A\", \"equals\": 1},
  {\"file\": \"$d/link.env\", \"key\": \"A\", \"equals\": 1},
  {\"file\": \"$d/quote.env\", \"key\": \"A\", \"equals\": 1}]" -s config.timeout=20
t1=$(date +%s)
[ $((t1 - t0)) -le 25 ] || fail "bad input took $((t1 - t0)) s"
[ "$rc" = 3 ] || fail "bad input: exit $rc"
nth 0 '.status == "unknown" and (.summary | test("No such file"))'
nth 1 '.status == "unknown" and (.summary | test("is a directory, not a regular file"))'
nth 2 '.status == "unknown" and (.summary | test("is a FIFO, not a regular file"))'
nth 3 '.status == "unknown" and (.summary | test("line 2 holds a NUL byte: not a text file"))'
nth 4 '.status == "unknown" and (.summary | test("larger than max_file_bytes"))'
nth 5 '.status == "unknown" and (.summary | test("line 1 is not valid UTF-8"))'
nth 6 '.status == "unknown" and (.summary | test("symbolic link"))'
nth 7 '.status == "unknown" and (.summary | test("line 1: a double quote is not closed"))'

# --- --check-config names a bad expectation -------------------------------------------------
set +e
agent --plugin config -s 'config.expect=[{"file": "/x", "key": "A"}, {"url": "http://h/", "key": "A", "equals": 1}]' \
  --check-config >"$TEST_TMP/cc.out" 2>"$TEST_TMP/cc.err"
rc=$?
set -e
[ "$rc" != 0 ] || fail "--check-config accepted bad expectations"
grep -q 'expectation 1: give exactly one of equals, one_of, absent' "$TEST_TMP/cc.err" || { cat "$TEST_TMP/cc.err" >&2; fail "expectation 1 not named"; }
grep -q 'expectation 2: .*JSON pointer' "$TEST_TMP/cc.err" || { cat "$TEST_TMP/cc.err" >&2; fail "expectation 2 not named"; }
# too many expectations: the run says so (not "nothing to check")
many=$(python3 -c 'import json; print(json.dumps([{"name": "x%d" % i, "file": "/etc/hostname", "key": "A", "absent": True} for i in range(201)]))')
run "$many"
jq_assert "$out" '.status == "unknown" and .summary == "more than 200 expectations"'
exit 0
