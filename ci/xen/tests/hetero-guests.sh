#!/bin/sh
# Heterogeneous guests (runs in dom0): the idle-guests measurement with a
# different workload in each guest (idle-guest.sh): one idle; one filling
# 96 MiB of tmpfs with random data (nothing to share); two writing the same
# 64 MiB pattern file (shareable, but tmpfs data is no hint class: the
# oracle shows what coshare leaves).  The idle
# goals do not apply; the figures are reported as they are.
SCENARIO=hetero-guests
WORKLOADS="idle random:96 pattern:64 pattern:64"
. /coshare/lib.sh
pin_guests      # with these busy guests on both CPUs, QEMU lost one now and then
. /coshare/idle-guests.sh
