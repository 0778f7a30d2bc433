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

/* Host reading ------------------------------------------------------- */

static int add_native(struct cpuid_dump *d, uint32_t leaf, uint32_t sub,
		      uint32_t r[CPUID_NR_REGS])
{
	__cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
	return cpuid_dump_set(d, leaf, sub, r);
}

/* Subleaves of one leaf, following each leaf's own enumeration rule. */
static int read_leaf(struct cpuid_dump *d, uint32_t leaf)
{
	uint32_t r[4], s0[4], sub, max;
	int ret;

	/* AMD's cache topology: cpuid -r prints only the non-empty ones. */
	if (leaf == 0x8000001d) {
		for (sub = 0, ret = 0; sub < 64 && !ret; sub++) {
			__cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
			if (!(r[0] & 0x1f))
				break;
			ret = cpuid_dump_set(d, leaf, sub, r);
		}
		return ret;
	}
	ret = add_native(d, leaf, 0, s0);
	if (ret)
		return ret;
	switch (leaf) {
	case 0x4: case 0x80000026:
		/* cache / topology descriptors: until type 0, included */
		for (sub = 1, memcpy(r, s0, sizeof(r));
		     (r[0] & 0x1f) && sub < 64 && !ret; sub++)
			ret = add_native(d, leaf, sub, r);
		break;
	case 0xb: case 0x1f:
		for (sub = 1, memcpy(r, s0, sizeof(r));
		     (r[2] >> 8 & 0xff) && sub < 64 && !ret; sub++)
			ret = add_native(d, leaf, sub, r);
		break;
	case 0x7: case 0x14: case 0x17: case 0x18: case 0x1d: case 0x20:
	case 0x23: case 0x24:
		max = s0[0] < 64 ? s0[0] : 63;
		for (sub = 1; sub <= max && !ret; sub++)
			ret = add_native(d, leaf, sub, r);
		break;
	case 0xd: {
		uint64_t comp;

		ret = add_native(d, leaf, 1, r);
		/* XCR0-capable (sub 0 EDX:EAX) and XSS-capable (sub 1 EDX:ECX) */
		comp = ((uint64_t)s0[3] << 32 | s0[0]) |
		       ((uint64_t)r[3] << 32 | r[2]);
		for (sub = 2; sub < 63 && !ret; sub++)
			if (comp >> sub & 1)
				ret = add_native(d, leaf, sub, r);
		break;
	}
	case 0xf:
		if (s0[3] & 2)
			ret = add_native(d, leaf, 1, r);
		break;
	case 0x10: case 0x80000020:
		for (sub = 1; sub < 32 && !ret; sub++)
			if (s0[1] >> sub & 1)
				ret = add_native(d, leaf, sub, r);
		break;
	case 0x12:
		ret = add_native(d, leaf, 1, r);
		for (sub = 2; sub < 64 && !ret; sub++) {
			ret = add_native(d, leaf, sub, r);
			if (!(r[0] & 0xf))
				break;
		}
		break;
	}
	return ret;
}

/* A range base..max where CPUID(base).EAX is plausible for that range. */
static int read_range(struct cpuid_dump *d, uint32_t base, bool always)
{
	uint32_t r[4], leaf, max;
	int ret;

	__cpuid_count(base, 0, r[0], r[1], r[2], r[3]);
	max = r[0];
	if (max < base || max > base + 0xff) {
		/* not implemented: still record the answer, as cpuid -r does */
		return always ? cpuid_dump_set(d, base, 0, r) : 0;
	}
	for (leaf = base; leaf <= max; leaf++) {
		ret = read_leaf(d, leaf);
		if (ret)
			return ret;
	}
	return 0;
}

int cpuid_dump_read_host(struct cpuid_dump *d, int cpu, struct diag *diag)
{
	cpu_set_t old, set;
	bool pinned = false;
	uint32_t r[4], leaf, max;
	int ret = 0;

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
	__cpuid_count(0, 0, r[0], r[1], r[2], r[3]);
	max = r[0] < 0x100 ? r[0] : 0xff;	/* a sane bound */
	for (leaf = 0; leaf <= max && !ret; leaf++)
		ret = read_leaf(d, leaf);
	if (!ret)
		ret = read_range(d, 0x20000000, true);
	if (!ret)
		ret = read_range(d, 0x40000000, true);
	if (!ret)
		ret = read_range(d, 0x40000100, true);
	if (!ret)
		ret = read_range(d, 0x80000000, true);
	if (!ret)
		ret = read_range(d, 0x80860000, true);
	if (!ret)
		ret = read_range(d, 0xc0000000, true);
	if (pinned)
		sched_setaffinity(0, sizeof(old), &old);
	if (ret) {
		cpuid_dump_free(d);
		return diag_set(diag, ENOMEM, NULL, 0, "out of memory");
	}
	d->cpu = cpu;
	return 0;
}
