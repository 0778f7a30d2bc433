#!/bin/bash
# fetch-kernel.sh KERNEL (6.1 | 6.12 | 6.1-rt | 6.12-rt | 6.1-cloud |
#                         6.12-cloud | 6.12-debug)
# Download the guest kernel's image and headers packages (apt-get
# download, never installed) and extract them into the machine-wide cache
# (tests/vm/cache.sh) under kernels/KVER/:
#	boot/vmlinuz-KVER, boot/config-KVER, lib/modules/KVER/...
#	lib/modules/KVER/build -> the extracted headers (modules build there)
# Prints that root. Cached by package version. 6.12-debug is built instead
# (tests/vm/build-debug-kernel.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/vm/cache.sh"
kernel=${1:?usage: fetch-kernel.sh KERNEL (see scripts/kvers.sh --all)}
[ "$kernel" != 6.12-debug ] || exec "$top/tests/vm/build-debug-kernel.sh"
kver=$("$top/scripts/kvers.sh" "$kernel")
pkg=linux-image-$kver
dir=$MCACHE/kernels
root=$dir/$kver
# Fast path: extracted, and apt's lists have not changed since.
if [ -f "$root/.version" ] && [ -f "$root/boot/vmlinuz-$kver" ] &&
	[ "$(sed -n 2p "$root/.version")" = "$(apt_stamp)" ]; then
	echo "$root"
	exit 0
fi
case "$kernel" in
6.12*) rel=(-t bookworm-backports) ;;
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
if [ "$(sed -n 1p "$root/.version" 2>/dev/null)" = "$pver" ] &&
	[ -f "$root/boot/vmlinuz-$kver" ]; then
	printf '%s\n%s\n' "$pver" "$(apt_stamp)" >"$root/.version.$$" && mv "$root/.version.$$" "$root/.version"
	echo "$root"
	exit 0
fi
# The headers package and the two it needs to build modules: the common
# headers and linux-kbuild (same source version as the image).
hpkgs=$(apt-cache "${rel[@]}" depends "linux-headers-$kver" 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-[^ ]*\)$/\1/p' | sort -u)
debs=()
for p in "$pkg" "linux-headers-$kver" $hpkgs; do
	v=$(apt-cache "${rel[@]}" policy "$p" | sed -n 's/^ *Candidate: //p')
	deb=$(ls "$dir/dl/${p}_"*.deb 2>/dev/null | grep -F "_${v//:/%3a}_" | head -n1 || true)
	if [ -z "$deb" ]; then
		echo "fetch-kernel: downloading $p=$v" >&2
		(cd "$dir/dl" && apt-get download "$p=$v" >&2)
		deb=$(ls "$dir/dl/${p}_"*.deb | grep -F "_${v//:/%3a}_" | head -n1)
	fi
	debs+=("$deb")
done
tmp=$(mktemp -d "$dir/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for d in "${debs[@]}"; do
	dpkg-deb -x "$d" "$tmp"
done
# The headers refer to themselves by absolute /usr/src paths: point those
# at the extracted copy (at its final place, $root).
hdr=$tmp/usr/src/linux-headers-$kver
[ -f "$hdr/Makefile" ] || { echo "fetch-kernel: no headers in linux-headers-$kver" >&2; exit 1; }
sed -i "s|^include /usr/src/|include $root/usr/src/|" "$hdr/Makefile"
ln -sfn "../../../usr/src/linux-headers-$kver" "$tmp/lib/modules/$kver/build"
rm -f "$tmp/lib/modules/$kver/source"
chmod 755 "$tmp"
printf '%s\n%s\n' "$pver" "$(apt_stamp)" >"$tmp/.version"
rm -rf "$root.old"
[ ! -e "$root" ] || mv "$root" "$root.old"
mv "$tmp" "$root"
trap - EXIT
rm -rf "$root.old"
# Packages of older versions are no longer needed.
find "$dir/dl" -name '*.deb' -mtime +30 -delete 2>/dev/null || true
echo "$root"
