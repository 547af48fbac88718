#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# contrib/build-stages.sh: the build recipe of the container image, in one
# place. contrib/Dockerfile's RUN lines call it, and so does the test
# tests/integration/ops-build-stages.sh (outside any container, since the
# build machines have no container engine), so the recipe cannot rot
# unnoticed: if this script stops building an installable agent, make check
# fails.
#
# Usage:
#   build-stages.sh deps build|runtime      print the Debian packages, one a line
#   build-stages.sh install-deps build|runtime
#                                           apt-get install them (root)
#   build-stages.sh build SRCDIR BUILDDIR DESTDIR
#                                           autoreconf (when configure is
#                                           missing or stale), configure out
#                                           of tree, make, make install
#   build-stages.sh user                    create the unprivileged runtime user
#                                           and the state directory (root)
# Environment: PREFIX (default /usr), SYSCONFDIR (default /etc),
# LOCALSTATEDIR (default /var), JOBS (default: number of cores, at most 2
# unless set), CONFIGURE_FLAGS (extra configure arguments).
set -eu

# Packages needed to build (compiler, autotools, -dev libraries).
build_deps() {
  cat <<'EOF'
build-essential
autoconf
automake
libtool
pkg-config
libcjson-dev
libssl-dev
libcurl4-openssl-dev
libpq-dev
libsecp256k1-dev
zlib1g-dev
libseccomp-dev
EOF
  # Intel's multi-buffer SHA-256 for the ledger's events; Debian builds it
  # for amd64 only, and configure goes without it elsewhere
  is_amd64 && echo libipsec-mb-dev
  return 0
}

is_amd64() { [ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ]; }

# Packages the installed agent and its plugins load at run time (the test
# checks every shared library they link against belongs to one of these or
# to an essential package), plus the CA store for the tls plugin and
# outside HTTPS.
runtime_deps() {
  cat <<'EOF'
libcjson1
libssl3
libcurl4
libpq5
libsecp256k1-1
zlib1g
libseccomp2
ca-certificates
EOF
  is_amd64 && echo libipsec-mb1
  return 0
}

deps() {
  case "${1:-}" in
    build) build_deps ;;
    runtime) runtime_deps ;;
    *) echo "build-stages.sh: deps needs build or runtime" >&2; exit 64 ;;
  esac
}

install_deps() {
  pkgs=$(deps "${1:-}") || exit $?
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  # shellcheck disable=SC2086  # one word per package
  apt-get install -y --no-install-recommends $pkgs
  rm -rf /var/lib/apt/lists/*
}

build() {
  src=${1:?build needs SRCDIR BUILDDIR DESTDIR}
  bld=${2:?build needs SRCDIR BUILDDIR DESTDIR}
  dest=${3:?build needs SRCDIR BUILDDIR DESTDIR}
  jobs=${JOBS:-$(n=$(nproc 2>/dev/null || echo 1); [ "$n" -gt 2 ] && n=2; echo "$n")}
  src=$(cd "$src" && pwd)
  mkdir -p "$bld" "$dest"
  dest=$(cd "$dest" && pwd)
  # A git checkout has no configure yet; a release tarball has an
  # up-to-date one and needs no autotools.
  if [ ! -x "$src/configure" ] || [ "$src/configure.ac" -nt "$src/configure" ] \
     || [ "$src/Makefile.am" -nt "$src/Makefile.in" ]; then
    (cd "$src" && autoreconf -fi)
  fi
  # shellcheck disable=SC2086  # CONFIGURE_FLAGS is a list of words
  (cd "$bld" && "$src/configure" --prefix="${PREFIX:-/usr}" \
     --sysconfdir="${SYSCONFDIR:-/etc}" --localstatedir="${LOCALSTATEDIR:-/var}" \
     --disable-dependency-tracking ${CONFIGURE_FLAGS:-})
  make -C "$bld" -j"$jobs"
  make -C "$bld" install DESTDIR="$dest"
  # libtool archives are of no use at run time (Debian drops them too).
  find "$dest" -name '*.la' -type f -exec rm -f {} +
}

user() {
  # A fixed numeric id, so Kubernetes' runAsNonRoot can check it.
  groupadd --system --gid 10001 probe-agent
  useradd --system --uid 10001 --gid 10001 --no-create-home \
    --home-dir /var/lib/probe-agent --shell /usr/sbin/nologin probe-agent
  install -d -o 10001 -g 10001 -m 0750 /var/lib/probe-agent
  install -d -m 0755 /etc/probe-agent
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  deps) deps "$@" ;;
  install-deps) install_deps "$@" ;;
  build) build "$@" ;;
  user) user ;;
  *) sed -n '/^# Usage:/,/^set -eu/p' "$0" | sed '$d' >&2; exit 64 ;;
esac
