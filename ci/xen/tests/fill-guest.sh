#!/bin/sh
# Runs inside each guest of overcommit-storm.sh (coshare.run=): loads
# coshare.ko (coshare.fifo=off: no volatile pages, the control run), lets it
# hint, and when dom0 sends sysrq 'h' (xl sysrq NAME h) writes a tmpfs file
# of random data as large as its free memory less a margin: most of the free
# pages it had shared get written.  The checksum of each MiB must match the
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
# would be one of a few).  Written a MiB at a time, each MiB's checksum
# taken from the stream that wrote it, with a progress line every
# PROGRESS_MIB, so that dom0 tells a slow fill from a stalled one.
PROGRESS_MIB=4
mkdir -p /fill && mount -t tmpfs -o size=$((mib + 1))m fill /fill
: > /fill.sums
i=0
while [ $i -lt $mib ]; do
    head -c 1048576 /dev/urandom | tee -a /fill/data | md5sum |
        cut -d' ' -f1 >> /fill.sums
    i=$((i + 1))
    [ $((i % PROGRESS_MIB)) = 0 ] && say "step=fill-progress mib=$i of=$mib"
done
written=$(($(wc -c < /fill/data) / 1048576))
intact=yes bad=0
i=0
while read -r want; do
    got=$(dd if=/fill/data bs=1048576 skip=$i count=1 2>/dev/null | md5sum |
          cut -d' ' -f1)
    [ "$want" = "$got" ] || { intact=no; bad=$((bad + 1)); }
    i=$((i + 1))
done < /fill.sums
[ "$written" = "$mib" ] || intact=no
say "step=filled mib=$written intact=$intact bad_mib=$bad$(counters)"
