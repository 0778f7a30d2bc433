// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl explain: where a feature lives in CPUID, what it depends on,
 * whether this host has it and whether a profile shows it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuidctl.h"
#include "profile.h"
#include "rawbit.h"

const char *const explain_help =
"Usage: cpuidctl explain FEATURE|LEAF_SUBLEAF_REG_BIT [--profile PROFILE]\n"
"                        [--against DUMP] [--json]\n"
"\n"
"Explains one CPU feature, named as in /proc/cpuinfo ('avx2', 'sse4_2') or\n"
"by its kernel name ('X86_FEATURE_AVX2', 'XMM4_2'):\n"
"\n"
"  - where it lives: CPUID leaf, subleaf, register and bit, and its alias\n"
"    bit if it has one (AMD's copy in leaf 0x80000001 EDX, masked with it);\n"
"  - which features it requires and which require it (masking it masks\n"
"    those too, as the kernel's cpuid-deps.c does);\n"
"  - the lowest x86-64 psABI level (x86-64-v1..v4) that includes it;\n"
"  - whether this host (or the CPU recorded in DUMP) has it;\n"
"  - with --profile, whether the profile shows it, and if not, why.\n""\n"
"A raw bit such as 7_0_ebx_5 or 0x80000001_0_ecx_6 (as 'mask' takes it)\n"
"is decoded first: the feature it is, and what 'mask' of it does (the\n"
"same as masking the feature; for AMD's copies in 0x80000001 EDX, that\n"
"copy only; for a bit without a name, that bit only), then explained like\n"
"the feature. An invalid raw bit is a usage error that says what is wrong.\n"
"\n"
"With --json, the same as one JSON document (schema cpuidctl.explain/1,\n"
"see docs/cpuidctl.md). Needs no module.\n"
"\n"
"Exit status: 0 ok; 1 unreadable dump; 2 usage error or unknown feature;\n"
"5 invalid profile.\n";

static void print_list(const char *title, const struct cpu_feature **l, size_t n)
{
	size_t i;

	printf("%s", title);
	if (!n)
		printf(" (none)");
	for (i = 0; i < n; i++)
		printf("%s %s", i ? "," : "", l[i]->name);
	printf("\n");
}

/*
 * Drop alias bits (the AMD copies in 0x80000001 EDX, mba's second bit):
 * they carry their base feature's name, are masked with it and would
 * otherwise show a feature as depending on itself.
 */
static size_t drop_aliases(const struct cpu_feature **l, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!(l[i]->flags & FEAT_ALIAS))
			l[k++] = l[i];
	return k;
}

static void print_location(const char *title, const struct cpu_feature *f)
{
	if (cpuid_leaf_has_subleaves(f->leaf))
		printf("%s leaf 0x%x subleaf %u %s bit %u", title, f->leaf,
		       f->subleaf, cpuid_reg_name(f->reg), f->bit);
	else
		printf("%s leaf 0x%x %s bit %u", title, f->leaf,
		       cpuid_reg_name(f->reg), f->bit);
}

/* Where it lives, its alias copies, its dependencies and its level. */
static void print_feature(const struct cpu_feature *f)
{
	const struct cpu_feature *list[1024], *g;
	struct feature_set closure, lvl;
	size_t n;
	int level;

	printf("feature: %s (X86_FEATURE_%s)%s%s\n", *f->name ? f->name : f->kname, f->kname,
	       f->desc && *f->desc ? ": " : "", f->desc ? f->desc : "");
	print_location("cpuid:", f);
	printf("\n");
	n = feature_required_by(f, list, ARRAY_SIZE(list));
	for (size_t i = 0; i < n && i < ARRAY_SIZE(list); i++) {
		if (!(list[i]->flags & FEAT_ALIAS) || strcmp(list[i]->name, f->name))
			continue;
		print_location("alias:", list[i]);
		printf(" (%s, masked with it)\n", list[i]->leaf == 0x80000001 ?
		       "AMD's copy" : "a second bit of the same feature");
	}
	if (f->flags & FEAT_OS)
		printf("note: reflects operating-system state, set by the kernel at run time\n");

	n = feature_requires(f, list, ARRAY_SIZE(list));
	print_list("requires:", list, n < ARRAY_SIZE(list) ? n : ARRAY_SIZE(list));
	n = feature_required_by(f, list, ARRAY_SIZE(list));
	n = drop_aliases(list, n < ARRAY_SIZE(list) ? n : ARRAY_SIZE(list));
	print_list("required by:", list, n);
	fset_clear(&closure);
	fset_add(&closure, f);
	fset_close_dependents(&closure);
	fset_del(&closure, f);
	n = 0;
	for (g = fset_next(&closure, NULL); g && n < ARRAY_SIZE(list); g = fset_next(&closure, g))
		list[n++] = g;
	print_list("masking it also masks:", list, drop_aliases(list, n));

	for (level = 1; level <= X86_LEVEL_MAX; level++) {
		x86_level_features(level, &lvl);
		if (fset_has(&lvl, f))
			break;
	}
	if (level <= X86_LEVEL_MAX)
		printf("x86-64 level: part of x86-64-v%d and above\n", level);
	else
		printf("x86-64 level: not part of any x86-64 psABI level\n");
}

