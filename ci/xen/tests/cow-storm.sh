#!/bin/sh
# Repayment under overcommit (runs in dom0): g1 keeps a pattern shared, g3
# shares it too; with every guest's hints stopped and the host's free memory
# used up by a paused filler guest, g3 writes every shared page.  Each
# copy-on-write fault must be paid by reclaiming a volatile page, no guest
# may crash, and the audit must stay clean.
. /coshare/lib.sh
. /coshare/coshare-lib.sh

COSHARE_ON_CREATE=enable_coshare
guest_start g1 256 coshare.run=/coshare/guest.sh
guest_wait_line g1 "step=share " 600 || fail "g1 did not share its pattern"
guest_start g3 256 coshare.run=/coshare/guest.sh
guest_wait_line g3 "step=hinted " 600 || fail "g3 did not hint"
d3=$(xl domid g3)
# Hints merge pages and so free frames: stop them all, or the guests' free
# page hints keep feeding the copies.
for g in g1 g3; do coshare-ctl disable "$(xl domid $g)" > /dev/null || fail "disable $g"; done
free=$(free_mib)
unset COSHARE_ON_CREATE
for slack in 2 4 8 16 32; do
    cfg=$(guest_cfg filler $((free - slack)))
    xl create -q -p "$cfg" 2>/dev/null && break
done
guest_exists filler || fail "could not create the filler guest ($free MiB free)"
log "filler guest holds $((free - slack)) MiB; host free memory now $(free_mib) MiB"
# g3 writes 120 s after its hints: the filler must be in place by then.
! grep -aq "step=storm " "$(guest_logfile g3)" ||
    fail "the filler came after g3's writes (machine too slow for this check)"
guest_wait_line g3 "step=storm " 300 || { coshare-ctl stats; fail "g3 did not finish its writes"; }
guest_alive g3 || fail "g3 crashed under the copy-on-write storm"
st=$(probe_line g3 storm)
[ "$(num intact "$st")" = 2048 ] || fail "copy-on-write under pressure lost data: $st"
reclaims=$(ctl_num "$d3" reclaims)
log "g3: $(probe_line g3 hinted) then $st; reclaims=$reclaims cow_enomem=$(ctl_num "$d3" cow_enomem)"
[ "${reclaims:-0}" -gt 0 ] || fail "no volatile page was reclaimed (free memory did not run out?)"
guest_stop filler     # the audit needs scratch memory
coshare-ctl audit || fail "audit after the storm"
guest_stop g3

guest_alive g1 || fail "g1 crashed during g3's copy-on-write storm"
coshare-ctl audit || fail "audit at the end"
