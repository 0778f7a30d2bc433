// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidvirt: per-cgroup CPUID profiles, emulated in the kernel through
 * CPUID faulting. Load and unload order.
 */

#include <linux/module.h>
#include <linux/rcupdate.h>

#include "internal.h"
#include "testhooks.h"
#include "version.h"

static bool cv_hooked;

/*
 * Undo every hook, in init's error path and at unload. No profile exists
 * and the selftest is disarmed, so every set TIF_NOCPUID belongs to a
 * thread that asked for it, which the kernel maintains by itself: the hooks
 * stop deciding anything first (the ARCH_SET/GET_CPUID hook keeps
 * answering as the kernel would, see cv_prctl_pre()), then go, and the
 * flags are left alone.
 * Hooks never registered are skipped by their exit functions.
 */
static void cv_unhook(void)
{
	WRITE_ONCE(cv_unloading, true);
	/* Every hook runs with preemption disabled: an RCU reader. */
	synchronize_rcu();
	cv_cpuinfo_exit();
	cv_faultcheck_hotplug_exit();
	cv_ncache_exit();
	cv_emulate_exit();
	cv_switch_exit();
	cv_tracepoints_exit();
	cv_arming_exit();
	/*
	 * The kprobes resumed threads in our stubs, which run preemptible:
	 * wait until every thread has left them (a voluntary switch or user
	 * mode), as ftrace does for its trampolines.
	 */
	synchronize_rcu_tasks();
	/* Nothing may keep bit 0 for a thread whose flag is clear. */
	cv_resync_all();
	cv_asked_exit();
}

/*
 * Order matters for the self-armed threads (asked.c): fork and exit are
 * followed before ARCH_SET_CPUID is hooked, and that before the threads
 * present are seeded, so nobody's request is lost or outlives its thread.
 * The #GP hook comes after, the device last: no profile can exist before
 * every hook is in place.
 */
static int __init cv_init(void)
{
	int ret;

	cv_task_locks_init();
	ret = cv_profiles_init();
	if (ret)
		return ret;
	cv_faultcheck_init();
	/*
	 * Without a working enable bit there is nothing to hook; the device
	 * still comes up so that STATUS can say why.
	 */
	if (cv_faulting_usable()) {
		cv_hooked = true;
		ret = cv_asked_init();
		if (ret)
			goto err_unhook;
		WRITE_ONCE(cv_seeding, true);
		ret = cv_tracepoints_init();
		if (!ret) {
			/* Forks and exits are followed from here on. */
			cv_test_window(CV_WIN_INIT);
			ret = cv_arming_init();
		}
		WRITE_ONCE(cv_seeding, false);
		/* No fork tracepoint still sees "seeding" once ATTACH works. */
		synchronize_rcu();
		if (!ret)
			ret = cv_switch_init();
		if (!ret)
			ret = cv_emulate_init();
		if (!ret)
			ret = cv_faultcheck_hotplug_init();
		if (!ret)
			ret = cv_ncache_init();
		if (ret)
			goto err_unhook;
		/* Never fails: without its probe point that view is off. */
		cv_cpuinfo_init();
	}
	ret = cv_test_init_fault();
	if (!ret)
		ret = cv_device_init();
	if (ret)
		goto err_unhook;
	pr_info("version %s loaded, CPUID faulting state %d, mechanism: %s\n",
		CPUIDVIRT_VERSION, cv_fault_state(),
		cv_mech ? cv_mech->name : "none");
	return 0;

err_unhook:
	if (cv_hooked)
		cv_unhook();
	cv_profiles_exit();
	return ret;
}

static void __exit cv_exit(void)
{
	cv_device_exit();
	if (cv_hooked) {
		cv_faultcheck_exit();
		cv_unhook();
	}
	cv_profiles_exit();
}

module_init(cv_init);
module_exit(cv_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Per-cgroup CPUID profiles through CPUID faulting");
MODULE_AUTHOR("The cpuidvirt authors");
MODULE_VERSION(CPUIDVIRT_VERSION);
