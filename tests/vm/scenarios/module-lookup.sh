#!/bin/sh
# modes: working amd-native
# kernels: 6.1 6.12
# Profile lookup in the #GP hook (module/profile.c): rules are found by
# binary search (an exact subleaf beats ANY_SUBLEAF, among 200 rules of
# one leaf), and the per-CPU cgroup -> profile shortcut is dropped by
# every ATTACH and DETACH: a task 32 levels deep sees its nearest profile
# after each change, on each CPU, also in a cgroup made after the ATTACH;
# and a pair made while its task moved names the cgroup the task was in
# when the hook read it (cvrace lookup-move, the lookup window widened).
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
Q=$BIN/cpuidq.static
CG=/sys/fs/cgroup
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG || t_skip_all "cannot mount cgroup2"

# ecx6 CPU CGDIR [SUBLEAF]: CPUID(6, SUBLEAF).ECX of a task in CGDIR on CPU
ecx6()
{
	in_cg "$2" taskset -c "$1" $Q 6 "${3:-0}" | sed -n 's/.*ecx=\([0-9a-f]*\).*/\1/p'
}

deep=$CG/dp
for i in $(seq 1 31); do
	deep=$deep/l$i
	[ $i = 16 ] && mid=$deep
done
cleanup()
{
	_d=$deep
	rmdir $deep/new 2>/dev/null
	while [ "$_d" != "$CG" ]; do
		t_cgroups_remove "$_d"
		_d=${_d%/*}
	done
	t_cgroups_remove $CG/lk $CG/lk-a $CG/lk-b $CG/lk-c
}

t_check "module loads" modprobe cpuidvirt
t_check "selftest verifies faulting" $CV selftest
cleanup
mkdir -p $CG/lk $deep
native6=$(taskset -c 0 $Q 6 0 | sed -n 's/.*ecx=\([0-9a-f]*\).*/\1/p')

# --- 200 rules of leaf 6, one per subleaf, and an ANY_SUBLEAF rule ----------
rules=
for k in $(seq 0 199); do
	rules="$rules 6/$k/ecx/0/$((0x1000 + k))"
done
t_check "ATTACH 203 rules (200 subleaves of leaf 6, its ANY, leaves 1 and 7)" \
	$CV attach $CG/lk $rules 6/'*'/ecx/0/0xeeee 1/0/ecx/0xffffffff/0 7/0/ebx/0xffffffff/0
for k in 0 1 2 63 64 99 100 101 127 128 198 199; do
	t_eq "leaf 6 subleaf $k: its own rule" "$(printf %08x $((0x1000 + k)))" "$(ecx6 0 $CG/lk $k)"
done
for k in 200 201 1000 0xffffffff; do
	t_eq "leaf 6 subleaf $k: the ANY_SUBLEAF rule" 0000eeee "$(ecx6 0 $CG/lk $k)"
done

# --- depth 32: the nearest profile after every change, on each CPU ---------
t_check "ATTACH dp" $CV attach $CG/dp 6/0/ecx/0/0xd1
for cpu in 0 1; do
	t_eq "CPU $cpu: depth 32 gets dp's profile" 000000d1 "$(ecx6 $cpu $deep)"
done
t_check "ATTACH level 16" $CV attach $mid 6/0/ecx/0/0xd2
for cpu in 0 1; do
	t_eq "CPU $cpu: after ATTACH to level 16, depth 32 gets it" 000000d2 "$(ecx6 $cpu $deep)"
done
t_check "REPLACE level 16" $CV attach --replace $mid 6/0/ecx/0/0xd3
mkdir $deep/new
for cpu in 0 1; do
	t_eq "CPU $cpu: after REPLACE, the new rules" 000000d3 "$(ecx6 $cpu $deep)"
	t_eq "CPU $cpu: a cgroup made after the ATTACH, depth 33" 000000d3 "$(ecx6 $cpu $deep/new)"
done
t_check "DETACH level 16" $CV detach $mid
for cpu in 0 1; do
	t_eq "CPU $cpu: after DETACH of level 16, dp's again" 000000d1 "$(ecx6 $cpu $deep)"
	t_eq "CPU $cpu: and at depth 33" 000000d1 "$(ecx6 $cpu $deep/new)"
done
t_check "DETACH dp (lk stays attached)" $CV detach $CG/dp
for cpu in 0 1; do
	t_eq "CPU $cpu: after DETACH of dp, native" "$native6" "$(ecx6 $cpu $deep)"
done
t_check "ATTACH dp again" $CV attach $CG/dp 6/0/ecx/0/0xd4
for cpu in 0 1; do
	t_eq "CPU $cpu: the new profile of dp" 000000d4 "$(ecx6 $cpu $deep)"
done

# --- a pair made while its task moves -------------------------------------
# The shuttle's first CPUID in A (or B) after each DETACH misses, reads its
# cgroup, waits 10 ms in the widened window while it is moved, then
# resolves: the pair must name the profile of the cgroup it read.
mkdir -p $CG/lk-a $CG/lk-b $CG/lk-c
t_check "the test build has its race windows" test -w /sys/module/cpuidvirt/parameters/test_windows
t_race_windows 16 10000
t_exit "moved during its lookup: new tasks of A and B on its CPU get their own profile" 0 \
	$BIN/cvrace lookup-move $CG/lk-a $CG/lk-b $CG/lk-c 4
printf '%s\n' "$T_OUT" | sed 's/^/    # /'
t_race_windows 0 0

cleanup
t_check "module unloads" rmmod cpuidvirt
t_done
