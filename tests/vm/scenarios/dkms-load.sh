#!/bin/sh
# modes: working amd-native
# kernels: 6.1 6.12
# flavours: generic rt cloud
# The module as DKMS built it on the host (tests/host/dkms-check.sh: real
# dkms add/build/install), not the tree build: it is signed with the DKMS
# MOK key, loads, verifies faulting, masks a cgroup and unloads cleanly.
. /opt/cpuidvirt/lib.sh

KO=/opt/cpuidvirt/dkms/cpuidvirt.ko
CG=/sys/fs/cgroup/dkmst

if [ ! -f $KO ]; then
	t_fail "the initramfs has the DKMS-built module $KO" \
		"run tests/host/dkms-check.sh (make check's dkms phase) before booting"
	t_done
fi
t_ok "the initramfs has the DKMS-built module $KO"
t_eq "DKMS module: vermagic names this kernel" "$KVER" "$(modinfo -F vermagic $KO | cut -d' ' -f1)"
# The signer name is checked on the host; the guest's kmod cannot parse
# PKCS#7, so look for the trailer sign-file appends.
t_eq "DKMS module: signed (sign-file trailer)" "~Module signature appended~" "$(tail -c 28 $KO)"

# Whatever ran before may have loaded the tree build.
rmmod cpuidvirt 2>/dev/null
t_exit "no cpuidvirt module loaded before the test" 1 grep -q '^cpuidvirt ' /proc/modules

t_exit "cpuidctl load --path <DKMS module> exits 0" 0 cpuidctl load --path $KO
t_match "it loaded the DKMS file" "loaded $KO" "$T_OUT"
t_match "faulting verified" "verified" "$T_OUT"
t_eq "the running module is the DKMS build (srcversion)" "$(modinfo -F srcversion $KO)" \
	"$(cat /sys/module/cpuidvirt/srcversion 2>&1)"

before=$("$BIN/cpuidq" 7 0 | sed -n 's/.*ebx=\([0-9a-f]*\).*/\1/p')
t_eq "precondition: host has avx2" 1 "$(( (0x$before >> 5) & 1 ))"
rmdir $CG 2>/dev/null
mkdir $CG
t_check "profile apply x86-64-v2 with the DKMS module" cpuidctl profile apply x86-64-v2 $CG
in=$(sh -c 'echo $$ > "$0/cgroup.procs" && exec "$1/cpuidq" 7 0' $CG "$BIN" |
	sed -n 's/.*ebx=\([0-9a-f]*\).*/\1/p')
t_eq "a task in the cgroup does not see avx2" 0 "$(( (0x${in:-20} >> 5) & 1 ))"
t_check "profile remove" cpuidctl profile remove $CG
rmdir $CG
t_check "the DKMS module unloads" rmmod cpuidvirt
t_done
