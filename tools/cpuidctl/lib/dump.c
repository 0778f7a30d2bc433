// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID dumps: parse and print the text of Debian's `cpuid -r`, read the
 * host's CPUID.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cpuid.h>

#include "dump.h"

void cpuid_dump_init(struct cpuid_dump *d)
{
	d->e = NULL;
	d->n = 0;
	d->cap = 0;
	d->cpu = -1;
}

void cpuid_dump_free(struct cpuid_dump *d)
{
	free(d->e);
	cpuid_dump_init(d);
}

int cpuid_dump_copy(struct cpuid_dump *dst, const struct cpuid_dump *src)
{
	cpuid_dump_init(dst);
	if (!src->n) {
		dst->cpu = src->cpu;
		return 0;
	}
	dst->e = malloc(src->n * sizeof(*dst->e));
	if (!dst->e)
		return -ENOMEM;
	memcpy(dst->e, src->e, src->n * sizeof(*dst->e));
	dst->n = dst->cap = src->n;
	dst->cpu = src->cpu;
	return 0;
}

static int entry_cmp(uint32_t leaf, uint32_t subleaf,
		     const struct cpuid_entry *e)
{
	if (leaf != e->leaf)
		return leaf < e->leaf ? -1 : 1;
	if (subleaf != e->subleaf)
		return subleaf < e->subleaf ? -1 : 1;
	return 0;
}

