#!/bin/sh
# /init of the module smoke test: runs inside Debian's kernel under QEMU
# without Xen.  Prints "SMOKE: ok ..." per check, "SMOKE: FAIL ..." on any
# failure, and "SMOKE: DONE <failures>" last; then powers off.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fails=0
ok()   { echo "SMOKE: ok $*"; }
fail() { echo "SMOKE: FAIL $*"; fails=$((fails + 1)); }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else fail "$desc"; fi; }
S=/sys/kernel/mm/coshare
M=/lib/modules

# A real filesystem, so that a running program's text is clean page cache.
for m in crc16 crc32c_generic mbcache jbd2 ext4 loop; do insmod $M/$m.ko; done
losetup /dev/loop0 /prog.img && mount -t ext4 -o ro /dev/loop0 /mnt
/mnt/busybox sleep 100000 &
SLEEPER=$!

# Without Xen, only estimate mode loads, and the refusal says why.
if insmod $M/coshare.ko 2>/dev/null; then
    fail "refuses to load without Xen in auto mode"; rmmod coshare
else
    dmesg | grep -q "coshare: not running on Xen: load with mode=estimate" &&
        ok "refuses without Xen, with a clear message" ||
        fail "refusal message missing"
fi
! insmod $M/coshare.ko mode=estimate free_order=0 2>/dev/null &&
    dmesg | grep -q "coshare: free_order=0: must be 1.." &&
    ok "refuses free_order=0, saying why" || fail "free_order=0 accepted or unexplained"
check "loads in estimate mode" insmod $M/coshare.ko mode=estimate
check "mode is estimate" [ "$(cat $S/mode)" = estimate ]

knobs="run hint_kernel_text hint_kernel_rodata hint_process_text hint_free hint_in_use pages_to_scan in_use_pages_to_scan sleep_millisecs batch_size fifo_slack repay_percent"
counters="backed_off unshared_seen hypercall_errors full_scans cow_faults fifo_depth fifo_orphans bonus reclaimed given_back notifications refill_stalls need_volatile not_allowed cpu_us"
for k in hinted shared inserted skipped errors; do
    for c in kernel_text kernel_rodata process_text free in_use; do
        counters="$counters ${k}_$c"
    done
done
missing=0
for f in $knobs $counters mode fingerprints; do
    [ -r $S/$f ] || { echo "missing $S/$f"; missing=$((missing + 1)); }
done
check "every sysfs file is there ($(echo $knobs $counters | wc -w) + 2)" [ $missing = 0 ]
extra=
for f in $(ls $S); do
    case " $knobs $counters mode fingerprints " in
    *" $f "*) ;;
    *) extra="$extra $f";;
    esac
done
check "no sysfs file but those${extra:+ (also:$extra)}" [ -z "$extra" ]
check "fingerprints readable by root only" [ "$(stat -c %a $S/fingerprints)" = 400 ]
for f in $counters; do
    v=$(cat $S/$f); case "$v" in ''|*[!0-9]*) fail "counter $f reads '$v'";; esac
done
ok "counters read as numbers"

# Every bad write is refused and changes nothing.
bad_write() {   # knob value
    before=$(cat $S/$1)
    if echo "$2" > $S/$1 2>/dev/null; then
        fail "write '$2' to $1 accepted"
    elif [ "$(cat $S/$1)" != "$before" ]; then
        fail "write '$2' to $1 changed it"
    fi
}
for k in $knobs; do
    for v in abc -1 "" 1x 99999999999999999999999 0x10; do bad_write $k "$v"; done
done
bad_write run 3; bad_write batch_size 0; bad_write batch_size 513
bad_write hint_free 2; bad_write sleep_millisecs 0; bad_write repay_percent 101
ok "bad writes refused"
( echo 5 > $S/full_scans ) 2>/dev/null && fail "counter writable" || ok "counters are read-only"
check "good write accepted" sh -c "echo 256 > $S/batch_size && [ \$(cat $S/batch_size) = 256 ]"

