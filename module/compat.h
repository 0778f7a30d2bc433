/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, in one place. The oldest supported kernel is
 * 6.1 (Debian 12); see docs/module.md for why and for what older kernels
 * would need.
 */
#ifndef CPUIDVIRT_COMPAT_H
#define CPUIDVIRT_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "cpuidvirt needs Linux 6.1 or later (see docs/module.md)"
#endif

/*
 * do_arch_prctl_common(int option, unsigned long arg2) in 6.1 and 6.12
 * (arch/x86/include/asm/proto.h); older kernels had a leading
 * struct task_struct * argument. These are the argument slots the prctl
 * kprobe reads.
 */
#define CV_PRCTL_ARG_OPTION	0
#define CV_PRCTL_ARG_VALUE	1

/* The MSR accessors were renamed (rdmsrl -> rdmsrq) in 6.16. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define cv_rdmsr_safe(msr, p)	rdmsrq_safe(msr, p)
#define cv_wrmsr_safe(msr, v)	wrmsrq_safe(msr, v)
#else
#define cv_rdmsr_safe(msr, p)	rdmsrl_safe(msr, p)
#define cv_wrmsr_safe(msr, v)	wrmsrl_safe(msr, v)
#endif

#endif /* CPUIDVIRT_COMPAT_H */