/* Index of the entry, or of where it would be inserted (binary search). */
static size_t find_pos(const struct cpuid_dump *d, uint32_t leaf,
		       uint32_t subleaf, bool *found)
{
	size_t lo = 0, hi = d->n;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = entry_cmp(leaf, subleaf, &d->e[mid]);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int cpuid_dump_set(struct cpuid_dump *d, uint32_t leaf, uint32_t subleaf,
		   const uint32_t r[CPUID_NR_REGS])
{
	bool found;
	size_t pos = find_pos(d, leaf, subleaf, &found);

	if (!found) {
		if (d->n == d->cap) {
			size_t cap = d->cap ? d->cap * 2 : 64;
			struct cpuid_entry *e = realloc(d->e, cap * sizeof(*e));

			if (!e)
				return -ENOMEM;
			d->e = e;
			d->cap = cap;
		}
		memmove(&d->e[pos + 1], &d->e[pos],
			(d->n - pos) * sizeof(*d->e));
		d->n++;
		d->e[pos].leaf = leaf;
		d->e[pos].subleaf = subleaf;
	}
	memcpy(d->e[pos].r, r, sizeof(d->e[pos].r));
	return 0;
}

const struct cpuid_entry *cpuid_dump_find(const struct cpuid_dump *d,
					  uint32_t leaf, uint32_t subleaf)
{
	bool found;
	size_t pos = find_pos(d, leaf, subleaf, &found);

	return found ? &d->e[pos] : NULL;
}

bool cpuid_dump_query(const struct cpuid_dump *d, uint32_t leaf,
		      uint32_t subleaf, uint32_t out[CPUID_NR_REGS])
{
	const struct cpuid_entry *e = cpuid_dump_find(d, leaf, subleaf);
	const struct cpuid_entry *max;

	if (!e && subleaf && !cpuid_leaf_has_subleaves(leaf))
		e = cpuid_dump_find(d, leaf, 0);
	if (e) {
		memcpy(out, e->r, sizeof(e->r));
		return true;
	}
	/* Above the range's maximum a feature bit reads as absent. */
	max = cpuid_dump_find(d, leaf & 0xffff0000U, 0);
	if (max && (leaf & 0xffff0000U) != 0x40000000U &&
	    (max->r[CPUID_EAX] < leaf ||
	     max->r[CPUID_EAX] > (leaf | 0xffffU))) {
		memset(out, 0, CPUID_NR_REGS * sizeof(uint32_t));
		return true;
	}
	/* An enumerated subleaf the CPU does not have: all zero. */
	if (max && cpuid_leaf_has_subleaves(leaf) &&
	    cpuid_dump_find(d, leaf, 0)) {
		memset(out, 0, CPUID_NR_REGS * sizeof(uint32_t));
		return true;
	}
	return false;
}

bool cpuid_dump_replay(const struct cpuid_dump *d, uint32_t leaf,
		       uint32_t subleaf, uint32_t out[CPUID_NR_REGS])
{
	const struct cpuid_entry *e = cpuid_dump_find(d, leaf, subleaf);

	/* Leaves without subleaves ignore ECX on real CPUs. */
	if (!e && subleaf && !cpuid_leaf_has_subleaves(leaf))
		e = cpuid_dump_find(d, leaf, 0);
	if (e) {
		memcpy(out, e->r, sizeof(e->r));
		return true;
	}
	memset(out, 0, CPUID_NR_REGS * sizeof(uint32_t));
	return false;
}

bool cpuid_dump_has(const struct cpuid_dump *d, const struct cpu_feature *f)
{
	uint32_t r[CPUID_NR_REGS];

	if (!cpuid_dump_query(d, f->leaf, f->subleaf, r))
		return false;
	return r[f->reg] >> f->bit & 1;
}

void cpuid_dump_features(const struct cpuid_dump *d, struct feature_set *out)
{
	size_t i, n = features_count();

	fset_clear(out);
	for (i = 0; i < n; i++)
		if (cpuid_dump_has(d, feature_get(i)))
			fset_add(out, feature_get(i));
}

static void put_reg(char *p, uint32_t v)
{
	memcpy(p, &v, 4);	/* x86 is little endian, as CPUID's strings */
}

void cpuid_dump_vendor(const struct cpuid_dump *d, char out[13])
{
	const struct cpuid_entry *e = cpuid_dump_find(d, 0, 0);

	out[0] = '\0';
	if (!e)
		return;
	put_reg(out, e->r[CPUID_EBX]);
	put_reg(out + 4, e->r[CPUID_EDX]);
	put_reg(out + 8, e->r[CPUID_ECX]);
	out[12] = '\0';
}

void cpuid_dump_brand(const struct cpuid_dump *d, char out[49])
{
	char buf[49];
	size_t i, skip = 0;

	out[0] = '\0';
	for (i = 0; i < 3; i++) {
		const struct cpuid_entry *e =
			cpuid_dump_find(d, 0x80000002U + i, 0);
		int r;

		if (!e)
			return;
		for (r = 0; r < CPUID_NR_REGS; r++)
			put_reg(buf + i * 16 + r * 4, e->r[r]);
	}
	buf[48] = '\0';
	while (buf[skip] == ' ')
		skip++;
	memmove(out, buf + skip, 49 - skip);
	for (i = strlen(out); i > 0 && out[i - 1] == ' '; i--)
		out[i - 1] = '\0';
}

bool cpuid_dump_fms(const struct cpuid_dump *d, unsigned int *family,
		    unsigned int *model, unsigned int *stepping)
{
	const struct cpuid_entry *e = cpuid_dump_find(d, 1, 0);
	uint32_t a;
	unsigned int fam, mod;

	if (!e)
		return false;
	a = e->r[CPUID_EAX];
	fam = a >> 8 & 0xf;
	mod = a >> 4 & 0xf;
	if (fam == 0xf)
		fam += a >> 20 & 0xff;
	if (fam >= 6)
		mod |= (a >> 16 & 0xf) << 4;
	*family = fam;
	*model = mod;
	*stepping = a & 0xf;
	return true;
}

/* "CPU:" -> -1, "CPU 3:" -> 3; -2 if the line is not a CPU header. */
static int parse_cpu_header(const char *s)
{
	char *end;
	long cpu;

	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "CPU", 3))
		return -2;
	s += 3;
	if (*s == ':')
		return s[1] == '\0' || isspace((unsigned char)s[1]) ? -1 : -2;
	if (*s != ' ')
		return -2;
	cpu = strtol(s, &end, 10);
	if (end == s || *end != ':' || cpu < 0 || cpu > 1 << 20)
		return -2;
	return (int)cpu;
}

static bool parse_hex32(const char **sp, const char *prefix, uint32_t *out)
{
	const char *s = *sp;
	unsigned long long v;
	char *end;
	size_t n = strlen(prefix);

	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, prefix, n))
		return false;
	s += n;
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') ||
	    !isxdigit((unsigned char)s[2]))
		return false;
	errno = 0;
	v = strtoull(s, &end, 16);
	if (errno || v > 0xffffffffULL)
		return false;
	*out = (uint32_t)v;
	*sp = end;
	return true;
}

/* "   0x00000007 0x00: eax=0x... ebx=0x... ecx=0x... edx=0x..." */
static bool parse_entry(const char *s, struct cpuid_entry *e)
{
	static const char *const names[] = { "eax=", "ebx=", "ecx=", "edx=" };
	int r;

	if (!parse_hex32(&s, "", &e->leaf) || !parse_hex32(&s, "", &e->subleaf))
		return false;
	if (*s++ != ':')
		return false;
	for (r = 0; r < CPUID_NR_REGS; r++)
		if (!parse_hex32(&s, names[r], &e->r[r]))
			return false;
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	return *s == '\0';
}

