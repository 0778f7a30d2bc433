#!/bin/sh
# modes: working
# kernels: 6.1 6.12
# What masked programs see, straight through the module's ioctls (cvctl):
# dynamic, static and 32-bit programs, glibc's ld.so, fork, threads, exec,
# CLONE_INTO_CGROUP, moves in and out of a profiled cgroup (whole process
# and a thread), detach unmasking a running process, REPLACE, nearest
# profiled ancestor, leaf clamps, counters, QUERY, and a thread spinning on
# another CPU being masked when ATTACH returns.
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
Q=$BIN/cpuidq
CG=/sys/fs/cgroup
LDSO=/lib64/ld-linux-x86-64.so.2
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG || t_skip_all "cannot mount cgroup2"

# reg REG CMD...: one register (hex, 8 digits) from a "eax=... ebx=..." line.
reg()
{
	_r=$1
	shift
	"$@" | sed -n "s/.*$_r=\([0-9a-f]*\).*/\1/p" | head -n1
}

# in_cg DIR CMD...: run CMD as a member of cgroup DIR (fork + move + exec).
in_cg()
{
	_cg=$1
	shift
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$_cg" "$@"
}

hex() { printf '%08x' "$(($1))"; }

cleanup()
{
	for d in m/child/gc m/child m s c; do
		[ -d $CG/$d ] || continue
		$CV detach $CG/$d >/dev/null 2>&1
		rmdir $CG/$d 2>/dev/null
	done
}

t_check "module loads" modprobe cpuidvirt
t_check "selftest verifies faulting" $CV selftest
cleanup
mkdir -p $CG/m $CG/s $CG/c

native6=$(reg ecx $Q 6 0)
native7=$(reg ebx $Q 7 0)
masked7=$(hex "0x$native7 & ~0x20")

t_check "ATTACH profile 'pa' to m" $CV attach --name pa $CG/m 6/0/ecx/0/0xa1 7/0/ebx/0xffffffdf/0

# --- exec, static, 32-bit, outside --------------------------------------
t_eq "dynamic program in m sees the marker" 000000a1 "$(reg ecx in_cg $CG/m $Q 6 0)"
t_eq "static program in m sees the marker" 000000a1 "$(reg ecx in_cg $CG/m $Q.static 6 0)"
t_eq "AVX2 (7.0.EBX bit 5) is masked, other bits kept" "$masked7" "$(reg ebx in_cg $CG/m $Q 7 0)"
t_eq "a leaf without a rule is native" "$(reg ebx $Q 0 0)" "$(reg ebx in_cg $CG/m $Q 0 0)"
if [ -x $Q.m32 ]; then
	t_eq "32-bit static program in m sees the marker" 000000a1 "$(reg ecx in_cg $CG/m $Q.m32 6 0)"
	t_eq "32-bit program outside is native" "$native6" "$(reg ecx $Q.m32 6 0)"
else
	t_fail "32-bit static program $Q.m32 exists" "guest-bins built no 32-bit programs (gcc -m32)"
fi
t_eq "a program outside is native" "$native6" "$(reg ecx $Q 6 0)"

# --- prefixed CPUID is decoded; other #GP faults still kill ---------------
out=$(in_cg $CG/m $CV prefixes)
for enc in plain 66 f3 2e-3e-26-64-65-36 67-f2 rex.w 66-rex rex-66; do
	t_eq "prefixed CPUID ($enc) is emulated" 000000a1 "$(echo "$out" | sed -n "s/^$enc ecx=//p")"
done
t_match "a masked task's HLT (#GP, not CPUID) still gets SIGSEGV" "^hlt sigsegv\$" "$out"

