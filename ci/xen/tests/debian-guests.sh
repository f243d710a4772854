#!/bin/sh
# Debian guests (runs in dom0; `make demo`): the idle-guests measurement with
# guests that boot a real Debian userland with systemd (sshd, cron, dbus,
# journald, udev) from one read-only image (build-guest-disk.sh), as a fleet
# of VMs made from one template does.  Besides the kernel, all guests run
# the same binaries and libraries from the same disk: coshare shares their
# page cache as process text.  The busybox goals do not apply; the figures
# are reported as they are.
SCENARIO=debian-guests
COSHARE_DEBIAN=1
export COSHARE_DEBIAN
. /coshare/idle-guests.sh
