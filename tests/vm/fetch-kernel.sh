#!/bin/bash
# fetch-kernel.sh SERIES (6.1 | 6.12): download the guest kernel package
# (apt-get download, never installed) and extract it under
# .cache/kernels/KVER/ (boot/vmlinuz-KVER, lib/modules/KVER/). Prints the
# extracted root. Cached by package version.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
series=${1:?usage: fetch-kernel.sh 6.1|6.12}
kver=$("$top/scripts/kvers.sh" "$series")
pkg=linux-image-$kver
dir=$top/.cache/kernels
root=$dir/$kver
# Fast path: extracted, and apt's cache has not changed since.
if [ -f "$root/.version" ] && [ -f "$root/boot/vmlinuz-$kver" ] &&
	[ ! /var/cache/apt/pkgcache.bin -nt "$root/.version" ]; then
	echo "$root"
	exit 0
fi
case "$series" in
6.12) rel=(-t bookworm-backports) ;;
*) rel=() ;;
esac
pver=$(apt-cache "${rel[@]}" policy "$pkg" | sed -n 's/^ *Candidate: //p')
if [ -z "$pver" ] || [ "$pver" = "(none)" ]; then
	echo "fetch-kernel: apt has no $pkg; run scripts/install-deps.sh" >&2
	exit 1
fi
mkdir -p "$dir/dl"
exec 9>"$dir/.lock"
flock 9
if [ "$(cat "$root/.version" 2>/dev/null)" = "$pver" ] &&
	[ -f "$root/boot/vmlinuz-$kver" ]; then
	echo "$root"
	exit 0
fi
deb=$(ls "$dir/dl/${pkg}_"*.deb 2>/dev/null | grep -F "_${pver//:/%3a}_" | head -n1 || true)
if [ -z "$deb" ]; then
	echo "fetch-kernel: downloading $pkg=$pver" >&2
	(cd "$dir/dl" && apt-get download "$pkg=$pver" >&2)
	deb=$(ls "$dir/dl/${pkg}_"*.deb | grep -F "_${pver//:/%3a}_" | head -n1)
fi
rm -rf "$root"
mkdir -p "$root"
dpkg-deb -x "$deb" "$root"
echo "$pver" >"$root/.version"
echo "$root"
