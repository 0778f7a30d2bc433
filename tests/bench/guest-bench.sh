#!/bin/sh
# modes: working amd-native
# guest-bench.sh: the cpuidvirt benchmarks (issue 6), run inside a test-bed
# guest as an extra scenario (tests/bench/run-bench.sh through
# tests/vm/run-guest.sh). Prints "@env", "@info" and "@bench" lines, and
# with a transfer disk ($DISK) saves them there too; tests/bench/format.awk
# on the host turns them into the table of docs/bench.md.
#
# It is a benchmark, not a test: it never fails on a number. A row that
# cannot be measured prints "@bench row=NAME skip=WHY" and the run goes on.
# What it does check, as result lines ("ok - bench ..." / "not ok - ...")
# that make `make bench` fail: every CPUID row's answers (before warm-up,
# after each timed batch, at the end; cvbench compares them with native
# answers and the profile applied by its own code), and that all threads
# are armed when ATTACH returns (and then trap, with the masked answer).
#
# Environment:
#	BENCH_DIR	where cvbench and the dynamic true live
#			(default: this script's directory)
#	BENCH_PROFILES	profiles attached for the scale rows (10000)
#	BENCH_THREADS	threads for the attach row (1000)
#	BENCH_BATCHES	batches per latency row (500)
#	BENCH_STARTS	execs per start-up row (100)
#	BENCH_SWITCH_TEST  1: load the module with test_module_switches=1
#	CPU_MODE	the test bed's CPU behaviour, reported only
#	DISK		the transfer disk (run-guest.sh --disk): the "@"
#			lines go there as guest-bench.lines (a tar archive)

# run-bench.sh puts the BENCH_* settings in the boot configuration.
[ -r /opt/cpuidvirt/boot.conf ] && . /opt/cpuidvirt/boot.conf

# With a transfer disk (run-bench.sh boots run-guest.sh --disk), the "@"
# lines go to the host on it: on the console, kernel messages may cut
# into a line. The script runs again below, its output copied.
if [ -n "${DISK:-}" ] && [ -z "${BENCH_INNER:-}" ]; then
	{
		BENCH_INNER=1 sh "$0" "$@"
		echo $? >/tmp/guest-bench.rc
	} | tee /tmp/guest-bench.all
	mkdir -p /tmp/bench-xfer
	grep '^@' /tmp/guest-bench.all >/tmp/bench-xfer/guest-bench.lines
	. /opt/cpuidvirt/lib.sh
	disk_save /tmp/bench-xfer ||
		echo "not ok - guest-bench: the @ lines written to the transfer disk $DISK"
	exit "$(cat /tmp/guest-bench.rc)"
fi
BENCH_DIR=${BENCH_DIR:-$(cd "$(dirname "$0")" && pwd)}
NPROF=${BENCH_PROFILES:-10000}
NTHR=${BENCH_THREADS:-1000}
NB=${BENCH_BATCHES:-500}
NSTART=${BENCH_STARTS:-100}
CG=/sys/fs/cgroup
CV=$BENCH_DIR/cvbench

OUT=/tmp/guest-bench.out
ERR=/tmp/guest-bench.err
: >"$OUT"
: >"$ERR"

say() { echo "@info $*"; }

# run "ROW..." CMD...: run one measurement (several rows for "multi");
# a row missing from its output becomes a skip line.
run()
{
	_rows=$1
	shift
	_out=$("$@" 2>&1)
	_rc=$?
	printf '%s\n' "$_out" | grep '^@' | tee -a "$OUT"
	printf '%s\n' "$_out" | grep '^cvbench: ' >>"$ERR"
	_why=$(printf '%s\n' "$_out" | grep -v '^@' | tail -n 1 |
		tr -c 'A-Za-z0-9_.:/\n-' '_')
	for _row in $_rows; do
		printf '%s\n' "$_out" | grep -q "^@bench row=$_row " ||
			echo "@bench row=$_row skip=rc${_rc}:${_why:-no_output}" |
			tee -a "$OUT"
	done
	[ "$_rc" -eq 0 ] || [ -z "$_why" ] || say "row_error=$_why"
}

