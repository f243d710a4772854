#!/bin/sh
# Copy-on-write storm under overcommit (runs in dom0), twice:
#  1. Guests with repayment on (REPAY: each keeps at least as many volatile
#     pages as the frames its sharing saved) are started until there is one
#     more than the host's free memory could hold without sharing.  A paused
#     filler guest takes what free memory is left, the reserve is set above
#     it, and every guest then fills its free memory less a margin
#     (fill-guest.sh), writing most of the free pages it had shared (its
#     kernel and program text stay shared).  Every fault needing a frame
#     must be paid by reclaiming a volatile page; no guest may crash or
#     stay paused; each guest's data must be intact; the audit stays clean.
#  2. The control: the same with guests that register no volatile pages
#     (coshare.fifo=off, repayment off).  Nothing pays the faults and Xen's
#     stock ENOMEM path crashes guests: the FIFO is what saved run 1.
. /coshare/lib.sh
. /coshare/coshare-lib.sh

MEM=256 ROOM=$((256 + 4))   # a guest's memory; what creating one needs
pin_guests

# wait_filled SUFFIX: waits until each guest has printed its step=filled
# line or is gone.  Under TCG a fill takes minutes, and how many varies
# from run to run, so there is no deadline on the whole: a guest whose fill
# shows no progress line for FILL_STALL seconds is stalled (a copy-on-write
# fault must never hang a domain) and is no longer waited for; $stalled
# counts those.
FILL_STALL=300
wait_filled() {
    local sfx=$1 i g f p now left
    stalled=0
    for i in $(seq 1 "$n"); do eval "progress_$i=-1 since_$i=0 waiting_$i=1"; done
    left=$n
    while [ "$left" -gt 0 ]; do
        now=$(date +%s)
        for i in $(seq 1 "$n"); do
            eval "[ \$waiting_$i = 1 ]" || continue
            g=s$i$sfx f=$(guest_logfile "$g")
            p=$(grep -ac "name=$g step=fill-progress " "$f")
            if grep -aq "name=$g step=filled " "$f" || ! guest_exists "$g"; then
                eval "waiting_$i=0"; left=$((left - 1))
            elif eval "[ \$progress_$i != $p ]"; then
                eval "progress_$i=$p since_$i=$now"
            elif eval "[ $((now - FILL_STALL)) -ge \$since_$i ]"; then
                log "$g: no fill progress for $FILL_STALL s: $(probe_line "$g" fill-progress)"
                eval "waiting_$i=0"; left=$((left - 1)); stalled=$((stalled + 1))
            fi
        done
        [ "$left" = 0 ] || sleep 5
    done
}

