#!/bin/sh
# Multi-vCPU guests (runs in dom0): a 2-vCPU and a 4-vCPU guest, their vCPUs
# free to run on both physical CPUs, coshare.ko at its defaults scanning
# every 20 ms, each writing on every vCPU at once for COSHARE_SMP_SECONDS
# (smp-guest.sh: page cache shared across the guests and rewritten, a file
# mapped PROT_EXEC and rewritten with pwrite; g2 turns ftrace's function
# tracer on and off, g1 loads and unloads modules).  Every write must read
# back, no guest may crash, the audit stays clean throughout, kernel text
# is shared again after each ftrace round, and none of the kernel's page
# tables is ever shared.
. /coshare/lib.sh
. /coshare/coshare-lib.sh

SECONDS_RUN=${COSHARE_SMP_SECONDS:-240}
COSHARE_ON_CREATE=enable_coshare
# Under emulation, turning the function tracer on takes a 4-vCPU guest tens
# of seconds in the kernel: the lockup watchdogs may wait longer before
# they call that a lockup (dom0 reports a guest that stops making progress).
SLOW="watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=120"
COSHARE_VCPUS=2 guest_start g1 256 coshare.run=/coshare/guest.sh \
    coshare.seconds="$SECONDS_RUN" coshare.role=modules $SLOW
COSHARE_VCPUS=4 guest_start g2 256 coshare.run=/coshare/guest.sh \
    coshare.seconds="$SECONDS_RUN" coshare.role=ftrace $SLOW
xl vcpu-list

# A guest whose heartbeat stopped: what Xen knows of its vCPUs.
stalled() {
    log "$1 made no progress for 60 s: Xen's view of its vCPUs follows"
    xl vcpu-list
    xl debug-keys q
    xl dmesg | tail -n 120
    fail "$1 stalled"
}

# While they run: both alive and making progress, the audit clean.
audits=0 t0=$(date +%s) last1= last2= seen1=$t0 seen2=$t0
until grep -aq "step=end" "$(guest_logfile g1)" &&
      grep -aq "step=end" "$(guest_logfile g2)"; do
    guest_alive g1 || fail "g1 died"
    guest_alive g2 || fail "g2 died"
    coshare-ctl audit > /tmp/audit 2>&1 || { cat /tmp/audit; fail "audit while the guests write"; }
    audits=$((audits + 1))
    now=$(date +%s)
    a1=$(probe_line g1 alive) a2=$(probe_line g2 alive)
    [ "$a1" = "$last1" ] || { last1=$a1 seen1=$now; log "g1: $a1"; }
    [ "$a2" = "$last2" ] || { last2=$a2 seen2=$now; log "g2: $a2"; }
    if [ $((now - t0)) -lt "$SECONDS_RUN" ]; then
        [ $((now - seen1)) -lt 60 ] || stalled g1
        [ $((now - seen2)) -lt 60 ] || stalled g2
    fi
    [ $((now - t0)) -lt $((SECONDS_RUN + 600)) ] || fail "the guests did not finish"
    sleep 10
done
grep -a "COSHARE-PROBE" "$(guest_logfile g1)" "$(guest_logfile g2)"
coshare-ctl audit || fail "audit after the writers"
guest_alive g1 || fail "g1 died"
guest_alive g2 || fail "g2 died"
bad=$(xl dmesg | grep -a "coshare audit\|attempt to unshare\|crashed\|FATAL\|Assertion\|Xen BUG" || true)
[ -z "$bad" ] || { echo "$bad"; fail "Xen reported a crash or a coshare failure"; }

writes=0 rewrites=0
for g in g1 g2; do
    w=$(probe_line "$g" writers) e=$(probe_line "$g" exec) p=$(probe_line "$g" pagetables)
    c=$(probe_line "$g" counters)
    [ -n "$w" ] && [ "$(num wrong "$w")" = 0 ] && [ "$(num writes "$w")" -gt 0 ] ||
        fail "$g: writers lost or got no writes: $w"
    [ "$(num wrong_reads "$e")" = 0 ] && [ "$(num wrong_readbacks "$e")" = 0 ] &&
        [ "$(num writes "$e")" -gt 0 ] && [ "$(num reads "$e")" -gt 0 ] ||
        fail "$g: the PROT_EXEC file saw a wrong version: $e"
    [ "$(num shared "$p")" = 0 ] && [ "$(num tables "$p")" -gt 0 ] ||
        fail "$g: kernel page tables were shared: $p"
    [ "$(num hypercall_errors "$c")" = 0 ] || fail "$g: hypercall errors: $c"
    writes=$((writes + $(num writes "$w") + $(num checks "$w")))
    rewrites=$((rewrites + $(num writes "$e")))
done
m=$(probe_line g1 modules)
[ "$(num failed "$m")" = 0 ] && [ "$(num rounds "$m")" -gt 0 ] ||
    fail "g1: module rounds failed: $m"
# Kernel text shared again after each ftrace round but the last (which may
# end before coshare.ko's next pass).
rounds=$(grep -a "name=g2 step=ftrace round=" "$(guest_logfile g2)" | wc -l)
[ "$rounds" -ge 2 ] || fail "g2 ran $rounds ftrace rounds"
min=$(grep -a "name=g2 step=ftrace round=" "$(guest_logfile g2)" | head -n $((rounds - 1)) |
      sed 's/.*reshared=//' | sort -n | head -n 1)
[ "$min" -ge 1000 ] || fail "kernel text was not shared again after an ftrace round (min $min pages)"
faults=$(global_num cow_copy) zfaults=$(global_num cow_zero) nfaults=$(global_num cow_nocopy)
log "smp: $writes writes and checks, $rewrites PROT_EXEC rewrites, $rounds ftrace rounds (>= $min text pages shared again each), $(num rounds "$m") module rounds, $audits audits, faults copy/zero/nocopy $faults/$zfaults/$nfaults"
guest_stop g1; guest_stop g2
coshare-ctl audit || fail "audit after destroying the guests"
echo "COSHARE-JSON: {\"scenario\":\"smp-guests\",\"seconds\":$SECONDS_RUN,\"vcpus\":[2,4],\"writes_and_checks\":$writes,\"exec_rewrites\":$rewrites,\"ftrace_rounds\":$rounds,\"min_text_reshared\":$min,\"module_rounds\":$(num rounds "$m"),\"audits\":$audits,\"cow_copy\":$faults,\"cow_zero\":$zfaults,\"cow_nocopy\":$nfaults}"
