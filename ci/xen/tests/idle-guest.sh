#!/bin/sh
# Runs inside each guest of idle-guests.sh (coshare.run=): loads coshare.ko
# and lets it hint, runs its workload (coshare.work=: idle, random:MIB or
# pattern:MIB, a tmpfs file of random data or of a repeated line), then
# idles, and prints its counters and fingerprint dump once settled.
# repay_percent=0: the guest keeps only fifo_slack volatile pages and leans
# on the host's reserve, the setting for the largest saving (100 makes
# every fault repayable; see the README).
S=/sys/kernel/mm/coshare
say() { echo "COSHARE-PROBE name=$COSHARE_NAME $*"; }
if insmod /coshare/coshare.ko free_order=1; then
    echo 0 > $S/repay_percent
    echo 200 > $S/sleep_millisecs
    echo 1 > $S/run
    say "step=module mode=$(cat $S/mode)"
else
    say "step=module-error insmod"
fi
work=idle
for arg in $(cat /proc/cmdline); do
    case "$arg" in coshare.work=*) work=${arg#*=};; esac
done
bytes=$((${work#*:} * 1048576))
case "$work" in
random:*) head -c $bytes /dev/urandom > /tmp/data;;
pattern:*) yes coshare-pattern-page | head -c $bytes > /tmp/data;;
esac
say "step=work $work bytes=$(cat /tmp/data 2>/dev/null | wc -c) end"
# What the module saw once the guest settled, for the dom0 log.
sleep 90
line=""
for f in full_scans hinted_kernel_text shared_kernel_text hinted_kernel_rodata \
         hinted_process_text shared_process_text hinted_free shared_free \
         hinted_in_use shared_in_use \
         fifo_depth bonus; do
    line="$line $f=$(cat $S/$f)"
done
say "step=settled$line memfree_kb=$(awk '/MemFree/ {print $2}' /proc/meminfo) buddy=$(awk '{ s = ""; for (i = 5; i <= NF; i++) s = s $i "/"; printf "%s:%s ", $4, s }' /proc/buddyinfo)"
# What it hinted and the hash each page had then (gzip, base64): dom0
# compares all guests' dumps (coshare-fpcompare) with the real saving.
say "step=fingerprints $(gzip -c < $S/fingerprints | base64 | tr -d '\n')"
