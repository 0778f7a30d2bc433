/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rules of a profile that change nothing: a mask of a feature the baseline
 * already hides, an allow of one the baseline already shows, ... They are
 * not errors (the profile means what it says), but a reader of the file is
 * misled, so cpuidctl warns. Host-independent: judged on the profile alone.
 */
#ifndef CPUIDCTL_LINT_H
#define CPUIDCTL_LINT_H

#include <stddef.h>

#include "profile.h"

struct profile_warning {
	int line;		/* line of the rule that has no effect */
	char msg[200];		/* "mask hle has no effect: ..." */
};

/*
 * Fill @w with up to @max warnings, in line order; returns how many there
 * are in total.
 */
size_t profile_warnings(const struct profile *p, struct profile_warning *w,
			size_t max);

#endif
