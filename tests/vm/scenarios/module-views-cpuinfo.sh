#!/bin/sh
# modes: working
# kernels: 6.1 6.12
# Issue 14 item 1: /proc/cpuinfo as a profiled task's CPUID presents it.
# Inside an x86-64-v2 cgroup no masked flag is listed and the flags line
# is the kernel's minus the flags whose CPUID bits the profile presents
# clear (computed here from this file's own name table, against the
# CPUID a program in the cgroup sees); lscpu agrees; family, model,
# stepping, model name and cpuid level follow a profile that overrides
# them; everything else is the kernel's; a reader outside gets the
# kernel's bytes; nested cgroups and moves (cpuinfo follows at once);
# concurrent reads while profiles come and go (no torn line); and the
# control: with views=0 the checks see the kernel's file.
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
Q=$BIN/cpuidq
CG=/sys/fs/cgroup
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG || t_skip_all "cannot mount cgroup2"

# The kernel's flag names of the CPUID words it copies as they are
# (arch/x86/include/asm/cpufeatures.h), written out here by hand, apart
# from the module's table (which is generated from that header).
# NAME LEAF SUBLEAF REG BIT
NAMES=/tmp/views-names
cat >$NAMES <<'NAMES_END'
fpu 0x1 0 edx 0
vme 0x1 0 edx 1
de 0x1 0 edx 2
pse 0x1 0 edx 3
tsc 0x1 0 edx 4
msr 0x1 0 edx 5
pae 0x1 0 edx 6
mce 0x1 0 edx 7
cx8 0x1 0 edx 8
apic 0x1 0 edx 9
sep 0x1 0 edx 11
mtrr 0x1 0 edx 12
pge 0x1 0 edx 13
mca 0x1 0 edx 14
cmov 0x1 0 edx 15
pat 0x1 0 edx 16
pse36 0x1 0 edx 17
pn 0x1 0 edx 18
clflush 0x1 0 edx 19
dts 0x1 0 edx 21
acpi 0x1 0 edx 22
mmx 0x1 0 edx 23
fxsr 0x1 0 edx 24
sse 0x1 0 edx 25
sse2 0x1 0 edx 26
ss 0x1 0 edx 27
ht 0x1 0 edx 28
tm 0x1 0 edx 29
ia64 0x1 0 edx 30
pbe 0x1 0 edx 31
pni 0x1 0 ecx 0
pclmulqdq 0x1 0 ecx 1
dtes64 0x1 0 ecx 2
monitor 0x1 0 ecx 3
ds_cpl 0x1 0 ecx 4
vmx 0x1 0 ecx 5
smx 0x1 0 ecx 6
est 0x1 0 ecx 7
tm2 0x1 0 ecx 8
ssse3 0x1 0 ecx 9
cid 0x1 0 ecx 10
sdbg 0x1 0 ecx 11
fma 0x1 0 ecx 12
cx16 0x1 0 ecx 13
xtpr 0x1 0 ecx 14
pdcm 0x1 0 ecx 15
pcid 0x1 0 ecx 17
dca 0x1 0 ecx 18
sse4_1 0x1 0 ecx 19
sse4_2 0x1 0 ecx 20
x2apic 0x1 0 ecx 21
movbe 0x1 0 ecx 22
popcnt 0x1 0 ecx 23
tsc_deadline_timer 0x1 0 ecx 24
aes 0x1 0 ecx 25
xsave 0x1 0 ecx 26
avx 0x1 0 ecx 28
f16c 0x1 0 ecx 29
rdrand 0x1 0 ecx 30
hypervisor 0x1 0 ecx 31
dtherm 0x6 0 eax 0
ida 0x6 0 eax 1
arat 0x6 0 eax 2
pln 0x6 0 eax 4
pts 0x6 0 eax 6
hwp 0x6 0 eax 7
hwp_notify 0x6 0 eax 8
hwp_act_window 0x6 0 eax 9
hwp_epp 0x6 0 eax 10
hwp_pkg_req 0x6 0 eax 11
hfi 0x6 0 eax 19
fsgsbase 0x7 0 ebx 0
tsc_adjust 0x7 0 ebx 1
sgx 0x7 0 ebx 2
bmi1 0x7 0 ebx 3
hle 0x7 0 ebx 4
avx2 0x7 0 ebx 5
smep 0x7 0 ebx 7
bmi2 0x7 0 ebx 8
erms 0x7 0 ebx 9
invpcid 0x7 0 ebx 10
rtm 0x7 0 ebx 11
cqm 0x7 0 ebx 12
mpx 0x7 0 ebx 14
rdt_a 0x7 0 ebx 15
avx512f 0x7 0 ebx 16
avx512dq 0x7 0 ebx 17
rdseed 0x7 0 ebx 18
adx 0x7 0 ebx 19
smap 0x7 0 ebx 20
avx512ifma 0x7 0 ebx 21
clflushopt 0x7 0 ebx 23
clwb 0x7 0 ebx 24
intel_pt 0x7 0 ebx 25
avx512pf 0x7 0 ebx 26
avx512er 0x7 0 ebx 27
avx512cd 0x7 0 ebx 28
sha_ni 0x7 0 ebx 29
avx512bw 0x7 0 ebx 30
avx512vl 0x7 0 ebx 31
avx512vbmi 0x7 0 ecx 1
umip 0x7 0 ecx 2
pku 0x7 0 ecx 3
ospke 0x7 0 ecx 4
waitpkg 0x7 0 ecx 5
avx512_vbmi2 0x7 0 ecx 6
gfni 0x7 0 ecx 8
vaes 0x7 0 ecx 9
vpclmulqdq 0x7 0 ecx 10
avx512_vnni 0x7 0 ecx 11
avx512_bitalg 0x7 0 ecx 12
tme 0x7 0 ecx 13
avx512_vpopcntdq 0x7 0 ecx 14
la57 0x7 0 ecx 16
rdpid 0x7 0 ecx 22
bus_lock_detect 0x7 0 ecx 24
cldemote 0x7 0 ecx 25
movdiri 0x7 0 ecx 27
movdir64b 0x7 0 ecx 28
enqcmd 0x7 0 ecx 29
sgx_lc 0x7 0 ecx 30
avx512_4vnniw 0x7 0 edx 2
avx512_4fmaps 0x7 0 edx 3
fsrm 0x7 0 edx 4
avx512_vp2intersect 0x7 0 edx 8
md_clear 0x7 0 edx 10
serialize 0x7 0 edx 14
hybrid_cpu 0x7 0 edx 15
tsxldtrk 0x7 0 edx 16
pconfig 0x7 0 edx 18
arch_lbr 0x7 0 edx 19
ibt 0x7 0 edx 20
amx_bf16 0x7 0 edx 22
avx512_fp16 0x7 0 edx 23
amx_tile 0x7 0 edx 24
amx_int8 0x7 0 edx 25
flush_l1d 0x7 0 edx 28
arch_capabilities 0x7 0 edx 29
avx_vnni 0x7 1 eax 4
avx512_bf16 0x7 1 eax 5
cmpccxadd 0x7 1 eax 7
arch_perfmon_ext 0x7 1 eax 8
fzrm 0x7 1 eax 10
fsrs 0x7 1 eax 11
fsrc 0x7 1 eax 12
lkgs 0x7 1 eax 18
amx_fp16 0x7 1 eax 21
avx_ifma 0x7 1 eax 23
lam 0x7 1 eax 26
xsaveopt 0xd 1 eax 0
xsavec 0xd 1 eax 1
xgetbv1 0xd 1 eax 2
xsaves 0xd 1 eax 3
xfd 0xd 1 eax 4
syscall 0x80000001 0 edx 11
mp 0x80000001 0 edx 19
nx 0x80000001 0 edx 20
mmxext 0x80000001 0 edx 22
fxsr_opt 0x80000001 0 edx 25
pdpe1gb 0x80000001 0 edx 26
rdtscp 0x80000001 0 edx 27
lm 0x80000001 0 edx 29
3dnowext 0x80000001 0 edx 30
3dnow 0x80000001 0 edx 31
lahf_lm 0x80000001 0 ecx 0
cmp_legacy 0x80000001 0 ecx 1
svm 0x80000001 0 ecx 2
extapic 0x80000001 0 ecx 3
cr8_legacy 0x80000001 0 ecx 4
abm 0x80000001 0 ecx 5
sse4a 0x80000001 0 ecx 6
misalignsse 0x80000001 0 ecx 7
3dnowprefetch 0x80000001 0 ecx 8
osvw 0x80000001 0 ecx 9
ibs 0x80000001 0 ecx 10
xop 0x80000001 0 ecx 11
skinit 0x80000001 0 ecx 12
wdt 0x80000001 0 ecx 13
lwp 0x80000001 0 ecx 15
fma4 0x80000001 0 ecx 16
tce 0x80000001 0 ecx 17
nodeid_msr 0x80000001 0 ecx 19
tbm 0x80000001 0 ecx 21
topoext 0x80000001 0 ecx 22
perfctr_core 0x80000001 0 ecx 23
perfctr_nb 0x80000001 0 ecx 24
bpext 0x80000001 0 ecx 26
ptsc 0x80000001 0 ecx 27
perfctr_llc 0x80000001 0 ecx 28
mwaitx 0x80000001 0 ecx 29
clzero 0x80000008 0 ebx 0
irperf 0x80000008 0 ebx 1
xsaveerptr 0x80000008 0 ebx 2
rdpru 0x80000008 0 ebx 4
wbnoinvd 0x80000008 0 ebx 9
NAMES_END

