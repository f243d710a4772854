#!/bin/sh
# Runs inside each PVH guest of coshare-smoke.sh (coshare.run=): loads
# coshare.ko against the patched Xen, lets it hint kernel, program text and
# free pages, then drives the raw ops with coshare-probe.  Guest g1 inserts
# a known pattern and keeps it; g2 hints the same pattern (so it must share
# with g1), writes every page (copy-on-write; dom0 makes reclaim pay for it)
# and then acts as a hostile guest; g3 does the same writes once the host
# has no free memory left (dom0 types a line when it is so); r1 unloads
# and loads coshare.ko again and again (reload_cycles); l1 and l2 (below)
# test stock sharing at a domain's limit.  Every result goes to the
# console as a COSHARE-PROBE line.
S=/sys/kernel/mm/coshare
say() { echo "COSHARE-PROBE name=$COSHARE_NAME $*"; }
avail_kb() { awk '/MemAvailable/ {print $2}' /proc/meminfo; }

insmod /coshare/coshare_probe.ko || say "step=probe-module error=insmod"

# reload_cycles N: unloads coshare.ko and loads it again N times while the
# guest shares.  Checksummed data in RAM (two files alike, so their pages
# share with each other, and one of random bytes) must read back after
# every step; each cycle also rewrites a chunk of both alike files.  A
# line per cycle says what the new load sees: its pool (fifo_depth), what
# the last load left registered (fifo_orphans), the bonus and the memory
# left available.
reload_cycles() {
    local n=$1 i=0 d=/tmp/reload usum t
    mkdir -p $d
    yes coshare-reload | head -c 4194304 > $d/a && cp $d/a $d/b &&
        head -c 2097152 /dev/urandom > $d/u || { say "step=reload-done error=setup"; return; }
    usum=$(sha256sum < $d/u)
    say "step=reload-start cycles=$n"
    intact() { cmp -s $d/a $d/b && [ "$(sha256sum < $d/u)" = "$usum" ]; }
    say "step=reload i=0 avail_kb=$(avail_kb)"
    while [ $i -lt "$n" ]; do
        i=$((i + 1))
        rmmod coshare || { say "step=reload-done i=$i error=rmmod"; return; }
        intact || { say "step=reload-done i=$i error=data-after-rmmod"; return; }
        head -c 65536 /dev/urandom > $d/chunk
        for f in a b; do
            dd if=$d/chunk of=$d/$f bs=64k seek=$((i * 7 % 64)) conv=notrunc 2>/dev/null
        done
        insmod /coshare/coshare.ko || { say "step=reload-done i=$i error=insmod"; return; }
        echo 10 > $S/sleep_millisecs; echo 1 > $S/run
        # The scanner's first round ends with the pool's first sync and
        # refill, in one hold of the module's lock: the bonus reads
        # non-zero from then on.
        t=0
        while [ "$(cat $S/bonus)" = 0 ] && [ $t -lt 240 ]; do
            sleep 0.5; t=$((t + 1))
        done
        intact || { say "step=reload-done i=$i error=data-after-insmod"; return; }
        say "step=reload i=$i full_scans=$(cat $S/full_scans)" \
            "fifo_depth=$(cat $S/fifo_depth) fifo_orphans=$(cat $S/fifo_orphans)" \
            "bonus=$(cat $S/bonus) hypercall_errors=$(cat $S/hypercall_errors)" \
            "avail_kb=$(avail_kb)"
    done
    say "step=reload-done cycles=$i"
}

# l1 and l2 (stock copy-on-write at a domain's limit) run no coshare.ko:
# dom0 shares their pages with Xen's stock ops.  l1 populates gfns above
# its RAM up to its max_pages, waits for dom0's line (its free pages are
# shared with l2's by then) and writes fresh memory as large as its free
# memory less a margin: every stock copy-on-write fault must get its page.
case "$COSHARE_NAME" in
l1)
    stty -F /dev/hvc0 -echo 2>/dev/null     # dom0's line stays off the log
    mib=$(($(awk '/MemFree/ {print $2}' /proc/meminfo) / 1024 - 24))
    /coshare/coshare-probe fill-at-limit --pages $((mib * 256)) < /dev/hvc0 |
        while read -r l; do
            case "$l" in *'"at-limit"'*) say "step=at-limit $l";; *) say "step=filled $l";; esac
        done
    say "step=end"
    exit 0;;
