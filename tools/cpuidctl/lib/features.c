// SPDX-License-Identifier: GPL-2.0
/*
 * Feature table lookups, dependency closure and x86-64 levels. The data
 * is features.def (generated, see gen-features.py).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpufeat.h"
#include "suggest.h"

enum {
#define FEATURE(id, name, kname, leaf, sub, reg, bit, flags, desc) FI_##id,
#include "features.def"
#undef FEATURE
	FI_COUNT
};

_Static_assert(FI_COUNT <= FSET_WORDS * 64, "feature_set too small");
_Static_assert(FI_COUNT <= 1024, "per-feature arrays in profile.h too small");

static const struct cpu_feature table[] = {
#define FEATURE(id, n, k, l, s, r, b, f, d) \
	{ .name = n, .kname = k, .leaf = l, .subleaf = s, .reg = r, \
	  .bit = b, .flags = f, .desc = d },
#include "features.def"
#undef FEATURE
};

struct dep {
	unsigned short feature;
	unsigned short requires;
};

static const struct dep deps[] = {
#define DEP(a, b) { FI_##a, FI_##b },
#include "features.def"
#undef DEP
};

static const struct {
	int level;
	unsigned short feature;
} levels[] = {
#define LEVEL(l, id) { l, FI_##id },
#include "features.def"
#undef LEVEL
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

size_t features_count(void)
{
	return FI_COUNT;
}

const struct cpu_feature *feature_get(size_t idx)
{
	return idx < FI_COUNT ? &table[idx] : NULL;
}

size_t feature_index(const struct cpu_feature *f)
{
	return (size_t)(f - table);
}

/*
 * Names people use that /proc/cpuinfo spells differently (the psABI, the
 * SDM and compilers' -m options say sse3, lzcnt, ...).
 */
static const struct {
	const char *alias;
	const char *name;
} aliases[] = {
	{ "sse3", "pni" }, { "lzcnt", "abm" }, { "lahf", "lahf_lm" },
	{ "sahf", "lahf_lm" }, { "cmpxchg16b", "cx16" },
	{ "cmpxchg8b", "cx8" }, { "pclmul", "pclmulqdq" },
	{ "sha", "sha_ni" }, { "bmi", "bmi1" }, { "x87", "fpu" },
	{ "prefetchw", "3dnowprefetch" }, { "sse4.1", "sse4_1" },
	{ "sse4.2", "sse4_2" }, { "sse4-1", "sse4_1" }, { "sse4-2", "sse4_2" },
};

const struct cpu_feature *feature_by_name(const char *name)
{
	size_t i;

	if (!name || !*name)
		return NULL;
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcasecmp(name, aliases[i].alias)) {
			name = aliases[i].name;
			break;
		}
	for (i = 0; i < FI_COUNT; i++)
		if (!(table[i].flags & FEAT_ALIAS) &&
		    !strcasecmp(table[i].name, name))
			return &table[i];
	if (!strncasecmp(name, "X86_FEATURE_", 12))
		name += 12;
	for (i = 0; i < FI_COUNT; i++)
		if (!(table[i].flags & FEAT_ALIAS) &&
		    !strcasecmp(table[i].kname, name))
			return &table[i];
	return NULL;
}

const char *feature_suggest(const char *name)
{
	size_t i, best = (size_t)-1, d;
	const char *found = NULL;

	for (i = 0; i < FI_COUNT; i++) {
		if (table[i].flags & FEAT_ALIAS)
			continue;
		d = suggest_score(name, table[i].name);
		if (d < best) {
			best = d;
			found = table[i].name;
		}
	}
	return found && suggest_plausible(name, best) ? found : NULL;
}

const struct cpu_feature *feature_at(uint32_t leaf, uint32_t subleaf,
				     unsigned int reg, unsigned int bit)
{
	size_t i;

	for (i = 0; i < FI_COUNT; i++)
		if (table[i].leaf == leaf && table[i].subleaf == subleaf &&
		    table[i].reg == reg && table[i].bit == bit)
			return &table[i];
	return NULL;
}

static const char *const reg_names[] = { "eax", "ebx", "ecx", "edx" };

const char *cpuid_reg_name(unsigned int reg)
{
	return reg < CPUID_NR_REGS ? reg_names[reg] : "?";
}

int cpuid_reg_parse(const char *s)
{
	int i;

	for (i = 0; i < CPUID_NR_REGS; i++)
		if (!strcasecmp(s, reg_names[i]))
			return i;
	return -1;
}

bool cpuid_leaf_has_subleaves(uint32_t leaf)
{
	switch (leaf) {
	case 0x4: case 0x7: case 0xb: case 0xd: case 0xf: case 0x10:
	case 0x12: case 0x14: case 0x17: case 0x18: case 0x1a: case 0x1b:
	case 0x1d: case 0x1e: case 0x1f: case 0x20: case 0x23: case 0x24:
	case 0x8000001d: case 0x80000020: case 0x80000026:
		return true;
	default:
		return false;
	}
}

void fset_clear(struct feature_set *s)
{
	memset(s, 0, sizeof(*s));
}

