# shellcheck shell=sh
# Test helpers for VM scenarios. Installed in the guest as
# /opt/cpuidvirt/lib.sh; every scenario sources it:
#
#	#!/bin/sh
#	# modes: working lie-store
#	# kernels: 6.1 6.12
#	# flavours: generic rt cloud	(optional; default every flavour)
#	. /opt/cpuidvirt/lib.sh
#	t_check "module loads" modprobe cpuidvirt
#
# Every check prints exactly one TAP-like line, "ok - <scenario>: DESC" or
# "not ok - <scenario>: DESC", followed on failure by indented diagnostics.
# The guest init turns a scenario's non-zero exit status into one more
# "not ok" line, so a scenario that dies half-way never looks green.
#
# Environment (set by the guest init, defaults for running by hand):
#	CPU_MODE	absent | working | lie-drop | lie-store
#	KVER		uname -r of the guest kernel
#	KSERIES		6.1 or 6.12
#	KFLAVOUR	generic, rt, cloud or debug
#	BIN		/opt/cpuidvirt/bin (test programs: NAME, NAME.static, NAME.m32)
#	T_NAME		scenario name used in result lines
#	CPU_MODEL	QEMU CPU model of this boot (run-guest.sh --cpu)
#	DISK		/dev/vda when run-guest.sh --disk attached a transfer
#			disk, else empty
#	TCG_THREAD	multi, or single when QEMU's TCG runs every vCPU in
#			one host thread (CPUIDVIRT_TCG_THREAD, docs/testbed.md)

: "${BIN:=/opt/cpuidvirt/bin}"
: "${KVER:=$(uname -r)}"
: "${KSERIES:=$(uname -r | cut -d. -f1-2)}"
: "${CPU_MODE:=unknown}"
: "${T_NAME:=$(basename "$0" .sh)}"
export BIN KVER KSERIES CPU_MODE T_NAME

# disk_save DIR: DIR's contents as a tar archive on the transfer disk
# (run-guest.sh --disk), for the next boot (disk_load) or the host
# (tar -xf FILE). The disk holds one archive; this replaces it.
disk_save()
{
	[ -b "${DISK:-}" ] || { echo "disk_save: no transfer disk (run-guest.sh --disk)" >&2; return 1; }
	tar -C "$1" -cf "$DISK" . && sync
}

# criu_setup: load the modules criu's feature detection needs (the
# kernel package builds them as modules; mkinitramfs.sh --criu copies
# them: CRIU_KMODS there).
criu_setup()
{
	command -v criu >/dev/null || { echo "criu_setup: no criu (run-guest.sh --criu)" >&2; return 1; }
	for _m in crc32c_generic unix_diag inet_diag tcp_diag udp_diag af_packet_diag netlink_diag nf_tables tun veth; do
		modprobe "$_m" || return 1
	done
}

# disk_load DIR: unpack the transfer disk's archive into DIR.
disk_load()
{
	[ -b "${DISK:-}" ] || { echo "disk_load: no transfer disk (run-guest.sh --disk)" >&2; return 1; }
	mkdir -p "$1" && tar -C "$1" -xf "$DISK"
}

T_PASSED=0
T_FAILED=0

# Indent diagnostics so they can never be mistaken for result lines.
_t_diag()
{
	printf '%s\n' "$@" | sed 's/^/    # /'
}

t_ok()
{
	T_PASSED=$((T_PASSED + 1))
	printf 'ok - %s: %s\n' "$T_NAME" "$1"
}

