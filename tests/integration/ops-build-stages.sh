#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/ops-build-stages.sh: builds the container image's stages
# outside a container, with the very script contrib/Dockerfile runs
# (contrib/build-stages.sh), into a temporary DESTDIR, then checks that
#  - the Dockerfile still calls the script the way this test does;
#  - every pkg-config module configure.ac requires comes from a package in
#    the script's build list, and every shared library the installed agent
#    and plugins load comes from its runtime list (or from an essential
#    package), so the runtime stage lacks nothing;
#  - the installed agent has the installed plugin directory compiled in,
#    lists the installed plugins and runs one (ledger, no server needed);
#  - the image's HEALTHCHECK one-liner passes on a live daemon's heartbeat
#    and fails on a stale one.
. "$top_srcdir/tests/lib/env.sh"

stages=$top_srcdir/contrib/build-stages.sh
# The sanitizer pass of contrib/test.sh runs the suite again on an
# instrumented build; this test builds its own plain one, identical in both
# passes, so it runs once.
plain_pass_only "same build as in the plain pass"
dockerfile=$top_srcdir/contrib/Dockerfile

# --- the Dockerfile runs what this test runs ----------------------------------
grep -q '^RUN build-stages.sh install-deps build$' "$dockerfile" \
  || fail "Dockerfile no longer installs the build packages with build-stages.sh"
grep -q '^RUN build-stages.sh build /src /build /out$' "$dockerfile" \
  || fail "Dockerfile no longer builds with build-stages.sh build /src /build /out"
grep -q '^RUN build-stages.sh install-deps runtime && build-stages.sh user' "$dockerfile" \
  || fail "Dockerfile no longer installs the runtime packages with build-stages.sh"
grep -q '^ENTRYPOINT \["probe-agent"\]$' "$dockerfile" || fail "ENTRYPOINT is not probe-agent"
grep -q '^USER 10001:10001$' "$dockerfile" || fail "the image does not run as the unprivileged user"

"$stages" deps build >"$TEST_TMP/build-deps"
"$stages" deps runtime >"$TEST_TMP/runtime-deps"
set +e; "$stages" deps nonsense 2>/dev/null; rc=$?; set -e
[ "$rc" = 64 ] || fail "build-stages.sh deps nonsense exited $rc, expected 64"

# owners PATH...: "PATH<tab>PACKAGE" for each path dpkg knows (one
# dpkg-query call; arch qualifiers dropped). owner PATH reads that map.
owners() {
  dpkg-query -S "$@" 2>/dev/null | sed -E 's/^([^:,]+)(:[a-z0-9]+)?(, [^:]*)?: (.*)$/\4\t\1/' >>"$TEST_TMP/owners"
}
owner() { awk -F'\t' -v f="$1" '$1 == f { print $2; exit }' "$TEST_TMP/owners"; }
: >"$TEST_TMP/owners"

