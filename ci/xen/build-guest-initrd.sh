#!/usr/bin/env bash
# Packs the PVH guests' initramfs: busybox, ci/xen/guest/init, and extra files
# (coshare.ko, test programs and scripts) from --add SRC:DEST and from
# $BUILD/vm/guest-extra/.  Cached by a hash of all of it; prints the path.
# The guests boot Debian's kernel from this host (see build-dom0-rootfs.sh).
set -euo pipefail
PROG=build-guest-initrd
. "$(dirname "$0")/lib.sh"
adds=()
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help)
        cat <<EOT
usage: ci/xen/build-guest-initrd.sh [--add SRC:/DEST]...
  Prints \$BUILD/vm/guest/initrd-<hash>.gz.  Everything in
  \$BUILD/vm/guest-extra/ is copied in as well (same layout as the image).
  A guest runs a script given as coshare.run=/PATH on its kernel command
  line (the EXTRA of guest_start in ci/xen/dom0/coshare/lib.sh).
EOT
        exit 0;;
    --add) adds+=("$2"); shift 2;;
    *) die "unknown argument '$1' (see --help)";;
    esac
done
extra=$VM/guest-extra
mkdir -p "$VM/guest" "$extra"
srcs=()
for a in "${adds[@]}"; do srcs+=("${a%%:*}"); done
key=$(hash_inputs "$0" "$CI_XEN/lib.sh" "$CI_XEN/guest" /bin/busybox "$extra" \
    "${adds[@]/#/add=}" "${srcs[@]}")
out=$VM/guest/initrd-$key.gz
if [ -s "$out" ]; then echo "$out"; exit 0; fi

stage=$(mktemp -d "$VM/guest/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,proc,sys,dev,tmp,etc,lib/modules,coshare}
cp /bin/busybox "$stage/bin/"
for a in $(/bin/busybox --list); do
    [ "$a" = busybox ] || ln -sf busybox "$stage/bin/$a"
done
cp "$CI_XEN/guest/init" "$stage/init"
cp -a "$extra/." "$stage/"
stage_adds "$stage" "${adds[@]}"
pack_cpio "$stage" | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
# Keep the newest few; every change of the extras makes a new one.
ls -t "$VM"/guest/initrd-*.gz | tail -n +6 | xargs -r rm -f
say "guest initrd $(du -k "$out" | cut -f1) KiB"
echo "$out"
