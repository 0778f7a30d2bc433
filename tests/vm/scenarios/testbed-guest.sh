#!/bin/sh
# modes: all
# The guest environment the other scenarios rely on: mounts, glibc's
# runtime, the test programs in all their builds, modules via modprobe,
# cpuidctl and crun, and the helpers' own semantics.
. /opt/cpuidvirt/lib.sh

t_eq "KSERIES matches the running kernel" "$(uname -r | cut -d. -f1-2)" "$KSERIES"
t_match "CPU_MODE is one of the seven behaviours" \
	'^(absent|working|lie-drop|lie-store|amd-native|amd-native-lie-drop|amd-native-lie-store)$' "$CPU_MODE"
for m in /proc /sys /dev /sys/fs/cgroup /tmp; do
	t_check "$m is mounted" mountpoint -q "$m"
done
t_match "cgroup2 on /sys/fs/cgroup" 'cgroup2 /sys/fs/cgroup cgroup2' "$(cat /proc/mounts)"
if grep -qw tracefs /proc/filesystems; then
	t_check "tracefs is mounted" mountpoint -q /sys/kernel/tracing
fi

t_check "ld.so --list-diagnostics works" /lib64/ld-linux-x86-64.so.2 --list-diagnostics
t_match "cpuidq (dynamic) prints registers" '^eax=[0-9a-f]{8} ebx=[0-9a-f]{8} ecx=[0-9a-f]{8} edx=[0-9a-f]{8}$' "$("$BIN"/cpuidq 0)"
t_match "cpuidq.static prints registers" '^eax=' "$("$BIN"/cpuidq.static 0)"
if t_check "cpuidq.m32 (32-bit) is installed" test -x "$BIN/cpuidq.m32"; then
	t_match "cpuidq.m32 (32-bit) prints registers" '^eax=' "$("$BIN"/cpuidq.m32 0)"
fi
case "$CPU_MODEL" in
EPYC*|Opteron*|phenom)
	t_eq "leaf 0 vendor is AuthenticAMD ($CPU_MODEL model)" "ebx=68747541 ecx=444d4163 edx=69746e65" \
		"$("$BIN"/cpuidq 0 | cut -d' ' -f2-)" ;;
*)
	t_eq "leaf 0 vendor is GenuineIntel ($CPU_MODEL model)" "ebx=756e6547 ecx=6c65746e edx=49656e69" \
		"$("$BIN"/cpuidq 0 | cut -d' ' -f2-)" ;;
esac
t_exit "cpuidq without arguments is a usage error" 2 "$BIN"/cpuidq
t_exit "cpuidq --expect-sigsegv exits 0 when CPUID does not fault" 0 "$BIN"/cpuidq 1 --expect-sigsegv

t_check "msr.ko is loaded (modprobe msr)" test -c /dev/cpu/0/msr
t_check "modinfo finds cpuidvirt via depmod" modinfo cpuidvirt
t_check "crun runs" crun --version
t_check "cpuidctl is installed and runs" cpuidctl help

# lib.sh itself: a failing check must report "not ok".
t_match "t_check reports a failing command as not ok" '^not ok - ' "$(T_NAME=x t_check inner false)"
t_match "t_eq reports a mismatch as not ok" '^not ok - ' "$(T_NAME=x t_eq inner a b)"
