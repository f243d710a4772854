#!/usr/bin/env bash
# Builds dom0's root filesystem, booted as its initramfs (no disk): a cached
# base cpio (the mmdebstrap tree with xen-utils-4.17, this host's Xen kernel
# modules, the guest kernel, the ci/xen/dom0 overlay) and, appended, a small
# cpio of per-run files (test script, guest initrd, binaries), so that extra
# files never rebuild the tree or the base.
set -euo pipefail
PROG=build-dom0-rootfs
. "$(dirname "$0")/lib.sh"

DOM0_PKGS=xen-utils-4.17,xenstore-utils,busybox-static,kmod,iproute2,procps,libxencall1,libxenmisc4.17
# The last three serve the Debian guests' disk (run-xen.sh --guest-disk).
DOM0_MODULES="xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd virtio_pci virtio_blk xen-blkback"
# Left out of the image (a smaller initramfs boots faster): apt state, udev's
# hardware database, and the Python and Perl that only dpkg and pygrub use.
TRIM=(.complete var/cache/apt var/lib/apt/lists usr/lib/udev/hwdb.bin usr/lib/python3
      'usr/lib/python3.*' usr/lib/x86_64-linux-gnu/perl usr/share/perl
      usr/lib/x86_64-linux-gnu/gconv)
out=$VM/dom0-rootfs.cpio
guest_initrd=
adds=()
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help)
        cat <<EOT
usage: ci/xen/build-dom0-rootfs.sh [--add SRC:/DEST]... [--guest-initrd FILE] [--out FILE]
  Writes dom0's initramfs (uncompressed newc cpio, default $out)
  and prints its path.  Extra files: --add (repeatable; DEST ending in / keeps
  the name) and everything in \$BUILD/vm/dom0-extra/ (laid out as in dom0).
  /bin, /sbin, /lib are merged into /usr in dom0: extras go there.
  --guest-initrd  the guests' initramfs (default: build-guest-initrd.sh's)
  dom0 runs /coshare/test.sh: add it with --add SCRIPT:/coshare/test.sh.
EOT
        exit 0;;
    --add) adds+=("$2"); shift 2;;
    --guest-initrd) guest_initrd=$2; shift 2;;
    --out) out=$2; shift 2;;
    *) die "unknown argument '$1' (see --help)";;
    esac
done
[ -n "$guest_initrd" ] || guest_initrd=$("$CI_XEN/build-guest-initrd.sh")

# The rootfs is merged-/usr: a cpio entry for a real /bin or /lib directory
# would replace the symlink, so extras headed there go to /usr instead.
usr_path() {
    case "$1" in
    /bin|/bin/*|/sbin|/sbin/*|/lib|/lib/*|/lib64|/lib64/*) echo "/usr$1";;
    *) echo "$1";;
    esac
}

tree=$("$CI_XEN/mkroot.sh" dom0-tree minbase "$DOM0_PKGS")
v=$(dpkg-query --admindir="$tree/var/lib/dpkg" -W -f='${Version}' xen-utils-4.17)
[ "$v" = "$XEN_DEB_VERSION" ] || die "dom0 has xen-utils-4.17 $v, want $XEN_DEB_VERSION"
kver=$(host_kver)

# Base: the tree, then a layer with modules, the guest kernel and the overlay.
key=$(hash_inputs "tree=$tree" "$kver" "$DOM0_MODULES" "${TRIM[*]}" "$0" "$CI_XEN/lib.sh" \
    "$CI_XEN/dom0" "/boot/vmlinuz-$kver")
base=$VM/dom0-base-$key.cpio
exec 9>"$VM/dom0-base.lock"
flock 9
if [ ! -s "$base" ]; then
    say "packing the dom0 base from $tree (kernel $kver)"
    layer=$VM/dom0-layer
    rm -rf "$layer"
    mkdir -p "$layer/usr/lib/modules/$kver" "$layer/coshare/guest"
    for m in $DOM0_MODULES; do
        modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
    done | sort -u | while read -r ko; do
        mkdir -p "$layer/usr$(dirname "$ko")"
        cp "$ko" "$layer/usr$ko"
    done
    cp /lib/modules/"$kver"/modules.{builtin,builtin.modinfo,order} "$layer/usr/lib/modules/$kver/"
    depmod -b "$layer/usr" "$kver"
    vmlinux=$VM/guest/vmlinux-$kver
    [ -s "$vmlinux" ] || { mkdir -p "$VM/guest"; "$CI_XEN/extract-vmlinux.sh" "/boot/vmlinuz-$kver" "$vmlinux"; }
    cp "$vmlinux" "$layer/coshare/guest/vmlinux"
    cp -a "$CI_XEN/dom0/." "$layer/"
    {
        prune=(-false)
        for p in "${TRIM[@]}"; do prune+=(-o -path "./$p"); done
        (cd "$tree" && find . -mindepth 1 \( "${prune[@]}" \) -prune -o -print |
            LC_ALL=C sort | cpio -o -H newc --quiet)
        pack_cpio "$layer"
    } > "$base.tmp"
    mv "$base.tmp" "$base"
    rm -rf "$layer"
    for old in "$VM"/dom0-base-*.cpio; do [ "$old" = "$base" ] || rm -f "$old"; done
    say "dom0 base $(du -m "$base" | cut -f1) MiB"
fi
flock -u 9

# Per-run layer: extras from the directory, then --add, then the guest initrd.
stage=$(mktemp -d "$VM/dom0-extra-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
extra=$VM/dom0-extra
mkdir -p "$extra"
for e in "$extra"/* "$extra"/.[!.]*; do
    [ -e "$e" ] || continue
    dest=$(usr_path "/$(basename "$e")")
    mkdir -p "$stage$(dirname "$dest")"
    cp -a "$e" "$stage$dest"
done
specs=()
for a in "${adds[@]}"; do specs+=("${a%%:*}:$(usr_path "${a#*:}")"); done
stage_adds "$stage" "${specs[@]}" "$guest_initrd:/coshare/guest/initrd.gz"
mkdir -p "$(dirname "$out")"
{ cat "$base"; pack_cpio "$stage"; } > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
