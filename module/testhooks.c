// SPDX-License-Identifier: GPL-2.0
/* Test-only race windows (testhooks.h); empty unless CV_TEST_HOOKS. */

#include <linux/bits.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/math.h>
#include <linux/moduleparam.h>

#include "testhooks.h"

#ifdef CV_TEST_HOOKS
static unsigned int test_windows;
module_param(test_windows, uint, 0600);
MODULE_PARM_DESC(test_windows, "test builds only: bitmask of race windows to widen");

static unsigned int test_delay_us;
module_param(test_delay_us, uint, 0600);
MODULE_PARM_DESC(test_delay_us, "test builds only: busy-wait per widened window (max 10000, 500000 in the stubs and at init)");

static bool test_init_fail;
module_param(test_init_fail, bool, 0400);
MODULE_PARM_DESC(test_init_fail, "test builds only: fail module init after hooking");

static bool test_module_switches;
module_param(test_module_switches, bool, 0400);
MODULE_PARM_DESC(test_module_switches, "test builds only: switch the enable bit in a sched_switch probe");

bool cv_test_module_switches(void)
{
	return test_module_switches;
}

int cv_test_init_fault(void)
{
	return test_init_fail ? -EAGAIN : 0;
}

/*
 * The stubs run preemptible, so a long wait there only keeps a thread in
 * module text (module-initfail), and init may sleep, which lets the
 * threads on its CPU run meanwhile (module-lifecycle); the other windows
 * run with preemption off and stay short.
 */
void cv_test_window(enum cv_window w)
{
	bool long_ok = w == CV_WIN_STUB || w == CV_WIN_INIT;
	unsigned int us = min(READ_ONCE(test_delay_us),
			      long_ok ? 500000U : 10000U);

	if (!us || !(READ_ONCE(test_windows) & BIT(w)))
		return;
	if (w == CV_WIN_INIT) {
		msleep(DIV_ROUND_UP(us, 1000));
		return;
	}
	/* udelay() is meant for short waits */
	for (; us > 1000; us -= 1000)
		udelay(1000);
	udelay(us);
}
#endif
