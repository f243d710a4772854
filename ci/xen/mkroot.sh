#!/usr/bin/env bash
# Creates (once) a Debian bookworm tree with mmdebstrap from bookworm main
# only, so its Xen libraries and tools are exactly XEN_DEB_VERSION, the
# version of get-xen-source.sh's tree.  Cached as $BUILD/vm/NAME-<hash of the
# inputs>; prints the tree's path.  Used for dom0's root, the build chroot and
# the guests' Debian userland (build-guest-disk.sh).
set -euo pipefail
PROG=mkroot
. "$(dirname "$0")/lib.sh"

if [ $# -ne 3 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
    cat <<EOT
usage: ci/xen/mkroot.sh NAME VARIANT PKG[,PKG...]
  NAME     cache name, e.g. dom0-tree or build-chroot
  VARIANT  mmdebstrap variant (minbase, apt, ...)
  PKG      packages to include; a tree with libxenmisc4.17 (libxenctrl)
           must have exactly XEN_DEB_VERSION
Prints \$BUILD/vm/NAME-<hash>.  Old trees of the same NAME are removed.
EOT
    [ $# -eq 1 ] && exit 0 || exit 2
fi
name=$1 variant=$2 pkgs=$3
opts=(--variant="$variant" --include="$pkgs"
      --dpkgopt='path-exclude=/usr/share/doc/*'
      --dpkgopt='path-exclude=/usr/share/man/*'
      --dpkgopt='path-exclude=/usr/share/locale/*'
      --dpkgopt='path-exclude=/usr/share/info/*'
      --aptopt='Acquire::Retries "3"')
src="deb $MIRROR $SUITE main"
key=$(hash_inputs "$XEN_DEB_VERSION" "$src" "${opts[@]}")
tree=$VM/$name-$key
mkdir -p "$VM"
exec 9>"$VM/$name.lock"
flock 9
if [ -f "$tree/.complete" ]; then echo "$tree"; exit 0; fi

command -v mmdebstrap >/dev/null || die "mmdebstrap missing: run ci/install-deps.sh"
((EUID == 0)) || die "mmdebstrap needs root here"
say "mmdebstrap $variant $SUITE -> $tree (about 30 s)"
start=$SECONDS
rm -rf "$tree.tmp"
mmdebstrap --quiet "${opts[@]}" "$SUITE" "$tree.tmp" "$src" >&2
rm -rf "$tree.tmp"/var/cache/apt/*.bin "$tree.tmp"/var/cache/apt/archives/*.deb

v=$(dpkg-query --admindir="$tree.tmp/var/lib/dpkg" -W -f='${Version}' libxenmisc4.17 2>/dev/null) || v=none
[ "$v" = "$XEN_DEB_VERSION" ] || [ "$v" = none ] || die "$name got libxenmisc (libxenctrl) $v, wanted $XEN_DEB_VERSION"
touch "$tree.tmp/.complete"
for old in "$VM/$name"-*; do
    case "$old" in "$tree.tmp"|"$tree") ;; *) rm -rf "$old";; esac
done
mv "$tree.tmp" "$tree"
say "$name ready in $((SECONDS - start)) s"
echo "$tree"
