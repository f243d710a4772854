# Helpers for dom0 test scripts (/coshare/test.sh sources this file).  Guests
# are PVH domains from /etc/coshare/pvh.cfg.in, started one after another:
# under TCG a booting PVH guest sometimes triple-faults (on_crash=destroy makes
# it vanish; guest_start says so and retries).  Each exec costs ~0.1 s in this
# PV dom0 (xl ~0.3 s), so the polling loops run few processes.

CONSOLE_DIR=/var/log/xen/console
COSHARE_BOOT_TRIES=${COSHARE_BOOT_TRIES:-3}
COSHARE_BOOT_TIMEOUT=${COSHARE_BOOT_TIMEOUT:-240}

uptime_s() { read -r up _ < /proc/uptime; echo "$up"; }
log() { echo "DOM0[$(uptime_s)]: $*"; }
fail() { log "FAIL: $*"; exit 1; }

# guest_cfg NAME [MEMORY [EXTRA...]]: write /run/coshare/NAME.cfg from the
# template (MEMORY in MiB, default 256; COSHARE_VCPUS, default 1); print it.
# COSHARE_MAXMEM (MiB, above MEMORY) makes a populate-on-demand guest.
# COSHARE_GUEST_CPUS pins the guest's vCPUs to those physical CPUs.
# With COSHARE_DEBIAN=1 the guest boots the Debian image of
# COSHARE_GUEST_DISK (read-only xvda, see ci/xen/guest/init) with systemd.
guest_cfg() {
    local name=$1 mem=${2:-256} cfg=/run/coshare/$1.cfg extra
    shift; [ $# -gt 0 ] && shift
    extra=$*
    mkdir -p /run/coshare
    if [ "${COSHARE_DEBIAN:-0}" = 1 ]; then
        [ -b "${COSHARE_GUEST_DISK:-}" ] ||
            { log "COSHARE_DEBIAN=1 but no guest disk (run-xen.sh --guest-disk)" >&2; return 1; }
        extra="coshare.root=xvda $extra"
    fi
    sed -e "s|@NAME@|$name|g" -e "s|@EXTRA@|$extra|" \
        -e "s|^memory = .*|memory = $mem|" -e "s|^maxmem = .*|maxmem = ${COSHARE_MAXMEM:-$mem}|" \
        -e "s|^vcpus = .*|vcpus = ${COSHARE_VCPUS:-1}|" \
        /etc/coshare/pvh.cfg.in > "$cfg"
    [ -z "${COSHARE_GUEST_CPUS:-}" ] || echo "cpus = \"$COSHARE_GUEST_CPUS\"" >> "$cfg"
    [ "${COSHARE_DEBIAN:-0}" = 1 ] &&
        echo "disk = [ 'format=raw, vdev=xvda, access=ro, script=/coshare/ro-disk-hotplug, target=$COSHARE_GUEST_DISK' ]" >> "$cfg"
    echo "$cfg"
}

# pin_guests: guests started from now on run on physical CPU 1 only.  QEMU's
# nested-SVM triple faults (see the README) came with guests on both CPUs;
# pinned, dom0's polling also stays off the CPU that is being measured.
pin_guests() { export COSHARE_GUEST_CPUS=1; }

# The console log of NAME's newest boot: guest_start moves older ones aside.
guest_logfile() { echo "$CONSOLE_DIR/guest-$1.log"; }
guest_log() { cat "$(guest_logfile "$1")" 2>/dev/null; }

guest_exists() { xl domid "$1" >/dev/null 2>&1; }

# guest_start NAME [MEMORY [EXTRA...]]: create the guest (MEMORY MiB, default
# 256; EXTRA are guest kernel arguments) and wait until it prints
# "COSHARE-GUEST: READY".  Retries a guest that crashed while booting.  If
# COSHARE_ON_CREATE names a command, the guest is created paused, the command
# runs with NAME as its argument (e.g. to enable coshare), then it unpauses.
guest_start() {
    local name=$1 cfg try=1 t0 i f domid
    cfg=$(guest_cfg "$@") || fail "no domain config for $name"
    f=$(guest_logfile "$name")
    while [ $try -le "$COSHARE_BOOT_TRIES" ]; do
        [ -e "$f" ] && mv -f "$f" "$f.prev"
        t0=$(date +%s) i=0
        if ! xl create -q ${COSHARE_ON_CREATE:+-p} "$cfg"; then
            echo "COSHARE-NOTE: xl create $name failed (try $try of $COSHARE_BOOT_TRIES)"
            xl destroy "$name" 2>/dev/null
            try=$((try + 1))
            continue
        fi
        if [ -n "${COSHARE_ON_CREATE:-}" ]; then
            "$COSHARE_ON_CREATE" "$name" || fail "$COSHARE_ON_CREATE $name failed"
            xl unpause "$name" || fail "xl unpause $name failed"
        fi
        domid=$(xl domid "$name" 2>/dev/null)
        while :; do
            if grep -aq "COSHARE-GUEST: READY" "$f" 2>/dev/null; then
                log "guest $name ready in $(($(date +%s) - t0)) s"
                return 0
            fi
            i=$((i + 1))
            if [ $((i % 3)) = 0 ] && ! guest_exists "$name"; then
                echo "COSHARE-NOTE: guest $name crashed while booting (try $try of $COSHARE_BOOT_TRIES)"
                tail -n 20 "$f" 2>/dev/null | sed "s/^/  $name| /"
                xl dmesg | grep -a "d${domid}v[0-9]* \|Dom$domid " | grep -av save |
                    tail -n 4 | sed 's/^/  xen| /'
                break
            fi
            if [ $(($(date +%s) - t0)) -ge "$COSHARE_BOOT_TIMEOUT" ]; then
                tail -n 20 "$f" 2>/dev/null | sed "s/^/  $name| /"
                fail "guest $name not ready after $COSHARE_BOOT_TIMEOUT s"
            fi
            sleep 1
        done
        try=$((try + 1))
    done
    fail "guest $name did not boot in $COSHARE_BOOT_TRIES tries"
}

# guest_type_line NAME LINE: type LINE on NAME's console (xenconsoled's pty),
# as `xl console` would; the guest reads it from /dev/hvc0.
guest_type_line() {
    local domid tty
    domid=$(xl domid "$1") &&
        tty=$(xenstore-read "/local/domain/$domid/console/tty") &&
        [ -c "$tty" ] || { log "guest $1 has no console pty"; return 1; }
    echo "$2" > "$tty"
}

# guest_alive NAME: the guest exists and is not crashed (a crashed guest is
# destroyed at once by on_crash=destroy, so it would not exist).
guest_alive() {
    local state
    state=$(xl list "$1" 2>/dev/null | awk 'NR == 2 { print $5 }')
    [ -n "$state" ] || { log "guest $1 is gone"; return 1; }
    case "$state" in *c*|*d*) log "guest $1 is in state $state"; return 1;; esac
}

