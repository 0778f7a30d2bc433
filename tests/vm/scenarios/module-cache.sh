#!/bin/sh
# modes: working amd-native
# kernels: 6.1 6.12
# flavours: generic rt cloud
# The per-CPU cache of native CPUID answers (module/cache.c): in steady
# state an emulated CPUID executes no real CPUID (inside a VM each is an
# exit), for a loop over 4 leaves and for ld.so's start-up; REFRESH, a CPU coming online and
# native_cache=0 make the module execute them again, counted in STATUS.
# (The dynamic fields answered through the cache: module-mask.)
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
CG=/sys/fs/cgroup
ON=/sys/devices/system/cpu/cpu1/online
PARAM=/sys/module/cpuidvirt/parameters/native_cache
LDSO=/lib64/ld-linux-x86-64.so.2
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

# A real program's start-up: glibc's ld.so asks some 30 leaves and
# subleaves (cache leaves 2 and 4, topology, the XSAVE components), not
# only the 4 above. Warm each CPU once, then 20 runs on CPU 0.
stat2()	# "EMULATED REAL" from STATUS
{
	$CV status | sed -n '1s/.* emulated=\([0-9]*\) .* real=\([0-9]*\)$/\1 \2/p'
}
ldso_runs()	# CPU N: N runs of ld.so, the whole cgroup side pinned to CPU
{
	_mask=$(taskset -p $$ | sed 's/.*: //')
	taskset -p -c "$1" $$ >/dev/null || return 1
	in_cg $CG/nc sh -c "i=0; while [ \$i -lt $2 ]; do $LDSO --list-diagnostics >/dev/null || exit 1; i=\$((i + 1)); done"
	_rc=$?
	taskset -p "$_mask" $$ >/dev/null
	return $_rc
}
ldso_runs 0 1 && ldso_runs 1 1
set -- $(stat2)
e0=${1:-0} r0=${2:-0}
t_check "20 runs of ld.so --list-diagnostics on CPU 0" ldso_runs 0 20
set -- $(stat2)
e=$((${1:-0} - e0)) r=$((${2:-0} - r0))
echo "# ld.so x 20 on CPU 0: $e emulated, $r real CPUIDs"
t_check "ld.so asked more than 4 leaves per run ($e CPUIDs in 20 runs)" test "$e" -gt 200
t_check "ld.so's start-up, steady state: real CPUIDs per emulated CPUID <= 0.01 ($r of $e)" \
	test "$((r * 100))" -le "$e"

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
