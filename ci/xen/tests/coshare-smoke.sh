#!/bin/sh
# The patched hypervisor end to end (runs in dom0):
#  1. Xen's own stock tool, xen-memshare, shares two PVH guests on AMD NPT;
#     then a guest at its max_pages has its free pages shared the stock way
#     and writes them: every stock copy-on-write fault gets its page;
#  2. two PVH guests, enabled by coshare-ctl while paused, run coshare.ko
#     and coshare-probe (coshare-guest.sh): cross-guest sharing through the
#     hint op, copy-on-write, a hostile guest;
#     With a copy-on-write reserve above the host's free memory while g2
#     runs, every fault is paid by reclaiming a volatile page, VIRQ_COSHARE
#     tells the guest, and the guest survives it;
#  3. g1 ballooned down from 256 to 224 MiB and up again: the shared pages
#     it gives back drop their mappings, and take no frame to do so;
#     Then dom0 allows g1 zero pages only (coshare-ctl classes), and again
#     every class: its kernel text stops being hinted, then starts again;
#     Then r1, under repayment, unloads and loads coshare.ko RELOADS times
#     while it shares: its data intact, no memory lost to the pool;
#  4. stats and audit, a heavily shared guest destroyed and timed, audit
#     again, and every frame accounted for at the end.
. /coshare/lib.sh
. /coshare/coshare-lib.sh
pin_guests
RELOADS=${COSHARE_RELOADS:-20}

xl dmesg | grep -q "coshare: guest-hinted page sharing" ||
    fail "the hypervisor has no coshare (xl dmesg)"
coshare-ctl version || fail "coshare-ctl version"

# ---- 1. stock mem_sharing on AMD SVM/NPT, with Xen's own tool ----------
guest_start s1 128
guest_start s2 128
d1=$(xl domid s1) d2=$(xl domid s2)
xen-memshare enable "$d1" && xen-memshare enable "$d2" || fail "xen-memshare enable"
# Stock sharing merges blindly (the toolstack must know the pages are equal);
# the top of a busybox guest's memory is mostly, not all, zero (see below).
g=0x7ff0
h1=$(xen-memshare nominate "$d1" $g | sed -n 's/^handle = //p')
h2=$(xen-memshare nominate "$d2" $g | sed -n 's/^handle = //p')
[ -n "$h1" ] && [ -n "$h2" ] || fail "xen-memshare nominate gave no handles ('$h1', '$h2')"
xen-memshare share "$d2" $g "$h2" "$d1" $g "$h1" || fail "xen-memshare share"
xl pause s1 && xl pause s2 || fail "xl pause"     # range sharing requires it
t0=$(ms)
xen-memshare range "$d1" "$d2" 0x6000 0x7fef > /tmp/range 2>&1 || { cat /tmp/range; fail "xen-memshare range"; }
t1=$(ms)
# What stock sharing saves, in pages (xen-memshare 4.17 prints the
# freed-pages count as "used").
stock_saved() { xen-memshare info | tee /tmp/info | sed -n 's/^used = //p'; }
shared=$(stock_saved)
stock_ms=$((t1 - t0))
log "stock range share of 8176 gfns s1->s2: $stock_ms ms, info: $(tr '\n' ' ' < /tmp/info)"
[ "${shared:-0}" -gt 1000 ] || fail "stock sharing shared only '${shared}' pages"
# Xen's audit compares a count taken at its start with what it then finds:
# only a quiet system (paused guests, no copy-on-write) gives it a fair read.
xen-memshare audit > /tmp/audit 2>&1; cat /tmp/audit
grep -q "^Audit returned 0 errors" /tmp/audit || fail "stock audit: $(cat /tmp/audit)"
# Range sharing merged these gfns blindly, and a running guest's pages there
# are not all equal: destroy the guests without running them again.
guest_stop s1; guest_stop s2