# expected_flags CGDIR: the kernel's flags (outside) minus every flag of
# the table whose bit the CPUID of a program in CGDIR presents clear (a
# leaf above the maximum that CPUID there reports presents nothing).
expected_flags()
{
	_drop=
	_last=
	_maxb=$(in_cg "$1" $Q 0 0 | sed -n 's/.*eax=\([0-9a-f]*\).*/\1/p')
	_maxe=$(in_cg "$1" $Q 0x80000000 0 | sed -n 's/.*eax=\([0-9a-f]*\).*/\1/p')
	while read -r _n _l _s _r _b; do
		if [ "$_last" != "$_l/$_s" ]; then
			_regs=$(in_cg "$1" $Q "$_l" "$_s")
			_last=$_l/$_s
			if { [ $((_l)) -lt $((0x80000000)) ] && [ $((_l)) -gt $((0x$_maxb)) ]; } ||
			   { [ $((_l)) -ge $((0x80000000)) ] && [ $((_l)) -gt $((0x$_maxe)) ]; }; then
				_regs="eax=00000000 ebx=00000000 ecx=00000000 edx=00000000"
			fi
		fi
		# No fork per line: "eax=... ebx=... ecx=... edx=...".
		_v=${_regs#*"$_r"=}
		_v=${_v%% *}
		[ $(((0x$_v >> _b) & 1)) -eq 1 ] || _drop="$_drop $_n"
	done <$NAMES
	flags_of /proc/cpuinfo | tr ' ' '\n' | while read -r _f; do
		case " $_drop " in *" $_f "*) ;; *) printf '%s ' "$_f" ;; esac
	done | sed 's/ $//'
}