static int unknown_feature(const char *name)
{
	const char *s = feature_suggest(name);

	if (s)
		err_msg("unknown feature '%s' (did you mean '%s'?)", name, s);
	else
		err_msg("unknown feature '%s' (names are those of /proc/cpuinfo)", name);
	return EXIT_USAGE;
}

int cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "against", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	static struct profile p;
	static struct profile_compiled c;
	const struct cpu_feature *f, *raw_f = NULL, *alias = NULL;
	struct cpuid_bit raw;
	const char *spec = NULL, *against = NULL;
	struct cpuid_dump host = CPUID_DUMP_INIT;
	struct diag diag;
	char why[128];
	bool json = false;
	int ch, ret;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 'p')
			spec = optarg;
		else if (ch == 'a')
			against = optarg;
		else if (ch == 'j')
			json = true;
		else
			return opt_error("explain", ch, argv);
	}
	if (argc - optind != 1)
		return usage_error("explain", argc == optind ? "missing FEATURE" : "too many arguments");
	f = feature_by_name(argv[optind]);
	if (!f && cpuid_bit_like(argv[optind])) {
		ret = raw_resolve(argv[optind], &raw, &f, &alias);
		if (ret || (!f && !alias))
			return ret ? ret : raw_explain_unnamed(argv[optind], &raw, spec, against,
							       json);
		raw_f = f;
		f = f ? f : feature_by_name(alias->name);
	}
	if (!f)
		return unknown_feature(argv[optind]);

	/* Every input is checked before the first line goes out. */
	diag_clear(&diag);
	if (against)
		ret = cpuid_dump_load(&host, against, -1, &diag);
	else
		ret = cpuid_dump_read_host(&host, -1, &diag);
	if (ret) {
		err_msg("%s", *diag.msg ? diag.msg : strerror(-ret));
		cpuid_dump_free(&host);
		return EXIT_FAIL;
	}
	if (spec) {
		ret = profile_prepare(spec, &host, &p, &c);
		if (ret) {
			cpuid_dump_free(&host);
			return ret;
		}
	}

	if (json) {
		ret = explain_json(f, raw_f || alias ? argv[optind] : NULL, &raw, alias,
				   against, &host, spec ? &p : NULL, &c);
		cpuid_dump_free(&host);
		return ret;
	}
	if (raw_f || alias)
		raw_print_head(argv[optind], &raw, raw_f, alias);
	print_feature(f);
	printf("%s: %s\n", against ? against : "this host",
	       cpuid_dump_has(&host, f) ? "has it" : "does not have it");
	if (spec) {
		if (!cpuid_dump_has(&host, f)) {
			printf("profile %s: hides it (the host does not have it)\n", c.name);
		} else if (fset_has(&c.hidden, f)) {
			profile_reason(&p, &c, f, why, sizeof(why));
			printf("profile %s: hides it: %s\n", c.name, why);
			views_print_feature(f);
		} else {
			printf("profile %s: shows it\n", c.name);
		}
	}
	cpuid_dump_free(&host);
	return EXIT_OK;
}
