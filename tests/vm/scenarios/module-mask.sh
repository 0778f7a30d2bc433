#!/bin/sh
# modes: working amd-native
# kernels: 6.1 6.12
# flavours: generic rt cloud
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

hex() { printf '%08x' "$(($1))"; }

cleanup()
{
	t_cgroups_remove $CG/m/child/gc $CG/m/child $CG/m $CG/s $CG/c $CG/c2 $CG/c3 $CG/c4 $CG/x $CG/dyn
}

t_check "module loads" modprobe cpuidvirt
t_check "selftest verifies faulting" $CV selftest
cleanup
mkdir -p $CG/m $CG/s $CG/c $CG/c2 $CG/c3 $CG/c4 $CG/x $CG/dyn

native6=$(t_reg ecx $Q 6 0)
native7=$(t_reg ebx $Q 7 0)
masked7=$(hex "0x$native7 & ~0x20")

t_check "ATTACH profile 'pa' to m" $CV attach --name pa $CG/m 6/0/ecx/0/0xa1 7/0/ebx/0xffffffdf/0

# --- exec, static, 32-bit, outside --------------------------------------
t_eq "dynamic program in m sees the marker" 000000a1 "$(t_reg ecx in_cg $CG/m $Q 6 0)"
t_eq "static program in m sees the marker" 000000a1 "$(t_reg ecx in_cg $CG/m $Q.static 6 0)"
t_eq "AVX2 (7.0.EBX bit 5) is masked, other bits kept" "$masked7" "$(t_reg ebx in_cg $CG/m $Q 7 0)"
t_eq "a leaf without a rule is native" "$(t_reg ebx $Q 0 0)" "$(t_reg ebx in_cg $CG/m $Q 0 0)"
if [ -x $Q.m32 ]; then
	t_eq "32-bit static program in m sees the marker" 000000a1 "$(t_reg ecx in_cg $CG/m $Q.m32 6 0)"
	t_eq "32-bit program outside is native" "$native6" "$(t_reg ecx $Q.m32 6 0)"
else
	t_fail "32-bit static program $Q.m32 exists" "guest-bins built no 32-bit programs (gcc -m32)"
fi
t_eq "a program outside is native" "$native6" "$(t_reg ecx $Q 6 0)"

# --- prefixed CPUID is decoded; other #GP faults still kill ---------------
out=$(in_cg $CG/m $CV prefixes)
for enc in plain 66 f3 2e-3e-26-64-65-36 67-f2 rex.w 66-rex rex-66 15-bytes; do
	t_eq "prefixed CPUID ($enc) is emulated" 000000a1 "$(echo "$out" | sed -n "s/^$enc ecx=//p")"
done
t_match "a masked task's HLT (#GP, not CPUID) still gets SIGSEGV" "^hlt sigsegv\$" "$out"
# 16 bytes: the CPU's #GP is for the length; the decoder must not look
# past 15 bytes and call it a CPUID.
t_match "outside: a 16-byte CPUID is #GP (SIGSEGV) on this CPU" "^16-bytes sigsegv\$" "$($CV prefixes)"
t_match "masked: a 16-byte CPUID still gets SIGSEGV" "^16-bytes sigsegv\$" "$out"

# --- registers are zero-extended, as by CPUID in 64-bit mode ---------------
zext='^rax=00000000[0-9a-f]{8} rbx=00000000[0-9a-f]{8} rcx=00000000[0-9a-f]{8} rdx=00000000[0-9a-f]{8}$'
t_match "outside: CPUID zero-extends RAX..RDX" "$zext" "$($CV zext)"
out=$(in_cg $CG/m $CV zext)
t_match "masked: the emulation zero-extends RAX..RDX" "$zext" "$out"
t_match "masked: and it was emulated" "rcx=00000000000000a1 " "$out"

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
t_eq "forked child (no exec) of a masked process" 000000a1 "$(t_reg ecx in_cg $CG/m $CV fork 6 0)"
th=$(in_cg $CG/m $CV threads 8 6 0 | sed -n 's/.*ecx=\([0-9a-f]*\).*/\1/p')
t_eq "8 new threads reported" 8 "$(printf '%s\n' "$th" | grep -c .)"
t_eq "8 new threads all masked" 000000a1 "$(printf '%s\n' "$th" | sort -u)"
t_eq "CLONE_INTO_CGROUP child from outside is masked" 000000a1 "$(t_reg ecx $CV clone-into $CG/m 6 0)"

