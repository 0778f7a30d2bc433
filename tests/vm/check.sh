#!/bin/bash
# make check: every phase, timed, then the summary line. A failing phase
# does not stop the later ones (each writes its own result lines); a phase
# that fails without leaving a "not ok" line gets one in check.tap. Every
# result file a phase or boot must write is listed in
# build/results/expected.list, so tests/summary.sh (the exit status) fails
# on any that is missing. The boots come from tests/vm/matrix.sh.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
results=$top/build/results
rm -rf "$results"
mkdir -p "$results" "$top/build/logs"
T0=$(date +%s)
ctap=$results/check.tap
expect() { printf '%s\n' "$@" >>"$results/expected.list"; }
nfailed() { cat "$results"/*.tap 2>/dev/null | grep -c '^not ok\b'; }

expect check
if ! boots=$(tests/vm/matrix.sh); then
	echo "not ok - check: the boot matrix (KERNELS='${KERNELS-}' MODES='${MODES-}') is not valid" >>"$ctap"
	tests/summary.sh
	exit 1
fi
echo "ok - check: boot matrix of $(echo $boots | wc -w) boots:" $boots >>"$ctap"
KERNELS=${KERNELS-$(tests/vm/matrix.sh --kernels)}
# doc: man pages and bash completion, checked by the unit-check phase.
expect unit doc module-build dkms testbed guest-bins testbed-selftest
for b in $boots; do
	expect "vm-$b"
done
# The podman boots (run-guest.sh --podman --hidden oci-podman).
pods=$(tests/vm/matrix.sh --podman)
for p in $pods; do
	expect "vm-$p"
done
# The two-guest migration runs (tests/vm/migrate.sh): boot A's and B's.
migs=$(tests/vm/matrix.sh --migrations)
for m in $migs; do
	expect "vm-${m%%-mig-*}-working-mig-${m#*-mig-}-A" "vm-${m%%-mig-*}-working-mig-${m#*-mig-}-B"
done
[ -z "$migs" ] || echo "ok - check: migration runs (two boots each):" $migs >>"$ctap"

phase()	# NAME CMD...
{
	local name=$1 t0 rc nf
	shift
	echo "=== $name"
	t0=$(date +%s)
	nf=$(nfailed)
	"$@"
	rc=$?
	printf '=== %s: %s in %ss\n' "$name" "$([ $rc = 0 ] && echo "done" || echo "FAILED ($rc)")" \
		"$(($(date +%s) - t0))"
	if [ $rc != 0 ] && [ "$(nfailed)" = "$nf" ]; then
		echo "not ok - check: phase $name failed (exit status $rc) without a failing result line" >>"$ctap"
	fi
	return $rc
}

# A phase that fails outright without result lines still has to count.
must()	# TAPNAME DESC CMD...
{
	local tap=$results/$1.tap desc=$2
	shift 2
	if "$@"; then
		echo "ok - $desc" >>"$tap"
	else
		echo "not ok - $desc" >>"$tap"
	fi
}

phase deps sh scripts/install-deps.sh

if grep -Eqs '^unit-check[[:space:]]*:' mk/*.mk; then
	phase unit-check make --no-print-directory unit-check
else
	echo "not ok - unit-check: no unit-check target in mk/*.mk" | tee -a "$results/unit.tap"
fi

# The test bed first: guest kernels (and their headers, or for 6.12-debug
# the whole build) are what the module builds against.
phase qemu must testbed "testbed: patched QEMU builds" tests/vm/build-qemu.sh
for k in $KERNELS; do
	phase "kernel $k" must testbed "testbed: guest kernel $k fetched (or built)" tests/vm/fetch-kernel.sh "$k"
done

phase modules tests/vm/build-modules.sh --quiet --tap "$results/module-build.tap" $KERNELS
# Real dkms add/build/install for every kernel (tests/host/dkms-check.sh
# writes dkms.tap); its modules go into the initramfs for dkms-* scenarios.
export KERNELS
phase dkms tests/host/dkms-check.sh
phase guest-bins tests/vm/build-guest-bins.sh --tap "$results/guest-bins.tap"
if [ -f tools/cpuidctl/Makefile ]; then
	phase cpuidctl must testbed "testbed: tools/cpuidctl builds" make -s -C tools/cpuidctl
fi
# Debian's criu for the migration runs, into the machine-wide cache.
if [ -n "$migs" ]; then
	phase criu must testbed "testbed: Debian's criu fetched (tests/vm/fetch-criu.sh)" tests/vm/fetch-criu.sh
fi
# Debian's podman, conmon and runc for the podman boots.
if [ -n "$pods" ]; then
	phase podman must testbed "testbed: Debian's podman fetched (tests/vm/fetch-podman.sh)" tests/vm/fetch-podman.sh
fi
phase kvm-probe tests/vm/kvm-probe.sh
# The test bed's own verdicts (summary.sh on crafted results, a WARNing
# guest, a leftover process): two short boots, on 6.12 if it is booted.
case " $KERNELS " in *" 6.12 "*) stk=6.12 ;; *) stk=${KERNELS%% *} ;; esac
phase testbed-selftest tests/vm/testbed-selftest.sh --kernel "$stk"
# Loading and unloading while threads on the other vCPU run through the
# module's stubs and hooked call sites needs QEMU's single-threaded TCG
# (docs/testbed.md, "Cross-modifying code under multi-threaded TCG"): one
# short boot of the two scenarios that do it (lib.sh's t_patch_mask).
case " ${MODES-working} " in
*" working "*)
	expect "vm-$stk-working-tcg1"
	phase vm-tcg1 env CPUIDVIRT_TCG_THREAD=single tests/vm/run-guest.sh \
		--kernel "$stk" --mode working --scenario module-initfail \
		--scenario module-lifecycle --tag tcg1 --quiet ;;
esac
phase vm tests/vm/vm-check.sh --boots "$boots $pods $migs"

echo "=== total time $(($(date +%s) - T0))s"
tests/summary.sh
