#!/bin/sh
# modes: working
# kernels: 6.1 6.12
# The per-CPU cache of native CPUID answers (module/cache.c): in steady
# state an emulated CPUID of a cached leaf executes no real CPUID (inside
# a VM each is an exit); REFRESH, a CPU coming online and
# native_cache=0 make the module execute them again, counted in STATUS.
# (The dynamic fields answered through the cache: module-mask.)
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
CG=/sys/fs/cgroup
ON=/sys/devices/system/cpu/cpu1/online
PARAM=/sys/module/cpuidvirt/parameters/native_cache
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG || t_skip_all "cannot mount cgroup2"

# count [OPTION...] CPU N: "EMULATED REAL" over N rounds of 4 leaves
count()
{
	in_cg $CG/nc $CV cpuid-count "$@" |
		sed -n 's/^emulated=\([0-9]*\) real=\([0-9]*\)$/\1 \2/p'
}

t_check "module loads" modprobe cpuidvirt
t_check "selftest verifies faulting" $CV selftest
t_cgroups_remove $CG/nc
mkdir -p $CG/nc
# The bench profile: leaf 1 ECX without RDRAND, 7.0 EBX without AVX2.
t_check "ATTACH to nc" $CV attach $CG/nc 1/0/ecx/0xbfffffff/0 7/0/ebx/0xffffffdf/0
t_match "STATUS shows the real-CPUID counter" "^state=.* real=[0-9]+\$" "$($CV status)"
t_eq "the cache is on by default" Y "$(cat $PARAM)"

# Steady state, on each CPU: the first round fills the CPU's cache.
for cpu in 0 1; do
	count $cpu 1 >/dev/null
	set -- $(count $cpu 2000)
	echo "# CPU $cpu: ${1:-?} emulated, ${2:-?} real CPUIDs"
	t_eq "CPU $cpu: every CPUID of the 2000 rounds emulated" 8000 "${1:-none}"
	t_check "CPU $cpu: real CPUIDs per emulated CPUID <= 0.01 (${2:-?} of ${1:-?})" \
		test "$(( ${2:-99999} * 100 ))" -le "${1:-0}"
done

# REFRESH: the 4 leaves are read again once, then cached again.
set -- $(count --refresh 0 1)
t_eq "after REFRESH CPU 0 reads the 4 leaves again (emulated ${1:-?})" 4 "${2:-none}"
set -- $(count 0 1)
t_eq "and then answers them from the cache" 0 "${2:-none}"

# A CPU coming online drops the cached answers (hotplug callback).
set -- $(count --online $ON 0 1)
t_eq "after CPU 1 went offline and online the 4 leaves are read again" 4 "${2:-none}"
t_check "selftest again (CPU 1 came online)" $CV selftest

# The old path: one real CPUID per emulation.
t_check "native_cache=0" sh -c "echo 0 >$PARAM"
set -- $(count 0 100)
t_eq "native_cache=0: one real CPUID per emulated CPUID (emulated ${1:-?})" "${1:-x}" "${2:-y}"
t_check "native_cache=1" sh -c "echo 1 >$PARAM"
count 0 1 >/dev/null
set -- $(count 0 100)
t_eq "native_cache=1 again: none" 0 "${2:-none}"

t_cgroups_remove $CG/nc
t_check "module unloads" rmmod cpuidvirt
t_done
