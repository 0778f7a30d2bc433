#!/bin/bash
# Build qemu-system-x86_64 with CPUID faulting (tests/vm/qemu/*.patch) from
# Debian's own qemu source package, and print the binary's path.
#
# Cached in the machine-wide cache (tests/vm/cache.sh) under qemu/<key>/,
# key = hash of the source version, the patches' diffs and the configure
# options: rebuilt only when one changes. Built in a temporary directory
# and renamed into place, so concurrent users see it whole or not at all.
# QEMU_DEB_VERSION=... overrides the version apt would choose.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/vm/cache.sh"
cache=$MCACHE/qemu
mkdir -p "$cache/dl"

log() { echo "build-qemu: $*" >&2; }

# The newest qemu source version apt knows (deb-src: bookworm only).
# apt-cache is slow: remember the answer until apt's source cache changes.
ver=${QEMU_DEB_VERSION:-}
stamp=$(apt_stamp)
if [ -z "$ver" ] && [ "$(sed -n 1p "$cache/version" 2>/dev/null)" = "$stamp" ]; then
	ver=$(sed -n 2p "$cache/version")
fi
if [ -z "$ver" ]; then
	for v in $(apt-cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p'); do
		if [ -z "$ver" ] || dpkg --compare-versions "$v" gt "$ver"; then
			ver=$v
		fi
	done
fi
if [ -z "$ver" ]; then
	log "apt knows no qemu source package; run scripts/install-deps.sh (it adds deb-src)"
	exit 1
fi
[ -n "${QEMU_DEB_VERSION:-}" ] ||
	{ printf '%s\n%s\n' "$stamp" "$ver" >"$cache/version.$$" && mv "$cache/version.$$" "$cache/version"; }
upver=${ver#*:}

patches=$(ls "$top"/tests/vm/qemu/*.patch)
# Only what shapes the binary is in the key; bump build_rev when changing
# how it is built.
build_rev=1
config=(--target-list=x86_64-softmmu --without-default-features
	--disable-docs --enable-tcg --disable-install-blobs --disable-werror)
# The patches' diffs only: editing a header's prose needs no rebuild.
key=$( { echo "$ver $build_rev ${config[*]}"; for p in $patches; do
	sed -n '/^diff --git/,$p' "$p"; done; } | sha256sum | cut -c1-16)
out=$cache/$key
bin=$out/build/qemu-system-x86_64

# .used marks a build's last use: the clean-up below keeps recent ones.
if [ -x "$bin" ] && [ -f "$out/.done" ]; then
	touch "$out/.used" 2>/dev/null || :
	echo "$bin"
	exit 0
fi
exec 9>"$cache/.lock"
if ! flock -n 9; then
	log "another QEMU build is running, waiting for it"
	flock 9
fi
if [ -x "$bin" ] && [ -f "$out/.done" ]; then
	echo "$bin"
	exit 0
fi

t0=$(date +%s)
log "building QEMU $ver with $(echo "$patches" | wc -l) patch(es) into $out"
dsc=$cache/dl/qemu_${upver}.dsc
if [ ! -f "$dsc" ]; then
	(cd "$cache/dl" && apt-get source --download-only "qemu=$ver") >&2
fi
final=$out
out=$(mktemp -d "$cache/tmp.XXXXXX")
trap 'rm -rf "$out"' EXIT
dpkg-source --no-check -x "$dsc" "$out/src" >/dev/null
rm -f "$out"/*.tar.*	# dpkg-source may leave the orig tarball here
for p in $patches; do
	log "applying $(basename "$p")"
	patch -d "$out/src" -p1 --quiet --forward <"$p" >&2
done
# Debian's +dfsg tarball has no edk2 blobs; Debian's skip-meson-pc-bios
# patch already skips pc-bios/, make sure it stays skipped.
if grep -q "^subdir('pc-bios')" "$out/src/meson.build"; then
	sed -i "s/^subdir('pc-bios')/#subdir('pc-bios')/" "$out/src/meson.build"
fi
mkdir -p "$out/build"
(
	cd "$out/build"
	# Debian's meson runs on /usr/bin/python3; a python3 earlier on PATH
	# (pyenv) lacks it, and 7.2 allows --python only with its own meson.
	export PATH=/usr/bin:$PATH
	../src/configure --meson=/usr/bin/meson "${config[@]}"
	ninja -j"$(nproc)" qemu-system-x86_64
) >"$out/build.log" 2>&1 || {
	cp "$out/build.log" "$cache/failed-build.log"
	log "FAILED, last lines of $cache/failed-build.log:"
	tail -n 30 "$out/build.log" >&2
	exit 1
}
# Only the binary is used (firmware comes from Debian's packages); the
# log is already in $out (moving it onto itself would fail the build).
mv "$out/build/qemu-system-x86_64" "$out/"
rm -rf "$out/src" "$out/build"
mkdir "$out/build"
mv "$out/qemu-system-x86_64" "$out/build/"
chmod 755 "$out"
touch "$out/.done"
rm -rf "$final"
mv "$out" "$final"
trap - EXIT
out=$final
touch "$out/.used"
# Builds unused for 2 days go. Not at once: work trees and CI runs of other
# branches may still use the previous patches, and removing their build
# would make each side rebuild (11 min) and remove the other's.
for d in "$cache"/*/; do
	d=${d%/}
	[ "$d" = "$out" ] || [ "$d" = "$cache/dl" ] ||
		[ -n "$(find "$d/.used" "$d/.done" -mmin -2880 2>/dev/null)" ] || rm -rf "$d"
done
log "built in $(($(date +%s) - t0)) s"
echo "$bin"
