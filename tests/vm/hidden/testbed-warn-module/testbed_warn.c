// SPDX-License-Identifier: GPL-2.0
/*
 * Test-bed self-test only: loading this module triggers one WARN(), which
 * (with panic_on_warn=1) must make the whole guest run fail. Used by the
 * hidden scenario tests/vm/hidden/testbed-warn.sh.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init testbed_warn_init(void)
{
	WARN(1, "testbed_warn: deliberate warning\n");
	return 0;
}

static void __exit testbed_warn_exit(void)
{
}

module_init(testbed_warn_init);
module_exit(testbed_warn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("cpuidvirt test bed: provoke a WARN");