echo 20 > $S/sleep_millisecs
# Free page reporting's first round (2 s after load) found run off and went
# idle: turning run on must have it offer the free blocks again.
sleep 3
echo 1 > $S/run
i=0
while [ "$(cat $S/full_scans)" -lt 1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
check "a full scan completes" [ "$(cat $S/full_scans)" -ge 1 ]
check "its CPU time is counted ($(cat $S/cpu_us) us)" [ "$(cat $S/cpu_us)" -gt 0 ]
check "kernel text collected" [ "$(cat $S/hinted_kernel_text)" -gt 100 ]
check "kernel rodata collected" [ "$(cat $S/hinted_kernel_rodata)" -gt 100 ]
check "process text collected" [ "$(cat $S/hinted_process_text)" -gt 10 ]
# The in-use walk: initramfs files are page cache, and boot leaves zero pages.
i=0
while [ "$(cat $S/hinted_in_use)" -lt 1000 ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
check "in-use pages collected ($(cat $S/hinted_in_use))" [ "$(cat $S/hinted_in_use)" -gt 1000 ]
# Free page reporting reports free blocks a few seconds after a request.
i=0
while [ "$(cat $S/hinted_free)" = 0 ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
check "free pages reported ($(cat $S/hinted_free))" [ "$(cat $S/hinted_free)" -gt 1000 ]

cat $S/fingerprints > /tmp/fp
size=$(wc -c < /tmp/fp)
check "fingerprints: $size bytes, whole records" [ "$size" -gt 0 -a $((size % 16)) = 0 ]
# Records: hash (2 x u32), class, flags.
od -A n -t u4 -v /tmp/fp | awk '{ n[$3]++; if ($4 != 0) bad++ }
    END { printf "%d %d %d %d %d %d\n", n[0], n[1], n[2], n[3], n[4], bad }' > /tmp/cls
read kt ro pt fr iu bad < /tmp/cls
echo "fingerprints by class: kernel_text=$kt kernel_rodata=$ro process_text=$pt free=$fr in_use=$iu"
check "kernel text fingerprints" [ "$kt" -gt 100 ]
check "process text fingerprints" [ "$pt" -gt 10 ]
check "free page fingerprints" [ "$fr" -gt 1000 ]
check "in-use fingerprints" [ "$iu" -gt 1000 ]
check "no record has flags set" [ "${bad:-0}" = 0 ]
# The sleeper's text: busybox on ext4 must be among the fingerprints.
check "a running program's text is fingerprinted" /bin/fpcheck /mnt/busybox /tmp/fp

echo 0 > $S/run
check "unloads" rmmod coshare

# Load/unload 100 times: no leak in counters, MemFree or slab.  The
# baseline is taken after ten cycles like the loop's, so that what the first
# scans set up once in the kernel is not counted as a leak.  Each reading
# comes after sync, drop_caches and a pause: a single CI run once read 2 MiB
# more free memory at the baseline than ever before or after (deferred frees
# and per-CPU page lists move MemFree by that much).
mem() {
    sync; echo 3 > /proc/sys/vm/drop_caches; sleep 1
    awk '/^MemFree:/ { f = $2 } /^Slab:/ { s = $2 } END { print f, s }' /proc/meminfo
}
i=0
while [ $i -lt 10 ]; do
    insmod $M/coshare.ko mode=estimate && echo 1 > $S/run && rmmod coshare
    i=$((i + 1))
done
read free0 slab0 <<EOM
$(mem)
EOM
i=0; reload_fail=0
while [ $i -lt 100 ]; do
    insmod $M/coshare.ko mode=estimate || reload_fail=1
    [ "$(cat $S/full_scans)" = 0 -a "$(cat $S/hinted_kernel_text)" = 0 ] || reload_fail=2
    echo 1 > $S/run
    rmmod coshare || reload_fail=3
    i=$((i + 1))
done
read free1 slab1 <<EOM
$(mem)
EOM
echo "MemFree ${free0} -> ${free1} kB, Slab ${slab0} -> ${slab1} kB"
check "100 reloads, counters start from zero" [ $reload_fail = 0 ]
check "MemFree after 100 reloads within 2 MiB" [ $((free0 - free1)) -lt 2048 ]
check "Slab after 100 reloads within 1 MiB" [ $((slab1 - slab0)) -lt 1024 ]

kill $SLEEPER
echo "SMOKE: DONE $fails"
poweroff -f
