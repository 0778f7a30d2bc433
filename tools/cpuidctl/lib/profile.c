// SPDX-License-Identifier: GPL-2.0
/*
 * The profile language: parser, compiler to struct cpuidvirt_rule[],
 * emulation of the module's answer, comparison and LCD of hosts.
 * docs/profile-language.md is the reference; keep both in step.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "profile.h"
#include "rawbit.h"
#include "suggest.h"
#include "textin.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Lowest XSAVE area: legacy region (512) + XSAVE header (64). */
#define XSAVE_MIN_SIZE	576
/* Far above any CPU's (AMX: ~11 KiB); catches typos like an extra digit. */
#define XSAVE_MAX_SIZE	(1U << 20)

void profile_init(struct profile *p)
{
	memset(p, 0, sizeof(*p));
	p->family = -1;
	p->model = -1;
	p->stepping = -1;
}

/* Tokenizer ---------------------------------------------------------- */

#define MAX_TOKENS 128

struct line_ctx {
	const char *source;
	int line;
	struct diag *diag;
};

/*
 * Split @buf in place into tokens: blanks separate, "..." quotes (with \"
 * and \\), # starts a comment outside quotes. Returns the count or -EINVAL.
 */
static int tokenize(char *buf, char **tok, int max, const struct line_ctx *lc)
{
	char *r = buf, *w;
	int n = 0;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\r')
			r++;
		if (!*r || *r == '#')
			return n;
		if (n == max)
			return diag_set(lc->diag, EINVAL, lc->source, lc->line,
					"too many words on one line (at most %d)",
					max);
		tok[n++] = w = r;
		if (*r == '"') {
			tok[n - 1] = w = ++r;
			for (;;) {
				if (!*r)
					return diag_set(lc->diag, EINVAL,
							lc->source, lc->line,
							"unterminated string: missing closing '\"'");
				if (*r == '"')
					break;
				if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
					r++;
				*w++ = *r++;
			}
			r++;
			if (*r && *r != ' ' && *r != '\t' && *r != '\r' &&
			    *r != '#')
				return diag_set(lc->diag, EINVAL, lc->source,
						lc->line,
						"missing blank after closing '\"'");
			if (*r == '#') {
				*w = '\0';
				return n;
			}
			if (*r)
				r++;
			*w = '\0';
			continue;
		}
		while (*r && *r != ' ' && *r != '\t' && *r != '\r' && *r != '#')
			r++;
		if (*r == '#') {
			*r = '\0';
			return n;
		}
		if (*r)
			*r++ = '\0';
	}
}

/*
 * Numbers: decimal or 0x hex, the whole word, within [lo, hi]. @hex: the
 * limits are printed in hex (leaves, family/model/stepping), as they are
 * written.
 */
static int parse_num(const char *s, unsigned long long lo,
		     unsigned long long hi, bool hex, unsigned long long *out,
		     const char *what, const struct line_ctx *lc)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end)
		goto bad;
	if (errno == ERANGE)
		return diag_set(lc->diag, ERANGE, lc->source, lc->line,
				hex ? "%s %s is too large (at most 0x%llx)" :
				      "%s %s is too large (at most %llu)",
				what, s, hi);
	if (errno)
		goto bad;
	if (v < lo || v > hi)
		return diag_set(lc->diag, ERANGE, lc->source, lc->line,
				hex ? "%s %s is out of range (0x%llx..0x%llx)" :
				      "%s %s is out of range (%llu..%llu)",
				what, s, lo, hi);
	*out = v;
	return 0;
bad:
	return diag_set(lc->diag, EINVAL, lc->source, lc->line,
			"%s: expected a number (decimal or 0x hex), got '%s'",
			what, s);
}

/* "LEAF_SUBLEAF_REG_BIT", e.g. 7_0_ebx_5 or 0x80000001_0_ecx_6 (rawbit.c). */
static bool parse_raw(const char *s, struct profile_raw_bit *rb)
{
	struct cpuid_bit b;
	char why[128];

	if (cpuid_bit_parse(s, &b, why, sizeof(why)))
		return false;
	rb->leaf = b.leaf;
	rb->subleaf = b.subleaf;
	rb->reg = (uint8_t)b.reg;
	rb->bit = (uint8_t)b.bit;
	return true;
}

/* Looks like LEAF_SUBLEAF_REG_BIT but is wrong: give a precise message. */
static bool looks_raw(const char *s)
{
	return isdigit((unsigned char)*s) && strchr(s, '_');
}

static int unknown_feature(const char *name, const struct line_ctx *lc)
{
	const char *sug = feature_suggest(name);

	if (looks_raw(name)) {
		struct cpuid_bit b;
		char why[128];

		if (cpuid_bit_parse(name, &b, why, sizeof(why)))
			return diag_set(lc->diag, EINVAL, lc->source, lc->line,
					"bad raw bit '%s': %s; expected LEAF_SUBLEAF_REG_BIT, e.g. 7_0_ebx_5",
					name, why);
		return diag_set(lc->diag, EINVAL, lc->source, lc->line,
				"bad raw bit '%s': expected LEAF_SUBLEAF_REG_BIT, e.g. 7_0_ebx_5 (register eax..edx, bit 0..31)",
				name);
	}
	if (sug)
		return diag_set(lc->diag, EINVAL, lc->source, lc->line,
				"unknown feature '%s' (did you mean '%s'?)",
				name, sug);
	return diag_set(lc->diag, EINVAL, lc->source, lc->line,
			"unknown feature '%s' (names are those of /proc/cpuinfo; 'cpuidctl explain' shows one)",
			name);
}

/* A feature name or raw bit of a mask line / mask list item. */
static int add_mask(struct profile *p, const char *word,
		    const struct line_ctx *lc)
{
	const struct cpu_feature *f = feature_by_name(word);
	struct profile_raw_bit rb;

	if (f) {
		fset_add(&p->mask, f);
		if (!p->mask_line[feature_index(f)])
			p->mask_line[feature_index(f)] = lc->line;
		return 0;
	}
	if (!parse_raw(word, &rb))
		return unknown_feature(word, lc);
	if (p->nr_raw == PROFILE_MAX_RAW)
		return diag_set(lc->diag, E2BIG, lc->source, lc->line,
				"too many raw bits (at most %d)",
				PROFILE_MAX_RAW);
	rb.line = lc->line;
	p->raw[p->nr_raw++] = rb;
	return 0;
}

/* One word of a mask line: "avx2", or "avx2," of "mask avx2, hle". */
static int add_mask_words(struct profile *p, char *word,
			  const struct line_ctx *lc)
{
	char *item, *save = NULL;
	int ret = 0;

	if (!strchr(word, ','))
		return add_mask(p, word, lc);
	for (item = strtok_r(word, ",", &save); item && !ret;
	     item = strtok_r(NULL, ",", &save))
		ret = add_mask(p, item, lc);
	return ret;
}

static int set_xsavearea(struct profile *p, const char *val,
			 const struct line_ctx *lc)
{
	unsigned long long v;
	int ret;

	if (p->xsavearea)
		return diag_set(lc->diag, EINVAL, lc->source, lc->line,
				"xsavearea given twice");
	ret = parse_num(val, XSAVE_MIN_SIZE, XSAVE_MAX_SIZE, false, &v,
			"xsavearea", lc);
	if (ret)
		return ret;
	p->xsavearea = (uint32_t)v;
	p->xsavearea_line = lc->line;
	return 0;
}

