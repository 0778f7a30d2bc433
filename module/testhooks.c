// SPDX-License-Identifier: GPL-2.0
/* Test-only race windows (testhooks.h); empty unless CV_TEST_HOOKS. */

#include <linux/bits.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/moduleparam.h>

#include "testhooks.h"

#ifdef CV_TEST_HOOKS
static unsigned int test_windows;
module_param(test_windows, uint, 0600);
MODULE_PARM_DESC(test_windows, "test builds only: bitmask of race windows to widen");

static unsigned int test_delay_us;
module_param(test_delay_us, uint, 0600);
MODULE_PARM_DESC(test_delay_us, "test builds only: busy-wait per widened window (max 10000)");

static bool test_init_fail;
module_param(test_init_fail, bool, 0400);
MODULE_PARM_DESC(test_init_fail, "test builds only: fail module init after hooking");

int cv_test_init_fault(void)
{
	return test_init_fail ? -EAGAIN : 0;
}

void cv_test_window(enum cv_window w)
{
	unsigned int us = min(READ_ONCE(test_delay_us), 10000U);

	if (us && (READ_ONCE(test_windows) & BIT(w)))
		udelay(us);
}
#endif
