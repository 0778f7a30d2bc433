/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attaching a profile to a cgroup, shared by 'profile apply', 'run' and
 * the OCI hook (attach.c), and what ATTACH's errors mean (attach_errno.c).
 */
#ifndef CPUIDCTL_ATTACH_H
#define CPUIDCTL_ATTACH_H

#include <stdbool.h>

/* One ATTACH errno: the exit code every command gives it, and why. */
struct attach_errno {
	int err;
	int exit;		/* EXIT_* */
	const char *cause;	/* NULL: strerror() says it all */
};

/* Never NULL: an errno not in the table maps to EXIT_FAIL, cause NULL. */
const struct attach_errno *attach_errno(int e);

#endif
