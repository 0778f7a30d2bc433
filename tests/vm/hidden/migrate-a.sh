#!/bin/sh
# modes: working
# kernels: 6.1 6.12
# Migration, boot A (tests/vm/migrate.sh, issue 10). The transfer disk
# brings B.txt (the destination's recorded dump), "variant" (profile or
# none), "dump-args" (criu dump options; --cpu-cap=ins makes criu write
# cpuinfo.img, which restore --cpu-cap=ins reads) and "criu-in-cgroup"
# (1: criu dump itself runs in cgroup mig, so cpuinfo.img records the
# CPUID the profile presents). Computes `cpuidctl profile lcd A B`,
# applies it to cgroup mig (variant profile), starts migload there, lets
# it tick, and criu-dumps it with its output file into /tmp/mig, which
# goes back on the disk for B.
. /opt/cpuidvirt/lib.sh

M=/tmp/mig
CG=/sys/fs/cgroup/mig
LDSO=/lib64/ld-linux-x86-64.so.2

t_check "the transfer disk unpacks" disk_load $M || exit 1
variant=$(cat $M/variant)
echo "# variant: $variant, cpu: $CPU_MODEL"
t_check "criu's kernel modules load" criu_setup || exit 1
t_check "cpuidctl load" cpuidctl load || exit 1
cpuidctl dump >$M/A.txt
t_check "profile lcd of A ($CPU_MODEL) and B" \
	sh -c "cpuidctl profile lcd $M/A.txt $M/B.txt >$M/lcd.profile" || exit 1
sed 's/^/    # /' $M/lcd.profile
mkdir -p $CG
if [ "$variant" = profile ]; then
	t_check "the lcd profile applies to $CG" cpuidctl profile apply $M/lcd.profile $CG || exit 1
fi

$BIN/isaprobe.static avx2 | sed 's/^/    # A outside the cgroup: /'
# What glibc and libgcc pick inside the cgroup (evidence for the report).
in_cg() { sh -c "echo \$\$ >$CG/cgroup.procs && exec \"\$@\"" sh "$@"; }
in_cg $LDSO --help | sed -n '/glibc-hwcaps directories/,$p' >$M/A-hwcaps.txt
in_cg $LDSO --list-diagnostics | grep -E 'xsave_state_size|features\[0x1\]\.active\[0x1\]' >$M/A-ldso.txt
sed 's/^/    # A: /' $M/A-hwcaps.txt $M/A-ldso.txt
# With an xsavearea in the profile glibc sizes its lazy-binding XSAVE
# area from it: ALIGN_UP(N + 64, 64) (64: the registers it saves first).
xa=$(sed -n 's/^xsavearea \([0-9]*\).*/\1/p' $M/lcd.profile)
if [ "$variant" = profile ] && [ -n "$xa" ]; then
	t_match "glibc in $CG sizes its XSAVE area from the profile's xsavearea $xa" \
		"xsave_state_size=$(printf '0x%x' $(((xa + 64 + 63) / 64 * 64)))\$" "$(cat $M/A-ldso.txt)"
fi

# criu restores the pid: start far above what boot B's own processes
# use, or B may have it taken ("Can't fork for 223: File exists").
echo 29999 >/proc/sys/kernel/ns_last_pid
# fd 3 is the init's result channel (a serial tty): criu cannot dump it.
setsid sh -c "echo \$\$ >$CG/cgroup.procs && exec $BIN/migload $M/out" \
	</dev/null >/dev/null 2>&1 3>&- &
pid=$!
echo $pid >$M/pid
mkdir -p $M/img
sleep 3
t_match "migload ticks in A" '^tick [0-9]+ sum' "$(tail -n 1 $M/out)"
head -n 2 $M/out | sed 's/^/    # /'
# A has AVX2; under the profile libgcc sees it iff the lcd allows it.
want=1
[ "$variant" != profile ] || grep -q '^allow.* avx2\( \|$\)' $M/lcd.profile || want=0
t_match "libgcc's __builtin_cpu_supports(avx2) is $want in A" "^start pid $pid avx2 $want\$" "$(head -n 1 $M/out)"
t_match "migload runs in $CG" '^0::/mig$' "$(cat /proc/$pid/cgroup)"
dump="criu dump -t $pid -D $M/img -o dump.log -v4 $(cat $M/dump-args 2>/dev/null)"
[ "$(cat $M/criu-in-cgroup)" = 0 ] || dump="in_cg $dump"
# shellcheck disable=SC2086 # $dump is words
if ! t_check "$dump" $dump; then
	grep -E -B3 "Error|Warn" $M/img/dump.log | tail -n 40 | sed 's/^/    # /'
	kill -KILL $pid
	exit 1
fi
tail -n 1 $M/out >$M/last-tick-A
t_check "the images go on the transfer disk" disk_save $M
t_done
