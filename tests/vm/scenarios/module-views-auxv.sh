#!/bin/sh
# modes: working
# kernels: 6.1 6.12
# flavours: generic rt cloud
# Issue 14 item 2: a program exec'd in a profiled cgroup finds the
# profile, not the CPU, in the kernel's AT_HWCAP (CPUID 1 EDX) and
# AT_HWCAP2 (fsgsbase follows 7.0.EBX bit 0, ring3mwait MONITOR), on its
# initial stack and in /proc/PID/auxv; 64-bit, static and 32-bit
# programs, #! scripts, nested cgroups, moves (the words change only at
# the next exec), detach; and the control: with views=0 the same checks
# see the kernel's words. Not on the debug kernel (about 6 minutes of its
# critical-path boot; run there by hand once, 2026-12-03: clean).
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
A=$BIN/auxvq
CG=/sys/fs/cgroup
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG || t_skip_all "cannot mount cgroup2"

# field OUT LINE KEY: a value from auxvq's output ("stack hwcap=...").
field()
{
	printf '%s\n' "$1" | sed -n "s/^$2 .*$3=\([0-9a-fnoe]*\).*/\1/p"
}

hex() { printf '%08x' "$(($1))"; }

cleanup()
{
	rm -f /tmp/auxv-go /tmp/auxv-script
	t_cgroups_remove $CG/va/n2 $CG/va/n1 $CG/va
}

t_check "module loads" modprobe cpuidvirt
t_check "selftest verifies faulting" $CV selftest
t_eq "views are on by default" Y "$(cat /sys/module/cpuidvirt/parameters/views)"
cleanup
mkdir -p $CG/va/n1 $CG/va/n2

out=$($A)
nat=$(field "$out" stack hwcap)
nat2=$(field "$out" stack hwcap2)
t_eq "outside: AT_HWCAP on the stack is CPUID 1 EDX" "$(field "$out" cpuid 1.edx)" "$nat"
t_eq "outside: /proc/self/auxv agrees with the stack" "$nat $nat2" \
	"$(field "$out" proc hwcap) $(field "$out" proc hwcap2)"
# The profile clears MTRR (1.EDX bit 12) and CLFLUSH (bit 19), FSGSBASE
# (7.0.EBX bit 0) and MONITOR (1.ECX bit 3): the test means something
# only if the CPU has them.
t_eq "the CPU has MTRR and CLFLUSH (1.EDX bits 12, 19)" 1 $(((0x$nat >> 12 & 1) & (0x$nat >> 19 & 1)))
t_eq "the kernel gives HWCAP2_FSGSBASE" 2 $((0x$nat2 & 2))
want=$(hex "0x$nat & ~0x81000")
want2=$(hex "0x$nat2 & ~3")

t_check "ATTACH profile to va" $CV attach --name va $CG/va \
	1/0/edx/0xfff7efff/0 1/0/ecx/0xfffffff7/0 7/0/ebx/0xfffffffe/0

# check_in DESC OUT: the four words of a masked program, and its CPUID.
check_in()
{
	t_eq "$1: AT_HWCAP on the stack is the profile's 1 EDX" "$want" "$(field "$2" stack hwcap)"
	t_eq "$1: AT_HWCAP equals what its CPUID says" "$(field "$2" cpuid 1.edx)" "$(field "$2" stack hwcap)"
	t_eq "$1: AT_HWCAP2 on the stack lacks fsgsbase and ring3mwait" "$want2" "$(field "$2" stack hwcap2)"
	t_eq "$1: /proc/self/auxv shows the same words" "$want $want2" \
		"$(field "$2" proc hwcap) $(field "$2" proc hwcap2)"
}

check_in "dynamic" "$(in_cg $CG/va $A)"
check_in "static" "$(in_cg $CG/va $A.static)"
if [ -x $A.m32 ]; then
	check_in "32-bit" "$(in_cg $CG/va $A.m32)"
else
	t_fail "32-bit static program $A.m32 exists" "guest-bins built no 32-bit programs"
fi
printf '#!%s one two\n' "$A" >/tmp/auxv-script
chmod +x /tmp/auxv-script
out=$(in_cg $CG/va /tmp/auxv-script three)
t_eq "#! script: the interpreter got 4 arguments" "argc 4" "$(printf '%s\n' "$out" | grep '^argc')"
check_in "#! script" "$out"
check_in "exec from a shell inside" "$(in_cg $CG/va sh -c "exec $A")"
t_eq "outside: unchanged while the profile exists" "$nat $nat2" \
	"$(out=$($A); echo "$(field "$out" stack hwcap) $(field "$out" stack hwcap2)")"

# --- nested: the nearest profiled ancestor, as for CPUID -----------------
check_in "nested n1 (no profile of its own)" "$(in_cg $CG/va/n1 $A)"
t_check "ATTACH a profile to va/n2 that clears only MTRR" $CV attach --name n2 $CG/va/n2 1/0/edx/0xffffefff/0
out=$(in_cg $CG/va/n2 $A)
t_eq "nested n2: its own profile's AT_HWCAP" "$(hex "0x$nat & ~0x1000")" "$(field "$out" stack hwcap)"
t_eq "nested n2: its own profile's AT_HWCAP2 (fsgsbase kept)" "$nat2" "$(field "$out" stack hwcap2)"

# --- moves: CPUID changes at once, the auxv at the next exec -------------
mkfifo /tmp/auxv-go
sh -c 'read x </tmp/auxv-go; exec "$0"' $A >/tmp/auxv-out &
pid=$!
sleep 0.2
echo $pid >$CG/va/cgroup.procs
out=$($A --pid $pid)
t_eq "moved in after exec: /proc/PID/auxv keeps the kernel's words" "$nat $nat2" \
	"$(field "$out" proc hwcap) $(field "$out" proc hwcap2)"
echo go >/tmp/auxv-go
wait $pid
check_in "moved in, then exec" "$(cat /tmp/auxv-out)"
# Not through in_cg: $! must be the process that execs sleep.
sh -c 'echo $$ > "$0/cgroup.procs" && exec sleep 30' $CG/va &
pid=$!
sleep 0.2
echo $pid >$CG/cgroup.procs
out=$($A --pid $pid)
t_eq "moved out after exec: /proc/PID/auxv keeps the profile's words" "$want $want2" \
	"$(field "$out" proc hwcap) $(field "$out" proc hwcap2)"
kill $pid
wait $pid 2>/dev/null

# --- the control: views=0 leaves the kernel's words ----------------------
echo 0 >/sys/module/cpuidvirt/parameters/views
out=$(in_cg $CG/va $A)
t_eq "control (views=0): the program sees the kernel's AT_HWCAP, not the profile's" "$nat" "$(field "$out" stack hwcap)"
t_eq "control (views=0): its CPUID is still masked" "$want" "$(field "$out" cpuid 1.edx)"
echo 1 >/sys/module/cpuidvirt/parameters/views

t_check "DETACH va/n2" $CV detach $CG/va/n2
t_check "DETACH va" $CV detach $CG/va
out=$(in_cg $CG/va $A)
t_eq "after DETACH: the kernel's words again" "$nat $nat2 $nat" \
	"$(field "$out" stack hwcap) $(field "$out" stack hwcap2) $(field "$out" proc hwcap)"
t_eq "no auxv rewrite failed" 0 "$(cat /sys/module/cpuidvirt/parameters/auxv_errors)"
t_match "no module warning in the kernel log" '^$' "$(dmesg | grep 'cpuidvirt: .*auxiliary')"
cleanup
t_check "module unloads" rmmod cpuidvirt
t_done
