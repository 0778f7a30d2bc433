#!/bin/bash
# mkinitramfs.sh --kernel KERNEL --conf BOOTCONF --out FILE.cpio
#                [--module KO] [--scenario-file SH]... [--extra-module KO]...
#                [--kroot DIR] [--bins DIR (default .cache/guest-bin)] [--criu]
#                [--disk] [--podman]
# Assemble a test guest's root file system as a newc cpio, in two parts
# that the kernel unpacks in turn:
#  - base (cached in the machine-wide cache, tests/vm/cache.sh, under
#    initramfs/, keyed by the kernel and the host packages it copies):
#    busybox (static), kmod, glibc's runtime, crun
#    with its ldd closure, empty directories, /etc files;
#  - overlay (every boot): msr.ko from the kernel package (unless built
#    in, as in the debug kernel) plus cpuidvirt.ko
#    (depmod'ed), cpuidctl with its closure, the guest test programs,
#    lib.sh, every executable tests/vm/scenarios/*.sh, the extra scenario
#    files given, the boot configuration and /init; with --disk,
#    virtio_blk.ko and its dependencies (the transfer disk of run-guest.sh
#    --disk; the debug kernel has no virtio, so no disk there); the
#    host's cpuid tool; with --criu, Debian's criu (tests/vm/fetch-criu.sh)
#    with its library closure and OpenSSL's libcrypto (for the migration
#    workload, tests/guest/migload.c); with --podman, Debian's podman and
#    conmon (tests/vm/fetch-podman.sh) with their closure and
#    configuration, the test bed's tests/vm/podman/*.conf in
#    /etc/containers, and the hooks.d files as `make install` writes them.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/vm/cache.sh"
series= conf= out= ko= kroot= bins=$top/.cache/guest-bin criu=0 disk=0 podman=0
extra=()
xmods=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) series=$2; shift 2 ;;
	--conf) conf=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--module) ko=$2; shift 2 ;;
	--kroot) kroot=$2; shift 2 ;;
	--bins) bins=$2; shift 2 ;;
	--scenario-file) extra+=("$2"); shift 2 ;;
	--extra-module) xmods+=("$2"); shift 2 ;;
	--criu) criu=1; shift ;;
	--disk) disk=1; shift ;;
	--podman) podman=1; shift ;;
	*) echo "mkinitramfs: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[ -n "$series" ] && [ -n "$conf" ] && [ -n "$out" ] || {
	echo "usage: mkinitramfs.sh --kernel KERNEL --conf FILE --out FILE [--module KO] [--scenario-file SH]..." >&2
	exit 2
}
kver=$("$top/scripts/kvers.sh" "$series")
[ -n "$kroot" ] || kroot=$("$top/tests/vm/fetch-kernel.sh" "$series")
kmods=$kroot/lib/modules/$kver

root=
trap '[ -z "$root" ] || rm -rf "$root"' EXIT

# new_root: an empty tree with Debian's merged-/usr layout, so host paths
# from ldd work unchanged.
new_root()
{
	[ -z "$root" ] || rm -rf "$root"
	root=$(mktemp -d "${TMPDIR:-/tmp}/cpuidvirt-initramfs.XXXXXX")
	mkdir -p "$root"/usr/{bin,sbin,lib/x86_64-linux-gnu,lib64}
	for d in bin sbin lib lib64; do
		ln -s "usr/$d" "$root/$d"
	done
}

# pack FILE: the current tree as a newc cpio.
pack()
{
	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet --owner=0:0) >"$1"
}

# copy_file HOSTPATH: copy to the same path in the guest, resolving links.
copy_file()
{
	local dst=$root$1
	[ -e "$dst" ] && return 0
	mkdir -p "$(dirname "$dst")"
	cp -L "$1" "$dst"
}

# copy_closure BIN...: the binaries and every library ldd lists for them.
copy_closure()
{
	local b lib
	for b in "$@"; do
		copy_file "$b"
		ldd "$b" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' |
			while read -r lib; do copy_file "$lib"; done
	done
}

