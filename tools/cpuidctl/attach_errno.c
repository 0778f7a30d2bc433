// SPDX-License-Identifier: GPL-2.0
/*
 * What an errno from CPUIDVIRT_IOC_ATTACH means: the exit code and the
 * cause, one table for 'profile apply', 'run' and the OCI hook, so the
 * same failure gives the same exit status everywhere (docs/cpuidctl.md,
 * "ATTACH errors"). Pure: unit-tested in tests/unit/test_attach.c.
 */
#include <errno.h>
#include <stddef.h>

#include "attach.h"
#include "cpuidctl.h"

static const struct attach_errno table[] = {
	{ EOPNOTSUPP, EXIT_NOFAULT, "CPUID faulting is not verified on this machine" },
	{ EBADF, EXIT_FAIL, "not a cgroup v2 directory" },
	{ EEXIST, EXIT_FAIL, "the cgroup already has a profile" },
	{ ENOSPC, EXIT_FAIL, "the module's profile limit is reached" },
	{ EPERM, EXIT_FAIL, "needs CAP_SYS_ADMIN in the initial user namespace" },
	/* The rules cpuidctl compiled break the module's rules: a compiler bug. */
	{ ENOTUNIQ, EXIT_PROFILE, "the module rejects the compiled profile (two rules for one leaf): a cpuidctl bug, please report it" },
	{ ERANGE, EXIT_PROFILE, "the module rejects the compiled profile (leaf clamp out of range): a cpuidctl bug, please report it" },
	/*
	 * The compiler already keeps to CPUIDVIRT_MAX_RULES and zeroes every
	 * pad: the request itself is foreign to the module (another ABI).
	 */
	{ EINVAL, EXIT_FAIL, "the module does not understand the request: cpuidctl and the loaded module differ in version (compare 'cpuidctl --version' and 'cpuidctl status')" },
	{ E2BIG, EXIT_FAIL, "the module does not understand the request: cpuidctl and the loaded module differ in version (compare 'cpuidctl --version' and 'cpuidctl status')" },
};

static const struct attach_errno other = { 0, EXIT_FAIL, NULL };

const struct attach_errno *attach_errno(int e)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].err == e)
			return &table[i];
	return &other;
}