void fset_add(struct feature_set *s, const struct cpu_feature *f)
{
	size_t i = feature_index(f);

	s->w[i / 64] |= 1ULL << (i % 64);
}

void fset_del(struct feature_set *s, const struct cpu_feature *f)
{
	size_t i = feature_index(f);

	s->w[i / 64] &= ~(1ULL << (i % 64));
}

bool fset_has(const struct feature_set *s, const struct cpu_feature *f)
{
	size_t i = feature_index(f);

	return s->w[i / 64] >> (i % 64) & 1;
}

bool fset_empty(const struct feature_set *s)
{
	size_t i;

	for (i = 0; i < FSET_WORDS; i++)
		if (s->w[i])
			return false;
	return true;
}

size_t fset_count(const struct feature_set *s)
{
	size_t i, n = 0;

	for (i = 0; i < FSET_WORDS; i++)
		n += __builtin_popcountll(s->w[i]);
	return n;
}

void fset_or(struct feature_set *dst, const struct feature_set *src)
{
	size_t i;

	for (i = 0; i < FSET_WORDS; i++)
		dst->w[i] |= src->w[i];
}

void fset_and(struct feature_set *dst, const struct feature_set *src)
{
	size_t i;

	for (i = 0; i < FSET_WORDS; i++)
		dst->w[i] &= src->w[i];
}

const struct cpu_feature *fset_next(const struct feature_set *s,
				    const struct cpu_feature *prev)
{
	size_t i = prev ? feature_index(prev) + 1 : 0;

	for (; i < FI_COUNT; i++)
		if (s->w[i / 64] >> (i % 64) & 1)
			return &table[i];
	return NULL;
}

size_t feature_requires(const struct cpu_feature *f,
			const struct cpu_feature **out, size_t max)
{
	size_t i, n = 0, idx = feature_index(f);

	for (i = 0; i < ARRAY_SIZE(deps); i++) {
		if (deps[i].feature != idx)
			continue;
		if (n < max)
			out[n] = &table[deps[i].requires];
		n++;
	}
	return n;
}

size_t feature_required_by(const struct cpu_feature *f,
			   const struct cpu_feature **out, size_t max)
{
	size_t i, n = 0, idx = feature_index(f);

	for (i = 0; i < ARRAY_SIZE(deps); i++) {
		if (deps[i].requires != idx)
			continue;
		if (n < max)
			out[n] = &table[deps[i].feature];
		n++;
	}
	return n;
}

/* Same fixed-point loop as the kernel's do_clear_cpu_cap(). */
void fset_close_dependents(struct feature_set *s)
{
	bool changed;
	size_t i;

	do {
		changed = false;
		for (i = 0; i < ARRAY_SIZE(deps); i++) {
			const struct cpu_feature *a = &table[deps[i].feature];

			if (fset_has(s, &table[deps[i].requires]) &&
			    !fset_has(s, a)) {
				fset_add(s, a);
				changed = true;
			}
		}
	} while (changed);
}

void fset_close_requirements(struct feature_set *s)
{
	bool changed;
	size_t i;

	do {
		changed = false;
		for (i = 0; i < ARRAY_SIZE(deps); i++) {
			const struct cpu_feature *b = &table[deps[i].requires];

			if (fset_has(s, &table[deps[i].feature]) &&
			    !fset_has(s, b)) {
				fset_add(s, b);
				changed = true;
			}
		}
	} while (changed);
}

const struct cpu_feature *feature_masked_via(const struct cpu_feature *f,
					     const struct feature_set *masked)
{
	struct feature_set closed = *masked;
	size_t i, idx = feature_index(f);

	if (fset_has(masked, f))
		return NULL;
	fset_close_dependents(&closed);
	if (!fset_has(&closed, f))
		return NULL;
	for (i = 0; i < ARRAY_SIZE(deps); i++)
		if (deps[i].feature == idx &&
		    fset_has(&closed, &table[deps[i].requires]))
			return &table[deps[i].requires];
	return NULL;
}

int x86_level_features(int level, struct feature_set *out)
{
	size_t i;

	if (level < 1 || level > X86_LEVEL_MAX)
		return -EINVAL;
	fset_clear(out);
	for (i = 0; i < ARRAY_SIZE(levels); i++)
		if (levels[i].level <= level)
			fset_add(out, &table[levels[i].feature]);
	return 0;
}

int x86_level_of(const struct feature_set *present, struct feature_set *missing)
{
	struct feature_set want;
	int level;

	for (level = 1; level <= X86_LEVEL_MAX; level++) {
		size_t i;
		bool ok = true;

		fset_clear(&want);
		for (i = 0; i < ARRAY_SIZE(levels); i++) {
			const struct cpu_feature *f = &table[levels[i].feature];

			if (levels[i].level <= level && !fset_has(present, f)) {
				fset_add(&want, f);
				ok = false;
			}
		}
		if (!ok) {
			if (missing)
				*missing = want;
			return level - 1;
		}
	}
	if (missing)
		fset_clear(missing);
	return X86_LEVEL_MAX;
}
