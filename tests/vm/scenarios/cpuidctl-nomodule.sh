#!/bin/sh
# modes: working absent amd-native
# kernels: 6.1 6.12
# flavours: generic rt cloud
# cpuidctl without the module: every command that needs /dev/cpuidvirt
# exits 3 and says "run 'cpuidctl load'"; commands that do not need it
# (help, dump, explain, profile show/lcd) work; usage errors exit 2; bad
# profiles exit 5 with file:line before the module is even looked at.
. /opt/cpuidvirt/lib.sh

CTL=${CPUIDCTL:-cpuidctl}
CG=/sys/fs/cgroup

grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG ||
	t_fail "cgroup2 is mounted at $CG" "mount -t cgroup2 failed"
if [ -e /sys/module/cpuidvirt ]; then
	"$CTL" profile list 2>/dev/null | while read -r cg _; do "$CTL" profile remove "$cg"; done
	rmmod cpuidvirt 2>/dev/null || t_skip_all "cpuidvirt is loaded and cannot be removed"
fi

t_exit "status without module exits 3" 3 $CTL status
t_match "status says not loaded" "^module: not loaded$" "$T_OUT"
t_match "status says how to fix" "the cpuidvirt module is not loaded; run 'cpuidctl load'" "$T_OUT"
t_exit "status --json without module exits 3" 3 $CTL status --json
t_match "status --json: module not loaded" '^    "loaded": false$' "$T_OUT"
t_exit "version without module exits 0" 0 $CTL version
t_match "version: module not loaded" "^module: not loaded$" "$T_OUT"
t_exit "list --json without module exits 3" 3 $CTL profile list --json
t_exit "selftest without module exits 3" 3 $CTL selftest
t_match "selftest: actionable message" "^cpuidctl: the cpuidvirt module is not loaded \\(no /dev/cpuidvirt\\); run 'cpuidctl load'$" "$T_OUT"
t_exit "list without module exits 3" 3 $CTL profile list
mkdir -p $CG/cvt
t_exit "apply without module exits 3" 3 $CTL profile apply x86-64-v2 cvt
t_exit "remove without module exits 3" 3 $CTL profile remove cvt
t_exit "run without module exits 3" 3 $CTL run --profile x86-64-v2 -- true
left=$(find $CG -maxdepth 2 -name 'cpuidctl-run-*' | head -n1)
t_eq "failed run left no cgroup" "" "$left"

printf 'mask avx2\nthis is not a directive\n' > /tmp/bad.profile
t_exit "bad profile exits 5 even without module" 5 $CTL profile apply /tmp/bad.profile cvt
t_match "bad profile message has file:line" "^cpuidctl: /tmp/bad.profile:2: " "$T_OUT"
rmdir $CG/cvt

t_exit "load --path of a missing file exits 1" 1 $CTL load --path /nonexistent/cpuidvirt.ko
t_match "load --path message" "/nonexistent/cpuidvirt.ko" "$T_OUT"

t_exit "--help exits 0" 0 $CTL --help
t_match "--help lists the exit codes" "3  the cpuidvirt module is not loaded" "$T_OUT"
for c in status load selftest dump profile run explain help; do
	t_exit "$c --help exits 0" 0 $CTL $c --help
	t_match "$c --help has a usage line" "^Usage: cpuidctl" "$T_OUT"
done
t_exit "help profile documents the language" 0 $CTL help profile
t_match "help profile names the built-ins" "x86-64-v2" "$T_OUT"
t_exit "no arguments: usage" 2 $CTL
t_exit "unknown command: usage" 2 $CTL bogus
t_exit "dump --cpu needs a number" 2 $CTL dump --cpu x
t_exit "dump --cpu 0" 0 $CTL dump --cpu 0
t_match "dump format is cpuid -1 -r" "^   0x00000000 0x00: eax=0x[0-9a-f]{8} ebx=0x[0-9a-f]{8} ecx=0x[0-9a-f]{8} edx=0x[0-9a-f]{8}$" "$T_OUT"
$CTL dump > /tmp/host.dump
t_exit "profile lcd of one host" 0 $CTL profile lcd /tmp/host.dump
t_exit "profile show --against a dump" 0 $CTL profile show x86-64-v2 --against /tmp/host.dump
t_match "show: avx2 hidden with reason" "^avx2 +yes +- +.+" "$T_OUT"
t_done