if command -v dpkg-query >/dev/null; then
  # Every library configure.ac requires is provided by a listed -dev package.
  mods=$(sed -n 's/^PROBE_REQUIRE(\[[A-Z0-9_]*\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac" \
    | tr ' ' '\n' | grep -E '^[a-z]' )
  [ -n "$mods" ] || fail "found no PROBE_REQUIRE modules in configure.ac"
  pcs=()
  for m in $mods; do
    pc=$(pkg-config --path "$m") || fail "pkg-config does not know $m"
    pcs+=("$(readlink -f "$pc")")
  done
  owners "${pcs[@]}"
  for m in $mods; do
    pc=$(readlink -f "$(pkg-config --path "$m")")
    p=$(owner "$pc")
    [ -n "$p" ] || fail "no Debian package owns $pc (module $m)"
    grep -qx "$p" "$TEST_TMP/build-deps" \
      || fail "configure.ac needs $m from package $p, missing from build-stages.sh deps build"
  done
fi

# --- build the stages into a temporary DESTDIR --------------------------------
src=$TEST_TMP/src
mkdir -p "$src"
# A copy of the source tree without build products of an in-tree build.
tar -C "$top_srcdir" --exclude=.git --exclude=autom4te.cache --exclude=.libs \
  --exclude=.deps --exclude='*.o' --exclude='*.lo' --exclude='*.la' \
  --exclude=config.status --exclude=config.log --exclude=libtool \
  --exclude=stamp-h1 --exclude=./Makefile --exclude=./config.h -cf - . \
  | tar -C "$src" -xf -
chmod -R u+w "$src"
dest=$TEST_TMP/dest
JOBS=2 "$stages" build "$src" "$TEST_TMP/build" "$dest" >"$TEST_TMP/build.log" 2>&1 || {
  tail -n 40 "$TEST_TMP/build.log" >&2
  fail "contrib/build-stages.sh build failed"
}

bin=$dest/usr/bin/probe-agent
plugdir=$dest/usr/lib/probe-agent
[ -x "$bin" ] || fail "no $bin after make install DESTDIR"
[ -f "$dest/usr/include/probe-plugin.h" ] || fail "probe-plugin.h was not installed"
if [ -n "$(find "$dest" -name '*.la')" ]; then fail "libtool archives left in DESTDIR"; fi
# The manual pages and the bash completion are installed where man and
# bash-completion look.
for f in usr/share/man/man1/probe-agent.1 usr/share/man/man5/probe-agent.conf.5 \
         usr/share/bash-completion/completions/probe-agent; do
  [ -f "$dest/$f" ] || fail "make install did not install /$f"
done
# The installed agent looks for plugins where make install put them.
grep -aq '/usr/lib/probe-agent' "$bin" || fail "the installed agent does not have /usr/lib/probe-agent compiled in"
grep -aq '/etc/probe-agent/probe-agent.json' "$bin" \
  || fail "the installed agent does not have /etc/probe-agent/probe-agent.json compiled in"

# Every plugin configure built is installed in the plugin directory.
built=$(for la in ${PROBE_BUILT_PLUGINS:-}; do echo "${la%.la}"; done)
for p in $built; do
  [ -f "$plugdir/$p.so" ] || fail "plugin $p was built but not installed in $plugdir"
done

# --- the runtime stage has every shared library -------------------------------
if command -v dpkg-query >/dev/null; then
  for f in "$bin" "$plugdir"/*.so; do
    [ -f "$f" ] || continue
    ldd "$f" | awk '/=> \// {print $3}' >>"$TEST_TMP/libs"
  done
  # libpq and libcurl are opened by soname at run time (plugins/common/plib.h),
  # so ldd does not list them: configure's sonames, resolved by ldconfig
  for so in $(sed -n 's/^#define PLIB_LIB[A-Z]*_SONAME "\(.*\)"$/\1/p' "$top_builddir/config.h"); do
    path=$(/sbin/ldconfig -p | awk -v s="$so" '$1 == s && /x86-64|x86_64|64bit/ { print $NF; exit }')
    [ -n "$path" ] || path=$(/sbin/ldconfig -p | awk -v s="$so" '$1 == s { print $NF; exit }')
    [ -n "$path" ] || fail "plugins open $so at run time, and ldconfig does not know it"
    echo "$path" >>"$TEST_TMP/libs"
  done
  grep -q 'libpq\.so' "$TEST_TMP/libs" || fail "libpq is not among the libraries checked"
  # The installed dependency closure of the runtime list (dpkg's view), in
  # one dpkg-query call.
  dpkg-query -W -f='${Package}\t${Depends}, ${Pre-Depends}\n' >"$TEST_TMP/all-deps"
  awk -F'\t' 'NR == FNR { want[$1] = 1; next }
    { deps[$1] = $2 }
    END {
      do {
        grew = 0
        for (p in want) {
          n = split(deps[p], d, /[,|]/)
          for (i = 1; i <= n; i++) {
            x = d[i]; sub(/\(.*\)/, "", x); sub(/:any/, "", x); gsub(/ /, "", x)
            if (x != "" && !(x in want)) { want[x] = 1; grew = 1 }
          }
        }
      } while (grew)
      for (p in want) print p
    }' "$TEST_TMP/runtime-deps" "$TEST_TMP/all-deps" >"$TEST_TMP/runtime-closure"
  mapfile -t libs < <(sort -u "$TEST_TMP/libs")
  [ ${#libs[@]} -gt 0 ] || fail "ldd found no shared library of the installed agent"
  mapfile -t reals < <(for l in "${libs[@]}"; do readlink -f "$l"; done)
  owners "${libs[@]}" "${reals[@]}"
  while read -r lib; do
    p=$(owner "$(readlink -f "$lib")")
    [ -z "$p" ] && p=$(owner "$lib")
    [ -n "$p" ] || fail "no Debian package owns $lib"
    grep -qx "$p" "$TEST_TMP/runtime-deps" && continue
    # Essential and required packages are in every debian:bookworm-slim.
    prio=$(dpkg-query -W -f='${Essential} ${Priority}' "$p" 2>/dev/null || true)
    case "$prio" in yes*|*required) continue ;; esac
    # Libraries pulled in by the listed ones (libcurl4 -> libnghttp2-14...).
    grep -qx "$p" "$TEST_TMP/runtime-closure" \
      || fail "$lib (package $p) is not in build-stages.sh deps runtime nor pulled in by it"
  done < <(sort -u "$TEST_TMP/libs")
fi

# --- the installed agent runs with the installed plugins ----------------------
export PROBE_AGENT_PLUGIN_DIR=$plugdir
state=$TEST_TMP/state
mkdir -p "$state"
"$bin" --version >"$TEST_TMP/version" || fail "installed probe-agent --version failed"
grep -q '0\.' "$TEST_TMP/version" || fail "--version printed no version: $(cat "$TEST_TMP/version")"
if [ -n "$built" ]; then
  "$bin" --list-plugins >"$TEST_TMP/list" || fail "installed probe-agent --list-plugins failed"
else
  echo "note: no plugin is built; --list-plugins of the installed agent is not checked" >&2
  : >"$TEST_TMP/list"
fi
for p in $built; do
  grep -q "^$p " "$TEST_TMP/list" || fail "--list-plugins of the installed agent lacks $p: $(cat "$TEST_TMP/list")"
done

if echo "$built" | grep -qx ledger; then
  set +e
  "$bin" --state-dir "$state" -p ledger -s ledger.source="$top_srcdir/tests/vectors/ledger-valid.jsonl" \
    >"$TEST_TMP/ok.jsonl"
  rc=$?
  set -e
  [ "$rc" = 0 ] || { cat "$TEST_TMP/ok.jsonl" >&2; fail "installed ledger plugin on the valid vector exited $rc"; }
  jq_assert "$TEST_TMP/ok.jsonl" 'select(.check == "ledger.chain") | .status == "ok"' \
    "the installed ledger plugin did not find the valid ledger ok"
  daemon_args=(-p ledger -s ledger.source="$top_srcdir/tests/vectors/ledger-valid.jsonl")
else
  echo "note: the ledger plugin is not built; the HEALTHCHECK runs on the test plugin echo" >&2
  [ -d "${PROBE_TEST_PLUGIN_DIR:-}" ] || fail "no test plugins in ${PROBE_TEST_PLUGIN_DIR:-(unset)}"
  daemon_args=(--plugin-dir "$PROBE_TEST_PLUGIN_DIR" -p echo)
fi

# --- the HEALTHCHECK one-liner on a live daemon's heartbeat -------------------
hc=$(sed -n 's/^ *CMD \(\["\/bin\/sh", "-c", .*\]\)$/\1/p' "$dockerfile" | jq -r '.[2]')
[ -n "$hc" ] || fail "no HEALTHCHECK CMD found in the Dockerfile"
hb=$state/heartbeat
PROBE_AGENT_HEARTBEAT_FILE=$hb PROBE_AGENT_INTERVAL=1 \
  "$bin" --daemon --state-dir "$state" -o "$TEST_TMP/daemon.jsonl" "${daemon_args[@]}" \
  2>"$TEST_TMP/daemon.err" &
dpid=$!
trap 'kill "$dpid" 2>/dev/null || true; rm -rf "$TEST_TMP"' EXIT
for _ in $(seq 50); do [ -f "$hb" ] && break; sleep 0.1; done
[ -f "$hb" ] || { cat "$TEST_TMP/daemon.err" >&2; fail "the daemon never touched its heartbeat file"; }
PROBE_AGENT_HEARTBEAT_FILE=$hb sh -c "$hc" || fail "HEALTHCHECK fails on a live daemon"
# Still fresh a few passes later: the scheduler keeps touching it.
touch -d '-10 minutes' "$hb"
for _ in $(seq 30); do PROBE_AGENT_HEARTBEAT_FILE=$hb sh -c "$hc" && break; sleep 0.1; done
PROBE_AGENT_HEARTBEAT_FILE=$hb sh -c "$hc" || fail "the daemon stopped touching its heartbeat file"
kill -TERM "$dpid"
set +e; wait "$dpid"; rc=$?; set -e
[ "$rc" = 0 ] || fail "the daemon exited $rc on SIGTERM, expected 0"
[ -s "$TEST_TMP/daemon.jsonl" ] || fail "the daemon wrote no result line"
touch -d '-10 minutes' "$hb"
if PROBE_AGENT_HEARTBEAT_FILE=$hb sh -c "$hc"; then fail "HEALTHCHECK passes on a 10-minute-old heartbeat"; fi
rm -f "$hb"
if PROBE_AGENT_HEARTBEAT_FILE=$hb sh -c "$hc" 2>/dev/null; then fail "HEALTHCHECK passes without a heartbeat file"; fi
echo "ok: build stages built and installed an agent that runs its installed plugins"