# storm SUFFIX ENABLE-FLAGS [GUEST-ARGS]: leaves $alive (guests alive after
# the storm), $n (guests), $cow (faults that needed a frame), $paid
# (volatile pages reclaimed for them), $enomem (faults with no frame),
# $intact (guests whose data checked out), $paused and $stalled.
storm() {
    local sfx=$1 flags=$2 free0 i g lines slack cfg state snap
    shift 2
    free0=$(free_mib)
    n=$((free0 / MEM + 1))     # n * MEM > free0: too many without sharing
    log "storm$sfx: $free0 MiB free holds at most $((n - 1)) guests of $MEM MiB; starting $n"
    coshare-ctl reserve 0 > /dev/null || fail "coshare-ctl reserve 0"
    enable_storm() {
        d=$(xl domid "$1") && coshare-ctl enable "$d" $flags > /dev/null &&
            coshare-ctl group "$d" 1 > /dev/null
    }
    COSHARE_ON_CREATE=enable_storm
    for i in $(seq 1 "$n"); do
        g=s$i$sfx
        if [ "$i" -gt 1 ]; then
            # Wait until the saving makes room for the next guest.
            t0=$(date +%s)
            until [ "$(free_mib)" -ge $ROOM ]; do
                if [ $(($(date +%s) - t0)) -ge 180 ]; then
                    coshare-ctl stats | sed 's/^/  /'
                    fail "storm$sfx: no room for guest $i after 180 s ($(free_mib) MiB free, $(global_num saved) frames saved)"
                fi
                sleep 5
            done
        fi
        guest_start "$g" $MEM coshare.run=/coshare/guest.sh "$@"
        guest_wait_line "$g" "step=module " 60 || fail "$g: coshare.ko did not load"
        log "$g up: $(free_mib) MiB free, $(global_num saved) frames saved host-wide"
    done
    unset COSHARE_ON_CREATE
    # Let the last guest's free pages be hinted, then take the rest.
    sleep 30
    free=$(free_mib)
    for slack in 2 4 8 16 32; do
        cfg=$(guest_cfg filler$sfx $((free - slack)))
        xl create -q -p "$cfg" 2>/dev/null && break
    done
    guest_exists filler$sfx || fail "could not create the filler guest ($free MiB free)"
    coshare-ctl reserve 65536 > /dev/null || fail "coshare-ctl reserve 65536"
    log "filler holds $((free - slack)) MiB; host free memory now $(free_mib) MiB; reserve above it"
    snap=$(global_stats)
    cow0=$(($(global_num cow_copy "$snap") + $(global_num cow_zero "$snap")))
    paid0=$(global_num reclaims "$snap") enomem0=$(global_num cow_enomem "$snap")
    for i in $(seq 1 "$n"); do xl sysrq "s$i$sfx" h; done
    wait_filled "$sfx"
    alive=0 intact=0 paused=0
    for i in $(seq 1 "$n"); do
        g=s$i$sfx
        state=$(xl list "$g" 2>/dev/null | awk 'NR == 2 { print $5 }')
        case "$state" in *p*) paused=$((paused + 1)); log "$g is paused ($state)";; esac
        if guest_alive "$g"; then alive=$((alive + 1)); fi
        lines="$(probe_line "$g" fill-start) -> $(probe_line "$g" filled)"
        log "$g: $lines"
        case "$(probe_line "$g" filled)" in *intact=yes*) intact=$((intact + 1));; esac
    done
    snap=$(global_stats)
    cow=$(($(global_num cow_copy "$snap") + $(global_num cow_zero "$snap") - cow0))
    paid=$(($(global_num reclaims "$snap") - paid0))
    enomem=$(($(global_num cow_enomem "$snap") - enomem0))
    log "storm$sfx: $alive of $n guests alive, $intact intact, $paused paused, $stalled stalled; $cow faults needed a frame, $paid paid by reclaim, $enomem found none"
    guest_stop filler$sfx
    coshare-ctl reserve 0 > /dev/null
    coshare-ctl audit || fail "audit after storm$sfx"
    for i in $(seq 1 "$n"); do guest_exists "s$i$sfx" && guest_stop "s$i$sfx"; done
    coshare-ctl audit || fail "audit after destroying storm$sfx's guests"
}

storm "" --repay
[ "$n" -ge 2 ] || fail "the host holds too little for the storm ($n guests)"
[ "$alive" = "$n" ] || fail "$((n - alive)) of $n guests died in the copy-on-write storm"
[ "$paused" = 0 ] || fail "$paused guests stayed paused"
[ "$stalled" = 0 ] || fail "$stalled of $n guests stalled while filling"
[ "$intact" = "$n" ] || fail "$((n - intact)) of $n guests lost data"
[ "$enomem" = 0 ] || fail "$enomem faults found no frame"
[ "$cow" -gt 0 ] || fail "no guest write needed a frame: the storm tested nothing"
[ "$paid" -ge "$cow" ] || fail "only $paid of $cow faults were paid by reclaim"
json="\"guests\":$n,\"cow_faults\":$cow,\"paid_by_reclaim\":$paid,\"alive\":$alive,\"intact\":$intact"

storm -nofifo "" coshare.fifo=off
[ "$enomem" -gt 0 ] || fail "the control storm found frames without a FIFO (free memory did not run out?)"
[ "$alive" -lt "$n" ] || fail "every guest survived $enomem unpaid faults: the control proves nothing"
log "control without volatile pages: $enomem unpaid faults, $((n - alive)) of $n guests crashed (Xen's stock ENOMEM path)"
echo "COSHARE-JSON: {\"scenario\":\"overcommit-storm\",$json,\"control_guests\":$n,\"control_cow_enomem\":$enomem,\"control_alive\":$alive}"
