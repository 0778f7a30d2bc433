#!/bin/sh
# modes: working amd-native
# kernels: 6.1 6.12
# Fault-state and lock life cycle: a load while processes fork and exit
# takes no lock before its init; a selftest that tested nothing cannot
# poison a verified machine; a CPU brought online after the selftest is
# not trusted until it runs again; unload leaves self-armed threads
# alone; a failed load undoes every hook. (LIST:
# module-list-stall.)
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
R=$BIN/cvrace
Q=$BIN/cpuidq
CG=/sys/fs/cgroup
ON=/sys/devices/system/cpu/cpu1/online
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG ||
	t_fail "cgroup2 is mounted at $CG" "mount -t cgroup2 failed"

cleanup()
{
	t_cgroups_remove $CG/lc-a $CG/lc-b
}

state()
{
	$CV status | sed -n 's/^state=\([0-9]*\).*/\1/p'
}

# A load while processes fork and exit: the fork and exit tracepoints
# take the per-thread locks as soon as they are registered, while init
# goes on (the test build's init window sleeps 500 ms right there; the
# debug kernel reports a lock used before its init, "spinlock bad
# magic"). The churn runs on the patching CPU (t_patch_mask).
rmmod cpuidvirt 2>/dev/null
: >/tmp/lc-churn
taskset "$(t_patch_mask)" sh -c 'while :; do "$0" 1 0 >/dev/null; echo >>/tmp/lc-churn; done' \
	$BIN/cpuidq.static &
churn=$!
sleep 1
n0=$(wc -l </tmp/lc-churn)
t_check "module loads while processes fork and exit (init window 500 ms)" \
	taskset 1 modprobe cpuidvirt test_windows=32 test_delay_us=500000
n1=$(wc -l </tmp/lc-churn)
kill $churn
wait $churn 2>/dev/null
t_check "processes exited during the load ($((n1 - n0)))" test $((n1 - n0)) -ge 2
t_race_windows 0 0
t_check "module unloads after that load" rmmod cpuidvirt

t_check "module loads" modprobe cpuidvirt
t_check "selftest verifies faulting" $CV selftest
cleanup
mkdir -p $CG/lc-a $CG/lc-b
t_check "ATTACH to lc-a" $CV attach $CG/lc-a 6/0/ecx/0/0xa9
t_eq "state is VERIFIED (4)" 4 "$(state)"

# CPU hotplug: the new CPU never trapped.
t_check "CPU 1 goes offline" sh -c "echo 0 >$ON"
t_check "CPU 1 comes back online" sh -c "echo 1 >$ON"
t_eq "state drops to UNVERIFIED (3)" 3 "$(state)"
t_match "the reason names the CPU and the fix" "CPU 1 came online after the selftest.*cpuidctl selftest" "$($CV status)"
t_match "a new ATTACH is refused until the selftest runs" "EOPNOTSUPP" "$($CV attach $CG/lc-b 6/0/ecx/0/0xa9)"
t_match "the attached profile still masks" "ecx=000000a9" \
	"$(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' $CG/lc-a $Q 6 0)"
t_check "selftest again" $CV selftest
t_eq "state VERIFIED again" 4 "$(state)"
t_check "ATTACH works again" $CV attach $CG/lc-b 6/0/ecx/0/0xa9
$CV detach $CG/lc-b >/dev/null

# A FINISH that tested nothing is refused and changes nothing.
t_exit "ARM then FINISH without a CPUID is refused (EINVAL), a real one passes" 0 $R selftest-empty
printf '%s\n' "$T_OUT" | sed 's/^/    # /'
t_eq "state still VERIFIED with a profile attached" 4 "$(state)"

cleanup

# Unload while a self-armed process keeps forking: every child inherits
# its request and must keep getting SIGSEGV (the module's way out must not
# touch flags; the walk window makes any walk at unload slow).
# Where the kernel did not detect faulting itself nothing can self-arm.
# The forks run through the call sites rmmod unpatches (t_patch_mask).
if t_kernel_arms_cpuid; then
	taskset "$(t_patch_mask)" $R armed-forks 6 >/tmp/lc-forks.out 2>&1 &
	forks=$!
	sleep 2
	t_race_windows 4 1000
	t_check "module unloads while a self-armed process forks" taskset 1 rmmod cpuidvirt
	wait $forks
	t_eq "every child forked across the unload got SIGSEGV from CPUID" 0 $?
	sed 's/^/    # /' /tmp/lc-forks.out
else
	t_match "no kernel cpuid_fault: ARCH_SET_CPUID is ENODEV" \
		"^get=1 set0=ENODEV set1=ENODEV get=1\$" "$($CV prctl)"
	t_check "module unloads" rmmod cpuidvirt
fi

# A load that fails after every hook is in place (test build:
# test_init_fail) undoes them all: modprobe fails with the injected error,
# nothing is left loaded, and the module loads again. The same with
# threads in the module's stubs is module-initfail.
t_exit "init failure injected: modprobe fails" 1 modprobe cpuidvirt test_init_fail=1
t_match "modprobe says why" "Resource temporarily unavailable" "$T_OUT"
t_check "module not left loaded" sh -c '! grep -q "^cpuidvirt " /proc/modules'
t_check "module loads again" modprobe cpuidvirt
t_check "module unloads" rmmod cpuidvirt
t_done
