#!/usr/bin/env bash
# Where the nested machine spends its time: samples every vCPU's RIP through
# QEMU's monitor while a test runs (run-xen.sh --monitor, or vmtest.sh with
# COSHARE_MONITOR_PORT), then counts the samples by hypervisor function
# (xen-syms) and by guest context.  A poor man's profiler for Xen under TCG,
# where perf cannot see inside the emulated machine.
set -euo pipefail
PROG=profile-xen
. "$(dirname "$0")/lib.sh"

port=4444 interval=0.01 syms=$BUILD/xen/work/xen/xen-syms out='' top=30
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help)
        cat <<EOT
usage: ci/xen/profile-xen.sh [--port P] [--interval S] [--syms FILE] [--out FILE] [--top N]
  Connects to QEMU's monitor on 127.0.0.1:P (default 4444; waits for it to
  appear), samples 'info registers -a' every S seconds (default 0.01) until
  QEMU exits or Ctrl-C, then prints the N (default 30) hypervisor functions
  with most samples, resolved with FILE (default \$BUILD/xen/work/xen/xen-syms,
  left by hyp-iface/xen/build-xen.sh).  Raw samples: --out FILE.
  Start it, then e.g.: COSHARE_MONITOR_PORT=4444 ci/xen/vmtest.sh stock-vs-hint
EOT
        exit 0;;
    --port) port=$2; shift 2;;
    --interval) interval=$2; shift 2;;
    --syms) syms=$2; shift 2;;
    --out) out=$2; shift 2;;
    --top) top=$2; shift 2;;
    *) die "unknown argument '$1' (see --help)";;
    esac
done
[ -r "$syms" ] || die "no symbol file $syms (build the hypervisor first)"
command -v addr2line >/dev/null || die "addr2line missing (binutils)"
out=${out:-$(mktemp /tmp/profile-xen.XXXXXX)}

say "waiting for QEMU's monitor on port $port"
until exec 3<>"/dev/tcp/127.0.0.1/$port"; do sleep 1; done 2>/dev/null
say "sampling every $interval s into $out (until QEMU exits)"
# One reader keeps "CS RIP" pairs; the writer asks until the socket closes.
tr -d '\r' <&3 | awk '/^RIP=/ { rip = substr($1, 5) }
                      /^CS =/ { print substr($2, 2, 4), rip; fflush() }' > "$out" &
reader=$!
trap 'kill $reader 2>/dev/null || true' EXIT
while echo "info registers -a" >&3 2>/dev/null; do
    sleep "$interval"
    kill -0 $reader 2>/dev/null || break
done
wait $reader 2>/dev/null || true

total=$(wc -l < "$out")
[ "$total" -gt 0 ] || die "no samples (is QEMU running with --monitor $port?)"
xen=$(awk '$1 == "e008"' "$out" | wc -l)
echo "samples: $total vCPU samples; hypervisor $xen, guests and dom0 $((total - xen))"
echo "by context (CS selector):"
awk '{ n[$1]++ } END { for (c in n) printf "  %6d  %s\n", n[c], c }' "$out" | sort -rn
echo "hypervisor functions (of $xen samples):"
awk '$1 == "e008" { print "0x" $2 }' "$out" | addr2line -f -e "$syms" |
    awk 'NR % 2 == 1' | sort | uniq -c | sort -rn | head -n "$top" |
    awk -v t="$xen" '{ printf "  %6d  %5.1f%%  %s\n", $1, 100 * $1 / t, $2 }'