/* The seed's VIRT_CPUID_MASK list: "avx512f,hle,rtm,xsavearea=2696". */
static int parse_mask_list(struct profile *p, const char *list,
			   const struct line_ctx *lc)
{
	char *copy = strdup(list), *item, *save = NULL;
	int ret = 0;

	if (!copy)
		return diag_set(lc->diag, ENOMEM, lc->source, lc->line,
				"out of memory");
	if (!strncmp(list, "VIRT_CPUID_MASK=", 16))
		memmove(copy, copy + 16, strlen(copy + 16) + 1);
	if (!*copy) {
		ret = diag_set(lc->diag, EINVAL, lc->source, lc->line,
			       "empty feature list");
		goto out;
	}
	for (item = strtok_r(copy, ",", &save); item && !ret;
	     item = strtok_r(NULL, ",", &save)) {
		if (!strncmp(item, "xsavearea=", 10))
			ret = set_xsavearea(p, item + 10, lc);
		else if (strchr(item, '='))
			ret = diag_set(lc->diag, EINVAL, lc->source, lc->line,
				       "unknown setting '%s' (only xsavearea=SIZE takes a value)",
				       item);
		else
			ret = add_mask(p, item, lc);
	}
out:
	free(copy);
	return ret;
}

static int parse_baseline(const char *s, int *level)
{
	if (!strncmp(s, "x86-64-v", 8) && s[8] >= '1' &&
	    s[8] <= '0' + X86_LEVEL_MAX && !s[9]) {
		*level = s[8] - '0';
		return 0;
	}
	if (!strcmp(s, "x86-64")) {
		*level = 1;
		return 0;
	}
	return -EINVAL;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= CPUIDVIRT_NAME_LEN)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-+:,=", *s))
			return false;
	return true;
}

/* Single-valued directives remember their line to report repeats. */
struct seen {
	int name, family, model, stepping, brand, basic, ext;
};

static int once(int *seen, const char *kw, const struct line_ctx *lc)
{
	if (*seen)
		return diag_set(lc->diag, EINVAL, lc->source, lc->line,
				"%s already set on line %d", kw, *seen);
	*seen = lc->line;
	return 0;
}

static int need_args(int ntok, int min, int max, const char *kw,
		     const char *usage, const struct line_ctx *lc)
{
	if (ntok - 1 < min || ntok - 1 > max)
		return diag_set(lc->diag, EINVAL, lc->source, lc->line,
				"usage: %s %s", kw, usage);
	return 0;
}

static const char *const directives[] = {
	"name", "baseline", "mask", "allow", "xsavearea", "family", "model",
	"stepping", "brand", "max-basic-leaf", "max-ext-leaf", NULL
};

static int unknown_directive(const char *kw, const struct line_ctx *lc)
{
	const char *sug = suggest_word(kw, directives);

	if (feature_by_name(kw) || looks_raw(kw))
		return diag_set(lc->diag, EINVAL, lc->source, lc->line,
				"unknown directive '%s': features go after 'mask' ('mask %s ...') or in a comma-separated list ('%s,...')",
				kw, kw, kw);
	if (sug)
		return diag_set(lc->diag, EINVAL, lc->source, lc->line,
				"unknown directive '%s' (did you mean '%s'?)",
				kw, sug);
	return diag_set(lc->diag, EINVAL, lc->source, lc->line,
			"unknown directive '%s' (known: name, baseline, mask, allow, xsavearea, family, model, stepping, brand, max-basic-leaf, max-ext-leaf)",
			kw);
}

/*
 * "avx512f, hle": a VIRT_CPUID_MASK list written with blanks after (or
 * before) its commas, as people write lists. Every blank must touch a
 * comma, so "mask avx2" and "avx2 hle" stay what they are.
 */
static bool spaced_list(char **tok, int ntok)
{
	int i;

	for (i = 0; i < ntok - 1; i++) {
		size_t n = strlen(tok[i]);

		if (!(n && tok[i][n - 1] == ',') && tok[i + 1][0] != ',')
			return false;
	}
	return true;
}

static int parse_spaced_list(struct profile *p, char **tok, int ntok,
			     const struct line_ctx *lc)
{
	char list[4096] = "";
	size_t n = 0;
	int i;

	for (i = 0; i < ntok; i++) {
		size_t len = strlen(tok[i]);

		if (n + len >= sizeof(list))
			return diag_set(lc->diag, E2BIG, lc->source, lc->line,
					"feature list too long (at most %zu characters)",
					sizeof(list) - 1);
		memcpy(list + n, tok[i], len + 1);
		n += len;
	}
	return parse_mask_list(p, list, lc);
}

static int parse_line(struct profile *p, char **tok, int ntok,
		      struct seen *seen, const struct line_ctx *lc)
{
	const char *kw = tok[0];
	unsigned long long v = 0;
	int i, ret;

