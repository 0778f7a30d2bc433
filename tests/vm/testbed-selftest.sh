#!/bin/bash
# testbed-selftest.sh [--kernel SERIES] [--tap FILE] [--no-boot]
# The test bed's own verdicts, asserted by exit status and message (make
# check's testbed-selftest phase; result lines go to FILE, default
# build/results/testbed-selftest.tap):
#  - tests/summary.sh on crafted result dirs: complete results pass (a
#    declared skip listed, not counted); a missing expected .tap, one with
#    no result line, a missing expected.list and an undeclared skip fail;
#  - tests/vm/matrix.sh: an empty KERNELS or MODES is an error;
#  - tests/vm/build-guest-bins.sh with a gcc whose -m32 fails: a failure;
#  - two short boots of hidden scenarios only (SERIES, default 6.12; their
#    results stay in build/selftest/, which summary.sh does not count):
#    working CPU, testbed-skip then testbed-warn: run-guest.sh fails, its
#      boot line quotes the kernel warning, the undeclared skip is reported
#      and nothing ran after the WARN;
#    absent CPU, testbed-leftover, testbed-reaped and testbed-skip
#      (declared for absent): run-guest.sh passes (it did not wait for the
#      process left behind) and that process was killed;
#  - a boot whose guest suspends to RAM, then sleeps past the timeout:
#    woken by the host, then an NMI's panic and the vCPUs are reported;
#  - a boot whose guest suspends to RAM and does not come back (faked:
#    CPUIDVIRT_TEST_RESUME_STUCK): booted twice, fails, both logs kept;
#  - two boots of the AMD model (EPYC-Milan): amd-native, the substrate,
#    testbed-guest and testbed-skip (declared for amd-native/*/EPYC-Milan)
#    pass (GpOnUserCpuid, HWCR bit 35 faults CPUID, 0xce and 0x140 #GP);
#    a guest expecting amd-native on a CPU that is really
#    amd-native-lie-store fails the substrate and runs no scenario.
# --no-boot: only the checks that need no guest. Exit 1 if a check failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/tests/vm
kernel=6.12 tap=$top/build/results/testbed-selftest.tap boot=1
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--tap) tap=$2; shift 2 ;;
	--no-boot) boot=0; shift ;;
	*) echo "testbed-selftest: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
mkdir -p "$(dirname "$tap")"
: >"$tap"
w=$(mktemp -d "${TMPDIR:-/tmp}/testbed-selftest.XXXXXX")
trap 'rm -rf "$w"' EXIT
failed=0

ok() { echo "ok - testbed-selftest: $1" | tee -a "$tap"; }
nok()
{
	echo "not ok - testbed-selftest: $1" | tee -a "$tap"
	shift
	printf '%s\n' "$@" | head -n 40 | sed 's/^/    # /' | tee -a "$tap"
	failed=1
}
# expect DESC WANT_RC RC TEXT [ERE | !ERE]...: ok iff RC is WANT_RC and TEXT
# has a line matching every ERE and none matching any !ERE.
expect()
{
	local d=$1 want=$2 rc=$3 text=$4 re
	shift 4
	if [ "$rc" != "$want" ]; then
		nok "$d" "exit status $rc, wanted $want" "$text"
		return 1
	fi
	for re in "$@"; do
		case "$re" in
		!*) ! printf '%s\n' "$text" | grep -Eq -- "${re#!}" ||
			{ nok "$d" "unwanted line matching /${re#!}/" "$text"; return 1; } ;;
		*) printf '%s\n' "$text" | grep -Eq -- "$re" ||
			{ nok "$d" "no line matching /$re/" "$text"; return 1; } ;;
		esac
	done
	ok "$d"
}

# A boot booted twice: its result lines and N in each console log.
booted_twice()	# ID ERE: the .tap, then "first log: N" and "second log: N"
{
	cat "$sdir/vm-$1.tap" 2>&1
	echo "first log: $(grep -c "$2" "$top/build/logs/$1.log.first" 2>&1)"
	echo "second log: $(grep -c "$2" "$top/build/logs/$1.log" 2>&1)"
}

# --- summary.sh on crafted result dirs --------------------------------------
craft()	# a complete result dir in $w/r
{
	rm -rf "$w/r"
	mkdir -p "$w/r"
	printf '%s\n' unit vm-6.12-working >"$w/r/expected.list"
	echo "ok 1 - unit" >"$w/r/unit.tap"
	printf '%s\n' "ok - a: b" "# skip (expected) - c: declared" \
		"ok - boot-6.12-working: clean boot" >"$w/r/vm-6.12-working.tap"
}
summary() { out=$(sh "$top/tests/summary.sh" "$w/r" 2>&1); rc=$?; }

