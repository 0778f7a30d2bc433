#!/bin/sh
# modes: absent lie-drop lie-store amd-native-lie-drop amd-native-lie-store
# kernels: 6.1 6.12
# cpuidctl on CPUs whose CPUID faulting is missing or lies: load, selftest
# and status report it with the module's reason and exit 4; apply and run
# refuse with exit 4 and say why, and nothing gets attached.
. /opt/cpuidvirt/lib.sh

CTL=${CPUIDCTL:-cpuidctl}
CG=/sys/fs/cgroup

grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG ||
	t_fail "cgroup2 is mounted at $CG" "mount -t cgroup2 failed"
# The module: installed for this kernel (modprobe-able), else the .ko the test bed ships.
load_args=
if [ -z "$(find /lib/modules/"$KVER" -name 'cpuidvirt.ko*' 2>/dev/null | head -n1)" ]; then
	ko=$(find /opt/cpuidvirt -name 'cpuidvirt.ko' 2>/dev/null | head -n1)
	[ -n "$ko" ] && load_args="--path $ko"
fi

case $CPU_MODE in
absent)		state="absent" ;;
lie-drop | amd-native-lie-drop)	state="lying \\(enable bit does not stick\\)" ;;
lie-store | amd-native-lie-store)	state="lying \\(CPUID does not trap\\)" ;;
*)		t_skip_all "CPU_MODE=$CPU_MODE is not a faulting-broken mode" ;;
esac

# shellcheck disable=SC2086
t_exit "load exits 4" 4 $CTL load $load_args
t_match "load: module loaded" "^module: (loaded|already loaded)" "$T_OUT"
t_match "load names the state and the reason" "CPUID faulting is $state on this machine: .+; profiles cannot be applied" "$T_OUT"

t_exit "selftest exits 4" 4 $CTL selftest
if [ "${CPU_MODE#amd-native-}" = lie-store ]; then
	# The bit sticks, so the test runs and every CPU fails to trap.
	t_match "selftest: cpu 0 did not trap" "^cpu 0: CPUID did NOT trap$" "$T_OUT"
	t_match "selftest verdict" "^verdict: lying \\(CPUID does not trap\\) \\(0 of [0-9]+ CPUs trapped\\)" "$T_OUT"
else
	t_match "selftest says why it cannot run" "^cpuidctl: CPUID faulting is $state: .+" "$T_OUT"
fi

t_exit "status exits 4" 4 $CTL status
t_match "status: module loaded" "^module: loaded" "$T_OUT"
t_match "status: faulting state and reason" "^faulting: $state: .+" "$T_OUT"

mkdir -p $CG/cvt
t_exit "apply exits 4" 4 $CTL profile apply x86-64-v2 cvt
t_match "apply: reason" "cannot apply to $CG/cvt: CPUID faulting is $state: .+" "$T_OUT"
t_match "apply: what would help" "profiles cannot work on this machine" "$T_OUT"
t_exit "run exits 4" 4 $CTL run --profile x86-64-v2 -- true
t_exit "list exits 0" 0 $CTL profile list
t_eq "nothing attached" "" "$T_OUT"
left=$(find $CG -maxdepth 2 -name 'cpuidctl-run-*' | head -n1)
t_eq "failed run left no cgroup" "" "$left"
rmdir $CG/cvt

# Commands that need no faulting still work.
t_exit "explain works without faulting" 0 $CTL explain avx2
t_exit "profile show works without faulting" 0 $CTL profile show x86-64-v2
t_exit "dump works" 0 $CTL dump
t_done