# flags_of FILE: CPU 0's flags line, without the key.
flags_of()
{
	sed -n 's/^flags[[:space:]]*: //p' "$1" | head -n1
}

cleanup()
{
	rm -f /tmp/views-fifo /tmp/views-r.*
	t_cgroups_remove $CG/vc/n1 $CG/vc $CG/vo $CG/vr
}

t_check "module loads" modprobe cpuidvirt
t_check "selftest verifies faulting" $CV selftest
cleanup
mkdir -p $CG/vc/n1 $CG/vo $CG/vr
ncpu=$(grep -c '^processor' /proc/cpuinfo)
cat /proc/cpuinfo >/tmp/views-r.out0
navx2=$(grep -c avx2 /tmp/views-r.out0)
t_eq "outside: every CPU lists avx2 (the test needs it)" "$ncpu" "$navx2"

t_exit "cpuidctl profile apply x86-64-v2 vc" 0 cpuidctl profile apply x86-64-v2 $CG/vc
in_cg $CG/vc cat /proc/cpuinfo >/tmp/views-r.in
cat /proc/cpuinfo >/tmp/views-r.out
t_eq "inside x86-64-v2: grep -c avx2 /proc/cpuinfo is 0" 0 "$(grep -c avx2 /tmp/views-r.in)"
t_eq "inside: one record per CPU still" "$ncpu" "$(grep -c '^processor' /tmp/views-r.in)"
t_check "outside: the kernel's bytes, unchanged by the profile" cmp /tmp/views-r.out0 /tmp/views-r.out
want=$(expected_flags $CG/vc)
t_eq "inside: CPU 0's flags are the kernel's minus what the profile's CPUID clears" "$want" "$(flags_of /tmp/views-r.in)"
t_eq "inside: every CPU's flags line is the same" 1 "$(grep '^flags' /tmp/views-r.in | sort -u | wc -l)"
for f in avx fma bmi1 bmi2 movbe xsave aes; do
	if grep -qw $f /tmp/views-r.out; then
		t_eq "inside: no '$f' in any flags line" 0 "$(grep '^flags' /tmp/views-r.in | grep -cw $f)"
	fi
