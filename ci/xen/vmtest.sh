#!/usr/bin/env bash
# The nested-VM suite (`make vmtest`): builds what is missing (the patched
# hypervisor, coshare.ko, the test module coshare_probe.ko, and coshare-ctl
# and coshare-probe in the dom0-matching chroot), then boots Xen under QEMU
# for each coshare test.  Exit status 0 only if every test printed PASS.
# Each test's figures (COSHARE-JSON console lines) and sampled CSV
# (COSHARE-CSV64, gzip + base64) land in $BUILD/vm/results/, with a PNG plot
# of the CSV, and all of them in $BUILD/vm-results.json.
set -euo pipefail
PROG=vmtest
. "$(dirname "$0")/lib.sh"

# Retry policy: under load QEMU TCG itself loses a guest to a triple fault
# now and then, on Debian's stock Xen too (make vmtest-baseline).  A test
# that failed while a guest triple-faulted runs again from a fresh boot, up
# to $TRIES times in all; each failed try's log is kept as TEST.tryN.log, a
# COSHARE-NOTE says so, and the results record them ("failed_tries").  A
# failure without a triple fault is final at once, and so is one with a
# trace of coshare, of Xen itself or of a guest kernel (fatal_traces).
# overcommit-storm pins its guests to one physical CPU: with guests on both
# it lost them to such faults in two tries of three (docs/results.md).
TRIES=3
# `make test` runs these; the measurements (make vmbench) are the speed and
# yield scenarios, whose goals are reported, met or not.
tests=(coshare-smoke smp-guests cow-storm idle-guests module-refusals overcommit-storm)
measurements=(stock-vs-hint hetero-guests debian-guests)
case "${1:-}" in
-h|--help)
    cat <<EOT
usage: ci/xen/vmtest.sh [--measurements | TEST...]
  Runs the nested-VM tests (default: ${tests[*]}; with
  --measurements, make vmbench's: ${measurements[*]}) against the patched Xen
  from hyp-iface/xen/build-xen.sh (module-refusals: Debian's stock Xen).
  Logs: \$BUILD/vm/logs/TEST.log.  COSHARE_MONITOR_PORT=P gives QEMU a
  monitor on 127.0.0.1:P, for ci/xen/profile-xen.sh.  COSHARE_TCG_THREAD=
  single|multi runs QEMU's CPUs on one host thread or one each (default:
  single for smp-guests, multi for the others).  smp-control, not in the
  default list, is smp-guests' workload with coshare idle: what the
  emulator alone loses.
EOT
    exit 0;;
esac
if [ "${1:-}" = --measurements ]; then
    tests=("${measurements[@]}")
elif [ $# -gt 0 ]; then
    tests=("$@")
fi

xen=$(bash "$ROOT/hyp-iface/xen/build-xen.sh")
xen_debug=$(bash "$ROOT/hyp-iface/xen/build-xen.sh" --debug)
qemu=$(bash "$CI_XEN/build-qemu.sh")
kver=$(host_kver)          # the kernel the guests boot
say "building coshare.ko against $kver"
make -s -C "$ROOT/guest-driver" KDIR="/usr/src/linux-headers-$kver" >/dev/null
make -s -C "$ROOT/guest-driver" probe KDIR="/usr/src/linux-headers-$kver" >/dev/null

# dom0 programs link against dom0's libxen (4.17.5), so build them in the
# chroot that has exactly that libxen-dev.
say "building the dom0 tools and coshare-probe against dom0's libraries"
out=$VM/userspace
mkdir -p "$out"
"$CI_XEN/build-in-chroot.sh" --dir "$ROOT" -- sh -c "
    cmake -S '$ROOT/userspace-test' -B '$out' -DCMAKE_BUILD_TYPE=Release \
          -DCOSHARE_VM_TOOLS_ONLY=ON >/dev/null &&
    cmake --build '$out' -j $(nproc) --target coshare-ctl coshare-oracle coshare-stockshare coshare-fpcompare \
          coshare-foreign-access \
          coshare-probe >/dev/null"

# Modules smp-guest.sh loads and unloads in a loop (the guests' kernel's).
mods=()
for m in lib/test_static_key_base lib/test_static_keys fs/binfmt_misc \
         fs/nls/nls_utf8 crypto/xxhash_generic drivers/block/brd; do
    ko=/lib/modules/$kver/kernel/$m.ko
    [ -r "$ko" ] || die "no $ko for smp-guests"
    mods+=(--guest-add "$ko:/coshare/mods/$(basename "$ko")")
done

# Each test: the hypervisor it needs and the script its guests run.  The
# tests that attack Xen run the debug build (ASSERTs and lock checks on).
xen_for() {
    case "$1" in
    module-refusals|tcg-baseline) bash "$CI_XEN/get-stock-xen.sh";;
    coshare-smoke|smp-guests|smp-control) echo "$xen_debug";;
    *) echo "$xen";;
    esac
}
guest_script_for() {
    case "$1" in
    module-refusals) echo refusal-guest;;
    idle-guests|hetero-guests|debian-guests) echo idle-guest;;
    overcommit-storm) echo fill-guest;;
    tcg-baseline) echo churn-guest;;
    stock-vs-hint) echo hint-guest;;
    smp-guests|smp-control) echo smp-guest;;
    *) echo coshare-guest;;
    esac
}
# QEMU's TCG threads (COSHARE_TCG_THREAD=single|multi overrides).
# smp-guests runs under one host thread: multi-threaded TCG ran a CPU on
# stale code after another CPU rewrote it (ftrace's int3 patching), and
# lost guests and dom0's timers with coshare idle too (smp-control, its
# control; docs/results.md).
tcg_thread_for() {
    [ -z "${COSHARE_TCG_THREAD:-}" ] || { echo "$COSHARE_TCG_THREAD"; return; }
    case "$1" in
    smp-guests) echo single;;
    *) echo multi;;
    esac
}
guests_for() {   # sizes QEMU's memory
    case "$1" in
    coshare-smoke|cow-storm) echo 3;;
    idle-guests|hetero-guests|debian-guests) echo "${COSHARE_GUESTS:-4}";;
    overcommit-storm) echo 1;;  # little memory: room for three guests
    *) echo 2;;
    esac
}
mem_for() {      # QEMU's memory in MiB, when the guest count does not set it
    case "$1" in
    # ~1000 MiB free for guests: three of 256 MiB fit, the fourth only
    # thanks to the saving.
    overcommit-storm) echo 2048;;
    esac
}

