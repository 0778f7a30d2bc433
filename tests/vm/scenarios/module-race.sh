#!/bin/sh
# modes: working amd-native
# kernels: 6.1 6.12
# Races between writers of a thread's arming (docs/module.md, "One writer
# at a time"): exec, fork, thread and move storms against ATTACH, REPLACE
# and DETACH. Runs twice: as is, and calm (no moves or REPLACE, 30 ms
# stable after each ATTACH, so that nothing re-arms a thread before it
# checks) with the test build's event window widened (a busy-wait between
# the fork/exec tracepoint's decision and its write, while the
# ATTACH/DETACH walk runs at full speed): an event that decided from the
# old view and wrote after the walk undid the walk's arming before the
# writers were serialised.
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
R=$BIN/cvrace
CG=/sys/fs/cgroup
SECS=${RACE_SECS:-6}
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG ||
	t_fail "cgroup2 is mounted at $CG" "mount -t cgroup2 failed"

cleanup()
{
	t_cgroups_remove $CG/race-b $CG/race-x
}

t_check "module loads" modprobe cpuidvirt
t_check "the test build has its race windows" test -w /sys/module/cpuidvirt/parameters/test_windows
t_check "selftest verifies faulting" $CV selftest
cleanup
mkdir -p $CG/race-b $CG/race-x

t_exit "exec/fork/thread/move storm vs ATTACH/REPLACE/DETACH" 0 $R storm $CG/race-b $CG/race-x "$SECS"
printf '%s\n' "$T_OUT" | sed 's/^/    # /'
t_race_windows 1 5000
t_exit "storm without moves, each event's decision-to-write window widened to 5 ms" 0 \
	$R storm-calm $CG/race-b $CG/race-x "$SECS"
printf '%s\n' "$T_OUT" | sed 's/^/    # /'
t_race_windows 0 0
cleanup
t_check "module unloads" rmmod cpuidvirt
t_done
