#!/bin/sh
# modes: working amd-native
# kernels: 6.1 6.12
# flavours: generic rt cloud
# Every ioctl error path with its exact errno (cvctl errors), EPERM for
# state-changing commands without CAP_SYS_ADMIN, and the module's
# lifetime: rmmod refused while a profile is attached, clean after detach.
# ATTACH and DETACH of a cgroup v1 directory (a named v1 hierarchy mounted
# here) give EBADF. ENOSPC: module-limits.
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
CG=/sys/fs/cgroup
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG || t_skip_all "cannot mount cgroup2"

t_check "module loads" modprobe cpuidvirt
t_check "selftest verifies faulting" $CV selftest
mkdir -p $CG/e /mnt/v1
t_check "mount a cgroup v1 hierarchy" mount -t cgroup -o none,name=cvtest none /mnt/v1
mkdir -p /mnt/v1/x

# One result line per error case, from the C program's PASS/FAIL lines.
out=$($CV errors $CG/e /mnt/v1/x 2>&1)
rc=$?
rmdir /mnt/v1/x
umount /mnt/v1
n=0
while IFS= read -r line; do
	case $line in
	"PASS "*) t_ok "${line#PASS }"; n=$((n + 1)) ;;
	"FAIL "*) t_fail "${line#FAIL }"; n=$((n + 1)) ;;
	esac
done <<EOT
$out
EOT
# The exact number of cases in cvctl.c's cmd_errors: none may vanish.
want=71
t_eq "error-path program exited 0" 0 "$rc"
t_eq "error-path program ran all $want cases" "$want" "$n"
t_match "and counted them itself" "^$want cases, 0 failures\$" "$out"

# Without CAP_SYS_ADMIN (device opened as root, then every capability dropped).
t_exit "ATTACH without CAP_SYS_ADMIN" 1 $CV -U attach $CG/e
t_match "ATTACH errno" "EPERM" "$T_OUT"
t_exit "SELFTEST without CAP_SYS_ADMIN" 1 $CV -U selftest
t_match "SELFTEST errno" "EPERM" "$T_OUT"
t_check "ATTACH as root" $CV attach $CG/e
t_exit "DETACH without CAP_SYS_ADMIN" 1 $CV -U detach $CG/e
t_match "DETACH errno" "EPERM" "$T_OUT"
t_exit "REFRESH without CAP_SYS_ADMIN" 1 $CV -U refresh
t_match "REFRESH errno" "EPERM" "$T_OUT"
t_exit "read-only STATUS works without capabilities" 0 $CV -U status
t_exit "read-only LIST works without capabilities" 0 $CV -U list
t_match "the profile is still attached" "^total=1\$" "$T_OUT"

# Module lifetime.
t_exit "rmmod refused while a profile is attached" 1 rmmod cpuidvirt
# kmod says "is in use"; busybox's rmmod prints the kernel's EAGAIN.
t_match "rmmod's reason: the module is in use" \
	"Module cpuidvirt is in use|can't unload module 'cpuidvirt': Resource temporarily unavailable" "$T_OUT"
t_match "the profile holds a module reference" "^[1-9][0-9]*\$" "$(cat /sys/module/cpuidvirt/refcnt)"
t_check "module still loaded" test -c /dev/cpuidvirt
t_check "DETACH" $CV detach $CG/e
t_check "rmmod after DETACH" rmmod cpuidvirt
t_check "no /dev/cpuidvirt after rmmod" test ! -e /dev/cpuidvirt
t_check "CPUID works after unload" "$BIN/cpuidq" 1
t_check "module loads again" modprobe cpuidvirt
t_check "selftest again" $CV selftest
t_check "ATTACH after reload" $CV attach $CG/e
# The cgroup goes away while attached: DETACH by id still finds it.
id=$($CV cgid $CG/e)
t_check "rmdir of an attached, empty cgroup" rmdir $CG/e
t_check "DETACH by id of the removed cgroup" $CV detach --id "$id"
t_check "rmmod" rmmod cpuidvirt
t_done
