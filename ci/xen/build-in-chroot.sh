#!/usr/bin/env bash
# Runs a build command in the bookworm build chroot, whose libxen-dev is
# exactly the dom0's XEN_DEB_VERSION (the host's libxenctrl may be newer, from
# bookworm-security, and its binaries would not match dom0).  The directory is
# bind-mounted at its own path in a private mount namespace: outputs land in
# place and nothing stays mounted.
set -euo pipefail
PROG=build-in-chroot
. "$(dirname "$0")/lib.sh"

CHROOT_PKGS=gcc,g++,libc6-dev,libxen-dev,make,cmake,pkg-config,libcli11-dev,nlohmann-json3-dev
dir=$PWD
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help)
        cat <<EOT
usage: ci/xen/build-in-chroot.sh [--dir DIR] [--] COMMAND [ARG...]
       ci/xen/build-in-chroot.sh --print-root
  Runs COMMAND in the build chroot (${CHROOT_PKGS//,/ };
  libxen-dev $XEN_DEB_VERSION) with DIR (default: the current directory)
  bind-mounted at its own path and as the working directory.
  Example: ci/xen/build-in-chroot.sh gcc -O2 -o tool tool.c -lxenctrl
EOT
        exit 0;;
    --dir) dir=$(cd "$2" && pwd); shift 2;;
    --print-root) "$CI_XEN/mkroot.sh" build-chroot apt "$CHROOT_PKGS"; exit 0;;
    --) shift; break;;
    -*) die "unknown option '$1' (see --help)";;
    *) break;;
    esac
done
[ $# -gt 0 ] || die "no command given (see --help)"
((EUID == 0)) || die "chroot needs root"

root=$("$CI_XEN/mkroot.sh" build-chroot apt "$CHROOT_PKGS")
mkdir -p "$root$dir"
exec unshare --mount --propagation private -- /bin/sh -c '
    root=$1 dir=$2; shift 2
    mount -t proc proc "$root/proc" &&
    mount --bind "$dir" "$root$dir" &&
    exec chroot "$root" /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$dir" "$@"
' sh "$root" "$dir" "$@"