int cpuid_dump_count_cpus(const char *text)
{
	const char *p = text;
	int n = 0;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[64];

		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			if (parse_cpu_header(line) >= -1)
				n++;
		}
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

int cpuid_dump_parse(struct cpuid_dump *d, const char *text,
		     const char *name, int cpu, struct diag *diag)
{
	const char *p = text;
	int lineno = 0, block = -3, ret;
	bool in_block = false, seen_any = false, taken = false;
	char line[256];

	cpuid_dump_init(d);
	if (!name)
		name = "<dump>";
	while (p && *p) {
		const char *start = p, *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		struct cpuid_entry e;
		const char *s;
		int hdr;

		lineno++;
		p = nl ? nl + 1 : NULL;
		if (len >= sizeof(line)) {
			ret = diag_set(diag, EINVAL, name, lineno,
				       "line too long for a cpuid -r dump");
			goto fail;
		}
		memcpy(line, start, len);
		line[len] = '\0';
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		if (!*s)
			continue;
		hdr = parse_cpu_header(line);
		if (hdr >= -1) {
			if (taken && in_block)
				break;	/* the block we wanted is complete */
			block = hdr;
			in_block = cpu < 0 ? !taken : hdr == cpu;
			seen_any = true;
			continue;
		}
		if (!parse_entry(line, &e) && strstr(line, " = ")) {
			ret = diag_set(diag, EINVAL, name, lineno,
				       "this is decoded 'cpuid' output; take the dump with 'cpuid -1 -r' (raw) or 'cpuidctl dump'");
			goto fail;
		}
		if (!parse_entry(line, &e)) {
			ret = diag_set(diag, EINVAL, name, lineno,
				       "not a 'cpuid -r' line: expected \"0xLEAF 0xSUB: eax=0x... ebx=0x... ecx=0x... edx=0x...\" or \"CPU N:\"");
			goto fail;
		}
		if (!seen_any) {
			/* Bare entries without a header: one CPU. */
			seen_any = true;
			block = -1;
			in_block = cpu < 0;
		}
		if (!in_block)
			continue;
		taken = true;
		if (cpuid_dump_find(d, e.leaf, e.subleaf)) {
			ret = diag_set(diag, EINVAL, name, lineno,
				       "leaf 0x%08x subleaf 0x%02x appears twice for this CPU",
				       e.leaf, e.subleaf);
			goto fail;
		}
		ret = cpuid_dump_set(d, e.leaf, e.subleaf, e.r);
		if (ret) {
			diag_set(diag, ENOMEM, name, 0, "out of memory");
			goto fail;
		}
		d->cpu = block >= 0 ? block : -1;
	}
	if (!taken) {
		if (cpu >= 0)
			ret = diag_set(diag, ENOENT, name, 0,
				       "no \"CPU %d:\" block in this dump", cpu);
		else
			ret = diag_set(diag, ENODATA, name, 0,
				       "empty dump: no CPUID entries (expected the output of 'cpuid -1 -r')");
		goto fail;
	}
	if (!cpuid_dump_find(d, 0, 0)) {
		ret = diag_set(diag, ENODATA, name, 0,
			       "dump has no leaf 0x00000000 (vendor and maximum leaf)");
		goto fail;
	}
	return 0;
fail:
	cpuid_dump_free(d);
	return ret;
}

int cpuid_dump_load(struct cpuid_dump *d, const char *path, int cpu,
		    struct diag *diag)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int ret;

	struct stat st;

	cpuid_dump_init(d);
	if (!f)
		return diag_set(diag, errno, path, 0, "cannot open: %s",
				strerror(errno));
	if (!fstat(fileno(f), &st) && S_ISDIR(st.st_mode)) {
		fclose(f);
		return diag_set(diag, EISDIR, path, 0,
				"is a directory, not a CPUID dump");
	}
	for (;;) {
		size_t got;

		if (cap - len < 4096) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			if (cap > 64 << 20) {
				ret = diag_set(diag, EFBIG, path, 0,
					       "too large for a CPUID dump");
				goto out;
			}
			nb = realloc(buf, cap + 1);
			if (!nb) {
				ret = diag_set(diag, ENOMEM, path, 0,
					       "out of memory");
				goto out;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		ret = diag_set(diag, EIO, path, 0, "read error");
		goto out;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		ret = diag_set(diag, EINVAL, path, 0,
			       "binary file, not a 'cpuid -r' dump");
		goto out;
	}
	ret = cpuid_dump_parse(d, buf, path, cpu, diag);
out:
	free(buf);
	if (f != stdin)
		fclose(f);
	return ret;
}