# Stock copy-on-write at a domain's limit: l1 populates gfns above its RAM
# until its tot_pages is its max_pages; dom0 shares its free pages with
# l2's (coshare-stockshare compares each pair first, so both guests run
# on); l1 then writes fresh memory.  Each fault needs a page within
# max_pages, found in the room the shared pages left in tot_pages: coshare
# charges its own frames against max_pages (patch 0006), not these.
guest_start l1 128 coshare.run=/coshare/guest.sh
guest_start l2 128 coshare.run=/coshare/guest.sh
guest_wait_line l1 "step=at-limit " 120 || fail "l1 did not populate up to its limit"
a=$(probe_line l1 at-limit)
log "l1 at its limit: $a"
echo "$a" | grep -q '"at_limit":true' || fail "l1 did not reach its max_pages: $a"
d1=$(xl domid l1) d2=$(xl domid l2)
xl pause l1 && xl pause l2 || fail "xl pause l1 l2"
s=$(coshare-stockshare "$d1" "$d2" --first 0x6000 --count 8176 2>&1)
log "stock sharing of l1's and l2's equal pages: $s"
[ "$(num shared "$s")" -gt 1000 ] 2>/dev/null || fail "stock sharing shared too little: $s"
cow0=$(stock_saved)
xl unpause l1 && xl unpause l2 || fail "xl unpause l1 l2"
unshare_failed() { xl dmesg | grep -a "attempt to unshare" | tail -n 1; }
guest_type_line l1 fill || {
    guest_alive l1 || fail "l1 died once its pages were shared at its limit: $(unshare_failed)"
    fail "cannot start l1's writes"; }
guest_wait_line l1 "step=end" 600 || {
    guest_alive l1 || fail "l1 died writing its shared pages at its limit: $(unshare_failed)"
    fail "l1 did not write its memory"; }
f=$(probe_line l1 filled)
cow1=$(stock_saved)
log "l1 after its writes: $f; pages saved by stock sharing: $cow0 before, $cow1 after"
guest_alive l1 || fail "l1 died writing its shared pages at its limit: $(unshare_failed)"
[ "$(num intact "$f")" = "$(num pages "$f")" ] && [ "$(num pages "$f")" -gt 0 ] ||
    fail "l1's pages did not read back as written: $f"
[ $((cow0 - cow1)) -ge 256 ] ||
    fail "l1's writes unshared only $((cow0 - cow1)) stock-shared pages (at least 256 expected)"
xl pause l1 && xl pause l2 || fail "xl pause l1 l2"
xen-memshare audit > /tmp/audit 2>&1
grep -q "^Audit returned 0 errors" /tmp/audit || fail "stock audit after l1's writes: $(cat /tmp/audit)"
guest_stop l1; guest_stop l2
limit_json="{\"scenario\":\"stock-cow-at-limit\",\"at_limit\":$a,\"stock_shared\":$(num shared "$s"),\"unshared_by_writes\":$((cow0 - cow1)),\"filled\":$f}"

# ---- 2. coshare: guests enabled while paused ---------------------------
COSHARE_ON_CREATE=enable_coshare
# init_on_alloc=0: Debian's kernels zero every page they allocate, the
# balloon's too, and that write unshares a zero-shared free page before it
# goes; step 3 measures what Xen does when a shared page is given back.
guest_start g1 256 coshare.run=/coshare/guest.sh init_on_alloc=0
guest_wait_line g1 "step=share " 600 || fail "g1 did not share its pattern"
coshare-ctl reserve $(($(free_mib) + 1024)) || fail "coshare-ctl reserve"
r0=$(global_num reclaims)
guest_start g2 256 coshare.run=/coshare/guest.sh
guest_wait_line g2 "step=end" 900 || fail "g2 did not finish"
d2=$(xl domid g2)
r2=$(ctl_num "$d2" reclaims) n2=$(ctl_num "$d2" notified)
rg=$(($(global_num reclaims) - r0)) enomem=$(global_num cow_enomem)
coshare-ctl reserve 0 || fail "coshare-ctl reserve 0"
grep -a "COSHARE-PROBE" "$(guest_logfile g1)" "$(guest_logfile g2)"

