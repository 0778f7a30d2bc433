#!/bin/sh
# modes: absent working lie-drop lie-store amd-native amd-native-lie-drop amd-native-lie-store
# kernels: 6.1 6.12
# flavours: generic rt cloud
# The module's CPUID-faulting support state on each CPU behaviour: detected
# at load (absent, enable bit does not stick), then by the behavioural
# selftest (never traps -> lying, all CPUs trap -> verified). ATTACH is
# refused with EOPNOTSUPP until verified. Uses cvctl (tests/guest/cvctl.c).
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
CG=/sys/fs/cgroup
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG || t_skip_all "cannot mount cgroup2"
mkdir -p $CG/mfs

# The state at load is what this scenario checks: start from a fresh load
# (an earlier scenario's selftest may have set LYING_NO_TRAP, which stays
# until the module is reloaded).
rmmod cpuidvirt 2>/dev/null
t_check "cpuidvirt is not loaded before the fresh load" sh -c '! grep -q "^cpuidvirt " /proc/modules'
t_check "module loads" modprobe cpuidvirt
t_check "/dev/cpuidvirt is a character device" test -c /dev/cpuidvirt
t_eq "/dev/cpuidvirt mode is 0600" "600" "$(stat -c %a /dev/cpuidvirt)"
t_exit "VERSION" 0 $CV version
t_match "VERSION reports api 1 and the module version" "^api=1 module=[0-9]" "$T_OUT"

state_of() { sed -n 's/^state=\([0-9]*\).*/\1/p'; }
reason_of() { sed -n 's/^reason=//p'; }
# Every reason but ABSENT's names the mechanism in use (docs/module.md):
# AMD's own in the amd-native modes, Intel's (also on an AMD CPU model)
# otherwise.
case $CPU_MODE in
amd-native*)	mech="AMD CpuidUserDis \\(HWCR bit 35\\)" ;;
*)		mech="Intel CPUID faulting \\(MSR 0x140\\)" ;;
esac

st=$($CV status)
case ${CPU_MODE#amd-native-} in
absent)
	t_eq "state at load is ABSENT" 0 "$(echo "$st" | state_of)"
	t_match "reason names MSR_PLATFORM_INFO bit 31" "^no CPUID faulting: MSR_PLATFORM_INFO bit 31 is clear " "$(echo "$st" | reason_of)"
	t_exit "SELFTEST is EOPNOTSUPP" 1 $CV selftest
	t_match "SELFTEST errno" "EOPNOTSUPP" "$T_OUT"
	;;
lie-drop)
	t_eq "state at load is LYING_NO_STICK" 1 "$(echo "$st" | state_of)"
	t_match "reason says the enable bit does not stick" "^$mech: the enable bit does not stick on CPU [0-9]+: writes to the MSR are ignored\$" "$(echo "$st" | reason_of)"
	t_exit "SELFTEST is EOPNOTSUPP" 1 $CV selftest
	t_match "SELFTEST errno" "EOPNOTSUPP" "$T_OUT"
	;;
lie-store)
	t_eq "state at load is UNVERIFIED" 3 "$(echo "$st" | state_of)"
	t_match "reason names the mechanism and asks for the selftest" "^$mech is advertised but verified on 0 of [0-9]+ CPUs: run .cpuidctl selftest.\$" "$(echo "$st" | reason_of)"
	t_exit "SELFTEST runs" 0 $CV selftest
	t_match "SELFTEST: CPU 0 did not trap" "^cpu 0: trapped=0 signature=no state=2" "$T_OUT"
	st=$($CV status)
	t_eq "state after selftest is LYING_NO_TRAP" 2 "$(echo "$st" | state_of)"
	t_match "reason says CPUID did not trap" "^$mech: CPUID did not trap on CPU [0-9]+ with faulting enabled: advertised but not implemented\$" "$(echo "$st" | reason_of)"
	;;
working | amd-native)
	t_eq "state at load is UNVERIFIED" 3 "$(echo "$st" | state_of)"
	t_match "reason names the mechanism and asks for the selftest" "^$mech is advertised but verified on 0 of [0-9]+ CPUs: run .cpuidctl selftest.\$" "$(echo "$st" | reason_of)"
	t_exit "ATTACH before the selftest is EOPNOTSUPP" 1 $CV attach $CG/mfs
	t_match "ATTACH errno before the selftest" "EOPNOTSUPP" "$T_OUT"
	t_exit "SELFTEST runs" 0 $CV selftest
	t_match "SELFTEST: CPU 0 trapped and saw the signature" "^cpu 0: trapped=1 signature=yes" "$T_OUT"
	t_match "SELFTEST: CPU 1 trapped and saw the signature" "^cpu 1: trapped=1 signature=yes state=4" "$T_OUT"
	st=$($CV status)
	t_eq "state after selftest is VERIFIED" 4 "$(echo "$st" | state_of)"
	t_match "all online CPUs verified" "online=([0-9]+) verified=\\1 " "$st"
	t_match "reason says verified" "^$mech verified on all [0-9]+ online CPUs\$" "$(echo "$st" | reason_of)"
	t_exit "SELFTEST again keeps VERIFIED" 0 $CV selftest
	t_match "second SELFTEST state" "state=4" "$T_OUT"
	t_exit "ATTACH works once verified" 0 $CV attach $CG/mfs
	t_exit "DETACH" 0 $CV detach $CG/mfs
	# LYING_NO_TRAP is sticky: once a CPU did not trap (ARM and FINISH
	# with no CPUID between), a later selftest where all trap must not
	# make it VERIFIED again; only a reload does.
	t_exit "SELFTEST with no CPUID between ARM and FINISH" 0 $CV selftest-notrap
	t_match "it reports no trap and LYING_NO_TRAP" "^trapped=0 state=2\$" "$T_OUT"
	t_exit "SELFTEST where every CPU traps" 0 $CV selftest
	t_match "every CPU trapped" "^cpu 1: trapped=1 signature=yes" "$T_OUT"
	t_eq "state stays LYING_NO_TRAP" 2 "$($CV status | state_of)"
	t_exit "ATTACH is EOPNOTSUPP after LYING_NO_TRAP" 1 $CV attach $CG/mfs
	t_match "ATTACH errno after LYING_NO_TRAP" "EOPNOTSUPP" "$T_OUT"
	;;
esac
if [ "$CPU_MODE" != working ] && [ "$CPU_MODE" != amd-native ]; then
	t_exit "ATTACH is EOPNOTSUPP without verified faulting" 1 $CV attach $CG/mfs 1/0/eax/0/0
	t_match "ATTACH errno" "EOPNOTSUPP" "$T_OUT"
	t_exit "a plain CPUID still works" 0 "$BIN/cpuidq" 0
fi
t_check "rmmod succeeds" rmmod cpuidvirt
t_check "module loads again" modprobe cpuidvirt
[ "$CPU_MODE" != working ] && [ "$CPU_MODE" != amd-native ] ||
	t_eq "after the reload the state is UNVERIFIED again" 3 "$($CV status | state_of)"
rmdir $CG/mfs
t_done
