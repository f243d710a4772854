# shellcheck shell=bash
# shellcheck disable=SC2034  # settings used by the scripts that source this
# Shared settings of the ci/xen scripts (sourced, not run).  One place for the
# pinned Debian Xen version: dom0 tools, libxenctrl, the build chroot, the
# source tree and the stock hypervisor must all be this exact version, or
# programs linked in the chroot would not match the hypervisor's ABI.
XEN_DEB_VERSION=4.17.5+72-g01140da4e8-1   # bookworm main (not -security)
XEN_UPSTREAM=${XEN_DEB_VERSION%-*}        # 4.17.5+72-g01140da4e8
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
CI_XEN=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$CI_XEN/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD;; esac
VM=$BUILD/vm

say() { echo "[$(date +%T)] ${PROG:-ci/xen}: $*" >&2; }
die() { echo "${PROG:-ci/xen}: error: $*" >&2; exit 1; }

# hash_inputs FILE_OR_STRING...: short content hash of the arguments (files
# are hashed by content, directories by every file inside, others as text).
hash_inputs() {
    local a
    for a in "$@"; do
        if [ -d "$a" ]; then
            (cd "$a" && find . -type f -o -type l | LC_ALL=C sort |
                while read -r f; do echo "$f"; if [ -L "$f" ]; then readlink "$f"; else cat "$f"; fi; done)
        elif [ -f "$a" ]; then cat "$a"
        else printf '%s\n' "$a"
        fi
    done | sha256sum | cut -c1-12
}

# deb_source PACKAGE VERSION DEST: apt-get source PACKAGE=VERSION from
# bookworm main into DEST (adding a deb-src entry for it if missing).
deb_source() {
    local pkg=$1 version=$2 dest=$3
    local src_list=/etc/apt/sources.list.d/coshare-deb-src.sources
    command -v dpkg-source >/dev/null || die "dpkg-source missing: run ci/install-deps.sh (dpkg-dev)"
    if [ ! -e "$src_list" ]; then
        ((EUID == 0)) || die "need root to add $src_list"
        say "adding $src_list"
        cat > "$src_list" <<EOT
Types: deb-src
URIs: $MIRROR
Suites: $SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
    fi
    if ! apt-cache showsrc "$pkg" 2>/dev/null | grep -qx "Version: $version"; then
        say "apt-get update (source index)"
        apt-get update -qq -o DPkg::Lock::Timeout=300
        apt-cache showsrc "$pkg" 2>/dev/null | grep -qx "Version: $version" ||
            die "$pkg $version not in the source index"
    fi
    mkdir -p "$dest"
    (cd "$dest" && apt-get source -qq -o APT::Sandbox::User=root "$pkg=$version" >&2)
}

# The Debian kernel on this host: dom0 and guests both boot it.
host_kver() {
    local k
    k=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n 1) ||
        true
    [ -n "$k" ] || die "no /boot/vmlinuz-*-amd64 (run ci/install-deps.sh)"
    echo "${k#/boot/vmlinuz-}"
}

# stage_adds STAGE SPEC...: copy each SRC:DEST (file or directory) to
# STAGE/DEST, creating parent directories.  DEST is an absolute path in the
# image; a DEST ending in / keeps SRC's name.
stage_adds() {
    local stage=$1 spec src dest
    shift
    for spec in "$@"; do
        src=${spec%%:*} dest=${spec#*:}
        [ "$src" != "$spec" ] && [ "${dest#/}" != "$dest" ] ||
            die "--add wants SRC:/ABSOLUTE/DEST, got '$spec'"
        [ -e "$src" ] || die "--add: no such file '$src'"
        case "$dest" in */) dest=$dest$(basename "$src");; esac
        mkdir -p "$stage$(dirname "$dest")"
        cp -a "$src" "$stage$dest"
    done
}

# pack_cpio DIR: newc archive of DIR's contents (owned by root) on stdout.
pack_cpio() {
    (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet)
}
