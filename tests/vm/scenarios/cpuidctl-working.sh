#!/bin/sh
# modes: working amd-native
# kernels: 6.1 6.12
# flavours: generic rt cloud
# cpuidctl end to end on a CPU whose faulting works: load, selftest,
# status, profile apply/list/remove, run, explain; what a program and
# glibc's ld.so see inside and outside a profiled cgroup; exit codes and
# the key messages of the error paths that need a working module.
. /opt/cpuidvirt/lib.sh

CTL=${CPUIDCTL:-cpuidctl}
CG=/sys/fs/cgroup
LDSO=/lib64/ld-linux-x86-64.so.2

grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG ||
	t_fail "cgroup2 is mounted at $CG" "mount -t cgroup2 failed"

# The module: installed for this kernel (modprobe-able), else the .ko the test bed ships.
load_args=
if [ -z "$(find /lib/modules/"$KVER" -name 'cpuidvirt.ko*' 2>/dev/null | head -n1)" ]; then
	ko=$(find /opt/cpuidvirt -name 'cpuidvirt.ko' 2>/dev/null | head -n1)
	[ -n "$ko" ] && load_args="--path $ko"
fi

# reg LEAF SUBLEAF REG: one register (hex, no 0x) as cpuidq prints it.
reg()
{
	"$BIN/cpuidq" "$1" "$2" | sed -n "s/.*$3=\([0-9a-f]*\).*/\1/p"
}

bit()
{
	echo $(( (0x$1 >> $2) & 1 ))
}

# --- load, selftest, status ------------------------------------------------
# shellcheck disable=SC2086
t_exit "load exits 0" 0 $CTL load $load_args
t_match "load reports verified faulting" "verified" "$T_OUT"
t_exit "load again is not an error" 0 $CTL load $load_args

t_exit "selftest exits 0" 0 $CTL selftest
t_match "selftest: cpu 0 trapped" "^cpu 0: CPUID trapped$" "$T_OUT"
ncpu=$(grep -c '^processor' /proc/cpuinfo)
t_eq "selftest: one line per online CPU" "$ncpu" "$(printf '%s\n' "$T_OUT" | grep -c '^cpu [0-9]*: CPUID trapped$')"
t_match "selftest verdict" "^verdict: verified \\($ncpu of $ncpu CPUs trapped\\)" "$T_OUT"

t_exit "status exits 0" 0 $CTL status
t_match "status: module loaded" "^module: loaded, version .*, ABI 1$" "$T_OUT"
t_match "status: faulting verified" "^faulting: verified" "$T_OUT"
t_exit "version exits 0" 0 $CTL version
t_match "version: the module's version and ABI" "^module: [0-9][^ ]*, ABI 1$" "$T_OUT"
t_exit "status --json exits 0" 0 $CTL status --json
t_match "status --json: schema" '^  "schema": "cpuidctl.status/1",$' "$T_OUT"
t_match "status --json: module loaded" '^    "loaded": true,$' "$T_OUT"
t_match "status --json: ABI" '^    "abi": 1$' "$T_OUT"
t_match "status --json: faulting state" '^    "state": "verified",$' "$T_OUT"
t_match "status --json: the profiles array" '^  "profiles": \[$' "$T_OUT"
t_match "status --json: the real-CPUID counter" '^    "real_cpuids": [0-9]+$' "$T_OUT"

# --- apply x86-64-v2, compare inside and outside ---------------------------
rmdir $CG/cvt 2>/dev/null
mkdir $CG/cvt
t_exit "apply x86-64-v2 exits 0" 0 $CTL profile apply x86-64-v2 cvt
t_match "apply names profile and cgroup" "^applied profile x86-64-v2 \\([0-9]+ rules\\) to $CG/cvt$" "$T_OUT"

t_exit "list exits 0" 0 $CTL profile list
t_match "list shows $CG/cvt" "^$CG/cvt x86-64-v2 rules=[0-9]+ emulated=0$" "$T_OUT"
t_exit "list --json exits 0" 0 $CTL profile list --json
t_match "list --json: schema" '^  "schema": "cpuidctl.list/1",$' "$T_OUT"
t_match "list --json: the cgroup's absolute path" "^      \"cgroup\": \"$CG/cvt\",$" "$T_OUT"
t_match "list --json: its id" "^      \"cgroup_id\": $(stat -c %i $CG/cvt),$" "$T_OUT"
t_match "list --json: profile name" '^      "profile": "x86-64-v2",$' "$T_OUT"
t_match "list --json: no leaf clamp" '^      "max_basic_leaf": null,$' "$T_OUT"

