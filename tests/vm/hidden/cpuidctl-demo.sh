#!/bin/sh
# modes: working
# kernels: 6.1 6.12
# The 'make demo' walk-through, run inside a test-bed guest whose CPU has
# working CPUID faulting: load the module, put the x86-64-v2 profile on a
# cgroup, and show side by side what programs see outside and inside it.
# Plain sh + busybox; every step prints the command it runs.

CTL=${CPUIDCTL:-cpuidctl}
BIN=${BIN:-/opt/cpuidvirt/bin}
CG=/sys/fs/cgroup
LDSO=/lib64/ld-linux-x86-64.so.2
W=44

grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG

say()
{
	printf '\n== %s\n' "$*"
}

# show CMD...: print the command, then run it.
show()
{
	printf '$ %s\n' "$*"
	"$@"
	rc=$?
	[ $rc = 0 ] || printf '(exit status %s)\n' "$rc"
	return $rc
}

# in_cg CMD...: run CMD as a member of the demo cgroup.
in_cg()
{
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG/demo" "$@"
}

# side TITLE_L TITLE_R FILE_L FILE_R: two outputs in two columns.
side()
{
	printf "%-${W}s | %s\n" "$1" "$2"
	echo "---------------------------------------------+-----------------------------"
	nl=$(wc -l < "$3")
	nr=$(wc -l < "$4")
	n=$((nl > nr ? nl : nr))
	i=1
	while [ $i -le $n ]; do
		l=$(sed -n "${i}p" "$3")
		r=$(sed -n "${i}p" "$4")
		mark=" "
		[ "$l" = "$r" ] || mark="*"
		printf "%-${W}s %s %s\n" "$l" "$mark" "$r"
		i=$((i + 1))
	done
}

# features: one "name: yes/no" line per feature, read with the real CPUID
# instruction (cpuidq) at the position 'cpuidctl explain' gives.
features()
{
	for f in sse4_2 popcnt avx fma avx2 bmi2 movbe avx512f; do
		loc=$($CTL explain "$f" 2>/dev/null | grep '^cpuid: leaf ')
		leaf=$(echo "$loc" | sed -n 's/^cpuid: leaf \(0x[0-9a-f]*\).*/\1/p')
		sub=$(echo "$loc" | sed -n 's/.* subleaf \([0-9]*\) .*/\1/p')
		reg=$(echo "$loc" | sed -n 's/.* \(e[a-d]x\) bit .*/\1/p')
		b=$(echo "$loc" | sed -n 's/.* bit \([0-9]*\)$/\1/p')
		v=$("$BIN/cpuidq" "$leaf" "${sub:-0}" | sed -n "s/.*$reg=\([0-9a-f]*\).*/\1/p")
		if [ $(( (0x$v >> b) & 1 )) = 1 ]; then
			echo "$f: yes"
		else
			echo "$f: no"
		fi
	done
}

hwcaps()
{
	$LDSO --help | sed -n '/glibc-hwcaps/,/^$/p' | grep 'x86-64-v' | sed 's/^ *//'
}

# The CPUID words glibc keeps (leaf 1 ECX/EDX, leaf 7 EBX/ECX) and what
# it derived from them; prefix dropped to fit the columns.
DIAG_RE='^x86\.cpu_features\.(features\[0x0\]\.cpuid\[0x[23]\]|features\[0x1\]\.cpuid\[0x[12]\]|basic\.max_cpuid|xsave_state_size)='
diagnostics()
{
	$LDSO --list-diagnostics | grep -E "$DIAG_RE" | sed 's/^x86\.cpu_features\.//'
}

# Helper mode: the feature list, for running inside the cgroup.
if [ "$1" = --features ]; then
	features
	exit 0
fi
if [ "$1" = --diagnostics ]; then
	diagnostics
	exit 0
fi

cat <<'TXT'
cpuidvirt demo
--------------
This guest runs a Debian kernel on an emulated CPU (QEMU) that supports CPUID
faulting. We load the cpuidvirt module, give the cgroup /demo the x86-64-v2
profile (an older CPU: no AVX, AVX2, FMA, BMI2, AVX-512), and compare what
programs see outside and inside /demo. The kernel emulates CPUID for every
process in /demo; nothing in those programs is changed or preloaded.
TXT

say "1. Load the module and verify CPUID faulting on every CPU"
show $CTL load || exit 1

say "2. Create a cgroup and apply the x86-64-v2 profile to it"
rmdir $CG/demo 2>/dev/null
show mkdir $CG/demo
show $CTL profile apply x86-64-v2 demo || exit 1
show $CTL profile list

say "3. CPU features read with the CPUID instruction by a real program ($BIN/cpuidq)"
features > /tmp/f.out
in_cg sh "$0" --features > /tmp/f.in
side "outside (this machine)" "inside /demo (x86-64-v2)" /tmp/f.out /tmp/f.in

say "4. glibc's view: ld.so --list-diagnostics (CPUID words glibc read)"
diagnostics > /tmp/d.out
in_cg sh "$0" --diagnostics > /tmp/d.in
side "outside" "inside /demo" /tmp/d.out /tmp/d.in
cat <<'TXT'
(features[0x0].cpuid[0x2] is CPUID leaf 1 ECX: AVX is bit 28, FMA bit 12;
 features[0x1].cpuid[0x1] is leaf 7 EBX: AVX2 is bit 5, AVX-512F bit 16.
 x86-64-v2 has no XSAVE, so glibc inside falls back to FXSAVE for its lazy
 binding trampoline: xsave_state_size 0.)
TXT

say "5. glibc-hwcaps: which optimised library directories ld.so would use (ld.so --help)"
hwcaps > /tmp/h.out
in_cg $LDSO --help | sed -n '/glibc-hwcaps/,/^$/p' | grep 'x86-64-v' | sed 's/^ *//' > /tmp/h.in
side "outside" "inside /demo" /tmp/h.out /tmp/h.in

say "6. The same without preparing a cgroup: cpuidctl run"
echo "\$ $CTL run --profile x86-64-v2 -- $LDSO --help | grep x86-64-v"
$CTL run --profile x86-64-v2 -- $LDSO --help | grep 'x86-64-v[234]'

say "7. Module status and counters (CPUIDs emulated for /demo, time per CPUID)"
show $CTL status

say "8. Clean up"
show $CTL profile remove demo
show rmdir $CG/demo
echo
echo "Done. 'cpuidctl --help' and docs/cpuidctl.md describe every command."
echo
# The demo's claims, checked, so a broken demo cannot look like a good one.
if [ -r /opt/cpuidvirt/lib.sh ]; then
	. /opt/cpuidvirt/lib.sh
	t_match "avx2 visible outside" "^avx2: yes$" "$(cat /tmp/f.out)"
	t_match "avx2 hidden inside /demo" "^avx2: no$" "$(cat /tmp/f.in)"
	t_match "ld.so inside supports x86-64-v2" "^x86-64-v2 \\(supported" "$(cat /tmp/h.in)"
	if grep -q '^x86-64-v3 (supported' /tmp/h.in; then
		t_fail "ld.so inside does not support x86-64-v3" "$(cat /tmp/h.in)"
	else
		t_ok "ld.so inside does not support x86-64-v3"
	fi
fi