l2)
    say "step=end"
    exit 0;;
esac

say "step=version $(/coshare/coshare-probe version)"

if insmod /coshare/coshare.ko; then
    say "step=module mode=$(cat $S/mode)"
    echo 10 > $S/sleep_millisecs
    # coshare.fifo=off: no volatile pages at all (the storm's control run).
    if grep -q "coshare.fifo=off" /proc/cmdline; then
        echo 0 > $S/fifo_slack; echo 0 > $S/repay_percent
    fi
    echo 1 > $S/run
    i=0
    while [ "$(cat $S/full_scans)" -lt 2 ] && [ $i -lt 600 ]; do
        sleep 0.5; i=$((i + 1))
    done
    sleep 5     # free page reporting runs a few seconds after boot
    line=""
    for f in full_scans hypercall_errors hinted_kernel_text shared_kernel_text \
             inserted_kernel_text hinted_kernel_rodata shared_kernel_rodata \
             hinted_process_text shared_process_text hinted_free shared_free \
             inserted_free skipped_free errors_free hinted_in_use shared_in_use; do
        line="$line $f=$(cat $S/$f)"
    done
    say "step=counters$line"
else
    say "step=module error=insmod"
fi

case "$COSHARE_NAME" in
g1|g1*)
    /coshare/coshare-probe share --pattern 7 --pages 2048 --hold 100000 |
        while read -r l; do say "step=share $l"; done &
    # dom0 balloons g1 later. Unscrubbed, the free pages given back are
    # still shared when Xen takes them (scrubbing would unshare each first).
    B=/sys/devices/system/xen_memory/xen_memory0
    echo 0 > $B/scrub_pages
    (last=; while :; do
        kb=$(cat $B/info/current_kb)
        [ "$kb" = "$last" ] || say "step=balloon current_kb=$kb MiB"
        last=$kb; sleep 1
    done) &
    ;;
r1)
    # coshare-smoke 3c: coshare.reloads=N reloads while r1 shares.
    reload_cycles "$(sed -n 's/.*coshare\.reloads=\([0-9]*\).*/\1/p' /proc/cmdline)"
    ;;
g3|g3*)
    # Shares the pattern with g1 and waits for dom0's line, typed once the
    # host's free memory is used up, then writes every page: the faults
    # must be paid by reclaim.
    stty -F /dev/hvc0 -echo 2>/dev/null     # dom0's line stays off the log
    /coshare/coshare-probe share --pattern 7 --pages 2048 --write --wait-line \
        < /dev/hvc0 | while read -r l; do
            case "$l" in *'"waiting"'*) say "step=hinted $l";; *) say "step=storm $l";; esac
        done
    # Once dom0 has taken the filler away, every page Xen reclaimed from
    # the pool gets memory again and goes back to the allocator.
    t=0
    while [ "$(cat $S/given_back)" -lt "$(cat $S/reclaimed)" ] && [ $t -lt 240 ]; do
        sleep 0.5; t=$((t + 1))
    done
    say "step=given-back reclaimed=$(cat $S/reclaimed) given_back=$(cat $S/given_back) avail_kb=$(avail_kb)"
    ;;
g2)
    say "step=share-write $(/coshare/coshare-probe share --pattern 7 --pages 2048 --write)"
    sleep 3     # the refill work runs after the last VIRQ
    say "step=refill notifications=$(cat $S/notifications) reclaimed=$(cat $S/reclaimed) fifo_depth=$(cat $S/fifo_depth) bonus=$(cat $S/bonus) refill_stalls=$(cat $S/refill_stalls)"
    say "step=hostile $(/coshare/coshare-probe hostile --ops 20000 --seed 42)"
    ;;
esac
say "step=end"
