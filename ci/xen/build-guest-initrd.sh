#!/usr/bin/env bash
# Packs the PVH guests' initramfs: busybox, ci/xen/guest/{init,ready}, and
# extra files (coshare.ko, test programs and scripts) from --add SRC:DEST and
# from $BUILD/vm/guest-extra/; with --disk-modules also the kernel modules that
# mount a Debian root from xvda (build-guest-disk.sh).  Cached by a hash of
# all of it; prints the path.  The guests boot Debian's kernel from this host
# (see build-dom0-rootfs.sh).
set -euo pipefail
PROG=build-guest-initrd
. "$(dirname "$0")/lib.sh"
# What guest/init loads (with dependencies) to boot a Debian guest's disk.
DISK_MODULES="xen-blkfront ext4 overlay"
adds=() disk_modules=0
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help)
        cat <<EOT
usage: ci/xen/build-guest-initrd.sh [--add SRC:/DEST]... [--disk-modules]
  Prints \$BUILD/vm/guest/initrd-<hash>.gz.  Everything in
  \$BUILD/vm/guest-extra/ is copied in as well (same layout as the image).
  A guest runs a script given as coshare.run=/PATH on its kernel command
  line (the EXTRA of guest_start in ci/xen/dom0/coshare/lib.sh).
  --disk-modules  add $DISK_MODULES (and what they need), which
                  the guest's /init loads for coshare.root=DEV
EOT
        exit 0;;
    --add) adds+=("$2"); shift 2;;
    --disk-modules) disk_modules=1; shift;;
    *) die "unknown argument '$1' (see --help)";;
    esac
done
extra=$VM/guest-extra
mkdir -p "$VM/guest" "$extra"
srcs=()
for a in "${adds[@]}"; do srcs+=("${a%%:*}"); done
kver=$(host_kver)
key=$(hash_inputs "$0" "$CI_XEN/lib.sh" "$CI_XEN/guest" /bin/busybox "$extra" \
    "${adds[@]/#/add=}" "${srcs[@]}" "disk_modules=$disk_modules" "$kver")
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
cp "$CI_XEN/guest/ready" "$stage/coshare/ready"
if ((disk_modules)); then
    # modprobe's insmod lines come in load order; one list for all of them.
    for m in $DISK_MODULES; do
        modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
    done | awk '!seen[$0]++' | while read -r ko; do
        cp "$ko" "$stage/lib/modules/"
        basename "$ko" >> "$stage/lib/modules/load-order"
    done
    [ -s "$stage/lib/modules/load-order" ] || die "no modules found for $DISK_MODULES"
fi
cp -a "$extra/." "$stage/"
stage_adds "$stage" "${adds[@]}"
pack_cpio "$stage" | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
# Keep the newest few; every change of the extras makes a new one.
ls -t "$VM"/guest/initrd-*.gz | tail -n +6 | xargs -r rm -f
say "guest initrd $(du -k "$out" | cut -f1) KiB"
echo "$out"
