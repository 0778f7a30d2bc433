// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl __complete WHAT: word lists for the bash completion
 * (tools/cpuidctl/completion/cpuidctl.bash), from the tool itself so the
 * completion knows every feature and built-in this cpuidctl knows. Hidden:
 * not a command for people, not in --help.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cpuidctl.h"
#include "cpufeat.h"
#include "profile.h"

/* The name 'explain' and 'mask' take: the cpuinfo name, else the lower-case define. */
static void print_feature_name(const struct cpu_feature *f)
{
	const char *s;

	if (*f->name) {
		puts(f->name);
		return;
	}
	for (s = f->kname; *s; s++)
		putchar(tolower((unsigned char)*s));
	putchar('\n');
}

int cmd_complete(int argc, char **argv)
{
	const char *const *b;
	size_t i;

	if (argc == 2 && !strcmp(argv[1], "features")) {
		for (i = 0; i < features_count(); i++)
			if (!(feature_get(i)->flags & FEAT_ALIAS))
				print_feature_name(feature_get(i));
		return EXIT_OK;
	}
	if (argc == 2 && !strcmp(argv[1], "profiles")) {
		for (b = profile_builtin_names(); *b; b++)
			puts(*b);
		return EXIT_OK;
	}
	return usage_error("__complete", "expected 'features' or 'profiles'");
}
