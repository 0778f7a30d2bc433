#!/bin/bash
# run-guest.sh --kernel KERNEL --mode MODE
#              [--scenario GLOB]... [--cmd 'SHELL COMMAND']... [--hidden NAME]...
#              [--timeout SECS] [--scenario-timeout SECS] [--accel tcg|kvm|auto]
#              [--no-substrate] [--quiet] [--tag TAG] [--results DIR]
#              [--cpu MODEL] [--cpu-flags LIST] [--smp N] [--disk FILE]
#              [--file PATH]... [--env NAME=VALUE]... [--criu] [--podman]
#
# One test guest boot. Builds what is missing (patched QEMU, kernel, module
# for that kernel, cpuidctl, test programs, initramfs), boots with
#   -cpu Skylake-Client-v4,cpuid-fault=MODE   (--cpu changes the model)
# and judges the run: result lines go to build/results/vm-KERNEL-MODE.tap,
# the console to build/logs/KERNEL-MODE.log. Exit 0 iff nothing failed.
#
#   --kernel KERNEL   6.1, 6.12 (Debian's generic kernels), 6.1-rt, 6.12-rt
#                     (PREEMPT_RT), 6.1-cloud, 6.12-cloud, or 6.12-debug
#                     (lockdep, KASAN, UBSAN, KFENCE; built from source by
#                     tests/vm/build-debug-kernel.sh); see scripts/kvers.sh
#   --mode MODE       the CPU's CPUID faulting (docs/testbed.md): absent,
#                     working, lie-drop, lie-store (any model), or AMD's
#                     own amd-native, amd-native-lie-drop,
#                     amd-native-lie-store (an AMD model: --cpu EPYC-Milan)
#
#   --scenario GLOB   only scenarios whose name (without .sh) matches; may
#                     be repeated. Default: all, filtered by their
#                     "# modes:"/"# kernels:" headers.
#   --cmd CMD         instead of scenarios, run CMD (sh -c) as one check
#                     each; ok iff it exits 0. Output is shown.
#   --hidden NAME     also run tests/vm/hidden/NAME.sh (test-only
#                     scenarios that the default run leaves out).
#   --tag TAG         result/log name suffix (default: none); lets several
#                     runs of one kernel/mode keep separate results.
#   --results DIR     where the .tap goes (default build/results, which
#                     tests/summary.sh counts; the test bed's self-test
#                     keeps its deliberately failing boots elsewhere).
#   --cpu MODEL       QEMU CPU model instead of Skylake-Client-v4, e.g.
#                     SandyBridge, Westmere, EPYC (TCG only: --accel auto
#                     then boots TCG, --accel kvm is refused); the guest
#                     sees it as CPU_MODEL. `qemu-system-x86_64 -cpu help`
#                     of the test bed's QEMU lists the models. The AMD
#                     boots of make check use EPYC-Milan with --tag epyc.
#   --disk FILE       attach FILE (raw, created by the caller) as a virtio
#                     disk, the guest's /dev/vda (DISK=/dev/vda), for
#                     passing files from one boot to the next: lib.sh's
#                     disk_save DIR / disk_load DIR write and read it as
#                     a tar archive, which the host reads with tar too.
#   --cpu-flags LIST  appended to -cpu (TCG and KVM), e.g. +umip (make
#                     bench's floor row); the guest sees CPU_MODEL alone.
#   --smp N           vCPUs (default 2; make bench boots 4).
#   --file PATH       an extra executable for the guest, copied beside
#                     the scenarios (/opt/cpuidvirt/scenarios/); a *.sh
#                     file is a scenario there like any other (make
#                     bench: guest-bench.sh, cvbench, true).
#   --env NAME=VALUE  one more line of the boot configuration
#                     (/opt/cpuidvirt/boot.conf, which init.sh and
#                     scenarios may source), e.g. make bench's sizes.
#   --criu            put Debian's criu in the initramfs
#                     (tests/vm/fetch-criu.sh).
#   --podman          put Debian's podman and conmon in the initramfs
#                     (tests/vm/fetch-podman.sh), configured for the guest
#                     (tests/vm/podman/), with the hooks.d files of
#                     `make install`.
#
# Environment: CPUIDVIRT_QEMU_CPU_FAULT=MODE boots QEMU with that
# cpuid-fault value while the guest still expects --mode (used to prove
# that a CPU without working faulting makes the self-check fail).
# CPUIDVIRT_TCG_THREAD=single|multi picks QEMU's -accel tcg,thread=
# (docs/testbed.md, "Cross-modifying code under multi-threaded TCG").
# Beside QEMU, tests/vm/qmp-watch.py wakes a guest that suspended itself
# to RAM, and 10 s before the timeout records the vCPUs of a hung guest
# and sends it an NMI for a backtrace (docs/testbed.md, "Diagnostics of a
# failed boot").
# A kernel that dies before the guest's init starts is booted once more
# (a "# retried - " line says so); CPUIDVIRT_NO_RETRY=1 turns that off, and
# CPUIDVIRT_TEST_NO_INIT=1 (test bed self-test) makes such a kernel. So is
# a boot whose firmware ran away resuming from suspend to RAM;
# CPUIDVIRT_TEST_RESUME_STUCK=1 (self-test) makes qmp-watch.py fake one.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/tests/vm
. "$vm/kernel-report-re.sh"
series= mode= timeout= stimeout= accel=auto quiet=0 nosub=0 tag=
cpu=Skylake-Client-v4 cpuflags= smp=2 disk= criu= podman=
results=$top/build/results
scen=() cmds=() hidden=() files=() envs=()
usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	-h|--help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	--no-substrate|--quiet|--criu|--podman) ;;
	-*) if [ $# -lt 2 ]; then
		echo "run-guest: $1 needs a value" >&2
		usage
	fi ;;
	esac
	case "$1" in
	--kernel) series=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--scenario) scen+=("$2"); shift 2 ;;
	--cmd) cmds+=("$2"); shift 2 ;;
	--hidden) hidden+=("$2"); shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--scenario-timeout) stimeout=$2; shift 2 ;;
	--accel) accel=$2; shift 2 ;;
	--tag) tag=-$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	--no-substrate) nosub=1; shift ;;
	--cpu) cpu=$2; shift 2 ;;
	--cpu-flags) cpuflags=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--disk) disk=$2; shift 2 ;;
	--file) files+=("$2"); shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	--criu) criu=--criu; shift ;;
	--podman) podman=--podman; shift ;;
	--quiet) quiet=1; shift ;;
	*) echo "run-guest: unknown argument '$1'" >&2; usage ;;
	esac