# --- glibc's ld.so (CPUID before main, right after exec) ------------------
if [ $(( 0x$native7 & 0x20 )) -ne 0 ]; then
	out=$($LDSO --list-diagnostics)
	in=$(in_cg $CG/m $LDSO --list-diagnostics)
	# glibc 2.36: features[0x1] is leaf 7 subleaf 0, cpuid[0x1] its EBX.
	key='x86\.cpu_features\.features\[0x1\]'
	t_eq "ld.so outside sees native 7.0.EBX" "$((0x$native7))" \
		"$(( $(echo "$out" | sed -n "s/^$key.cpuid\[0x1\]=//p") ))"
	t_eq "ld.so in m sees masked 7.0.EBX" "$((0x$masked7))" \
		"$(( $(echo "$in" | sed -n "s/^$key.cpuid\[0x1\]=//p") ))"
	a=$(echo "$out" | sed -n "s/^$key.active\[0x1\]=//p")
	t_eq "ld.so outside: AVX2 is usable" 32 $(( ${a:-0} & 0x20 ))
	a=$(echo "$in" | sed -n "s/^$key.active\[0x1\]=//p")
	t_check "ld.so in m reports active 7.0.EBX ($a)" test -n "$a"
	t_eq "ld.so in m: AVX2 is not usable" 0 $(( ${a:-0} & 0x20 ))
else
	echo "# this CPU has no AVX2: ld.so check not run"
	t_fail "the guest CPU has AVX2 (needed for the ld.so check)"
fi

# --- fork, threads, CLONE_INTO_CGROUP -------------------------------------
t_eq "forked child (no exec) of a masked process" 000000a1 "$(reg ecx in_cg $CG/m $CV fork 6 0)"
th=$(in_cg $CG/m $CV threads 8 6 0 | sed -n 's/.*ecx=\([0-9a-f]*\).*/\1/p' | sort -u)
t_eq "8 new threads all masked" 000000a1 "$th"
t_eq "CLONE_INTO_CGROUP child from outside is masked" 000000a1 "$(reg ecx $CV clone-into $CG/m 6 0)"

# --- moves ---------------------------------------------------------------
out=$($CV move-self $CG/m 6 0)
t_eq "move in: before is native" "$native6" "$(echo "$out" | reg ecx grep before)"
t_eq "move in: after is masked (same process, no exec)" 000000a1 "$(echo "$out" | reg ecx grep after)"
out=$($CV move-self --thread $CG/m 6 0)
t_eq "move in: another thread of the moved process is masked" 000000a1 "$(echo "$out" | reg ecx grep after)"
out=$(in_cg $CG/m $CV move-self $CG 6 0)
t_eq "move out: before is masked" 000000a1 "$(echo "$out" | reg ecx grep before)"
t_eq "move out: after is native" "$native6" "$(echo "$out" | reg ecx grep after)"
out=$(in_cg $CG/m $CV move-self --thread $CG 6 0)
t_eq "move out: another thread is native" "$native6" "$(echo "$out" | reg ecx grep after)"

# --- nearest profiled ancestor wins ---------------------------------------
mkdir -p $CG/m/child/gc
t_check "ATTACH 'pb' to m/child" $CV attach --name pb $CG/m/child 6/0/ecx/0/0xa2
t_eq "m/child gets its own profile" 000000a2 "$(reg ecx in_cg $CG/m/child $Q 6 0)"
t_eq "m/child/gc gets the nearest (m/child)" 000000a2 "$(reg ecx in_cg $CG/m/child/gc $Q 6 0)"
t_eq "m keeps its profile" 000000a1 "$(reg ecx in_cg $CG/m $Q 6 0)"
t_eq "m/child has no AVX2 rule: its 7.0.EBX is native" "$native7" "$(reg ebx in_cg $CG/m/child $Q 7 0)"
t_check "DETACH m/child" $CV detach $CG/m/child
t_eq "m/child/gc falls back to m" 000000a1 "$(reg ecx in_cg $CG/m/child/gc $Q 6 0)"

# --- REPLACE, LIST, counters, QUERY ----------------------------------------
t_exit "ATTACH without REPLACE on an attached cgroup" 1 $CV attach $CG/m 6/0/ecx/0/0xa3
t_match "errno EEXIST" EEXIST "$T_OUT"
t_check "ATTACH --replace with 'pc'" $CV attach --replace --name pc $CG/m 6/0/ecx/0/0xa3
t_eq "replaced rules apply" 000000a3 "$(reg ecx in_cg $CG/m $Q 6 0)"
id=$($CV cgid $CG/m)
l=$($CV list)
t_match "LIST shows m with the new name and 1 rule" "^id=$id name=pc rules=1 " "$l"
n=$(echo "$l" | sed -n "s/^id=$id .* emulated=\([0-9]*\) emulated_ns=\([0-9]*\)/\1 \2/p")
set -- $n
t_check "LIST counters survived REPLACE and count emulations ($1)" test "${1:-0}" -gt 10
t_check "LIST counts time spent emulating ($2 ns)" test "${2:-0}" -gt 0
t_match "STATUS counts emulations" "emulated=[1-9][0-9]* emulated_ns=[1-9]" "$($CV status)"

