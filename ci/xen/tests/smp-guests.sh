#!/bin/sh
# Multi-vCPU guests (runs in dom0).  A round: a 2-vCPU and a 4-vCPU guest,
# their vCPUs free to run on both physical CPUs, coshare.ko at its defaults
# scanning every 20 ms, each writing on every vCPU at once for ROUND_SECONDS
# (smp-guest.sh: page cache shared across the guests and rewritten, a file
# mapped PROT_EXEC and rewritten with pwrite; g2 turns ftrace's function
# tracer on and off, g1 loads and unloads modules).  Every write must read
# back, no guest may crash, the audit stays clean throughout, kernel text is
# shared again after each ftrace round, and none of the kernel's page tables
# is ever shared.
#
# vmtest.sh runs this under single-threaded TCG: multi-threaded TCG ran a
# guest CPU on stale code that another CPU had rewritten, and lost guests
# and dom0's timers with coshare idle too (smp-control.sh; docs/results.md).
# Xen still has two physical CPUs, and the guests' vCPUs run on both.
# QEMU may still lose a guest to a triple fault.  A round in which one was
# lost that way, with no trace of coshare, of Xen or of a guest kernel, is
# counted and run again; any such trace fails the test at once.  ROUNDS
# clean rounds are needed, within MAX_ATTEMPTS.
#
# Then, in the same boot, the hostile phase: h1 (2 vCPUs) attacks through
# Xen's own memory and grant ops (remove_from_physmap, decrease_reservation,
# populate_physmap near and far until its p2m pool is empty, superpages with
# a hint inside, add_to_physmap moving pages, memory_exchange, grant
# transfer) while its other vCPU hints and unhints the same gfns, all of them
# shared with h2's copy of the content.  Meanwhile dom0 maps and writes
# h1's pages through foreign maps, grant maps and grant copies
# (coshare-foreign-access) and audits.  Last, h1 has pages of fresh content
# shared and populates gfns with the room that leaves in its tot_pages: its
# own and its shared pages must stay within max_pages.  h1 is a
# populate-on-demand guest with more PoD entries than Xen holds cache pages
# for, so Xen's PoD code sees every gfn it gives back.  Then h2 writes and
# checks every page (a write that reached a shared frame shows there), and
# once both are gone Xen has every frame back.
. /coshare/lib.sh
. /coshare/coshare-lib.sh

# One round of 240 s: the writing that three rounds of 80 s gave, without
# two more boots of the pair (a round took 700 s for 120 s of writing on a
# slow day: boots, and scans hinting under the debug Xen's per-op check).
ROUNDS=${COSHARE_SMP_ROUNDS:-1}
HOSTILE_ROUNDS=${COSHARE_HOSTILE_ROUNDS:-20000}
# A whole audit takes seconds on this debug Xen under single-threaded TCG
# (tens of seconds on a slow day; back to back, audits took most of a
# round), all of it on one of the two physical CPUs; the engine lock it
# takes a few frames at a time.  The debug Xen checks what every op
# touched as the op ends (cfg.audit_each_op), so the whole audit runs
# every AUDIT_SECONDS: still several times in each round and in the
# hostile phase, and after every round.  Each one's time is logged.
AUDIT_SECONDS=${COSHARE_AUDIT_SECONDS:-60}
ROUND_SECONDS=${COSHARE_SMP_SECONDS:-240}
MAX_ATTEMPTS=$((ROUNDS + 5))
# Under emulation, patching in the function tracer takes a 4-vCPU guest
# tens of seconds in the kernel: the lockup watchdogs may wait longer before
# they call that a lockup (dom0 reports a guest that stops making progress).
SLOW="watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=120"
COSHARE_ON_CREATE=enable_coshare

# The traces that make a failure coshare's, Xen's or a guest kernel's.
traces() {  # NAME...
    guest_traces "$@"
    xl dmesg | grep -a "coshare audit\|attempt to unshare\|FATAL\|Assertion\|Xen BUG" | head -n 3
}

# fail_traced WHAT NAME...: if the guests or Xen left a trace, print the
# guests' first one in full, then fail with its first line (the FAIL line
# is what CI's tail shows).
fail_traced() {
    local what=$1 tr
    shift
    tr=$(traces "$@")
    [ -n "$tr" ] || return 0
    echo "$tr"
    guest_trace_context "$@"
    fail "$what: a coshare, Xen or guest kernel trace: $(echo "$tr" | head -n 1) at: $(guest_trace_where "$@")"
}

larger() {  # A B: the larger of two decimal numbers
    awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'
}

