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

/*
 * Linux 6.17 (commit 65f55a30176662ee, "x86/CPU/AMD: Add CPUID faulting
 * support") added X86_FEATURE_GP_ON_USER_CPUID, and with it made
 * set_cpuid_faulting(), which __switch_to_xtra() calls for TIF_NOCPUID,
 * pick the MSR by CPU vendor: MSR 0x140 on Intel, HWCR bit 35 on AMD,
 * nothing on others. Before it, MSR 0x140 on every vendor.
 */
#include <asm/cpufeatures.h>
#ifdef X86_FEATURE_GP_ON_USER_CPUID
#define CV_KERNEL_SWITCHES_BY_VENDOR	1
#else
#define CV_KERNEL_SWITCHES_BY_VENDOR	0
#endif

/*
 * The argument of a syscore callback: a context pointer where callbacks
 * are registered through a struct syscore (Kbuild's CV_HAVE_SYSCORE_DATA),
 * none before.
 */
#ifdef CV_HAVE_SYSCORE_DATA
#define CV_SYSCORE_ARG	void *data
#else
#define CV_SYSCORE_ARG	void
#endif

/* HWCR's CpuidUserDis bit: named by the kernel only from 6.17 on. */
#define CV_HWCR_CPUID_USER_DIS_BIT	35

#endif /* CPUIDVIRT_COMPAT_H */
