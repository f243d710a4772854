#!/usr/bin/env bash
# Builds the guests' Debian userland: a bookworm tree (mkroot.sh) with
# systemd, sshd, cron and Python, as an ext4 image.  QEMU gives it to dom0 as
# a read-only virtio disk; every guest gets it read-only as xvda (blkback)
# and boots it under a tmpfs overlay (ci/xen/guest/init, coshare.root=), so
# all guests run the same Debian binaries, as a fleet of VMs from one image
# does.  A unit in the image runs ci/xen/guest/ready once systemd has booted.
# Cached by a hash of the inputs; prints the image's path.
set -euo pipefail
PROG=build-guest-disk
. "$(dirname "$0")/lib.sh"

GUEST_PKGS=systemd-sysv,udev,dbus,cron,openssh-server,python3,procps,kmod,iproute2,less,gzip
case "${1:-}" in
-h|--help)
    cat <<EOT
usage: ci/xen/build-guest-disk.sh
  Prints \$BUILD/vm/guest/debian-<hash>.ext4, the read-only root of the
  guests that run a Debian userland (run-xen.sh --guest-disk).  Packages:
  $GUEST_PKGS.
EOT
    exit 0;;
"") ;;
*) die "unknown argument '$1' (see --help)";;
esac

tree=$("$CI_XEN/mkroot.sh" guest-tree minbase "$GUEST_PKGS")
key=$(hash_inputs "tree=$tree" "$0" "$CI_XEN/lib.sh")
out=$VM/guest/debian-$key.ext4
if [ -s "$out" ]; then echo "$out"; exit 0; fi

say "packing the guests' Debian image from $tree"
stage=$(mktemp -d "$VM/guest/disk-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cp -a "$tree/." "$stage/"
rm -f "$stage/.complete"
# The guest's name comes from the kernel command line (guest/init writes
# /etc/hostname in the overlay); machine-id is made at first boot.
: > "$stage/etc/machine-id"
mkdir -p "$stage/coshare" "$stage/etc/systemd/system/multi-user.target.wants"
cat > "$stage/etc/systemd/system/coshare-guest.service" <<'EOT'
# coshare's test hook: prints "COSHARE-GUEST: READY" on hvc0 once systemd has
# finished booting, then runs the script named by coshare.run= (guest/ready,
# which opens hvc0 itself).
[Unit]
Description=coshare guest hook
After=multi-user.target
DefaultDependencies=no

[Service]
Type=simple
ExecStart=/coshare/ready --wait-for-boot
StandardOutput=journal
EOT
ln -s ../coshare-guest.service "$stage/etc/systemd/system/multi-user.target.wants/"
# Nothing here has a network or a clock to sync.  No login prompt on hvc0:
# the console carries the test's lines, which a prompt would cut into.
for u in systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer \
         e2scrub_all.timer fstrim.timer serial-getty@hvc0.service; do
    ln -sf /dev/null "$stage/etc/systemd/system/$u"
done
mb=$(( $(du -sm "$stage" | cut -f1) * 5 / 4 + 64 ))
rm -f "$out.tmp"
mke2fs -q -t ext4 -L coshare-guest -d "$stage" "$out.tmp" "${mb}M" >&2
mv "$out.tmp" "$out"
for old in "$VM"/guest/debian-*.ext4; do [ "$old" = "$out" ] || rm -f "$old"; done
say "guest disk ${mb} MiB ($(du -m "$stage" -s | cut -f1) MiB of files)"
echo "$out"
