#!/bin/bash
# Decide whether guests may use KVM: only if a probe boot with -enable-kvm
# proves that a stock kernel boots and CPUID faulting works (the substrate
# self-check in "working" mode passes) within a short timeout. Never
# decided from /dev/kvm alone: a nested hypervisor may offer /dev/kvm and
# still hang every stock kernel. Writes "kvm" or "tcg" to
# .cache/kvm-probe/result and prints it.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$top/.cache/kvm-probe
mkdir -p "$dir"
timeout=${KVM_PROBE_TIMEOUT:-40}
result=tcg
why=
if [ ! -w /dev/kvm ]; then
	why="no usable /dev/kvm"
elif "$top/tests/vm/run-guest.sh" --kernel 6.12 --mode working --accel kvm \
	--scenario 'none' --timeout "$timeout" --tag kvm-probe --quiet >"$dir/probe.out" 2>&1 &&
	grep -q '^ok - substrate: working: cpu0: CPUID at CPL3 raises SIGSEGV' \
		"$top/build/results/vm-6.12-working-kvm-probe.tap" &&
	# The kernel's own faulting (Intel vendor): on an AMD host -cpu host is
	# an AMD guest, where the substrate arms the MSR itself and passes too,
	# but the default boots are the Intel model's.
	grep -q '^ok - substrate: working: /proc/cpuinfo has cpuid_fault' \
		"$top/build/results/vm-6.12-working-kvm-probe.tap"; then
	result=kvm
	why="probe boot with -enable-kvm passed the working-mode self-check"
else
	why="probe boot with -enable-kvm did not pass within ${timeout}s (log: $top/build/logs/6.12-working-kvm-probe.log)"
fi
# The probe's own results are not part of the test results.
rm -f "$top/build/results/vm-6.12-working-kvm-probe.tap"
echo "$result" >"$dir/result"
echo "kvm-probe: $result ($why)" >&2
echo "$result"
