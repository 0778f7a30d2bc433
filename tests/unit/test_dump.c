// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID dumps: round trip against real `cpuid -r` output, errors, and the
 * enumeration replayed on recorded CPUs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static char *print_to_string(const struct cpuid_dump *d, const char *header)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(cpuid_dump_print(d, f, header), 0);
	fclose(f);
	return buf;
}

/* Every single-CPU dump of tests/data/dumps prints back byte for byte. */
START_TEST(test_round_trip_all_dumps)
{
	DIR *dir = opendir(TEST_DATA_DIR "/dumps");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(dir);
	while ((de = readdir(dir))) {
		char path[512], *text, *out;
		struct cpuid_dump d;
		struct diag diag = { 0 };
		size_t len = strlen(de->d_name);

		if (len < 4 || strcmp(de->d_name + len - 4, ".txt") ||
		    strstr(de->d_name, "allcpus"))
			continue;
		snprintf(path, sizeof(path), TEST_DATA_DIR "/dumps/%s",
			 de->d_name);
		text = read_text(path);
		ck_assert_int_eq(cpuid_dump_count_cpus(text), 1);
		ck_assert_msg(cpuid_dump_parse(&d, text, path, -1, &diag) == 0,
			      "%s", diag.msg);
		ck_assert_uint_gt(d.n, 10);
		out = print_to_string(&d, "CPU");
		ck_assert_msg(!strcmp(out, text), "%s does not round-trip",
			      path);
		free(out);
		free(text);
		cpuid_dump_free(&d);
		n++;
	}
	closedir(dir);
	ck_assert_int_ge(n, 1);
}
END_TEST

/* `cpuid -r` (all CPUs): pick a block; the text of that block returns. */
START_TEST(test_all_cpus_pick)
{
	char *text = read_text(TEST_DATA_DIR "/dumps/host-amd-epyc-zen5-allcpus.txt");
	char *block, *end, *out;
	struct cpuid_dump d0, d1;
	struct diag diag = { 0 };

	ck_assert_int_eq(cpuid_dump_count_cpus(text), 2);
	ck_assert_int_eq(cpuid_dump_parse(&d1, text, "all", 1, &diag), 0);
	ck_assert_int_eq(d1.cpu, 1);
	ck_assert_int_eq(cpuid_dump_parse(&d0, text, "all", -1, &diag), 0);
	ck_assert_int_eq(d0.cpu, 0);
	/* The APIC IDs in 1.EBX[31:24] differ between the two CPUs. */
	ck_assert_uint_ne(cpuid_dump_find(&d0, 1, 0)->r[CPUID_EBX],
			  cpuid_dump_find(&d1, 1, 0)->r[CPUID_EBX]);
	block = strstr(text, "CPU 1:\n");
	ck_assert_ptr_nonnull(block);
	end = strstr(block + 1, "CPU ");
	if (end)
		*end = '\0';
	out = print_to_string(&d1, "CPU 1");
	ck_assert_str_eq(out, block);
	cpuid_dump_free(&d0);
	ck_assert_int_eq(cpuid_dump_parse(&d0, text, "all", 7, &diag), -ENOENT);
	ck_assert_str_eq(diag.msg, "all: no \"CPU 7:\" block in this dump");
	free(out);
	free(text);
	cpuid_dump_free(&d1);
}
END_TEST

static void dump_fails(const char *text, int err, const char *msg)
{
	struct cpuid_dump d;
	struct diag diag = { 0 };

	ck_assert_int_eq(cpuid_dump_parse(&d, text, "bad.txt", -1, &diag),
			 -err);
	ck_assert_str_eq(diag.msg, msg);
	ck_assert_ptr_null(d.e);
}

