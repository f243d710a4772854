#!/usr/bin/env bash
# Builds coshare's hypervisor: Debian's Xen 4.17 source plus the patch series.
# Patch 0002 (the engine import) is generated here from hyp-iface/, so the
# engine stays written once; the whole series is exported to
# $BUILD/xen/series/ and applied with `git am` onto a pristine tree, which
# is what gets built.  Cached by a hash of every input.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/hyp-iface/xen
BUILD=${BUILD:-$ROOT/build}
OUT=$BUILD/xen

flavor=release
case "${1:-}" in
-h|--help)
    cat <<EOT
usage: hyp-iface/xen/build-xen.sh [--debug]
  Builds \$BUILD/xen/xen-coshare (BUILD defaults to $ROOT/build): Debian's
  Xen 4.17.5 source (ci/xen/get-xen-source.sh), the series in
  hyp-iface/xen/patches with the generated engine import as patch 0002,
  Kconfig from hyp-iface/xen/coshare.config.  Prints the binary's path.
  --debug  the same with CONFIG_DEBUG=y (ASSERTs, lock checks):
           \$BUILD/xen/xen-coshare-debug
EOT
    exit 0;;
--debug) flavor=debug;;
"") ;;
*) echo "build-xen: unknown argument '$1' (see --help)" >&2; exit 1;;
esac

say() { echo "build-xen: $*" >&2; }
git_() { git -c user.name=coshare -c user.email=coshare@localhost "$@"; }

inputs=$( (cd "$ROOT" && ls hyp-iface/xen/build-xen.sh hyp-iface/xen/coshare.config \
    hyp-iface/xen/import-message.txt hyp-iface/xen/patches/*.patch \
    hyp-iface/engine/*.[ch] hyp-iface/include/public/coshare.h &&
    find hyp-iface/xen/tree -type f) | sort)
hash=$(cd "$ROOT" && { cat $inputs; echo "$flavor"; } | sha256sum | cut -c1-16)
suffix=
[ "$flavor" = release ] || suffix=-$flavor
name=xen-coshare$suffix
bin=$OUT/$name-$hash
if [ -f "$bin" ]; then
    ln -sfn "$(basename "$bin")" "$OUT/$name"
    say "up to date ($flavor, $hash)"
    echo "$OUT/$name"
    exit 0
fi

src=$(bash "$ROOT/ci/xen/get-xen-source.sh")
mkdir -p "$OUT"
work=$OUT/work$suffix
series=$OUT/series$suffix
say "assembling the series on $(basename "$src")"
rm -rf "$work" "$series"
cp -a "$src" "$work"
cd "$work"
git_ init -q -b assembled
git_ add -A
git_ commit -q -m "Debian $(basename "$src")"
git_ tag baseline

git_ am -q "$HERE"/patches/0001-*.patch
mkdir -p xen/arch/x86/mm/coshare
cp "$ROOT"/hyp-iface/engine/*.[ch] xen/arch/x86/mm/coshare/
cp -r "$HERE"/tree/xen/. xen/
cp "$ROOT"/hyp-iface/include/public/coshare.h xen/include/public/
git_ add -A
git_ commit -q -F "$HERE/import-message.txt"
for p in "$HERE"/patches/*.patch; do
    case "$(basename "$p")" in 0001-*) continue;; esac
    git_ am -q "$p"
done
git_ format-patch -q --zero-commit --no-signature -o "$series" baseline..HEAD

say "applying the exported series to a pristine tree"
git_ checkout -q -B build baseline
git_ am -q "$series"/*.patch
git diff --quiet assembled build -- || { say "exported series differs from the assembled tree"; exit 1; }

say "configuring (defconfig + coshare.config)"
cd xen
make -s defconfig >/dev/null
cat "$HERE/coshare.config" >> .config
[ "$flavor" = release ] || echo CONFIG_DEBUG=y >> .config
make -s olddefconfig >/dev/null
while read -r line; do
    case "$line" in CONFIG_*) grep -qx "$line" .config ||
        { say "Kconfig did not keep $line"; exit 1; };;
    esac
done < "$HERE/coshare.config"

say "building the $flavor hypervisor (about 2 minutes on 2 cores)"
start=$SECONDS
log=$OUT/build-$flavor.log
make -j"$(nproc)" XEN_VENDORVERSION=-coshare > "$log" 2>&1 ||
    { tail -30 "$log" >&2; say "build failed, log: $log"; exit 1; }
cp xen "$bin.tmp"
mv "$bin.tmp" "$bin"
ln -sfn "$(basename "$bin")" "$OUT/$name"
say "built in $((SECONDS - start)) s: $bin"
echo "$OUT/$name"