# The figures a test printed, its CSV and plot; then the results file.
results=$VM/results
mkdir -p "$results"
collect() {  # TEST PASSED(0|1) [FAILED-TRY...]
    local t=$1 log=$VM/logs/$1.log pass=$2
    shift 2
    { grep -a "COSHARE-JSON: " "$log" || true; } | sed 's/.*COSHARE-JSON: //' |
        jq -s --arg t "$t" --argjson pass "$pass" --args \
            '{test: $t, pass: ($pass == 0), date: (now | todate), figures: .}
             + (if ($ARGS.positional | length) == 0 then {}
                else {failed_tries: $ARGS.positional} end)' "$@" > "$results/$t.json" ||
        { say "$t printed malformed JSON"; return 1; }
    rm -f "$results/$t.csv" "$results/$t.png"
    if grep -aq "COSHARE-CSV64: " "$log"; then
        grep -a "COSHARE-CSV64: " "$log" | sed 's/.*COSHARE-CSV64: //' |
            base64 -d | gunzip > "$results/$t.csv" || { say "$t: damaged CSV"; return 1; }
        if [ -x "$BUILD/release/coshare-ctl" ]; then
            "$BUILD/release/coshare-ctl" plot "$results/$t.csv" --output "$results/$t.png" >/dev/null
        fi
    fi
}

# The guest triple faults in a test's log (Xen's hvm_triple_fault line).
triple_faults() { grep -a "Triple fault - invoking" "$VM/logs/$1.log" | grep -v ' xen| ' || true; }
# Traces that make a failure final even beside a triple fault: coshare's
# (an audit error, an unpaid unshare), Xen's own (a panic, an assertion)
# and a guest kernel's (an oops, a BUG).
fatal_traces() {
    grep -a "coshare audit:\|attempt to unshare\|Panic on CPU\|FATAL PAGE FAULT\|Xen BUG at\|Assertion '\|Oops:\|BUG: \|general protection fault\|Kernel panic" \
        "$VM/logs/$1.log" || true
}

# Seconds a test may run.  smp-guests: three rounds of 280-520 s, the
# hostile phase (260-570 s; 1,760 s in all in the slowest run of
# 2026-12-06), and room for one round QEMU loses.
timeout_for() {
    case "$1" in
    smp-guests) echo 2100;;
    *) echo 1500;;
    esac
}