# Names with blanks and backslashes stay one field, escaped as \xHH.
sp="$CG/sp a$(printf '\t')b\\c"
mkdir "$sp"
t_exit "apply to a cgroup named with a space, tab and backslash" 0 $CTL profile apply x86-64-v2 "$sp"
t_exit "list with that cgroup" 0 $CTL profile list
t_match "list escapes it as \\xHH" "^$CG/sp\\\\x20a\\\\x09b\\\\x5cc x86-64-v2 rules=[0-9]+ emulated=0\$" "$T_OUT"
esc=$(printf '%s\n' "$T_OUT" | sed -n 's/^\([^ ]*\/sp[^ ]*\) .*/\1/p')
t_eq "printf %b decodes the listed name" "$sp" "$(printf '%b' "$esc")"
t_exit "status with that cgroup" 0 $CTL status
t_match "status escapes it too" "^  $CG/sp\\\\x20a\\\\x09b\\\\x5cc\$" "$T_OUT"
t_exit "apply takes the escaped name back as listed" 0 $CTL profile apply x86-64-v3 "$esc"
t_eq "apply names the decoded cgroup" "$sp" "$(printf '%s\n' "$T_OUT" | sed -n 's/^applied profile x86-64-v3 ([0-9]* rules) to //p')"
t_exit "list --json with that cgroup" 0 $CTL profile list --json
t_match "list --json: the name in JSON escapes" '^      "cgroup": "/sys/fs/cgroup/sp a\\tb\\\\c",$' "$T_OUT"
t_exit "remove it by its decoded name" 0 $CTL profile remove "$(printf '%b' "$esc")"
rmdir "$sp"

out7=$(reg 7 0 ebx)
in7=$(in_cg $CG/cvt "$BIN/cpuidq" 7 0 | sed -n 's/.*ebx=\([0-9a-f]*\).*/\1/p')
out1=$(reg 1 0 ecx)
in1=$(in_cg $CG/cvt "$BIN/cpuidq" 1 0 | sed -n 's/.*ecx=\([0-9a-f]*\).*/\1/p')
if [ "$(bit "$out7" 5)" = 1 ]; then
	t_ok "outside: avx2 (7.0.ebx bit 5) is set"
else
	t_fail "outside: avx2 (7.0.ebx bit 5) is set" "guest CPU lacks AVX2: this scenario needs a CPU above x86-64-v2" "ebx=$out7"
fi
t_eq "inside: avx2 is clear" 0 "$(bit "$in7" 5)"
t_eq "inside: avx (1.ecx bit 28) is clear" 0 "$(bit "$in1" 28)"
t_eq "inside: fma (1.ecx bit 12) is clear" 0 "$(bit "$in1" 12)"
t_eq "inside: sse4_2 (1.ecx bit 20) stays" "$(bit "$out1" 20)" "$(bit "$in1" 20)"
t_eq "inside: popcnt (1.ecx bit 23) stays" 1 "$(bit "$in1" 23)"

# glibc's own view: ld.so --list-diagnostics and the glibc-hwcaps lines.
diag_out=$($LDSO --list-diagnostics | grep '^x86.cpu_features.features\[0x1\].cpuid\[0x1\]=')
diag_in=$(in_cg $CG/cvt $LDSO --list-diagnostics | grep '^x86.cpu_features.features\[0x1\].cpuid\[0x1\]=')
t_eq "ld.so diagnostics outside: leaf 7 ebx as cpuidq sees it" \
	"x86.cpu_features.features[0x1].cpuid[0x1]=0x$(printf '%x' 0x"$out7")" "$diag_out"
t_eq "ld.so diagnostics inside: leaf 7 ebx as cpuidq sees it" \
	"x86.cpu_features.features[0x1].cpuid[0x1]=0x$(printf '%x' 0x"$in7")" "$diag_in"