for g in g1 g2; do
    guest_alive "$g" || fail "guest $g died"
    v=$(probe_line "$g" version)
    [ "$(num rc "$v")" = 0 ] || fail "$g: version op: $v"
    c=$(probe_line "$g" counters)
    [ -n "$c" ] || fail "$g: coshare.ko did not run"
    [ "$(num hypercall_errors "$c")" = 0 ] || fail "$g: hypercall errors: $c"
    [ "$(num hinted_kernel_text "$c")" -gt 1000 ] || fail "$g: kernel text not hinted: $c"
    [ "$(num hinted_free "$c")" -gt 1000 ] || fail "$g: free pages not hinted: $c"
done
c2=$(probe_line g2 counters)
[ "$(num shared_kernel_text "$c2")" -gt 1000 ] ||
    fail "g2's kernel text was not shared with g1's: $c2"
s1=$(probe_line g1 share) s2=$(probe_line g2 share-write)
# A pattern page the guest's own coshare.ko hinted first (in-use walk: the
# page was still zero when it looked, patterned when Xen hashed it) is in the
# index already: the probe's hint of it is skipped as "already".
in_index() { echo $((${1:-0} + ${2:-0})); }
[ "$(in_index "$(num inserted "$s1")" "$(num skipped_already "$s1")")" -ge 2000 ] ||
    fail "g1's pattern not inserted: $s1"
[ "$(in_index "$(num shared "$s2")" "$(num skipped_already "$s2")")" -ge 2000 ] ||
    fail "g2's pattern not shared with g1's: $s2"
[ "$(num intact "$s2")" = 2048 ] || fail "copy-on-write lost data: $s2"
r=$(probe_line g2 refill)
log "while g2 ran under the reserve: $rg reclaims on the host, $r2 of g2's pages; g2 notified $n2 times; guest: $r"
[ "$rg" -ge 2048 ] && [ "$enomem" = 0 ] ||
    fail "copy-on-write was not paid by reclaim (reclaims=$rg cow_enomem=$enomem)"
[ "${n2:-0}" -gt 0 ] && [ "$(num notifications "$r")" -gt 0 ] ||
    fail "no VIRQ_COSHARE reached g2 (hypervisor: $n2; guest: $r)"
[ "$(num reclaimed "$r")" -gt 0 ] || fail "g2's module did not see its reclaims: $r"
h=$(probe_line g2 hostile)
[ "$(num wrong "$h")" = 0 ] || fail "hostile ops got unexpected errnos: $h"

coshare-ctl stats || fail "coshare-ctl stats"
coshare-ctl stats --json > /tmp/stats.json || fail "coshare-ctl stats --json"
coshare-ctl audit || fail "audit after sharing"

# ---- 3. balloon g1 down and up ----------------------------------------
d1=$(xl domid g1)
# The guest prints its balloon's size whenever it changes (coshare-guest.sh).
# Xen counts shared pages as nobody's, so xl list cannot tell; and the
# balloon stops a few pages off the target (memory holes), so allow 4 MiB.
balloon_kb() {
    grep -a "step=balloon" "$(guest_logfile "$1")" | tail -1 | sed -n 's/.*current_kb=\([0-9]*\).*/\1/p'
}
balloon_to() {  # NAME MIB
    local i=0 kb
    xl mem-set "$1" "$2" || fail "xl mem-set $1 $2"
    while kb=$(balloon_kb "$1"); [ $((${kb:-0} / 1024 - $2)) -gt 4 ] || [ $((${kb:-0} / 1024 - $2)) -lt -4 ]; do
        i=$((i + 1))
        [ $i -lt 180 ] || fail "$1 did not balloon to $2 MiB (at ${kb:-?} kB)"
        sleep 1
    done
}
cz0=$(ctl_num "$d1" cow_zero) cc0=$(ctl_num "$d1" cow_copy) m0=$(ctl_num "$d1" mappings)
balloon_to g1 224
cz1=$(ctl_num "$d1" cow_zero) cc1=$(ctl_num "$d1" cow_copy) m1=$(ctl_num "$d1" mappings)
guest_alive g1 || fail "g1 died ballooning down"
coshare-ctl audit || fail "audit after ballooning g1 down"
balloon_to g1 256
guest_alive g1 || fail "g1 died ballooning up"
coshare-ctl audit || fail "audit after ballooning g1 up"
unshared=$((cz1 - cz0 + cc1 - cc0))
log "g1 ballooned 32 MiB out: $((m0 - m1)) shared mappings dropped, $unshared unshares (copies or zero fills) on the way"
# The pages ballooned out are free pages, most of them shared with the zero
# frame: they must go without a frame each (Xen 4.17 unshared every one).
# (Asked for 160 MiB, the guest stopped at about 213: docs/design.md.)
[ $((m0 - m1)) -gt 4096 ] || fail "ballooning g1 out dropped only $((m0 - m1)) shared mappings"
[ "$unshared" -lt $(((m0 - m1) / 10)) ] ||
    fail "ballooning g1 out unshared $unshared pages for $((m0 - m1)) mappings dropped"