	if (!strcmp(kw, "name")) {
		ret = need_args(ntok, 1, 1, kw, "NAME", lc);
		if (!ret)
			ret = once(&seen->name, kw, lc);
		if (ret)
			return ret;
		if (!valid_name(tok[1]))
			return diag_set(lc->diag, EINVAL, lc->source, lc->line,
					"bad name '%s': 1 to %d letters, digits or ._-+:,=",
					tok[1], CPUIDVIRT_NAME_LEN - 1);
		strcpy(p->name, tok[1]);
		return 0;
	}
	if (!strcmp(kw, "baseline")) {
		ret = need_args(ntok, 1, 1, kw, "x86-64-v1|x86-64-v2|x86-64-v3|x86-64-v4", lc);
		if (ret)
			return ret;
		if (p->baseline_line)
			return diag_set(lc->diag, EINVAL, lc->source, lc->line,
					"baseline already set on line %d",
					p->baseline_line);
		if (parse_baseline(tok[1], &p->baseline))
			return diag_set(lc->diag, EINVAL, lc->source, lc->line,
					"unknown baseline '%s' (known: x86-64-v1, x86-64-v2, x86-64-v3, x86-64-v4)",
					tok[1]);
		p->baseline_line = lc->line;
		return 0;
	}
	if (!strcmp(kw, "mask")) {
		ret = need_args(ntok, 1, MAX_TOKENS, kw, "FEATURE...", lc);
		for (i = 1; i < ntok && !ret; i++)
			ret = add_mask_words(p, tok[i], lc);
		return ret;
	}
	if (!strcmp(kw, "allow")) {
		ret = need_args(ntok, 1, MAX_TOKENS, kw, "FEATURE...", lc);
		for (i = 1; i < ntok && !ret; i++) {
			const struct cpu_feature *f = feature_by_name(tok[i]);

			if (!f && looks_raw(tok[i]))
				return diag_set(lc->diag, EINVAL, lc->source,
						lc->line,
						"allow takes feature names, not raw bits ('%s')",
						tok[i]);
			if (!f)
				return unknown_feature(tok[i], lc);
			if (!(f->flags & FEAT_ISA))
				return diag_set(lc->diag, EINVAL, lc->source,
						lc->line,
						"'%s' is not an instruction-set extension; allow lists only act on those, so it is always shown (use 'mask %s' to hide it)",
						f->name, f->name);
			fset_add(&p->allow, f);
			if (!p->allow_line[feature_index(f)])
				p->allow_line[feature_index(f)] = lc->line;
		}
		p->has_allow = true;
		return ret;
	}
	if (!strcmp(kw, "xsavearea")) {
		ret = need_args(ntok, 1, 1, kw, "SIZE", lc);
		return ret ? ret : set_xsavearea(p, tok[1], lc);
	}
	if (!strcmp(kw, "family") || !strcmp(kw, "model") ||
	    !strcmp(kw, "stepping")) {
		int *dst = kw[0] == 'f' ? &p->family :
			   kw[0] == 'm' ? &p->model : &p->stepping;
		int *sl = kw[0] == 'f' ? &seen->family :
			  kw[0] == 'm' ? &seen->model : &seen->stepping;
		unsigned long long hi = kw[0] == 'f' ? 0xf + 0xff :
					kw[0] == 'm' ? 0xff : 0xf;

		ret = need_args(ntok, 1, 1, kw, "NUMBER", lc);
		if (!ret)
			ret = once(sl, kw, lc);
		if (!ret)
			ret = parse_num(tok[1], 0, hi, true, &v, kw, lc);
		if (ret)
			return ret;
		*dst = (int)v;
		if (!p->fms_line || kw[0] == 'm')
			p->fms_line = lc->line;
		return 0;
	}
	if (!strcmp(kw, "brand")) {
		ret = need_args(ntok, 1, 1, kw, "\"BRAND STRING\"", lc);
		if (!ret)
			ret = once(&seen->brand, kw, lc);
		if (ret)
			return ret;
		if (strlen(tok[1]) > 47)
			return diag_set(lc->diag, EINVAL, lc->source, lc->line,
					"brand string is %zu characters long; CPUID holds at most 47",
					strlen(tok[1]));
		for (i = 0; tok[1][i]; i++)
			if (!isprint((unsigned char)tok[1][i]))
				return diag_set(lc->diag, EINVAL, lc->source,
						lc->line,
						"brand string must be printable ASCII");
		strcpy(p->brand, tok[1]);
		p->has_brand = true;
		p->brand_line = lc->line;
		return 0;
	}
	if (!strcmp(kw, "max-basic-leaf")) {
		ret = need_args(ntok, 1, 1, kw, "LEAF", lc);
		if (!ret)
			ret = once(&seen->basic, kw, lc);
		if (!ret)
			ret = parse_num(tok[1], 1, 0x3fffffff, true, &v, kw, lc);
		if (ret)
			return ret;
		p->max_basic_leaf = (uint32_t)v;
		p->basic_line = lc->line;
		return 0;
	}
	if (!strcmp(kw, "max-ext-leaf")) {
		ret = need_args(ntok, 1, 1, kw, "LEAF", lc);
		if (!ret)
			ret = once(&seen->ext, kw, lc);
		if (!ret)
			ret = parse_num(tok[1], 0x80000000ULL, 0x8fffffffULL,
					true, &v, kw, lc);
		if (ret)
			return ret;
		p->max_ext_leaf = (uint32_t)v;
		p->ext_line = lc->line;
		return 0;
	}
	/* The seed's VIRT_CPUID_MASK list, a line of its own. */
	if (ntok == 1 && (strchr(kw, ',') || strchr(kw, '=') ||
			  feature_by_name(kw) || looks_raw(kw)))
		return parse_mask_list(p, kw, lc);
	if (ntok > 1 && spaced_list(tok, ntok))
		return parse_spaced_list(p, tok, ntok, lc);
	if (ntok == 1 && !strchr(kw, '-') && !strchr(kw, '"') &&
	    !suggest_word(kw, directives))
		return unknown_feature(kw, lc);
	return unknown_directive(kw, lc);
}

static void default_name(struct profile *p, const char *source)
{
	const char *base = strrchr(source, '/');
	size_t n;

	base = base ? base + 1 : source;
	n = strlen(base);
	if (n > 8 && !strcmp(base + n - 8, ".profile"))
		n -= 8;
	if (n >= CPUIDVIRT_NAME_LEN)
		n = CPUIDVIRT_NAME_LEN - 1;
	memcpy(p->name, base, n);
	p->name[n] = '\0';
}

int profile_parse(struct profile *p, const char *text, const char *source,
		  struct diag *diag)
{
	struct line_ctx lc = { .source = source ? source : "<profile>",
			       .diag = diag };
	struct seen seen = { 0 };
	const char *s = text;
	char *buf = NULL;
	int ret = 0;

	profile_init(p);
	snprintf(p->source, sizeof(p->source), "%s", lc.source);
	/* A UTF-8 byte order mark, as some editors write: not text. */
	if (s && !strncmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	while (s && *s && !ret) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char *tok[MAX_TOKENS];
		int ntok;

		lc.line++;
		buf = strndup(s, len);
		if (!buf)
			return diag_set(diag, ENOMEM, lc.source, 0,
					"out of memory");
		s = nl ? nl + 1 : NULL;
		ntok = tokenize(buf, tok, MAX_TOKENS, &lc);
		if (ntok < 0)
			ret = ntok;
		else if (ntok > 0)
			ret = parse_line(p, tok, ntok, &seen, &lc);
		free(buf);
	}
	if (ret)
		return ret;
	if (!p->name[0])
		default_name(p, lc.source);
	if (!valid_name(p->name))
		snprintf(p->name, sizeof(p->name), "custom");
	return 0;
}

/* Built-ins ------------------------------------------------------------ */

static const struct {
	const char *name;
	const char *text;
} builtins[] = {
	{ "x86-64-v1", "# psABI x86-64 baseline: SSE2, no later extension\n"
		       "name x86-64-v1\nbaseline x86-64-v1\n" },
	{ "x86-64-v2", "# psABI level 2: SSE4.2, POPCNT, CX16 (Nehalem class)\n"
		       "name x86-64-v2\nbaseline x86-64-v2\n" },
	{ "x86-64-v2-aes", "# x86-64-v2 plus AES-NI and PCLMULQDQ (Westmere class)\n"
			   "name x86-64-v2-aes\nbaseline x86-64-v2\n"
			   "allow aes pclmulqdq\n" },
	{ "x86-64-v3", "# psABI level 3: AVX2, FMA, BMI2 (Haswell class)\n"
		       "name x86-64-v3\nbaseline x86-64-v3\n" },
	{ "x86-64-v4", "# psABI level 4: AVX-512 F/BW/CD/DQ/VL (Skylake-SP class)\n"
		       "name x86-64-v4\nbaseline x86-64-v4\n" },
	/* The one profile that may be empty: said on purpose. */
	{ "host", "# this host's CPU as it is: nothing masked\nname host\n" },
};

const char *const *profile_builtin_names(void)
{
	static const char *const names[] = {
		"x86-64-v1", "x86-64-v2", "x86-64-v2-aes", "x86-64-v3",
		"x86-64-v4", "host", NULL
	};

	return names;
}

const char *profile_builtin_text(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(builtins); i++)
		if (!strcmp(name, builtins[i].name))
			return builtins[i].text;
	return NULL;
}

const char *profile_dir_default(void)
{
	const char *d = getenv(PROFILE_DIR_ENV);

	return d && *d ? d : PROFILE_DIR_DEFAULT;
}

bool profile_is_empty(const struct profile *p)
{
	return !p->baseline && !p->has_allow && !fset_count(&p->mask) &&
	       !p->nr_raw && !p->xsavearea && p->family < 0 && p->model < 0 &&
	       p->stepping < 0 && !p->has_brand && !p->max_basic_leaf &&
	       !p->max_ext_leaf;
}

/*
 * A PROFILE argument has a position too: the line of the command line
 * (docs/cpuidctl.md, exit status 5), so every profile error starts with one.
 */
#define CMDLINE_SOURCE "<command line>"

