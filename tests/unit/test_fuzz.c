// SPDX-License-Identifier: GPL-2.0
/*
 * Seeded fuzzing of the two text parsers (profiles and dumps) against
 * their documented contract:
 *  - bad input gives -EINVAL (profiles: -ERANGE for a number out of range,
 *    -E2BIG for too many raw bits; dumps: -ENODATA / -ENOENT for a dump
 *    without entries or without the CPU block asked for) with
 *    diag.err matching, and a message "SOURCE:LINE: text" whose LINE is
 *    diag.line and names a line of the input that holds something (not
 *    blank, not a comment); errors without a position are "SOURCE: text";
 *  - good input survives a round trip through the formatter
 *    (profile_format / cpuid_dump_print) to an identical structure.
 *
 * Seeds: a fixed set (the same every run) plus one random seed per run,
 * all printed. UNIT_FUZZ_SEED=N runs only seed N (decimal or 0x hex), to
 * replay a failure: every failure message names its seed and case.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"

static const unsigned long long fixed_seeds[] = { 1, 2, 0x5eed };
#define NR_FIXED (sizeof(fixed_seeds) / sizeof(fixed_seeds[0]))

/* splitmix64: the same sequence on every libc. */
static unsigned long long rng_state;

static unsigned long long rnd64(void)
{
	unsigned long long z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int rnd(unsigned int n)
{
	return n ? (unsigned int)(rnd64() % n) : 0;
}

/* The seeds of this run: UNIT_FUZZ_SEED alone, else fixed + one random. */
static size_t seeds(unsigned long long *out)
{
	const char *env = getenv("UNIT_FUZZ_SEED");
	size_t i;

	if (env && *env) {
		char *end;

		out[0] = strtoull(env, &end, 0);
		ck_assert_msg(!*end, "UNIT_FUZZ_SEED='%s' is not a number", env);
		return 1;
	}
	for (i = 0; i < NR_FIXED; i++)
		out[i] = fixed_seeds[i];
	out[i] = ((unsigned long long)time(NULL) << 20) ^
		 ((unsigned long long)getpid() << 4) ^
		 (unsigned long long)clock();
	return NR_FIXED + 1;
}

/* Growable text buffer. */
struct buf {
	char s[4096];
	size_t n;
};

static void put(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (b->n >= sizeof(b->s) - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		b->n += (size_t)k;
	if (b->n >= sizeof(b->s))
		b->n = sizeof(b->s) - 1;
}

/* Byte-level damage: replace, insert or delete a few bytes (no NUL). */
static void mutate(struct buf *b)
{
	unsigned int k, m = 1 + rnd(4);

	for (k = 0; k < m; k++) {
		size_t at = b->n ? rnd((unsigned int)b->n) : 0;
		char c = (char)(1 + rnd(255));

		switch (rnd(3)) {
		case 0:
			if (b->n)
				b->s[at] = c;
			break;
		case 1:
			if (b->n + 1 < sizeof(b->s)) {
				memmove(b->s + at + 1, b->s + at, b->n - at);
				b->s[at] = c;
				b->n++;
			}
			break;
		default:
			if (b->n) {
				memmove(b->s + at, b->s + at + 1, b->n - at - 1);
				b->n--;
			}
		}
	}
	b->s[b->n] = '\0';
}

/* Line @n (1-based) of @text, into @out; false if there is no such line. */
static bool nth_line(const char *text, int n, char *out, size_t len)
{
	const char *p = text, *nl;
	size_t k;

	for (; n > 1; n--) {
		nl = strchr(p, '\n');
		if (!nl)
			return false;
		p = nl + 1;
	}
	if (!*p && n == 1 && p != text && p[-1] == '\n')
		return false;
	nl = strchr(p, '\n');
	k = nl ? (size_t)(nl - p) : strlen(p);
	if (k >= len)
		k = len - 1;
	memcpy(out, p, k);
	out[k] = '\0';
	return true;
}

/* Printable form of @s for failure messages. */
static const char *shown(const char *s)
{
	static char out[600];
	size_t n = 0;

	for (; *s && n < sizeof(out) - 5; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			n += snprintf(out + n, sizeof(out) - n, "\\n");
		else if (c < 0x20 || c >= 0x7f || c == '\\')
			n += snprintf(out + n, sizeof(out) - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
	return out;
}

/*
 * The position contract of a failed parse: "SOURCE:LINE: text" with LINE
 * == diag.line naming a line of @text that is not blank (nor a '#' comment
 * when the language has @comments); or "SOURCE: text" with diag.line 0
 * when @positionless.
 */
static void check_diag(const char *text, const char *source,
		       const struct diag *d, bool positionless, bool comments,
		       unsigned long long seed, int i)
{
	char prefix[64], line[4096];
	const char *p;
	size_t k;

	ck_assert_msg(!strchr(d->msg, '\n'),
		      "seed %llu case %d: message has a newline: %s", seed, i,
		      shown(d->msg));
	if (positionless) {
		snprintf(prefix, sizeof(prefix), "%s: ", source);
		ck_assert_msg(d->line == 0 && !strncmp(d->msg, prefix, strlen(prefix)),
			      "seed %llu case %d: '%s' (line %d) is not '%s...' for input \"%s\"",
			      seed, i, d->msg, d->line, prefix, shown(text));
	} else {
		snprintf(prefix, sizeof(prefix), "%s:%d: ", source, d->line);
		ck_assert_msg(d->line >= 1 && !strncmp(d->msg, prefix, strlen(prefix)),
			      "seed %llu case %d: '%s' is not '%s...' (file:line) for input \"%s\"",
			      seed, i, d->msg, prefix, shown(text));
		ck_assert_msg(nth_line(text, d->line, line, sizeof(line)),
			      "seed %llu case %d: '%s' names line %d, the input has fewer: \"%s\"",
			      seed, i, d->msg, d->line, shown(text));
		for (p = line; *p == ' ' || *p == '\t' || *p == '\r'; p++)
			;
		ck_assert_msg(*p && !(comments && *p == '#'),
			      "seed %llu case %d: '%s' names line %d, which is blank or a comment: \"%s\"",
			      seed, i, d->msg, d->line, shown(text));
	}
	k = strlen(prefix);
	ck_assert_msg(strlen(d->msg) > k + 3,
		      "seed %llu case %d: no text after the position: '%s'", seed, i,
		      d->msg);
}

/* ---- profiles --------------------------------------------------------- */

static const char *any_feature(void)
{
	return feature_get(rnd((unsigned int)features_count()))->name;
}

static void gen_number(struct buf *b)
{
	static const unsigned long long edge[] = {
		0, 1, 5, 6, 0xd, 0x7f, 0xff, 0x100, 575, 576, 4096, 1048576,
		1048577, 0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000,
		0x80000008, 0x8fffffff, 0x90000000, 0xffffffff, 0x100000000ULL,
	};
	unsigned long long v = rnd(2) ? edge[rnd(sizeof(edge) / sizeof(edge[0]))]
				      : rnd64() >> rnd(64);

	switch (rnd(5)) {
	case 0:
		put(b, "%#llx", v);
		break;
	case 1:
		put(b, "-%llu", v);
		break;
	case 2:
		put(b, "%llux", v);
		break;
	default:
		put(b, "%llu", v);
	}
}

static void gen_word(struct buf *b)
{
	static const char *const odd[] = {
		"\"\"", "\"a\\\"b\"", "\"x\\\\\"", "\"unterminated", "\"q\"x",
		"#c", "a#b", "=", ",", "xsavearea=", "VIRT_CPUID_MASK=",
		"x86-64-v0", "x86-64-v2", "x86-64-v4", "x86-64-v5", "\t",
	};

	switch (rnd(6)) {
	case 0:
	case 1:
		put(b, "%s", any_feature());
		break;
	case 2:
		put(b, "%#x_%u_%s_%u", rnd(3) ? rnd(0x20) : 0x80000000u + rnd(0x22),
		    rnd(3), cpuid_reg_name(rnd(4)), rnd(34));
		break;
	case 3:
		gen_number(b);
		break;
	case 4:
		put(b, "%s", odd[rnd(sizeof(odd) / sizeof(odd[0]))]);
		break;
	default:
		put(b, "\"%s %s\"", any_feature(), rnd(2) ? "@ 1.0GHz" : "#1");
	}
}

static void gen_profile(struct buf *b)
{
	static const char *const kw[] = {
		"name", "baseline", "mask", "allow", "xsavearea", "family",
		"model", "stepping", "brand", "max-basic-leaf", "max-ext-leaf",
	};
	unsigned int lines = rnd(9), l, w;

	b->n = 0;
	b->s[0] = '\0';
	for (l = 0; l < lines; l++) {
		unsigned int what = rnd(12);

		if (what == 0) {
			put(b, "# comment %s\n", rnd(2) ? "\"open" : "mask avx2");
			continue;
		}
		if (what == 1) {
			put(b, "%s\n", rnd(2) ? "" : " \t ");
			continue;
		}
		if (what == 2) {	/* seed syntax */
			put(b, "%s", rnd(2) ? "VIRT_CPUID_MASK=" : "");
			for (w = 0; w < 1 + rnd(4); w++) {
				if (w)
					put(b, ",");
				if (rnd(4))
					put(b, "%s", any_feature());
				else
					put(b, "xsavearea=%u", 512 + rnd(5000));
			}
			put(b, "\n");
			continue;
		}
		put(b, "%s%s", rnd(4) ? "" : "  ", kw[rnd(sizeof(kw) / sizeof(kw[0]))]);
		for (w = rnd(4); w; w--) {
			put(b, " ");
			gen_word(b);
		}
		put(b, "%s%s", rnd(5) ? "" : " # trailing", rnd(6) ? "\n" : "");
	}
	if (rnd(3) == 0)
		mutate(b);
}

/*
 * Profiles are equal but for where things were written (line numbers,
 * which formatting changes): field by field for readable failures, then
 * the whole structure so that a field added later is covered too.
 */
static void normalise(struct profile *p)
{
	unsigned int k;
	size_t i;

	p->baseline_line = !!p->baseline_line;
	p->xsavearea_line = !!p->xsavearea_line;
	p->fms_line = !!p->fms_line;
	p->brand_line = !!p->brand_line;
	p->basic_line = !!p->basic_line;
	p->ext_line = !!p->ext_line;
	for (i = 0; i < sizeof(p->mask_line) / sizeof(p->mask_line[0]); i++)
		p->mask_line[i] = !!p->mask_line[i];
	for (i = 0; i < sizeof(p->allow_line) / sizeof(p->allow_line[0]); i++)
		p->allow_line[i] = !!p->allow_line[i];
	/* raw[] has padding that parse copies from the stack: compare by field. */
	for (k = 0; k < PROFILE_MAX_RAW; k++) {
		struct profile_raw_bit rb = p->raw[k];

		memset(&p->raw[k], 0, sizeof(p->raw[k]));
		if (k < p->nr_raw) {
			p->raw[k].leaf = rb.leaf;
			p->raw[k].subleaf = rb.subleaf;
			p->raw[k].reg = rb.reg;
			p->raw[k].bit = rb.bit;
			p->raw[k].line = !!rb.line;
		}
	}
}

void profile_assert_same(const struct profile *a, const struct profile *b,
			 const char *what)
{
	struct profile *x = malloc(sizeof(*x)), *y = malloc(sizeof(*y));
	unsigned int k;

	ck_assert(x && y);
	memcpy(x, a, sizeof(*x));
	memcpy(y, b, sizeof(*y));
	normalise(x);
	normalise(y);
	ck_assert_msg(!strcmp(x->name, y->name), "%s: name '%s' vs '%s'", what, x->name, y->name);
	ck_assert_msg(!strcmp(x->source, y->source), "%s: source", what);
	ck_assert_msg(x->baseline == y->baseline, "%s: baseline %d vs %d", what, x->baseline, y->baseline);
	ck_assert_msg(x->has_allow == y->has_allow, "%s: has_allow", what);
	ck_assert_msg(!memcmp(&x->allow, &y->allow, sizeof(x->allow)), "%s: allow set", what);
	ck_assert_msg(!memcmp(&x->mask, &y->mask, sizeof(x->mask)), "%s: mask set", what);
	ck_assert_msg(!memcmp(x->mask_line, y->mask_line, sizeof(x->mask_line)), "%s: masked by name", what);
	ck_assert_msg(x->nr_raw == y->nr_raw, "%s: nr_raw %u vs %u", what, x->nr_raw, y->nr_raw);
	for (k = 0; k < x->nr_raw; k++)
		ck_assert_msg(!memcmp(&x->raw[k], &y->raw[k], sizeof(x->raw[k])),
			      "%s: raw[%u] %#x_%u_%u_%u vs %#x_%u_%u_%u", what, k,
			      x->raw[k].leaf, x->raw[k].subleaf, x->raw[k].reg, x->raw[k].bit,
			      y->raw[k].leaf, y->raw[k].subleaf, y->raw[k].reg, y->raw[k].bit);
	ck_assert_msg(x->xsavearea == y->xsavearea, "%s: xsavearea", what);
	ck_assert_msg(x->family == y->family && x->model == y->model &&
		      x->stepping == y->stepping, "%s: family/model/stepping %d/%d/%d vs %d/%d/%d",
		      what, x->family, x->model, x->stepping, y->family, y->model, y->stepping);
	ck_assert_msg(x->has_brand == y->has_brand && !strcmp(x->brand, y->brand),
		      "%s: brand '%s' vs '%s'", what, x->brand, y->brand);
	ck_assert_msg(x->max_basic_leaf == y->max_basic_leaf, "%s: max-basic-leaf", what);
	ck_assert_msg(x->max_ext_leaf == y->max_ext_leaf, "%s: max-ext-leaf", what);
	ck_assert_msg(!memcmp(x, y, sizeof(*x)), "%s: structures differ", what);
	free(x);
	free(y);
}

/* profile_format() of @p, malloc()ed. */
char *profile_text(const struct profile *p)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert(f);
	ck_assert_int_eq(profile_format(p, f), 0);
	fclose(f);
	return text;
}

/* parse(format(p)) == p, and format is then a fixed point. */
void profile_assert_round_trip(const struct profile *p, const char *what)
{
	struct profile q;
	struct diag diag = { 0 };
	char *t1 = profile_text(p), *t2;

	ck_assert_msg(profile_parse(&q, t1, p->source, &diag) == 0,
		      "%s: formatted text does not parse: %s\n%s", what, diag.msg, t1);
	profile_assert_same(p, &q, what);
	t2 = profile_text(&q);
	ck_assert_msg(!strcmp(t1, t2), "%s: format not stable:\n%s---\n%s", what, t1, t2);
	free(t1);
	free(t2);
}

START_TEST(test_fuzz_profile_parse)
{
	unsigned long long s[NR_FIXED + 1];
	size_t ns = seeds(s), k;
	struct buf *b = malloc(sizeof(*b));

	ck_assert(b);
	for (k = 0; k < ns; k++) {
		int i, good = 0;

		printf("fuzz profile_parse: seed %llu (replay: UNIT_FUZZ_SEED=%llu make unit-check)\n",
		       s[k], s[k]);
		fflush(stdout);
		rng_state = s[k];
		for (i = 0; i < 3000; i++) {
			struct profile p;
			struct diag diag = { 0 };
			char what[96];
			int ret;

			gen_profile(b);
			ret = profile_parse(&p, b->s, "g", &diag);
			if (!ret) {
				snprintf(what, sizeof(what), "seed %llu case %d", s[k], i);
				profile_assert_round_trip(&p, what);
				good++;
				continue;
			}
			ck_assert_msg(ret == -EINVAL || ret == -ERANGE || ret == -E2BIG,
				      "seed %llu case %d: returned %d (%s) for \"%s\"",
				      s[k], i, ret, diag.msg, shown(b->s));
			ck_assert_msg(diag.err == -ret, "seed %llu case %d: diag.err %d, returned %d",
				      s[k], i, diag.err, ret);
			check_diag(b->s, "g", &diag, false, true, s[k], i);
		}
		/* The generator must reach both sides of the contract. */
		ck_assert_msg(good > 200 && good < 2800,
			      "seed %llu: %d of 3000 inputs parsed", s[k], good);
	}
	free(b);
}
END_TEST

/* ---- dumps ------------------------------------------------------------ */

static void gen_entry(struct buf *b, uint32_t leaf, unsigned int sub)
{
	put(b, "%s0x%08x 0x%02x: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x%s\n",
	    rnd(3) ? "   " : "", leaf, sub, (uint32_t)rnd64(), (uint32_t)rnd64(),
	    (uint32_t)rnd64(), (uint32_t)rnd64(), rnd(8) ? "" : "\r");
}

/* Mostly well-formed dumps (one or more CPU blocks), then damage. */
static void gen_dump(struct buf *b, int *cpu)
{
	static const uint32_t leaves[] = { 0, 1, 4, 7, 0xb, 0xd, 0x80000000, 0x80000001 };
	unsigned int blocks = rnd(3), bl, l;

	b->n = 0;
	b->s[0] = '\0';
	*cpu = rnd(4) ? -1 : (int)rnd(3);
	for (bl = 0; bl < (blocks ? blocks : 1); bl++) {
		if (blocks)
			put(b, "CPU%s%u:\n", rnd(8) ? " " : "", bl);
		for (l = 0; l < sizeof(leaves) / sizeof(leaves[0]); l++) {
			switch (rnd(40)) {
			case 0:
				continue;	/* leaf left out (leaf 0 too) */
			case 1:
				put(b, "%s\n", rnd(2) ? "" : "  \t");
				break;
			case 2:
				put(b, "   0x%08x 0x00: eax=0x%08x ebx=0x%08x\n",
				    leaves[l], rnd(99), rnd(99));
				continue;
			case 3:
				put(b, "   vendor_id = \"GenuineIntel\"\n");
				continue;
			case 4:
				gen_entry(b, leaves[l], 0);	/* twice */
				break;
			}
			gen_entry(b, leaves[l], 0);
			if (leaves[l] == 4 || leaves[l] == 0xd)
				gen_entry(b, leaves[l], 1 + rnd(2));
		}
	}
	if (rnd(3) == 0)
		mutate(b);
}

START_TEST(test_fuzz_dump_parse)
{
	unsigned long long s[NR_FIXED + 1];
	size_t ns = seeds(s), k;
	struct buf *b = malloc(sizeof(*b));

	ck_assert(b);
	for (k = 0; k < ns; k++) {
		int i, good = 0;

		printf("fuzz cpuid_dump_parse: seed %llu (replay: UNIT_FUZZ_SEED=%llu make unit-check)\n",
		       s[k], s[k]);
		fflush(stdout);
		rng_state = s[k];
		for (i = 0; i < 2000; i++) {
			struct cpuid_dump d, e;
			struct diag diag = { 0 };
			char *text = NULL;
			size_t len = 0;
			FILE *f;
			int ret, cpu;

			gen_dump(b, &cpu);
			ret = cpuid_dump_parse(&d, b->s, "g", cpu, &diag);
			if (ret) {
				ck_assert_msg(ret == -EINVAL || ret == -ENODATA ||
					      (ret == -ENOENT && cpu >= 0),
					      "seed %llu case %d: returned %d (%s) for \"%s\"",
					      s[k], i, ret, diag.msg, shown(b->s));
				ck_assert_msg(diag.err == -ret,
					      "seed %llu case %d: diag.err %d, returned %d",
					      s[k], i, diag.err, ret);
				check_diag(b->s, "g", &diag, ret != -EINVAL, false, s[k], i);
				continue;
			}
			good++;
			ck_assert_msg(d.n > 0 && cpuid_dump_find(&d, 0, 0),
				      "seed %llu case %d: parsed without leaf 0", s[k], i);
			/* Round trip through the printer: the same entries. */
			f = open_memstream(&text, &len);
			ck_assert(f);
			ck_assert_int_eq(cpuid_dump_print(&d, f, NULL), 0);
			fclose(f);
			ck_assert_msg(cpuid_dump_parse(&e, text, "p", -1, &diag) == 0,
				      "seed %llu case %d: printed dump does not parse: %s",
				      s[k], i, diag.msg);
			ck_assert_msg(e.n == d.n && !memcmp(e.e, d.e, d.n * sizeof(*d.e)),
				      "seed %llu case %d: round trip changed the entries", s[k], i);
			free(text);
			cpuid_dump_free(&d);
			cpuid_dump_free(&e);
		}
		ck_assert_msg(good > 100 && good < 1900,
			      "seed %llu: %d of 2000 inputs parsed", s[k], good);
	}
	free(b);
}
END_TEST

Suite *fuzz_suite(void)
{
	Suite *s = suite_create("fuzz");
	TCase *tc = tcase_create("parsers");

	tcase_add_test(tc, test_fuzz_profile_parse);
	tcase_add_test(tc, test_fuzz_dump_parse);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
