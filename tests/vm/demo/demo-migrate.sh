#!/bin/bash
# demo-migrate.sh [--kernel KERNEL]: make demo-migrate's guest part.
# Moves the workload tests/guest/migload.c from a Skylake-Client-v4 guest
# to a SandyBridge guest with CRIU twice (tests/vm/migrate.sh): under the
# lcd profile of the two CPUs it ticks on with correct checksums; without
# it (the control) it dies of SIGILL on SandyBridge. Prints each boot's
# story from its console log, minus the boot noise. Exit 0 iff both runs
# showed what they must.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
kernel=6.12
case "${1:-}" in
--kernel) kernel=${2:?--kernel needs a value} ;;
-h|--help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
"") ;;
*) echo "demo-migrate: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac

story()	# TAG SIDE SCENARIO
{
	sed -n "/^# --- $3/,/^CPUIDVIRT-DONE/p" "$top/build/logs/$kernel-working-mig-$1-$2.log" |
		grep -v -E '^(# --- |CPUIDVIRT-DONE|\[ *[0-9]+\.[0-9]+\] )'
}

rc=0
echo "== 1/2 with the profile: A = Skylake-Client-v4 (AVX2, BMI2, FMA), B = SandyBridge (no AVX2)"
echo "   boot A computes 'cpuidctl profile lcd' of its own dump and B's recorded one"
echo "   (tests/data/dumps/qemu-SandyBridge.txt), starts migload in a cgroup with that"
echo "   profile, criu-dumps it to a disk; boot B restores it into the same profile"
"$top/tests/vm/migrate.sh" --kernel "$kernel" --variant profile --tag demo --quiet || rc=1
echo "-- boot A (Skylake-Client-v4)"
story demo A migrate-a
echo "-- boot B (SandyBridge)"
story demo B migrate-b
echo
echo "== 2/2 the control, without the profile: migload picks AVX2 code on A"
"$top/tests/vm/migrate.sh" --kernel "$kernel" --variant none --tag demo-control --quiet || rc=1
echo "-- boot A (Skylake-Client-v4)"
story demo-control A migrate-a
echo "-- boot B (SandyBridge)"
story demo-control B migrate-b
echo
if [ $rc = 0 ]; then
	echo "== demo finished: the workload survived the move under the profile; without it,"
	echo "   criu --cpu-cap=ins refused and, restored anyway, it died of SIGILL"
	echo "   (console logs: build/logs/$kernel-working-mig-demo*-[AB].log)"
else
	echo "== demo FAILED (console logs: build/logs/$kernel-working-mig-demo*-[AB].log)"
fi
exit $rc