done
tcg_thread=${CPUIDVIRT_TCG_THREAD:-}
case "$tcg_thread" in
"" | single | multi) ;;
*) echo "run-guest: CPUIDVIRT_TCG_THREAD=$tcg_thread: expected single or multi" >&2; exit 2 ;;
esac
case "$series" in 6.1|6.12|6.1-rt|6.12-rt|6.1-cloud|6.12-cloud|6.12-debug) ;;
*) echo "run-guest: --kernel must be one of 6.1 6.12 6.1-rt 6.12-rt 6.1-cloud 6.12-cloud 6.12-debug" >&2; usage ;; esac
case "$mode" in absent|working|lie-drop|lie-store) ;;
amd-native|amd-native-lie-drop|amd-native-lie-store)
	case "$cpu" in EPYC*|Opteron*|phenom) ;;
	*) echo "run-guest: --mode $mode needs an AMD CPU model (--cpu EPYC-Milan), not $cpu" >&2; usage ;; esac ;;
*) echo "run-guest: --mode must be absent, working, lie-drop, lie-store, amd-native, amd-native-lie-drop or amd-native-lie-store" >&2; usage ;; esac
case "$accel" in tcg|kvm|auto) ;; *) echo "run-guest: --accel must be tcg, kvm or auto" >&2; usage ;; esac
for n in "${timeout:-1}" "${stimeout:-1}"; do
	case "$n" in ''|*[!0-9]*) echo "run-guest: timeouts are whole seconds, not '$n'" >&2; usage ;; esac
done
case "$smp" in ''|0|*[!0-9]*) echo "run-guest: --smp takes a number of vCPUs, not '$smp'" >&2; usage ;; esac
for f in "${files[@]}"; do
	[ -f "$f" ] && [ -x "$f" ] ||
		{ echo "run-guest: --file $f: not an executable file (only executables are copied)" >&2; usage; }
done
for e in "${envs[@]}"; do
	case "$e" in [A-Za-z_]*=*) ;; *) echo "run-guest: --env takes NAME=VALUE, not '$e'" >&2; usage ;; esac
	case "${e%%=*}" in *[!A-Za-z0-9_]*) echo "run-guest: --env $e: NAME is letters, digits and _" >&2; usage ;; esac