# ---- 3b. dom0 keeps g1 to zero pages -----------------------------------
# A guest that must not share content with other domains may hint zero
# pages only.  Its module learns the mask from its stats and withholds the
# other classes (Xen refuses them anyway); its kernel text, hinted again
# every 5 s, stops being hinted, and starts again once dom0 allows it (at
# the scanner's next pass: within a minute, even when the emulator is
# slow).
hinted_text() {  # DOMID: kernel text pages hinted so far
    coshare-ctl stats "$1" --json | tr -d ' \n' |
        sed -n 's/.*"hinted":{[^}]*"kernel_text":\([0-9]*\).*/\1/p'
}
coshare-ctl classes "$d1" zero || fail "coshare-ctl classes $d1 zero"
[ "$(coshare-ctl classes "$d1")" = "domain $d1: hint classes zero" ] ||
    fail "g1's hint classes: $(coshare-ctl classes "$d1")"
sleep 2
k0=$(hinted_text "$d1")
sleep 12
k1=$(hinted_text "$d1")
coshare-ctl classes "$d1" all || fail "coshare-ctl classes $d1 all"
t=0
while k2=$(hinted_text "$d1"); [ "${k2:-0}" -le "${k1:-0}" ] && [ $t -lt 60 ]; do
    sleep 2; t=$((t + 2))
done
log "g1's kernel text pages hinted: $k0, then $k1 after 12 s with zero pages only, then $k2 $t s after every class was allowed"
[ -n "$k0" ] && [ "$k1" = "$k0" ] ||
    fail "g1 hinted kernel text while dom0 allowed zero pages only ($k0, then $k1)"
[ "$k2" -gt "$k1" ] || fail "g1 did not hint kernel text again once allowed ($k1, then $k2)"
guest_alive g1 || fail "g1 died under the class policy"

# ---- 3c. unload and load coshare.ko while the guest shares -------------
# r1 is under repayment (REPAY): Xen keeps at least its bonus in volatile
# pages, so an unload can unregister only the pool's pages beyond that.
# The next load finds Xen holding more of its pages than it registered:
# it must count the rest as orphans, ahead of its own pages, and learn its
# bonus (the old rule refused such a sync, so a reloaded module never
# learned its bonus or its reclaims, and registered the whole floor again
# once it did).  r1's data reads back after every step (coshare-guest.sh),
# and dom0 audits meanwhile.
enable_repay() {  # NAME: as enable_coshare, with repayment on
    d=$(xl domid "$1") && coshare-ctl enable "$d" --repay > /dev/null &&
        coshare-ctl group "$d" 1
}
COSHARE_ON_CREATE=enable_repay
guest_start r1 256 coshare.run=/coshare/guest.sh coshare.reloads=$RELOADS
COSHARE_ON_CREATE=enable_coshare
reload_line() { probe_line r1 "reload i=$1"; }
guest_wait_line r1 "step=reload i=0 " 600 || fail "r1 did not start its reloads"
t0=$(date +%s) i=0 orphans_min=
avail0=$(num avail_kb "$(reload_line 0)")
log "r1 before its reloads: $avail0 kB available; $(probe_line r1 counters)"
until [ "$i" -ge "$RELOADS" ]; do
    l=$(reload_line $((i + 1)))
    if [ -z "$l" ]; then
        rd=$(probe_line r1 reload-done)
        [ -z "$rd" ] || fail "r1's reloads stopped: $rd"
        guest_alive r1 || fail "r1 died reloading coshare.ko"
        [ $(($(date +%s) - t0)) -lt 1200 ] || fail "r1's reloads did not finish"
        coshare-ctl audit > /tmp/audit 2>&1 ||
            { cat /tmp/audit; fail "audit while r1 reloads coshare.ko"; }
        sleep 3
        continue
    fi
    i=$((i + 1))
    log "r1, load $i: $l"
    [ "$(num hypercall_errors "$l")" = 0 ] || fail "reload $i: hypercall errors: $l"
    [ "$(num bonus "$l")" -gt 0 ] || fail "reload $i: the load did not learn its bonus: $l"
    o=$(num fifo_orphans "$l")
    [ "${o:-0}" -gt 0 ] || fail "reload $i: the load before left no volatile page with Xen: $l"
    [ -n "$orphans_min" ] && [ "$orphans_min" -le "$o" ] || orphans_min=$o