t_match "ld.so --help outside: x86-64-v3 supported" "x86-64-v3 \\(supported" "$($LDSO --help)"
hw_in=$(in_cg $CG/cvt $LDSO --help)
t_match "ld.so --help inside: x86-64-v2 supported" "x86-64-v2 \\(supported" "$hw_in"
if printf '%s\n' "$hw_in" | grep -q 'x86-64-v3 (supported'; then
	t_fail "ld.so --help inside: x86-64-v3 not supported" "$hw_in"
else
	t_ok "ld.so --help inside: x86-64-v3 not supported"
fi

# Descendants inherit, counters move.
mkdir -p $CG/cvt/child
inc=$(in_cg $CG/cvt/child "$BIN/cpuidq" 7 0 | sed -n 's/.*ebx=\([0-9a-f]*\).*/\1/p')
t_eq "child cgroup inherits the profile" 0 "$(bit "$inc" 5)"
rmdir $CG/cvt/child
t_exit "status after use" 0 $CTL status
t_match "status lists $CG/cvt" "^  $CG/cvt$" "$T_OUT"
t_match "status: profile counter moved" "emulated: [1-9][0-9]* CPUIDs" "$T_OUT"
t_match "status: global counter moved" "^counters: emulated [1-9]" "$T_OUT"
t_match "status: the real-CPUID counter" "^counters: emulated .*, real_cpuids [0-9]+\$" "$T_OUT"
t_exit "refresh" 0 $CTL refresh
t_eq "refresh: what it did" "every CPU re-reads its CPUID on its next emulation" "$T_OUT"

# --- explain ----------------------------------------------------------------
t_exit "explain avx2 --profile x86-64-v2" 0 $CTL explain avx2 --profile x86-64-v2
t_match "explain: location" "^cpuid: leaf 0x7 subleaf 0 ebx bit 5$" "$T_OUT"
t_match "explain: requires avx" "^requires: avx$" "$T_OUT"
t_match "explain: host has it" "^this host: has it$" "$T_OUT"
t_match "explain: profile hides it" "^profile x86-64-v2: hides it" "$T_OUT"
t_exit "explain sse2 --profile x86-64-v2" 0 $CTL explain sse2 --profile x86-64-v2
t_match "explain: profile shows sse2" "^profile x86-64-v2: shows it$" "$T_OUT"
t_exit "explain unknown feature: usage error" 2 $CTL explain avx3
t_match "explain unknown: did you mean" "unknown feature 'avx3' \\(did you mean 'avx2'\\?\\)" "$T_OUT"

# --- replace / no-replace / remove -----------------------------------------
t_exit "apply --no-replace on a profiled cgroup fails" 1 $CTL profile apply --no-replace x86-64-v1 cvt
t_match "--no-replace message" "cgroup $CG/cvt already has a profile" "$T_OUT"
t_exit "apply replaces by default" 0 $CTL profile apply x86-64-v3 cvt
in7=$(in_cg $CG/cvt "$BIN/cpuidq" 7 0 | sed -n 's/.*ebx=\([0-9a-f]*\).*/\1/p')
t_eq "after replace with x86-64-v3: avx2 visible" 1 "$(bit "$in7" 5)"
t_exit "seed mask syntax accepted" 0 $CTL profile apply 'avx2,hle,rtm' cvt
in7=$(in_cg $CG/cvt "$BIN/cpuidq" 7 0 | sed -n 's/.*ebx=\([0-9a-f]*\).*/\1/p')
t_eq "seed mask hides avx2" 0 "$(bit "$in7" 5)"
t_exit "remove exits 0" 0 $CTL profile remove cvt
t_match "remove message" "^removed the profile of $CG/cvt$" "$T_OUT"
in7=$(in_cg $CG/cvt "$BIN/cpuidq" 7 0 | sed -n 's/.*ebx=\([0-9a-f]*\).*/\1/p')
t_eq "after remove: real CPU again" "$out7" "$in7"
t_exit "list after remove" 0 $CTL profile list
t_eq "list is empty" "" "$T_OUT"
t_exit "remove again: no profile" 1 $CTL profile remove cvt
t_match "remove again message" "cgroup $CG/cvt has no profile" "$T_OUT"
rmdir $CG/cvt

