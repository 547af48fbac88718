#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# secrets-repo.sh: the secrets plugin's repo_paths scan: a value in the
# working tree (file and line), a value committed once and removed since
# (found in git history, with its commit), a secret file kept inside the
# scanned tree is not a leak of itself, a clean secret stays ok, and a path
# that is not there makes the scan line unknown. Never the value itself.
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/integration/secrets-lib.sh"
command -v git >/dev/null || missing_server "git"

umask 077
S=$TEST_TMP/secrets
R=$TEST_TMP/repo
mkdir -p "$S" "$R/config"
canary_secret leaked > "$S/leaked"
canary_secret history > "$S/history"
canary_secret clean > "$S/clean"
canary_secret inrepo > "$R/config/local.secret"   # the secret file itself lives in the tree
g() { git -C "$R" -c user.name=probe-test -c user.email=probe@test.invalid "$@"; }
g init -q
printf 'service: itrans\n' > "$R/README"
printf 'config/local.secret\n' > "$R/.gitignore"   # kept out of git, as it should be
printf 'HMAC_SECRET=%s\n' "$(cat "$S/history")" > "$R/config/app.env"
g add -A; g commit -qm "initial"
hist_commit=$(g rev-parse HEAD)
printf 'HMAC_SECRET=${HMAC_SECRET}\n' > "$R/config/app.env"
g commit -qam "read the secret from the environment"
printf 'line one\napi_key = "%s"\n' "$(cat "$S/leaked")" > "$R/config/settings.toml"   # not committed

files=$(jq -cn --arg s "$S" --arg r "$R" '[
  {"path": "\($s)/leaked", "name": "itrans-api-key"},
  {"path": "\($s)/history", "kind": "hmac", "name": "itrans-hmac"},
  "\($s)/clean",
  "\($r)/config/local.secret"
]')
out=$TEST_TMP/repo.jsonl
rc=0
canary_run agent --plugin secrets -s "secrets.files=$files" -s "secrets.repo_paths=[\"$R\",\"$TEST_TMP/nope\"]" > "$out" || rc=$?
[ "$rc" = 2 ] || fail "exit status $rc, expected 2"
jq -s -e 'map(select(.check == "secrets.repo_scan")) | length == 2' "$out" >/dev/null || { cat "$out" >&2; fail "two repo_scan lines expected"; }
line() { jq -c --arg t "$1" --arg c "$2" 'select(.target == $t and .check == $c)' "$out"; }
line "$R" secrets.repo_scan | jq -e '.status == "critical" and .metrics.hits == 2 and .metrics.commits_scanned == 2 and .metrics.files_scanned >= 4' >/dev/null ||
  { line "$R" secrets.repo_scan >&2; fail "repo scan line"; }
line "$TEST_TMP/nope" secrets.repo_scan | jq -e '.status == "unknown" and (.summary | test("scan incomplete"))' >/dev/null ||
  fail "a missing repo path must be unknown"
line "$S/leaked" secrets.rotation | jq -e --arg r "$R" '.status == "critical" and
  (.summary | test("value found in \($r): config/settings.toml \\(working tree\\)")) and
  .details.repo_hits == [{"repo": $r, "file": "config/settings.toml", "line": 2}] and .metrics.repo_hits == 1' >/dev/null ||
  { line "$S/leaked" secrets.rotation >&2; fail "working-tree leak"; }
line "$S/history" secrets.rotation | jq -e --arg r "$R" --arg c "$hist_commit" '.status == "critical" and
  (.summary | test("config/app.env \\(commit \($c)\\)")) and .details.repo_hits[0].commit == $c' >/dev/null ||
  { line "$S/history" secrets.rotation >&2; fail "git history leak"; }
line "$S/clean" secrets.rotation | jq -e '.status == "ok" and .metrics.repo_hits == 0' >/dev/null || fail "clean secret"
line "$R/config/local.secret" secrets.rotation | jq -e '.status == "ok" and .metrics.repo_hits == 0' >/dev/null ||
  fail "a secret file must not count as a leak of itself"

# git_history=false: the removed value is not found any more
rc=0
canary_run agent --plugin secrets -s "secrets.files=$files" -s "secrets.repo_paths=[\"$R\"]" -s secrets.git_history=false > "$out" || rc=$?
line "$S/history" secrets.rotation | jq -e '.status == "ok"' >/dev/null || fail "git_history=false still scanned history"

# A repository whose own config runs programs (issue 11 item 8): with
# log.showSignature and gpg.program, git log verifies the signed commit by
# running the repository's script, as root, with the plugin's descriptors;
# core.fsmonitor, pagers, diff.external and a textconv driver likewise.
# None of them may run, and the history scan must still work.
E=$TEST_TMP/evil
mkdir -p "$E"
marker=$TEST_TMP/ran-repository-program
printf '#!/bin/sh\necho "$0 $*" >> %s\nexit 1\n' "$marker" > "$TEST_TMP/evil.sh"
chmod 755 "$TEST_TMP/evil.sh"
ge() { git -C "$E" -c user.name=probe-test -c user.email=probe@test.invalid "$@"; }
ge init -q
printf 'HMAC_SECRET=%s\n' "$(cat "$S/history")" > "$E/app.env"
printf '*.env diff=evil\n' > "$E/.gitattributes"
ge add -A
ge commit -qm "initial"
# a commit that carries a (fake) signature, so that log.showSignature calls gpg
tree=$(ge rev-parse 'HEAD^{tree}')
printf 'tree %s\nparent %s\nauthor t <t@t.invalid> 1700000000 +0000\ncommitter t <t@t.invalid> 1700000000 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\nsigned\n' \
  "$tree" "$(ge rev-parse HEAD)" > "$TEST_TMP/signed.txt"
ge update-ref HEAD "$(ge hash-object -t commit -w "$TEST_TMP/signed.txt")"
for k in gpg.program gpg.openpgp.program core.fsmonitor core.pager pager.log \
         diff.external diff.evil.textconv diff.evil.command core.hooksPath; do
  ge config "$k" "$TEST_TMP/evil.sh"
done
ge config log.showSignature true
rc=0
canary_run agent --plugin secrets -s "secrets.files=[\"$S/history\"]" -s "secrets.repo_paths=[\"$E\"]" > "$out" || rc=$?
[ ! -e "$marker" ] || { cat "$marker" >&2; fail "git ran a program from the scanned repository's config"; }
line "$S/history" secrets.rotation | jq -e '.status == "critical" and any(.details.repo_hits[]; .commit != null)' >/dev/null ||
  { cat "$out" >&2; fail "the history scan of a repository with hostile config found nothing"; }

canary_check
echo "secrets-repo: ok"
