#!/bin/sh
# Runs inside each guest of idle-guests.sh (coshare.run=): loads coshare.ko
# and lets it hint, then idles.  repay_percent=0: the guest keeps only
# fifo_slack volatile pages and leans on the host's reserve, the setting for
# the largest saving (100 makes every fault repayable; see the README).
S=/sys/kernel/mm/coshare
say() { echo "COSHARE-PROBE name=$COSHARE_NAME $*"; }
if insmod /coshare/coshare.ko; then
    echo 0 > $S/repay_percent
    echo 200 > $S/sleep_millisecs
    echo 1 > $S/run
    say "step=module mode=$(cat $S/mode)"
else
    say "step=module-error insmod"
fi
