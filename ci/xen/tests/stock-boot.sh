#!/bin/sh
# First end-to-end check of the nested setup (runs in dom0): Xen reports HVM
# with HAP (needed for PVH), COSHARE_GUESTS PVH guests boot one after another
# to their readiness line, all are listed and running, then destroyed.
. /coshare/lib.sh
n=${COSHARE_GUESTS:-2}

xl info > /tmp/xl-info || fail "xl info failed"
grep -E '^(xen_version|xen_caps|virt_caps|total_memory|free_memory|nr_cpus)' /tmp/xl-info
caps=$(sed -n 's/^virt_caps *: *//p' /tmp/xl-info)
case " $caps " in *" hvm "*) ;; *) fail "virt_caps '$caps' lacks hvm";; esac
case " $caps " in *" hap "*) ;; *) fail "virt_caps '$caps' lacks hap";; esac

start=$(date +%s)
i=1
while [ $i -le "$n" ]; do guest_start "g$i"; i=$((i + 1)); done
log "$n guests ready in $(($(date +%s) - start)) s"
xl list
i=1
while [ $i -le "$n" ]; do
    guest_alive "g$i" || fail "guest g$i did not stay up"
    grep -a "COSHARE-GUEST: READY" "$(guest_logfile "g$i")"
    i=$((i + 1))
done
i=1
while [ $i -le "$n" ]; do guest_stop "g$i" || fail "xl destroy g$i"; i=$((i + 1)); done
[ "$(xl list | wc -l)" = 2 ] || { xl list; fail "domains left after destroy"; }
log "all guests destroyed"