# field LINE KEY: the value of KEY=... in an @bench line.
field()
{
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# judge ROW...: one result line per CPUID row that was measured (a skipped
# row is reported by the "rows not measured" line), then the thread row.
judge()
{
	for _row in "$@"; do
		_l=$(grep "^@bench row=$_row " "$OUT" | tail -n 1)
		case "$_l" in
		"" | *" skip="*) continue ;;
		esac
		if [ "$(field "$_l" answers)" = ok ]; then
			echo "ok - bench $_row: CPUID answers as expected before, during and after timing ($(field "$_l" checks) checks)"
		else
			echo "not ok - bench $_row: CPUID answers differ from the expected ones ($(field "$_l" wrong) of $(field "$_l" checks) checks; answers=$(field "$_l" answers))"
			grep "^cvbench: $_row: " "$ERR" | head -n 6 | sed 's/^/    # /'
		fi
	done
	_l=$(grep "^@bench row=attach_threads " "$OUT" | tail -n 1)
	case "$_l" in
	"" | *" skip="*) return ;;
	esac
	_n=$(field "$_l" threads)
	if [ -n "$_n" ] && [ "$(field "$_l" armed)" = "$_n" ]; then
		echo "ok - bench attach_threads: all $_n threads armed when ATTACH returned (one QUERY each)"
	else
		echo "not ok - bench attach_threads: $(field "$_l" armed) of ${_n:-?} threads armed when ATTACH returned"
	fi
	if [ -n "$_n" ] && [ "$(field "$_l" trapped)" = "$_n" ] && [ "$(field "$_l" wrong)" = 0 ]; then
		echo "ok - bench attach_threads: each thread's CPUID trapped and answered the profile's leaf 7"
	else
		echo "not ok - bench attach_threads: $(field "$_l" trapped) of ${_n:-?} CPUIDs trapped, $(field "$_l" wrong) answers wrong"
		grep "^cvbench: threads: " "$ERR" | head -n 3 | sed 's/^/    # /'
	fi
}

if [ ! -x "$CV" ]; then
	echo "@info error=no_cvbench_in_$BENCH_DIR"
	exit 1
fi

model=$(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -n 1)
flags=$(sed -n 's/^flags[^:]*: *//p' /proc/cpuinfo | head -n 1)
has() { case " $flags " in *" $1 "*) echo 1 ;; *) echo 0 ;; esac; }
echo "@env kernel=$(uname -r) cpu=\"$model\" cpus=$(grep -c ^processor /proc/cpuinfo) mode=${CPU_MODE:-unknown} umip=$(has umip) cpuid_fault=$(has cpuid_fault)"

grep -q cgroup2 /proc/mounts || mount -t cgroup2 none "$CG" ||
	say "error=cannot_mount_cgroup2"

# The dynamic start-up program: a copied coreutils true, else our own.
TRUE=
for t in "$BENCH_DIR/true" "$BENCH_DIR/bench-true"; do
	if [ -x "$t" ] && grep -q ld-linux "$t"; then
		TRUE=$t
		break
	fi
done

# Row 1 references before the module is even loaded. Native CPUID is
# cheap: big batches (r=1024, 4096 CPUIDs) so the cost of switching
# between workers does not count; the unmasked rows below use the same.
# The context-switch reference: a pipe ping-pong between two processes on
# one CPU (two switches per op), before the module is loaded. It and
# getppid() run in cvfree, like their loaded counterparts below.
mkdir -p "$CG/cvfree"
run "native getppid ctxsw_nomod" "$CV" -b "$NB" multi native:cpuid:r=1024 \
	"getppid:getppid:$CG/cvfree" "ctxsw_nomod:pipe:$CG/cvfree:r=64"

# Row 6: context switches (a pair of processes on one CPU bouncing a byte
# over pipes), before the module is loaded; below with the module loaded
# and no profile, then with one. Where the kernel does not switch the
# enable bit for TIF_NOCPUID (AMD CpuidUserDis on 6.1/6.12) the module
# does, in a sched_switch probe registered at load that returns at once
# while no profile exists (docs/module.md, "Who switches the bit").
CTXSW="-r 2 -b $NB"
run ctxsw_nomodule "$CV" $CTXSW ctxsw ctxsw_nomodule:-:-

# The module: the test bed installs it for modprobe; insmod as a fallback.
if [ ! -e /dev/cpuidvirt ]; then
	# --switch-test: the module switches the bit itself (test builds).
	sw=
	[ "${BENCH_SWITCH_TEST:-0}" = 0 ] || sw=test_module_switches=1
	modprobe cpuidvirt $sw 2>/dev/null ||
		for ko in "$BENCH_DIR/cpuidvirt.ko" /opt/cpuidvirt/cpuidvirt.ko \
			/opt/cpuidvirt/$(uname -r)/cpuidvirt.ko; do
			[ -f "$ko" ] && insmod "$ko" $sw && break
		done
fi
mdev -s 2>/dev/null
st=$("$CV" status)
echo "$st"
case "$st" in
*fault_state=3*) "$CV" selftest | grep '^@' ;;
esac
if ! "$CV" status >/dev/null; then
	# Still measure the rows that need no module.
	run "floor_sgdt signal" "$CV" -b "$NB" multi floor_sgdt:sgdt signal:signal
	for r in cpuidvirt cpuidvirt_depth32 startup_native startup_profile \
		cpuidvirt_old cpuidvirt_depth32_old getppid_loaded ctxsw_loaded \
		conc_1 conc_2 conc_4 \
		attach_threads attach_empty cpuidvirt_10k floor_sgdt_10k \
		unmasked_1 unmasked_10k ctxsw_noprofile ctxsw_profile \
		ctxsw_masked ctxsw_mixed; do
		echo "@bench row=$r skip=module_not_verified"
	done
	judge native signal
	echo "not ok - guest-bench: module not loaded or faulting not verified"
	exit 0
