#!/bin/bash
# run-bench.sh [--kernels "6.1 6.12"] [--profiles N] [--threads N]
#              [--batches N] [--starts N] [--accel tcg|kvm|auto]
#              [--timeout SECS] [--smp N] [--cpu MODEL --mode MODE]
#              [--switch-test]
#
# --cpu/--mode: another TCG CPU model and CPUID faulting mode (e.g. --cpu
# EPYC-Milan --mode amd-native for AMD CpuidUserDis); --switch-test: the
# module loaded with test_module_switches=1 (test builds), so that the
# context-switch rows measure the module's own sched_switch probe
# (module/switch.c) on the default Intel CPU.
#
# `make bench`: boot the test-bed guest once per kernel with CPUID faulting
# "working", run tests/bench/guest-bench.sh in it, and print the table
# (tests/bench/format.awk) that docs/bench.md records. Logs, the guest's
# @bench lines and the table go to build/bench/.
#
# The guest is the test bed's own, booted by tests/vm/run-guest.sh (one
# boot path): guest-bench.sh and the programs go in with --file, the sizes
# with --env, -cpu gets "+umip" (--cpu-flags: the floor row needs UMIP,
# which QEMU TCG emulates), -smp 4 (--smp), and the guest's "@" lines come
# back on a transfer disk (--disk) rather than from the console, where
# kernel messages may cut into them.
#
# A benchmark: it never fails on a number. It fails (exit 1) when a check
# fails or does not report: a CPUID row answered other than expected
# (native, or native with the bench profile applied, checked before, during
# and after timing), a thread was not armed when ATTACH returned, the guest
# printed any "not ok" line or did not finish, or no guest produced a table.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/tests/vm
out=$top/build/bench
kernels="6.1 6.12" profiles=10000 threads=1000 batches=500 starts=100 accel=auto
timeout=2400 smp=4 cpu= mode=working switch_test=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kernels) kernels=$2; shift 2 ;;
	--profiles) profiles=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--batches) batches=$2; shift 2 ;;
	--starts) starts=$2; shift 2 ;;
	--accel) accel=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--cpu) cpu=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--switch-test) switch_test=1; shift ;;
	-h|--help) sed -n '2,5p' "$0" | sed 's/^# //' >&2; exit 2 ;;
	*) echo "run-bench: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
case "$accel" in tcg|kvm|auto) ;; *) echo "run-bench: --accel must be tcg, kvm or auto" >&2; exit 2 ;; esac

log() { echo "run-bench: $*" >&2; }
mkdir -p "$out/bin"

# The bench programs: cvbench static (no loader CPUIDs of its own in the
# rows), the start-up program dynamic. coreutils' true is the real thing;
# bench-true is the fallback if it is missing.
CC=${CC:-gcc}
$CC -O2 -g -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -isystem "$top/uapi" \
	-static -pthread -o "$out/bin/cvbench" "$top/tests/bench/cvbench.c" ||
	{ log "cvbench does not build"; exit 1; }
$CC -O2 -o "$out/bin/bench-true" "$top/tests/bench/bench-true.c" ||
	{ log "bench-true does not build"; exit 1; }
rm -f "$out/bin/true"
if [ -x /usr/bin/true ] && ldd /usr/bin/true >/dev/null 2>&1; then
	cp /usr/bin/true "$out/bin/true"
fi

# The accelerator as run-guest.sh picks it (--accel auto: KVM only when
# tests/vm/kvm-probe.sh proved it), resolved here for the table's labels.
use_kvm=0
if [ "$accel" = kvm ] ||
	{ [ "$accel" = auto ] && [ "$(cat "$top/.cache/kvm-probe/result" 2>/dev/null)" = kvm ]; }; then
	use_kvm=1
fi
if [ $use_kvm = 1 ]; then
	accel_name=kvm qemu_cpu=host,+umip
else
	accel_name=tcg qemu_cpu=${cpu:-Skylake-Client-v4},+umip
fi

