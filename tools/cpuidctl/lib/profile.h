/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Profiles: the text language that describes the CPU a cgroup sees (see
 * docs/profile-language.md and profile_help_text()), its compilation into
 * the module's struct cpuidvirt_rule[] against a host dump, the
 * host-vs-presented comparison behind `profile show --against`, and the
 * lowest common denominator (LCD) of several hosts.
 *
 * Nothing here prints, exits or touches the module: errors come back as a
 * negative errno with a struct diag whose message is "file:line: message".
 */
#ifndef CPUIDCTL_PROFILE_H
#define CPUIDCTL_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/cpuidvirt.h>

#include "diag.h"
#include "dump.h"
#include "cpufeat.h"

#define PROFILE_MAX_RAW		64	/* raw LEAF_SUBLEAF_REG_BIT masks */
#define PROFILE_SOURCE_LEN	256

/* A raw bit: any leaf, also one without a feature name. */
struct profile_raw_bit {
	uint32_t leaf;
	uint32_t subleaf;
	uint8_t reg;
	uint8_t bit;
	int line;		/* where it was given, for reasons */
};

/* The parsed text, before it meets a host. Plain data, no allocations. */
struct profile {
	char name[CPUIDVIRT_NAME_LEN];	/* "name" directive or from source */
	char source[PROFILE_SOURCE_LEN];/* file name or "<builtin>" for diags */

	int baseline;			/* 0 none, 1..4 = x86-64-vN */
	int baseline_line;
	bool has_allow;			/* an "allow" line was seen */
	struct feature_set allow;	/* allow-list (baseline not included) */
	int allow_line[1024];		/* line of each allowed feature, by table index */
	struct feature_set mask;	/* "mask" names, before closure */
	int mask_line[1024];		/* line of each mask, by table index */

	struct profile_raw_bit raw[PROFILE_MAX_RAW];
	unsigned int nr_raw;

	uint32_t xsavearea;		/* 0 = keep the host's */
	int family, model, stepping;	/* -1 = keep */
	char brand[49];			/* "" = keep */
	bool has_brand;
	uint32_t max_basic_leaf;	/* 0 = no clamp */
	uint32_t max_ext_leaf;		/* 0 = no clamp */

	/* Lines of the directives above, for errors found when compiling. */
	int xsavearea_line, fms_line, brand_line, basic_line, ext_line;
};

void profile_init(struct profile *p);

/*
 * Parse profile text. @source names it in messages and gives the default
 * name (its basename without a ".profile" suffix). Accepts the seed's
 * VIRT_CPUID_MASK syntax ("avx512f,hle,rtm,xsavearea=2696", with or without
 * the "VIRT_CPUID_MASK=" prefix) as a line of its own. Returns 0 or
 * -EINVAL (-ERANGE for a number out of range, -E2BIG for too many raw
 * bits) with "source:line: message" in @diag.
 */
int profile_parse(struct profile *p, const char *text, const char *source,
		  struct diag *diag);

#define PROFILE_MAX_SIZE	(1 << 20)	/* bytes of profile text */
#define PROFILE_DIR_DEFAULT	"/etc/cpuidvirt/profiles"
#define PROFILE_DIR_ENV		"CPUIDVIRT_PROFILE_DIR"

/* Where bare profile names are looked up: $CPUIDVIRT_PROFILE_DIR or the default. */
const char *profile_dir_default(void);

/*
 * Resolve a PROFILE argument, in this order (docs/cpuidctl.md, "PROFILE"):
 *   1. a built-in name (x86-64-v1 .. x86-64-v4, x86-64-v2-aes, host);
 *   2. '-': standard input;
 *   3. an existing file (a name with a '/' must be one);
 *   4. a bare NAME in @dir: DIR/NAME, else DIR/NAME.profile;
 *   5. a VIRT_CPUID_MASK-style feature list.
 * With PROFILE_NAMES_ONLY (the OCI hook: the name is user input) only 1
 * and 4. Files are streamed (textin_read). An empty spec, or a profile that
 * sets nothing but is not the built-in 'host', is -EINVAL. -ENOENT with a
 * message listing the built-ins when nothing fits.
 */
#define PROFILE_NAMES_ONLY	(1U << 0)
int profile_resolve(struct profile *p, const char *spec, const char *dir,
		    unsigned int flags, struct diag *diag);
/* profile_resolve() with profile_dir_default() and no flags: every command. */
int profile_load(struct profile *p, const char *spec, struct diag *diag);

/* True if @p sets nothing at all (only perhaps a name). */
bool profile_is_empty(const struct profile *p);

/* Names of the built-in profiles, NULL-terminated. */
const char *const *profile_builtin_names(void);
/* Text of a built-in profile, NULL if @name is not one. */
const char *profile_builtin_text(const char *name);

