// SPDX-License-Identifier: GPL-2.0
/* CPUID dumps: round trip against real `cpuid -r` output, errors, host. */
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

/* Reading this machine: same answers as Debian's cpuid on the same CPU. */
START_TEST(test_read_host_matches_cpuid_tool)
{
	struct cpuid_dump host, tool;
	struct diag diag = { 0 };
	FILE *p;
	char *text = NULL;
	size_t len = 0, i, cmp = 0;

	ck_assert_msg(cpuid_dump_read_host(&host, 0, &diag) == 0, "%s",
		      diag.msg);
	ck_assert_int_eq(host.cpu, 0);
	p = popen("taskset -c 0 cpuid -1 -r", "r");
	ck_assert_ptr_nonnull(p);
	{
		FILE *m = open_memstream(&text, &len);
		int c;

		while ((c = fgetc(p)) != EOF)
			fputc(c, m);
		fclose(m);
	}
	ck_assert_msg(pclose(p) == 0, "'taskset -c 0 cpuid -1 -r' failed (package cpuid, util-linux)");
	ck_assert_msg(cpuid_dump_parse(&tool, text, "cpuid", -1, &diag) == 0,
		      "%s", diag.msg);
	for (i = 0; i < tool.n; i++) {
		const struct cpuid_entry *t = &tool.e[i];
		const struct cpuid_entry *h = cpuid_dump_find(&host, t->leaf,
							      t->subleaf);

		ck_assert_msg(h, "read_host lacks leaf %#x.%u that cpuid has",
			      t->leaf, t->subleaf);
		ck_assert_msg(!memcmp(h->r, t->r, sizeof(h->r)),
			      "leaf %#x.%u differs", t->leaf, t->subleaf);
		cmp++;
	}
	ck_assert_uint_eq(cmp, host.n);
	free(text);
	cpuid_dump_free(&host);
	cpuid_dump_free(&tool);
}
END_TEST

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
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_load_errors);
	tcase_add_test(tc, test_decode);
	tcase_add_test(tc, test_read_host_bad_cpu);
	tcase_add_test(tc, test_parse_garbage);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	/* Real CPUID: meaningless under valgrind, which emulates its own. */
	tc = tcase_create("native");
	tcase_set_tags(tc, "native-cpuid");
	tcase_add_test(tc, test_read_host_matches_cpuid_tool);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}
