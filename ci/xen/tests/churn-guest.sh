#!/bin/sh
# Runs inside each guest of tcg-baseline.sh (coshare.run=): a memory churn
# that keeps the vCPU busy with page faults, interrupts and MSR writes:
# write a 32 MiB tmpfs file, delete it, pause 2 s, 60 times.  coshare.ko is
# not loaded: the point is the emulator, not coshare.
say() { echo "COSHARE-PROBE name=$COSHARE_NAME $*"; }
i=0
while [ $i -lt 60 ]; do
    yes "churn $COSHARE_NAME $i" | head -c 33554432 > /tmp/churn
    rm /tmp/churn
    sleep 2
    i=$((i + 1))
done
say "step=churned rounds=$i"
