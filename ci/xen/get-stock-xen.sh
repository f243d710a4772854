#!/usr/bin/env bash
# Fetches Debian's stock hypervisor (xen-hypervisor-4.17-amd64, the pinned
# XEN_DEB_VERSION) without installing it on the host: apt-get download and
# dpkg-deb -x into $BUILD/vm/stock-xen/.  QEMU's multiboot loader cannot read
# the shipped xen.gz, so the binary is gunzipped.  Prints its path.
set -euo pipefail
PROG=get-stock-xen
. "$(dirname "$0")/lib.sh"
case "${1:-}" in
-h|--help)
    echo "usage: ci/xen/get-stock-xen.sh   (prints \$BUILD/vm/stock-xen/xen-$XEN_UPSTREAM)"
    exit 0;;
"") ;;
*) die "unknown argument '$1' (see --help)";;
esac
dir=$VM/stock-xen
out=$dir/xen-$XEN_UPSTREAM
if [ -s "$out" ]; then echo "$out"; exit 0; fi
mkdir -p "$dir"
exec 9>"$dir.lock"
flock 9
if [ ! -s "$out" ]; then
    say "downloading xen-hypervisor-4.17-amd64 $XEN_DEB_VERSION"
    rm -rf "$dir/deb" "$dir/x"
    mkdir -p "$dir/deb"
    (cd "$dir/deb" && apt-get download -qq -o APT::Sandbox::User=root \
        "xen-hypervisor-4.17-amd64=$XEN_DEB_VERSION" >&2)
    dpkg-deb -x "$dir"/deb/*.deb "$dir/x"
    zcat "$dir/x/boot/xen-4.17-amd64.gz" > "$out.tmp"
    mv "$out.tmp" "$out"
    rm -rf "$dir/x"
fi
echo "$out"