START_TEST(test_parse_errors)
{
	dump_fails("CPU:\n   0x00000000 0x00: eax=0x0000000d ebx=0x1 ecx=0x2 edx=0x3\n"
		   "   0x00000001 0x00: eax=0x1 ebx=0x2\n", EINVAL,
		   "bad.txt:3: not a 'cpuid -r' line: expected \"0xLEAF 0xSUB: eax=0x... ebx=0x... ecx=0x... edx=0x...\" or \"CPU N:\"");
	dump_fails("CPU:\n   0x00000000 0x00: eax=0x0000000d ebx=0x1 ecx=0x2 edx=0x3\n"
		   "   0x00000000 0x00: eax=0x0000000d ebx=0x1 ecx=0x2 edx=0x3\n",
		   EINVAL,
		   "bad.txt:3: leaf 0x00000000 subleaf 0x00 appears twice for this CPU");
	dump_fails("", ENODATA,
		   "bad.txt: empty dump: no CPUID entries (expected the output of 'cpuid -1 -r')");
	dump_fails("CPU:\n   0x00000001 0x00: eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\n",
		   ENODATA,
		   "bad.txt: dump has no leaf 0x00000000 (vendor and maximum leaf)");
	dump_fails("CPU:\n   0x100000000 0x00: eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\n",
		   EINVAL,
		   "bad.txt:2: not a 'cpuid -r' line: expected \"0xLEAF 0xSUB: eax=0x... ebx=0x... ecx=0x... edx=0x...\" or \"CPU N:\"");
	dump_fails("CPU 0:\n   vendor_id = \"GenuineIntel\"\n", EINVAL,
		   "bad.txt:2: this is decoded 'cpuid' output; take the dump with 'cpuid -1 -r' (raw) or 'cpuidctl dump'");
	dump_fails("flags : fpu vme de\n", EINVAL,
		   "bad.txt:1: not a 'cpuid -r' line: expected \"0xLEAF 0xSUB: eax=0x... ebx=0x... ecx=0x... edx=0x...\" or \"CPU N:\"");
}
END_TEST

START_TEST(test_load_errors)
{
	struct cpuid_dump d;
	struct diag diag = { 0 };

	ck_assert_int_eq(cpuid_dump_load(&d, "/nonexistent/dump.txt", -1, &diag),
			 -ENOENT);
	ck_assert_str_eq(diag.msg,
			 "/nonexistent/dump.txt: cannot open: No such file or directory");
	ck_assert_int_eq(cpuid_dump_load(&d, TEST_DATA_DIR, -1, &diag), -EISDIR);
	ck_assert_str_eq(diag.msg, TEST_DATA_DIR ": is a directory, not a CPUID dump");
	ck_assert_int_eq(cpuid_dump_load(&d, TEST_DATA_DIR "/profiles/web.profile", -1, &diag), -EINVAL);
	ck_assert_str_eq(diag.msg, TEST_DATA_DIR "/profiles/web.profile:1: not a 'cpuid -r' line: expected \"0xLEAF 0xSUB: eax=0x... ebx=0x... ecx=0x... edx=0x...\" or \"CPU N:\"");
}
END_TEST

START_TEST(test_decode)
{
	struct cpuid_dump d;
	char vendor[13], brand[49];
	unsigned int fa, mo, st;
	uint32_t r[4];

	load_dump(&d, HOST_DUMP);
	cpuid_dump_vendor(&d, vendor);
	ck_assert_str_eq(vendor, "AuthenticAMD");
	cpuid_dump_brand(&d, brand);
	ck_assert_str_eq(brand, "Oxide Virtual Turin-like Processor");
	ck_assert(cpuid_dump_fms(&d, &fa, &mo, &st));
	ck_assert_uint_eq(fa, 0x1a);	/* 0xf + extended family 0xb */
	ck_assert_uint_eq(mo, 0x02);
	ck_assert_uint_eq(st, 1);
	ck_assert(cpuid_dump_has(&d, feat("avx512f")));
	ck_assert(cpuid_dump_has(&d, feat("lm")));
	ck_assert(!cpuid_dump_has(&d, feat("vmx")));
	/* Above the maximum extended leaf: zeros, as the CPU would say. */
	ck_assert(cpuid_dump_query(&d, 0x80000030, 0, r));
	ck_assert_uint_eq(r[0] | r[1] | r[2] | r[3], 0);
	/* Leaf 1 ignores the subleaf. */
	ck_assert(cpuid_dump_query(&d, 1, 5, r));
	ck_assert_uint_eq(r[CPUID_EAX], 0x00b00f21);
	cpuid_dump_free(&d);
}
END_TEST

/*
 * A fake CPUID instruction answering from a recorded dump; it counts the
 * questions so a runaway walk shows.
 */
struct replay {
	const struct cpuid_dump *table;
	unsigned long asked;
};

static void replay_insn(void *ctx, uint32_t leaf, uint32_t sub,
			uint32_t r[CPUID_NR_REGS])
{
	struct replay *rp = ctx;

	rp->asked++;
	cpuid_dump_replay(rp->table, leaf, sub, r);
}

/*
 * Enumerate the CPU recorded in @table and compare with what `cpuid -1 -r`
 * printed on it: the same leaves and subleaves, the same values. Returns
 * a description of the first difference, or NULL.
 */
