#!/bin/bash
# make check: every phase, timed, then the summary line. A failing phase
# does not stop the later ones (each writes its own result lines); the
# exit status comes from tests/summary.sh.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
results=$top/build/results
rm -rf "$results"
mkdir -p "$results" "$top/build/logs"
KERNELS=${KERNELS:-6.1 6.12}
MODES=${MODES:-absent working lie-drop lie-store}
T0=$(date +%s)

phase()	# NAME CMD...
{
	local name=$1 t0 rc
	shift
	echo "=== $name"
	t0=$(date +%s)
	"$@"
	rc=$?
	printf '=== %s: %s in %ss\n' "$name" "$([ $rc = 0 ] && echo "done" || echo "FAILED ($rc)")" \
		"$(($(date +%s) - t0))"
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

phase deps sh scripts/install-deps.sh ||
	echo "not ok - deps: scripts/install-deps.sh" >>"$results/deps.tap"

if grep -Eqs '^unit-check[[:space:]]*:' mk/*.mk; then
	phase unit-check make --no-print-directory unit-check
else
	echo "=== unit-check: no unit-check target (mk/cpuidctl.mk) yet, skipped, not counted"
fi

phase modules tests/vm/build-modules.sh --quiet --tap "$results/module-build.tap" $KERNELS
# Real dkms add/build/install for both kernels (tests/host/dkms-check.sh
# writes dkms.tap); its modules go into the initramfs for dkms-* scenarios.
phase dkms tests/host/dkms-check.sh

phase qemu must testbed "testbed: patched QEMU builds" tests/vm/build-qemu.sh
for k in $KERNELS; do
	phase "kernel $k" must testbed "testbed: guest kernel $k fetched" tests/vm/fetch-kernel.sh "$k"
done
phase guest-bins tests/vm/build-guest-bins.sh --tap "$results/guest-bins.tap"
if [ -f tools/cpuidctl/Makefile ]; then
	phase cpuidctl must testbed "testbed: tools/cpuidctl builds" make -s -C tools/cpuidctl
fi
phase kvm-probe tests/vm/kvm-probe.sh
phase vm tests/vm/vm-check.sh --kernels "$KERNELS" --modes "$MODES"

echo "=== total time $(($(date +%s) - T0))s"
tests/summary.sh
