#!/usr/bin/env bash
# The guest module's in-kernel smoke test: builds coshare.ko, packs it with
# busybox and init.sh into an initramfs, boots Debian's kernel under QEMU
# TCG (no KVM here) and fails unless every check in init.sh passed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${BUILD:-$root/build}/module-smoke
KDIR=${KDIR:-$(ls -d /usr/src/linux-headers-*-amd64 | sort -V | tail -n 1)}
KVER=${KDIR#/usr/src/linux-headers-}
kernel=/boot/vmlinuz-$KVER
[ -r "$kernel" ] || { echo "module-smoke: no $kernel to boot" >&2; exit 1; }

echo "module-smoke: building coshare.ko against $KVER"
make -s -C "$root/guest-driver" KDIR="$KDIR"

echo "module-smoke: packing the initramfs"
rm -rf "$out"
ir=$out/initramfs
mkdir -p "$ir"/{bin,proc,sys,dev,tmp,mnt,lib/modules} "$out/prog"
cp /bin/busybox "$ir/bin/"
for a in $(/bin/busybox --list); do
    [ "$a" = busybox ] || ln -sf busybox "$ir/bin/$a"
done
cp "$root/guest-driver/coshare.ko" "$ir/lib/modules/"
for m in crc16 crc32c_generic mbcache jbd2 ext4 loop; do
    cp "$(modinfo -k "$KVER" -n $m)" "$ir/lib/modules/$m.ko"
done
gcc -O2 -static -I"$root/hyp-iface/engine" -o "$ir/bin/fpcheck" \
    "$here/fpcheck.c" "$root/hyp-iface/engine/cs_hash.c"
cp /bin/busybox "$out/prog/"
mke2fs -q -t ext4 -d "$out/prog" "$ir/prog.img" 8M
cp "$here/init.sh" "$ir/init"
(cd "$ir" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initramfs.gz"

echo "module-smoke: booting $kernel under QEMU TCG"
start=$(date +%s)
timeout 900 qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 512 \
    -nographic -no-reboot -kernel "$kernel" -initrd "$out/initramfs.gz" \
    -append "console=ttyS0 panic=-1 quiet loglevel=4" \
    < /dev/null > "$out/console.log" 2>&1 || true
grep -a -E "SMOKE:|coshare:|fpcheck:|fingerprints by class|MemFree" \
    "$out/console.log" || true
echo "module-smoke: QEMU ran $(( $(date +%s) - start )) s"
if grep -aq "SMOKE: DONE 0" "$out/console.log"; then
    echo "module-smoke: passed"
    exit 0
fi
echo "module-smoke: FAILED (console log: $out/console.log)" >&2
grep -a -E "BUG|Oops|WARNING|Call Trace" "$out/console.log" | head -20 >&2 || true
exit 1
