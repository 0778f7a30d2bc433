/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CPUID feature table: every feature bit cpuidctl knows by name, with
 * the leaf, subleaf, register and bit it lives in, and the dependencies
 * between features (a feature is unusable without the features it requires,
 * so masking one masks everything that requires it).
 *
 * The data is generated into features.def (see gen-features.sh, which
 * states its provenance: the kernel's cpufeatures.h, scattered.c and
 * cpuid-deps.c) and never edited by hand.
 */
#ifndef CPUIDCTL_CPUFEAT_H
#define CPUIDCTL_CPUFEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Same numbering as enum cpuidvirt_reg in the uapi. */
enum cpuid_reg {
	CPUID_EAX = 0,
	CPUID_EBX = 1,
	CPUID_ECX = 2,
	CPUID_EDX = 3,
	CPUID_NR_REGS = 4,
};

/* struct cpu_feature.flags */
#define FEAT_ISA	(1U << 0) /* instruction set extension (levels, allow) */
#define FEAT_HIDDEN	(1U << 1) /* not shown in /proc/cpuinfo ("" name) */
#define FEAT_OS		(1U << 2) /* reflects OS state (osxsave, ospke) */
#define FEAT_LEGACY	(1U << 3) /* not in current kernels, kept for seed 002 */
#define FEAT_ALIAS	(1U << 4) /* AMD 0x80000001.EDX mirror of a 1.EDX bit */

struct cpu_feature {
	const char *name;	/* /proc/cpuinfo name, lower case: "sse4_2" */
	const char *kname;	/* kernel define without X86_FEATURE_: "XMM4_2" */
	uint32_t leaf;
	uint32_t subleaf;	/* 0 for leaves without subleaves */
	uint8_t reg;		/* enum cpuid_reg */
	uint8_t bit;		/* 0..31 */
	uint16_t flags;		/* FEAT_* */
	const char *desc;	/* the kernel's comment, may be "" */
};

/* Number of table entries; indexes 0..features_count()-1 are stable. */
size_t features_count(void);
const struct cpu_feature *feature_get(size_t idx);
size_t feature_index(const struct cpu_feature *f);

/*
 * Look a feature up by its /proc/cpuinfo name, by its kernel define name
 * (with or without the X86_FEATURE_ prefix) or by a common alias (sse3,
 * lzcnt, cmpxchg16b, sse4.2, ...), case-insensitively. NULL if
 * unknown. feature_suggest() returns the closest known name (for "did you
 * mean" messages) or NULL.
 */
const struct cpu_feature *feature_by_name(const char *name);
const char *feature_suggest(const char *name);

/* The named feature at this position, NULL if the bit has no name. */
const struct cpu_feature *feature_at(uint32_t leaf, uint32_t subleaf,
				     unsigned int reg, unsigned int bit);

/* "eax".."edx"; cpuid_reg_parse() returns -1 for anything else. */
const char *cpuid_reg_name(unsigned int reg);
int cpuid_reg_parse(const char *s);

/* Leaves whose subleaf (ECX input) matters, e.g. 0x7, 0xd, 0xf, 0x10. */
bool cpuid_leaf_has_subleaves(uint32_t leaf);

/*
 * A set of features, as a bitmap over table indexes. Plain data: copy with
 * assignment, zero-initialise with fset_clear() or = { 0 }.
 */
#define FSET_WORDS 16	/* room for 1024 features */
struct feature_set {
	uint64_t w[FSET_WORDS];
};

void fset_clear(struct feature_set *s);
void fset_add(struct feature_set *s, const struct cpu_feature *f);
void fset_del(struct feature_set *s, const struct cpu_feature *f);
bool fset_has(const struct feature_set *s, const struct cpu_feature *f);
bool fset_empty(const struct feature_set *s);
size_t fset_count(const struct feature_set *s);
void fset_or(struct feature_set *dst, const struct feature_set *src);
void fset_and(struct feature_set *dst, const struct feature_set *src);
/* Iterate: for (f = fset_next(s, NULL); f; f = fset_next(s, f)) */
const struct cpu_feature *fset_next(const struct feature_set *s,
				    const struct cpu_feature *prev);

/*
 * Direct dependencies. feature_requires() fills @out with up to @max
 * features that @f needs (cpuid-deps.c "feature depends on X") and returns
 * how many there are in total; feature_required_by() the reverse.
 */
size_t feature_requires(const struct cpu_feature *f,
			const struct cpu_feature **out, size_t max);
size_t feature_required_by(const struct cpu_feature *f,
			   const struct cpu_feature **out, size_t max);

/*
 * Closure of a set of masked features: adds every feature that requires,
 * directly or transitively, a feature already in @s ("masking avx masks
 * avx2, fma, avx512f, ..."). This is what the kernel's clear_cpu_cap() does.
 */
void fset_close_dependents(struct feature_set *s);

/* Adds every feature that a member of @s requires, transitively. */
void fset_close_requirements(struct feature_set *s);

/*
 * If @f is in the dependent closure of @masked but not in @masked itself,
 * return a feature it directly requires that is masked (the reason to
 * print: "masked: requires avx512f"); NULL otherwise.
 */
const struct cpu_feature *feature_masked_via(const struct cpu_feature *f,
					     const struct feature_set *masked);

/*
 * x86-64 micro-architecture levels of the psABI (x86-64-v1 .. v4).
 * x86_level_features() sets @out to the ISA features of level @level
 * (cumulative: v3 includes v2 and v1); -EINVAL for a level outside 1..4.
 */
#define X86_LEVEL_MAX 4
int x86_level_features(int level, struct feature_set *out);

/*
 * The highest level whose features are all in @present (0 if not even v1).
 * If @missing is not NULL it receives the features of level+1 that are
 * absent (empty set when level == X86_LEVEL_MAX).
 */
int x86_level_of(const struct feature_set *present,
		 struct feature_set *missing);

#endif