# --- run -----------------------------------------------------------------------
t_exit "run: cpuidq under x86-64-v2" 0 $CTL run --profile x86-64-v2 -- "$BIN/cpuidq" 7 0
rin=$(printf '%s\n' "$T_OUT" | sed -n 's/.*ebx=\([0-9a-f]*\).*/\1/p')
t_match "run: cpuidq printed leaf 7 ebx" '^[0-9a-f]{8}$' "$rin"
t_eq "run: avx2 hidden" 0 "$(bit "${rin:-20}" 5)"
t_exit "run: ld.so sees x86-64-v2" 0 $CTL run --profile x86-64-v2 -- $LDSO --help
t_match "run: x86-64-v2 supported" "x86-64-v2 \\(supported" "$T_OUT"
if printf '%s\n' "$T_OUT" | grep -q 'x86-64-v3 (supported'; then
	t_fail "run: x86-64-v3 not supported" "$T_OUT"
else
	t_ok "run: x86-64-v3 not supported"
fi
# Ctrl-C at a terminal: the terminal signals the foreground process group,
# which the command shares with cpuidctl; run must not add its own copy.
# cvpty holds cpuidctl stopped until the command took the terminal's
# SIGINT, so a forwarded one is not merged into it (tests/guest/cvpty.c).
pty_out=$("$BIN/cvpty" $CTL run --profile x86-64-v2 -- "$BIN/cvpty" --count 2>&1)
t_match "run at a terminal: Ctrl-C reaches the command once" "^sigint=1$" "$pty_out"
t_match "run at a terminal: the command exits 0" "^command: exit 0$" "$pty_out"
t_exit "run propagates the exit status" 7 $CTL run --profile x86-64-v2 -- sh -c 'exit 7'
t_exit "run: 128+signal when killed" 137 $CTL run --profile x86-64-v2 -- sh -c 'kill -9 $$'
t_exit "run: command not found is 127" 127 $CTL run --profile x86-64-v2 -- /nonexistent/cmd
t_exit "run: children are masked too" 0 $CTL run --profile x86-64-v2 -- sh -c '"$0" 7 0' "$BIN/cpuidq"
rin=$(printf '%s\n' "$T_OUT" | sed -n 's/.*ebx=\([0-9a-f]*\).*/\1/p')
t_match "run: the child printed leaf 7 ebx" '^[0-9a-f]{8}$' "$rin"
t_eq "run: child process sees avx2 hidden" 0 "$(bit "${rin:-20}" 5)"
t_exit "list after run" 0 $CTL profile list
t_eq "run cleaned up its profile" "" "$T_OUT"
left=$(find $CG -maxdepth 2 -name 'cpuidctl-run-*' | head -n1)
t_eq "run cleaned up its cgroup" "" "$left"
mkdir -p $CG/runparent
t_exit "run --cgroup-parent" 0 $CTL run --profile x86-64-v2 --cgroup-parent runparent -- cat /proc/self/cgroup
t_match "run --cgroup-parent: transient cgroup under it" "^0::/runparent/cpuidctl-run-[0-9]+$" "$T_OUT"
rmdir $CG/runparent
# A profile outlives its cgroup's directory until removed by id.
mkdir $CG/gone
$CTL profile apply x86-64-v2 gone >/dev/null
set -- $(ls -di $CG/gone)
gone_id=$1
rmdir $CG/gone
t_exit "list with a removed cgroup" 0 $CTL profile list
t_match "list shows the removed cgroup by id" "^id:$gone_id x86-64-v2 rules=" "$T_OUT"
t_exit "status with a removed cgroup" 0 $CTL status
t_match "status names the removed cgroup" "^  id:$gone_id \\(removed cgroup\\)$" "$T_OUT"
t_exit "remove --id" 0 $CTL profile remove --id "$gone_id"
t_exit "remove --id again: no profile" 1 $CTL profile remove --id "$gone_id"
t_match "remove --id again message" "cgroup id:$gone_id has no profile" "$T_OUT"

# run: SIGTERM is forwarded, and cleanup still happens.
$CTL run --profile x86-64-v2 -- sleep 60 >/dev/null 2>&1 &
rpid=$!
i=0
while [ $i -lt 100 ]; do
	d=$(find $CG -maxdepth 2 -name 'cpuidctl-run-*' | head -n1)
	[ -n "$d" ] && grep -q . "$d/cgroup.procs" && break
	sleep 0.1
	i=$((i + 1))
