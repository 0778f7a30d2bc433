#!/bin/bash
# run-bench.sh [--kernels "6.1 6.12"] [--profiles N] [--threads N]
#              [--batches N] [--starts N] [--accel tcg|kvm|auto]
#              [--timeout SECS] [--smp N]
#
# `make bench`: boot the test-bed guest once per kernel with CPUID faulting
# "working", run tests/bench/guest-bench.sh in it, and print the table
# (tests/bench/format.awk) that docs/bench.md records. Logs, the guest's
# @bench lines and the table go to build/bench/.
#
# The guest is the test bed's own (tests/vm/mkinitramfs.sh + init.sh, the
# bench script and programs passed as extra scenario files), but the QEMU
# command line is ours: the floor row needs UMIP, which the test bed's
# "-cpu Skylake-Client-v4" lacks, so we add "+umip" (QEMU TCG emulates it).
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
timeout=2400 smp=4
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
	-h|--help) sed -n '2,3p' "$0" | sed 's/^# //' >&2; exit 2 ;;
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

qemu=$("$vm/build-qemu.sh") || { log "QEMU build failed"; exit 1; }
"$vm/build-guest-bins.sh" >/dev/null 2>&1 || log "some test programs failed to build (not ours; going on)"

use_kvm=0
if [ "$accel" = kvm ] ||
	{ [ "$accel" = auto ] && [ "$(cat "$top/.cache/kvm-probe/result" 2>/dev/null)" = kvm ]; }; then
	use_kvm=1
fi
if [ $use_kvm = 1 ]; then
	accel_name=kvm qemu_cpu=host
	accel_args=(-enable-kvm -cpu host)
else
	accel_name=tcg qemu_cpu=Skylake-Client-v4,+umip
	accel_args=(-accel tcg -cpu "Skylake-Client-v4,cpuid-fault=working,+umip")
fi

logs=()
for series in $kernels; do
	rm -f "$out/$series.results" "$out/$series.log"
	kver=$("$top/scripts/kvers.sh" "$series") || exit 1
	kroot=$("$vm/fetch-kernel.sh" "$series") || { log "cannot fetch the $series kernel"; continue; }

	# Our own module build directory: the test bed rebuilds its own
	# concurrently and starts with rm -rf.
	ko=
	mdir=$out/module-$kver
	if [ -f "$top/Kbuild" ] && [ -d "$top/module" ]; then
		rm -rf "$mdir"
		mkdir -p "$mdir"
		cp -a "$top/Kbuild" "$top/module" "$top/uapi" "$mdir/"
		if make -C "/lib/modules/$kver/build" M="$mdir" modules >"$mdir/build.log" 2>&1; then
			ko=$mdir/cpuidvirt.ko
		else
			log "module build for $kver failed (see $mdir/build.log); module rows will be skipped"
		fi
	else
		log "no module sources yet; module rows will be skipped"
	fi

	conf=$out/$series.boot.conf
	cat >"$conf" <<-EOF
	CPU_MODE=working
	KSERIES=$series
	SCENARIO_TIMEOUT=$((timeout - 60))
	SKIP_SUBSTRATE=0
	SCENARIOS='guest-bench'
	BENCH_PROFILES=$profiles
	BENCH_THREADS=$threads
	BENCH_BATCHES=$batches
	BENCH_STARTS=$starts
	EOF
	extra=(--scenario-file "$top/tests/bench/guest-bench.sh")
	for f in cvbench bench-true true; do
		[ -x "$out/bin/$f" ] && extra+=(--scenario-file "$out/bin/$f")
	done
	initrd=$out/$series.cpio
	# Other runs rebuild .cache/guest-bin (rm + mv) at any time: retry.
	built=0
	for try in 1 2 3; do
		[ -x "$top/.cache/guest-bin/substrate" ] ||
			"$vm/build-guest-bins.sh" >/dev/null 2>&1
		[ -x "$top/.cache/guest-bin/substrate" ] || { sleep 5; continue; }
		if "$vm/mkinitramfs.sh" --kernel "$series" --conf "$conf" --out "$initrd" \
			${ko:+--module "$ko"} "${extra[@]}"; then
			built=1
			break
		fi
		sleep 5
	done
	[ $built = 1 ] || { log "initramfs build failed"; continue; }

	# Again per boot: a QEMU rebuild by another run removes older builds.
	qemu=$("$vm/build-qemu.sh") || { log "QEMU build failed"; continue; }
	console=$out/$series.console
	log "booting $kver ($accel_name, -cpu $qemu_cpu), up to ${timeout}s; console: $console"
	t0=$(date +%s)
	load0=$(cut -d' ' -f1 /proc/loadavg)
	timeout -k 5 "$timeout" "$qemu" -L /usr/share/seabios -L /usr/share/qemu \
		-nodefaults -display none -no-reboot -machine pc "${accel_args[@]}" \
		-smp "$smp" -m 1024 -kernel "$kroot/boot/vmlinuz-$kver" -initrd "$initrd" \
		-append "console=ttyS0 loglevel=3 panic_on_warn=1 oops=panic panic=-1" \
		-serial stdio -serial "file:$out/$series.results" \
		</dev/null >"$console" 2>&1
	qrc=$?
	tr -d '\r' <"$console" | grep -a '^@' >"$out/$series.log"
	# The host is shared: its load says how much to trust the numbers.
	echo "@host load_start=$load0 load_end=$(cut -d' ' -f1 /proc/loadavg) host_cpus=$(nproc) seconds=$(($(date +%s) - t0)) date=$(date -u +%Y-%m-%dT%H:%MZ)" >>"$out/$series.log"
	log "$series: guest finished in $(($(date +%s) - t0))s (qemu status $qrc), $(grep -c '^@bench' "$out/$series.log") rows"
	grep -a -E '^(not )?ok - ' "$out/$series.results" 2>/dev/null | grep -v '^ok - ' | sed 's/^/    /' >&2
	logs+=("$out/$series.log")