int cpuid_dump_print(const struct cpuid_dump *d, FILE *out,
		     const char *header)
{
	size_t i;

	if (header && fprintf(out, "%s:\n", header) < 0)
		return -EIO;
	for (i = 0; i < d->n; i++) {
		const struct cpuid_entry *e = &d->e[i];

		if (fprintf(out, "   0x%08x 0x%02x: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n",
			    e->leaf, e->subleaf, e->r[CPUID_EAX],
			    e->r[CPUID_EBX], e->r[CPUID_ECX],
			    e->r[CPUID_EDX]) < 0)
			return -EIO;
	}
	return 0;
}

int cpuid_dump_print_all(const struct cpuid_dump *d, const int *cpus,
			 size_t n, FILE *out)
{
	char header[32];
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		snprintf(header, sizeof(header), "CPU %d", cpus[i]);
		ret = cpuid_dump_print(&d[i], out, header);
		if (ret)
			return ret;
	}
	return 0;
}

/* Enumeration -------------------------------------------------------- */

/*
 * The walk of Debian bookworm's cpuid 20230120 in `cpuid -1 -r` (do_real()
 * in cpuid.c), checked against that binary with tests/data/dumps/
 * cpuid-oracle.sh. Two leaves that tool reads only at subleaf 0 are walked
 * as cpuid 20250316 (trixie) walks them, checked the same way: 0x1e
 * (subleaves 0 and 1) and 0x24 (0..EAX). Where the tool loops without a
 * bound (until a CPU says "no more"), we stop after SUBLEAF_LIMIT
 * subleaves so that a broken or hostile hypervisor cannot hang us; no real
 * CPU comes near it.
 */
#define SUBLEAF_LIMIT 256
#define RANGE_LIMIT 0xff	/* leaves past a range's base we walk at most */

struct walk {
	struct cpuid_dump *d;
	cpuid_insn_fn insn;
	void *ctx;
	int ret;
};

static void ask(struct walk *w, uint32_t leaf, uint32_t sub,
		uint32_t r[CPUID_NR_REGS])
{
	w->insn(w->ctx, leaf, sub, r);
}

static void put(struct walk *w, uint32_t leaf, uint32_t sub,
		const uint32_t r[CPUID_NR_REGS])
{
	if (!w->ret)
		w->ret = cpuid_dump_set(w->d, leaf, sub, r);
}

static void ask_put(struct walk *w, uint32_t leaf, uint32_t sub,
		    uint32_t r[CPUID_NR_REGS])
{
	ask(w, leaf, sub, r);
	put(w, leaf, sub, r);
}

/* Subleaves 1..@max (@max from subleaf 0's EAX: 7, 0x14, 0x17...). */
static void walk_to_max(struct walk *w, uint32_t leaf, uint32_t max)
{
	uint32_t r[CPUID_NR_REGS], sub;

	for (sub = 1; sub <= max && sub < SUBLEAF_LIMIT; sub++)
		ask_put(w, leaf, sub, r);
}

/* Subleaves 1..31 whose bit is set in @mask (0x10, 0x80000020). */
static void walk_mask(struct walk *w, uint32_t leaf, uint32_t mask)
{
	uint32_t r[CPUID_NR_REGS], sub;

	for (sub = 1; sub < 32; sub++)
		if (mask >> sub & 1)
			ask_put(w, leaf, sub, r);
}

/*
 * Subleaves from @sub on until @last says the one just read is the end;
 * that one is recorded too (4, 0xb, 0x12, 0x1b, 0x1f).
 */
static void walk_until(struct walk *w, uint32_t leaf, uint32_t sub,
		       bool (*last)(const uint32_t *r))
{
	uint32_t r[CPUID_NR_REGS];

	for (; sub < SUBLEAF_LIMIT; sub++) {
		ask_put(w, leaf, sub, r);
		if (last(r))
			break;
	}
}

static bool cache_type_null(const uint32_t *r)
{
	return !(r[CPUID_EAX] & 0x1f);	/* 4, 0x8000001d */
}