/* Why a feature is hidden by a compiled profile. */
enum mask_reason {
	MR_NONE = 0,		/* not hidden */
	MR_PROFILE,		/* named in a mask line */
	MR_DEPENDENCY,		/* requires a hidden feature */
	MR_BASELINE,		/* ISA feature not in the x86-64-vN baseline */
	MR_ALLOWLIST,		/* ISA feature not in the allow list */
	MR_RAW,			/* raw LEAF_SUBLEAF_REG_BIT mask */
	MR_XSAVEAREA,		/* hidden to keep leaf 0xd consistent */
	MR_CLAMP,		/* its leaf is above max-basic/ext-leaf */
};

struct profile_compiled {
	char name[CPUIDVIRT_NAME_LEN];
	struct cpuidvirt_rule rules[CPUIDVIRT_MAX_RULES];
	unsigned int nr_rules;
	uint32_t attach_flags;		/* CPUIDVIRT_ATTACH_CLAMP_* */
	uint32_t max_basic_leaf;	/* valid with CLAMP_BASIC */
	uint32_t max_ext_leaf;		/* valid with CLAMP_EXT */
	struct feature_set hidden;	/* every named feature hidden */
	uint8_t reason[1024];		/* enum mask_reason by table index */
	uint16_t via[1024];		/* MR_DEPENDENCY: index of the cause */
};

/*
 * Compile @p into rules for the module. @host is the CPU the rules will
 * run on (a dump of the host, normally cpuid_dump_read_host()); it is
 * needed to check xsavearea (-EINVAL "xsavearea N is below this host's
 * XSAVE area size M"; no rules on a host without XSAVE), the model against
 * the host's family and the brand leaves, and may be NULL to skip those
 * checks (xsavearea rules are then always emitted). The rule set is
 * minimal: one rule per (leaf, subleaf) that changes something, sorted.
 * -E2BIG if more than CPUIDVIRT_MAX_RULES would be needed.
 */
int profile_compile(const struct profile *p, const struct cpuid_dump *host,
		    struct profile_compiled *c, struct diag *diag);

/*
 * What a masked task sees: apply the rules and clamps to @host exactly as
 * the module does (rules: (native & and) | or; specific subleaf wins over
 * ANY_SUBLEAF; clamped leaves answered as the highest basic leaf) and
 * write the result to @out (initialised by the caller, replaced).
 */
int profile_emulate(const struct profile_compiled *c,
		    const struct cpuid_dump *host, struct cpuid_dump *out);

/* One line of `profile show --against`: a named feature on both sides. */
struct feature_cmp {
	const struct cpu_feature *f;
	bool host;			/* set on the host */
	bool presented;			/* set in what the profile shows */
	enum mask_reason reason;	/* why host && !presented */
	char why[96];			/* "masked by profile (line 3)",
					 * "masked: requires avx512f",
					 * "not in x86-64-v2", ... ; "" if same */
};

/*
 * Feature-by-feature comparison of @host and the profile's view of it,
 * for every table feature set on either side, in table order. *@out is
 * malloc()ed (caller frees), *@n its length. -ENOMEM on failure.
 */
int profile_compare(const struct profile *p, const struct profile_compiled *c,
		    const struct cpuid_dump *host, struct feature_cmp **out,
		    size_t *n);

/* The reason text for one feature (as in struct feature_cmp.why). */
enum mask_reason profile_reason(const struct profile *p,
				const struct profile_compiled *c,
				const struct cpu_feature *f,
				char *buf, size_t len);

/*
 * Human-readable listing of the compiled rules and clamps, one rule per
 * line: "leaf 0x00000007 subleaf 0x00 ebx &= 0xfffeffdf ...".
 */
int profile_print_rules(const struct profile_compiled *c, FILE *out);

/* Write @p back as profile text (canonical form, parseable). */
int profile_format(const struct profile *p, FILE *out);

/*
 * Lowest common denominator of @n host dumps (@names label them in
 * comments and messages): a profile text that allows only the ISA features
 * present on every host (closed under dependencies), masks the other
 * named non-ISA CPUID features missing somewhere, sets xsavearea to the
 * largest XSAVE area of the hosts and clamps the max leaves to the lowest.
 * Hosts of different vendors give -EINVAL unless LCD_ALLOW_MIXED_VENDOR.
 * *@text is malloc()ed.
 */
#define LCD_ALLOW_MIXED_VENDOR	(1U << 0)
int profile_lcd(const struct cpuid_dump *hosts, const char *const *names,
		size_t n, unsigned int flags, char **text, struct diag *diag);

/* Text of `cpuidctl help profile` (the language reference, short form). */
const char *profile_help_text(void);

/* "masked by profile" etc.: a fixed label for a reason. */
const char *mask_reason_name(enum mask_reason r);

#endif
