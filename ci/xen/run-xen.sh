#!/usr/bin/env bash
# Boots Xen under QEMU TCG (no KVM; -cpu qemu64,+svm,+npt gives HVM with HAP,
# which PVH guests need) with Debian's kernel as PV dom0 and the dom0 rootfs
# as its initramfs, runs a test script in dom0, logs the serial console with
# timestamps, and exits 0 only on "COSHARE-RESULT: PASS <test>".
set -euo pipefail
PROG=run-xen
. "$(dirname "$0")/lib.sh"

xen='' test='' guests=2 mem='' dom0_mem=1024 timeout=900 log='' smp=2
xen_args='' dom0_args='' quiet=0 monitor='' guest_disk='' tcg_thread=multi
qemu=qemu-system-x86_64
boot_timeout=150 boot_tries=2
adds=() guest_adds=()
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help)
        cat <<EOT
usage: ci/xen/run-xen.sh --test SCRIPT [options]
  --test SCRIPT     run SCRIPT in dom0 as /coshare/test.sh (e.g. ci/xen/tests/stock-boot.sh)
  --xen FILE        hypervisor (ELF or gzip; default: Debian's stock, get-stock-xen.sh)
  --guests N        guests the test may start, as COSHARE_GUESTS (default 2; sizes memory)
  --mem MB          QEMU memory (default dom0 + N * 320 + 512)
  --dom0-mem MB     dom0 memory (default 1024)
  --timeout S       kill QEMU after S seconds (default 900)
  --boot-timeout S  retry if dom0 has not started Xen's daemons after S s
                    (default 150, up to 2 boots)
  --log FILE        console log (default \$BUILD/vm/logs/TEST.log)
  --add SRC:/DEST   extra file for dom0 (repeatable; see build-dom0-rootfs.sh)
  --guest-add SRC:/DEST  extra file for the guests' initramfs (repeatable)
  --guest-disk IMG  give dom0 IMG (build-guest-disk.sh) as a read-only virtio
                    disk, for guests that boot a Debian userland from it
  --xen-args ARGS   more hypervisor command-line arguments
  --dom0-args ARGS  more dom0 kernel arguments (e.g. loglevel=7 to debug boot)
  --quiet           print only the result lines, not the console's key lines
  --monitor PORT    QEMU's human monitor on 127.0.0.1:PORT (ci/xen/profile-xen.sh)
  --qemu BINARY     the emulator (default: Debian's qemu-system-x86_64;
                    vmtest.sh passes ci/xen/build-qemu.sh's, see there)
  --tcg-thread single|multi
                    QEMU TCG: one host thread for every CPU, or one each
                    (default multi, faster)
Exit status: 0 on PASS; 1 on FAIL, timeout or no result line.
EOT
        exit 0;;
    --xen) xen=$2; shift 2;;
    --test) test=$2; shift 2;;
    --guests) guests=$2; shift 2;;
    --mem) mem=$2; shift 2;;
    --dom0-mem) dom0_mem=$2; shift 2;;
    --timeout) timeout=$2; shift 2;;
    --boot-timeout) boot_timeout=$2; shift 2;;
    --log) log=$2; shift 2;;
    --add) adds+=("$2"); shift 2;;
    --guest-add) guest_adds+=("$2"); shift 2;;
    --guest-disk) guest_disk=$2; shift 2;;
    --xen-args) xen_args=$2; shift 2;;
    --dom0-args) dom0_args=$2; shift 2;;
    --quiet) quiet=1; shift;;
    --monitor) monitor=$2; shift 2;;
    --tcg-thread) tcg_thread=$2; shift 2;;
    --qemu) qemu=$2; shift 2;;
    *) die "unknown argument '$1' (see --help)";;
    esac
done
[ -n "$test" ] || die "--test SCRIPT is required (see --help)"
case "$tcg_thread" in single|multi) ;; *) die "--tcg-thread: single or multi, not '$tcg_thread'";; esac
[ -r "$test" ] || die "no test script $test"
[ -z "$guest_disk" ] || [ -r "$guest_disk" ] || die "no guest disk $guest_disk"
name=$(basename "$test" .sh)
mem=${mem:-$((dom0_mem + guests * 320 + 512))}
log=${log:-$VM/logs/$name.log}
mkdir -p "$(dirname "$log")" "$VM/run"
t_start=$SECONDS

# One run at a time: the rootfs file is shared, and two TCG machines on two
# cores would only slow each other down.
exec 8>"$VM/run.lock"
flock -n 8 || { say "waiting for another run-xen.sh to finish"; flock 8; }

if [ -z "$xen" ]; then
    xen=$("$CI_XEN/get-stock-xen.sh")
elif [ ! -r "$xen" ]; then
    die "no hypervisor $xen"
elif gzip -t "$xen" 2>/dev/null; then
    zcat "$xen" > "$VM/run/xen"; xen=$VM/run/xen
fi
kver=$(host_kver)
gargs=() dargs=()
for a in "${guest_adds[@]}"; do gargs+=(--add "$a"); done
for a in "${adds[@]}"; do dargs+=(--add "$a"); done
[ -z "$guest_disk" ] || gargs+=(--disk-modules)
guest_initrd=$("$CI_XEN/build-guest-initrd.sh" "${gargs[@]}")
rootfs=$("$CI_XEN/build-dom0-rootfs.sh" --out "$VM/run/dom0-rootfs.cpio" \
    --guest-initrd "$guest_initrd" --add "$test:/coshare/test.sh" "${dargs[@]}")

