#!/bin/sh
# modes: working amd-native
# kernels: 6.1 6.12
# ioctl fuzzing (tests/guest/cvfuzz.c): 20,000 calls over every command,
# struct size, flag bit, bad pointer and fd (including a cgroup v1
# directory); only the errnos the uapi header documents may come back.
# Afterwards the kernel log has no new message from the module and no
# splat, the state is still VERIFIED, no profile is left, a profile still
# masks, and the module unloads (no leaked reference). Every documented
# errno is also produced once on purpose, with its exact value checked. The seed is printed; replay a failure with
#   cvfuzz --seed SEED CGDIR V1DIR
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
Q=$BIN/cpuidq
CG=/sys/fs/cgroup
CALLS=20000
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG || t_skip_all "cannot mount cgroup2"

t_check "module loads" modprobe cpuidvirt
t_check "selftest verifies faulting" $CV selftest
mkdir -p $CG/fz /mnt/v1
t_check "mount a cgroup v1 hierarchy" mount -t cgroup -o none,name=cvtest none /mnt/v1
mkdir -p /mnt/v1/fz
native6=$($Q 6 0 | sed -n 's/.*ecx=\([0-9a-f]*\).*/\1/p')

nlog=$(dmesg | wc -l)
t_exit "fuzzer: only documented errnos" 0 $BIN/cvfuzz --calls $CALLS $CG/fz /mnt/v1/fz
out=$T_OUT
seed=$(printf '%s\n' "$out" | sed -n 's/^seed=//p')
echo "# cvfuzz seed=$seed"
printf '%s\n' "$out" | grep -E '^(BAD|cmd|errno) ' | head -n 40 | sed 's/^/    # /'
calls=$(printf '%s\n' "$out" | sed -n 's/^calls=\([0-9]*\) .*/\1/p')
t_check "fuzzer made at least $CALLS calls (${calls:-none})" test "${calls:-0}" -ge $CALLS
for c in VERSION STATUS ATTACH DETACH LIST QUERY SELFTEST REFRESH unknown; do
	n=$(printf '%s\n' "$out" | sed -n "s/^cmd $c calls=//p")
	t_check "fuzzer: $c called (${n:-0} times)" test "${n:-0}" -ge 500
done
# Each documented errno and success was seen, so the calls got past the
# first checks (not every call an EINVAL).
for e in OK EINVAL E2BIG EFAULT EBADF EEXIST ENOTUNIQ ERANGE ENOENT ESRCH ENOTTY; do
	t_match "fuzzer: $e came back" "^errno $e: [0-9]+\$" "$out"
done
# The module's own messages and any kernel splat (init.sh's list); TCG's
# timing notes (hrtimer, clocksource watchdog) under host load are not.
splat='cpuidvirt|cut here \]|WARNING:|\] BUG: |kernel BUG at|Oops|general protection fault|inconsistent lock state|blocked for more than|sleeping function called from invalid context|scheduling while atomic|soft lockup|UBSAN:|KASAN:|kfence|detected stalls on CPUs|segfault|traps:'
new=$(dmesg | tail -n +$((nlog + 1)))
[ -z "$new" ] || printf '%s\n' "$new" | head -n 10 | sed 's/^/    # new kernel message: /'
t_eq "kernel log: no message from cpuidvirt and no splat during the fuzz" "" \
	"$(printf '%s\n' "$new" | grep -E "$splat")"

t_match "STATUS still VERIFIED" "^state=4 " "$($CV status)"
t_match "no profile left by the fuzzer" "^total=0\$" "$($CV list)"
t_check "ATTACH after the fuzz" $CV attach $CG/fz 6/0/ecx/0/0xd1
t_eq "a program in the cgroup is masked" 000000d1 \
	"$(sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' $CG/fz $Q 6 0 | sed -n 's/.*ecx=\([0-9a-f]*\).*/\1/p')"
t_eq "a program outside is native" "$native6" "$($Q 6 0 | sed -n 's/.*ecx=\([0-9a-f]*\).*/\1/p')"
t_check "DETACH" $CV detach $CG/fz
rmdir $CG/fz/f* $CG/fz /mnt/v1/fz
umount /mnt/v1
t_check "rmmod (no reference leaked)" rmmod cpuidvirt
t_done
