#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/lib/debian-base.sh: a Debian 12 root file system made by mmdebstrap
# from the Debian archive this machine's apt already uses (no image
# registry needed), for the tests that build the container image
# (ops-image.sh) and boot the systemd unit (ops-nspawn.sh). The tarball is
# cached under $PROBE_TEST_CACHE (default /var/cache/probe-agent-tests),
# keyed by variant and package list, so a second suite run reuses it.
#
#   debian-base.sh VARIANT [PACKAGE...]   prints the tarball's path
# VARIANT is mmdebstrap's (apt, minbase...). Exit 0 with the path, else 1.
set -eu
variant=${1:?debian-base.sh VARIANT [PACKAGE...]}
shift
pkgs=$(printf '%s\n' "$@" | sort -u | tr '\n' ',' | sed 's/,$//')
cache=${PROBE_TEST_CACHE:-/var/cache/probe-agent-tests}
key=$(printf '%s %s\n' "$variant" "$pkgs" | sha256sum | cut -c1-16)
tar=$cache/debian12-$variant-$key.tar
if [ -s "$tar" ]; then echo "$tar"; exit 0; fi
command -v mmdebstrap >/dev/null || { echo "debian-base.sh: mmdebstrap missing (contrib/apt/ops.txt)" >&2; exit 1; }
mkdir -p "$cache"
# The host's own apt sources (one-line or deb822 files): mmdebstrap reads a
# mirror argument that names an existing file as sources.
set --
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -s "$f" ] && grep -q '^[^#]' "$f" && set -- "$@" "$f"
done
inc=
[ -n "$pkgs" ] && inc=--include=$pkgs
# shellcheck disable=SC2086  # inc is one word or empty
mmdebstrap --quiet --variant="$variant" $inc --format=tar bookworm "$tar.tmp.$$" "$@" >&2 \
  || { rm -f "$tar.tmp.$$"; exit 1; }
mv "$tar.tmp.$$" "$tar"
echo "$tar"
