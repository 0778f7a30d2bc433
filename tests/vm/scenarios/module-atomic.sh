#!/bin/sh
# modes: working amd-native
# kernels: 6.1 6.12
# Guarantees observed from a thread spinning on CPUID on the other CPU
# with no system call (so only the module can change what it sees):
# - REPLACE is atomic: while REPLACE runs 300 times, every CPUID(6) answer
#   is one whole generation of rules (all four registers from the same
#   rule, never native), generations never go back, and the first CPUID
#   after a REPLACE returned has the new one;
# - DETACH of a thread running on another CPU (held off CPUID, still
#   running, during the DETACH itself): when DETACH returns, that
#   CPU's enable bit (MSR 0x140 bit 0, or HWCR bit 35 under amd-native)
#   is 0 and the thread's CPUIDs are native without a trap
#   (the stale-repair counter does not move). While it was masked the MSR
#   held exactly bit 0: resync touches no other bit. (On the test bed's
#   emulated CPU no other bit of 0x140 is writable - the QEMU patch #GPs
#   on them, see testbed-msr-reserved - so "other bits untouched" can only
#   be seen as "no other bit set".)
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
Q=$BIN/cpuidq
CG=/sys/fs/cgroup
N=300
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG || t_skip_all "cannot mount cgroup2"

cleanup()
{
	t_cgroups_remove $CG/ra $CG/da
}

t_check "module loads" modprobe cpuidvirt
t_check "selftest verifies faulting" $CV selftest
t_check "msr.ko is loaded (/dev/cpu/1/msr)" test -c /dev/cpu/1/msr
cleanup
mkdir -p $CG/ra $CG/da
native6=$($Q 6 0 | sed -n 's/.*ecx=\([0-9a-f]*\).*/\1/p')

# --- REPLACE atomicity ------------------------------------------------------
t_exit "$N REPLACEs while a thread on CPU 1 spins on CPUID(6)" 0 in_cg $CG/ra $CV spin-replace $CG/ra $N
out=$T_OUT
echo "# $out"
t_match "all $N REPLACEs done" "^replaces=$N " "$out"
t_match "no answer mixed two rules' registers" " mixed=0 " "$out"
t_match "no answer was native (neither old nor new)" " native=0 " "$out"
t_match "generations never went back" " backwards=0 " "$out"
t_match "after each REPLACE returned, the next CPUID had the new rules" " late=0\$" "$out"
cpuids=$(printf '%s\n' "$out" | sed -n 's/.* cpuids=\([0-9]*\) .*/\1/p')
t_check "the spinner ran through the REPLACEs (${cpuids:-0} CPUIDs)" test "${cpuids:-0}" -ge $((2 * N))

# --- DETACH of a thread running on another CPU ------------------------------
t_check "ATTACH to da" $CV attach $CG/da 6/0/ecx/0/0xda
t_exit "DETACH while a thread of the cgroup spins on CPU 1" 0 in_cg $CG/da $CV spin-detach $CG/da
out=$T_OUT
echo "# $out"
t_match "the spinner was masked before" "^before=000000da " "$out"
t_match "and native after" " after=$native6 " "$out"
t_match "CPU 1's enable bit was set (MSR 0x140: exactly bit 0) while it ran masked (one of 20 reads)" " msr_before=1 " "$out"
t_match "CPU 1's enable bit was 0 right after DETACH returned (20 reads)" " msr_after=0 " "$out"
t_match "none of its CPUIDs after DETACH trapped (stale repairs)" " stale=0\$" "$out"

cleanup
t_check "module unloads" rmmod cpuidvirt
t_done