xen_cmd="console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all console_timestamps=boot"
xen_cmd+=" dom0_mem=${dom0_mem}M,max:${dom0_mem}M $xen_args"
dom0_cmd="console=hvc0 earlyprintk=xen rdinit=/init loglevel=5"
dom0_cmd+=" coshare.test=$name coshare.guests=$guests coshare.timeout=$((timeout > 60 ? timeout - 30 : timeout / 2))"
dom0_cmd+="${guest_disk:+ coshare.guest_disk=1} $dom0_args"
say "booting $(basename "$xen") + dom0 $kver, ${mem} MiB, test $name (timeout ${timeout} s)"
say "console log: $log"

# Prefix each console line with seconds since QEMU started; echo the lines
# that tell the progress (results, dom0 test output, panics) to stderr, but
# not the raw samples (COSHARE-CSV64), which only the log needs.
stamp() {
    local t0=${EPOCHREALTIME/./} now line
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line//$'\r'/}
        now=${EPOCHREALTIME/./}
        printf -v line '[%4d.%02d] %s' $(((now - t0) / 1000000)) $(((now - t0) / 10000 % 100)) "$line"
        printf '%s\n' "$line"
        if ((quiet == 0)) && [[ $line != *COSHARE-CSV64:* ]] &&
            [[ $line == *DOM0\[* || $line == *COSHARE-* || $line == *anic* ||
               $line == *'(XEN) ***'* || $line == *FAIL* ]]; then
            printf '%s\n' "$line" >&2
        fi
    done
}
{
    echo "run-xen: $(date -Is) xen=$xen kernel=/boot/vmlinuz-$kver rootfs=$rootfs"
    echo "run-xen: xen: $xen_cmd"
    echo "run-xen: dom0: $dom0_cmd"
} > "$log"
# A watchdog kills QEMU if dom0's /init has not started the Xen daemons in
# time: rarely (about 1 run in 20 here) dom0's kernel stalls while booting,
# and a retry is cheaper than waiting for the whole timeout.
pidfile=$VM/run/qemu.pid hung=$VM/run/boot-hung
watchdog() {  # ATTEMPT
    local i
    for ((i = 0; i < boot_timeout; i++)); do
        sleep 1
        grep -aq "init: xen daemons up" "$log" && return 0
    done
    echo "run-xen: dom0 not up after $boot_timeout s (attempt $1), killing QEMU" >> "$log"
    touch "$hung"
    kill_qemu
}
kill_qemu() {  # only the QEMU this script started (its -pidfile)
    local pid
    pid=$(cat "$pidfile" 2>/dev/null) || return 0
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == qemu-system* ]] && kill "$pid" 2>/dev/null || true
}
dog=
trap '[ -z "$dog" ] || kill "$dog" 2>/dev/null; kill_qemu' EXIT
t_boot=$SECONDS
for ((attempt = 1; ; attempt++)); do
    rm -f "$pidfile" "$hung"
    watchdog "$attempt" &
    dog=$!
    set +e
    # -L: the firmware of Debian's QEMU serves a QEMU built from its source.
    timeout -k 5 "$timeout" "$qemu" -L /usr/share/qemu -L /usr/share/seabios \
        -accel tcg,thread="$tcg_thread" -machine pc -cpu qemu64,+svm,+npt \
        -smp "$smp" -m "$mem" -nographic -no-reboot -net none -pidfile "$pidfile" \
        ${monitor:+-monitor "tcp:127.0.0.1:$monitor,server=on,wait=off"} \
        ${guest_disk:+-drive "file=$guest_disk,if=virtio,format=raw,readonly=on"} \
        -kernel "$xen" -append "$xen_cmd" \
        -initrd "/boot/vmlinuz-$kver $dom0_cmd,$rootfs" < /dev/null 2>&1 | stamp >> "$log"
    qemu_rc=${PIPESTATUS[0]}
    set -e
    kill "$dog" 2>/dev/null || true
    wait "$dog" 2>/dev/null || true
    dog=
    rm -f "$pidfile"
    echo "run-xen: QEMU exit $qemu_rc after $((SECONDS - t_boot)) s" >> "$log"
    [ -e "$hung" ] || break
    say "dom0 did not boot in $boot_timeout s (attempt $attempt of $boot_tries)"
    ((attempt < boot_tries)) || break
done
((qemu_rc != 124 && qemu_rc != 137)) || say "TIMEOUT: QEMU killed after $timeout s"
notes=$(grep -ac "COSHARE-NOTE:" "$log" || true)
((notes == 0)) || say "$notes COSHARE-NOTE line(s): guest boots retried (see the log)"
if grep -aq "COSHARE-RESULT: PASS $name\$" "$log" && ! grep -aq "COSHARE-RESULT: FAIL" "$log"; then
    say "PASS $name: QEMU $((SECONDS - t_boot)) s, total $((SECONDS - t_start)) s"
    exit 0
fi
grep -aq "COSHARE-RESULT:" "$log" || say "no COSHARE-RESULT line (QEMU exit $qemu_rc)"
say "FAIL $name (log: $log)"
exit 1
