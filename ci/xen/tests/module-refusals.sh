#!/bin/sh
# On Debian's stock Xen (runs in dom0): coshare.ko refuses a PVH guest on a
# hypervisor without coshare, and a classic PV guest on any hypervisor,
# each with a message that says why.  Needs refusal-guest.sh as guest.sh.
. /coshare/lib.sh
refusal() {     # NAME: the guest's refusal line
    grep -a "COSHARE-PROBE name=$1 step=refusal " "$(guest_logfile "$1")" | tail -n 1
}

guest_start pvh1 256 coshare.run=/coshare/guest.sh
guest_wait_line pvh1 "step=refusal " 120 || fail "no result from pvh1"
r=$(refusal pvh1); log "PVH on stock Xen: $r"
case "$r" in *"rc=0 "*) fail "coshare.ko loaded on a stock hypervisor";; esac
case "$r" in *"no coshare support"*) ;; *) fail "no clear message: $r";; esac
guest_stop pvh1

# The same kernel and initramfs as a classic PV guest.
cfg=$(guest_cfg pv1 256 coshare.run=/coshare/guest.sh)
sed -i 's/^type = .*/type = "pv"/' "$cfg"
xl create -q "$cfg" || fail "xl create pv1"
guest_wait_line pv1 "step=refusal " 180 || fail "no result from pv1"
r=$(refusal pv1); log "classic PV: $r"
case "$r" in *"rc=0 "*) fail "coshare.ko loaded in a classic PV guest";; esac
case "$r" in *"refusing a classic PV guest"*) ;; *) fail "no clear message: $r";; esac
guest_stop pv1