mkfifo /tmp/mm.fifo
# Not through in_cg: $! must be the process that becomes cvctl.
sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' $CG/m $CV wait-cpuid /tmp/mm.fifo 6 0 >/tmp/mm.out 2>&1 &
pid=$!
sleep 1
t_match "QUERY a masked pid" "^cgroup_id=$id armed=1 name=pc\$" "$($CV query $pid)"
t_match "QUERY an unmasked pid" "^cgroup_id=0 armed=0 name=\$" "$($CV query $$)"
echo go >/tmp/mm.fifo
sleep 1
t_eq "running process in m is masked" 000000a3 "$(tail -n1 /tmp/mm.out | sed -n 's/.*ecx=\([0-9a-f]*\).*/\1/p')"

# --- detach unmasks running processes ---------------------------------------
t_check "DETACH m" $CV detach $CG/m
t_match "QUERY after DETACH: not armed" "^cgroup_id=0 armed=0" "$($CV query $pid)"
echo go >/tmp/mm.fifo
sleep 1
t_eq "the running process is native after DETACH" "$native6" "$(tail -n1 /tmp/mm.out | sed -n 's/.*ecx=\([0-9a-f]*\).*/\1/p')"
echo quit >/tmp/mm.fifo
wait $pid
rm -f /tmp/mm.fifo /tmp/mm.out
t_eq "a new program in m is native after DETACH" "$native6" "$(reg ecx in_cg $CG/m $Q 6 0)"

# --- a thread spinning on another CPU is masked when ATTACH returns ---------
out=$(in_cg $CG/s $CV spin-attach $CG/s)
t_match "spinner started unmasked" "^before=[0-9a-f]{8} " "$out"
t_check "spinner was not masked before ATTACH" sh -c "! echo '$out' | grep -q 'before=000a5a5a'"
t_match "spinner's first CPUIDs after ATTACH are masked" "after=000a5a5a\$" "$out"
t_check "DETACH s" $CV detach $CG/s

# --- moving a spinning process out: stale CPUs answer, never SIGSEGV ------
t_check "ATTACH to s again" $CV attach $CG/s 6/0/ecx/0/0xa7
stale0=$($CV status | sed -n 's/.* stale=\([0-9]*\).*/\1/p')
t_exit "a process spinning on CPUID on CPU 1 survives its move out" 0 in_cg $CG/s $CV spin-move $CG
t_match "spinner: masked before the move, native after" "^before=000000a7 after=$native6\$" "$T_OUT"
echo "# CPUIDs answered natively on a stale CPU during the move: $(( $($CV status | sed -n 's/.* stale=\([0-9]*\).*/\1/p') - stale0 ))"
t_check "DETACH s" $CV detach $CG/s

# --- leaf clamps --------------------------------------------------------------
t_check "ATTACH with clamps (basic 7, extended 0x80000004)" \
	$CV attach --clamp-basic 7 --clamp-ext 0x80000004 $CG/c
t_eq "CPUID(0).EAX is the basic clamp" 00000007 "$(reg eax in_cg $CG/c $Q 0)"
t_eq "CPUID(0x80000000).EAX is the extended clamp" 80000004 "$(reg eax in_cg $CG/c $Q 0x80000000)"
l7=$(in_cg $CG/c $Q 7 0)
t_eq "a basic leaf above the clamp answers as the highest basic leaf" "$l7" "$(in_cg $CG/c $Q 0xd 0)"
t_eq "an extended leaf above the clamp answers as the highest basic leaf" "$l7" "$(in_cg $CG/c $Q 0x80000008 0)"
t_eq "leaves below the clamps are native" "$($Q 0x80000002 0)" "$(in_cg $CG/c $Q 0x80000002 0)"
t_match "LIST shows the clamps" "rules=0 flags=6 basic=0x7 ext=0x80000004" "$($CV list)"
t_check "DETACH c" $CV detach $CG/c

cleanup
t_match "no profile left" "^total=0\$" "$($CV list)"
t_check "rmmod after everything is detached" rmmod cpuidvirt
t_done