# --- moves ---------------------------------------------------------------
out=$($CV move-self $CG/m 6 0)
t_eq "move in: before is native" "$native6" "$(echo "$out" | t_reg ecx grep before)"
t_eq "move in: after is masked (same process, no exec)" 000000a1 "$(echo "$out" | t_reg ecx grep after)"
out=$($CV move-self --thread $CG/m 6 0)
t_eq "move in: another thread of the moved process is masked" 000000a1 "$(echo "$out" | t_reg ecx grep after)"
out=$(in_cg $CG/m $CV move-self $CG 6 0)
t_eq "move out: before is masked" 000000a1 "$(echo "$out" | t_reg ecx grep before)"
t_eq "move out: after is native" "$native6" "$(echo "$out" | t_reg ecx grep after)"
out=$(in_cg $CG/m $CV move-self --thread $CG 6 0)
t_eq "move out: another thread is native" "$native6" "$(echo "$out" | t_reg ecx grep after)"

# --- nearest profiled ancestor wins ---------------------------------------
mkdir -p $CG/m/child/gc
t_check "ATTACH 'pb' to m/child" $CV attach --name pb $CG/m/child 6/0/ecx/0/0xa2
t_eq "m/child gets its own profile" 000000a2 "$(t_reg ecx in_cg $CG/m/child $Q 6 0)"
t_eq "m/child/gc gets the nearest (m/child)" 000000a2 "$(t_reg ecx in_cg $CG/m/child/gc $Q 6 0)"
t_eq "m keeps its profile" 000000a1 "$(t_reg ecx in_cg $CG/m $Q 6 0)"
t_eq "m/child has no AVX2 rule: its 7.0.EBX is native" "$native7" "$(t_reg ebx in_cg $CG/m/child $Q 7 0)"
t_check "DETACH m/child" $CV detach $CG/m/child
t_eq "m/child/gc falls back to m" 000000a1 "$(t_reg ecx in_cg $CG/m/child/gc $Q 6 0)"

# --- REPLACE, LIST, counters, QUERY ----------------------------------------
t_exit "ATTACH without REPLACE on an attached cgroup" 1 $CV attach $CG/m 6/0/ecx/0/0xa3
t_match "errno EEXIST" EEXIST "$T_OUT"
t_check "ATTACH --replace with 'pc'" $CV attach --replace --name pc $CG/m 6/0/ecx/0/0xa3
t_eq "replaced rules apply" 000000a3 "$(t_reg ecx in_cg $CG/m $Q 6 0)"
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
t_eq "a new program in m is native after DETACH" "$native6" "$(t_reg ecx in_cg $CG/m $Q 6 0)"

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

# --- an exact (leaf, subleaf) rule beats ANY_SUBLEAF -----------------------
# Exact rules on both sides of the ANY rule (subleaves 0 and 5), so that
# neither "first match wins" nor "last match wins" passes.
t_check "ATTACH exact 0xd/0, 0xd/5 and ANY 0xd/*" $CV attach $CG/x \
	0xd/0/edx/0/0xe0 0xd/'*'/edx/0/0xea 0xd/5/edx/0/0xe5
t_eq "0xd subleaf 0: its exact rule" 000000e0 "$(t_reg edx in_cg $CG/x $Q 0xd 0)"
t_eq "0xd subleaf 5: its exact rule" 000000e5 "$(t_reg edx in_cg $CG/x $Q 0xd 5)"
t_eq "0xd subleaf 1: the ANY rule" 000000ea "$(t_reg edx in_cg $CG/x $Q 0xd 1)"
t_eq "0xd subleaf 6: the ANY rule" 000000ea "$(t_reg edx in_cg $CG/x $Q 0xd 6)"
t_check "DETACH x" $CV detach $CG/x

