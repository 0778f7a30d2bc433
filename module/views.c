// SPDX-License-Identifier: GPL-2.0
/*
 * The other views of the CPU (issue 14): what a profiled task reads in
 * its auxiliary vector (views_auxv.c) and in /proc/cpuinfo
 * (views_cpuinfo.c) agrees with the CPUID the profile presents. This
 * file holds what both use: the switch and "what does the profile's
 * CPUID present for this leaf".
 */

#include <linux/moduleparam.h>

#include "internal.h"

static bool views = true;
module_param(views, bool, 0644);
MODULE_PARM_DESC(views,
		 "make the auxiliary vector (at exec) and /proc/cpuinfo of profiled tasks agree with their profile (default Y); N leaves both as the kernel has them (the tests' control)");

bool cv_views_on(void)
{
	return READ_ONCE(views);
}

/*
 * What the profile's CPUID answers for (leaf, subleaf) on this CPU, as a
 * feature word: all zero for a leaf the profile's clamps put out of
 * range, since the kernel never reads a leaf above the maximum (the
 * emulation answers the highest basic leaf there, which is no feature
 * word). Preemption disabled (the native answers are per CPU).
 */
void cv_view_cpuid(const struct cv_rules *r, u32 leaf, u32 subleaf,
		   u32 out[CPUIDVIRT_NR_REGS])
{
	u32 max[CPUIDVIRT_NR_REGS];

	cv_rules_apply(r, leaf & 0x80000000, 0, max);
	if (leaf > max[CPUIDVIRT_EAX]) {
		memset(out, 0, CPUIDVIRT_NR_REGS * sizeof(out[0]));
		return;
	}
	cv_rules_apply(r, leaf, subleaf, out);
}
