#!/bin/sh
# modes: working amd-native
# kernels: 6.1 6.12
# expected-skip: working/6.12-debug the debug kernel's config has no CONFIG_USERFAULTFD
# LIST never holds the profile lock while copying to user space: with its
# buffer on a userfaultfd page that stays missing, ATTACH, QUERY, STATUS
# and DETACH must still complete, and LIST must return once the page is
# supplied.
. /opt/cpuidvirt/lib.sh

CV=$BIN/cvctl
R=$BIN/cvrace
CG=/sys/fs/cgroup
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG ||
	t_fail "cgroup2 is mounted at $CG" "mount -t cgroup2 failed"

cleanup()
{
	t_cgroups_remove $CG/ls-a $CG/ls-b
}

t_check "module loads" modprobe cpuidvirt
t_check "selftest verifies faulting" $CV selftest
cleanup
mkdir -p $CG/ls-a $CG/ls-b
t_check "ATTACH to ls-a (LIST has an entry to copy)" $CV attach $CG/ls-a 6/0/ecx/0/0xa9
$R list-uffd $CG/ls-b >/tmp/list-stall.out 2>&1
rc=$?
if [ $rc = 77 ]; then
	cleanup
	rmmod cpuidvirt
	t_skip_all "no userfaultfd in this kernel"
fi
t_eq "ATTACH, QUERY, STATUS, DETACH complete while LIST is stalled" 0 "$rc"
sed 's/^/    # /' /tmp/list-stall.out
cleanup
t_check "module unloads" rmmod cpuidvirt
t_done
