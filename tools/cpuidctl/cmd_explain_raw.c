// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl explain LEAF_SUBLEAF_REG_BIT: a raw CPUID bit decoded, the
 * feature it is (if any), and what 'mask' of it does, which is what the
 * profile compiler does with it (lib/profile.c).
 */
#include <stdio.h>
#include <string.h>

#include "cpuidctl.h"
#include "profile.h"
#include "rawbit.h"

/* Parse @arg; @f gets the primary feature at the bit, or NULL. */
int raw_resolve(const char *arg, struct cpuid_bit *b,
		const struct cpu_feature **f, const struct cpu_feature **alias)
{
	const struct cpu_feature *at[8];
	char why[160];
	size_t n;

	if (cpuid_bit_parse(arg, b, why, sizeof(why))) {
		err_msg("bad raw bit '%s': %s", arg, why);
		return EXIT_USAGE;
	}
	n = cpuid_bit_features(b, at, ARRAY_SIZE(at));
	*f = NULL;
	*alias = NULL;
	if (n && !(at[0]->flags & FEAT_ALIAS))
		*f = at[0];
	else if (n)
		*alias = at[0];
	return EXIT_OK;
}

static void print_bit(const char *arg, const struct cpuid_bit *b)
{
	printf("raw bit: %s = leaf %#x", arg, b->leaf);
	if (cpuid_leaf_has_subleaves(b->leaf))
		printf(" subleaf %u", b->subleaf);
	printf(" %s bit %u\n", cpuid_reg_name(b->reg), b->bit);
	if (!cpuid_leaf_has_subleaves(b->leaf) && b->subleaf)
		printf("note: leaf %#x has no subleaves: every subleaf answers alike, so subleaf %u is subleaf 0\n",
		       b->leaf, b->subleaf);
}

/* The lines before the explanation of the feature at the bit. */
void raw_print_head(const char *arg, const struct cpuid_bit *b,
		    const struct cpu_feature *f, const struct cpu_feature *alias)
{
	const struct cpu_feature *primary = alias ? feature_by_name(alias->name) : NULL;

	print_bit(arg, b);
	if (f) {
		printf("mask %s: the same as 'mask %s' (it and everything that requires it)\n",
		       arg, f->name);
		return;
	}
	printf("mask %s: clears this copy of %s only; %s stays shown by its bit in leaf %#x %s bit %u: 'mask %s' hides both\n",
	       arg, alias->name, alias->name, primary->leaf,
	       cpuid_reg_name(primary->reg), primary->bit, alias->name);
}

/* Exit code after printing why; the host is this one or the dump. */
static int load_host(const char *against, struct cpuid_dump *host)
{
	struct diag diag;

	diag_clear(&diag);
	if (against ? cpuid_dump_load(host, against, -1, &diag) :
		      cpuid_dump_read_host(host, -1, &diag)) {
		err_msg("%s%s", against ? "" : "reading this host's CPUID: ", diag.msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/*
 * A bit without a name: what mask does, whether the host sets it and what
 * the profile @c (may be NULL) shows of it.
 */
static int print_unnamed(const char *arg, const struct cpuid_bit *b,
			 const struct cpuid_dump *host, const char *hostname,
			 const struct profile_compiled *c)
{
	uint32_t r[CPUID_NR_REGS], mask = 1U << b->bit;
	struct cpuid_dump seen = CPUID_DUMP_INIT;
	int ret;

	print_bit(arg, b);
	printf("feature: none (no name in the kernel's feature table: reserved, or not known to this cpuidctl)\n");
	printf("mask %s: clears this bit only; no feature requires it\n", arg);
	if (!cpuid_dump_query(host, b->leaf, b->subleaf, r))
		printf("%s: does not report leaf %#x subleaf %u\n", hostname, b->leaf, b->subleaf);
	else
		printf("%s: bit %s\n", hostname, r[b->reg] & mask ? "set" : "clear");
	if (!c)
		return EXIT_OK;
	ret = profile_emulate(c, host, &seen);
	if (ret) {
		err_msg("emulating the profile: %s", strerror(-ret));
		return EXIT_FAIL;
	}
	if (cpuid_dump_query(&seen, b->leaf, b->subleaf, r))
		printf("profile %s: bit %s\n", c->name, r[b->reg] & mask ? "set" : "clear");
	cpuid_dump_free(&seen);
	return EXIT_OK;
}

/* explain of a bit without a name; every input is checked first. */
int raw_explain_unnamed(const char *arg, const struct cpuid_bit *b,
			const char *spec, const char *against, bool json)
{
	static struct profile p;
	static struct profile_compiled c;
	struct cpuid_dump host = CPUID_DUMP_INIT;
	int ret;

	ret = load_host(against, &host);
	if (!ret && spec)
		ret = profile_prepare(spec, &host, &p, &c);
	if (!ret && json)
		ret = explain_unnamed_json(arg, b, against, &host, spec ? &c : NULL);
	else if (!ret)
		ret = print_unnamed(arg, b, &host, against ? against : "this host",
				    spec ? &c : NULL);
	cpuid_dump_free(&host);
	return ret;
}