craft
summary
expect "summary.sh passes complete results and lists a declared skip" 0 "$rc" "$out" \
	'^  # skip \(expected\) - c: declared$' '^3 passed, 0 failed$'
craft
echo "# retried - boot-6.12-working: the first boot died (x)" >>"$w/r/vm-6.12-working.tap"
summary
expect "summary.sh lists a boot booted twice, and counts only the second" 0 "$rc" "$out" \
	'^vm-6\.12-working\.tap: booted twice:$' '^  # retried - boot-6\.12-working: ' '^3 passed, 0 failed$'
craft
printf '%s\n' "not ok - a: c" "    # why it failed" "ok - d: e" "    # not under a failure" >>"$w/r/unit.tap"
summary
expect "summary.sh fails on a not ok line and prints its diagnostics, not a passing line's" 1 "$rc" "$out" \
	'^  not ok - a: c$' '^      # why it failed$' '!not under a failure' '^4 passed, 1 failed$'
craft
rm "$w/r/vm-6.12-working.tap"
summary
expect "summary.sh fails on a missing expected .tap" 1 "$rc" "$out" \
	'^vm-6\.12-working\.tap: missing' '^1 passed, 1 failed$'
craft
echo "    # a diagnostic, no result" >"$w/r/vm-6.12-working.tap"
summary
expect "summary.sh fails on an expected .tap with no result line" 1 "$rc" "$out" \
	'^vm-6\.12-working\.tap: no result line' '^1 passed, 1 failed$'
craft
rm "$w/r/expected.list"
summary
expect "summary.sh fails without expected.list" 1 "$rc" "$out" '^expected\.list: missing' '^3 passed, 1 failed$'
craft
echo "# skip - m: needs two CPUs" >>"$w/r/vm-6.12-working.tap"
summary
expect "summary.sh fails on an undeclared skip and prints it" 1 "$rc" "$out" \
	'^  # skip - m: needs two CPUs$' '^3 passed, 1 failed$'

# --- stale-int3.sh on crafted console logs ----------------------------------
# The report of the 6.12-rt boot of a CI rehearsal (2026-12-03): an int3
# at __schedule+0x422 whose memory already held the jmp (e9).
int3log()	# BYTE: a console log whose int3 oops shows BYTE before RIP
{
	printf '%s\n' "[   47.0] cpuidvirt-guest: up" \
		"[   47.354424] Oops: int3: 0000 [#1] PREEMPT_RT SMP PTI" \
		"[   47.355950] CPU: 1 UID: 0 PID: 1038 Comm: cvemu.static" \
		"[   47.363884] RIP: 0010:__schedule+0x423/0xc00" \
		"[   47.364422] Code: 29 c1 48 01 0f 1f 44 00 00 $1 <d3> 01 00 00 49 8d 85" >"$w/int3.log"
}
int3log e9
out=$("$vm/stale-int3.sh" "$w/int3.log" 2>&1)
expect "stale-int3.sh: an int3 oops whose memory holds no int3 (e9 before RIP) is QEMU's" 0 "$?" "$out" "'e9', not cc"
int3log cc
out=$("$vm/stale-int3.sh" "$w/int3.log" 2>&1)
expect "stale-int3.sh: an int3 oops with the int3 in memory (cc) is not" 1 "$?" "$out"
int3log e9
sed -i '2i [   46.0] BUG: spinlock bad magic on CPU#0, cvrace/665' "$w/int3.log"
out=$("$vm/stale-int3.sh" "$w/int3.log" 2>&1)
expect "stale-int3.sh: an int3 oops after another kernel report is not" 1 "$?" "$out"

# --- the boot matrix ----------------------------------------------------------
out=$(MODES='' "$vm/matrix.sh" 2>&1)
expect "matrix.sh: an empty MODES is an error" 1 $? "$out" 'MODES is empty'
out=$(KERNELS=' ' "$vm/matrix.sh" 2>&1)
expect "matrix.sh: an empty KERNELS is an error" 1 $? "$out" 'KERNELS is empty'
out=$(KERNELS='6.1 6.12' MODES='absent lie-drop' AMD_MODES= "$vm/matrix.sh" 2>&1)
rc=$?
expect "matrix.sh: kernels x modes" 0 $rc "$(echo $out)" '^6\.1-absent 6\.1-lie-drop 6\.12-absent 6\.12-lie-drop$'
out=$(KERNELS='6.12 6.12-rt 6.12-debug' MODES='absent working' AMD_MODES= "$vm/matrix.sh" 2>&1)
rc=$?
expect "matrix.sh: flavoured kernels boot only under working" 0 $rc "$(echo $out)" \
	'^6\.12-absent 6\.12-working 6\.12-rt-working 6\.12-debug-working$'