/* "x86-64-v1, ..., host": the built-ins, for messages. */
static const char *builtin_list(void)
{
	static char list[256];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(builtins) && n < sizeof(list); i++)
		n += snprintf(list + n, sizeof(list) - n, "%s%s",
			      i ? ", " : "", builtins[i].name);
	return list;
}

/*
 * A profile that sets nothing shows the host unchanged: almost always a
 * mistake (an empty file, a wrong variable), so only 'host' may say so.
 */
static int parse_nonempty(struct profile *p, const char *text,
			  const char *source, struct diag *diag)
{
	int ret = profile_parse(p, text, source, diag);

	if (ret || !profile_is_empty(p))
		return ret;
	/* A file is empty as a whole; the command line's PROFILE is line 1. */
	return diag_set(diag, EINVAL, source, strcmp(source, CMDLINE_SOURCE) ? 0 : 1,
			"empty profile: it masks nothing, so the cgroup would see this host's CPU unchanged; name what to hide (mask, baseline, allow, ...), or give the built-in profile 'host' to present the host as is");
}

static int parse_file(struct profile *p, const char *path, struct diag *diag)
{
	char *text;
	int ret;

	ret = textin_read(path, "profile", PROFILE_MAX_SIZE, &text, diag);
	if (ret)
		return ret;
	ret = parse_nonempty(p, text, strcmp(path, "-") ? path : TEXTIN_STDIN_NAME,
			     diag);
	free(text);
	return ret;
}

/* A bare NAME in @dir: DIR/NAME, else DIR/NAME.profile. 1 if neither exists. */
static int parse_in_dir(struct profile *p, const char *name, const char *dir,
			struct diag *diag)
{
	static const char *const suffix[] = { "", ".profile" };
	char path[PROFILE_SOURCE_LEN];
	struct stat st;
	size_t i;

	if (!dir || !*name || *name == '.' || strchr(name, '/'))
		return 1;
	for (i = 0; i < ARRAY_SIZE(suffix); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s%s", dir, name,
				     suffix[i]) >= sizeof(path))
			return diag_set(diag, ENAMETOOLONG, NULL, 0,
					"profile directory path too long: %s", dir);
		if (!stat(path, &st))
			return parse_file(p, path, diag);
	}
	return 1;
}

static int not_found(const char *spec, const char *dir, struct diag *diag)
{
	const char *sug = feature_suggest(spec);

	return diag_set(diag, ENOENT, CMDLINE_SOURCE, 1,
			"profile '%s' is not a built-in (%s), a file, a profile in %s, or a feature list like 'avx512f,hle,rtm,xsavearea=2696'%s%s%s",
			spec, builtin_list(), dir ? dir : profile_dir_default(),
			sug ? " (did you mean '" : "",
			sug ? sug : "", sug ? "'?)" : "");
}

/* Words the parser must judge itself: it has the precise message. */
static bool profile_text_like(const char *spec)
{
	return strpbrk(spec, ",= \t\n") || feature_by_name(spec) || looks_raw(spec);
}

/* A blank of "avx512f, hle" (one that touches a comma) is no part of a name. */
static bool list_blank(const char *spec, const char *c)
{
	const char *r = c;

	if (*c != ' ' && *c != '\t')
		return false;
	while (c > spec && (c[-1] == ' ' || c[-1] == '\t'))
		c--;
	while (*r == ' ' || *r == '\t')
		r++;
	return (c > spec && c[-1] == ',') || *r == ',';
}

/*
 * A profile given as a list is named by the list. A list longer than a
 * name can be is cut visibly, after a whole item: "avx2,hle,...".
 */
static void name_from_spec(struct profile *p, const char *spec)
{
	size_t n = 0, max = sizeof(p->name) - 1;
	const char *c;
	bool cut = false;

	for (c = spec; *c; c++) {
		if (list_blank(spec, c))
			continue;
		if (n == max) {
			cut = true;
			break;
		}
		p->name[n++] = *c;
	}
	p->name[n] = '\0';
	if (cut) {
		char *end = p->name + max - 3;

		while (end > p->name && end[-1] != ',')
			end--;
		strcpy(end > p->name ? end : p->name + max - 3, "...");
	}
	if (!valid_name(p->name))
		snprintf(p->name, sizeof(p->name), "custom");
}

int profile_resolve(struct profile *p, const char *spec, const char *dir,
		    unsigned int flags, struct diag *diag)
{
	const char *text = profile_builtin_text(spec);
	char src[PROFILE_SOURCE_LEN];
	struct stat st;
	int ret;

	profile_init(p);
	if (!*spec)
		return diag_set(diag, EINVAL, CMDLINE_SOURCE, 1,
				"empty profile name: give a built-in (%s), a file, or what to mask; 'host' presents the host as is",
				builtin_list());
	if (text) {
		snprintf(src, sizeof(src), "<builtin %s>", spec);
		return profile_parse(p, text, src, diag);
	}
	if (flags & PROFILE_NAMES_ONLY) {
		ret = parse_in_dir(p, spec, dir, diag);
		if (ret <= 0)
			return ret;
		return diag_set(diag, ENOENT, NULL, 0,
				"no such profile '%s': not a built-in (%s), and neither %s/%s nor %s/%s.profile exists",
				spec, builtin_list(), dir, spec, dir, spec);
	}
	if (!strcmp(spec, "-") || !stat(spec, &st))
		return parse_file(p, spec, diag);
	if (strchr(spec, '/'))
		return diag_set(diag, ENOENT, CMDLINE_SOURCE, 1,
				"no such profile file '%s'", spec);
	ret = parse_in_dir(p, spec, dir, diag);
	if (ret <= 0)
		return ret;
	if (strstr(spec, ".profile"))
		return diag_set(diag, ENOENT, CMDLINE_SOURCE, 1,
				"no such profile file '%s' (nor %s/%s)", spec, dir, spec);
	ret = parse_nonempty(p, spec, CMDLINE_SOURCE, diag);
	if (ret && !profile_text_like(spec))
		return not_found(spec, dir, diag);
	if (!ret)
		name_from_spec(p, spec);
	return ret;
}

int profile_load(struct profile *p, const char *spec, struct diag *diag)
{
	return profile_resolve(p, spec, profile_dir_default(), 0, diag);
}

/* Compiler ------------------------------------------------------------- */

struct rule_acc {
	struct cpuidvirt_rule r[CPUIDVIRT_MAX_RULES];
	unsigned int n;
	bool overflow;
};

static struct cpuidvirt_rule *rule_for(struct rule_acc *a, uint32_t leaf,
				       uint32_t subleaf)
{
	bool any = !cpuid_leaf_has_subleaves(leaf);
	struct cpuidvirt_rule *r;
	unsigned int i;
	int reg;

	if (any)
		subleaf = 0;
	for (i = 0; i < a->n; i++)
		if (a->r[i].leaf == leaf && a->r[i].subleaf == subleaf)
			return &a->r[i];
	if (a->n == CPUIDVIRT_MAX_RULES) {
		a->overflow = true;
		return NULL;
	}
	r = &a->r[a->n++];
	memset(r, 0, sizeof(*r));
	r->leaf = leaf;
	r->subleaf = subleaf;
	r->flags = any ? CPUIDVIRT_RULE_ANY_SUBLEAF : 0;
	for (reg = 0; reg < CPUID_NR_REGS; reg++)
		r->and[reg] = ~0U;
	return r;
}