static bool level_type_invalid(const uint32_t *r)
{
	return !(r[CPUID_ECX] >> 8 & 0xff);	/* 0xb, 0x1f */
}

static bool sgx_invalid(const uint32_t *r)
{
	return !(r[CPUID_EAX] & 0xf);		/* 0x12 */
}

static bool pconfig_invalid(const uint32_t *r)
{
	return !(r[CPUID_EAX] & 0xfff);		/* 0x1b */
}

/* The other subleaves of a basic leaf; @s0 is its subleaf 0. */
static void walk_basic(struct walk *w, uint32_t leaf, const uint32_t *s0)
{
	uint32_t r[CPUID_NR_REGS], sub, n;
	uint64_t mask;

	switch (leaf) {
	case 0x2:
		/* AL = how often to execute CPUID(2); all with ECX=0 */
		n = s0[CPUID_EAX] & 0xff;
		for (sub = 1; sub < n; sub++) {
			ask(w, leaf, 0, r);
			put(w, leaf, sub, r);
		}
		break;
	case 0x4:
		if (!cache_type_null(s0))
			walk_until(w, leaf, 1, cache_type_null);
		break;
	case 0xb:
		if (!level_type_invalid(s0))
			walk_until(w, leaf, 1, level_type_invalid);
		break;
	case 0x1f:
		/* unlike 0xb, subleaf 1 is read whatever subleaf 0 says */
		walk_until(w, leaf, 1, level_type_invalid);
		break;
	case 0x7: case 0x14: case 0x17: case 0x18: case 0x1d: case 0x20:
	case 0x23:	/* bookworm's rule; trixie's reads EAX as a bitmap */
	case 0x24:	/* trixie's rule */
		walk_to_max(w, leaf, s0[CPUID_EAX]);
		break;
	case 0x1e:	/* trixie's rule: AMX TMUL information in subleaf 1 */
		ask_put(w, leaf, 1, r);
		break;
	case 0xd:
		/* XCR0 bits (0: EDX:EAX) and IA32_XSS bits (1: EDX:ECX) */
		ask_put(w, leaf, 1, r);
		mask = ((uint64_t)s0[CPUID_EDX] << 32 | s0[CPUID_EAX]) |
		       ((uint64_t)r[CPUID_EDX] << 32 | r[CPUID_ECX]);
		for (sub = 2; sub < 63; sub++)
			if (mask >> sub & 1)
				ask_put(w, leaf, sub, r);
		break;
	case 0xf:
		if (s0[CPUID_EDX] & 2)
			ask_put(w, leaf, 1, r);
		break;
	case 0x10:
		walk_mask(w, leaf, s0[CPUID_EBX]);
		break;
	case 0x12:
		/* 0 and 1 always, then EPC sections up to the invalid one */
		ask_put(w, leaf, 1, r);
		walk_until(w, leaf, 2, sgx_invalid);
		break;
	case 0x1b:
		walk_until(w, leaf, 1, pconfig_invalid);
		break;
	}
}

static void walk_basic_range(struct walk *w, uint32_t *leaf1_ecx)
{
	uint32_t r[CPUID_NR_REGS], leaf, max;

	ask_put(w, 0, 0, r);
	max = r[CPUID_EAX] < RANGE_LIMIT ? r[CPUID_EAX] : RANGE_LIMIT;
	for (leaf = 1; leaf <= max && !w->ret; leaf++) {
		ask_put(w, leaf, 0, r);
		if (leaf == 1)
			*leaf1_ecx = r[CPUID_ECX];
		walk_basic(w, leaf, r);
	}
}

/*
 * base..max, with max from CPUID(base).EAX. @cap: beyond base+cap the
 * answer is taken for garbage and only the base leaf is kept (the tool's
 * own sanity limits for 0x20000000 and 0xc0000000; ours for the others).
 */
static void walk_range(struct walk *w, uint32_t base, uint32_t cap)
{
	uint32_t r[CPUID_NR_REGS], leaf, max, sub;

	ask_put(w, base, 0, r);
	max = r[CPUID_EAX];
	if (max > base + cap)
		max = base;
	for (leaf = base + 1; leaf <= max && !w->ret; leaf++) {
		if (leaf == 0x8000001d) {
			/* only real caches: the null entry ending them is not kept */
			for (sub = 0; sub < SUBLEAF_LIMIT; sub++) {
				ask(w, leaf, sub, r);
				if (cache_type_null(r))
					break;
				put(w, leaf, sub, r);
			}
			continue;
		}
		ask_put(w, leaf, 0, r);
		if (leaf == 0x80000020)
			walk_mask(w, leaf, r[CPUID_EBX]);
	}
}

