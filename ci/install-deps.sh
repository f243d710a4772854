#!/usr/bin/env bash
# Installs everything coshare's userspace build and tests need from Debian
# bookworm.  Idempotent; run as root (CI and the README's setup use it).
set -euo pipefail

packages=(
    make cmake g++ clang libclang-rt-14-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    nlohmann-json3-dev libcli11-dev libxen-dev
    linux-image-amd64   # a real Debian kernel: simulator content, module tests
    linux-headers-amd64 # kbuild for coshare.ko
    qemu-system-x86 busybox-static cpio e2fsprogs kmod libc6-dev
    mmdebstrap dpkg-dev # ci/xen: dom0 root, build chroot, apt-get source xen
    flex bison bc       # the hypervisor build (Kconfig)
    meson ninja-build libglib2.0-dev libpixman-1-dev libfdt-dev zlib1g-dev
                        # ci/xen/build-qemu.sh: QEMU with an SVM fix
    gnuplot-nox         # coshare-ctl plot
    jq                  # the nested suite's results file
    ccache              # the Makefile's compilers: a second build is quick
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
if ((${#missing[@]})); then
    if ((EUID != 0)); then
        echo "install-deps: need root to install: ${missing[*]}" >&2
        exit 1
    fi
    echo "install-deps: installing ${missing[*]} (about a minute)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: all ${#packages[@]} packages present"
