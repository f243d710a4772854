#!/bin/sh
# Runs inside each guest of overcommit-storm.sh (coshare.run=): loads
# coshare.ko (coshare.fifo=off: no volatile pages, the control run), lets it
# hint, and when dom0 sends sysrq 'h' (xl sysrq NAME h) writes a tmpfs file
# of random data as large as its free memory less a margin: most of the free
# pages it had shared get written.  The file's checksum must match the
# stream that wrote it.
S=/sys/kernel/mm/coshare
MARGIN_MIB=24
say() { echo "COSHARE-PROBE name=$COSHARE_NAME $*"; }
counters() {
    for f in fifo_depth bonus reclaimed notifications refill_stalls shared_free; do
        printf ' %s=%s' $f "$(cat $S/$f)"
    done
}
if ! insmod /coshare/coshare.ko free_order=1; then
    say "step=module-error insmod"
    exit 0
fi
if grep -q coshare.fifo=off /proc/cmdline; then
    echo 0 > $S/fifo_slack
    echo 0 > $S/repay_percent
fi
echo 200 > $S/sleep_millisecs
echo 1 > $S/run
say "step=module mode=$(cat $S/mode)"

until dmesg | grep -q "sysrq: HELP"; do sleep 1; done
mib=$(($(awk '/MemFree/ {print $2}' /proc/meminfo) / 1024 - MARGIN_MIB))
say "step=fill-start mib=$mib$(counters)"
# Random data: no two pages alike, so the hints cannot win back by sharing
# the file what its writes cost (a repeated line could: every page of it
# would be one of a few).
mkdir -p /fill && mount -t tmpfs -o size=$((mib + 1))m fill /fill
want=$(head -c $((mib * 1048576)) /dev/urandom | tee /fill/data | md5sum |
       cut -d' ' -f1)
written=$(($(wc -c < /fill/data) / 1048576))
got=$(md5sum < /fill/data | cut -d' ' -f1)
intact=no
[ "$want" = "$got" ] && intact=yes
say "step=filled mib=$written intact=$intact$(counters)"