static void clear_bit_rule(struct rule_acc *a, uint32_t leaf,
			   uint32_t subleaf, unsigned int reg,
			   unsigned int bit)
{
	struct cpuidvirt_rule *r = rule_for(a, leaf, subleaf);

	if (r) {
		r->and[reg] &= ~(1U << bit);
		r->or[reg] &= ~(1U << bit);
	}
}

/* Replace bits @mask of a register with @val. */
static void set_field_rule(struct rule_acc *a, uint32_t leaf,
			   uint32_t subleaf, unsigned int reg, uint32_t mask,
			   uint32_t val)
{
	struct cpuidvirt_rule *r = rule_for(a, leaf, subleaf);

	if (r) {
		r->and[reg] &= ~mask;
		r->or[reg] = (r->or[reg] & ~mask) | (val & mask);
	}
}

static int rule_cmp(const void *a, const void *b)
{
	const struct cpuidvirt_rule *x = a, *y = b;

	if (x->leaf != y->leaf)
		return x->leaf < y->leaf ? -1 : 1;
	if (x->subleaf != y->subleaf)
		return x->subleaf < y->subleaf ? -1 : 1;
	return 0;
}

static bool in_clamped_range(const struct profile_compiled *c, uint32_t leaf)
{
	if ((c->attach_flags & CPUIDVIRT_ATTACH_CLAMP_BASIC) &&
	    leaf < 0x40000000U && leaf > c->max_basic_leaf)
		return true;
	/* As the module: every leaf from 0x80000000 up (0xc0000000 too). */
	if ((c->attach_flags & CPUIDVIRT_ATTACH_CLAMP_EXT) &&
	    leaf >= 0x80000000U && leaf > c->max_ext_leaf)
		return true;
	return false;
}

static void mark(struct profile_compiled *c, const struct cpu_feature *f,
		 enum mask_reason why)
{
	size_t i = feature_index(f);

	if (c->reason[i] == MR_NONE)
		c->reason[i] = why;
	fset_add(&c->hidden, f);
}

static int compile_xsave(const struct profile *p, const struct cpuid_dump *host,
			 struct profile_compiled *c, struct rule_acc *a,
			 struct diag *diag)
{
	const struct cpuid_entry *d0 = host ? cpuid_dump_find(host, 0xd, 0) :
				       NULL;
	const struct cpu_feature *xsavec = feature_by_name("xsavec");

	if (host) {
		/*
		 * A fleet profile may meet a host without XSAVE: nothing
		 * there sizes buffers from leaf 0xd, so leave it alone.
		 */
		if (!d0 || !d0->r[CPUID_EBX] ||
		    !cpuid_dump_has(host, feature_by_name("xsave")))
			return 0;
		if (p->xsavearea < d0->r[CPUID_EBX])
			return diag_set(diag, EINVAL, p->source,
					p->xsavearea_line,
					"xsavearea %u is below this host's XSAVE area size %u (CPUID 0xd.0 EBX); XSAVE would overflow buffers sized from it: use at least %u",
					p->xsavearea, d0->r[CPUID_EBX],
					d0->r[CPUID_EBX]);
	}
	/*
	 * EBX (size for the enabled XCR0) and ECX (size for every supported
	 * component) both become N; with XSAVEC hidden, consumers such as
	 * glibc's ld.so size their buffers from EBX alone.
	 */
	set_field_rule(a, 0xd, 0, CPUID_EBX, ~0U, p->xsavearea);
	set_field_rule(a, 0xd, 0, CPUID_ECX, ~0U, p->xsavearea);
	if (xsavec)
		mark(c, xsavec, MR_XSAVEAREA);
	return 0;
}

static int compile_fms(const struct profile *p, const struct cpuid_dump *host,
		       struct rule_acc *a, struct diag *diag)
{
	unsigned int hf = 0, hm, hs;
	uint32_t mask = 0, val = 0;
	int family = p->family;

	if (family < 0 && host && cpuid_dump_fms(host, &hf, &hm, &hs))
		family = (int)hf;
	if (p->model > 0xf && family >= 0 && family != 6 && family < 0xf)
		return diag_set(diag, EINVAL, p->source, p->fms_line,
				"model 0x%x needs the extended model field, which CPUs only use with family 6 or >= 15 (family is %d)",
				p->model, family);
	if (p->family >= 0) {
		unsigned int base = p->family >= 0xf ? 0xf : p->family;
		unsigned int ext = p->family >= 0xf ? p->family - 0xf : 0;

		mask |= 0xfU << 8 | 0xffU << 20;
		val |= base << 8 | ext << 20;
	}
	if (p->model >= 0) {
		mask |= 0xfU << 4 | 0xfU << 16;
		val |= (p->model & 0xfU) << 4 | (p->model >> 4 & 0xfU) << 16;
	}
	if (p->stepping >= 0) {
		mask |= 0xfU;
		val |= p->stepping;
	}
	if (mask)
		set_field_rule(a, 1, 0, CPUID_EAX, mask, val);
	return 0;
}

/*
 * The named feature a raw bit hits. A leaf without subleaves answers every
 * subleaf alike, so 1_3_ecx_28 is avx, with its dependents, as 1_0_ecx_28.
 */
static const struct cpu_feature *raw_feature(const struct profile_raw_bit *rb)
{
	return feature_at(rb->leaf,
			  cpuid_leaf_has_subleaves(rb->leaf) ? rb->subleaf : 0,
			  rb->reg, rb->bit);
}

int profile_compile(const struct profile *p, const struct cpuid_dump *host,
		    struct profile_compiled *c, struct diag *diag)
{
	struct rule_acc *a;
	struct feature_set primary;
	const struct cpu_feature *f;
	size_t i, n = features_count();
	unsigned int k;
	int ret = 0;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", p->name);
	a = calloc(1, sizeof(*a));
	if (!a)
		return diag_set(diag, ENOMEM, NULL, 0, "out of memory");

	/* Leaf clamps first: a hidden leaf hides its features. */
	/*
	 * A clamp above the host's maximum is harmless (the module reports
	 * min(native, clamp)), so one fleet profile fits every host.
	 */
	if (p->max_basic_leaf) {
		c->attach_flags |= CPUIDVIRT_ATTACH_CLAMP_BASIC;
		c->max_basic_leaf = p->max_basic_leaf;
	}
	if (p->max_ext_leaf) {
		c->attach_flags |= CPUIDVIRT_ATTACH_CLAMP_EXT;
		c->max_ext_leaf = p->max_ext_leaf;
	}

	/* Primary reasons, most specific first. */
	for (f = fset_next(&p->mask, NULL); f; f = fset_next(&p->mask, f))
		mark(c, f, MR_PROFILE);
	for (k = 0; k < p->nr_raw; k++) {
		const struct profile_raw_bit *rb = &p->raw[k];

		f = raw_feature(rb);
		if (f)
			mark(c, f, MR_RAW);
		else
			clear_bit_rule(a, rb->leaf, rb->subleaf, rb->reg,
				       rb->bit);
	}
	if (p->baseline || p->has_allow) {
		struct feature_set allowed = p->allow;

		if (p->baseline) {
			struct feature_set lvl;

			x86_level_features(p->baseline, &lvl);
			fset_or(&allowed, &lvl);
		}
		for (i = 0; i < n; i++) {
			f = feature_get(i);
			if ((f->flags & FEAT_ISA) && !(f->flags & FEAT_ALIAS) &&
			    !fset_has(&allowed, f))
				mark(c, f, p->baseline ? MR_BASELINE :
					   MR_ALLOWLIST);
		}
	}
	if (p->xsavearea) {
		ret = compile_xsave(p, host, c, a, diag);
		if (ret)
			goto out;
	}
	for (i = 0; i < n; i++) {
		f = feature_get(i);
		if (in_clamped_range(c, f->leaf))
			mark(c, f, MR_CLAMP);
	}

