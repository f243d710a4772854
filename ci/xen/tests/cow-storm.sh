#!/bin/sh
# Repayment under overcommit (runs in dom0), twice:
#  1. g1 keeps a pattern shared, g3 shares it too; with every guest's hints
#     stopped and the host's free memory used up by a paused filler guest, g3
#     writes every shared page.  Each copy-on-write fault must be paid by
#     reclaiming a volatile page, no guest may crash, the audit stays clean.
#  2. The control: the same storm with guests that register no volatile
#     pages (coshare.fifo=off).  Nothing can pay the faults, so Xen's stock
#     ENOMEM path crashes the writer: the FIFO is what saved it in run 1.
. /coshare/lib.sh
. /coshare/coshare-lib.sh
pin_guests

# storm SUFFIX [GUEST-ARGS]: share, fill the host, write; leaves the result
# in $storm_alive (the writer: yes/no), $storm_other_alive, $storm_line,
# $storm_reclaims and $storm_enomem.
storm() {
    local a=g1$1 b=g3$1 free slack cfg db
    shift
    COSHARE_ON_CREATE=enable_coshare
    guest_start "$a" 256 coshare.run=/coshare/guest.sh "$@"
    guest_wait_line "$a" "step=share " 600 || fail "$a did not share its pattern"
    guest_start "$b" 256 coshare.run=/coshare/guest.sh "$@"
    guest_wait_line "$b" "step=hinted " 600 || fail "$b did not hint"
    db=$(xl domid "$b")
    # Hints merge pages and so free frames: stop them all, or the guests'
    # free page hints keep feeding the copies.
    for g in "$a" "$b"; do coshare-ctl disable "$(xl domid "$g")" > /dev/null || fail "disable $g"; done
    free=$(free_mib)
    unset COSHARE_ON_CREATE
    for slack in 2 4 8 16 32; do
        cfg=$(guest_cfg filler $((free - slack)))
        xl create -q -p "$cfg" 2>/dev/null && break
    done
    guest_exists filler || fail "could not create the filler guest ($free MiB free)"
    log "filler guest holds $((free - slack)) MiB; host free memory now $(free_mib) MiB"
    guest_type_line "$b" write || fail "could not tell $b to write"
    storm_alive=yes
    guest_wait_line "$b" "step=storm " 300 || storm_alive=no
    guest_alive "$b" || storm_alive=no
    storm_line=$(probe_line "$b" storm)
    storm_reclaims=$(ctl_num "$db" reclaims) storm_enomem=$(global_num cow_enomem)
    log "$b alive=$storm_alive: $(probe_line "$b" hinted) then ${storm_line:-nothing}; reclaims=$storm_reclaims cow_enomem=$storm_enomem"
    guest_stop filler     # the audit needs scratch memory
    # The host has memory again: the writer's reclaimed pages come back.
    storm_given=
    if [ "$storm_alive" = yes ]; then
        guest_wait_line "$b" "step=given-back " 150 || fail "$b did not report its reclaimed pages given back"
        storm_given=$(probe_line "$b" given-back)
        log "$b once the filler is gone: $storm_given"
    fi
    storm_other_alive=yes
    guest_alive "$a" || storm_other_alive=no
    coshare-ctl audit || fail "audit after the storm"
    guest_exists "$b" && guest_stop "$b"
    guest_exists "$a" && guest_stop "$a"
    coshare-ctl audit || fail "audit after destroying the storm's guests"
}

storm ""
[ "$storm_alive" = yes ] || fail "g3 crashed under the copy-on-write storm"
[ "$storm_other_alive" = yes ] || fail "g1 crashed during g3's copy-on-write storm"
[ "$(num intact "$storm_line")" = 2048 ] || fail "copy-on-write under pressure lost data: $storm_line"
[ "${storm_reclaims:-0}" -gt 0 ] || fail "no volatile page was reclaimed (free memory did not run out?)"
[ "$storm_enomem" = 0 ] || fail "$storm_enomem faults found no frame"
paid=$storm_reclaims
# Reclaim takes the faulting guest's own volatile pages first, and gives
# none of them back while the host is short; afterwards all come back.
reclaimed=$(num reclaimed "$storm_given") given=$(num given_back "$storm_given")
[ "${reclaimed:-0}" -gt 0 ] || fail "none of g3's own volatile pages was reclaimed: $storm_given"
[ "$given" = "$reclaimed" ] || fail "g3 got $given of its $reclaimed reclaimed pages back: $storm_given"

storm -nofifo coshare.fifo=off
[ "$storm_enomem" -gt 0 ] || fail "the control storm found frames without a FIFO (free memory did not run out?)"
[ "$storm_alive" = no ] ||
    fail "the writer survived $storm_enomem unpaid faults: the control proves nothing"
log "control without volatile pages: $storm_enomem unpaid faults, the writer crashed (Xen's stock ENOMEM path); the other guest alive=$storm_other_alive"
echo "COSHARE-JSON: {\"scenario\":\"cow-storm\",\"pages\":2048,\"reclaims\":$paid,\"given_back\":$given,\"writer_alive\":true,\"control_cow_enomem\":$storm_enomem,\"control_writer_alive\":false}"
