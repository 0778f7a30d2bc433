#!/bin/sh
# modes: working amd-native
# kernels: 6.1 6.12
# flavours: generic rt cloud
# Suspend to RAM (ACPI S3) and resume with a masked task on the boot CPU.
# The resume resets the CPU's MSRs, enable bit included, while the shadow
# of whoever switches the bit (the kernel's for MSR 0x140, the module's
# for HWCR bit 35) still says "set": a masked task that suspended the
# machine itself must fault again on its very first CPUID after the
# resume, before any context switch could repair the bit. The host wakes
# the guest (run-guest.sh's qmp-watch.py): an RTC alarm set from here
# is lost if it fires before the guest is all the way in S3.
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
CG=/sys/fs/cgroup
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG ||
	t_fail "cgroup2 is mounted at $CG" "mount -t cgroup2 failed"
grep -qw mem /sys/power/state ||
	t_fail "the guest can suspend to RAM" "/sys/power/state: $(cat /sys/power/state)"

t_check "module loads" modprobe cpuidvirt
t_check "selftest verifies faulting" $CV selftest
t_cgroups_remove $CG/rs
mkdir -p $CG/rs
native6=$(t_reg ecx $BIN/cpuidq 6 0)
t_check "ATTACH to rs" $CV attach $CG/rs 6/0/ecx/0/0xa4

# Every user task on CPU 1 only, so that from the resume until the
# suspending task's first CPUID no unmasked user task runs on CPU 0 (its
# switch would repair the bit: a switch between threads that differ
# rewrites it). Kernel threads never run user code; moving them breaks
# the suspend.
all_to_cpus()	# MASK
{
	for _p in /proc/[0-9]*; do
		# flags, the 7th field after the command name: PF_KTHREAD
		_f=$(cut -d')' -f2 "$_p/stat" 2>/dev/null | awk '{print $7}')
		[ -n "$_f" ] && [ $((_f & 0x200000)) = 0 ] || continue
		taskset -p "$1" "${_p#/proc/}" >/dev/null 2>&1
	done
}

for round in 1 2; do
	all_to_cpus 2
	t_exit "round $round: a masked task on CPU 0 suspends the machine, which resumes when the host wakes it" 0 \
		in_cg $CG/rs $CV suspend 6 0
	all_to_cpus 3
	t_match "round $round: masked before the suspend and on its first CPUID after the resume, enable bit set" \
		"^before=000000a4 after=000000a4 bit=1\$" "$T_OUT"
	t_eq "round $round: a task outside the profile is native after the resume" "$native6" \
		"$(t_reg ecx $BIN/cpuidq 6 0)"
done
t_eq "after the resumes: a new task in rs is masked" 000000a4 \
	"$(t_reg ecx in_cg $CG/rs $BIN/cpuidq 6 0)"

t_cgroups_remove $CG/rs
t_check "module unloads" rmmod cpuidvirt
t_done