# t_fail DESC [DIAGNOSTIC...]
t_fail()
{
	_d=$1
	shift
	T_FAILED=$((T_FAILED + 1))
	printf 'not ok - %s: %s\n' "$T_NAME" "$_d"
	[ $# -eq 0 ] || _t_diag "$@"
	return 0
}

# Run CMD capturing stdout+stderr in $T_OUT and the exit status in $T_RC.
_t_run()
{
	T_OUT=$("$@" 2>&1)
	T_RC=$?
}

# t_check DESC CMD...: ok iff CMD exits 0. Returns CMD's status.
t_check()
{
	_d=$1
	shift
	_t_run "$@"
	if [ "$T_RC" -eq 0 ]; then
		t_ok "$_d"
	else
		t_fail "$_d" "command: $*" "exit status: $T_RC" "$T_OUT"
	fi
	return "$T_RC"
}

# t_check_fails DESC CMD...: ok iff CMD exits non-zero (not by a signal
# the shell reports as >= 128, which would be a crash, not a refusal).
t_check_fails()
{
	_d=$1
	shift
	_t_run "$@"
	if [ "$T_RC" -ne 0 ] && [ "$T_RC" -lt 128 ]; then
		t_ok "$_d"
		return 0
	fi
	t_fail "$_d" "command: $*" "exit status: $T_RC (wanted a non-zero exit, not a signal)" "$T_OUT"
	return 1
}

# t_exit DESC CODE CMD...: ok iff CMD's exit status is exactly CODE.
t_exit()
{
	_d=$1
	_want=$2
	shift 2
	_t_run "$@"
	if [ "$T_RC" -eq "$_want" ]; then
		t_ok "$_d"
		return 0
	fi
	t_fail "$_d" "command: $*" "exit status: $T_RC, wanted $_want" "$T_OUT"
	return 1
}

# t_eq DESC EXPECTED ACTUAL
t_eq()
{
	if [ "$2" = "$3" ]; then
		t_ok "$1"
		return 0
	fi
	t_fail "$1" "expected: '$2'" "actual:   '$3'"
	return 1
}

# t_match DESC REGEX STRING (extended regex, grep -E semantics, any line)
t_match()
{
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		t_ok "$1"
		return 0
	fi
	t_fail "$1" "regex:  $2" "string: $3"
	return 1
}

# t_skip_all REASON: end the scenario without results. The guest init
# reports it as a "# skip" comment, which counts neither as pass nor fail.
t_skip_all()
{
	printf '# skip - %s: %s\n' "$T_NAME" "$1"
	exit 0
}

# t_kernel_arms_cpuid: true if the kernel detected CPUID faulting itself
# (the cpuid_fault flag), so that arch_prctl(ARCH_SET_CPUID) works. On an
# AMD-vendor guest of 6.1/6.12 the module probes it itself and
# ARCH_SET_CPUID stays ENODEV (docs/module.md); so it does when a test boot
# makes the module switch the bit itself (cpuidvirt.test_module_switches=1).
t_kernel_arms_cpuid()
{
	grep -qw cpuid_fault /proc/cpuinfo &&
		! grep -q 'cpuidvirt\.test_module_switches=1' /proc/cmdline
}

# in_cg DIR CMD...: run CMD as a member of cgroup DIR (fork, move, exec),
# so that CMD's first instruction already runs under DIR's profile.
in_cg()
{
	_cg=$1
	shift
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$_cg" "$@"
}

# t_reg REG CMD...: one register (hex, 8 digits) from the first
# "eax=... ebx=..." line CMD prints (cpuidq, cvctl, cvemu).
t_reg()
{
	_r=$1
	shift
	"$@" | sed -n "s/.*$_r=\([0-9a-f]*\).*/\1/p" | head -n1
}

# t_cgroups_remove DIR...: detach any profile from each cgroup directory
# and remove it, children first (list them before their parents). For a
# scenario's cleanup; missing directories are fine.
t_cgroups_remove()
{
	for _d in "$@"; do
		[ -d "$_d" ] || continue
		"$BIN/cvctl" detach "$_d" >/dev/null 2>&1
		rmdir "$_d" 2>/dev/null
	done
}

# t_rounds N: how many rounds a stress loop of N rounds runs on this
# kernel: N, or N/5 on the debug flavour, whose KASAN, lockdep and debug
# objects make fork, exec and cgroup moves about 30 times slower under
# TCG (a full count there outlasts the scenario timeout). The windows a
# test build widens keep N/5 rounds enough to hit each race.
t_rounds()
{
	if [ "${KFLAVOUR:-}" = debug ]; then
		echo $(($1 / 5 > 0 ? $1 / 5 : 1))
	else
		echo "$1"
	fi
}

# t_patch_mask: the taskset mask for a process that runs through kernel
# code the module patches (its kprobes' and tracepoints' call sites) while
# a modprobe or rmmod under `taskset 1` patches it on CPU 0. Under QEMU's
# multi-threaded TCG another vCPU can run a stale translation of a site
# just patched (docs/testbed.md, "Cross-modifying code under
# multi-threaded TCG"), so there both share CPU 0 (mask 1); under
# single-threaded TCG (the tcg1 boot) it runs on CPU 1 (mask 2), beside the
# patching as on hardware.
t_patch_mask()
{
	if [ "${TCG_THREAD:-multi}" = single ]; then
		echo 2
	else
		echo 1
	fi
}

# t_race_windows WINDOWS DELAY_US: widen the test build's race windows
# (module parameters test_windows, a bitmask of enum cv_window in
# module/testhooks.h: 1 event, 2 prctl, 4 walk, 8 stub, 16 lookup, 32 init;
# test_delay_us, a busy-wait at each). "0 0" closes them.
t_race_windows()
{
	echo "$1" >/sys/module/cpuidvirt/parameters/test_windows &&
		echo "$2" >/sys/module/cpuidvirt/parameters/test_delay_us
}

# t_done: exit 1 if any check in this scenario failed (optional; the
# init counts the result lines anyway).
t_done()
{
	[ "$T_FAILED" -eq 0 ]
	exit $?
}