done
kill -TERM $rpid
wait $rpid
t_eq "run forwards SIGTERM (exit 128+15)" 143 $?
t_eq "run after SIGTERM removed its cgroup" "" "$(find $CG -maxdepth 2 -name 'cpuidctl-run-*')"

# run: a command that leaves a process behind keeps cgroup and profile.
t_exit "run with a leftover process" 0 $CTL run --profile x86-64-v2 -- sh -c 'sleep 60 >/dev/null 2>&1 & exit 0'
t_match "run warns about the leftover process" "warning: .*cpuidctl-run-[0-9]+ still has processes; it keeps its profile" "$T_OUT"
d=$(find $CG -maxdepth 2 -name 'cpuidctl-run-*' | head -n1)
t_match "the leftover cgroup is still profiled" "^$d x86-64-v2 " "$($CTL profile list)"
if [ -n "$d" ]; then
	kill $(cat "$d/cgroup.procs") 2>/dev/null
	$CTL profile remove "$d" >/dev/null
	i=0
	while ! rmdir "$d" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
fi
t_exit "run without --profile: usage" 2 $CTL run -- true
t_exit "run without command: usage" 2 $CTL run --profile x86-64-v2

# --- CGROUP paths: whatever list, status and apply print is taken back ------
# (issue 12, bug 1). Printed: the full path under the cgroup2 mount; the
# form older versions printed (/NAME) is still taken when unambiguous.
mkdir -p $CG/rt/child
for form in list status apply old; do
	$CTL profile apply x86-64-v2 rt/child >/tmp/rt.apply 2>&1
	case $form in
	list) p=$($CTL profile list | sed -n 's/^\([^ ]*rt[^ ]*\) x86-64-v2 .*/\1/p') ;;
	status) p=$($CTL status | sed -n 's/^  \(.*rt\/child\)$/\1/p') ;;
	apply) p=$(sed -n 's/^applied profile x86-64-v2 ([0-9]* rules) to //p' /tmp/rt.apply) ;;
	old) p=/rt/child ;;
	esac
	[ "$form" = old ] || t_eq "$form prints the full path" "$CG/rt/child" "$p"
	t_exit "remove takes back the path $form printed" 0 $CTL profile remove "$p"
	t_match "remove names the full path ($form)" "^removed the profile of $CG/rt/child$" "$T_OUT"
done
t_exit "a missing /NAME: exit 1" 1 $CTL profile remove /rt/nope
t_match "a missing /NAME: both places named, no 'mkdir /rt/nope'" \
	"^cpuidctl: cgroup /rt/nope: no such cgroup: neither /rt/nope nor $CG/rt/nope exists \\(cgroups are directories under the cgroup2 mount $CG\\)$" "$T_OUT"
# A removed cgroup is listed as id:N; remove takes that too.
$CTL profile apply x86-64-v2 rt/child >/dev/null
set -- $(ls -di $CG/rt/child)
rt_id=$1
rmdir $CG/rt/child
t_match "list names the removed cgroup id:$rt_id" "^id:$rt_id x86-64-v2 " "$($CTL profile list)"
t_exit "remove id:N as listed" 0 $CTL profile remove "id:$rt_id"
t_match "remove id:N message" "^removed the profile of id:$rt_id$" "$T_OUT"
t_exit "apply to id:N of a removed cgroup: exit 1" 1 $CTL profile apply x86-64-v2 "id:$rt_id"
t_match "apply to id:N: says it was removed" "^cpuidctl: cgroup id:$rt_id: no directory under $CG has that id" "$T_OUT"
rmdir $CG/rt

# The root cgroup, however spelt, is refused unless --force (bug 2).
for root in . / $CG $CG/ $CG/./; do
	t_exit "apply to the root cgroup '$root' is refused (exit 1)" 1 $CTL profile apply x86-64-v2 "$root"
	t_match "root '$root': the message says why and how" \
		"^cpuidctl: cgroup $CG is the root cgroup: a profile there masks every process of the machine; refusing \\(give --force to do it anyway\\)$" "$T_OUT"