done
guest_wait_line r1 "step=reload-done" 60 || fail "r1 did not end its reloads"
rd=$(probe_line r1 reload-done)
[ "$(num cycles "$rd")" = "$RELOADS" ] || fail "r1's reloads stopped: $rd"
last=$(reload_line "$RELOADS")
coshare-ctl audit || fail "audit after r1's reloads"
guest_stop r1 || fail "xl destroy r1"
coshare-ctl audit || fail "audit after destroying r1"
log "r1 reloaded coshare.ko $RELOADS times, its data intact: $avail0 kB available before, $(num avail_kb "$last") after; the last load found $(num fifo_orphans "$last") pages its predecessor left with Xen (at least $orphans_min each time)"
reload_json="{\"scenario\":\"module-reload\",\"cycles\":$RELOADS,\"avail_kb_before\":$avail0,\"avail_kb_after\":$(num avail_kb "$last"),\"orphans_min\":$orphans_min,\"bonus_after\":$(num bonus "$last")}"

# ---- 4. destroy the heavily shared guest -------------------------------
m2=$(ctl_num "$d2" mappings)
t0=$(ms)
guest_stop g2 || fail "xl destroy g2"
t1=$(ms)
destroy_ms=$((t1 - t0))
log "destroyed g2 with $m2 shared mappings in $destroy_ms ms"
coshare-ctl audit || fail "audit after destroying g2"
guest_alive g1 || fail "g1 died when g2 was destroyed"
guest_stop g1 || fail "xl destroy g1"
coshare-ctl stats --json > /tmp/stats-end.json
coshare-ctl audit || fail "audit after destroying every guest"
end=$(global_stats /tmp/stats-end.json)
frames_end=$(global_num frames "$end") mappings_end=$(global_num mappings "$end")
[ "$frames_end" = 0 ] && [ "$mappings_end" = 0 ] ||
    fail "frames or mappings left after every guest is gone: $frames_end, $mappings_end"
log "final: $(tr -d ' \n' < /tmp/stats-end.json)"
echo "COSHARE-JSON: {\"scenario\":\"destroy-while-shared\",\"mappings\":$m2,\"destroy_ms\":$destroy_ms,\"frames_left\":$frames_end,\"mappings_left\":$mappings_end}"
echo "COSHARE-JSON: $limit_json"
echo "COSHARE-JSON: $reload_json"
echo "COSHARE-JSON: {\"scenario\":\"stock-range-share\",\"gfns\":8176,\"shared\":$shared,\"ms\":$stock_ms}"
echo "COSHARE-JSON: {\"scenario\":\"class-policy\",\"text_hinted_before\":$k0,\"text_hinted_zero_only\":$k1,\"text_hinted_all_again\":$k2}"
echo "COSHARE-JSON: {\"scenario\":\"balloon-out\",\"mib\":32,\"mappings_dropped\":$((m0 - m1)),\"unshares\":$unshared}"
echo "COSHARE-JSON: {\"scenario\":\"reclaim-under-reserve\",\"host_reclaims\":$rg,\"guest_reclaims\":$r2,\"notified\":$n2,\"cow_enomem\":$enomem,\"intact\":$(num intact "$s2")}"