# timed_audit: coshare-ctl audit into /tmp/audit, counted and timed (the
# longest goes into the results).
timed_audit() {
    local t0 t
    t0=$(uptime_s)
    coshare-ctl audit > /tmp/audit 2>&1 || return 1
    t=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }')
    log "audit $((audits + 1)): $t s, $(cat /tmp/audit)"
    audits=$((audits + 1))
    audit_max_s=$(larger "$t" "$audit_max_s")
    return 0
}

# A guest whose heartbeat stopped: what Xen knows of its vCPUs.
stalled() {
    log "$1 made no progress for 120 s: its console's last lines, then Xen's view of its vCPUs"
    grep -av "step=alive" "$(guest_logfile "$1")" | tail -n 40 | sed "s/^/$1| /"
    xl vcpu-list
    xl debug-keys q
    xl dmesg | tail -n 60
    fail "$1 stalled"
}

# round N: 0 clean, 2 a guest lost to the emulator (traceless triple fault).
round() {
    local t0 now a1 a2 last1= last2= seen1 seen2 gone= audited=0
    xl dmesg -c > /dev/null     # what it shows from now on is this round's
    COSHARE_VCPUS=2 guest_start g1 256 coshare.run=/coshare/guest.sh \
        coshare.seconds="$ROUND_SECONDS" coshare.role=modules $SLOW
    COSHARE_VCPUS=4 guest_start g2 256 coshare.run=/coshare/guest.sh \
        coshare.seconds="$ROUND_SECONDS" coshare.role=ftrace $SLOW
    t0=$(date +%s) seen1=$t0 seen2=$t0
    until grep -aq "step=end" "$(guest_logfile g1)" &&
          grep -aq "step=end" "$(guest_logfile g2)"; do
        for g in g1 g2; do guest_exists "$g" || gone="$gone $g"; done
        [ -z "$gone" ] || break
        now=$(date +%s)
        if [ $((now - audited)) -ge "$AUDIT_SECONDS" ]; then
            timed_audit || { cat /tmp/audit; fail "round $1: audit while the guests write"; }
            audited=$(date +%s) now=$audited
        fi
        a1=$(probe_line g1 alive) a2=$(probe_line g2 alive)
        [ "$a1" = "$last1" ] || { last1=$a1 seen1=$now; }
        [ "$a2" = "$last2" ] || { last2=$a2 seen2=$now; }
        # A guest that has ended its round (g1 boots first, and g2 may
        # take minutes) prints no more: it has not stalled.
        grep -aq "step=end" "$(guest_logfile g1)" && seen1=$now
        grep -aq "step=end" "$(guest_logfile g2)" && seen2=$now
        if [ $((now - t0)) -lt "$ROUND_SECONDS" ]; then
            [ $((now - seen1)) -lt 120 ] || stalled g1
            [ $((now - seen2)) -lt 120 ] || stalled g2
        fi
        [ $((now - t0)) -lt $((ROUND_SECONDS + 900)) ] || fail "round $1: the guests did not finish"
        sleep 10
    done
    fail_traced "round $1" g1 g2
    if [ -n "$gone" ]; then
        tf=$(xl dmesg | grep -a "Triple fault" | tail -n 2 | tr '\n' ' ')
        [ -n "$tf" ] || fail "round $1:$gone died without a triple fault"
        log "round $1:$gone lost to the emulator: $tf"
        losses="$losses;$tf"
        guest_stop g1 2>/dev/null; guest_stop g2 2>/dev/null
        return 2
    fi
    grep -a "COSHARE-PROBE" "$(guest_logfile g1)" "$(guest_logfile g2)" | grep -v "step=alive"
    check_round "$1"
    guest_stop g1; guest_stop g2
    coshare-ctl audit > /dev/null || fail "round $1: audit after destroying the guests"
}