out=$(KERNELS='6.1-rt' MODES='absent' "$vm/matrix.sh" 2>&1)
expect "matrix.sh: a flavour under absent only is an error (no boot)" 1 $? "$out" 'has no boot'
out=$(env -u KERNELS -u MODES -u AMD_MODES "$vm/matrix.sh" 2>&1)
rc=$?
expect "matrix.sh: the default has 12 boots + 14 AMD (6.1 and 6.12 under the 7 AMD modes), the flavours under working" 0 $rc \
	"$(echo $out | wc -w) $(echo $out)" \
	'^26 ' ' 6\.12-debug-working ' ' 6\.1-rt-working ' ' 6\.12-rt-working ' ' 6\.1-cloud-working' \
	' 6\.1-absent-epyc 6\.1-working-epyc 6\.1-lie-drop-epyc 6\.1-lie-store-epyc 6\.1-amd-native-epyc 6\.1-amd-native-lie-drop-epyc 6\.1-amd-native-lie-store-epyc 6\.12-absent-epyc ' \
	' 6\.12-amd-native-lie-store-epyc$'
out=$(KERNELS='6.12 6.12-rt' MODES=working AMD_MODES=all "$vm/matrix.sh" 2>&1)
rc=$?
expect "matrix.sh: AMD_MODES=all boots the generic kernels under the 7 AMD modes" 0 $rc "$(echo $out)" \
	'^6\.12-working 6\.12-rt-working 6\.12-absent-epyc 6\.12-working-epyc 6\.12-lie-drop-epyc 6\.12-lie-store-epyc 6\.12-amd-native-epyc 6\.12-amd-native-lie-drop-epyc 6\.12-amd-native-lie-store-epyc$'
out=$(AMD_MODES='working bogus' "$vm/matrix.sh" 2>&1)
expect "matrix.sh: an unknown AMD mode is an error" 1 $? "$out" "unknown AMD mode 'bogus'"
out=$(MODES=amd-native "$vm/matrix.sh" 2>&1)
expect "matrix.sh: amd-native is not a mode of the Intel model" 1 $? "$out" "unknown mode 'amd-native'"
out=$(for id in 6.1-lie-drop 6.12-rt-working 6.12-amd-native-lie-drop-epyc 6.1-working-epyc; do
	"$vm/matrix.sh" --split "$id"; done 2>&1)
expect "matrix.sh --split: boot ids, AMD ones with CPU and tag" 0 $? "$(echo $out)" \
	'^6\.1 lie-drop 6\.12-rt working 6\.12 amd-native-lie-drop EPYC-Milan epyc 6\.1 working EPYC-Milan epyc$'
out=$("$vm/matrix.sh" --split 6.12-amd-native 2>&1)
expect "matrix.sh --split: an AMD mode without the -epyc suffix is no boot id" 1 $? "$out" 'is not a boot id'
out=$(env -u KERNELS -u MODES "$vm/matrix.sh" --migrations 2>&1)
rc=$?
expect "matrix.sh --migrations: the default has the feature and XSAVE runs and their controls on 6.12" 0 $rc "$(echo $out)" \
	'^6\.12-mig-feature 6\.12-mig-feature-control 6\.12-mig-xsave 6\.12-mig-xsave-control$'
out=$(KERNELS='6.1 6.12' MODES='absent' "$vm/matrix.sh" --migrations 2>&1)
expect "matrix.sh --migrations: none without the working mode" 0 $? "$out" '!mig'
out=$("$vm/matrix.sh" --mig-args 6.12-mig-feature-control 2>&1)
expect "matrix.sh --mig-args: the control runs without the profile" 0 $? "$out" \
	'^--kernel 6\.12 --variant none --tag feature-control$'
out=$("$vm/matrix.sh" --mig-args 6.12-mig-bogus 2>&1)
expect "matrix.sh --mig-args: an unknown run is an error" 1 $? "$out" 'not a migration id'

