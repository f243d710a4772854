#!/bin/sh
# The control for smp-guests (runs in dom0; not in `make test`): the same
# guests and workload (writers on every vCPU, the PROT_EXEC rewriter, g1's
# module loop, g2's ftrace loop), with coshare.ko loaded but idle
# (coshare.hint=0: no scan, no kernel-text hints).  Whatever goes wrong here
# is the emulator's or the guest kernel's, never coshare's.  It never fails:
# it reports, per round, each guest's first traces and Xen's triple faults.
#   COSHARE_TCG_THREAD=multi ci/xen/vmtest.sh smp-control
. /coshare/lib.sh
. /coshare/coshare-lib.sh

ROUNDS=${COSHARE_SMP_ROUNDS:-5}
ROUND_SECONDS=${COSHARE_SMP_SECONDS:-80}
SLOW="watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=120"
COSHARE_ON_CREATE=enable_coshare
lost=0 traced=0
r=0
while [ "$r" -lt "$ROUNDS" ]; do
    r=$((r + 1))
    xl dmesg -c > /dev/null
    COSHARE_VCPUS=2 guest_start g1 256 coshare.run=/coshare/guest.sh \
        coshare.seconds="$ROUND_SECONDS" coshare.role=modules coshare.hint=0 $SLOW
    COSHARE_VCPUS=4 guest_start g2 256 coshare.run=/coshare/guest.sh \
        coshare.seconds="$ROUND_SECONDS" coshare.role=ftrace coshare.hint=0 $SLOW
    t0=$(date +%s)
    until grep -aq "step=end" "$(guest_logfile g1)" &&
          grep -aq "step=end" "$(guest_logfile g2)"; do
        guest_exists g1 && guest_exists g2 || break
        [ $(($(date +%s) - t0)) -lt $((ROUND_SECONDS + 300)) ] || break
        sleep 10
    done
    # How long g2's patching passes kept a vCPU in its kernel (on_s, off_s).
    grep -a "step=ftrace round=" "$(guest_logfile g2)" | sed "s/^/round $r: /"
    for g in g1 g2; do
        tr=$(guest_traces $g | tr '\n' ' ')
        [ -z "$tr" ] || { traced=$((traced + 1)); log "round $r, $g: $tr"; }
    done
    tf=$(xl dmesg | grep -a "Triple fault" | head -n 2 | tr '\n' ' ')
    [ -z "$tf" ] || { lost=$((lost + 1)); log "round $r: $tf"; }
    guest_stop g1 2>/dev/null; guest_stop g2 2>/dev/null
done
log "smp-control: $r rounds with coshare idle; $lost with a triple fault, $traced guest traces"
echo "COSHARE-JSON: {\"scenario\":\"smp-control\",\"rounds\":$r,\"rounds_with_triple_faults\":$lost,\"guest_traces\":$traced}"
echo "COSHARE-RESULT: PASS smp-control"
