/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, in one place. Kbuild turns the version of
 * the headers being built against into CV_HAVE_* feature macros (and
 * refuses kernels older than 6.1, the oldest supported: docs/module.md
 * says why), so nothing below compares version numbers.
 */
#ifndef CPUIDVIRT_COMPAT_H
#define CPUIDVIRT_COMPAT_H

/*
 * do_arch_prctl_common(int option, unsigned long arg2) in 6.1 and 6.12
 * (arch/x86/include/asm/proto.h); older kernels had a leading
 * struct task_struct * argument. These are the argument slots the prctl
 * kprobe reads.
 */
#define CV_PRCTL_ARG_OPTION	0
#define CV_PRCTL_ARG_VALUE	1

/* The MSR accessors were renamed (rdmsrl -> rdmsrq) in 6.16. */
#ifdef CV_HAVE_RDMSRQ
#define cv_rdmsr_safe(msr, p)	rdmsrq_safe(msr, p)
#define cv_wrmsr_safe(msr, v)	wrmsrq_safe(msr, v)
#else
#define cv_rdmsr_safe(msr, p)	rdmsrl_safe(msr, p)
#define cv_wrmsr_safe(msr, v)	wrmsrl_safe(msr, v)
#endif

#endif /* CPUIDVIRT_COMPAT_H */