done

[ ${#logs[@]} -gt 0 ] || { log "no guest ran"; exit 1; }
awk -f "$top/tests/bench/format.awk" -v accel="$accel_name" -v qemu_cpu="$qemu_cpu" \
	"${logs[@]}" >"$out/table.md" || exit 1
cat "$out/table.md"
echo
echo "(table: $out/table.md; raw lines: ${logs[*]})"

# The checks, per kernel: the guest finished, reported the answer and
# arming checks, and printed no "not ok" (numbers are never judged).
failed=0
for series in $kernels; do
	res=$out/$series.results
	bad=()
	if [ ! -s "$res" ]; then
		bad+=("no results from the guest")
	else
		tr -d '\r' <"$res" | grep -a -q '^CPUIDVIRT-DONE' ||
			bad+=("the guest did not finish (no CPUIDVIRT-DONE)")
		nf=$(tr -d '\r' <"$res" | grep -a -c '^not ok - ')
		[ "$nf" = 0 ] || bad+=("$nf failed check(s)")
		for want in 'ok - bench native: ' 'ok - bench cpuidvirt: ' 'ok - bench signal: ' \
			'ok - bench unmasked_1: ' 'ok - bench attach_threads: all '; do
			tr -d '\r' <"$res" | grep -a -q "^$want" || bad+=("no '${want% }' line")
		done
	fi
	if [ ${#bad[@]} -gt 0 ]; then
		failed=1
		log "$series: FAILED: $(printf '%s; ' "${bad[@]}")(results: $res)"
		tr -d '\r' <"$res" 2>/dev/null | grep -a -A6 '^not ok - ' | grep -a -E '^(not ok - |    # )' | sed 's/^/    /' >&2
	else
		log "$series: checks passed: $(tr -d '\r' <"$res" | grep -a -c '^ok - ') ok lines (answers, arming)"
	fi
done
exit $failed
