#!/bin/sh
# modes: working
# kernels: 6.1 6.12
# Races between writers of a thread's arming (docs/module.md, "Arming
# guarantees"): exec, fork, thread and move storms against ATTACH, REPLACE
# and DETACH; ARCH_SET_CPUID loops against ATTACH and DETACH; a self-armed
# zombie present at load. Each storm runs twice: as is, and with the
# test build's race windows widened (module parameters test_windows and
# test_delay_us: a busy-wait between every decision and its write), which
# made these fail reliably before the writers were serialised.
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
R=$BIN/cvrace
CTL=${CPUIDCTL:-cpuidctl}
CG=/sys/fs/cgroup
P=/sys/module/cpuidvirt/parameters
SECS=${RACE_SECS:-8}
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG ||
	t_fail "cgroup2 is mounted at $CG" "mount -t cgroup2 failed"

cleanup()
{
	for d in race-b race-x; do
		[ -d $CG/$d ] || continue
		$CV detach $CG/$d >/dev/null 2>&1
		rmdir $CG/$d 2>/dev/null
	done
}

widen()	# WINDOWS DELAY_US
{
	echo "$1" >$P/test_windows && echo "$2" >$P/test_delay_us
}

self_armed()
{
	$CTL status 2>/dev/null | sed -n 's/.*self_armed \([0-9]*\).*/\1/p'
}

t_check "module loads" modprobe cpuidvirt
t_check "the test build has its race windows" test -w $P/test_windows
t_check "selftest verifies faulting" $CV selftest
cleanup
mkdir -p $CG/race-b $CG/race-x

# CV_WIN_SYNC = bit 0, CV_WIN_PRCTL = bit 1 (module/testhooks.h).
t_exit "exec/fork/thread/move storm vs ATTACH/REPLACE/DETACH" 0 $R storm $CG/race-b $CG/race-x "$SECS"
printf '%s\n' "$T_OUT" | sed 's/^/    # /'
widen 1 1000
t_exit "same storm, decision-to-write windows widened to 1 ms" 0 $R storm $CG/race-b $CG/race-x "$SECS"
printf '%s\n' "$T_OUT" | sed 's/^/    # /'
widen 0 0
t_exit "ARCH_SET_CPUID(1) escapes and ARCH_SET_CPUID(0) self-arming vs ATTACH/DETACH" 0 \
	$R prctl $CG/race-b $CG/race-x "$SECS"
printf '%s\n' "$T_OUT" | sed 's/^/    # /'
widen 3 1000
t_exit "same ARCH_SET_CPUID loops, windows widened to 1 ms" 0 $R prctl $CG/race-b $CG/race-x "$SECS"
printf '%s\n' "$T_OUT" | sed 's/^/    # /'
widen 0 0
cleanup

# A self-armed zombie present at modprobe must not be tracked (its entry,
# keyed by the task pointer, would outlive it and mark an unrelated task
# that reuses the address as self-armed: SIGSEGV on its first CPUID).
t_check "module unloads for the zombie test" rmmod cpuidvirt
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
echo reap >$fifo
wait $zpid
t_eq "zombie reaped" 0 "$?"
t_eq "self-armed count back to 0 after the reap" 0 "$(self_armed)"
foreign0=$($CV status | sed -n 's/.* foreign=\([0-9]*\).*/\1/p')
t_exit "3000 fork-only children run CPUID, none is killed" 0 $R forks 3000
t_eq "no CPUID fault was left to the kernel" "$foreign0" \
	"$($CV status | sed -n 's/.* foreign=\([0-9]*\).*/\1/p')"

# A live self-armed task present at modprobe is tracked, and forgotten
# when it exits.
rmmod cpuidvirt
$CV wait 1 $fifo 6 0 >/tmp/race-live.out 2>&1 &
wpid=$!
i=0
while ! grep -q '^set0=' /tmp/race-live.out && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
t_check "module loads with a self-armed task present" modprobe cpuidvirt
t_eq "the live self-armed task is tracked" 1 "$(self_armed)"
echo quit >$fifo
wait $wpid
t_eq "self-armed count back to 0 after it exits" 0 "$(self_armed)"
rm -f $fifo

t_check "module unloads" rmmod cpuidvirt
t_done
