#!/bin/sh
# modes: working amd-native
# kernels: 6.1 6.12
# ARCH_SET_CPUID against ATTACH/DETACH (docs/module.md, "No escape"):
# threads loop ARCH_SET_CPUID(1) (must never unmask themselves) and
# ARCH_SET_CPUID(0) (an ATTACH/DETACH walk must never undo it). Runs three
# times: as is; with the prctl window widened (between "is this thread
# masked" and the change of its flag: an ATTACH walk in between let the
# thread escape); and with the walk window widened (between the walk's
# decision for a thread and its write: a request made in between was
# undone).
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

# Nothing can arm faulting itself where the kernel did not detect it (the
# module probed it: an AMD-vendor guest of 6.1/6.12).
if ! t_kernel_arms_cpuid; then
	t_check "module loads" modprobe cpuidvirt
	t_match "no kernel cpuid_fault: ARCH_SET_CPUID is ENODEV" \
		"^get=1 set0=ENODEV set1=ENODEV get=1\$" "$($CV prctl)"
	t_check "module unloads" rmmod cpuidvirt
	t_done
fi

t_check "module loads" modprobe cpuidvirt
t_check "the test build has its race windows" test -w /sys/module/cpuidvirt/parameters/test_windows
t_check "selftest verifies faulting" $CV selftest
cleanup
mkdir -p $CG/race-b $CG/race-x

t_exit "ARCH_SET_CPUID(1) escapes and ARCH_SET_CPUID(0) self-arming vs ATTACH/DETACH" 0 \
	$R prctl $CG/race-b $CG/race-x "$SECS"
printf '%s\n' "$T_OUT" | sed 's/^/    # /'
t_race_windows 2 10000
t_exit "same loops, ARCH_SET_CPUID's decision-to-write window widened to 10 ms (escape)" 0 \
	$R prctl $CG/race-b $CG/race-x "$SECS"
printf '%s\n' "$T_OUT" | sed 's/^/    # /'
t_race_windows 4 4000
t_exit "same loops, the walk's decision-to-write window widened to 4 ms per thread (undo)" 0 \
	$R prctl $CG/race-b $CG/race-x "$SECS"
printf '%s\n' "$T_OUT" | sed 's/^/    # /'
t_race_windows 0 0
cleanup
t_check "module unloads" rmmod cpuidvirt
t_done