run_test() {  # TEST
    local t=$1 mem disk=
    mem=$(mem_for "$t")
    [ "$t" != debian-guests ] || disk=$("$CI_XEN/build-guest-disk.sh")
    "$CI_XEN/run-xen.sh" --xen "$(xen_for "$t")" --test "$CI_XEN/tests/$t.sh" \
        --qemu "$qemu" --tcg-thread "$(tcg_thread_for "$t")" \
        --guests "$(guests_for "$t")" ${mem:+--mem "$mem"} --timeout "$(timeout_for "$t")" \
        ${COSHARE_MONITOR_PORT:+--monitor "$COSHARE_MONITOR_PORT"} ${disk:+--guest-disk "$disk"} \
        --add "$out/coshare-ctl:/usr/local/bin/coshare-ctl" \
        --add "$out/coshare-oracle:/usr/local/bin/coshare-oracle" \
        --add "$out/coshare-stockshare:/usr/local/bin/coshare-stockshare" \
        --add "$out/coshare-fpcompare:/usr/local/bin/coshare-fpcompare" \
        --add "$out/coshare-foreign-access:/usr/local/bin/coshare-foreign-access" \
        --add "$CI_XEN/tests/coshare-lib.sh:/coshare/coshare-lib.sh" \
        --add "$CI_XEN/tests/idle-guests.sh:/coshare/idle-guests.sh" \
        --guest-add "$ROOT/guest-driver/coshare.ko:/coshare/coshare.ko" \
        --guest-add "$ROOT/guest-driver/probe/coshare_probe.ko:/coshare/coshare_probe.ko" \
        --guest-add "$out/coshare-probe:/coshare/coshare-probe" \
        --guest-add "$CI_XEN/tests/$(guest_script_for "$t").sh:/coshare/guest.sh" \
        "${mods[@]}"
}

# The last lines of the run say which test failed and why (CI shows a tail).
summary=()
why_failed() {  # TEST: its FAIL line, else its last lines without CSV
    local log=$VM/logs/$1.log
    grep -a "COSHARE-RESULT: FAIL\|FAIL:" "$log" 2>/dev/null | tail -n 3 ||
        grep -av "COSHARE-CSV64" "$log" 2>/dev/null | tail -n 12
}

rc=0
for t in "${tests[@]}"; do
    [ -f "$CI_XEN/tests/$t.sh" ] || die "no test $CI_XEN/tests/$t.sh"
done
for t in "${tests[@]}"; do
    failed_tries=()
    t_start=$SECONDS
    rm -f "$VM/logs/$t".try*.log
    for ((try = 1; ; try++)); do
        run_test "$t" && pass=0 || pass=1
        tf=$(triple_faults "$t")
        if [ $pass = 0 ] || [ -z "$tf" ] || [ "$t" = tcg-baseline ] || ((try == TRIES)); then
            break
        fi
        ft=$(fatal_traces "$t")
        if [ -n "$ft" ]; then
            echo "COSHARE-NOTE: $t failed with a guest triple fault but also with this trace, so it is final:"
            echo "$ft" | head -n 5 | sed 's/^/  /'
            break
        fi
        failed_tries+=("try $try: $(echo "$tf" | sed 's/.*(XEN) *\[ *[0-9.]*\] //' | sort -u | tr '\n' ';')")
        mv -f "$VM/logs/$t.log" "$VM/logs/$t.try$try.log"
        echo "COSHARE-NOTE: $t failed while a guest triple-faulted: ${failed_tries[-1]}"
        echo "COSHARE-NOTE: QEMU TCG loses guests this way on stock Xen too (make vmtest-baseline);" \
            "running $t again (try $((try + 1)) of $TRIES; log of this try: $VM/logs/$t.try$try.log)"
    done
    collect "$t" "$pass" "${failed_tries[@]}" || { say "$t: its results could not be collected"; pass=1; }
    rc=$((rc | pass))
    tries_note=${failed_tries[*]:+ (try $try; earlier tries lost guests: ${failed_tries[*]})}
    took=" in $((SECONDS - t_start)) s"
    say "$t: done$took"
    if [ $pass = 0 ]; then
        summary+=("PASS $t$took$tries_note")
    else
        summary+=("FAIL $t$took$tries_note")
        while IFS= read -r l; do summary+=("     $l"); done < <(why_failed "$t")
    fi
done
jq -s '{date: (now | todate), tests: .}' "$results"/*.json > "$BUILD/vm-results.json"
say "results: $BUILD/vm-results.json"
say "summary:"
printf '  %s\n' "${summary[@]}"
exit $rc
