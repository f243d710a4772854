#!/bin/sh
# Heterogeneous guests (runs in dom0): the idle-guests measurement with a
# different workload in each guest (idle-guest.sh): one idle; one filling
# 96 MiB of tmpfs with random data (nothing to share); two writing the same
# 64 MiB pattern file (shareable, but tmpfs data is no hint class: the
# oracle shows what coshare leaves).  The idle
# goals do not apply; the figures are reported as they are.
SCENARIO=hetero-guests
WORKLOADS="idle random:96 pattern:64 pattern:64"
# Every guest on physical CPU 1, as in overcommit-storm.sh: with these
# busy guests on both CPUs, QEMU lost one to a triple fault now and then.
export COSHARE_GUEST_CPUS=1
. /coshare/idle-guests.sh