# What a clean round must show; adds its figures to the totals.
check_round() {
    local g w e p c m r min k pass
    for g in g1 g2; do
        w=$(probe_line "$g" writers) e=$(probe_line "$g" exec)
        p=$(probe_line "$g" pagetables) c=$(probe_line "$g" counters)
        [ -n "$w" ] && [ "$(num wrong "$w")" = 0 ] && [ "$(num writes "$w")" -gt 0 ] ||
            fail "round $1, $g: writers lost a write or made none: $w"
        [ "$(num wrong_reads "$e")" = 0 ] && [ "$(num wrong_readbacks "$e")" = 0 ] &&
            [ "$(num writes "$e")" -gt 0 ] && [ "$(num reads "$e")" -gt 0 ] ||
            fail "round $1, $g: the PROT_EXEC file showed a wrong version: $e"
        [ "$(num shared "$p")" = 0 ] && [ "$(num tables "$p")" -gt 0 ] ||
            fail "round $1, $g: kernel page tables were shared: $p"
        [ "$(num hypercall_errors "$c")" = 0 ] || fail "round $1, $g: hypercall errors: $c"
        writes=$((writes + $(num writes "$w"))) checks=$((checks + $(num checks "$w")))
        rewrites=$((rewrites + $(num writes "$e"))) reads=$((reads + $(num reads "$e")))
    done
    m=$(probe_line g1 modules)
    [ "$(num failed "$m")" = 0 ] && [ "$(num rounds "$m")" -gt 0 ] ||
        fail "round $1, g1: modules failed to load or unload: $m"
    modules=$((modules + $(num rounds "$m")))
    # After every ftrace round, as much kernel text shared as before the
    # first (less 2%): sharing comes back once the text is patched back.
    local before after
    before=$(probe_line g2 text-before)
    before=$(($(num text_shared "$before") + $(num text_merged_now "$before")))
    r=$(grep -a "name=g2 step=ftrace round=" "$(guest_logfile g2)" | wc -l)
    [ "$r" -ge 1 ] || fail "round $1, g2 ran no ftrace round"
    ftrace_functions=$(num functions "$(probe_line g2 ftrace-filter)")
    [ "${ftrace_functions:-0}" -gt 0 ] || fail "round $1, g2 traced no function"
    grep -a "name=g2 step=ftrace round=" "$(guest_logfile g2)" > /tmp/ftrace
    while read -r l; do
        after=$(($(num text_shared "$l") + $(num text_merged_now "$l")))
        for k in on_s off_s; do
            pass=$(echo "$l" | sed -n "s/.* $k=\([0-9.]*\) .*/\1/p")
            ftrace_pass_max_s=$(larger "$pass" "$ftrace_pass_max_s")
        done
        [ $((after * 50)) -ge $((before * 49)) ] ||
            fail "round $1: kernel text not shared again after ftrace ($after pages, $before before): $l"
        [ -z "$min_text" ] || [ "$after" -ge "$min_text" ] || min_text=$after
        [ -n "$min_text" ] || min_text=$after
    done < /tmp/ftrace
    text_pages=$(num pages "$(probe_line g2 text-before)") text_before=$before
    ftrace=$((ftrace + r))
}

# Every domain's tot_pages within its max_pages, read from xentop (KiB, so
# exact to the page).  dom0 has no limit; h1 and h2 must be listed.
check_max_pages() {
    local over limited
    xentop -b -i 1 > /tmp/xentop 2>&1 || { cat /tmp/xentop; fail "xentop failed"; }
    over=$(awk '$5 ~ /^[0-9]+$/ && $7 ~ /^[0-9]+$/ && $5 > $7 {
        print $1 ": tot_pages " $5 / 4 " > max_pages " $7 / 4 }' /tmp/xentop)
    [ -z "$over" ] || fail "a domain holds more than its max_pages: $over"
    limited=$(awk '$5 ~ /^[0-9]+$/ && $7 ~ /^[0-9]+$/ { print $1 }' /tmp/xentop | sort | tr '\n' ' ')
    case "$limited" in
    *h1*h2*) max_pages_checks=$((max_pages_checks + 1));;
    *) cat /tmp/xentop; fail "xentop did not list h1 and h2 with their limits";;
    esac
}

op_count() {    # OP OUTCOME JSON: how often coshare-foreign-access's OP gave OUTCOME
    num "$2" "$(echo "$3" | sed -n "s/.*\"$1\":{\([^}]*\)}.*/\1/p")"
}

# h1 is a populate-on-demand guest (maxmem above memory) whose balloon
# driver is told that all of maxmem is its target, as a guest kernel
# without a balloon driver behaves: it keeps more PoD entries than Xen has
# cache pages, and so Xen takes the RAM it gives back into its PoD cache
# (and sweeps its zeroed pages into it when the cache runs dry).  Shared
# pages must be left to coshare on both paths.  Its max_pages has
# HOSTILE_ROOM MiB of room above maxmem, as a guest that may balloon up
# has: the shared pages it maps count against it, and its superpages, far
# gfns and the max_pages attack need room to populate, while its module
# gives the pages Xen reclaimed from its pool memory again (so the room its
# reclaims free does not last).  (The balloon driver reads static-max,
# which mem-max sets, once: the target is written after it.)
HOSTILE_MAXMEM=272 HOSTILE_ROOM=32
hostile_on_create() {
    local domid max
    domid=$(xl domid "$1") &&
        xl mem-max "$1" $((HOSTILE_MAXMEM + HOSTILE_ROOM))m &&
        max=$(xenstore-read "/local/domain/$domid/memory/static-max") &&
        xenstore-write "/local/domain/$domid/memory/target" "$max" &&
        enable_coshare "$1"
}

