#!/bin/bash
# build-debug-kernel.sh [--print-kver]
# Build the debug guest kernel from Debian's own linux-source-6.12 with
# tests/vm/debug-kernel/debug.config (lockdep, KASAN, UBSAN, KFENCE,
# atomic-sleep checks, ...) merged over x86_64_defconfig and
# kvm_guest.config, and print its root, laid out like an extracted kernel
# package:
#	ROOT/boot/vmlinuz-KVER
#	ROOT/lib/modules/KVER/{modules.builtin,modules.order,...}
#	ROOT/lib/modules/KVER/build -> the built tree (modules build against it)
# KVER is 6.12.N-cpuidvirt-debug. Cached in the machine-wide cache
# (tests/vm/cache.sh) under debug-kernel/<key>, key = source package
# version, the config fragment, the compiler and this script's build
# steps. Cold: about 15 minutes on 2 cores (run under nice).
# --print-kver prints the KVER the cached or next build has (no build).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/vm/cache.sh"
dir=$MCACHE/debug-kernel
frag=$top/tests/vm/debug-kernel/debug.config
mkdir -p "$dir/dl"
log() { echo "build-debug-kernel: $*" >&2; }

pkg=linux-source-6.12
# The newest version apt offers (bookworm-security or backports). apt-cache
# is slow: remember the answer until apt's cache changes.
stamp=$(apt_stamp)
if [ "$(sed -n 1p "$dir/version" 2>/dev/null)" = "$stamp" ]; then
	pver=$(sed -n 2p "$dir/version")
else
	pver=
	for v in $(apt-cache madison "$pkg" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}'); do
		if [ -z "$pver" ] || dpkg --compare-versions "$v" gt "$pver"; then
			pver=$v
		fi
	done
	if [ -z "$pver" ]; then
		log "apt knows no $pkg; run scripts/install-deps.sh (bookworm-backports)"
		exit 1
	fi
	printf '%s\n%s\n' "$stamp" "$pver" >"$dir/version.$$" && mv "$dir/version.$$" "$dir/version"
fi
upver=${pver%%-*}
kver=$upver$(sed -n 's/^CONFIG_LOCALVERSION="\(.*\)"$/\1/p' "$frag")
if [ "${1:-}" = --print-kver ]; then
	echo "$kver"
	exit 0
fi

# Only what shapes the kernel is in the key; bump build_rev when changing
# the build steps below.
build_rev=1
key=$( { echo "$pver $build_rev"; gcc --version | head -n1; cat "$frag"; } |
	sha256sum | cut -c1-16)
out=$dir/$key
if [ -f "$out/.done" ]; then
	echo "$out/root"
	exit 0
fi
exec 9>"$dir/.lock"
if ! flock -n 9; then
	log "another build of the debug kernel is running, waiting for it"
	flock 9
fi
if [ -f "$out/.done" ]; then
	echo "$out/root"
	exit 0
fi

t0=$(date +%s)
deb=$(ls "$dir/dl/${pkg}_${pver//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
if [ -z "$deb" ]; then
	log "downloading $pkg=$pver"
	rm -f "$dir/dl/${pkg}_"*.deb
	(cd "$dir/dl" && apt-get download "$pkg=$pver" >&2)
	deb=$(ls "$dir/dl/${pkg}_${pver//:/%3a}_"*.deb | head -n1)
fi
tmp=$(mktemp -d "$dir/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log "building $kver from $pkg $pver in $tmp (log: $tmp/build.log)"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.12.tar.xz |
	tar -xJ -C "$tmp"
mv "$tmp/linux-source-6.12" "$tmp/src"
cp "$frag" "$tmp/debug.config"
(
	cd "$tmp/src"
	make -s x86_64_defconfig
	scripts/kconfig/merge_config.sh -m .config kernel/configs/kvm_guest.config "$frag"
	make -s olddefconfig
) >"$tmp/build.log" 2>&1 || { log "configuration failed:"; tail -n 20 "$tmp/build.log" >&2; exit 1; }
# Every option the fragment sets must have survived olddefconfig (a
# dependency it lacks silently drops it).
bad=$(grep -E '^(CONFIG_|# CONFIG_)' "$frag" | while read -r l; do
	case "$l" in
	"# CONFIG_"*) c=${l#\# }; c=${c%% *}; grep -q "^$c=" "$tmp/src/.config" && echo "$c still set" ;;
	*) grep -qxF "$l" "$tmp/src/.config" || echo "$l not in .config" ;;
	esac
done || true)
if [ -n "$bad" ]; then
	log "the config fragment did not apply:"
	echo "$bad" | sed 's/^/    /' >&2
	exit 1
fi
t1=$(date +%s)
if ! (cd "$tmp/src" && nice make -j"$(nproc)" bzImage modules &&
	nice make modules_prepare) >>"$tmp/build.log" 2>&1; then
	cp "$tmp/build.log" "$dir/failed-build.log"
	log "FAILED, last lines of $dir/failed-build.log:"
	tail -n 30 "$tmp/build.log" >&2
	exit 1
fi
t2=$(date +%s)
[ "$(cat "$tmp/src/include/config/kernel.release")" = "$kver" ] || {
	log "built $(cat "$tmp/src/include/config/kernel.release"), expected $kver"
	exit 1
}
# The layout of an extracted kernel package, modules installed (those
# defconfig still builds as =m), build -> the tree.
root=$tmp/root
mkdir -p "$root/boot"
cp "$tmp/src/arch/x86/boot/bzImage" "$root/boot/vmlinuz-$kver"
cp "$tmp/src/.config" "$root/boot/config-$kver"
(cd "$tmp/src" && make -s INSTALL_MOD_PATH="$root" modules_install) >>"$tmp/build.log" 2>&1
rm -f "$root/lib/modules/$kver/build" "$root/lib/modules/$kver/source"
ln -s ../../../../src "$root/lib/modules/$kver/build"
# Objects are not needed to build external modules: keep the tree small.
find "$tmp/src" -name '*.o' ! -path '*/scripts/*' ! -path '*/tools/*' -delete
echo "configure $((t1 - t0)) s, make $((t2 - t1)) s, load: $(cut -d' ' -f1-3 /proc/loadavg)" >"$tmp/times"
chmod 755 "$tmp"
touch "$tmp/.done"
trap - EXIT
mv "$tmp" "$out"
# Older builds are no longer used.
for d in "$dir"/*/; do
	case "${d%/}" in "$out" | "$dir/dl") ;; *) [ -f "$d/.done" ] && rm -rf "$d" ;; esac
done
log "built $kver in $(($(date +%s) - t0)) s ($(cat "$out/times"))"
echo "$out/root"
