#!/bin/sh
# modes: working amd-native
# kernels: 6.1 6.12
# Self-armed threads (ARCH_SET_CPUID(0)) present at load: a zombie must
# not be tracked (its entry would outlive it), a live one must be, and be
# forgotten when it exits; then 3,000 (debug kernel: 600) fork-only
# children running CPUID, none of which may be killed (an unrelated task
# reusing a stale entry's address would get SIGSEGV).
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
R=$BIN/cvrace
CTL=${CPUIDCTL:-cpuidctl}
CG=/sys/fs/cgroup
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG ||
	t_fail "cgroup2 is mounted at $CG" "mount -t cgroup2 failed"

self_armed()
{
	$CTL status 2>/dev/null | sed -n 's/.*self_armed \([0-9]*\).*/\1/p'
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

# A self-armed zombie present at modprobe must not be tracked (its entry,
# keyed by the task pointer, would outlive it and mark an unrelated task
# that reuses the address as self-armed: SIGSEGV on its first CPUID).
rmmod cpuidvirt 2>/dev/null
t_check "module not loaded before the zombie exists" sh -c "! test -d /sys/module/cpuidvirt"
fifo=/tmp/race-zombie.fifo
rm -f $fifo && mkfifo $fifo
$R zombie $fifo >/tmp/race-zombie.out 2>&1 &
zpid=$!
i=0
while ! grep -q '^zombie=' /tmp/race-zombie.out && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
z=$(sed -n 's/^zombie=//p' /tmp/race-zombie.out)
t_eq "the self-armed child is a zombie" Z "$(awk '{print $3}' /proc/"$z"/stat 2>/dev/null)"
t_check "module loads with the zombie present" modprobe cpuidvirt
t_eq "the zombie is not tracked as self-armed" 0 "$(self_armed)"
timeout 10 sh -c "echo reap >$fifo"
wait $zpid
t_eq "zombie reaped" 0 "$?"
t_eq "self-armed count back to 0 after the reap" 0 "$(self_armed)"
foreign0=$($CV status | sed -n 's/.* foreign=\([0-9]*\).*/\1/p')
forks=$(t_rounds 3000)
t_exit "$forks fork-only children run CPUID, none is killed" 0 $R forks "$forks"
t_eq "no CPUID fault was left to the kernel" "$foreign0" \
	"$($CV status | sed -n 's/.* foreign=\([0-9]*\).*/\1/p')"

# A live self-armed task present at modprobe is tracked, and forgotten
# when it exits.
t_check "module unloads before the self-armed task starts" rmmod cpuidvirt
$CV asked-wait $fifo 6 0 >/tmp/race-live.out 2>&1 &
wpid=$!
i=0
while ! grep -q '^set0=' /tmp/race-live.out && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
t_check "module loads with a self-armed task present" modprobe cpuidvirt
t_eq "the live self-armed task is tracked" 1 "$(self_armed)"
timeout 10 sh -c "echo quit >$fifo"
wait $wpid
t_eq "self-armed count back to 0 after it exits" 0 "$(self_armed)"
rm -f $fifo

t_check "module unloads" rmmod cpuidvirt
t_done