	/* Everything that requires a hidden feature is hidden too. */
	primary = c->hidden;
	fset_close_dependents(&c->hidden);
	for (f = fset_next(&c->hidden, NULL); f; f = fset_next(&c->hidden, f)) {
		size_t idx = feature_index(f);

		if (fset_has(&primary, f))
			continue;
		c->reason[idx] = MR_DEPENDENCY;
		c->via[idx] = (uint16_t)feature_index(
			feature_masked_via(f, &primary));
	}

	for (f = fset_next(&c->hidden, NULL); f; f = fset_next(&c->hidden, f))
		if (!in_clamped_range(c, f->leaf))
			clear_bit_rule(a, f->leaf, f->subleaf, f->reg, f->bit);

	ret = compile_fms(p, host, a, diag);
	if (ret)
		goto out;
	if (p->has_brand) {
		const struct cpuid_entry *e = host ?
			cpuid_dump_find(host, 0x80000000U, 0) : NULL;
		char b[48] = { 0 };

		if (e && e->r[CPUID_EAX] < 0x80000004U) {
			ret = diag_set(diag, EINVAL, p->source, p->brand_line,
				       "brand: this host has no brand string leaves (maximum extended leaf 0x%x < 0x80000004)",
				       e->r[CPUID_EAX]);
			goto out;
		}
		memcpy(b, p->brand, strlen(p->brand));
		for (k = 0; k < 12; k++) {
			uint32_t v;

			memcpy(&v, b + k * 4, 4);
			set_field_rule(a, 0x80000002U + k / 4, 0, k % 4, ~0U, v);
		}
	}

	/* Drop rules that change nothing (and = ~0, or = 0). */
	for (k = 0; k < a->n; k++) {
		struct cpuidvirt_rule *r = &a->r[k];
		int reg;
		bool noop = true;

		for (reg = 0; reg < CPUID_NR_REGS; reg++)
			if (r->and[reg] != ~0U || r->or[reg])
				noop = false;
		if (noop)
			a->r[k--] = a->r[--a->n];
	}
	if (a->overflow) {
		ret = diag_set(diag, E2BIG, p->source, 0,
			       "the profile needs more than %d rules",
			       CPUIDVIRT_MAX_RULES);
		goto out;
	}
	qsort(a->r, a->n, sizeof(a->r[0]), rule_cmp);
	memcpy(c->rules, a->r, a->n * sizeof(a->r[0]));
	c->nr_rules = a->n;
out:
	free(a);
	return ret;
}

/* What the module answers for (leaf, subleaf) given the native values. */
static void apply_rules(const struct profile_compiled *c, uint32_t leaf,
			uint32_t subleaf, uint32_t r[CPUID_NR_REGS])
{
	const struct cpuidvirt_rule *any = NULL, *exact = NULL, *use;
	unsigned int i;
	int reg;

	for (i = 0; i < c->nr_rules; i++) {
		const struct cpuidvirt_rule *x = &c->rules[i];

		if (x->leaf != leaf)
			continue;
		if (x->flags & CPUIDVIRT_RULE_ANY_SUBLEAF)
			any = x;
		else if (x->subleaf == subleaf)
			exact = x;
	}
	use = exact ? exact : any;
	if (!use)
		return;
	for (reg = 0; reg < CPUID_NR_REGS; reg++)
		r[reg] = (r[reg] & use->and[reg]) | use->or[reg];
}

int profile_emulate(const struct profile_compiled *c,
		    const struct cpuid_dump *host, struct cpuid_dump *out)
{
	uint32_t maxb = 0;
	size_t i;
	int ret;

	cpuid_dump_free(out);
	if (cpuid_dump_find(host, 0, 0))
		maxb = cpuid_dump_find(host, 0, 0)->r[CPUID_EAX];
	if (c->attach_flags & CPUIDVIRT_ATTACH_CLAMP_BASIC &&
	    c->max_basic_leaf < maxb)
		maxb = c->max_basic_leaf;
	for (i = 0; i < host->n; i++) {
		const struct cpuid_entry *e = &host->e[i];
		uint32_t r[CPUID_NR_REGS], leaf = e->leaf;

		memcpy(r, e->r, sizeof(r));
		if (in_clamped_range(c, leaf)) {
			/* The SDM's answer above the maximum leaf. */
			leaf = maxb;
			if (!cpuid_dump_query(host, leaf, e->subleaf, r))
				memset(r, 0, sizeof(r));
		}
		apply_rules(c, leaf, e->subleaf, r);
		if (e->leaf == 0 && (c->attach_flags & CPUIDVIRT_ATTACH_CLAMP_BASIC) &&
		    r[CPUID_EAX] > c->max_basic_leaf)
			r[CPUID_EAX] = c->max_basic_leaf;
		if (e->leaf == 0x80000000U &&
		    (c->attach_flags & CPUIDVIRT_ATTACH_CLAMP_EXT) &&
		    r[CPUID_EAX] > c->max_ext_leaf)
			r[CPUID_EAX] = c->max_ext_leaf;
		ret = cpuid_dump_set(out, e->leaf, e->subleaf, r);
		if (ret) {
			cpuid_dump_free(out);
			return ret;
		}
	}
	out->cpu = host->cpu;
	return 0;
}

const char *mask_reason_name(enum mask_reason r)
{
	switch (r) {
	case MR_NONE: return "shown";
	case MR_PROFILE: return "masked by profile";
	case MR_DEPENDENCY: return "masked: dependency";
	case MR_BASELINE: return "not in baseline";
	case MR_ALLOWLIST: return "not in allow list";
	case MR_RAW: return "masked by raw bit";
	case MR_XSAVEAREA: return "masked for xsavearea";
	case MR_CLAMP: return "leaf clamped";
	}
	return "?";
}

enum mask_reason profile_reason(const struct profile *p,
				const struct profile_compiled *c,
				const struct cpu_feature *f,
				char *buf, size_t len)
{
	size_t i = feature_index(f);
	enum mask_reason r = fset_has(&c->hidden, f) ? c->reason[i] : MR_NONE;
	int line = p ? p->mask_line[i] : 0;
	unsigned int k;

	switch (r) {
	case MR_NONE:
		snprintf(buf, len, "%s", "");
		break;
	case MR_PROFILE:
		if (line)
			snprintf(buf, len, "masked by profile (line %d)", line);
		else
			snprintf(buf, len, "masked by profile");
		break;
	case MR_DEPENDENCY:
		snprintf(buf, len, "masked: requires %s",
			 feature_get(c->via[i])->name);
		break;
	case MR_BASELINE:
		snprintf(buf, len, "not in x86-64-v%d%s", p ? p->baseline : 0,
			 p && p->has_allow ? " or the allow list" : "");
		break;
	case MR_ALLOWLIST:
		snprintf(buf, len, "not in the allow list");
		break;
	case MR_RAW:
		line = 0;
		for (k = 0; p && k < p->nr_raw; k++)
			if (raw_feature(&p->raw[k]) == f)
				line = p->raw[k].line;
		if (line)
			snprintf(buf, len, "masked by profile (raw bit %#x_%u_%s_%u, line %d)",
				 f->leaf, f->subleaf, cpuid_reg_name(f->reg),
				 f->bit, line);
		else
			snprintf(buf, len, "masked by profile (raw bit %#x_%u_%s_%u)",
				 f->leaf, f->subleaf, cpuid_reg_name(f->reg),
				 f->bit);
		break;
	case MR_XSAVEAREA:
		snprintf(buf, len, "masked: xsavearea (sizes come from 0xd.0 EBX)");
		break;
	case MR_CLAMP:
		snprintf(buf, len, "leaf %#x is above max-%s-leaf %#x",
			 f->leaf, f->leaf >= 0x80000000U ? "ext" : "basic",
			 f->leaf >= 0x80000000U ? c->max_ext_leaf :
			 c->max_basic_leaf);
		break;
	}
	return r;
}

