// SPDX-License-Identifier: GPL-2.0
/*
 * What a profile changes besides CPUID (issue 14): the module rewrites
 * /proc/cpuinfo and the auxiliary vector of profiled tasks
 * (docs/module.md, "Other views"). These lines say which of them a
 * profile changes, for `profile show` and `explain --profile`.
 */
#include <stdio.h>
#include <string.h>

#include "cpuidctl.h"
#include "dump.h"
#include "profile.h"

/*
 * The CPUID words the kernel copies as they are into its capability
 * words, the only ones whose /proc/cpuinfo flags the module removes
 * (module/views_cpuinfo.c, cv_cap_words[]: keep the two lists equal).
 */
static const struct {
	uint32_t leaf, subleaf;
	uint8_t reg;
} view_words[] = {
	{ 0x1, 0, CPUID_EDX }, { 0x80000001, 0, CPUID_EDX },
	{ 0x1, 0, CPUID_ECX }, { 0x80000001, 0, CPUID_ECX },
	{ 0x7, 0, CPUID_EBX }, { 0xd, 1, CPUID_EAX },
	{ 0x7, 1, CPUID_EAX }, { 0x80000008, 0, CPUID_EBX },
	{ 0x6, 0, CPUID_EAX }, { 0x8000000a, 0, CPUID_EDX },
	{ 0x7, 0, CPUID_ECX }, { 0x80000007, 0, CPUID_EBX },
	{ 0x7, 0, CPUID_EDX }, { 0x8000001f, 0, CPUID_EAX },
	{ 0x80000021, 0, CPUID_EAX },
};

bool views_cpuinfo_filters(const struct cpu_feature *f)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(view_words); i++)
		if (view_words[i].leaf == f->leaf && view_words[i].subleaf == f->subleaf &&
		    view_words[i].reg == f->reg)
			return true;
	return false;
}

/* Where else a feature the profile hides disappears. */
void views_print_feature(const struct cpu_feature *f)
{
	const char *aux = NULL;

	if (f->leaf == 0x1 && f->reg == CPUID_EDX)
		aux = "AT_HWCAP";
	else if (f->leaf == 0x7 && f->subleaf == 0 && f->reg == CPUID_EBX && f->bit == 0)
		aux = "AT_HWCAP2 (fsgsbase)";
	else if (f->leaf == 0x1 && f->reg == CPUID_ECX && f->bit == 3)
		aux = "AT_HWCAP2 (ring3mwait)";
	if (views_cpuinfo_filters(f))
		printf("views: also hidden in /proc/cpuinfo's flags for readers in the cgroup\n");
	else
		printf("views: /proc/cpuinfo keeps the kernel's flag (not a CPUID word the kernel copies as is)\n");
	if (aux)
		printf("views: also hidden in %s of programs started in the cgroup\n", aux);
}

static void fms_line(const struct cpuid_dump *host, const struct cpuid_dump *seen)
{
	unsigned int hf, hm, hs, sf, sm, ss;

	if (!cpuid_dump_fms(host, &hf, &hm, &hs) || !cpuid_dump_fms(seen, &sf, &sm, &ss) ||
	    (hf == sf && hm == sm && hs == ss))
		printf("  /proc/cpuinfo cpu family, model, stepping: unchanged\n");
	else
		printf("  /proc/cpuinfo cpu family, model, stepping: %u, %u, %u (host %u, %u, %u)\n",
		       sf, sm, ss, hf, hm, hs);
}

/* One register's value, hex (AT_HWCAP) or, as /proc/cpuinfo prints it, decimal. */
static void word_line(const char *what, const struct cpuid_dump *host,
		      const struct cpuid_dump *seen, uint32_t leaf, uint8_t reg, bool dec)
{
	uint32_t h[CPUID_NR_REGS] = { 0 }, s[CPUID_NR_REGS] = { 0 };

	cpuid_dump_query(host, leaf, 0, h);
	cpuid_dump_query(seen, leaf, 0, s);
	if (h[reg] == s[reg])
		printf("  %s: unchanged\n", what);
	else if (dec)
		printf("  %s: %u (host %u)\n", what, s[reg], h[reg]);
	else
		printf("  %s: 0x%08x (host 0x%08x)\n", what, s[reg], h[reg]);
}

static void hwcap2_line(const struct cpuid_dump *host, const struct cpuid_dump *seen)
{
	uint32_t h7[CPUID_NR_REGS] = { 0 }, s7[CPUID_NR_REGS] = { 0 };
	uint32_t h1[CPUID_NR_REGS] = { 0 }, s1[CPUID_NR_REGS] = { 0 };
	bool fsgs, mwait;

	cpuid_dump_query(host, 0x7, 0, h7);
	cpuid_dump_query(seen, 0x7, 0, s7);
	cpuid_dump_query(host, 0x1, 0, h1);
	cpuid_dump_query(seen, 0x1, 0, s1);
	fsgs = (h7[CPUID_EBX] & 1) && !(s7[CPUID_EBX] & 1);
	mwait = (h1[CPUID_ECX] & 8) && !(s1[CPUID_ECX] & 8);
	printf("  AT_HWCAP2: %s%s%s\n", fsgs ? "fsgsbase cleared" : "",
	       fsgs && mwait ? ", " : "", mwait ? "ring3mwait cleared" :
	       fsgs ? "" : "unchanged");
}

/*
 * The views block of `profile show`: what a task in the cgroup reads in
 * /proc/cpuinfo and, at exec, in its auxiliary vector.
 */
void views_print(const struct cpuid_dump *host, const struct cpuid_dump *seen,
		 const struct feature_cmp *cmp, size_t n)
{
	char hb[49], sb[49];
	size_t i, hidden = 0;

	for (i = 0; i < n; i++)
		if (cmp[i].host && !cmp[i].presented && !(cmp[i].f->flags & FEAT_ALIAS) &&
		    views_cpuinfo_filters(cmp[i].f))
			hidden++;
	printf("views (module parameter views, on by default):\n");
	if (hidden)
		printf("  /proc/cpuinfo flags: %zu hidden feature%s removed\n", hidden,
		       hidden == 1 ? "" : "s");
	else
		printf("  /proc/cpuinfo flags: unchanged\n");
	fms_line(host, seen);
	cpuid_dump_brand(host, hb);
	cpuid_dump_brand(seen, sb);
	if (strcmp(hb, sb))
		printf("  /proc/cpuinfo model name: %s\n", sb);
	else
		printf("  /proc/cpuinfo model name: unchanged\n");
	word_line("/proc/cpuinfo cpuid level", host, seen, 0x0, CPUID_EAX, true);
	word_line("AT_HWCAP (at exec)", host, seen, 0x1, CPUID_EDX, false);
	hwcap2_line(host, seen);
}
