#!/usr/bin/env bash
# Builds the QEMU the nested tests run: the source of Debian's own QEMU (the
# qemu-system-x86 version installed), with the fixes in ci/xen/qemu/, for
# x86_64 TCG only (about 4 minutes on 2 cores).  Debian's firmware serves
# it (run-xen.sh passes -L).  Cached by a hash of every input; prints the
# binary's path.
#
# The fix: QEMU 7.2's SVM delivers an interrupt the nested hypervisor
# injects twice when an exit request comes at the wrong moment, which kills
# Xen's guests whenever their vCPUs run on both emulated CPUs (see the
# patch).  No later QEMU has a fix for it.
set -euo pipefail
PROG=build-qemu
. "$(dirname "$0")/lib.sh"

case "${1:-}" in
-h|--help)
    cat <<EOT
usage: ci/xen/build-qemu.sh
  Prints \$BUILD/qemu/qemu-system-x86_64-<hash>: Debian's qemu source at the
  installed qemu-system-x86 version, patched with ci/xen/qemu/*.patch.
EOT
    exit 0;;
"") ;;
*) die "unknown argument '$1' (see --help)";;
esac

pkg_version=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null) ||
    die "qemu-system-x86 is not installed: run ci/install-deps.sh"
version=${pkg_version%+b[0-9]*}     # a binary rebuild has its source's version
out=$BUILD/qemu
key=$(hash_inputs "$0" "$CI_XEN/lib.sh" "$CI_XEN/qemu" "$version")
bin=$out/qemu-system-x86_64-$key
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
src=$out/src-$key
rm -rf "$out"/src-* "$src.tmp"
say "downloading and unpacking qemu $version"
deb_source qemu "$version" "$src.tmp"
tree=$(find "$src.tmp" -mindepth 1 -maxdepth 1 -type d -name 'qemu-*' | head -n 1)
[ -n "$tree" ] || die "no qemu tree in $src.tmp"
for p in "$CI_XEN"/qemu/*.patch; do
    patch -s -p1 -d "$tree" < "$p" || die "patch $(basename "$p") does not apply"
done
mv "$src.tmp" "$src"
tree=$src/$(basename "$tree")
say "building qemu-system-x86_64 (about 4 minutes on 2 cores; log: $out/build.log)"
start=$SECONDS
(cd "$tree" && ./configure --target-list=x86_64-softmmu --without-default-features \
    --enable-tcg --enable-fdt=system --disable-docs --disable-werror &&
 make -j"$(nproc)") > "$out/build.log" 2>&1 ||
    { tail -n 30 "$out/build.log" >&2; die "build failed (log: $out/build.log)"; }
cp "$tree/build/qemu-system-x86_64" "$bin.tmp"
mv "$bin.tmp" "$bin"
rm -rf "$src"
ls -t "$out"/qemu-system-x86_64-* | tail -n +3 | xargs -r rm -f
say "built in $((SECONDS - start)) s: $bin"
echo "$bin"
