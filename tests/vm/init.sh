#!/bin/sh
# PID 1 of a test guest (installed as /init by tests/vm/mkinitramfs.sh).
# Mounts the usual file systems, runs the substrate self-check for the
# booted CPU behaviour, then every matching scenario in name order, each
# under a timeout; result lines go to the console and to ttyS1 (the
# host's results file). Prints CPUIDVIRT-ALL-PASSED only if every result
# line is "ok" and at least one ran, then powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /sys/fs/cgroup /tmp /run
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
if grep -qw tracefs /proc/filesystems; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
fi
hostname cpuidvirt-guest
ip link set lo up 2>/dev/null

CPU_MODE=unknown KSERIES= KFLAVOUR=generic SCENARIOS= SCENARIO_TIMEOUT=120 SKIP_SUBSTRATE=0
CPU_MODEL= DISK= TCG_THREAD=multi
. /opt/cpuidvirt/boot.conf
KVER=$(uname -r)
BIN=/opt/cpuidvirt/bin
export CPU_MODE KVER KSERIES KFLAVOUR BIN CPU_MODEL DISK TCG_THREAD

if [ -c /dev/ttyS1 ]; then
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	exec 3>/dev/ttyS1
else
	exec 3>/dev/null
fi

passed=0
failed=0
say()	# a result or marker line, to both channels
{
	echo "$1"
	echo "$1" >&3
}

echo "cpuidvirt-guest: kernel $KVER ($KSERIES $KFLAVOUR), cpu $CPU_MODEL, cpu mode $CPU_MODE, $(nproc) cpus"
# KASLR's slide, for run-guest.sh to name a hung guest's RIPs (qmp-watch.py).
echo "cpuidvirt-guest: _text $(awk '$3 == "_text" { print $1; exit }' /proc/kallsyms)"
# The transfer disk (run-guest.sh --disk): wait for it to appear.
if [ -n "$DISK" ]; then
	modprobe virtio_pci
	modprobe virtio_blk
	i=0
	while [ ! -b "$DISK" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -b "$DISK" ] || { say "not ok - init: transfer disk $DISK appears"; failed=$((failed + 1)); }
fi
if ! modprobe msr; then
	say "not ok - init: modprobe msr"
	failed=$((failed + 1))
fi

# skip_declared FILE: whether one of FILE's "# expected-skip: MODE/KERNEL
# REASON" lines (first 10 lines; MODE and KERNEL are shell patterns)
# matches this boot. KERNEL is as in the boot id: 6.12, 6.12-rt, ...
# MODE/KERNEL/MODEL (e.g. working/*/EPYC*) also names the CPU model.
KBOOT=$KSERIES
[ "$KFLAVOUR" = generic ] || KBOOT=$KSERIES-$KFLAVOUR
skip_declared()
{
	head -n 10 "$1" | sed -n 's/^# expected-skip: *//p' >/tmp/expected-skip
	while read -r pat _; do
		case "$CPU_MODE/$KBOOT" in $pat) return 0 ;; esac
		case "$CPU_MODE/$KBOOT/$CPU_MODEL" in $pat) return 0 ;; esac
	done </tmp/expected-skip
	return 1
}

