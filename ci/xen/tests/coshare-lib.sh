# Helpers for the coshare tests in dom0 (sourced after /coshare/lib.sh).
probe_line() {  # NAME STEP: the JSON of that step from NAME's console
    grep -a "COSHARE-PROBE name=$1 step=$2 " "$(guest_logfile "$1")" | tail -n 1 |
        sed "s/.*step=$2 //"
}
num() {         # KEY JSON-or-text: the number after the last "KEY": or KEY=
    # (KEY whole: "ms" does not match "round_ms")
    echo "$2" | sed -n "s/\(^\|.*[{, \"]\)$1\"\{0,1\}[:=]\([0-9-]*\).*/\2/p" | head -n 1
}
ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
ctl_num() {     # DOMID KEY: a counter of that domain from coshare-ctl
    num "$2" "$(coshare-ctl stats "$1" --json | tr -d ' \n')"
}
# The host-wide counters, one snapshot (Xen copies them under the engine
# lock, so counters read from one snapshot agree with each other).
global_stats() {  # [FILE]: host-wide counters, from FILE (saved stats --json) if given
    if [ -n "${1:-}" ]; then cat "$1"; else coshare-ctl stats --json; fi |
        tr -d ' \n' | sed 's/.*"global"://'
}
global_num() {  # KEY [SNAPSHOT]: a host-wide counter, from SNAPSHOT if given
    num "$1" "${2:-$(global_stats)}"
}
free_mib() { xl info | sed -n 's/^free_memory *: *//p'; }
enable_coshare() {  # NAME: hinting on, sharing group 1 (a COSHARE_ON_CREATE hook)
    d=$(xl domid "$1") && coshare-ctl enable "$d" && coshare-ctl group "$d" 1
}

# A guest kernel's traces (an oops, a BUG, a panic, a warning or a stall
# report with its call trace), three lines each.
GUEST_TRACE="Oops\|BUG: \|Kernel panic\|general protection\|Call Trace"
guest_traces() {  # NAME...
    for g in "$@"; do
        grep -a "$GUEST_TRACE" "$(guest_logfile "$g")" 2>/dev/null |
            head -n 3 | sed "s/^/$g: /"
    done
}

# The guests' first trace with the lines around it, for the console log
# (what a FAIL line cannot hold: which warning, which call chain).
guest_trace_context() {  # NAME...
    for g in "$@"; do
        grep -a -m 1 -B 12 -A 40 "$GUEST_TRACE" "$(guest_logfile "$g")" \
            2>/dev/null | sed "s/^/$g| /"
    done
}

# Where the guests' first trace stopped, for a FAIL line: its RIP and the
# first functions of its call trace.
guest_trace_where() {  # NAME...
    for g in "$@"; do
        grep -a -m 1 -A 40 "$GUEST_TRACE" "$(guest_logfile "$g")" 2>/dev/null |
            sed -n 's/.*RIP: [0-9a-f]*:\([^ ]*\).*/\1/p
                    s/^.*\] *\([A-Za-z_][A-Za-z0-9_.]*+0x[0-9a-f]*\/0x[0-9a-f]*\).*/\1/p' |
            head -n 6 | tr '\n' ' '
    done
}
