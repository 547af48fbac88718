# SPDX-License-Identifier: Apache-2.0
# contrib/lib.sh: shared by contrib/demo.sh and contrib/test.sh: Debian
# packages (installed when root, else the apt line is printed) and the build.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# apt_packages: every package named in contrib/apt/*.txt, or only in the
# lists named by APT_LISTS (words such as "core tlssec": the demo needs no
# browser, no monitoring servers). A name written pkg:ARCH is for machines
# of that Debian architecture only.
apt_packages() {
  local lists=() l
  if [ -n "${APT_LISTS:-}" ]; then
    for l in $APT_LISTS; do lists+=("$top/contrib/apt/$l.txt"); done
  else
    lists=("$top"/contrib/apt/*.txt)
  fi
  sed 's/#.*//' "${lists[@]}" | tr -s ' \t\n' '\n' | sed '/^$/d' |
    awk -v arch="$(deb_arch)" -F: 'NF == 1 { print; next } $2 == arch { print $1 }' | sort -u
}

# deb_arch: this machine's Debian architecture (amd64, arm64...), or unknown.
deb_arch() {
  dpkg --print-architecture 2>/dev/null || echo unknown
}

# ensure_packages: installs what is missing (as root), or says what to run.
ensure_packages() {
  local missing=() p
  while read -r p; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done < <(apt_packages)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ]; then
    echo "== installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing Debian packages. Install them with:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
    return 1
  fi
}

# build DIR [configure flags...]: configures and builds out of tree.
build() {
  local dir=$1; shift
  if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ]; then
    echo "== autoreconf"
    (cd "$top" && autoreconf -fi >/dev/null 2>&1) || (cd "$top" && autoreconf -fi)
  fi
  mkdir -p "$dir"
  echo "== configure $* (in $dir)"
  (cd "$dir" && "$top/configure" -q "$@")
  echo "== make"
  make -C "$dir" -j"$(nproc)" >/dev/null
}