done
# Default wall clock: boot + every scenario's timeout would be too long to
# wait for a hang; 10 minutes covers the whole suite under TCG. The debug
# kernel (KASAN, lockdep) runs everything several times slower.
case "$series" in
*-debug) timeout=${timeout:-4800} stimeout=${stimeout:-1500} ;;
*) timeout=${timeout:-600} stimeout=${stimeout:-120} ;;
esac

name=$series-$mode$tag
logs=$top/build/logs
work=$top/.cache/boot/$name
mkdir -p "$results" "$logs" "$work"
tap=$results/vm-$name.tap
log=$logs/$name.log

note() { [ $quiet = 1 ] || echo "run-guest[$name]: $*" >&2; }
# Two runs of the same kernel/mode/tag would share files: take turns.
exec 8>"$work.lock"
if ! flock -n 8; then
	note "another run of $name is in progress, waiting for it"
	flock 8
fi
rm -f "$tap" "$log" "$log.first"
# A failure before the guest boots is still a result line.
die() {
	echo "not ok - boot-$name: $*" | tee -a "$tap"
	exit 1
}

kver=$("$top/scripts/kvers.sh" "$series") || die "cannot resolve the $series kernel"
qemu=$("$vm/build-qemu.sh") || die "QEMU build failed (see the messages of tests/vm/build-qemu.sh)"
kroot=$("$vm/fetch-kernel.sh" "$series") || die "cannot fetch the $series kernel"

ko=
rm -f "$work/cpuidvirt.ko"
if "$vm/build-modules.sh" --quiet --cached --ko-out "$work/cpuidvirt.ko" "$series" \
	>"$work/module-build.log" 2>&1; then
	ko=$work/cpuidvirt.ko
else
	note "module build for $kver failed, booting without cpuidvirt.ko:"
	tail -n 15 "$work/module-build.log" | sed 's/^/    /' >&2
fi
if [ -f "$top/tools/cpuidctl/Makefile" ]; then
	flock "$top/.cache/cpuidctl-build.lock" make -s -C "$top/tools/cpuidctl" >"$work/cpuidctl-build.log" 2>&1 ||
		{ note "cpuidctl build failed, see $work/cpuidctl-build.log"; tail -n 15 "$work/cpuidctl-build.log" >&2; }
fi
"$vm/build-guest-bins.sh" --out "$work/bin" || note "some test programs failed to build (see above)"

