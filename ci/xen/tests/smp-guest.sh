#!/bin/sh
# Runs inside each guest of smp-guests.sh (coshare.run=).  coshare.ko at its
# defaults (every class on, hint_in_use=2) but scanning every 20 ms, while
# on every vCPU at once, for coshare.seconds=S:
#  - writers rewrite pages of a tmpfs file every guest holds too (shared
#    again and again, then written: copy-on-write) and read each write back;
#  - one process rewrites a file with pwrite while another maps it
#    PROT_EXEC (process text) and checks each version it reads;
#  - coshare.role=ftrace: the function tracer on and off in a loop, on
#    every 8th function (spread over the text, it rewrites most kernel text
#    pages), and how much kernel text is shared again after each round;
#    coshare.role=modules: modules loaded and unloaded in a loop (module
#    text is hinted, then freed and reused; test_static_keys patches text).
# At the end: none of the kernel's page tables may be shared.
# The hostile phase instead: coshare.role=hostile attacks through Xen's own
# memory and grant ops on two vCPUs (coshare-probe hostile-memory,
# coshare.rounds=N), its first pages granted to dom0;
# coshare.role=partner holds the same content, and once dom0 types a line
# on its console writes and checks every page of it.
# coshare.hint=0 (smp-control.sh) loads coshare.ko but leaves it idle.
S=/sys/kernel/mm/coshare
say() { echo "COSHARE-PROBE name=$COSHARE_NAME $*"; }
seconds=120 role=none rounds=20000 hint=1
FTRACE_EVERY=8
for arg in $(cat /proc/cmdline); do
    case "$arg" in
    coshare.seconds=*) seconds=${arg#*=};;
    coshare.role=*) role=${arg#*=};;
    coshare.rounds=*) rounds=${arg#*=};;
    coshare.hint=*) hint=${arg#*=};;
    esac
done

insmod /coshare/coshare_probe.ko || say "step=probe-module error=insmod"
if ! insmod /coshare/coshare.ko; then
    say "step=end error=insmod"
    exit 1
fi
# A heartbeat for dom0, which reports a guest that stops making progress.
while [ ! -e /tmp/done ]; do
    say "step=alive uptime=$(cut -d' ' -f1 /proc/uptime) full_scans=$(cat $S/full_scans) cow_faults=$(cat $S/cow_faults)"
    sleep 10
done &
echo 20 > $S/sleep_millisecs
[ "$hint" = 0 ] || echo 1 > $S/run
i=0
while [ "$hint" != 0 ] && [ "$(cat $S/full_scans)" -lt 2 ] && [ $i -lt 600 ]; do
    sleep 0.5; i=$((i + 1))
done
say "step=start vcpus=$(nproc) seconds=$seconds role=$role"

case "$role" in
hostile)
    # Its lines: hostile-grants (dom0 maps those refs meanwhile),
    # hostile-rounds-done (then it waits for dom0's line), hostile-memory.
    stty -F /dev/hvc0 -echo 2>/dev/null     # dom0's line stays off the log
    /coshare/coshare-probe hostile-memory --rounds "$rounds" --pattern 7 \
        --pages 512 --grantee 0 --wait-line < /dev/hvc0 |
        while read -r step json; do say "step=$step $json"; done
    touch /tmp/done
    say "step=end"
    exit 0;;
partner)
    stty -F /dev/hvc0 -echo 2>/dev/null     # dom0's line stays off the log
    /coshare/coshare-probe share --pattern 7 --pages 512 --write --wait-line \
        < /dev/hvc0 | while read -r l; do say "step=partner $l"; done
    touch /tmp/done
    say "step=end"
    exit 0;;
esac

/coshare/coshare-probe writers --file /tmp/shared.dat --pages 2048 \
    --seconds "$seconds" > /tmp/writers.json 2>&1 &
writers=$!
/coshare/coshare-probe exec-rewrite --file /tmp/exec.dat --pages 256 \
    --seconds "$seconds" > /tmp/exec.json 2>&1 &
rewriter=$!
end=$(($(date +%s) + seconds))

ftrace_rounds() {
    T=/sys/kernel/tracing
    mount -t tracefs nodev $T 2>/dev/null
    [ -w $T/current_tracer ] || { say "step=ftrace error=no-tracefs"; return; }
    up() { cut -d' ' -f1 /proc/uptime; }
    secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
    # Kernel text pages shared now (coshare-probe hints them again).
    text() { [ "$hint" = 0 ] || /coshare/coshare-probe kernel-text; }
    # Every FTRACE_EVERY-th traceable function, by index (ascending
    # addresses, so spread over all of the text: 4,797 functions started
    # in 2,191 of the 3,585 text pages; an index costs no name lookup):
    # the function tracer over all of them kept this 4-vCPU guest's vCPUs
    # in the kernel for 130-200 s under emulation with coshare idle
    # (smp-control), and its soft-lockup watchdog fired.
    ts=$(up)
    n=$(wc -l < $T/available_filter_functions)
    seq 1 "$FTRACE_EVERY" "$n" > $T/set_ftrace_filter ||
        { say "step=ftrace error=filter"; return; }
    say "step=text-before $(text)"
    say "step=ftrace-filter functions=$(wc -l < $T/set_ftrace_filter) of=$n" \
        "setup_s=$(secs "$ts" "$(up)")"
    r=0
    # At least one round, however long the set-up took.
    while [ "$r" = 0 ] || [ "$(date +%s)" -lt "$end" ]; do
        f0=$(cat $S/cow_faults)
        # Patching the calls in and out rewrites the text; tracing itself
        # only slows everything down under emulation.
        # How long each patching pass keeps this vCPU in the kernel.
        t0=$(up)
        echo function > $T/current_tracer || { say "step=ftrace error=tracer"; return; }
        t1=$(up)
        sleep 1
        t2=$(up)
        echo nop > $T/current_tracer
        t3=$(up)
        s0=$(cat $S/shared_kernel_text) f1=$(cat $S/cow_faults)
        sleep 12     # coshare.ko hints kernel text again every 5 s
        say "step=ftrace round=$r reshared=$(($(cat $S/shared_kernel_text) - s0))" \
            "faults=$((f1 - f0))" \
            "on_s=$(secs "$t0" "$t1") off_s=$(secs "$t2" "$t3") $(text)"
        r=$((r + 1))
    done
}

# In load order, then the order to unload them.
MODS="test_static_key_base test_static_keys binfmt_misc nls_utf8 xxhash_generic brd"
RMODS="brd xxhash_generic nls_utf8 binfmt_misc test_static_keys test_static_key_base"
module_rounds() {
    r=0 bad=0
    while [ "$(date +%s)" -lt "$end" ]; do
        for m in $MODS; do insmod /coshare/mods/$m.ko || bad=$((bad + 1)); done
        sleep 1
        for m in $RMODS; do rmmod "$m" || bad=$((bad + 1)); done
        r=$((r + 1))
    done
    say "step=modules rounds=$r failed=$bad"
}

case "$role" in
ftrace) ftrace_rounds;;
modules) module_rounds;;
esac
wait $writers $rewriter
touch /tmp/done
wait
say "step=writers $(tail -n 1 /tmp/writers.json)"
say "step=exec $(tail -n 1 /tmp/exec.json)"
say "step=pagetables $(/coshare/coshare-probe pagetables)"
line=""
for f in full_scans hypercall_errors cow_faults shared_kernel_text \
         shared_process_text shared_free shared_in_use inserted_in_use; do
    line="$line $f=$(cat $S/$f)"
done
say "step=counters$line"
say "step=end"