# --- dynamic fields stay live under rules of their leaves --------------------
# Rules on leaves 1, 0xb and 0xd that change other bits; APIC IDs (1.EBX
# bits 31-24, 0xb.EDX) per CPU, OSXSAVE (1.ECX bit 27, from CR4) and the
# XSAVE sizes (0xd.0 EBX/ECX, 0xd.1 EBX, from XCR0/XSS) must be the CPU's.
# The static cpuidq: a dynamic one's ld.so would itself run on the values
# under test (a wrong XSAVE size breaks its lazy binding).
QS=$Q.static
t_check "ATTACH rules on leaves 1, 0xb, 0xd" $CV attach $CG/dyn \
	1/0/ecx/0xefffffff/0 0xb/'*'/eax/0xffffffff/0 0xd/0/eax/0xfffffffb/0 0xd/1/eax/0xffffffff/0
ids=
for cpu in $(seq 0 $(($(nproc) - 1))); do
	n1=$(taskset -c $cpu $QS 1 0)
	nb=$(taskset -c $cpu $QS 0xb 0)
	t_eq "CPU $cpu: leaf 1 EBX (APIC ID) as native" "$(echo "$n1" | sed -n 's/.*ebx=\([0-9a-f]*\).*/\1/p')" \
		"$(t_reg ebx in_cg $CG/dyn taskset -c $cpu $QS 1 0)"
	t_eq "CPU $cpu: leaf 0xb EDX (x2APIC ID) as native" "$(echo "$nb" | sed -n 's/.*edx=\([0-9a-f]*\).*/\1/p')" \
		"$(t_reg edx in_cg $CG/dyn taskset -c $cpu $QS 0xb 0)"
	ids="$ids $(echo "$nb" | sed -n 's/.*edx=\([0-9a-f]*\).*/\1/p')"
done
t_eq "the CPUs have distinct APIC IDs ($ids), so a stale one shows" "$(nproc)" \
	"$(printf '%s\n' $ids | sort -u | grep -c .)"
n1c=$(t_reg ecx $QS 1 0)
d1c=$(t_reg ecx in_cg $CG/dyn $QS 1 0)
t_eq "native OSXSAVE (1.ECX bit 27) is set" 1 $(( (0x$n1c >> 27) & 1 ))
t_eq "masked: OSXSAVE as native" 1 $(( (0x${d1c:-0} >> 27) & 1 ))
t_eq "masked: the leaf 1 rule applied (AVX, bit 28, clear)" 0 $(( (0x${d1c:-10000000} >> 28) & 1 ))
for sub in 0 1; do
	for r in ebx ecx; do
		t_eq "masked: 0xd.$sub $r (XSAVE size) as native" "$(t_reg $r $QS 0xd $sub)" "$(t_reg $r in_cg $CG/dyn $QS 0xd $sub)"
	done
done
t_eq "masked: the 0xd.0 rule applied (EAX bit 2 clear)" \
	"$(hex "0x$(t_reg eax $QS 0xd 0) & ~4")" "$(t_reg eax in_cg $CG/dyn $QS 0xd 0)"
t_check "DETACH dyn" $CV detach $CG/dyn

# --- leaf clamps --------------------------------------------------------------
t_check "ATTACH with clamps (basic 7, extended 0x80000004)" \
	$CV attach --clamp-basic 7 --clamp-ext 0x80000004 $CG/c