# run_one NAME CMD...: run under the timeout, forward output, count lines.
# $run_file: the scenario file (its "# expected-skip:" lines), or empty.
run_one()
{
	name=$1
	shift
	out=/tmp/out.$name
	start=$(date +%s)
	echo "# --- $name"
	# In its own session, so that whatever it leaves running is killed
	# afterwards and cannot hold the output pipe (and the boot) open.
	{
		T_NAME=$name setsid timeout -s KILL "$SCENARIO_TIMEOUT" "$@" </dev/null 2>&1 &
		pid=$!
		wait $pid
		echo $? >/tmp/rc.$name
		kill -KILL -- -$pid 2>/dev/null
	} | tee "$out"
	rc=$(cat /tmp/rc.$name)
	grep -E '^(not )?ok - |^    # ' "$out" >&3
	n_ok=$(grep -c '^ok - ' "$out")
	n_bad=$(grep -c '^not ok - ' "$out")
	passed=$((passed + n_ok))
	failed=$((failed + n_bad))
	if [ "$rc" != 0 ]; then
		el=$(($(date +%s) - start))
		if [ "$rc" = 137 ] && [ "$el" -ge "$SCENARIO_TIMEOUT" ]; then
			why="killed after the ${SCENARIO_TIMEOUT}s timeout"
		else
			why="exited with status $rc"
		fi
		say "not ok - $name: scenario $why"
		failed=$((failed + 1))
	fi
	# A skip is a failure unless the scenario declares it for this boot:
	# "# skip - " lines fail the run (tests/summary.sh), "# skip (expected)"
	# lines are only listed.
	n_skip=$(grep -c '^# skip - ' "$out")
	declared=0
	if [ "$n_skip" != 0 ] && [ -n "$run_file" ] && skip_declared "$run_file"; then
		declared=1
	fi
	if [ "$rc" = 0 ] && [ $((n_ok + n_bad)) = 0 ] && [ $declared = 0 ]; then
		say "not ok - $name: scenario produced no result lines"
		failed=$((failed + 1))
	fi
	if [ $declared = 1 ]; then
		grep '^# skip - ' "$out" | sed 's/^# skip - /# skip (expected) - /' >&3
	elif [ "$n_skip" != 0 ]; then
		echo "# $name: skipped, and no '# expected-skip:' line matches $CPU_MODE/$KBOOT"
		grep '^# skip - ' "$out" >&3
		failed=$((failed + n_skip))
	fi
	return 0
}

# header FILE KEY: the value of "# KEY: ..." in the first 10 lines.
header()
{
	head -n 10 "$1" | sed -n "s/^# $2: *//p" | head -n 1
}

substrate_ok=1
if [ "$SKIP_SUBSTRATE" != 1 ]; then
	f0=$failed
	run_file=
	run_one substrate "$BIN/substrate" "$CPU_MODE"
	[ "$failed" = "$f0" ] || substrate_ok=0
fi

if [ $substrate_ok = 0 ]; then
	say "not ok - init: substrate self-check failed for mode $CPU_MODE, scenarios not run"
	failed=$((failed + 1))
else
	for s in /opt/cpuidvirt/scenarios/*.sh; do
		[ -x "$s" ] || continue
		name=$(basename "$s" .sh)
		if [ -n "$SCENARIOS" ]; then
			hit=0
			for p in $SCENARIOS; do
				case "$name" in $p) hit=1 ;; esac
			done
			[ $hit = 1 ] || continue
		fi
		modes=$(header "$s" modes)
		kernels=$(header "$s" kernels)
		if [ -z "$modes" ]; then
			say "not ok - $name: no '# modes:' line in its first 10 lines"
			failed=$((failed + 1))
			continue
		fi
		case " $modes " in *" $CPU_MODE "* | *" all "*) ;; *) continue ;; esac
		case " ${kernels:-$KSERIES} " in *" $KSERIES "*) ;; *) continue ;; esac
		flavours=$(header "$s" flavours)
		case " ${flavours:-$KFLAVOUR} " in *" $KFLAVOUR "*) ;; *) continue ;; esac
		run_file=$s
		run_one "$name" sh "$s"
	done
fi

# A kernel warning that did not panic (panic_on_warn covers WARN()).
splat_re='cut here \]|WARNING: CPU: [0-9]+ PID:|WARNING: (possible|suspicious|bad unlock|lock held|held lock|inconsistent|[Nn]ested lock)|\] BUG: |kernel BUG at|Oops: |general protection fault|inconsistent lock state|sleeping function called from invalid context|scheduling while atomic|INFO: task .* blocked for more than|soft lockup|UBSAN:|KASAN:|KFENCE:|detected stalls on CPUs'
if dmesg | grep -Eq "$splat_re"; then
	say "not ok - init: kernel log has no warning or bug"
	dmesg | grep -E -A20 -m1 "$splat_re" | head -n 30 | sed 's/^/    # /' | tee /dev/fd/3
	failed=$((failed + 1))
fi

say "CPUIDVIRT-DONE passed=$passed failed=$failed"
if [ "$failed" = 0 ] && [ "$passed" -gt 0 ]; then
	say "CPUIDVIRT-ALL-PASSED"
fi
sync
poweroff -f
