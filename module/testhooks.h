/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test-only race windows. A build with CPUIDVIRT_TEST_HOOKS=1 (the test
 * bed's; never DKMS or a package) gets two module parameters:
 *   test_windows   bitmask of enum cv_window
 *   test_delay_us  busy-wait at each enabled window (a sleep at init)
 *   test_init_fail module init fails after every hook is in place
 *   test_module_switches  switch the enable bit ourselves (switch.c) even
 *                  where the kernel would, so that the test bed's Intel
 *                  CPU runs that code too
 * Each window sits between a decision and the write that acts on it, so
 * the stress scenarios can make a lost update likely instead of rare; the
 * init window sits where forks and exits are followed and nothing else
 * is hooked yet.
 * Writers get separate windows: a lost update needs one writer slow and
 * the other fast (an equally slow walk would decide after, and write
 * after, the slow event, and win).
 */
#ifndef CPUIDVIRT_TESTHOOKS_H
#define CPUIDVIRT_TESTHOOKS_H

enum cv_window {
	CV_WIN_EVENT,		/* fork, exec, move, selftest, stale repair */
	CV_WIN_PRCTL,		/* ARCH_SET_CPUID */
	CV_WIN_WALK,		/* the ATTACH/REPLACE/DETACH walk */
	CV_WIN_STUB,		/* inside the ARCH_SET/GET_CPUID answer stubs */
	CV_WIN_LOOKUP,		/* #GP hook: cgroup read, its profile not yet */
	CV_WIN_INIT,		/* module init: forks and exits followed, */
				/* nothing else hooked yet (sleeps) */
};

#ifdef CV_TEST_HOOKS
void cv_test_window(enum cv_window w);
int cv_test_init_fault(void);
bool cv_test_module_switches(void);
#else
static inline void cv_test_window(enum cv_window w)
{
}

static inline int cv_test_init_fault(void)
{
	return 0;
}

static inline bool cv_test_module_switches(void)
{
	return false;
}
#endif

#endif /* CPUIDVIRT_TESTHOOKS_H */
