#!/bin/sh
# modes: working
# kernels: 6.1 6.12
# ARCH_SET_CPUID against ATTACH/DETACH (docs/module.md, "No escape"):
# threads loop ARCH_SET_CPUID(1) (must never unmask themselves) and
# ARCH_SET_CPUID(0) (an ATTACH/DETACH walk must never undo it). Runs twice:
# as is, and with the test build's race windows widened (module
# parameters test_windows and test_delay_us: a busy-wait between every
# decision and its write), which made it fail reliably before the writers
# were serialised.
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
R=$BIN/cvrace
CG=/sys/fs/cgroup
P=/sys/module/cpuidvirt/parameters
SECS=${RACE_SECS:-6}
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG ||
	t_fail "cgroup2 is mounted at $CG" "mount -t cgroup2 failed"

cleanup()
{
	for d in race-b race-x; do
		[ -d $CG/$d ] || continue
		$CV detach $CG/$d >/dev/null 2>&1
		rmdir $CG/$d 2>/dev/null
	done
}

widen()	# WINDOWS DELAY_US
{
	echo "$1" >$P/test_windows && echo "$2" >$P/test_delay_us
}

t_check "module loads" modprobe cpuidvirt
t_check "the test build has its race windows" test -w $P/test_windows
t_check "selftest verifies faulting" $CV selftest
cleanup
mkdir -p $CG/race-b $CG/race-x

t_exit "ARCH_SET_CPUID(1) escapes and ARCH_SET_CPUID(0) self-arming vs ATTACH/DETACH" 0 \
	$R prctl $CG/race-b $CG/race-x "$SECS"
printf '%s\n' "$T_OUT" | sed 's/^/    # /'
widen 3 1000
t_exit "same ARCH_SET_CPUID loops, windows widened to 1 ms" 0 $R prctl $CG/race-b $CG/race-x "$SECS"
printf '%s\n' "$T_OUT" | sed 's/^/    # /'
widen 0 0
cleanup
t_check "module unloads" rmmod cpuidvirt
t_done
