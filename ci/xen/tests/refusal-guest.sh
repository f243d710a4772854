#!/bin/sh
# Runs in the guests of module-refusals.sh: coshare.ko must refuse to load
# (stock Xen, or a classic PV guest) and say why in the kernel log.
insmod /coshare/coshare.ko
rc=$?
msg=$(dmesg | grep "coshare:" | tail -n 1 | sed 's/^\[[^]]*\] //')
echo "COSHARE-PROBE name=$COSHARE_NAME step=refusal rc=$rc msg=$msg"