# guest_wait_line NAME PATTERN [TIMEOUT]: wait for PATTERN (grep -E) on the
# console of NAME's newest boot.
guest_wait_line() {
    local t0 f i=0
    t0=$(date +%s) f=$(guest_logfile "$1")
    until grep -aqE "$2" "$f" 2>/dev/null; do
        i=$((i + 1))
        if [ $((i % 3)) = 0 ] && ! guest_exists "$1"; then
            log "guest $1 is gone while waiting for '$2'"; return 1
        fi
        [ $(($(date +%s) - t0)) -lt "${3:-120}" ] ||
            { log "guest $1: no '$2' after ${3:-120} s"; return 1; }
        sleep 1
    done
}

guest_stop() { xl destroy "$1"; }

# diagnose: what /init prints after a failed test.
diagnose() {
    echo "----- xl list -----"; xl list 2>&1
    echo "----- xl dmesg (tail) -----"; xl dmesg 2>&1 | tail -n 30
    for f in "$CONSOLE_DIR"/guest-*.log; do
        [ -e "$f" ] || continue
        # A kernel oops or panic: its first lines say what happened, and
        # the lines before (an out-of-memory report) why.
        first=$(grep -anE "Oops|BUG:|panic|general protection|invoked oom-killer" "$f" |
                head -n 1 | cut -d: -f1)
        if [ -n "$first" ]; then
            echo "----- $(basename "$f") (from 40 lines before the first oops) -----"
            tail -n +$((first > 40 ? first - 40 : 1)) "$f" | head -n 160
        else
            echo "----- $(basename "$f") (tail) -----"; tail -n 15 "$f"
        fi
    done
}
