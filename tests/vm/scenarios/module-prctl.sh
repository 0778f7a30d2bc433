#!/bin/sh
# modes: working amd-native
# kernels: 6.1 6.12
# ARCH_SET_CPUID / ARCH_GET_CPUID with the module loaded: a task outside
# any profile that arms faulting itself (rr-style) still gets SIGSEGV; a
# masked task cannot turn faulting off (EPERM) and ARCH_GET_CPUID tells it
# what it asked for itself, not that the profile makes it fault. A task
# that armed faulting before the module was loaded keeps its SIGSEGVs
# while the module is loaded and after it is unloaded. Where the kernel did
# not detect faulting itself (the module probed it: an AMD-vendor guest of
# 6.1/6.12), ARCH_SET_CPUID is ENODEV as without the module.
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
CG=/sys/fs/cgroup
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG || t_skip_all "cannot mount cgroup2"

t_check "module loads" modprobe cpuidvirt
t_check "selftest verifies faulting" $CV selftest
mkdir -p $CG/p
t_check "ATTACH to p" $CV attach $CG/p 6/0/ecx/0/0xb1

if ! t_kernel_arms_cpuid; then
	t_match "no kernel cpuid_fault: outside, SET(0)/SET(1) ENODEV, GET 1" \
		"^get=1 set0=ENODEV set1=ENODEV get=1\$" "$($CV prctl)"
	t_match "no kernel cpuid_fault: masked, GET 1 (not the profile's faulting), SET ENODEV" \
		"^get=1 set0=ENODEV set1=ENODEV get=1\$" "$(in_cg $CG/p $CV prctl)"
	t_match "no kernel cpuid_fault: masked, CPUID emulated" "ecx=000000b1" \
		"$(in_cg $CG/p $BIN/cpuidq 6 0)"
	t_check "DETACH p" $CV detach $CG/p
	rmdir $CG/p
	t_check "rmmod" rmmod cpuidvirt
	t_done
fi

out=$($CV selfarm)
t_match "outside: ARCH_SET_CPUID(0) succeeds, GET reports 0" "^set0=OK get=0\$" "$out"
t_match "outside, self-armed: CPUID gets SIGSEGV" "^cpuid sigsegv\$" "$out"
t_match "STATUS counts it as left to the kernel" "foreign=[1-9]" "$($CV status)"

# The "asked" state follows the kernel's TIF_NOCPUID: inherited by fork,
# dropped by exec.
out=$($CV selfarm-fork)
t_match "fork: the child of a self-armed task inherits it (GET 0)" "^child get=0\$" "$out"
t_match "fork: the child's CPUID gets SIGSEGV (not answered as stale)" "^child cpuid sigsegv\$" "$out"
t_exit "exec: a self-armed task execs a program that executes CPUID" 0 \
	$CV selfarm-exec $BIN/cpuidq 6 0 --expect-sigsegv
t_match "exec: the new program's CPUID is native (faulting dropped at exec)" \
	"^eax=[0-9a-f]{8} ebx=[0-9a-f]{8} ecx=[0-9a-f]{8}" "$T_OUT"
t_exit "exec: and it is not armed (ARCH_GET_CPUID 1)" 0 \
	$CV selfarm-exec $CV prctl
t_match "exec: GET reports 1 in the new program" "^get=1 " "$T_OUT"

out=$(in_cg $CG/p $CV prctl)
t_match "masked: GET 1, SET(0) and SET(1) refused with EPERM, GET still 1" "^get=1 set0=EPERM set1=EPERM get=1\$" "$out"
out=$(in_cg $CG/p $CV selfarm)
t_match "masked: self-arming refused" "^set0=EPERM get=1\$" "$out"
t_match "masked: CPUID emulated, not SIGSEGV" "^cpuid eax=" "$out"

# A task that asked for faulting, then got masked, then unmasked.
mkfifo /tmp/mp.fifo
$CV asked-wait /tmp/mp.fifo 6 0 >/tmp/mp.out 2>&1 &
pid=$!
sleep 1
t_match "asked task: ARCH_SET_CPUID(0) OK" "^set0=OK" "$(cat /tmp/mp.out)"
echo $pid > $CG/p/cgroup.procs
echo go >/tmp/mp.fifo
sleep 1
t_match "asked, then masked: GET still reports its own request (0)" "^get=0\$" "$(tail -n2 /tmp/mp.out | head -n1)"
t_match "asked, then masked: CPUID is emulated" "ecx=000000b1" "$(tail -n1 /tmp/mp.out)"
echo $pid > $CG/cgroup.procs
echo go >/tmp/mp.fifo
sleep 1
t_match "moved out again: its own faulting is back (SIGSEGV)" "^cpuid sigsegv\$" "$(tail -n1 /tmp/mp.out)"
echo quit >/tmp/mp.fifo
wait $pid
rm -f /tmp/mp.fifo /tmp/mp.out

t_check "DETACH p" $CV detach $CG/p
rmdir $CG/p
t_check "rmmod" rmmod cpuidvirt

# A task that armed faulting before the module was loaded is found at load
# (its faults stay SIGSEGV, not "repaired"), and keeps it after unload.
mkfifo /tmp/mp.fifo
$CV asked-wait /tmp/mp.fifo 6 0 >/tmp/mp.out 2>&1 &
pid=$!
sleep 1
t_check "module loads with a self-armed task running" modprobe cpuidvirt
t_check "selftest" $CV selftest
echo go >/tmp/mp.fifo
sleep 1
t_match "armed before load: CPUID still SIGSEGV" "^cpuid sigsegv\$" "$(tail -n1 /tmp/mp.out)"
t_match "armed before load: GET reports 0" "^get=0\$" "$(tail -n2 /tmp/mp.out | head -n1)"
t_check "rmmod" rmmod cpuidvirt
echo go >/tmp/mp.fifo
sleep 1
t_match "after unload: CPUID still SIGSEGV" "^cpuid sigsegv\$" "$(tail -n1 /tmp/mp.out)"
echo quit >/tmp/mp.fifo
wait $pid
rm -f /tmp/mp.fifo /tmp/mp.out
t_done