logs=()
for series in $kernels; do
	rm -f "$out/$series.results" "$out/$series.log" "$out/$series.console"
	xfer=$out/$series.xfer
	rm -rf "$xfer" "$xfer.img" && mkdir -p "$xfer"
	# An empty transfer disk: all zeros reads as an empty archive.
	truncate -s 16M "$xfer.img"
	files=(--file "$top/tests/bench/guest-bench.sh")
	for f in cvbench bench-true true; do
		[ -x "$out/bin/$f" ] && files+=(--file "$out/bin/$f")
	done
	log "booting $series ($accel_name, -cpu $qemu_cpu, -smp $smp) with tests/vm/run-guest.sh, up to ${timeout}s"
	t0=$(date +%s)
	load0=$(cut -d' ' -f1 /proc/loadavg)
	"$vm/run-guest.sh" --kernel "$series" --mode "$mode" ${cpu:+--cpu "$cpu"} --tag bench --quiet \
		--results "$out" --accel "$accel_name" --cpu-flags +umip --smp "$smp" \
		--timeout "$timeout" --scenario-timeout $((timeout - 60)) \
		--scenario guest-bench --disk "$xfer.img" "${files[@]}" \
		--env "BENCH_PROFILES=$profiles" --env "BENCH_THREADS=$threads" \
		--env "BENCH_BATCHES=$batches" --env "BENCH_STARTS=$starts" \
		--env "BENCH_SWITCH_TEST=$switch_test"
	rgrc=$?
	name=$series-$mode-bench
	cp "$out/vm-$name.tap" "$out/$series.results" 2>/dev/null
	cp "$top/build/logs/$name.log" "$out/$series.console" 2>/dev/null
	tar -C "$xfer" -xf "$xfer.img" 2>/dev/null
	if [ -s "$xfer/guest-bench.lines" ]; then
		cp "$xfer/guest-bench.lines" "$out/$series.log"
	else
		log "$series: no @ lines on the transfer disk $xfer.img"
		: >"$out/$series.log"
	fi
	# The host is shared: its load says how much to trust the numbers.
	secs=$(sed -n 's/^ok - boot-.*marker reached in \([0-9]*\)s$/\1/p' "$out/$series.results" 2>/dev/null)
	echo "@host load_start=$load0 load_end=$(cut -d' ' -f1 /proc/loadavg) host_cpus=$(nproc) seconds=${secs:-$(($(date +%s) - t0))} date=$(date -u +%Y-%m-%dT%H:%MZ)" >>"$out/$series.log"
	log "$series: guest finished in $(($(date +%s) - t0))s (run-guest.sh status $rgrc), $(grep -c '^@bench' "$out/$series.log") rows"
	echo "$rgrc" >"$out/$series.rc"
	logs+=("$out/$series.log")
done

[ ${#logs[@]} -gt 0 ] || { log "no guest ran"; exit 1; }
awk -f "$top/tests/bench/format.awk" -v accel="$accel_name" -v qemu_cpu="$qemu_cpu" \
	"${logs[@]}" >"$out/table.md" || exit 1
cat "$out/table.md"
echo
echo "(table: $out/table.md; raw lines: ${logs[*]})"

# The checks, per kernel: run-guest.sh's verdict (the guest finished,
# printed no "not ok", no kernel splat) and the answer and arming checks
# reported (numbers are never judged).
failed=0
for series in $kernels; do
	res=$out/$series.results
	bad=()
	if [ ! -s "$res" ]; then
		bad+=("no results from the guest")
	else
		[ "$(cat "$out/$series.rc" 2>/dev/null)" = 0 ] ||
			bad+=("tests/vm/run-guest.sh failed")
		nf=$(grep -a -c '^not ok - ' "$res")
		[ "$nf" = 0 ] || bad+=("$nf failed check(s)")
		for want in 'ok - bench native: ' 'ok - bench cpuidvirt: ' 'ok - bench signal: ' \
			'ok - bench unmasked_1: ' 'ok - bench attach_threads: all ' 'ok - boot-'; do
			grep -a -q "^$want" "$res" || bad+=("no '${want% }' line")
		done
	fi
	if [ ${#bad[@]} -gt 0 ]; then
		failed=1
		log "$series: FAILED: $(printf '%s; ' "${bad[@]}")(results: $res, console: $out/$series.console)"
		grep -a -A6 '^not ok - ' "$res" 2>/dev/null | grep -a -E '^(not ok - |    # )' | sed 's/^/    /' >&2
	else
		log "$series: checks passed: $(grep -a -c '^ok - ' "$res") ok lines (answers, arming, boot)"
	fi
done
exit $failed
