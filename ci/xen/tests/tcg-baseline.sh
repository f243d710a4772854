#!/bin/sh
# The emulator's own failure rate (runs in dom0 on Debian's stock Xen, no
# coshare): three PVH guests churn memory (churn-guest.sh) for about three
# minutes, and it counts the guests that triple-fault while booting (retried)
# or while running.  Under QEMU TCG with nested SVM some do, with the same
# signatures seen in coshare's runs (an x2APIC EOI `wrmsr` in an interrupt
# handler, a TSC read at boot): a guest lost in a coshare test under heavy
# load is not by itself evidence against coshare.  A measurement, not part
# of `make test` (`make vmtest-baseline`); it fails only if it could not run.
. /coshare/lib.sh
. /coshare/coshare-lib.sh

N=3
for i in $(seq 1 $N); do guest_start "c$i" 256 coshare.run=/coshare/guest.sh; done
t0=$(date +%s)
lost=0
for i in $(seq 1 $N); do
    guest_wait_line "c$i" "step=churned " 400 || true
    guest_alive "c$i" || lost=$((lost + 1))
done
boots=$(xl dmesg | grep -ac "Triple fault")
log "stock Xen under churn: $lost of $N guests lost while running; $boots triple faults in all (boots included) in $(($(date +%s) - t0)) s"
xl dmesg | grep -a -A4 "Triple fault" | grep -a "Triple\|rcx" | sed 's/^/  xen| /'
echo "COSHARE-JSON: {\"scenario\":\"tcg-baseline\",\"guests\":$N,\"lost_running\":$lost,\"triple_faults\":$boots}"
