#!/usr/bin/env bash
# `make demo`: builds what is missing (cached), boots the patched Xen under
# QEMU TCG with a PV dom0 and N PVH guests of 256 MiB running Debian's 6.1
# kernel, Debian's userland with systemd from one read-only image, and
# coshare.ko (ci/xen/tests/debian-guests.sh; --busybox: the busybox guests of
# idle-guests.sh), shows the host's sharing live while they boot, then a
# summary and a PNG of saved memory.
set -euo pipefail
PROG=demo
. "$(dirname "$0")/lib.sh"

guests=4 scenario=debian-guests
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help)
        cat <<EOT
usage: ci/xen/demo.sh [--guests N] [--busybox]
  Boots N (default 4) identical idle PVH guests of 256 MiB on the patched Xen
  and shows how much of their memory coshare saves.  The guests boot Debian
  bookworm with systemd from one read-only disk image; --busybox gives them
  a busybox initramfs instead (the idle-guests test).  Takes about
  $((3 + 2 * guests)) minutes here (QEMU TCG, no KVM).  Writes
  \$BUILD/vm/results/SCENARIO.{json,csv,png}; console log in
  \$BUILD/vm/logs/SCENARIO.log (SCENARIO: debian-guests or idle-guests).
EOT
        exit 0;;
    --guests) guests=$2; shift 2;;
    --busybox) scenario=idle-guests; shift;;
    *) die "unknown argument '$1' (see --help)";;
    esac
done
[[ "$guests" =~ ^[1-8]$ ]] || die "--guests takes 1..8, not '$guests'"

rc=0
COSHARE_GUESTS=$guests bash "$CI_XEN/vmtest.sh" "$scenario" || rc=$?
r=$VM/results
if [ -s "$r/$scenario.json" ] && jq -e '.figures[0]' "$r/$scenario.json" >/dev/null; then
    jq -r 'def verdict(m): if m == null then "set for busybox guests" elif m then "met" else "NOT MET" end;
        .figures[0] |
        "\nSummary: \(.guests) guests x \(.guest_mib) MiB; coshare saved \(.saved_frames) of \(.guest_pages) guest pages (\(.saved_percent)%; goal \(.goal_percent)%: \(verdict(.saved_goal_met))) in \(.shared_frames) shared frames mapped \(.mappings) times.",
        "Perfect full-content sharing (coshare-oracle) would save \(.oracle.max_saved) frames (\(.oracle.zero_saved) of them zero pages); coshare captured \(.captured_percent)% of that (goal \(.capture_goal_percent)%: \(verdict(.capture_goal_met))).",
        "The fingerprints the guests recorded (what estimate mode reports) predicted \(.estimate.fingerprint_saved) frames; Xen saved \(.estimate.real_saved) (\(.estimate.real_vs_estimate_percent)%).",
        (.per_guest[] | "  \(.guest) (domain \(.domid)): \(.saved_frames) frames saved, 90% of them \(.seconds_to_90_percent) s after creation")' \
        "$r/$scenario.json"
fi
[ -s "$r/$scenario.png" ] && echo "Plot of saved memory over time: $r/$scenario.png"
echo "Figures: $r/$scenario.json, samples: $r/$scenario.csv"
exit $rc