fi

run ctxsw_noprofile "$CV" $CTXSW ctxsw ctxsw_noprofile:-:-

# Rows 1, 3 and 4 with one profile, all taking turns batch by batch (the
# host is shared and TCG speed drifts; ratios within one run hold).
mkdir -p "$CG/cvb" "$CG/cvfree"
"$CV" -l bench attach "$CG/cvb" || say "error=attach_failed"
deep=$CG/cvb
for i in $(seq 2 32); do
	deep=$deep/d$i
done
mkdir -p "$deep"
# The _old rows take the path before issue 13 (module parameters set
# before each of their batches: no native-answer cache, an ancestor walk
# per CPUID); every other row sets the new path back.
NEW=p=native_cache=1:p=lookup_cache=1
OLD=p=native_cache=0:p=lookup_cache=0
run "cpuidvirt signal floor_sgdt cpuidvirt_depth32 unmasked_1 cpuidvirt_old cpuidvirt_depth32_old getppid_loaded ctxsw_loaded" \
	"$CV" -b "$NB" multi \
	"cpuidvirt:cpuid:$CG/cvb:kk:m:$NEW" \
	signal:signal \
	floor_sgdt:sgdt \
	"cpuidvirt_depth32:cpuid:$deep:k:m:$NEW" \
	"unmasked_1:cpuid:$CG/cvfree:k:r=1024:$NEW" \
	"cpuidvirt_old:cpuid:$CG/cvb:kk:m:$OLD" \
	"cpuidvirt_depth32_old:cpuid:$deep:k:m:$OLD" \
	"getppid_loaded:getppid:$CG/cvfree:$NEW" \
	"ctxsw_loaded:pipe:$CG/cvfree:r=64:$NEW"

# 1, 2 and 4 threads emulating at once, thread i on CPU i (as many as the
# guest has; a configuration with more threads than CPUs is skipped).
run "conc_1 conc_2 conc_4" "$CV" -b "$NB" conc "$CG/cvb" 1 2 4

# Row 6 with one profile: a pair outside it, a pair inside it (the bit
# stays set), a pair of one inside and one outside (it flips each switch).
run "ctxsw_profile ctxsw_masked ctxsw_mixed" "$CV" $CTXSW ctxsw \
	"ctxsw_profile:$CG/cvfree:$CG/cvfree" \
	"ctxsw_masked:$CG/cvb:$CG/cvb" \
	"ctxsw_mixed:$CG/cvb:$CG/cvfree"

# Row 2: start-up of a dynamic program, outside and inside the profile,
# alternating.
if [ -n "$TRUE" ]; then
	say "startup_prog=$TRUE"
	run "startup_native startup_profile" "$CV" -b "$NSTART" -k startup "$TRUE" \
		"startup_native:$CG/cvfree" "startup_profile:$CG/cvb"
else
	echo "@bench row=startup_native skip=no_dynamic_true" | tee -a "$OUT"
	echo "@bench row=startup_profile skip=no_dynamic_true" | tee -a "$OUT"
fi

# Row 3: ATTACH to a cgroup holding many threads (in a child process, so
# this shell stays where it is).
run attach_threads "$CV" -l attach_threads threads "$CG/cvthr" "$NTHR"

# Row 3: fill up to NPROF attached profiles, then measure again; the floor
# again too, to tell TCG drift from a real change.
have=$("$CV" status | sed -n 's/.* profiles=\([0-9]*\).*/\1/p')
more=$((NPROF - ${have:-0}))
[ "$more" -gt 0 ] || more=0
t0=$(date +%s)
run attach_empty "$CV" -l attach_empty mkprofiles "$CG/cvmany" "$more"
say "mkprofiles=$more seconds=$(($(date +%s) - t0))"
"$CV" status
run "cpuidvirt_10k floor_sgdt_10k unmasked_10k" "$CV" -b "$NB" multi \
	"cpuidvirt_10k:cpuid:$CG/cvb:kk:m:$NEW" \
	floor_sgdt_10k:sgdt \
	"unmasked_10k:cpuid:$CG/cvfree:k:r=1024"

judge native cpuidvirt signal cpuidvirt_depth32 unmasked_1 cpuidvirt_10k unmasked_10k \
	cpuidvirt_old cpuidvirt_depth32_old conc_1 conc_2 conc_4

# One result line for the test bed's init: did every row produce a number?
# Except the signal row where ARCH_SET_CPUID is ENODEV: the kernel did not
# detect faulting itself (AMD, or the module's --switch-test), nobody can.
skipped=$(grep -v ' skip=arch_prctl_ENODEV' /tmp/guest-bench.out 2>/dev/null |
	grep -o '^@bench row=[a-z0-9_]* skip' |
	sed 's/@bench row=//; s/ skip//' | tr '\n' ' ')
if [ -z "$skipped" ]; then
	echo "ok - guest-bench: every row measured"
else
	echo "not ok - guest-bench: rows not measured: $skipped"
fi
exit 0
