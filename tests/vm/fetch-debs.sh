#!/bin/bash
# fetch-debs.sh NAME MARKER PACKAGE...
# Download Debian packages (apt-get download, never installed on the host)
# and extract them into the machine-wide cache (tests/vm/cache.sh) under
# NAME/KEY/root; print that root. KEY: the candidate versions of the
# packages, so a new version is a new product. MARKER, a path inside the
# root (e.g. usr/sbin/criu), tells a finished product. The callers
# (fetch-criu.sh, fetch-podman.sh) name the packages and
# tests/vm/mkinitramfs.sh copies binaries from the root with their
# library closure (libraries from the root, else from the host).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/vm/cache.sh"
[ $# -ge 3 ] || { echo "usage: fetch-debs.sh NAME MARKER PACKAGE..." >&2; exit 2; }
name=$1 marker=$2
shift 2
dir=$MCACHE/$name
vers=$(for p in "$@"; do
	v=$(apt-cache policy "$p" | sed -n 's/^ *Candidate: //p')
	if [ -z "$v" ] || [ "$v" = "(none)" ]; then
		echo "fetch-$name: apt has no $p; run scripts/install-deps.sh" >&2
		exit 1
	fi
	echo "$p=$v"
done) || exit 1
key=$(echo "$vers" | sha256sum | cut -c1-16)
root=$dir/$key/root
if [ -e "$root/$marker" ]; then
	echo "$root"
	exit 0
fi
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [ -e "$root/$marker" ]; then
	echo "$root"
	exit 0
fi
tmp=$(mktemp -d "$dir/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# apt-get download fetches as _apt where it can: the directory must be
# readable by it (mktemp makes it 700).
chmod 755 "$tmp"
# shellcheck disable=SC2086 # one word per package
(cd "$tmp" && apt-get download $vers >&2 2>/dev/null) || {
	echo "fetch-$name: apt-get download" $vers "failed" >&2
	exit 1
}
for d in "$tmp"/*.deb; do
	dpkg-deb -x "$d" "$tmp/root"
done
[ -e "$tmp/root/$marker" ] || { echo "fetch-$name: the packages have no $marker" >&2; exit 1; }
echo "$vers" >"$tmp/versions"
rm -f "$tmp"/*.deb
rm -rf "${dir:?}/$key"
mv "$tmp" "$dir/$key"
trap - EXIT
echo "$root"
