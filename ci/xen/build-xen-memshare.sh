#!/usr/bin/env bash
# Compiles Xen's own tools/misc/xen-memshare.c from the Debian source tree,
# standalone (no Xen tools build), in the build chroot so that it links
# against the dom0's exact libxenctrl.  It is the reference client of the
# stock XENMEM_sharing_op calls that coshare extends.  Prints the binary.
set -euo pipefail
PROG=build-xen-memshare
. "$(dirname "$0")/lib.sh"
out=$VM/tools/xen-memshare
case "${1:-}" in
-h|--help)
    cat <<EOT
usage: ci/xen/build-xen-memshare.sh
  Builds \$BUILD/vm/tools/xen-memshare (cached by the source's hash) and
  prints its path.  Put it into dom0 with
  build-dom0-rootfs.sh --add \$BUILD/vm/tools/xen-memshare:/usr/local/sbin/
EOT
    exit 0;;
"") ;;
*) die "unknown argument '$1' (see --help)";;
esac

src=$("$CI_XEN/get-xen-source.sh")/tools/misc/xen-memshare.c
chroot=$("$CI_XEN/build-in-chroot.sh" --print-root)
key=$(hash_inputs "$src" "chroot=$chroot" "$0")
if [ -x "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
    echo "$out"; exit 0
fi
say "compiling xen-memshare.c against libxenctrl $XEN_DEB_VERSION"
mkdir -p "$VM/tools/src"
cp "$src" "$VM/tools/src/"
"$CI_XEN/build-in-chroot.sh" --dir "$VM/tools" \
    gcc -O2 -Wall -o xen-memshare src/xen-memshare.c -lxenctrl
echo "$key" > "$out.key"
echo "$out"
