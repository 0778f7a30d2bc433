#!/bin/sh
# modes: working amd-native
# A load that fails after every hook is in place (test build:
# test_init_fail=1) while four threads keep calling ARCH_SET_CPUID(1),
# which the module answers through its stubs, each call held there 200 ms
# (the stub window): the failed init must not free the module's text under
# a thread still in a stub (synchronize_rcu_tasks() on the error path,
# docs/module.md "Load and unload"), and every call must answer as the
# kernel did before the load: 0, or ENODEV where the kernel did not detect
# faulting itself (an AMD-vendor guest: the module's ENODEV stub).
#
# Where the threads run depends on QEMU's TCG (docs/testbed.md,
# "Cross-modifying code under multi-threaded TCG"):
#  - TCG_THREAD=single (make check's "vm-6.12-working-tcg1" boot): the
#    threads on CPU 1, modprobe on CPU 0, so a thread is still running in
#    a stub when the failed init returns. Without the wait the module's
#    text is freed under it: "BUG: unable to handle page fault" at a
#    module address (seen on 6.12, docs/module.md).
#  - multi-threaded TCG (every other boot): all of it on CPU 0, because a
#    vCPU executing do_arch_prctl_common() while another repatches its
#    call site can run a stale int3 there under this QEMU. On the
#    preemptible kernels (rt, debug) modprobe then preempts the threads
#    inside the stubs.
. /opt/cpuidvirt/lib.sh

R=$BIN/cvrace
# A scenario before may leave the module loaded (module-faultstate
# reloads it): then modprobe would succeed without an init to fail.
rmmod cpuidvirt 2>/dev/null
for round in 1 2 3; do
	taskset "$(t_patch_mask)" $R prctl-loop 4 4 >/tmp/if-loop.out 2>&1 &
	loop=$!
	sleep 1
	t_exit "round $round: init failure injected: modprobe fails" 1 \
		taskset 1 modprobe cpuidvirt test_init_fail=1 test_windows=8 \
		test_delay_us=200000
	t_match "round $round: modprobe says why" "Resource temporarily unavailable" "$T_OUT"
	wait $loop
	t_eq "round $round: every ARCH_SET_CPUID(1) across the failed init answered as the kernel does" 0 $?
	sed 's/^/    # /' /tmp/if-loop.out
	t_check "round $round: module not left loaded" sh -c '! grep -q "^cpuidvirt " /proc/modules'
done
t_check "module loads again" modprobe cpuidvirt
t_check "module unloads" rmmod cpuidvirt
t_done