int profile_compare(const struct profile *p, const struct profile_compiled *c,
		    const struct cpuid_dump *host, struct feature_cmp **out,
		    size_t *n)
{
	struct cpuid_dump shown = CPUID_DUMP_INIT;
	size_t i, cnt = features_count(), k = 0;
	struct feature_cmp *v;
	int ret;

	*out = NULL;
	*n = 0;
	ret = profile_emulate(c, host, &shown);
	if (ret)
		return ret;
	v = calloc(cnt, sizeof(*v));
	if (!v) {
		cpuid_dump_free(&shown);
		return -ENOMEM;
	}
	for (i = 0; i < cnt; i++) {
		const struct cpu_feature *f = feature_get(i);
		struct feature_cmp *x = &v[k];

		if (f->flags & FEAT_ALIAS)
			continue;
		x->f = f;
		x->host = cpuid_dump_has(host, f);
		x->presented = !in_clamped_range(c, f->leaf) &&
			       cpuid_dump_has(&shown, f);
		if (!x->host && !x->presented)
			continue;
		x->reason = MR_NONE;
		if (x->host && !x->presented)
			x->reason = profile_reason(p, c, f, x->why,
						   sizeof(x->why));
		k++;
	}
	cpuid_dump_free(&shown);
	*out = v;
	*n = k;
	return 0;
}

int profile_print_rules(const struct profile_compiled *c, FILE *out)
{
	unsigned int i;
	int reg;

	fprintf(out, "profile %s: %u rule%s\n", c->name, c->nr_rules,
		c->nr_rules == 1 ? "" : "s");
	if (c->attach_flags & CPUIDVIRT_ATTACH_CLAMP_BASIC)
		fprintf(out, "  clamp max basic leaf to 0x%08x\n",
			c->max_basic_leaf);
	if (c->attach_flags & CPUIDVIRT_ATTACH_CLAMP_EXT)
		fprintf(out, "  clamp max extended leaf to 0x%08x\n",
			c->max_ext_leaf);
	for (i = 0; i < c->nr_rules; i++) {
		const struct cpuidvirt_rule *r = &c->rules[i];

		if (r->flags & CPUIDVIRT_RULE_ANY_SUBLEAF)
			fprintf(out, "  leaf 0x%08x any subleaf:", r->leaf);
		else
			fprintf(out, "  leaf 0x%08x subleaf 0x%02x:", r->leaf,
				r->subleaf);
		for (reg = 0; reg < CPUID_NR_REGS; reg++) {
			if (r->and[reg] == ~0U && !r->or[reg])
				continue;
			if (!r->and[reg])
				fprintf(out, " %s=0x%08x", cpuid_reg_name(reg),
					r->or[reg]);
			else if (!r->or[reg])
				fprintf(out, " %s&=0x%08x", cpuid_reg_name(reg),
					r->and[reg]);
			else
				fprintf(out, " %s=(%s&0x%08x)|0x%08x",
					cpuid_reg_name(reg), cpuid_reg_name(reg),
					r->and[reg], r->or[reg]);
		}
		fputc('\n', out);
	}
	return ferror(out) ? -EIO : 0;
}

/* Print "kw a b c ..." wrapped at ~72 columns. */
static void print_set(FILE *out, const char *kw, const struct feature_set *s)
{
	const struct cpu_feature *f;
	int col = 0;

	for (f = fset_next(s, NULL); f; f = fset_next(s, f)) {
		if (f->flags & FEAT_ALIAS)
			continue;
		if (!col || col + 1 + (int)strlen(f->name) > 72) {
			if (col)
				fputc('\n', out);
			col = fprintf(out, "%s", kw);
		}
		col += fprintf(out, " %s", f->name);
	}
	if (col)
		fputc('\n', out);
}

int profile_format(const struct profile *p, FILE *out)
{
	unsigned int k;

	fprintf(out, "name %s\n", p->name);
	if (p->baseline)
		fprintf(out, "baseline x86-64-v%d\n", p->baseline);
	print_set(out, "allow", &p->allow);
	print_set(out, "mask", &p->mask);
	for (k = 0; k < p->nr_raw; k++)
		fprintf(out, "mask %#x_%u_%s_%u\n", p->raw[k].leaf,
			p->raw[k].subleaf, cpuid_reg_name(p->raw[k].reg),
			p->raw[k].bit);
	if (p->xsavearea)
		fprintf(out, "xsavearea %u\n", p->xsavearea);
	if (p->family >= 0)
		fprintf(out, "family %#x\n", p->family);
	if (p->model >= 0)
		fprintf(out, "model %#x\n", p->model);
	if (p->stepping >= 0)
		fprintf(out, "stepping %d\n", p->stepping);
	if (p->has_brand) {
		const char *s;

		fputs("brand \"", out);
		for (s = p->brand; *s; s++) {
			if (*s == '"' || *s == '\\')
				fputc('\\', out);
			fputc(*s, out);
		}
		fputs("\"\n", out);
	}
	if (p->max_basic_leaf)
		fprintf(out, "max-basic-leaf %#x\n", p->max_basic_leaf);
	if (p->max_ext_leaf)
		fprintf(out, "max-ext-leaf %#x\n", p->max_ext_leaf);
	return ferror(out) ? -EIO : 0;
}

/* LCD ------------------------------------------------------------------ */

