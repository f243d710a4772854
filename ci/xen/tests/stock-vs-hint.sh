#!/bin/sh
# Stock path vs hint path (runs in dom0): the same gfn range of fresh 128 MiB
# guests is shared once by dom0 through Xen's stock ops, page by page
# (coshare-stockshare, guests s1 and s2 paused: read both pages, compare,
# nominate, nominate, share), and by the guests themselves through the hint
# op (hint-guest.sh: Xen hashes and compares every page; h2 shares with the
# frames h1 inserted).  The host's speed drifts from one tenth of a second to
# the next, so the two are timed in pairs, side by side: dom0 shares one
# sample of the range the stock way (every PAIRS-th gfn, so each sample has
# the range's mix of equal and unequal pages), then types a line on h2's
# console, and h2 unhints and hints the whole range once more (paced
# rounds).  Reported: each pair's pages per second and ratio; the median
# pair ratio is the figure (goal >= 20).  Fails if either path does not
# share, a guest dies, or an audit finds a violation.
. /coshare/lib.sh
. /coshare/coshare-lib.sh

FIRST=0x6000 COUNT=8176 PAIRS=24 GOAL=20
ms_of() { echo "$1" | sed -n 's/.*"ms":\([0-9.]*\).*/\1/p'; }

pin_guests
guest_start s1 128
guest_start s2 128
d1=$(xl domid s1) d2=$(xl domid s2)
xl pause s1 && xl pause s2 || fail "xl pause"
COSHARE_ON_CREATE=enable_coshare
guest_start h1 128 coshare.run=/coshare/guest.sh
guest_wait_line h1 "step=hint " 300 || fail "h1 did not hint"
h=$(probe_line h1 hint)
[ "$(num rc "$h")" = 0 ] || fail "h1's hints failed: $h"
guest_start h2 128 coshare.run=/coshare/guest.sh coshare.hint_rounds=$PAIRS \
    coshare.hint_paced=1
guest_wait_line h2 "step=paced-ready" 300 || fail "h2 is not waiting for rounds"

# dom0 on CPU 0 while the pairs run, so that its polling never lands on the
# CPU where h2 hints (the guests are on CPU 1).
xl vcpu-pin Domain-0 all 0 || fail "xl vcpu-pin Domain-0"
: > /tmp/pairs
i=0
while [ $i -lt $PAIRS ]; do
    n=$(((COUNT - i + PAIRS - 1) / PAIRS))   # gfns FIRST + i + k * PAIRS
    # Exit status 1 also means "no page of this sample was equal": the JSON
    # tells that apart from Xen out of reach.
    s=$(coshare-stockshare "$d1" "$d2" --first $((FIRST + i)) --count $n --stride $PAIRS 2>&1)
    [ -n "$(num shared "$s")" ] || fail "coshare-stockshare, sample $i: $s"
    guest_type_line h2 go || fail "cannot start h2's round $i"
    # Quiet while h2 unhints and hints: each look at its log runs processes
    # in dom0, and looking at once made the rounds about a fifth slower.
    sleep 1
    guest_wait_line h2 "step=round .*\"round\":$i[,}]" 120 || fail "h2's round $i"
    r=$(probe_line h2 round)    # round i: the next waits for our line
    [ "$(num rc "$r")" = 0 ] || fail "h2's round $i failed: $r"
    echo "$(num shared "$s") $(ms_of "$s") $(num shared "$r") $(ms_of "$r")" >> /tmp/pairs
    log "pair $i: stock $s; hint $r"
    i=$((i + 1))
done
guest_wait_line h2 "step=hint " 60 || fail "h2 did not report its rounds"
xl vcpu-pin Domain-0 all all || fail "xl vcpu-pin Domain-0 all"
h=$(probe_line h2 hint)
log "hint op, h2 (after h1 inserted the same range): $h"
[ "$(num rc "$h")" = 0 ] || fail "h2's hints failed: $h"

# Xen's audit compares a count taken at its start with what it then finds:
# only a quiet system (paused guests, no copy-on-write) gives it a fair read.
xl pause h1 && xl pause h2 || fail "xl pause h1 h2"
xen-memshare audit > /tmp/audit 2>&1
grep -q "^Audit returned 0 errors" /tmp/audit || fail "audit: $(cat /tmp/audit)"
xl unpause h1 && xl unpause h2 && xl unpause s1 && xl unpause s2 || fail "xl unpause"
coshare-ctl audit || fail "audit after the hints"
for g in s1 s2 h1 h2; do guest_alive $g || fail "guest $g died"; done

# Per pair: pages per second of each path, and their ratio; then the sums,
# the medians and the median ratio (over the pairs whose sample had pages
# to share: one without has no stock rate).
figures=$(awk -v goal=$GOAL '
    function median(a, n,   i, j, t) {
        for (i = 2; i <= n; i++)
            for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { ss += $1; sm += $2; hs = $3
      if ($1 == 0) next
      n++; sp[n] = $1 * 1000 / ($2 > 0 ? $2 : 1); hp[n] = $3 * 1000 / ($4 > 0 ? $4 : 1)
      ra[n] = hp[n] / (sp[n] > 0 ? sp[n] : 1)
      pairs = pairs (n > 1 ? "," : "") sprintf("{\"stock_pages_per_s\":%.0f,\"hint_pages_per_s\":%.0f,\"ratio\":%.1f}", sp[n], hp[n], ra[n]) }
    END { r = median(ra, n); s = median(sp, n); h = median(hp, n)
          printf "%d %.0f %d %.0f %.0f %.1f %s [%s] %d", ss, sm, hs, s, h, r,
                 (r >= goal ? "true" : "false"), pairs, n }' /tmp/pairs)
set -- $figures
stock_shared=$1 stock_ms=$2 hint_shared=$3
log "stock shared $stock_shared pages in $stock_ms ms ($PAIRS samples); the hint op $hint_shared per round"
log "pages per second (median of $9 pairs): stock $4, hint $5; median pair ratio $6 (goal >= $GOAL)"
[ "${stock_shared:-0}" -gt $((COUNT / 4)) ] || fail "stock shared only $stock_shared pages"
[ "${hint_shared:-0}" -gt $((COUNT / 4)) ] || fail "the hint op shared only $hint_shared pages"
[ "$7" = true ] || log "GOAL NOT MET: the hint path is $6 times as fast as the stock path, goal $GOAL"
echo "COSHARE-JSON: {\"scenario\":\"stock-vs-hint\",\"gfns\":$COUNT,\"pairs_used\":$9,\"stock_shared\":$stock_shared,\"stock_ms\":$stock_ms,\"hint\":$h,\"stock_pages_per_s\":$4,\"hint_pages_per_s\":$5,\"ratio\":$6,\"goal_ratio\":$GOAL,\"goal_met\":$7,\"pairs\":$8}"
guest_stop h1; guest_stop h2; guest_stop s1; guest_stop s2
coshare-ctl audit || fail "audit at the end"
