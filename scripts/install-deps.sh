#!/bin/sh
# Install every Debian package cpuidvirt needs to build, test and demo,
# including both guest kernels' headers. Safe to re-run; does nothing when
# everything is present.
set -eu
here=$(dirname "$0")
sh "$here/apt-sources.sh"

# Host build and test tools; bc, libelf-dev and libssl-dev build the
# debug kernel (objtool, signing), which no other package pulls in.
pkgs="build-essential pkg-config check libkmod-dev libjson-c-dev kmod
busybox-static cpio zstd xz-utils cpuid crun dkms
ninja-build libglib2.0-dev libpixman-1-dev flex bison zlib1g-dev
python3-venv meson seabios qemu-system-data dpkg-dev
gcc-multilib libfdt-dev
man-db groff-base python3 libssl3
bc libelf-dev libssl-dev"

# Guest kernels: bookworm's 6.1 and bookworm-backports' 6.12, by ABI name.
k61=$(sh "$here/kvers.sh" 6.1)
k612=$(sh "$here/kvers.sh" 6.12)

missing=
for p in $pkgs linux-headers-$k61; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o DPkg::Lock::Timeout=600 $missing
fi
if ! dpkg-query -W -f='${Status}' "linux-headers-$k612" 2>/dev/null | grep -q 'ok installed'; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o DPkg::Lock::Timeout=600 -t bookworm-backports "linux-headers-$k612"
fi