int profile_lcd(const struct cpuid_dump *hosts, const char *const *names,
		size_t n, unsigned int flags, char **text, struct diag *diag)
{
	struct feature_set common, any, missing, isa, other;
	char vendor0[13], vendor[13], brand[49];
	uint32_t xs_max = 0, xs_min = ~0U, b_min = ~0U, b_max = 0;
	uint32_t e_min = ~0U, e_max = 0;
	size_t i, len = 0, cnt = features_count();
	FILE *out;
	bool xsarea;
	int level;

	*text = NULL;
	if (!n)
		return diag_set(diag, EINVAL, NULL, 0,
				"profile lcd needs at least one dump");
	if (!names)
		return diag_set(diag, EINVAL, NULL, 0,
				"profile lcd: no host names given");
	cpuid_dump_vendor(&hosts[0], vendor0);
	for (i = 0; i < n; i++) {
		struct feature_set fs;
		const struct cpuid_entry *e;

		cpuid_dump_vendor(&hosts[i], vendor);
		if (strcmp(vendor, vendor0) && !(flags & LCD_ALLOW_MIXED_VENDOR))
			return diag_set(diag, EINVAL, NULL, 0,
					"%s is %s but %s is %s: a profile cannot change the vendor, so programs would still take vendor-specific paths; pass --allow-mixed-vendor to compute the common features anyway",
					names[0], vendor0[0] ? vendor0 : "unknown",
					names[i], vendor[0] ? vendor : "unknown");
		cpuid_dump_features(&hosts[i], &fs);
		if (!i) {
			common = fs;
			any = fs;
		} else {
			fset_and(&common, &fs);
			fset_or(&any, &fs);
		}
		e = cpuid_dump_find(&hosts[i], 0xd, 0);
		if (e && e->r[CPUID_EBX]) {
			if (e->r[CPUID_EBX] > xs_max)
				xs_max = e->r[CPUID_EBX];
			if (e->r[CPUID_EBX] < xs_min)
				xs_min = e->r[CPUID_EBX];
		}
		e = cpuid_dump_find(&hosts[i], 0, 0);
		if (e) {
			if (e->r[CPUID_EAX] < b_min)
				b_min = e->r[CPUID_EAX];
			if (e->r[CPUID_EAX] > b_max)
				b_max = e->r[CPUID_EAX];
		}
		e = cpuid_dump_find(&hosts[i], 0x80000000U, 0);
		if (e) {
			if (e->r[CPUID_EAX] < e_min)
				e_min = e->r[CPUID_EAX];
			if (e->r[CPUID_EAX] > e_max)
				e_max = e->r[CPUID_EAX];
		}
	}
	/* Closed under dependencies: drop what needs a dropped feature. */
	fset_clear(&missing);
	for (i = 0; i < cnt; i++)	/* aliases follow their primary */
		if (!fset_has(&common, feature_get(i)) &&
		    !(feature_get(i)->flags & FEAT_ALIAS))
			fset_add(&missing, feature_get(i));
	fset_close_dependents(&missing);
	for (i = 0; i < cnt; i++)
		if (fset_has(&missing, feature_get(i)))
			fset_del(&common, feature_get(i));

	fset_clear(&isa);
	fset_clear(&other);
	for (i = 0; i < cnt; i++) {
		const struct cpu_feature *f = feature_get(i);

		if (f->flags & FEAT_ALIAS)
			continue;
		if ((f->flags & FEAT_ISA) && fset_has(&common, f))
			fset_add(&isa, f);
		else if (!(f->flags & FEAT_ISA) && fset_has(&any, f) &&
			 !fset_has(&common, f))
			fset_add(&other, f);
	}
	level = x86_level_of(&common, NULL);
	/* Only matters if XSAVE survives; then the largest area wins. */
	xsarea = xs_max && xs_max != xs_min &&
		 fset_has(&common, feature_by_name("xsave"));
	/* xsavearea hides xsavec: allowing it would be a line without effect. */
	if (xsarea)
		fset_del(&isa, feature_by_name("xsavec"));

	out = open_memstream(text, &len);
	if (!out)
		return diag_set(diag, ENOMEM, NULL, 0, "out of memory");
	fprintf(out, "# Common CPU of %zu host%s (cpuidctl profile lcd).\n",
		n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		unsigned int fa, mo, st;

		cpuid_dump_vendor(&hosts[i], vendor);
		cpuid_dump_brand(&hosts[i], brand);
		fprintf(out, "#   %s: %s", names[i], vendor[0] ? vendor : "?");
		if (cpuid_dump_fms(&hosts[i], &fa, &mo, &st))
			fprintf(out, " family %#x model %#x stepping %u", fa, mo, st);
		if (brand[0])
			fprintf(out, " \"%s\"", brand);
		fputc('\n', out);
	}
	if (level)
		fprintf(out, "# Common level: x86-64-v%d.", level);
	else
		fprintf(out, "# Common level: below x86-64-v1.");
	fprintf(out, " Vendor, family, model and brand stay each host's own.\n");
	fprintf(out, "name lcd\n");
	fprintf(out, "# Instruction-set extensions present on every host:\n");
	if (fset_empty(&isa)) {
		/* "allow" needs a word; hide what any host has instead. */
		for (i = 0; i < cnt; i++)
			if (!(feature_get(i)->flags & FEAT_ISA))
				fset_del(&any, feature_get(i));
		print_set(out, "mask", &any);
	}
	print_set(out, "allow", &isa);
	/*
	 * Platform features stay each host's own, as baselines leave them:
	 * the kernel that reads them is each host's, and user space does
	 * not take code paths on them. Listed for the reader only.
	 */
	if (!fset_empty(&other)) {
		fprintf(out, "# Platform features that differ stay each host's own:\n");
		print_set(out, "#  ", &other);
	}
	if (xsarea) {
		fprintf(out, "# Largest XSAVE area of the hosts (smallest %u):\n",
			xs_min);
		fprintf(out, "xsavearea %u\n", xs_max);
	}
	if (b_min != ~0U && b_min != b_max)
		fprintf(out, "max-basic-leaf %#x\n", b_min);
	if (e_min != ~0U && e_min != e_max && e_min >= 0x80000000U)
		fprintf(out, "max-ext-leaf %#x\n", e_min);
	if (fclose(out) || !*text) {
		free(*text);
		*text = NULL;
		return diag_set(diag, ENOMEM, NULL, 0, "out of memory");
	}
	return 0;
}

/* Help ----------------------------------------------------------------- */

const char *profile_help_text(void)
{
	return
"PROFILE LANGUAGE\n"
"\n"
"A profile describes the CPU that every process of a cgroup sees. It is a\n"
"text file, one directive per line; '#' starts a comment. A PROFILE argument\n"
"is, in this order: a built-in name (x86-64-v1 .. x86-64-v4; x86-64-v2-aes:\n"
"v2 with aes and pclmulqdq; 'host': the host as it is); '-' for standard\n"
"input; a file; a NAME found as DIR/NAME or DIR/NAME.profile, DIR being\n"
"$CPUIDVIRT_PROFILE_DIR or /etc/cpuidvirt/profiles; or a feature list in\n"
"libvirtcpuid's VIRT_CPUID_MASK syntax\n"
"(\"avx512f,hle,rtm,xsavearea=2696\"). A profile that sets nothing is an\n"
"error; 'host' says so on purpose.\n"
"\n"
"  name NAME               name shown by 'profile list' (default: file name)\n"
"  baseline x86-64-vN      show only the instruction-set extensions of psABI\n"
"                          level N (1..4); platform features stay as they are\n"
"  allow FEATURE...        keep these extensions too (baseline x86-64-v2 and\n"
"                          allow aes keep AES-NI); with an allow line and no\n"
"                          baseline, only the listed extensions are shown\n"
"  mask FEATURE...         hide features, and every feature that needs them\n"
"                          (mask avx hides avx2, fma, avx512f, ...)\n"
"  mask LEAF_SUB_REG_BIT   hide any bit, e.g. 7_0_ebx_5 or 0x80000001_0_ecx_6\n"
"  xsavearea N             report an XSAVE area of N bytes (CPUID 0xd.0 EBX and\n"
"                          ECX); must be at least the host's; hides xsavec\n"
"  family N | model N | stepping N\n"
"                          override the fields of CPUID 1 EAX\n"
"  brand \"STRING\"          override the brand string (at most 47 characters)\n"
"  max-basic-leaf LEAF     report at most this many basic leaves\n"
"  max-ext-leaf LEAF       the same for 0x80000000 leaves\n"
"  avx512f,hle,xsavearea=N a VIRT_CPUID_MASK list on a line of its own\n"
"\n"
"FEATURE is a /proc/cpuinfo name (sse4_2, avx2, lm) or the kernel's name\n"
"(XMM4_2). 'cpuidctl explain FEATURE' shows where a feature lives and what it\n"
"depends on. Masking a feature never shrinks the XSAVE sizes of leaf 0xd: the\n"
"CPU still saves every component the kernel enabled. Errors name file:line.\n"
"See docs/profile-language.md for the full reference.\n";
}
