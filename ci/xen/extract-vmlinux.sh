#!/usr/bin/env bash
# Extracts the uncompressed ELF vmlinux from a Debian bzImage (xz payload).
# xl create of a PVH guest is several seconds faster under TCG with the ELF
# than with the bzImage, which libxenguest would decompress in dom0 first.
# Usage: extract-vmlinux.sh BZIMAGE OUT
set -euo pipefail
PROG=extract-vmlinux
. "$(dirname "$0")/lib.sh"
if [ $# -ne 2 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
    echo "usage: ci/xen/extract-vmlinux.sh BZIMAGE OUT   (writes the ELF vmlinux to OUT)"
    [ $# -eq 1 ] && exit 0 || exit 2
fi
in=$1 out=$2
# Try every xz stream header (FD 37 7A 58 5A 00) until one decodes to an ELF.
for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$in" | cut -d: -f1); do
    if xz -dc --single-stream < <(tail -c +$((off + 1)) "$in") 2>/dev/null > "$out.tmp" &&
        [ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
        mv "$out.tmp" "$out"
        exit 0
    fi
done
rm -f "$out.tmp"
die "no xz-compressed ELF found in $in"