t_eq "CPUID(0).EAX is the basic clamp" 00000007 "$(t_reg eax in_cg $CG/c $Q 0)"
t_eq "CPUID(0x80000000).EAX is the extended clamp" 80000004 "$(t_reg eax in_cg $CG/c $Q 0x80000000)"
# The expected answer is the native leaf 7, read outside any profile.
l7=$($Q 7 0)
t_match "native leaf 7 read" "^eax=[0-9a-f]{8} ebx=$native7 " "$l7"
t_eq "leaf 7 itself (the clamp) is native" "$l7" "$(in_cg $CG/c $Q 7 0)"
t_eq "a basic leaf above the clamp answers as the highest basic leaf" "$l7" "$(in_cg $CG/c $Q 0xd 0)"
t_eq "an extended leaf above the clamp answers as the highest basic leaf" "$l7" "$(in_cg $CG/c $Q 0x80000008 0)"
t_eq "leaves below the clamps are native" "$($Q 0x80000002 0)" "$(in_cg $CG/c $Q 0x80000002 0)"
t_match "LIST shows the clamps" "rules=0 flags=6 basic=0x7 ext=0x80000004" "$($CV list)"
t_eq "the hypervisor range is not clamped" "$($Q 0x40000000 0)" "$(in_cg $CG/c $Q 0x40000000 0)"
t_check "DETACH c" $CV detach $CG/c

# The rules of the leaf that answers apply; the hypervisor leaf answers
# as itself (its own rule), even with both clamps.
t_check "ATTACH clamps with rules on leaves 7, 0xd, 0x40000000" \
	$CV attach --clamp-basic 7 --clamp-ext 0x80000004 $CG/c2 \
	7/0/ebx/0/0xe7 0xd/0/ebx/0/0xed 0x40000000/0/ebx/0/0xe4
t_eq "leaf 0xd above the clamp gets leaf 7's rule" 000000e7 "$(t_reg ebx in_cg $CG/c2 $Q 0xd 0)"
t_eq "leaf 0x80000008 above the clamp gets leaf 7's rule" 000000e7 "$(t_reg ebx in_cg $CG/c2 $Q 0x80000008 0)"
t_eq "leaf 0x40000000 keeps its own rule" 000000e4 "$(t_reg ebx in_cg $CG/c2 $Q 0x40000000 0)"
t_check "DETACH c2" $CV detach $CG/c2

# max_*_leaf without its flag is ignored.
t_check "ATTACH max_basic_leaf=2 and max_ext_leaf=0x80000001 without the flags" \
	$CV attach --max-basic 2 --max-ext 0x80000001 $CG/c3 6/0/ecx/0/0xa3
t_eq "CPUID(0) is native" "$($Q 0 0)" "$(in_cg $CG/c3 $Q 0 0)"
t_eq "CPUID(0x80000000) is native" "$($Q 0x80000000 0)" "$(in_cg $CG/c3 $Q 0x80000000 0)"
t_eq "leaf 7 is native" "$($Q 7 0)" "$(in_cg $CG/c3 $Q 7 0)"
t_eq "leaf 0x80000008 is native" "$($Q 0x80000008 0)" "$(in_cg $CG/c3 $Q 0x80000008 0)"
t_eq "and the profile is in force" 000000a3 "$(t_reg ecx in_cg $CG/c3 $Q 6 0)"
t_match "LIST: no clamp flags" "rules=1 flags=0 " "$($CV list)"
t_check "DETACH c3" $CV detach $CG/c3

# A clamp above the native maximum changes nothing.
t_check "ATTACH clamps above native (0x3fffffff, 0x8fffffff)" \
	$CV attach --clamp-basic 0x3fffffff --clamp-ext 0x8fffffff $CG/c4
t_eq "CPUID(0) is native" "$($Q 0 0)" "$(in_cg $CG/c4 $Q 0 0)"
t_eq "CPUID(0x80000000) is native" "$($Q 0x80000000 0)" "$(in_cg $CG/c4 $Q 0x80000000 0)"
t_eq "leaf 0xd is native" "$($Q 0xd 0)" "$(in_cg $CG/c4 $Q 0xd 0)"
t_eq "leaf 0x80000008 is native" "$($Q 0x80000008 0)" "$(in_cg $CG/c4 $Q 0x80000008 0)"
t_check "DETACH c4" $CV detach $CG/c4

cleanup
t_match "no profile left" "^total=0\$" "$($CV list)"
t_check "rmmod after everything is detached" rmmod cpuidvirt
t_done
