/* SPDX-License-Identifier: GPL-2.0 */
/* errname(): "EINVAL" for EINVAL, "OK" for 0; scenarios grep these names. */
#ifndef CPUIDVIRT_TEST_ERRNAME_H
#define CPUIDVIRT_TEST_ERRNAME_H

#include <stdio.h>
#include <string.h>

static inline const char *errname(int e)
{
	static __thread char buf[24];
	const char *name;

	if (!e)
		return "OK";
	name = strerrorname_np(e);
	if (name)
		return name;
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

#endif