# Boot configuration and extra scenarios for this run only.
conf=$work/boot.conf
extra=()
{
	echo "CPU_MODE=$mode"
	echo "KSERIES=${series%%-*}"
	echo "KFLAVOUR=$(case "$series" in *-*) echo "${series#*-}" ;; *) echo generic ;; esac)"
	echo "SCENARIO_TIMEOUT=$stimeout"
	echo "SKIP_SUBSTRATE=$nosub"
	echo "TCG_THREAD=${tcg_thread:-multi}"
	echo "CPU_MODEL=$cpu"
	[ -z "$disk" ] || echo "DISK=/dev/vda"
	for e in "${envs[@]}"; do
		v=$(printf '%s' "${e#*=}" | sed "s/'/'\\\\''/g")
		echo "${e%%=*}='$v'"
	done
	if [ ${#cmds[@]} -gt 0 ]; then
		echo "SCENARIOS='zz-cmd'"
	elif [ ${#scen[@]} -gt 0 ] || [ ${#hidden[@]} -gt 0 ]; then
		s="${scen[*]:-}"
		for h in "${hidden[@]}"; do s="$s $h"; done
		echo "SCENARIOS='$s'"
	fi
} >"$conf"
for h in "${hidden[@]}"; do
	[ -f "$vm/hidden/$h.sh" ] || die "no hidden scenario tests/vm/hidden/$h.sh"
	extra+=(--scenario-file "$vm/hidden/$h.sh")
	# A hidden scenario may come with its own test module (NAME-module/).
	if [ -f "$vm/hidden/$h-module/Kbuild" ]; then
		md=$top/.cache/build/hidden-$h-$kver
		rm -rf "$md" && mkdir -p "$md" && cp -a "$vm/hidden/$h-module/." "$md/"
		kdir=/lib/modules/$kver/build
		[ -d "$kdir" ] || kdir=$kroot/lib/modules/$kver/build
		make -C "$kdir" M="$md" modules >"$md/build.log" 2>&1 ||
			die "test module $h-module failed to build (log: $md/build.log)"
		for m in "$md"/*.ko; do extra+=(--extra-module "$m"); done
	fi
done
if [ ${#cmds[@]} -gt 0 ]; then
	cs=$work/zz-cmd.sh
	{
		echo '#!/bin/sh'
		echo '# modes: all'
		echo '. /opt/cpuidvirt/lib.sh'
		for c in "${cmds[@]}"; do
			q=$(printf '%s' "$c" | sed "s/'/'\\\\''/g")
			echo "echo '\$ $q'; sh -c '$q'; rc=\$?"
			echo "if [ \$rc = 0 ]; then t_ok '$q'; else t_fail '$q' \"exit status \$rc\"; fi"
		done
	} >"$cs"
	chmod +x "$cs"
	extra+=(--scenario-file "$cs")
fi
for f in "${files[@]}"; do extra+=(--scenario-file "$f"); done
initrd=$work/initramfs.cpio
"$vm/mkinitramfs.sh" --kernel "$series" --kroot "$kroot" --bins "$work/bin" --conf "$conf" --out "$initrd" \
	${ko:+--module "$ko"} $criu $podman ${disk:+--disk} "${extra[@]}" || die "initramfs build failed"

# KVM only when a probe boot proved it (tests/vm/kvm-probe.sh); the lying
# and absent CPUs exist only in the patched TCG.
use_kvm=0
if [ "$mode" = working ]; then
	if [ "$accel" = kvm ]; then
		use_kvm=1
	elif [ "$accel" = auto ] && [ "$cpu" = Skylake-Client-v4 ] &&
		[ "$(cat "$top/.cache/kvm-probe/result" 2>/dev/null)" = kvm ]; then
		use_kvm=1
	fi
fi
fault=${CPUIDVIRT_QEMU_CPU_FAULT:-$mode}
[ "$fault" = "$mode" ] || note "QEMU CPU behaviour overridden: cpuid-fault=$fault (guest expects $mode)"
if [ $use_kvm = 1 ]; then
	accel_args=(-enable-kvm -cpu "host${cpuflags:+,$cpuflags}")
else
	accel_args=(-accel "tcg${tcg_thread:+,thread=$tcg_thread}" -cpu "$cpu,cpuid-fault=$fault${cpuflags:+,$cpuflags}")
fi
[ $use_kvm = 0 ] || [ "$cpu" = Skylake-Client-v4 ] || die "--cpu $cpu needs TCG: drop --accel kvm"
disk_args=()
if [ -n "$disk" ]; then
	[ -f "$disk" ] || die "--disk $disk: no such file"
	disk_args=(-drive "file=$disk,format=raw,if=none,id=xfer"
		-device virtio-blk-pci,drive=xfer,serial=cpuidvirt-xfer)
fi

# no_console_suspend: a hang in a suspend or resume (module-resume) still
# reaches the console log. unknown_nmi_panic: qmp-watch.py's NMI to a
# guest hung until the timeout yields a backtrace.
append="console=ttyS0 panic_on_warn=1 oops=panic panic=-1 softlockup_panic=1 no_console_suspend unknown_nmi_panic"
# Test bed self-test only: a kernel that cannot start the guest's init.
[ -z "${CPUIDVIRT_TEST_NO_INIT:-}" ] || append="$append rdinit=/cpuidvirt-no-such-init"
resfile=$work/results.raw
note "booting $kver, cpu $cpu${cpuflags:+,$cpuflags}, $smp vCPUs, cpu mode $mode ($([ $use_kvm = 1 ] && echo KVM || echo TCG)), timeout ${timeout}s"
# The host's longest pause during a boot, in ms: under TCG the guest's
# clock follows the host's, so a host that stops for 20 s (an overloaded
# or descheduled CI machine) looks to the guest like a CPU stuck that long
# (a soft lockup, an RCU stall). Printed under a failed boot's reasons.
watch_host_pauses()	# FILE: the longest gap seen by a 1 s sleep, in ms
{
	local last now max=0
	last=$(date +%s%3N)
	# Ends with this script, however it ends ($$ is the script's PID).
	while sleep 1 && kill -0 $$ 2>/dev/null; do
		now=$(date +%s%3N)
		(( now - last - 1000 > max )) && max=$((now - last - 1000)) && echo $max >"$1"
		last=$now
	done
}
pausefile=$work/host-pause
# QEMU's QMP socket, for qmp-watch.py: it wakes a guest that suspended
# itself to RAM, and records a hung guest's vCPUs before the timeout.
qsock=$(mktemp -u /tmp/cpuidvirt-qmp.XXXXXX)
qmpout=$work/qmp-watch
smap=$kroot/boot/System.map-$kver
[ -f "$smap" ] || smap=$kroot/../src/System.map

# A kernel that dies before the guest's init starts (no "cpuidvirt-guest:"
# line) ran neither the module nor a scenario: under QEMU 7.2's
# multi-threaded TCG the kernel's own boot-time code patching now and then
# executes a stale int3 ("Oops: int3" in sched_clock_cpu) or hangs
# (docs/testbed.md, "Cross-modifying code under multi-threaded TCG"). The
# same stale int3 later (the kernel patching a static branch, e.g. for a
# ptrace breakpoint's perf event) is told by the int3 missing from memory
# (stale-int3.sh), and retried only if no check had failed. Such a boot
# is run once more, and the result says so ("# retried - ", listed by
# tests/summary.sh); a second death, or any other failure, is the verdict.
attempt=1 retried=
while :; do
	rm -f "$resfile"
	echo 0 >"$pausefile"
	watch_host_pauses "$pausefile" &
	watcher=$!
	t0=$(date +%s)
	rm -f "$qmpout" "$qsock"
	CONSOLE_LOG=$log "$vm/qmp-watch.py" "$qsock" "$qmpout" $((t0 + timeout - 10)) "$smap" \
		2>"$qmpout.err" &
	qwatcher=$!
	qemu_cmd=("$qemu" -L /usr/share/seabios -L /usr/share/qemu -nodefaults
		-display none -no-reboot -machine pc "${accel_args[@]}" -smp "$smp" -m 1024
		-kernel "$kroot/boot/vmlinuz-$kver" -initrd "$initrd" -append "$append"
		-serial stdio -serial "file:$resfile" "${disk_args[@]}"
		-qmp "unix:$qsock,server=on,wait=off")
	if [ $quiet = 1 ]; then
		timeout -k 5 "$timeout" "${qemu_cmd[@]}" </dev/null >"$log" 2>&1
	else
		timeout -k 5 "$timeout" "${qemu_cmd[@]}" </dev/null 2>&1 | tee "$log"
	fi
	qrc=${PIPESTATUS[0]}
	el=$(($(date +%s) - t0))
	kill $watcher 2>/dev/null
	wait $watcher 2>/dev/null
	# QEMU gone: the QMP watcher sees its socket close.
	timeout 10 tail -s 0.1 --pid=$qwatcher -f /dev/null || kill $qwatcher 2>/dev/null
	wait $qwatcher 2>/dev/null
	rm -f "$qsock"
	wakes=$(grep -c '^woke ' "$qmpout" 2>/dev/null)
	pause_ms=$(cat "$pausefile" 2>/dev/null || echo 0)
	tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"

	# Verdict. Guest results first, then the host's view of the boot.
	# "# skip" lines stay: tests/summary.sh fails on a skip not declared expected.
	tr -d '\r' <"$resfile" 2>/dev/null | grep -E '^(not )?ok - |^    # |^# skip ' >"$tap"
	problems=()
	# Kernel reports (kernel-report-re.sh).
	splat=$(grep -E -m3 "$splat_re" "$log")
	timed_out=0 nmi=0 marker=0
	[ "$qrc" = 124 ] || [ "$qrc" = 137 ] && timed_out=1
	grep -q '^nmi$' "$qmpout" 2>/dev/null && nmi=1
	grep -q '^CPUIDVIRT-ALL-PASSED' "$resfile" 2>/dev/null && marker=1
	[ $timed_out = 0 ] || problems+=("wall-clock timeout after ${timeout}s")
	[ $nmi = 0 ] || problems+=("hung until $((timeout - 10))s: the host sent an NMI for a backtrace")
	# The firmware's S3 resume running away (docs/testbed.md, "Suspend to
	# RAM"): still in it 30 s after a wake (qmp-watch.py), or QEMU gone
	# (a triple fault) before the kernel said it was back.
	stuck=$(sed -n 's/^resume-stuck //p' "$qmpout" 2>/dev/null)
	resumed=$(grep -c 'ACPI: PM: Low-level resume complete' "$log")
	if [ -n "$stuck" ]; then
		problems=("not back in the kernel ${stuck}s after the host woke it from suspend to RAM: paging off, the firmware's resume ran away (QEMU quit)" "${problems[@]}")
	elif [ "${wakes:-0}" -gt "$resumed" ] && [ $timed_out = 0 ] && [ $nmi = 0 ] &&
		[ -z "$splat" ] && [ $marker = 0 ]; then
		stuck="exit"
		problems=("QEMU stopped after the host woke the guest from suspend to RAM and before the kernel resumed (${wakes} wakes, ${resumed} 'Low-level resume complete'): the firmware's resume failed" "${problems[@]}")
	fi
	[ $marker = 1 ] || problems+=("no CPUIDVIRT-ALL-PASSED marker from the guest")
	[ -z "$splat" ] || problems+=("kernel log: $(echo "$splat" | head -n1)")
	woken=
	[ "${wakes:-0}" = 0 ] || woken=" (woken from suspend to RAM by the host ${wakes}x)"
	if [ ${#problems[@]} = 0 ]; then
		echo "ok - boot-$name: clean boot, marker reached in ${el}s$woken" >>"$tap"
	else
		msg=$(printf '%s; ' "${problems[@]}")
		echo "not ok - boot-$name: ${msg%; }" >>"$tap"
		{
			# Enough for a report's RIP and the start of its call trace;
			# after an NMI's, the trace of the task it interrupted too.
			ctx=24
			[ $nmi = 0 ] || ctx=40
			[ -z "$splat" ] || grep -E -A$ctx -m1 "$splat_re" "$log" | sed 's/^/    # /'
			# No report (a hang): where the console stopped, and the vCPUs.
			if [ -z "$splat" ]; then
				echo "    # the console log's last lines:"
				grep -v '^$' "$log" | tail -n 12 | sed 's/^/    #   /'
			fi
			sed -n 's/^state /    # qemu: run state: /p
				s/^cpu \([0-9]*\) paging off (\(.*\))/    # qemu: vCPU \1 paging off (\2)/p
				s/^cpu \([0-9]*\) \([0-9a-f]*\) \(.*\)/    # qemu: vCPU \1 RIP \2 \3/p' \
				"$qmpout" 2>/dev/null
			[ -z "$woken" ] || echo "    # host: woke the guest from suspend to RAM ${wakes}x"
			[ ! -s "$qmpout.err" ] || sed 's/^/    # host: /' "$qmpout.err"
			echo "    # host: longest pause during the boot ${pause_ms} ms (a 1 s sleep's overshoot)"
			echo "    # console log: $log"
		} >>"$tap"
	fi
	why=
	if [ ${#problems[@]} != 0 ] && [ $attempt = 1 ] && [ "${CPUIDVIRT_NO_RETRY:-0}" = 0 ]; then
		if ! grep -q '^cpuidvirt-guest: ' "$log"; then
			why="the first boot died in the kernel before the guest's init started"
		elif ! grep '^not ok - ' "$tap" | grep -vq "^not ok - boot-$name: "; then
			# Only the boot failed: on an int3 memory does not hold, or in
			# the firmware's resume.
			if int3=$("$vm/stale-int3.sh" "$log"); then
				why="the first boot ran an int3 that is not in memory, QEMU's stale translation ($int3)"
			elif [ -n "$stuck" ]; then
				why="the first boot's firmware ran away resuming from suspend to RAM (QEMU 7.2, multi-threaded TCG, SeaBIOS)"
			fi
		fi
	fi
	if [ -n "$why" ]; then
		retried=${splat:+$(echo "$splat" | head -n1)}
		retried="$why (${retried:-${problems[0]}}; console log: $log.first)"
		mv "$log" "$log.first"
		note "$why: booting once more"
		attempt=2
		continue
	fi
	break
done
[ -z "$retried" ] || echo "# retried - boot-$name: $retried" >>"$tap"
np=$(grep -c '^ok - ' "$tap")
nf=$(grep -c '^not ok - ' "$tap")
if [ $quiet = 0 ]; then
	echo "=== results $name ($tap) ==="
	cat "$tap"
elif [ "$nf" != 0 ]; then
	awk '/^not ok /{p=1; print; next} /^    #/{if (p) print; next} {p=0}' "$tap" | head -n 60
fi
if [ $quiet = 0 ] || [ "$nf" != 0 ]; then
	echo "$name: $np passed, $nf failed (console log: $log)"
fi
[ "$nf" = 0 ]
