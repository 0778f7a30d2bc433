#!/bin/sh
# modes: working
# kernels: 6.1 6.12
# Migration, boot B (tests/vm/migrate.sh, issue 10): restores the migload
# that boot A dumped into cgroup mig, with the criu restore options of the
# disk's file restore-args, criu itself in cgroup mig if the file
# criu-in-cgroup says 1.
#  - variant profile: the lcd profile applies to cgroup mig first; the
#    restored migload ticks on, every sum equal to a fresh computation on
#    B; after SIGUSR1 its first strtod call (lazy binding: glibc's XSAVE
#    trampoline) works and it still ticks.
#  - variant none (the control): no profile. With restore-args naming the
#    "ins" capability, criu must refuse with "CPU instruction capabilities
#    do not match run time"; then, restored without --cpu-cap (criu's
#    default: it reads no cpuinfo.img, so no instruction check; any
#    explicit --cpu-cap but none adds the check to criu's default
#    fpu,ins), migload must die of SIGILL in libc.so.6: the kernel's
#    "migload[PID] trap invalid opcode ... in libc.so.6" line, no tick
#    after the restore.
#  - variant none with the disk's file control saying xsave (the XSAVE
#    direction's control, B's XSAVE area larger than A's): the restore
#    works and migload ticks on with B's checksums, but its first lazy
#    binding writes 64 bytes past the XSAVE area glibc sized at start-up
#    into its caller's frame ("bound strtod=27 smashed 64"). With the
#    profile (its xsavearea) the frame stays intact ("smashed 0").
. /opt/cpuidvirt/lib.sh

M=/tmp/mig
CG=/sys/fs/cgroup/mig

t_check "the transfer disk unpacks" disk_load $M || exit 1
variant=$(cat $M/variant)
rargs=$(cat $M/restore-args)
control=$(cat $M/control)
pid=$(cat $M/pid)
echo "# variant: $variant, control: $control, restore-args: '$rargs', cpu: $CPU_MODEL, A's last tick: $(cat $M/last-tick-A)"
t_check "criu's kernel modules load" criu_setup || exit 1
t_check "cpuidctl load" cpuidctl load || exit 1
mkdir -p $CG
if [ "$variant" = profile ]; then
	t_check "the lcd profile applies to $CG on B" cpuidctl profile apply $M/lcd.profile $CG || exit 1
fi
$BIN/isaprobe.static avx2 | sed 's/^/    # B outside the cgroup: /'
last=$(sed -n 's/^tick \([0-9]*\) .*/\1/p' $M/out | tail -n 1)
dmesg -c >/dev/null

# criu restores cgroup paths relative to its own cgroup, and its CPU
# check sees CPUID as its cgroup presents it: run it in cgroup mig.
in_cg() { sh -c "echo \$\$ >$CG/cgroup.procs && exec \"\$@\"" sh "$@"; }
restore()	# CRIU OPTIONS...: restore rc in $rc; criu's log in restore.log
{
	set -- criu restore -D $M/img -d -o restore.log -v4 "$@"
	[ "$(cat $M/criu-in-cgroup)" = 0 ] || set -- in_cg "$@"
	echo "# $*"
	"$@" >$M/restore.out 2>&1
	rc=$?
	sleep 3
	traps=$(dmesg | grep 'trap invalid opcode')
	alive=0
	kill -0 "$pid" 2>/dev/null && alive=1
	now=$(sed -n 's/^tick \([0-9]*\) .*/\1/p' $M/out | tail -n 1)
	echo "# criu restore exit $rc; migload alive: $alive; ticks: $last before, $now now"
	[ -z "$traps" ] || echo "$traps" | sed 's/^/    # dmesg: /'
	grep -E 'Warn|Error' $M/img/restore.log | grep -v 'util.c:642' | head -n 5 |
		sed 's/^/    # restore.log: /'
}

