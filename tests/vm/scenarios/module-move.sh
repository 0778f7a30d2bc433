#!/bin/sh
# modes: working amd-native
# kernels: 6.1 6.12
# Moves are synchronous: when a write to cgroup.procs returns, the moved
# process is masked on every CPU. A process spins on CPUID(6) on CPU 1 with
# no system call (never switched out); cvctl on CPU 0 moves it from an
# unprofiled into a profiled cgroup and back, and right after each write
# returns tells it through shared memory to report its next CPUID.
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
Q=$BIN/cpuidq
CG=/sys/fs/cgroup
ROUNDS=$(t_rounds 200)
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG || t_skip_all "cannot mount cgroup2"
[ "$(nproc)" -ge 2 ] || t_skip_all "needs two CPUs"

cleanup()
{
	t_cgroups_remove $CG/mv-in $CG/mv-out $CG/td/in $CG/td/out $CG/td
}

t_check "module loads" modprobe cpuidvirt
t_check "selftest verifies faulting" $CV selftest
cleanup
mkdir -p $CG/mv-in $CG/mv-out
native6=$($Q 6 0 | sed -n 's/.*ecx=\([0-9a-f]*\).*/\1/p')
t_check "ATTACH to mv-in" $CV attach $CG/mv-in 6/0/ecx/0/0xa9

t_exit "spinner moved in and out $ROUNDS times" 0 $CV spin-move-in $CG/mv-out $CG/mv-in $ROUNDS
out=$T_OUT
t_eq "$ROUNDS rounds reported" "$ROUNDS" "$(printf '%s\n' "$out" | grep -c '^round=')"
bad_out=$(printf '%s\n' "$out" | grep '^round=' | grep -vc " out=$native6 ")
bad_in=$(printf '%s\n' "$out" | grep '^round=' | grep -vc ' in=000000a9$')
t_eq "moved out: first CPUID after the write is native, every round" 0 "$bad_out"
t_eq "moved in: first CPUID after the write is masked, every round" 0 "$bad_in"
[ "$bad_in" = 0 ] || printf '%s\n' "$out" | grep -v ' in=000000a9$' | head -n 5 | sed 's/^/    # /'

# The same for one thread moved through cgroup.threads inside a threaded
# subtree (td: domain; td/in, td/out: threaded; td/in profiled). The
# main thread, never moved, stays native.
mkdir -p $CG/td/in $CG/td/out
t_check "td/in is threaded" sh -c "echo threaded > $CG/td/in/cgroup.type"
t_check "td/out is threaded" sh -c "echo threaded > $CG/td/out/cgroup.type"
t_check "ATTACH to td/in" $CV attach $CG/td/in 6/0/ecx/0/0xaa
TR=$((ROUNDS / 2))
t_exit "thread moved in and out $TR times through cgroup.threads" 0 \
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' $CG/td $CV spin-threads $CG/td/out $CG/td/in $TR
out=$T_OUT
t_eq "$TR rounds reported" "$TR" "$(printf '%s\n' "$out" | grep -c '^round=')"
t_eq "thread moved out: first CPUID after the write is native, every round" 0 \
	"$(printf '%s\n' "$out" | grep '^round=' | grep -vc " out=$native6 ")"
t_eq "thread moved in: first CPUID after the write is masked, every round" 0 \
	"$(printf '%s\n' "$out" | grep '^round=' | grep -vc ' in=000000aa ')"
t_eq "the main thread (not moved) stays native, every round" 0 \
	"$(printf '%s\n' "$out" | grep '^round=' | grep -vc " main=$native6\$")"
printf '%s\n' "$out" | grep '^round=' | grep -v " in=000000aa main=$native6\$" | head -n 5 | sed 's/^/    # /'

cleanup
t_check "module unloads" rmmod cpuidvirt
t_done
