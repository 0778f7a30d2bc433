#!/bin/bash
# migrate.sh [--kernel KERNEL] [--from MODEL] [--to MODEL]
#            [--variant profile|none] [--to-dump FILE] [--tag TAG]
#            [--dump-args 'CRIU OPTIONS'] [--restore-args 'CRIU OPTIONS']
#            [--restore-default] [--control sigill|xsave] [--no-cgroup-criu]
#            [--quiet]
#
# Two guest boots, one process moved between them with CRIU (issue 10,
# docs/migration.md). Boot A (--from, default Skylake-Client-v4) runs
# tests/vm/hidden/migrate-a.sh: `cpuidctl profile lcd` of A's live dump
# and B's recorded one, the workload tests/guest/migload.c in cgroup mig
# (with that profile for --variant profile, without it for none), criu
# dump onto a transfer disk. Boot B (--to, default SandyBridge) runs
# migrate-b.sh: criu restore into cgroup mig, with the same profile or
# without it.
#  - profile: the workload ticks on, every checksum equal to B's own
#    computation, and survives a late lazy binding;
#  - none (the control): criu restore with the same options refuses
#    ("CPU instruction capabilities do not match run time"); restored
#    without --cpu-cap (criu's default: no instruction check) instead,
#    the workload dies of SIGILL in libc.so.6 (the kernel's "trap invalid
#    opcode" line).
#  - none with --control xsave (the XSAVE direction: B's XSAVE area is
#    larger, e.g. --to max,vendor=GenuineIntel, whose XCR0 has MPX under
#    TCG): criu restore with the same options refuses ("CPU xsave size
#    mismatch (832/2696)"); restored without --cpu-cap, the workload
#    ticks on, but its first lazy binding writes 64 bytes past the XSAVE
#    area glibc sized from A's CPUID into its caller's frame (with the
#    profile and its xsavearea: nothing).
# The criu options default to the recipe of docs/migration.md: dump and
# restore with --cpu-cap=fpu,ins, criu itself running in cgroup mig so
# that it records and checks the CPU as the profile presents it
# (--no-cgroup-criu runs criu outside it; --dump-args and --restore-args
# replace the options; --restore-default restores without options, with
# criu's default checks). B's dump comes from tests/data/dumps/qemu-MODEL.txt
# unless --to-dump.
# Results: build/results/vm-KERNEL-working-mig-TAG-{A,B}.tap (TAG
# defaults to the variant); B does not boot if A failed (its result is
# then missing, which tests/summary.sh counts as a failure).
# Exit 0 iff both boots passed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kernel=6.12 from=Skylake-Client-v4 to=SandyBridge variant=profile dump=
rargs=--cpu-cap=fpu,ins dargs=--cpu-cap=fpu,ins tag= incg=1 quiet= control=sigill
while [ $# -gt 0 ]; do
	case "$1" in
	-h|--help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	--no-cgroup-criu) incg=0; shift; continue ;;
	--quiet) quiet=--quiet; shift; continue ;;
	--restore-default) rargs=; shift; continue ;;
	esac
	[ $# -ge 2 ] || { echo "migrate: $1 needs a value" >&2; exit 2; }
	case "$1" in
	--kernel) kernel=$2 ;;
	--from) from=$2 ;;
	--to) to=$2 ;;
	--variant) variant=$2 ;;
	--to-dump) dump=$2 ;;
	--restore-args) rargs=$2 ;;
	--dump-args) dargs=$2 ;;
	--tag) tag=$2 ;;
	--control) control=$2 ;;
	*) echo "migrate: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift 2
done
case "$variant" in profile|none) ;; *) echo "migrate: --variant is profile or none" >&2; exit 2 ;; esac
case "$control" in sigill|xsave) ;; *) echo "migrate: --control is sigill or xsave" >&2; exit 2 ;; esac
dump=${dump:-$top/tests/data/dumps/qemu-$to.txt}
[ -f "$dump" ] || { echo "migrate: no dump of $to: $dump (record one: tests/data/dumps/capture-qemu.sh $to)" >&2; exit 2; }

tag=mig-${tag:-$variant}
work=$top/.cache/migrate/$kernel-$tag
rm -rf "$work" && mkdir -p "$work/in"
cp "$dump" "$work/in/B.txt"
echo "$variant" >"$work/in/variant"
echo "$rargs" >"$work/in/restore-args"
echo "$dargs" >"$work/in/dump-args"
echo "$incg" >"$work/in/criu-in-cgroup"
echo "$control" >"$work/in/control"
disk=$work/xfer.img
tar -C "$work/in" -cf "$disk" --no-same-owner . || exit 1
# tar stops at the archive's end; the rest of the file stays zero.
truncate -s 256M "$disk"

rg=("$top/tests/vm/run-guest.sh" --kernel "$kernel" --mode working --criu
	--disk "$disk" --scenario none --quiet)
rc=0
t0=$(date +%s)
echo "migrate: boot A ($from), variant $variant" >&2
"${rg[@]}" --cpu "$from" --hidden migrate-a --tag "$tag-A" || rc=1
t1=$(date +%s)
echo "migrate: boot A took $((t1 - t0))s" >&2
if [ $rc = 0 ]; then
	echo "migrate: boot B ($to)" >&2
	"${rg[@]}" --cpu "$to" --hidden migrate-b --tag "$tag-B" || rc=1
	echo "migrate: boot B took $(($(date +%s) - t1))s" >&2
fi
if [ -z "$quiet" ]; then
	for s in A B; do
		t=$top/build/results/vm-$kernel-working-$tag-$s.tap
		[ -f "$t" ] && sed "s/^/[$s] /" "$t"
	done
fi
exit $rc
