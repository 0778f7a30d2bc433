#!/bin/bash
# fetch-criu.sh
# Download Debian's criu and the libraries of its ldd closure (apt-get
# download, never installed on the host) and extract them into the
# machine-wide cache (tests/vm/cache.sh) under criu/KEY/root. Prints that
# root; tests/vm/mkinitramfs.sh --criu copies usr/sbin/criu from it with
# its closure (libraries from the root, else from the host).
# KEY: the candidate versions of the packages. Every library of the
# closure that is not in a package listed here must be on the host
# (libc6, libbsd0, libgnutls30 and theirs, libjansson4, libmnl0,
# libxtables12 on this image); mkinitramfs fails if one is missing.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/vm/cache.sh"
# criu 3.17.1 (bookworm): its NEEDED libraries that a base image lacks.
pkgs="criu libnet1 libnftables1 libnftnl11 libnl-3-200 libprotobuf-c1"
dir=$MCACHE/criu
vers=$(for p in $pkgs; do
	v=$(apt-cache policy "$p" | sed -n 's/^ *Candidate: //p')
	if [ -z "$v" ] || [ "$v" = "(none)" ]; then
		echo "fetch-criu: apt has no $p; run scripts/install-deps.sh" >&2
		exit 1
	fi
	echo "$p=$v"
done) || exit 1
key=$(echo "$vers" | sha256sum | cut -c1-16)
root=$dir/$key/root
if [ -x "$root/usr/sbin/criu" ]; then
	echo "$root"
	exit 0
fi
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [ -x "$root/usr/sbin/criu" ]; then
	echo "$root"
	exit 0
fi
tmp=$(mktemp -d "$dir/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download $vers >&2 2>/dev/null) || {
	echo "fetch-criu: apt-get download $vers failed" >&2
	exit 1
}
for d in "$tmp"/*.deb; do
	dpkg-deb -x "$d" "$tmp/root"
done
echo "$vers" >"$tmp/versions"
rm -f "$tmp"/*.deb
chmod 755 "$tmp"
rm -rf "$dir/$key"
mv "$tmp" "$dir/$key"
trap - EXIT
echo "$root"