# copy_closure_from ROOT BIN: BIN (a path inside ROOT, an extracted .deb
# tree) and its libraries, found in ROOT first, then on the host; each
# goes to its path without ROOT. A library found nowhere is an error.
copy_closure_from()
{
	local r=$1 b=$2 lib dst
	mkdir -p "$root$(dirname "$b")"
	cp -L "$r$b" "$root$b"
	LD_LIBRARY_PATH=$r/usr/lib/x86_64-linux-gnu:$r/lib/x86_64-linux-gnu ldd "$r$b" >"$root.ldd" 2>&1
	if grep -q 'not found' "$root.ldd"; then
		echo "mkinitramfs: libraries of $b not found:" >&2
		grep 'not found' "$root.ldd" >&2
		return 1
	fi
	sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' "$root.ldd" |
		while read -r lib; do
			case "$lib" in
			"$r"/*) dst=${lib#"$r"}
				[ -e "$root$dst" ] || { mkdir -p "$root$(dirname "$dst")"; cp -L "$lib" "$root$dst"; } ;;
			*) copy_file "$lib" ;;
			esac
		done
	rm -f "$root.ldd"
}

# copy_kmod NAME: the kernel package's NAME.ko* and, in turn, every module
# it depends on (modinfo's depends=); built-in ones need nothing.
copy_kmod()
{
	local f d
	grep -q "/$1\.ko\$" "$kmods/modules.builtin" 2>/dev/null && return 0
	f=$(find "$kmods/kernel" -name "$1.ko*" -o -name "$(echo "$1" | tr _ -).ko*" | head -n1)
	[ -n "$f" ] || { echo "mkinitramfs: $kver has no module $1" >&2; return 1; }
	[ -e "$md/${f#"$kmods"/}" ] && return 0
	mkdir -p "$(dirname "$md/${f#"$kmods"/}")"
	cp "$f" "$md/${f#"$kmods"/}"
	for d in $(modinfo -F depends "$f" | tr , ' '); do
		copy_kmod "$d" || return 1
	done
}

# Loaded by lib.sh's criu_setup in the guest: keep the two lists equal.
CRIU_KMODS="crc32c_generic unix_diag inet_diag tcp_diag udp_diag af_packet_diag netlink_diag nf_tables tun veth"

# --- base, cached
cachedir=$MCACHE/initramfs
mkdir -p "$cachedir"
key=$( { sed -n '/^# --- base/,/^# --- end of base/p' "$0"
	dpkg-query -W busybox-static libc6 libgcc-s1 crun kmod 2>/dev/null
	echo "$kver"; } | sha256sum | cut -c1-16)
base=$cachedir/base-$kver-$key.cpio
if [ ! -f "$base" ]; then
	new_root
	mkdir -p "$root"/{dev,proc,sys,tmp,run,root,etc,mnt,var/tmp}
	# busybox first, so kmod's tools below replace its applets.
	cp /bin/busybox "$root/usr/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$root/usr/bin/$a"
	done
	copy_closure /usr/bin/kmod
	for a in modprobe insmod rmmod lsmod depmod modinfo; do
		ln -sf ../bin/kmod "$root/usr/sbin/$a"
		rm -f "$root/usr/bin/$a"
	done
	# glibc's runtime: dynamic test programs, ld.so --list-diagnostics.
	for l in ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 \
		librt.so.1 libresolv.so.2 libutil.so.1 libgcc_s.so.1; do
		[ -e "/lib/x86_64-linux-gnu/$l" ] && copy_file "/lib/x86_64-linux-gnu/$l"
	done
	copy_file /lib64/ld-linux-x86-64.so.2
	copy_closure /usr/bin/crun
	# util-linux tools that Debian's busybox lacks.
	for b in /usr/bin/mountpoint /usr/bin/flock; do
		[ -x "$b" ] && copy_closure "$b"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	: >"$root/etc/fstab"
	pack "$base.$$"
	mv "$base.$$" "$base"
	# This kernel's bases of older package versions are no longer used.
	find "$cachedir" -name "base-$kver-*.cpio" ! -newer "$base" ! -name "$(basename "$base")" \
		-mmin +60 -delete 2>/dev/null || true
fi
# --- end of base

# --- overlay, every boot
new_root
mkdir -p "$root/opt/cpuidvirt/bin" "$root/opt/cpuidvirt/scenarios"
if [ -x "$top/tools/cpuidctl/cpuidctl" ]; then
	copy_closure "$top/tools/cpuidctl/cpuidctl"
	cp "$top/tools/cpuidctl/cpuidctl" "$root/usr/sbin/cpuidctl"
fi

# Kernel modules: msr.ko from the package, cpuidvirt.ko, then depmod.
md=$root/lib/modules/$kver
mkdir -p "$md/kernel/arch/x86/kernel" "$md/extra"
if ls "$kmods"/kernel/arch/x86/kernel/msr.ko* >/dev/null 2>&1; then
	cp "$kmods"/kernel/arch/x86/kernel/msr.ko* "$md/kernel/arch/x86/kernel/"
elif ! grep -q '/msr\.ko$' "$kmods/modules.builtin" 2>/dev/null; then
	echo "mkinitramfs: $kver has neither msr.ko nor a built-in msr (CONFIG_X86_MSR)" >&2
	exit 1
fi
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -e "$kmods/$f" ] && cp "$kmods/$f" "$md/"
done
[ -z "$ko" ] || cp "$ko" "$md/extra/cpuidvirt.ko"
for m in "${xmods[@]}"; do
	cp "$m" "$md/extra/"
done
# The transfer disk (run-guest.sh --disk) is a virtio block device; the
# PCI transport is not a dependency of the driver (built in on 6.12, a
# module on 6.1).
if [ $disk = 1 ]; then
	copy_kmod virtio_pci
	copy_kmod virtio_blk
fi
# What criu's kernel feature detection (kerndat, criu check) opens:
# socket diagnostics, nftables (for network locking; libcrc32c needs a
# crc32c algorithm, a soft dependency modinfo does not list), tun, veth.
if [ $criu = 1 ]; then
	for m in $CRIU_KMODS; do
		copy_kmod "$m"
	done
fi
depmod -b "$root" "$kver"

# The DKMS build of the module, if tests/host/dkms-check.sh made one: the
# dkms-* scenarios load it instead of the tree build (issue 5).
if [ -f "$top/build/dkms/ko/$kver/cpuidvirt.ko" ]; then
	mkdir -p "$root/opt/cpuidvirt/dkms"
	cp "$top/build/dkms/ko/$kver/cpuidvirt.ko" "$root/opt/cpuidvirt/dkms/"
fi

[ ! -x /usr/bin/cpuid ] || copy_closure /usr/bin/cpuid
# Debian's lscpu, for module-views-cpuinfo (what it reads in /proc/cpuinfo).
[ ! -x /usr/bin/lscpu ] || copy_closure /usr/bin/lscpu
if [ $criu = 1 ]; then
	croot=$("$top/tests/vm/fetch-criu.sh")
	copy_closure_from "$croot" /usr/sbin/criu
	# OpenSSL's libcrypto for the migration workload (migload dlopens it).
	copy_closure /usr/lib/x86_64-linux-gnu/libcrypto.so.3
fi

if [ $podman = 1 ]; then
	proot=$("$top/tests/vm/fetch-podman.sh")
	copy_closure_from "$proot" /usr/bin/podman
	copy_closure_from "$proot" /usr/bin/conmon
	copy_closure_from "$proot" /usr/sbin/runc
	mkdir -p "$root/etc/containers" "$root/usr/share/containers" "$root/var/lib/containers"
	cp "$proot"/etc/containers/{policy.json,registries.conf} "$root/etc/containers/"
	cp "$proot"/usr/share/containers/{containers.conf,seccomp.json} "$root/usr/share/containers/"
	cp "$top"/tests/vm/podman/{containers,storage}.conf "$root/etc/containers/"
	# The hooks.d files exactly as `make install` writes them, with the
	# guest's cpuidctl path (overlay: /usr/sbin/cpuidctl).
	inst=$(mktemp -d "${TMPDIR:-/tmp}/cpuidvirt-install.XXXXXX")
	flock "$top/.cache/cpuidctl-build.lock" make -s -C "$top" install DESTDIR="$inst" \
		PREFIX=/usr BINDIR=/usr/sbin >"$inst.log" 2>&1 || {
		echo "mkinitramfs: make install DESTDIR=$inst failed:" >&2
		tail -n 20 "$inst.log" >&2
		rm -rf "$inst" "$inst.log"
		exit 1
	}
	cp -a "$inst/usr/share/containers/oci" "$root/usr/share/containers/"
	mkdir -p "$root/etc/cpuidvirt/profiles"
	rm -rf "$inst" "$inst.log"
fi

cp -a "$bins/." "$root/opt/cpuidvirt/bin/"
cp "$top/tests/vm/lib.sh" "$root/opt/cpuidvirt/lib.sh"
for s in "$top"/tests/vm/scenarios/*.sh "${extra[@]}"; do
	[ -f "$s" ] && [ -x "$s" ] && cp "$s" "$root/opt/cpuidvirt/scenarios/"
done
cp "$conf" "$root/opt/cpuidvirt/boot.conf"
cp "$top/tests/vm/init.sh" "$root/init"
chmod 755 "$root/init"

mkdir -p "$(dirname "$out")"
pack "$out.overlay"
cat "$base" "$out.overlay" >"$out.tmp"
rm -f "$out.overlay"
mv "$out.tmp" "$out"
