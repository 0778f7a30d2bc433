// SPDX-License-Identifier: GPL-2.0
/*
 * Test-bed self-test only: on load, commit one bug that the debug kernel
 * (tests/vm/build-debug-kernel.sh) reports, chosen by what=:
 *   sleep    might_sleep() with preemption disabled (DEBUG_ATOMIC_SLEEP)
 *   lockdep  two mutexes taken in both orders (PROVE_LOCKING)
 *   kasan    a read one byte past a kmalloc'ed object (KASAN)
 * Each report must fail the guest run. Used by the hidden scenario
 * tests/vm/hidden/testbed-splat.sh. Loading fails (-EAGAIN) after the deed,
 * so that it can be loaded again.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *what = "sleep";
module_param(what, charp, 0444);
/* A variable size hides the overflow from the compiler. */
static int size = 16;
module_param(size, int, 0444);

static DEFINE_MUTEX(testbed_a);
static DEFINE_MUTEX(testbed_b);

static int __init testbed_splat_init(void)
{
	if (!strcmp(what, "sleep")) {
		preempt_disable();
		might_sleep();
		preempt_enable();
	} else if (!strcmp(what, "lockdep")) {
		mutex_lock(&testbed_a);
		mutex_lock(&testbed_b);
		mutex_unlock(&testbed_b);
		mutex_unlock(&testbed_a);
		mutex_lock(&testbed_b);
		mutex_lock(&testbed_a);
		mutex_unlock(&testbed_a);
		mutex_unlock(&testbed_b);
	} else if (!strcmp(what, "kasan")) {
		char *p = kmalloc(size, GFP_KERNEL);

		if (!p)
			return -ENOMEM;
		pr_info("testbed_splat: byte past the object: %d\n", READ_ONCE(p[size]));
		kfree(p);
	} else {
		return -EINVAL;
	}
	return -EAGAIN;
}

module_init(testbed_splat_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("cpuidvirt test bed: provoke debug-kernel reports");