done
t_exit "nothing was attached to the root" 0 $CTL profile list
t_eq "list is empty after the refusals" "" "$T_OUT"
# 'host' masks nothing: the forced root attach changes no CPUID answer.
t_exit "apply --force host . attaches to the root" 0 $CTL profile apply --force host .
t_match "apply --force: applied to the mount" "^applied profile host \\(0 rules\\) to $CG$" "$T_OUT"
t_match "list shows the root by its full path" "^$CG host rules=0 " "$($CTL profile list)"
t_exit "remove the root's profile by the path list printed" 0 $CTL profile remove "$CG"

# --- error paths with a working module -----------------------------------------
t_exit "apply to a missing cgroup" 1 $CTL profile apply x86-64-v2 does-not-exist
t_match "missing cgroup message" "^cpuidctl: cgroup $CG/does-not-exist: No such file or directory \\(create it with 'mkdir $CG/does-not-exist', or check the name\\)$" "$T_OUT"

mkdir -p /mnt/v1
if mount -t cgroup -o none,name=cvtest cgroup /mnt/v1 2>/dev/null; then
	t_exit "apply to a cgroup v1 hierarchy" 1 $CTL profile apply x86-64-v2 /mnt/v1
	t_match "cgroup v1 message" "cgroup /mnt/v1: a cgroup v1 hierarchy: cpuidvirt needs cgroup v2" "$T_OUT"
	umount /mnt/v1
else
	t_fail "mount a cgroup v1 hierarchy for the v1 test" "mount -t cgroup -o none,name=cvtest failed"
fi
t_exit "apply to a non-cgroup directory" 1 $CTL profile apply x86-64-v2 /tmp
t_match "non-cgroup message" "cgroup /tmp: not a cgroup v2 directory" "$T_OUT"

printf '# a bad profile\nbaseline x86-64-v2\nmask no-such-feature\n' > /tmp/bad.profile
mkdir -p $CG/cvt
t_exit "bad profile exits 5" 5 $CTL profile apply /tmp/bad.profile cvt
t_match "bad profile message has file:line" "^cpuidctl: /tmp/bad.profile:3: " "$T_OUT"
t_exit "bad profile with run exits 5" 5 $CTL run --profile /tmp/bad.profile -- true
t_exit "list after failed applies" 0 $CTL profile list
t_eq "nothing was attached" "" "$T_OUT"
rmdir $CG/cvt

# The module loaded but its device node gone (no devtmpfs): exit 3 and a
# message without strerror's "No such file or directory", which podman
# takes for its own command missing (exit 127) when a hook prints it.
devno=$(cat /sys/class/misc/cpuidvirt/dev)
rm -f /dev/cpuidvirt
t_exit "loaded, no device node: status exits 3" 3 $CTL status
t_match "loaded, no device node: the message says so" \
	"^cpuidctl: /dev/cpuidvirt: ENOENT: the module is loaded but its device node is missing or unbound \(is devtmpfs mounted on /dev\?\)\$" "$T_OUT"
t_check "loaded, no device node: no strerror text" sh -c "! echo '$T_OUT' | grep -qi 'no such file'"
# The same node made by hand outlives the module: then it is "not loaded".
t_check "device node made by hand" mknod -m 600 /dev/cpuidvirt c "${devno%:*}" "${devno#*:}"
t_exit "status exits 0 through it" 0 $CTL status
t_check "module unloads" rmmod cpuidvirt
t_exit "unloaded, stale device node: status exits 3" 3 $CTL status
t_match "unloaded, stale device node: the module is not loaded" \
	"^cpuidctl: the cpuidvirt module is not loaded \(/dev/cpuidvirt is a stale node\); run 'cpuidctl load'\$" "$T_OUT"
# devtmpfs makes its own node again at the next load.
rm -f /dev/cpuidvirt
t_exit "load again (devtmpfs node, selftest)" 0 $CTL load $load_args
t_eq "devtmpfs node back, mode 600" "600" "$(stat -c %a /dev/cpuidvirt 2>&1)"

t_exit "unknown subcommand: usage" 2 $CTL frobnicate
t_exit "profile apply with one argument: usage" 2 $CTL profile apply x86-64-v2

t_done