# --- no gcc -m32 ----------------------------------------------------------------
printf '#!/bin/sh\nfor a; do [ "$a" = -m32 ] && exit 1; done\nexec %s "$@"\n' "${CC:-gcc}" >"$w/cc"
chmod +x "$w/cc"
CC=$w/cc "$vm/build-guest-bins.sh" --out "$w/bin" --tap "$w/bins.tap" >/dev/null 2>&1
expect "build-guest-bins.sh fails when gcc -m32 does not work" 1 $? "$(cat "$w/bins.tap")" \
	'^not ok - guest-bins: cpuidq\.m32 builds'

# --- boots ------------------------------------------------------------------------
if [ $boot = 1 ]; then
	sdir=$top/build/selftest
	rm -rf "$sdir"
	mkdir -p "$sdir"
	b=$kernel-working-selftest-warn
	t0=$(date +%s)
	out=$("$vm/run-guest.sh" --kernel "$kernel" --mode working --no-substrate --quiet \
		--hidden testbed-skip --hidden testbed-warn --tag selftest-warn --results "$sdir" \
		--scenario-timeout 60 --timeout 240 2>&1)
	expect "a guest that WARNs fails run-guest.sh, which quotes the warning" 1 $? "$out" \
		"^not ok - boot-$b: .*kernel log: " 'testbed_warn: deliberate warning' 'WARNING: CPU: [0-9]+ PID: '
	# The guest panics inside testbed-warn, before init forwards its lines
	# to the results port: read them from the console log.
	expect "the WARN boot ran up to the WARN and no further" 0 0 "$(cat "$top/build/logs/$b.log" 2>&1)" \
		'^ok - testbed-warn: testbed_warn\.ko is installed$' '!still runs after a WARN'
	expect "an undeclared skip (testbed-skip on a working CPU) is reported and fails" 0 0 \
		"$(cat "$sdir/vm-$b.tap" 2>&1)" '^# skip - testbed-skip: ' \
		'^not ok - testbed-skip: scenario produced no result lines$'

	echo "testbed-selftest: WARN boot took $(($(date +%s) - t0))s"
	b=$kernel-absent-selftest-leftover
	t0=$(date +%s)
	out=$("$vm/run-guest.sh" --kernel "$kernel" --mode absent --no-substrate --quiet \
		--hidden testbed-leftover --hidden testbed-reaped --hidden testbed-skip \
		--tag selftest-leftover --results "$sdir" --scenario-timeout 60 --timeout 240 2>&1)
	rc=$?
	expect "a process left behind neither hangs nor outlives its scenario; a declared skip passes" \
		0 $rc "$out
$(cat "$sdir/vm-$b.tap" 2>&1)" \
		'^ok - testbed-leftover: the background sleep runs$' \
		'^ok - testbed-reaped: its background sleep was killed' \
		'^# skip \(expected\) - testbed-skip: ' "^ok - boot-$b: clean boot" '!^not ok'
	echo "testbed-selftest: leftover boot took $(($(date +%s) - t0))s"
	b=$kernel-absent-selftest-noinit
	t0=$(date +%s)
	out=$(CPUIDVIRT_TEST_NO_INIT=1 "$vm/run-guest.sh" --kernel "$kernel" --mode absent \
		--no-substrate --quiet --tag selftest-noinit --results "$sdir" --timeout 120 2>&1)
	rc=$?
	expect "a kernel that dies before the guest's init is booted once more, then fails, both logs kept" \
		1 $rc "$out
$(booted_twice "$b" 'Kernel panic')" \
		"^not ok - boot-$b: .*kernel log: .*Kernel panic" \
		"^# retried - boot-$b: the first boot died in the kernel before the guest's init started \\(.*Kernel panic" \
		'^first log: [1-9]' '^second log: [1-9]'
	echo "testbed-selftest: no-init boots took $(($(date +%s) - t0))s"

	# A guest that suspends itself to RAM is woken by the host
	# (qmp-watch.py); one that makes no progress until the timeout gets
	# an NMI, and panics with the backtrace of what it was doing.
	b=$kernel-working-selftest-hang
	t0=$(date +%s)
	out=$("$vm/run-guest.sh" --kernel "$kernel" --mode working --no-substrate --quiet \
		--cmd 'echo mem >/sys/power/state' --cmd 'sleep 300' --tag selftest-hang \
		--results "$sdir" --scenario-timeout 400 --timeout 40 2>&1)
	rc=$?
	expect "a guest suspended to RAM is woken by the host; a hung one gets an NMI, its backtrace and vCPUs are reported" \
		1 $rc "$out
