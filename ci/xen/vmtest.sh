#!/usr/bin/env bash
# The nested-VM suite (`make vmtest`): builds what is missing (the patched
# hypervisor, coshare.ko, the test module coshare_probe.ko, and coshare-ctl
# and coshare-probe in the dom0-matching chroot), then boots Xen under QEMU
# for each coshare test.  Exit status 0 only if every test printed PASS.
set -euo pipefail
PROG=vmtest
. "$(dirname "$0")/lib.sh"

tests=(coshare-smoke module-refusals)
case "${1:-}" in
-h|--help)
    cat <<EOT
usage: ci/xen/vmtest.sh [TEST...]
  Runs the nested-VM tests (default: ${tests[*]}) against the patched Xen
  from hyp-iface/xen/build-xen.sh (module-refusals: Debian's stock Xen).
  cow-storm (make vmtest-storm) is not in the default set: see the README.
  Logs: \$BUILD/vm/logs/TEST.log.
EOT
    exit 0;;
esac
[ $# -gt 0 ] && tests=("$@")

xen=$(bash "$ROOT/hyp-iface/xen/build-xen.sh")
kver=$(host_kver)          # the kernel the guests boot
say "building coshare.ko against $kver"
make -s -C "$ROOT/guest-driver" KDIR="/usr/src/linux-headers-$kver" >/dev/null
make -s -C "$ROOT/guest-driver" probe KDIR="/usr/src/linux-headers-$kver" >/dev/null

# dom0 programs link against dom0's libxen (4.17.5), so build them in the
# chroot that has exactly that libxen-dev.
say "building coshare-ctl and coshare-probe for dom0's libraries"
out=$VM/userspace
mkdir -p "$out"
"$CI_XEN/build-in-chroot.sh" --dir "$ROOT" -- sh -c "
    cmake -S '$ROOT/userspace-test' -B '$out' -DCMAKE_BUILD_TYPE=Release \
          -DCOSHARE_VM_TOOLS_ONLY=ON >/dev/null &&
    cmake --build '$out' -j $(nproc) --target coshare-ctl coshare-probe >/dev/null"

# Each test: the hypervisor it needs and the script its guests run.
xen_for() { case "$1" in module-refusals) bash "$CI_XEN/get-stock-xen.sh";; *) echo "$xen";; esac; }
guest_script_for() { case "$1" in module-refusals) echo refusal-guest;; *) echo coshare-guest;; esac; }
guests_for() { case "$1" in coshare-smoke|cow-storm) echo 3;; *) echo 2;; esac; }   # sizes QEMU's memory

rc=0
for t in "${tests[@]}"; do
    script=$CI_XEN/tests/$t.sh
    [ -f "$script" ] || die "no test $script"
    "$CI_XEN/run-xen.sh" --xen "$(xen_for "$t")" --test "$script" --guests "$(guests_for "$t")" --timeout 1500 \
        --add "$out/coshare-ctl:/usr/local/bin/coshare-ctl" \
        --add "$CI_XEN/tests/coshare-lib.sh:/coshare/coshare-lib.sh" \
        --guest-add "$ROOT/guest-driver/coshare.ko:/coshare/coshare.ko" \
        --guest-add "$ROOT/guest-driver/probe/coshare_probe.ko:/coshare/coshare_probe.ko" \
        --guest-add "$out/coshare-probe:/coshare/coshare-probe" \
        --guest-add "$CI_XEN/tests/$(guest_script_for "$t").sh:/coshare/guest.sh" || rc=1
done
exit $rc