# The control: criu's own check first, when the options ask for one
# (the image's CPU capabilities, cpuinfo.img); then criu's default.
if [ "$variant" = none ] && [ -n "$rargs" ]; then
	case $control in
	sigill) why='cpu: CPU instruction capabilities do not match run time' ;;
	xsave) why='cpu: CPU xsave size mismatch \(832/2696\)' ;;
	esac
	# shellcheck disable=SC2086 # $rargs is words
	restore $rargs
	t_eq "control: criu restore $rargs refuses (exit 1)" 1 $rc
	t_match "control: criu names the cause" "$why" "$(cat $M/img/restore.log)"
	t_eq "control: no migload after the refused restore" 0 $alive
	rargs=
fi

if [ "$variant" = profile ] || [ "$control" = xsave ]; then
	p=
	[ "$variant" = profile ] || p="control: "
	# shellcheck disable=SC2086 # $rargs is words
	restore $rargs
	if [ $rc != 0 ]; then
		t_fail "${p}criu restore ${rargs:-without --cpu-cap}" "exit status $rc" "$(grep -E 'Error' $M/img/restore.log | tail -n 20)"
		exit 1
	fi
	t_ok "${p}criu restore ${rargs:-without --cpu-cap}"
	t_eq "${p}migload is alive 3 s after the restore" 1 $alive
	t_match "${p}migload is in $CG" '^0::/mig$' "$(cat /proc/$pid/cgroup 2>&1)"
	if [ "$now" -gt "$last" ] 2>/dev/null; then
		t_ok "${p}migload ticks on after the restore ($last -> $now)"
	else
		t_fail "${p}migload ticks on after the restore" "last tick in A: $last, now: $now"
	fi
	bad=0
	n=$((last + 1))
	while [ "$n" -le "$now" ]; do
		got=$(sed -n "s/^tick $n sum \([0-9a-f]*\) .*/\1/p" $M/out)
		want=$($BIN/migload --sum $n)
		[ "$got" = "$want" ] || { bad=$((bad + 1)); echo "    # tick $n: $got, B computes $want"; }
		n=$((n + 1))
	done
	t_eq "${p}every tick after the restore ($((now - last))) has B's checksum" 0 $bad
	t_eq "${p}no process died of an invalid opcode" "" "$traps"
	kill -USR1 "$pid"
	sleep 2
	if [ "$variant" != profile ]; then
		# glibc sized its XSAVE area from A's 832 bytes (0x380 with its
		# 64-byte header); B's XCR0 adds MPX BNDREGS (64 bytes at 960),
		# which its lazy-binding XSAVE (mask 0xee) writes past the area.
		t_match "control: the first strtod call (lazy binding) writes 64 bytes past glibc's XSAVE area into its caller's frame" \
			'^bound strtod=27 smashed 64$' "$(grep '^bound' $M/out)"
		kill -KILL "$pid" 2>/dev/null
		t_done
		exit
	fi
	t_match "after SIGUSR1 the first strtod call (lazy binding) works, its caller's frame intact" \
		'^bound strtod=27 smashed 0$' "$(grep '^bound' $M/out)"
	grep '^cpuid7' $M/out | sed 's/^/    # restored migload: /'
	$BIN/cpuidq 7 0 | sed 's/^/    # B outside the cgroup: cpuid7 /'
	n2=$(sed -n 's/^tick \([0-9]*\) .*/\1/p' $M/out | tail -n 1)
	if kill -0 "$pid" 2>/dev/null && [ "$n2" -gt "$now" ]; then
		t_ok "migload ticks on after the late binding ($now -> $n2)"
	else
		t_fail "migload ticks on after the late binding" "ticks: $now -> $n2" "$(dmesg | tail -n 5)"
	fi
	kill -KILL "$pid" 2>/dev/null
	t_done
	exit
fi

restore
t_eq "control: criu restore without --cpu-cap succeeds (exit 0)" 0 $rc
t_eq "control: migload is dead 3 s after the restore" 0 $alive
t_match "control: migload died of SIGILL (an invalid opcode) in libc.so.6" \
	"migload\\[$pid\\] trap invalid opcode ip:[0-9a-f]* sp:[0-9a-f]* error:0 in libc\\.so\\.6" "$traps"
t_eq "control: no tick after the restore" "$last" "$now"
t_done