$(cat "$sdir/vm-$b.tap" 2>&1)
$(grep -E '^(not )?ok - ' "$top/build/logs/$b.log" 2>&1)" \
		'^ok - zz-cmd: echo mem >/sys/power/state$' \
		"^not ok - boot-$b: hung until 30s: the host sent an NMI for a backtrace; .*kernel log: .*Kernel panic - not syncing: NMI: Not continuing" \
		'^    # .*RIP: 0010:' '^    # qemu: run state: running$' \
		'^    # qemu: vCPU 1 RIP [0-9a-f]{16}' '^    # host: woke the guest from suspend to RAM 1x$'
	echo "testbed-selftest: hang boot took $(($(date +%s) - t0))s"
	# The firmware's S3 resume running away (QEMU 7.2, multi-threaded TCG)
	# is told apart and booted once more; CPUIDVIRT_TEST_RESUME_STUCK makes
	# qmp-watch.py take the first wake for one.
	b=$kernel-working-selftest-resume
	t0=$(date +%s)
	out=$(CPUIDVIRT_TEST_RESUME_STUCK=1 "$vm/run-guest.sh" --kernel "$kernel" --mode working \
		--no-substrate --quiet --cmd 'echo mem >/sys/power/state' --tag selftest-resume \
		--results "$sdir" --timeout 120 2>&1)
	rc=$?
	expect "a guest whose firmware does not resume from S3 is booted once more, then fails, both logs kept" \
		1 $rc "$out
$(booted_twice "$b" 'PM: suspend entry')" \
		"^not ok - boot-$b: not back in the kernel 30s after the host woke it from suspend to RAM: .*ran away \\(QEMU quit\\)" \
		"^# retried - boot-$b: the first boot's firmware ran away resuming from suspend to RAM " \
		'^    # qemu: vCPU 1 ' '^first log: 1$' '^second log: 1$'
	echo "testbed-selftest: resume boots took $(($(date +%s) - t0))s"

	# AMD's CpuidUserDis (the matrix boots it too, with the module): the
	# substrate passes on amd-native, and catches a CPU that claims it
	# without faulting.
	b=$kernel-amd-native-epyc-selftest
	t0=$(date +%s)
	out=$("$vm/run-guest.sh" --kernel "$kernel" --mode amd-native --cpu EPYC-Milan --quiet \
		--scenario testbed-guest --hidden testbed-skip --tag epyc-selftest --results "$sdir" \
		--timeout 240 2>&1)
	rc=$?
	expect "amd-native on EPYC-Milan: the substrate sees GpOnUserCpuid, HWCR bit 35 faulting CPUID, no MSR 0xce/0x140; a skip declared MODE/KERNEL/MODEL passes" \
		0 $rc "$out
$(cat "$sdir/vm-$b.tap" 2>&1)" \
		'^# skip \(expected\) - testbed-skip: ' \
		'^ok - substrate: amd-native: CPUID 0x80000021 EAX bit 17 \(GpOnUserCpuid\) set' \
		'^ok - substrate: amd-native: cpu1: reading MSR_PLATFORM_INFO \(0xce\) raises #GP' \
		'^ok - substrate: amd-native: cpu1: CPUID at CPL3 raises SIGSEGV when armed' \
		'^ok - substrate: amd-native: cpu1: CPUID runs normally once disarmed' \
		'^ok - testbed-guest: ' "^ok - boot-$b: clean boot" '!^not ok'
	echo "testbed-selftest: amd-native boot took $(($(date +%s) - t0))s"
	b=$kernel-amd-native-epyc-selftest-lie
	t0=$(date +%s)
	out=$(CPUIDVIRT_QEMU_CPU_FAULT=amd-native-lie-store "$vm/run-guest.sh" --kernel "$kernel" \
		--mode amd-native --cpu EPYC-Milan --quiet --tag epyc-selftest-lie --results "$sdir" \
		--timeout 240 2>&1)
	rc=$?
	expect "amd-native expected, amd-native-lie-store given: the substrate fails, no scenario runs" \
		1 $rc "$out
$(cat "$sdir/vm-$b.tap" 2>&1)" \
		'^not ok - substrate: amd-native: cpu0: CPUID at CPL3 raises SIGSEGV when armed \(child status 0: CPUID did NOT fault\)' \
		'^ok - substrate: amd-native: cpu0: HWCR bit 35 \(CpuidUserDis\) sticks' \
		'^not ok - init: substrate self-check failed for mode amd-native, scenarios not run' \
		'!^(not )?ok - (module|cpuidctl|oci|testbed)-'
	echo "testbed-selftest: amd-native-lie-store boot took $(($(date +%s) - t0))s"
fi
exit $failed
