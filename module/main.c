// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidvirt: per-cgroup CPUID profiles, emulated in the kernel through
 * CPUID faulting. Load and unload order.
 */

#include <linux/module.h>
#include <linux/rcupdate.h>

#include "internal.h"
#include "version.h"

static bool cv_hooked;

static int __init cv_init(void)
{
	int ret;

	ret = cv_profiles_init();
	if (ret)
		return ret;
	cv_faultcheck_init();
	/*
	 * Without a working enable bit there is nothing to hook; the device
	 * still comes up so that STATUS can say why.
	 */
	if (cv_faulting_usable()) {
		/* "asked" is seeded before fork can consult it ... */
		ret = cv_arming_init();
		if (ret)
			goto err_profiles;
		ret = cv_tracepoints_init();
		if (ret)
			goto err_arming;
		/* ... and again for children forked before the hook. */
		cv_asked_seed();
		ret = cv_emulate_init();
		if (ret)
			goto err_tp;
		cv_hooked = true;
	}
	ret = cv_device_init();
	if (ret)
		goto err_hooks;
	pr_info("version %s loaded, CPUID faulting state %d\n",
		CPUIDVIRT_VERSION, cv_fault_state());
	return 0;

err_hooks:
	if (!cv_hooked)
		goto err_profiles;
	cv_emulate_exit();
err_tp:
	cv_tracepoints_exit();
err_arming:
	cv_arming_exit();
err_profiles:
	cv_profiles_exit();
	return ret;
}

static void __exit cv_exit(void)
{
	cv_device_exit();
	if (!cv_hooked)
		goto out;
	/* No profile is left (each pins the module); only asked threads fault. */
	cv_tracepoints_exit();
	cv_faultcheck_exit();
	cv_sync_all();
	cv_emulate_exit();
	cv_arming_exit();
	/*
	 * The kprobes resumed threads in our stubs, which run preemptible:
	 * wait until every thread has left them (a voluntary switch or user
	 * mode), as ftrace does for its trampolines.
	 */
	synchronize_rcu_tasks();
	/*
	 * Nothing may keep bit 0 for a thread whose flag is clear. Only the
	 * CPUs: the "asked" table is gone, the flags are already right.
	 */
	cv_resync_all();
out:
	cv_profiles_exit();
}

module_init(cv_init);
module_exit(cv_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Per-cgroup CPUID profiles through CPUID faulting");
MODULE_AUTHOR("The cpuidvirt authors");
MODULE_VERSION(CPUIDVIRT_VERSION);