static char *enumeration_diff(const struct cpuid_dump *table,
			      const struct cpuid_dump *want)
{
	struct replay rp = { table, 0 };
	struct cpuid_dump got;
	char *msg = NULL;
	size_t i, j;

	ck_assert_int_eq(cpuid_dump_enumerate(&got, replay_insn, &rp), 0);
	for (i = 0, j = 0; !msg && (i < want->n || j < got.n);) {
		const struct cpuid_entry *t = i < want->n ? &want->e[i] : NULL;
		const struct cpuid_entry *g = j < got.n ? &got.e[j] : NULL;

		if (g && (!t || g->leaf < t->leaf ||
			  (g->leaf == t->leaf && g->subleaf < t->subleaf))) {
			ck_assert(asprintf(&msg, "enumeration has %#x.%u, which cpuid -1 -r does not print",
					   g->leaf, g->subleaf) > 0);
		} else if (!g || g->leaf != t->leaf || g->subleaf != t->subleaf) {
			ck_assert(asprintf(&msg, "enumeration lacks %#x.%u, which cpuid -1 -r prints",
					   t->leaf, t->subleaf) > 0);
		} else if (memcmp(g->r, t->r, sizeof(g->r))) {
			ck_assert(asprintf(&msg, "%#x.%u differs", t->leaf,
					   t->subleaf) > 0);
		} else {
			i++;
			j++;
		}
	}
	cpuid_dump_free(&got);
	return msg;
}

/* Single-CPU dumps of tests/data/dumps (recorded `cpuid -1 -r` output). */
static char *dump_files[64];
static int n_dump_files;

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void find_dump_files(void)
{
	DIR *dir = opendir(TEST_DATA_DIR "/dumps");
	struct dirent *de;

	if (!dir)
		return;
	while ((de = readdir(dir)) && n_dump_files < 64) {
		size_t len = strlen(de->d_name);

		if (len < 4 || strcmp(de->d_name + len - 4, ".txt") ||
		    strstr(de->d_name, "allcpus"))
			continue;
		dump_files[n_dump_files++] = strdup(de->d_name);
	}
	closedir(dir);
	qsort(dump_files, n_dump_files, sizeof(*dump_files), name_cmp);
}

/* Replaying each recorded CPU gives back exactly its `cpuid -1 -r`. */
START_TEST(test_enumerate_recorded)
{
	char path[512], *msg;
	struct cpuid_dump table;

	ck_assert_int_lt(_i, n_dump_files);
	snprintf(path, sizeof(path), TEST_DATA_DIR "/dumps/%s", dump_files[_i]);
	load_dump(&table, path);
	msg = enumeration_diff(&table, &table);
	ck_assert_msg(!msg, "%s: %s", dump_files[_i], msg);
	cpuid_dump_free(&table);
}
END_TEST

/*
 * `dump --all` against `cpuid -r` (all CPUs) of the same machine: each
 * recorded CPU replayed through the enumeration `dump` uses, printed by
 * the --all printer, gives the recorded text byte for byte.
 */