done
t_eq "inside: every other line is the kernel's" \
	"$(grep -v '^flags' /tmp/views-r.out | grep -v '^cpu MHz')" \
	"$(grep -v '^flags' /tmp/views-r.in | grep -v '^cpu MHz')"
in_cg $CG/vc/n1 cat /proc/cpuinfo >/tmp/views-r.n1
t_eq "nested: a child cgroup reads its ancestor's view" "$want" "$(flags_of /tmp/views-r.n1)"

if command -v lscpu >/dev/null; then
	t_eq "lscpu inside: Flags are the cpuinfo flags" "$want" \
		"$(in_cg $CG/vc lscpu | sed -n 's/^Flags:[[:space:]]*//p')"
	t_eq "lscpu outside: Flags are the kernel's" "$(flags_of /tmp/views-r.out)" \
		"$(lscpu | sed -n 's/^Flags:[[:space:]]*//p')"
else
	t_fail "lscpu is in the guest" "tests/vm/mkinitramfs.sh copies /usr/bin/lscpu when the host has it"
fi

# --- moves: /proc/cpuinfo follows at once --------------------------------
mkfifo /tmp/views-fifo
sh -c 'read x </tmp/views-fifo; grep -c avx2 /proc/cpuinfo' >/tmp/views-r.move &
pid=$!
sleep 0.2
echo $pid >$CG/vc/cgroup.procs
echo go >/tmp/views-fifo
wait $pid
t_eq "moved in: the next read has no avx2" 0 "$(cat /tmp/views-r.move)"
sh -c 'echo $$ > "$0/cgroup.procs"; read x </tmp/views-fifo; grep -c avx2 /proc/cpuinfo' $CG/vc >/tmp/views-r.move &
pid=$!
sleep 0.2
echo $pid >$CG/cgroup.procs
echo go >/tmp/views-fifo
wait $pid
t_eq "moved out: the next read is the kernel's" "$ncpu" "$(cat /tmp/views-r.move)"

# --- overrides: signature, brand string, cpuid level ----------------------
# "  cpuidvirt test CPU" (leading spaces: the kernel trims them), NUL padded.
brand=$( { printf '  cpuidvirt test CPU'; head -c 28 /dev/zero; } | od -An -tx4 -v | tr -s ' \n' ' ')
set -- $brand
t_check "ATTACH a profile overriding leaf 1 EAX, the brand and the basic level" \
	$CV attach --name vo --clamp-basic 0xb $CG/vo 1/0/eax/0/0x000906ea \
	0x80000002/0/eax/0/0x$1 0x80000002/0/ebx/0/0x$2 0x80000002/0/ecx/0/0x$3 0x80000002/0/edx/0/0x$4 \
	0x80000003/0/eax/0/0x$5 0x80000003/0/ebx/0/0x$6 0x80000003/0/ecx/0/0x$7 0x80000003/0/edx/0/0x$8 \
	0x80000004/0/eax/0/0x$9 0x80000004/0/ebx/0/0x${10} 0x80000004/0/ecx/0/0x${11} 0x80000004/0/edx/0/0x${12}
in_cg $CG/vo cat /proc/cpuinfo >/tmp/views-r.vo
t_eq "override: cpu family" "cpu family	: 6" "$(grep '^cpu family' /tmp/views-r.vo | head -n1)"
t_eq "override: model (extended model added)" "model		: 158" "$(grep '^model	' /tmp/views-r.vo | head -n1)"
t_eq "override: stepping" "stepping	: 10" "$(grep '^stepping' /tmp/views-r.vo | head -n1)"
t_eq "override: model name, leading spaces trimmed" "model name	: cpuidvirt test CPU" "$(grep '^model name' /tmp/views-r.vo | head -n1)"
t_eq "override: cpuid level is the clamp" "cpuid level	: 11" "$(grep '^cpuid level' /tmp/views-r.vo | head -n1)"
t_eq "override: every CPU's record has them" "$ncpu" "$(grep -c '^model name	: cpuidvirt test CPU$' /tmp/views-r.vo)"
t_eq "override: the flags are the kernel's minus what the clamp hides" "$(expected_flags $CG/vo)" "$(flags_of /tmp/views-r.vo)"
t_eq "outside: the kernel lists xsaveopt (leaf 0xd; the clamp test needs it)" "$ncpu" "$(grep '^flags' /tmp/views-r.out | grep -cw xsaveopt)"
t_eq "override: the clamp hides leaf 0xd's xsaveopt" 0 "$(grep '^flags' /tmp/views-r.vo | grep -cw xsaveopt)"
t_eq "override: the rest is the kernel's" \
	"$(grep -v '^flags\|^cpu MHz\|^cpu family\|^model\|^stepping\|^cpuid level' /tmp/views-r.out)" \
	"$(grep -v '^flags\|^cpu MHz\|^cpu family\|^model\|^stepping\|^cpuid level' /tmp/views-r.vo)"