enum hypervisor { HV_UNKNOWN, HV_KNOWN, HV_KVM, HV_XEN };

/* The signatures bookworm's cpuid knows (get_hypervisor()). */
static enum hypervisor hypervisor_of(const uint32_t *r)
{
	static const struct {
		char sig[13];
		enum hypervisor hv;
	} known[] = {
		{ "VMwareVMware", HV_KNOWN },
		{ "XenVMMXenVMM", HV_XEN },
		{ "KVMKVMKVM\0\0", HV_KVM },
		{ "Microsoft Hv", HV_KNOWN },
		{ "ACRNACRNACRN", HV_KNOWN },
	};
	char sig[12];
	size_t i;

	memcpy(sig, &r[CPUID_EBX], 4);
	memcpy(sig + 4, &r[CPUID_ECX], 4);
	memcpy(sig + 8, &r[CPUID_EDX], 4);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!memcmp(sig, known[i].sig, 12))
			return known[i].hv;
	return HV_UNKNOWN;
}

/*
 * Hypervisor ranges at 0x40000000, 0x40000100, ... (Xen's stride): each
 * base is kept even when it says "nothing here", which ends the walk.
 */
static void walk_hypervisors(struct walk *w)
{
	uint32_t r[CPUID_NR_REGS], base, leaf, max;

	for (base = 0x40000000; base < 0x40010000 && !w->ret; base += 0x100) {
		enum hypervisor hv;

		ask_put(w, base, 0, r);
		hv = hypervisor_of(r);
		max = r[CPUID_EAX];
		if (hv == HV_KVM && !max)
			max = base + 1;		/* old KVM left EAX 0 */
		if ((hv == HV_UNKNOWN && max > base + 0x100) || max < base)
			break;
		if (max > base + RANGE_LIMIT)
			max = base + RANGE_LIMIT;
		for (leaf = base + 1; leaf <= max && !w->ret; leaf++) {
			ask_put(w, leaf, 0, r);
			if (hv == HV_XEN && (leaf & 0xff) == 3) {
				ask_put(w, leaf, 1, r);
				ask_put(w, leaf, 2, r);
			}
		}
	}
}

int cpuid_dump_enumerate(struct cpuid_dump *d, cpuid_insn_fn insn, void *ctx)
{
	struct walk w = { d, insn, ctx, 0 };
	uint32_t leaf1_ecx = 0;

	cpuid_dump_init(d);
	walk_basic_range(&w, &leaf1_ecx);
	walk_range(&w, 0x20000000, 0x100);
	if (leaf1_ecx >> 31)	/* "running under a hypervisor" */
		walk_hypervisors(&w);
	walk_range(&w, 0x80000000, RANGE_LIMIT);
	walk_range(&w, 0x80860000, RANGE_LIMIT);
	walk_range(&w, 0xc0000000, 0x1000);
	if (w.ret)
		cpuid_dump_free(d);
	return w.ret;
}

/* Host reading ------------------------------------------------------- */

static void native_cpuid(void *ctx, uint32_t leaf, uint32_t sub,
			 uint32_t r[CPUID_NR_REGS])
{
	(void)ctx;
	__cpuid_count(leaf, sub, r[CPUID_EAX], r[CPUID_EBX], r[CPUID_ECX],
		      r[CPUID_EDX]);
}

int cpuid_dump_read_host(struct cpuid_dump *d, int cpu, struct diag *diag)
{
	cpu_set_t old, set;
	bool pinned = false;
	int ret;

	cpuid_dump_init(d);
	if (cpu >= 0) {
		if (cpu >= CPU_SETSIZE)
			return diag_set(diag, EINVAL, NULL, 0,
					"CPU %d does not exist", cpu);
		if (sched_getaffinity(0, sizeof(old), &old))
			return diag_set(diag, errno, NULL, 0,
					"sched_getaffinity: %s", strerror(errno));
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			return diag_set(diag, errno, NULL, 0,
					"cannot run on CPU %d (%s): is it online and in this process's cpuset?",
					cpu, strerror(errno));
		pinned = true;
	}
	ret = cpuid_dump_enumerate(d, native_cpuid, NULL);
	if (pinned)
		sched_setaffinity(0, sizeof(old), &old);
	if (ret)
		return diag_set(diag, ENOMEM, NULL, 0, "out of memory");
	d->cpu = cpu;
	return 0;
}