START_TEST(test_all_cpus_enumerated)
{
	const char *path = TEST_DATA_DIR "/dumps/host-amd-epyc-zen5-allcpus.txt";
	char *text = read_text(path), *out = NULL;
	struct cpuid_dump table, d[2];
	int cpus[2] = { 0, 1 };
	struct diag diag = { 0 };
	size_t len = 0;
	FILE *f;
	int i;

	ck_assert_int_eq(cpuid_dump_count_cpus(text), 2);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(cpuid_dump_parse(&table, text, "all", i, &diag), 0);
		struct replay rp = { &table, 0 };

		cpuid_dump_init(&d[i]);
		ck_assert_int_eq(cpuid_dump_enumerate(&d[i], replay_insn, &rp), 0);
		cpuid_dump_free(&table);
	}
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(cpuid_dump_print_all(d, cpus, 2, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	for (i = 0; out[i] && out[i] == text[i]; i++)
		;
	/* Only the place of the first difference: Check cannot carry 8 KiB. */
	ck_assert_msg(out[i] == text[i], "dump --all differs at byte %d: '%.60s' where cpuid -r has '%.60s'",
		      i, out + i, text + i);
	free(out);
	free(text);
	cpuid_dump_free(&d[0]);
	cpuid_dump_free(&d[1]);
}
END_TEST

/*
 * Synthetic CPUs for the rules no recorded one reaches (Xen's leaf 3, KVM
 * with EAX 0, an unknown hypervisor, 0x23 and 0x24 with subleaves, 0x1b
 * past 1, leaf 2 twice...): NAME.table answers, NAME.txt is what
 * cpuid -1 -r printed on it (tests/data/dumps/README.md).
 */
static const char *const synthetic[] = { "loops", "hypervisors" };

START_TEST(test_enumerate_synthetic)
{
	char path[512], *msg;
	struct cpuid_dump table, want;

	snprintf(path, sizeof(path), TEST_DATA_DIR "/dumps/synthetic/%s.table",
		 synthetic[_i]);
	load_dump(&table, path);
	snprintf(path, sizeof(path), TEST_DATA_DIR "/dumps/synthetic/%s.txt",
		 synthetic[_i]);
	load_dump(&want, path);
	msg = enumeration_diff(&table, &want);
	ck_assert_msg(!msg, "synthetic/%s: %s", synthetic[_i], msg);
	cpuid_dump_free(&table);
	cpuid_dump_free(&want);
}
END_TEST

/*
 * The recorded CPUs cover the leaves issue 9 names, and the CI host's CPU
 * (Intel family 6 model 207, Emerald Rapids) is among them: deleting a
 * dump must not quietly shrink what the enumeration test proves.
 */
START_TEST(test_recorded_coverage)
{
	static const uint32_t leaves[] = {
		0x1a, 0x1b, 0x1d, 0x1e, 0x1f, 0x20, 0x23, 0x24,
		0x8000001d, 0x80000020, 0x80000021, 0x80000026,
	};
	bool seen[sizeof(leaves) / sizeof(leaves[0])] = { false };
	bool emr = false, sub1b = false;
	int i;
	size_t k;

	for (i = 0; i < n_dump_files; i++) {
		char path[512];
		struct cpuid_dump d;
		unsigned int fa, mo, st;

		snprintf(path, sizeof(path), TEST_DATA_DIR "/dumps/%s", dump_files[i]);
		load_dump(&d, path);
		for (k = 0; k < sizeof(leaves) / sizeof(leaves[0]); k++)
			seen[k] |= !!cpuid_dump_find(&d, leaves[k], 0);
		sub1b |= !!cpuid_dump_find(&d, 0x1b, 1);
		if (cpuid_dump_fms(&d, &fa, &mo, &st) && fa == 6 && mo == 207)
			emr = true;
		cpuid_dump_free(&d);
	}
	for (k = 0; k < sizeof(leaves) / sizeof(leaves[0]); k++)
		ck_assert_msg(seen[k], "no recorded CPU has leaf %#x", leaves[k]);
	ck_assert_msg(sub1b, "no recorded CPU has leaf 0x1b.1");
	ck_assert_msg(emr, "no recorded Intel family 6 model 207 (Emerald Rapids)");
}
END_TEST

/* A CPU that never says "no more" (a hostile hypervisor) cannot hang us. */
static void endless_insn(void *ctx, uint32_t leaf, uint32_t sub,
			 uint32_t r[CPUID_NR_REGS])
{
	unsigned long *asked = ctx;

	(*asked)++;
	r[CPUID_EAX] = leaf < 0x40000000 ? 0xffffffff : leaf | 0xffff;
	r[CPUID_EBX] = r[CPUID_ECX] = r[CPUID_EDX] = 0xffffffff;
	if (leaf == 0x40000000)
		memcpy(&r[CPUID_EBX], "KVMKVMKVM\0\0\0", 12);
	(void)sub;
}

START_TEST(test_enumerate_bounded)
{
	struct cpuid_dump d;
	unsigned long asked = 0;

	ck_assert_int_eq(cpuid_dump_enumerate(&d, endless_insn, &asked), 0);
	ck_assert_uint_lt(asked, 200000);
	ck_assert_uint_gt(d.n, 256);
	/* every walk stopped at its limit, and the dump still prints */
	ck_assert_ptr_null(cpuid_dump_find(&d, 0x4, 256));
	ck_assert_ptr_nonnull(cpuid_dump_find(&d, 0x4, 255));
	ck_assert_ptr_null(cpuid_dump_find(&d, 0x100, 0));
	cpuid_dump_free(&d);
}
END_TEST

/*
 * Not a test: whether `cpuid -1 -r` on this machine agrees with
 * cpuid_dump_read_host(), printed as TAP comments. The host's CPU is
 * whatever CI got, so it must not decide anything.
 */
void dump_host_info(FILE *tap)
{
	struct cpuid_dump host, tool;
	struct diag diag = { 0 };
	char *text = NULL, *msg = NULL, line[640];
	size_t len = 0, i, extra;
	FILE *p, *m;
	int c;

	if (cpuid_dump_read_host(&host, 0, &diag)) {
		snprintf(line, sizeof(line), "# info: cpuid_dump_read_host: %s", diag.msg);
		goto out;
	}
	p = popen("taskset -c 0 cpuid -1 -r 2>/dev/null", "r");
	m = open_memstream(&text, &len);
	while (p && m && (c = fgetc(p)) != EOF)
		fputc(c, m);
	if (m)
		fclose(m);
	if (!p || pclose(p) || cpuid_dump_parse(&tool, text, "cpuid", -1, &diag)) {
		snprintf(line, sizeof(line),
			 "# info: no 'taskset -c 0 cpuid -1 -r' here; host not compared");
		cpuid_dump_free(&host);
		goto out;
	}
	for (i = 0; i < tool.n && !msg; i++) {
		const struct cpuid_entry *t = &tool.e[i];
		const struct cpuid_entry *h = cpuid_dump_find(&host, t->leaf, t->subleaf);

		if (!h)
			msg = "lacks";
		else if (memcmp(h->r, t->r, sizeof(h->r)) &&
			 t->leaf != 1 && t->leaf != 0xb && t->leaf != 0x1f)
			msg = "differs at";	/* APIC IDs aside: CPU 0 both */
		if (msg)
			snprintf(line, sizeof(line),
				 "# info: host: cpuidctl dump %s %#x.%u of 'cpuid -1 -r' (not a test result)",
				 msg, t->leaf, t->subleaf);
	}
	/* 0x1e.1, 0x24.1..: walked as newer cpuid does, not bookworm's */
	for (i = 0, extra = 0; i < host.n; i++)
		if ((host.e[i].leaf == 0x1e || host.e[i].leaf == 0x24) &&
		    host.e[i].subleaf && !cpuid_dump_find(&tool, host.e[i].leaf,
							  host.e[i].subleaf))
			extra++;
	if (!msg && host.n != tool.n + extra)
		snprintf(line, sizeof(line),
			 "# info: host: cpuidctl dump has %zu entries, 'cpuid -1 -r' %zu (not a test result)",
			 host.n, tool.n);
	else if (!msg)
		snprintf(line, sizeof(line),
			 "# info: host: cpuidctl dump equals 'cpuid -1 -r' (%zu entries, %zu more of 0x1e/0x24; not a test result)",
			 tool.n, extra);
	cpuid_dump_free(&host);
	cpuid_dump_free(&tool);
out:
	free(text);
	puts(line);
	if (tap)
		fprintf(tap, "%s\n", line);
}

START_TEST(test_read_host_bad_cpu)
{
	struct cpuid_dump d;
	struct diag diag = { 0 };

	ck_assert_int_eq(cpuid_dump_read_host(&d, 100000, &diag), -EINVAL);
	ck_assert_str_eq(diag.msg, "CPU 100000 does not exist");
	ck_assert_int_eq(cpuid_dump_read_host(&d, 1000, &diag), -EINVAL);
	ck_assert_str_eq(diag.msg,
			 "cannot run on CPU 1000 (Invalid argument): is it online and in this process's cpuset?");
}
END_TEST

/* Garbage never crashes the parser and always gives a message. */
START_TEST(test_parse_garbage)
{
	char buf[300];
	int i, j;

	srand(1);
	for (i = 0; i < 2000; i++) {
		struct cpuid_dump d;
		struct diag diag = { 0 };
		int n = rand() % (int)(sizeof(buf) - 1);

		for (j = 0; j < n; j++)
			buf[j] = "0x: eacdbx=CPU 1\n\t"[rand() % 19] ^
				 (rand() % 50 ? 0 : rand() & 0x7f);
		buf[n] = '\0';
		if (cpuid_dump_parse(&d, buf, "g", -1, &diag))
			ck_assert_uint_gt(strlen(diag.msg), 3);
		else
			cpuid_dump_free(&d);
	}
}
END_TEST

Suite *dump_suite(void)
{
	Suite *s = suite_create("dump");
	TCase *tc = tcase_create("dump");

	tcase_add_test(tc, test_round_trip_all_dumps);
	tcase_add_test(tc, test_all_cpus_pick);
	tcase_add_test(tc, test_all_cpus_enumerated);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_load_errors);
	tcase_add_test(tc, test_decode);
	tcase_add_test(tc, test_read_host_bad_cpu);
	tcase_add_test(tc, test_parse_garbage);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	/* One test per recorded CPU, named by its index in the message. */
	find_dump_files();
	tc = tcase_create("enumerate");
	tcase_add_loop_test(tc, test_enumerate_recorded, 0,
			    n_dump_files ? n_dump_files : 1);
	tcase_add_loop_test(tc, test_enumerate_synthetic, 0,
			    sizeof(synthetic) / sizeof(synthetic[0]));
	tcase_add_test(tc, test_recorded_coverage);
	tcase_add_test(tc, test_enumerate_bounded);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}