# pod_counts NAME: "ENTRIES CACHE", Xen's populate-on-demand counts for
# NAME, from the domain dump of debug key q.
pod_counts() {
    local domid
    domid=$(xl domid "$1") || return 1
    xl debug-keys q
    xl dmesg | awk -v d="$domid:" '
        /General information for domain/ { mine = ($NF == d) }
        mine && /PoD entries=/ { n = $0; sub(/.*entries=/, "", n); sub(/ cachesize=/, " ", n) }
        END { print n }'
}

hostile() {
    local free0 free1 t0 h a p tr fa fa_pid op i pod audited=0
    xl dmesg -c > /dev/null
    free0=$(free_mib)
    COSHARE_VCPUS=1 guest_start h2 256 coshare.run=/coshare/guest.sh \
        coshare.role=partner $SLOW
    guest_wait_line h2 "step=partner .*waiting" 300 || fail "h2 holds no pattern"
    COSHARE_ON_CREATE=hostile_on_create COSHARE_VCPUS=2 \
        COSHARE_MAXMEM=$HOSTILE_MAXMEM guest_start h1 256 \
        coshare.run=/coshare/guest.sh coshare.role=hostile \
        coshare.rounds="$HOSTILE_ROUNDS" $SLOW
    pod=$(pod_counts h1)
    log "h1's PoD entries and cache pages: $pod"
    [ -n "$pod" ] && [ "${pod% *}" -gt "${pod#* }" ] ||
        fail "h1 has no more PoD entries than cache pages ($pod): Xen's PoD code would not take its pages"
    guest_wait_line h1 "step=hostile-grants" 300 || fail "h1 granted nothing"
    # h1 prints its grants three times (a kernel message can split a long
    # console line): coshare-foreign-access takes the first intact copy.
    grants_lines() {
        grep -a "COSHARE-PROBE name=h1 step=hostile-grants " "$(guest_logfile h1)" |
            sed "s/.*step=hostile-grants //"
    }
    i=0
    while [ "$(grants_lines | wc -l)" -lt 3 ] && [ $i -lt 60 ]; do
        sleep 1; i=$((i + 1))
    done
    grants_lines > /tmp/grants.json
    coshare-foreign-access "$(xl domid h1)" /tmp/grants.json > /tmp/foreign.json \
        2> /tmp/foreign.err &
    fa_pid=$!
    t0=$(date +%s)
    until grep -aqE "step=(hostile-rounds-done|end)" "$(guest_logfile h1)"; do
        guest_exists h1 || { fail_traced "h1 died" h1 h2; fail "the hostile guest h1 died"; }
        guest_exists h2 || { fail_traced "h2 died" h1 h2; fail "the partner h2 died"; }
        if [ $(($(date +%s) - audited)) -ge $((AUDIT_SECONDS / 3)) ]; then
            timed_audit || { cat /tmp/audit; fail "audit while h1 attacks"; }
            hostile_audits=$((hostile_audits + 1))
            audited=$(date +%s)
            check_max_pages
        fi
        [ $(($(date +%s) - t0)) -lt 1200 ] || fail "h1 did not finish"
        sleep 1
    done
    check_max_pages
    kill -TERM "$fa_pid"
    wait "$fa_pid" || { cat /tmp/foreign.err; fail "dom0's foreign access: $(cat /tmp/foreign.json)"; }
    guest_type_line h1 stopped      # h1 ends its grants now
    guest_wait_line h1 "step=end" 300 || fail "h1 did not end its grants"
    fa=$(cat /tmp/foreign.json)
    log "dom0's foreign access: $fa"
    for op in foreign_rw:ok gmap_rw_of_rw:ok gmap_ro_of_ro:ok copy_to_rw:gntst_0 copy_from_ro:gntst_0; do
        [ "$(op_count "${op%:*}" "${op#*:}" "$fa")" -gt 0 ] 2>/dev/null ||
            fail "dom0 never reached h1's pages by ${op%:*}: $fa"
    done
    h=$(probe_line h1 hostile-memory)
    log "h1: $h"
    [ "$(num wrong "$h")" = 0 ] && [ "$(num missing "$h")" = 0 ] &&
        [ "$(num grants_left "$h")" = 0 ] ||
        fail "the hostile guest got results the ABI does not allow: $h"
    [ "$(num charged_after "$h")" -le "$(num max_pages "$h")" ] ||
        fail "h1's own and shared pages exceed its max_pages: $h"
    a=$(probe_line h1 max-pages-attack)
    log "h1's attack on its max_pages: $a"
    [ "$(num inserted "$a")" -ge 512 ] && [ "$(num populated "$a")" -gt 0 ] ||
        fail "h1's attack on its max_pages did not run: $a"
    [ "$(num given_back "$a")" = "$(num populated "$a")" ] ||
        fail "h1 could not give back the gfns it populated: $a"
    [ "$(num charged_after "$a")" -le "$(num max_pages "$a")" ] ||
        fail "h1 populated beyond its max_pages with the room its shared pages left: $a"
    [ "$(num p2m_pool_empty "$h")" -gt 0 ] ||
        fail "h1 never emptied its p2m pool: $h"
    for op in exchange transfer split shared_info_home; do
        echo "$h" | grep -q "\"$op\":{" || fail "h1 never tried $op: $h"
    done
    guest_type_line h2 check
    guest_wait_line h2 "step=end" 300 || fail "h2 did not check its pages"
    p=$(probe_line h2 partner)
    log "h2: $p"
    [ "$(num intact "$p")" = 512 ] || fail "h2's pages changed under h1's attack: $p"
    fail_traced "hostile phase" h1 h2
    guest_stop h1; guest_stop h2
    coshare-ctl audit > /dev/null || fail "audit after the hostile phase"
    sleep 3
    free1=$(free_mib)
    log "hostile phase: $free0 MiB free before, $free1 MiB after"
    [ "$free1" -ge $((free0 - 2)) ] || fail "Xen lost memory: $free0 MiB free before, $free1 after"
    hostile_json="\"hostile_rounds\":$(num rounds "$h"),\"hostile_hint_batches\":$(num hint_batches "$h"),\"hostile_audits\":$hostile_audits,\"p2m_pool_empty\":$(num p2m_pool_empty "$h"),\"dom0_foreign_steps\":$(num steps "$fa"),\"max_pages_checks\":$max_pages_checks,\"max_pages_attack\":$a,\"pod_entries_cache\":[${pod% *},${pod#* }],\"free_mib_before\":$free0,\"free_mib_after\":$free1"
}

clean=0 attempts=0 audits=0 audit_max_s=0 hostile_audits=0 max_pages_checks=0 losses= writes=0 checks=0 rewrites=0 reads=0
modules=0 ftrace=0 ftrace_functions=0 ftrace_pass_max_s=0 min_text= text_pages=0 text_before=0
while [ "$clean" -lt "$ROUNDS" ]; do
    [ "$attempts" -lt "$MAX_ATTEMPTS" ] ||
        fail "only $clean clean rounds in $attempts: QEMU lost guests in every other one"
    attempts=$((attempts + 1))
    log "round $attempts ($clean of $ROUNDS clean so far)"
    if round "$attempts"; then clean=$((clean + 1)); fi
done
lost=$((attempts - clean))
log "the hostile phase ($HOSTILE_ROUNDS rounds)"
hostile
log "smp: $clean clean rounds of $ROUND_SECONDS s in $attempts ($lost lost to the emulator$losses); $writes writes and $checks checks, $rewrites PROT_EXEC rewrites read $reads times, $ftrace ftrace rounds of $ftrace_functions functions (the longest pass $ftrace_pass_max_s s; kernel text shared: $text_before of $text_pages pages before, >= $min_text after each), $modules module rounds, $audits audits (the longest $audit_max_s s)"
echo "COSHARE-JSON: {\"scenario\":\"smp-guests\",\"vcpus\":[2,4],\"round_seconds\":$ROUND_SECONDS,\"clean_rounds\":$clean,\"attempts\":$attempts,\"lost_to_emulator\":$lost,\"writes\":$writes,\"checks\":$checks,\"exec_rewrites\":$rewrites,\"exec_reads\":$reads,\"ftrace_rounds\":$ftrace,\"ftrace_functions\":$ftrace_functions,\"ftrace_pass_max_s\":$ftrace_pass_max_s,\"text_pages\":$text_pages,\"text_shared_before\":$text_before,\"text_shared_after_min\":$min_text,\"module_rounds\":$modules,\"audits\":$audits,\"audit_max_s\":$audit_max_s,$hostile_json}"
