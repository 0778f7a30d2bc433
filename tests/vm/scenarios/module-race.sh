#!/bin/sh
# modes: working
# kernels: 6.1 6.12
# Races between writers of a thread's arming (docs/module.md, "One writer
# at a time"): exec, fork, thread and move storms against ATTACH, REPLACE
# and DETACH. The same storm with the test build's race windows widened
# is tests/vm/hidden/module-race-widened.sh (see there why it is hidden).
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
R=$BIN/cvrace
CG=/sys/fs/cgroup
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

t_check "module loads" modprobe cpuidvirt
t_check "selftest verifies faulting" $CV selftest
cleanup
mkdir -p $CG/race-b $CG/race-x

# CV_WIN_SYNC = bit 0, CV_WIN_PRCTL = bit 1 (module/testhooks.h).
t_exit "exec/fork/thread/move storm vs ATTACH/REPLACE/DETACH" 0 $R storm $CG/race-b $CG/race-x "$SECS"
printf '%s\n' "$T_OUT" | sed 's/^/    # /'
cleanup
t_check "module unloads" rmmod cpuidvirt
t_done
