#!/usr/bin/env bash
# `make demo`: builds what is missing (cached), boots the patched Xen under
# QEMU TCG with a PV dom0 and N PVH guests of 256 MiB running Debian's 6.1
# kernel and coshare.ko (ci/xen/tests/idle-guests.sh), shows the host's
# sharing live while they boot, then a summary and a PNG of saved memory.
set -euo pipefail
PROG=demo
. "$(dirname "$0")/lib.sh"

guests=4
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help)
        cat <<EOT
usage: ci/xen/demo.sh [--guests N]
  Boots N (default 4) identical idle PVH guests of 256 MiB on the patched Xen
  and shows how much of their memory coshare saves.  Takes about
  $((3 + guests)) minutes here (QEMU TCG, no KVM).  Writes
  \$BUILD/vm/results/idle-guests.{json,csv,png}; console log in
  \$BUILD/vm/logs/idle-guests.log.
EOT
        exit 0;;
    --guests) guests=$2; shift 2;;
    *) die "unknown argument '$1' (see --help)";;
    esac
done
[[ "$guests" =~ ^[1-8]$ ]] || die "--guests takes 1..8, not '$guests'"

rc=0
COSHARE_GUESTS=$guests bash "$CI_XEN/vmtest.sh" idle-guests || rc=$?
r=$VM/results
if [ -s "$r/idle-guests.json" ] && jq -e '.figures[0]' "$r/idle-guests.json" >/dev/null; then
    jq -r '.figures[0] |
        "\nSummary: \(.guests) guests x \(.guest_mib) MiB; coshare saved \(.saved_frames) of \(.guest_pages) guest pages (\(.saved_percent)%; goal \(.goal_percent)%: \(if .saved_goal_met then "met" else "NOT MET" end)) in \(.shared_frames) shared frames mapped \(.mappings) times.",
        "Perfect full-content sharing (coshare-oracle) would save \(.oracle.max_saved) frames (\(.oracle.zero_saved) of them zero pages); coshare captured \(.captured_percent)% of that (goal \(.capture_goal_percent)%: \(if .capture_goal_met then "met" else "NOT MET" end)).",
        "The fingerprints the guests recorded (what estimate mode reports) predicted \(.estimate.fingerprint_saved) frames; Xen saved \(.estimate.real_saved) (\(.estimate.real_vs_estimate_percent)%).",
        (.per_guest[] | "  \(.guest) (domain \(.domid)): \(.saved_frames) frames saved, 90% of them \(.seconds_to_90_percent) s after creation")' \
        "$r/idle-guests.json"
fi
[ -s "$r/idle-guests.png" ] && echo "Plot of saved memory over time: $r/idle-guests.png"
echo "Figures: $r/idle-guests.json, samples: $r/idle-guests.csv"
exit $rc