if command -v lscpu >/dev/null; then
	t_eq "lscpu inside the override: Model name" "cpuidvirt test CPU" \
		"$(in_cg $CG/vo lscpu | sed -n 's/^Model name:[[:space:]]*//p')"
fi

# --- a small read buffer: seq_file's retries still give whole records ------
t_eq "read 1 byte at a time inside: the same file" "$(cat /tmp/views-r.in)" \
	"$(in_cg $CG/vc dd if=/proc/cpuinfo bs=1 2>/dev/null)"

# --- concurrent reads while profiles come and go --------------------------
nat=$(flags_of /tmp/views-r.out)
masked=$(expected_flags $CG/vc)
for i in 1 2; do
	in_cg $CG/vr sh -c 'end=$(($(date +%s) + 8)); while [ $(date +%s) -lt $end ]; do cat /proc/cpuinfo; done' >/tmp/views-r.c$i &
done
end=$(($(date +%s) + 8))
n=0
while [ "$(date +%s)" -lt "$end" ]; do
	cpuidctl profile apply x86-64-v2 $CG/vr >/dev/null 2>&1
	cpuidctl profile remove $CG/vr >/dev/null 2>&1
	n=$((n + 1))
done
wait
t_match "attach/detach rounds during the reads" '^[1-9]' "$n"
lines=$(cat /tmp/views-r.c1 /tmp/views-r.c2 | grep -c '^flags')
echo "# concurrent: $n attach/detach rounds, $lines records read"
t_match "concurrent: records were read" '^[1-9]' "$lines"
bad=$(cat /tmp/views-r.c1 /tmp/views-r.c2 | sed -n 's/^flags[[:space:]]*: //p' | grep -vxF -e "$nat" -e "$masked" | head -n3)
t_eq "concurrent: every flags line is the kernel's or the profile's, whole" "" "$bad"
t_eq "concurrent: every record ends with its blank line" \
	"$(cat /tmp/views-r.c1 /tmp/views-r.c2 | grep -c '^processor')" "$(cat /tmp/views-r.c1 /tmp/views-r.c2 | grep -c '^$')"

# --- the control: views=0 ---------------------------------------------------
echo 0 >/sys/module/cpuidvirt/parameters/views
t_eq "control (views=0): inside, grep -c avx2 finds the kernel's $ncpu" "$ncpu" "$(in_cg $CG/vc grep -c avx2 /proc/cpuinfo)"
t_eq "control (views=0): inside, the kernel's bytes" "" "$(in_cg $CG/vc cat /proc/cpuinfo | cmp - /tmp/views-r.out 2>&1)"
echo 1 >/sys/module/cpuidvirt/parameters/views

# --- cost: reading /proc/cpuinfo inside vs outside (reported, not judged) --
# A read takes about 40 ms on the debug kernel: no benchmark there.
nb=500
[ "${KFLAVOUR:-}" != debug ] || nb=10
b_out=$($BIN/readbench /proc/cpuinfo $nb | sed -n 's/^ns_per_read=\([0-9]*\).*/\1/p')
b_in=$(in_cg $CG/vc $BIN/readbench /proc/cpuinfo $nb | sed -n 's/^ns_per_read=\([0-9]*\).*/\1/p')
t_match "bench: readbench measured both" '^[0-9]+ [0-9]+$' "$b_out $b_in"
echo "# bench: read /proc/cpuinfo ($ncpu CPUs), ns per read: outside $b_out, inside x86-64-v2 $b_in, ratio $((b_in * 100 / (b_out + 1)))%"

t_exit "cpuidctl profile remove vc" 0 cpuidctl profile remove $CG/vc
t_check "DETACH vo" $CV detach $CG/vo
t_eq "after DETACH: the kernel's bytes inside" "" "$(in_cg $CG/vc cat /proc/cpuinfo | cmp - /tmp/views-r.out 2>&1)"
t_match "no module warning in the kernel log" '^$' "$(dmesg | grep 'cpuidvirt: .*cpuinfo')"
cleanup
t_check "module unloads" rmmod cpuidvirt
t_done
