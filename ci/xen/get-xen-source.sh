#!/usr/bin/env bash
# Fetches the Debian source of Xen that matches the dom0 tools and libxenctrl
# (bookworm main, see XEN_DEB_VERSION in lib.sh) into $BUILD/xen-src and
# prints the tree's path on stdout.  Idempotent and safe to run concurrently
# (flock); the tree is never modified here: the hypervisor build copies it.
set -euo pipefail
PROG=get-xen-source
. "$(dirname "$0")/lib.sh"

case "${1:-}" in
-h|--help)
    cat <<EOT
usage: ci/xen/get-xen-source.sh
  Downloads 'apt-get source xen=$XEN_DEB_VERSION' into \$BUILD/xen-src
  (BUILD defaults to $ROOT/build) and prints the extracted directory.
  Adds a bookworm deb-src entry to /etc/apt/sources.list.d/ if missing.
EOT
    exit 0;;
"") ;;
*) die "unknown argument '$1' (see --help)";;
esac

dest=$BUILD/xen-src
tree=$dest/xen-$XEN_UPSTREAM
mkdir -p "$BUILD"
exec 9>"$BUILD/xen-src.lock"
flock 9

# The dom0 tree, once built, must carry the very same tools version.
check_dom0() {
    local d v
    for d in "$VM"/dom0-tree-*/; do
        [ -d "$d/var/lib/dpkg" ] || continue
        v=$(dpkg-query --admindir="$d/var/lib/dpkg" -W -f='${Version}' xen-utils-4.17 2>/dev/null) || continue
        [ "$v" = "$XEN_DEB_VERSION" ] || die "dom0 tree $d has xen-utils-4.17 $v, source is $XEN_DEB_VERSION"
    done
}

if [ -f "$dest/.complete" ] && [ -d "$tree" ]; then
    check_dom0
    echo "$tree"
    exit 0
fi

say "downloading and unpacking xen $XEN_DEB_VERSION (about 30 s)"
tmp=$dest.tmp
rm -rf "$tmp" "$dest"
deb_source xen "$XEN_DEB_VERSION" "$tmp"

dsc=$(ls "$tmp"/xen_*.dsc)
v=$(sed -n 's/^Version: //p' "$dsc")
[ "$v" = "$XEN_DEB_VERSION" ] || die "downloaded $v, wanted $XEN_DEB_VERSION"
mk=$tmp/xen-$XEN_UPSTREAM/xen/Makefile
upstream=$(awk -F'[ =]+' '/^export XEN_VERSION/{a=$3} /^export XEN_SUBVERSION/{b=$3} END{print a"."b}' "$mk")
[ "$upstream" = 4.17 ] || die "tree says Xen $upstream, wanted 4.17"
case "$XEN_UPSTREAM" in 4.17.5+*) ;; *) die "pinned version is not 4.17.5";; esac
touch "$tmp/.complete"
mv "$tmp" "$dest"
check_dom0
say "xen source ready"
echo "$tree"
