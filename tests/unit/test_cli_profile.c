// SPDX-License-Identifier: GPL-2.0
/*
 * The profile commands of the cpuidctl binary (show --diff, diff, check,
 * lcd, explain of raw bits, dump --all's format): exact output and exit
 * status, always against recorded dumps, never the host.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define DUMPS TEST_DATA_DIR "/dumps/"

START_TEST(test_cli_lcd_usage)
{
	struct cli_result r;

	cli_run(&r, "profile", "lcd", NULL);
	cli_expect(&r, 2, "",
		   "cpuidctl profile lcd: give at least one DUMP (from 'cpuidctl dump' or 'cpuid -1 -r')\n"
		   "Try 'cpuidctl profile lcd --help' for usage.\n");
}
END_TEST

#define NEHALEM DUMPS "qemu-Nehalem.txt"
#define SPR DUMPS "intel-sapphire-rapids-806f8.txt"

/* Every profile is checked against every dump; errors carry file:line. */
START_TEST(test_cli_check)
{
	const char *good = cli_file(0, "name good\nbaseline x86-64-v3\nxsavearea 2696\n");
	const char *bad = cli_file(1, "# a typo\nmask avx3\n");
	const char *ok = cli_file(2, "mask avx512f\n");
	char out[1024], err[1024];
	struct cli_result r;

	cli_run(&r, "profile", "check", "--no-host", "--against", NEHALEM,
		"--against", SPR, good, bad, "x86-64-v2", ok, NULL);
	snprintf(out, sizeof(out),
		 "x86-64-v2: ok (name x86-64-v2; compiled against %s, %s)\n"
		 "%s: ok (name %.*s; compiled against %s, %s)\n",
		 NEHALEM, SPR, ok, (int)(strlen(strrchr(ok, '/') + 1) - 8),
		 strrchr(ok, '/') + 1, NEHALEM, SPR);
	snprintf(err, sizeof(err),
		 "cpuidctl: %s:3: xsavearea 2696 is below this host's XSAVE area size 11008 (CPUID 0xd.0 EBX); XSAVE would overflow buffers sized from it: use at least 11008 (compiled against %s)\n"
		 "cpuidctl: %s:2: unknown feature 'avx3' (did you mean 'avx2'?)\n",
		 good, SPR, bad);
	cli_expect(&r, 5, out, err);

	/* All good: exit 0. Validate is the same command. */
	cli_run(&r, "profile", "validate", "--no-host", "--against", NEHALEM,
		"x86-64-v4", NULL);
	cli_expect(&r, 0, "x86-64-v4: ok (name x86-64-v4; compiled against " NEHALEM ")\n", "");
}
END_TEST

START_TEST(test_cli_check_errors)
{
	struct cli_result r;

	cli_run(&r, "profile", "check", "--no-host", "x86-64-v2", NULL);
	cli_expect(&r, 2, "", "cpuidctl profile check: --no-host needs at least one --against DUMP\n"
		   "Try 'cpuidctl profile check --help' for usage.\n");
	cli_run(&r, "profile", "check", "--against", NEHALEM, NULL);
	cli_expect(&r, 2, "", "cpuidctl profile check: give at least one PROFILE\n"
		   "Try 'cpuidctl profile check --help' for usage.\n");
	/* A dump that cannot be read is a runtime failure, before any check. */
	cli_run(&r, "profile", "check", "--no-host", "--against", DUMPS "nope.txt",
		"x86-64-v2", NULL);
	cli_expect(&r, 1, "", "cpuidctl: " DUMPS "nope.txt: cannot open: No such file or directory\n");
	/* This host always takes a built-in level (output names no CPU detail). */
	cli_run(&r, "profile", "check", "x86-64-v2", NULL);
	cli_expect(&r, 0, "x86-64-v2: ok (name x86-64-v2; compiled against this host)\n", "");
}
END_TEST

#define HASWELL DUMPS "qemu-Haswell.txt"

/* --diff keeps the rules and levels, and only the rows that differ. */
START_TEST(test_cli_show_diff)
{
	struct cli_result r;

	cli_run(&r, "profile", "show", "--diff", "x86-64-v2", "--against", HASWELL, NULL);
	cli_expect(&r, 0,
		"profile: x86-64-v2 (<builtin x86-64-v2>)\n"
		"host: " HASWELL "\n"
		"\n"
		"profile x86-64-v2: 6 rules\n"
		"  leaf 0x00000001 any subleaf: ecx&=0x81bfeffd\n"
		"  leaf 0x00000007 subleaf 0x00: ebx&=0x0250b4c6 ecx&=0xc5bfa005 edx&=0xfc3ebee3\n"
		"  leaf 0x00000007 subleaf 0x01: eax&=0xff5fe34f\n"
		"  leaf 0x0000000d subleaf 0x01: eax&=0xffffffe0\n"
		"  leaf 0x80000001 any subleaf: ecx&=0xdfdef61f edx&=0x37bfffff\n"
		"  leaf 0x80000008 any subleaf: ebx&=0xffffffee\n"
		"\n"
		"host level: x86-64-v3\n"
		"presented level: x86-64-v2\n"
		"\n"
		"views (module parameter views, on by default):\n"
		"  /proc/cpuinfo flags: 17 hidden features removed\n"
		"  /proc/cpuinfo cpu family, model, stepping: unchanged\n"
		"  /proc/cpuinfo model name: unchanged\n"
		"  /proc/cpuinfo cpuid level: unchanged\n"
		"  AT_HWCAP (at exec): unchanged\n"
		"  AT_HWCAP2: fsgsbase cleared\n"
		"\n"
		"feature                host  presented reason\n"
		"pclmulqdq              yes   -         not in x86-64-v2\n"
		"fma                    yes   -         not in x86-64-v2\n"
		"movbe                  yes   -         not in x86-64-v2\n"
		"aes                    yes   -         not in x86-64-v2\n"
		"xsave                  yes   -         not in x86-64-v2\n"
		"osxsave                yes   -         not in x86-64-v2\n"
		"avx                    yes   -         not in x86-64-v2\n"
		"f16c                   yes   -         not in x86-64-v2\n"
		"rdrand                 yes   -         not in x86-64-v2\n"
		"fsgsbase               yes   -         not in x86-64-v2\n"
		"bmi1                   yes   -         not in x86-64-v2\n"
		"avx2                   yes   -         not in x86-64-v2\n"
		"bmi2                   yes   -         not in x86-64-v2\n"
		"erms                   yes   -         not in x86-64-v2\n"
		"xsaveopt               yes   -         not in x86-64-v2\n"
		"abm                    yes   -         not in x86-64-v2\n"
		"rdtscp                 yes   -         not in x86-64-v2\n"
		"\n"
		"17 features differ\n", "");
}
END_TEST

/* The views block names what readers and programs in the cgroup see. */
START_TEST(test_cli_show_views)
{
	const char *prof = cli_file(0, "family 6\nmodel 158\nstepping 10\n"
				    "brand \"Test CPU\"\nmax-basic-leaf 7\nmask mtrr\n");
	struct cli_result r;

	cli_run(&r, "profile", "show", "--diff", prof, "--against", HASWELL, NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_msg(strstr(r.out, "\nviews (module parameter views, on by default):\n"
			     "  /proc/cpuinfo flags: 2 hidden features removed\n"
			     "  /proc/cpuinfo cpu family, model, stepping: 6, 158, 10 (host 6, 60, 4)\n"
			     "  /proc/cpuinfo model name: Test CPU\n"
			     "  /proc/cpuinfo cpuid level: 7 (host 13)\n"
			     "  AT_HWCAP (at exec): 0x078bebfd (host 0x078bfbfd)\n"
			     "  AT_HWCAP2: unchanged\n\n"), "%s", r.out);
	cli_free(&r);

	cli_runv(&r, "mask fsgsbase,mtrr\n", (char *const[]){ "cpuidctl", "explain", "mtrr",
		 "--profile", "-", "--against", HASWELL, NULL });
	ck_assert_int_eq(r.rc, 0);
	ck_assert_msg(strstr(r.out, "\nprofile custom: hides it: masked by profile (line 1)\n"
			     "views: also hidden in /proc/cpuinfo's flags for readers in the cgroup\n"
			     "views: also hidden in AT_HWCAP of programs started in the cgroup\n"),
		      "%s", r.out);
	cli_free(&r);
	cli_runv(&r, "mask fsgsbase,mtrr\n", (char *const[]){ "cpuidctl", "explain", "fsgsbase",
		 "--profile", "-", "--against", HASWELL, NULL });
	ck_assert_msg(strstr(r.out, "views: also hidden in AT_HWCAP2 (fsgsbase) of programs started in the cgroup\n"),
		      "%s", r.out);
	cli_free(&r);
}
END_TEST

START_TEST(test_cli_diff_profiles)
{
	const char *v3 = cli_file(0, "baseline x86-64-v3\n");
	char out[512];
	struct cli_result r;

	cli_run(&r, "profile", "diff", "--against", HASWELL, "x86-64-v2", "x86-64-v3", NULL);
	cli_expect(&r, 1,
		   "A: x86-64-v2 (profile x86-64-v2 on " HASWELL ")\n"
		   "B: x86-64-v3 (profile x86-64-v3 on " HASWELL ")\n"
		   "\n"
		   "feature                A     B     why\n"
		   "fma                    -     yes   A: not in x86-64-v2\n"
		   "movbe                  -     yes   A: not in x86-64-v2\n"
		   "xsave                  -     yes   A: not in x86-64-v2\n"
		   "osxsave                -     yes   A: not in x86-64-v2\n"
		   "avx                    -     yes   A: not in x86-64-v2\n"
		   "f16c                   -     yes   A: not in x86-64-v2\n"
		   "bmi1                   -     yes   A: not in x86-64-v2\n"
		   "avx2                   -     yes   A: not in x86-64-v2\n"
		   "bmi2                   -     yes   A: not in x86-64-v2\n"
		   "abm                    -     yes   A: not in x86-64-v2\n"
		   "\n"
		   "10 features differ\n", "");

	/* The same CPU by two spellings: exit 0. */
	cli_run(&r, "profile", "diff", "--against", HASWELL, "x86-64-v3", v3, NULL);
	snprintf(out, sizeof(out),
		 "A: x86-64-v3 (profile x86-64-v3 on " HASWELL ")\n"
		 "B: %s (profile %.*s on " HASWELL ")\n"
		 "\n"
		 "no feature differs\n", v3,
		 (int)(strlen(strrchr(v3, '/') + 1) - 8), strrchr(v3, '/') + 1);
	cli_expect(&r, 0, out, "");
}
END_TEST

/* A side is a dump when its first line is a CPU header (cpuid -r too). */
START_TEST(test_cli_diff_dumps)
{
	struct cli_result r;

	cli_run(&r, "profile", "diff", "--against", HASWELL, "x86-64-v2", NEHALEM, NULL);
	cli_expect(&r, 1,
		   "A: x86-64-v2 (profile x86-64-v2 on " HASWELL ")\n"
		   "B: " NEHALEM " (dump)\n"
		   "\n"
		   "feature                A     B     why\n"
		   "arat                   yes   -     B: not on " NEHALEM "\n"
		   "smep                   yes   -     B: not on " NEHALEM "\n"
		   "\n"
		   "2 features differ\n", "");
	cli_run(&r, "profile", "diff", DUMPS "host-amd-epyc-zen5-allcpus.txt",
		DUMPS "host-amd-epyc-zen5.txt", NULL);
	cli_expect(&r, 0,
		   "A: " DUMPS "host-amd-epyc-zen5-allcpus.txt (dump)\n"
		   "B: " DUMPS "host-amd-epyc-zen5.txt (dump)\n"
		   "\n"
		   "no feature differs\n", "");
	cli_run(&r, "profile", "diff", NEHALEM, HASWELL, NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_ptr_nonnull(strstr(r.out, "\navx2                   -     yes   A: not on " NEHALEM "\n"));
	cli_free(&r);
}
END_TEST

/* Exit status like diff(1): anything above 1 means no comparison. */
START_TEST(test_cli_diff_errors)
{
	struct cli_result r;

	cli_run(&r, "profile", "diff", "x86-64-v2", NULL);
	cli_expect(&r, 2, "", "cpuidctl profile diff: needs A and B (profiles or dumps)\n"
		   "Try 'cpuidctl profile diff --help' for usage.\n");
	cli_run(&r, "profile", "diff", "--against", HASWELL, NEHALEM, HASWELL, NULL);
	cli_expect(&r, 2, "", "cpuidctl profile diff: --against is the host of a PROFILE side, but A and B are both dumps\n"
		   "Try 'cpuidctl profile diff --help' for usage.\n");
	cli_run(&r, "profile", "diff", "--against", DUMPS "nope.txt", "x86-64-v2", "x86-64-v3", NULL);
	cli_expect(&r, 2, "", "cpuidctl: " DUMPS "nope.txt: cannot open: No such file or directory\n");
	cli_run(&r, "profile", "diff", "--against", HASWELL, "x86-64-v2", "mask avx3", NULL);
	cli_expect(&r, 5, "", NULL);
}
END_TEST

#define GENOA DUMPS "amd-genoa-zen4-a10f11.txt"

/* @out begins with @head (the rest is explain's usual feature text). */
static void expect_head(struct cli_result *r, const char *head)
{
	ck_assert_msg(r->rc == 0, "exit %d; stderr: %s", r->rc, r->err);
	ck_assert_msg(!strncmp(r->out, head, strlen(head)), "output:\n%s\nexpected to begin:\n%s",
		      r->out, head);
	ck_assert_str_eq(r->err, "");
	cli_free(r);
}

START_TEST(test_cli_explain_raw)
{
	struct cli_result r;

	cli_run(&r, "explain", "7_0_ebx_5", "--against", GENOA, NULL);
	expect_head(&r, "raw bit: 7_0_ebx_5 = leaf 0x7 subleaf 0 ebx bit 5\n"
		    "mask 7_0_ebx_5: the same as 'mask avx2' (it and everything that requires it)\n"
		    "feature: avx2 (X86_FEATURE_AVX2): AVX2 instructions\n");
	cli_run(&r, "explain", "1_3_ecx_28", "--against", GENOA, NULL);
	expect_head(&r, "raw bit: 1_3_ecx_28 = leaf 0x1 ecx bit 28\n"
		    "note: leaf 0x1 has no subleaves: every subleaf answers alike, so subleaf 3 is subleaf 0\n"
		    "mask 1_3_ecx_28: the same as 'mask avx' (it and everything that requires it)\n"
		    "feature: avx (X86_FEATURE_AVX): Advanced Vector Extensions\n");
	/* AMD's copy: masking it leaves the feature shown. */
	cli_run(&r, "explain", "0x80000001_0_edx_23", "--against", GENOA, NULL);
	expect_head(&r, "raw bit: 0x80000001_0_edx_23 = leaf 0x80000001 edx bit 23\n"
		    "mask 0x80000001_0_edx_23: clears this copy of mmx only; mmx stays shown by its bit in leaf 0x1 edx bit 23: 'mask mmx' hides both\n"
		    "feature: mmx (X86_FEATURE_MMX): Multimedia Extensions\n");
	/* No name: the bit on the host and under the profile. */
	cli_run(&r, "explain", "0x80000001_0_ecx_30", "--against", GENOA,
		"--profile", "0x80000001_0_ecx_30", NULL);
	cli_expect(&r, 0,
		   "raw bit: 0x80000001_0_ecx_30 = leaf 0x80000001 ecx bit 30\n"
		   "feature: none (no name in the kernel's feature table: reserved, or not known to this cpuidctl)\n"
		   "mask 0x80000001_0_ecx_30: clears this bit only; no feature requires it\n"
		   GENOA ": bit set\n"
		   "profile 0x80000001_0_ecx_30: bit clear\n", "");
	cli_run(&r, "explain", "0x80000001_0_ecx_30", "--against", GENOA, "--profile", "x86-64-v2", NULL);
	cli_expect(&r, 0,
		   "raw bit: 0x80000001_0_ecx_30 = leaf 0x80000001 ecx bit 30\n"
		   "feature: none (no name in the kernel's feature table: reserved, or not known to this cpuidctl)\n"
		   "mask 0x80000001_0_ecx_30: clears this bit only; no feature requires it\n"
		   GENOA ": bit set\n"
		   "profile x86-64-v2: bit set\n", "");
	cli_run(&r, "explain", "0x40000100_0_eax_0", "--against", GENOA, NULL);
	cli_expect(&r, 0,
		   "raw bit: 0x40000100_0_eax_0 = leaf 0x40000100 eax bit 0\n"
		   "feature: none (no name in the kernel's feature table: reserved, or not known to this cpuidctl)\n"
		   "mask 0x40000100_0_eax_0: clears this bit only; no feature requires it\n"
		   GENOA ": does not report leaf 0x40000100 subleaf 0\n", "");
}
END_TEST

/* An invalid raw bit says exactly what is wrong; nothing on stdout. */
START_TEST(test_cli_explain_raw_bad)
{
	static const char *const bad[][2] = {
		{ "7_0_ebx_99", "bit 99 is out of range (0..31)" },
		{ "7_0_exx_5", "register 'exx' is not one of eax, ebx, ecx, edx" },
		{ "7_0_ebx", "expected 4 parts LEAF_SUBLEAF_REG_BIT separated by '_', e.g. 7_0_ebx_5" },
		{ "0x1000000000_0_eax_1", "leaf 0x1000000000 is above 0xffffffff" },
		{ "7_x_ebx_5", "subleaf 'x' is not a number (decimal or 0x hex)" },
	};
	struct cli_result r;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cli_run(&r, "explain", bad[i][0], "--against", GENOA, NULL);
		snprintf(err, sizeof(err), "cpuidctl: bad raw bit '%s': %s\n", bad[i][0], bad[i][1]);
		cli_expect(&r, 2, "", err);
	}
}
END_TEST

Suite *cli_profile_suite(void)
{
	Suite *s = suite_create("cli-profile");
	TCase *tc = tcase_create("cli-profile");

	tcase_add_test(tc, test_cli_lcd_usage);
	tcase_add_test(tc, test_cli_check);
	tcase_add_test(tc, test_cli_check_errors);
	tcase_add_test(tc, test_cli_show_diff);
	tcase_add_test(tc, test_cli_show_views);
	tcase_add_test(tc, test_cli_diff_profiles);
	tcase_add_test(tc, test_cli_diff_dumps);
	tcase_add_test(tc, test_cli_diff_errors);
	tcase_add_test(tc, test_cli_explain_raw);
	tcase_add_test(tc, test_cli_explain_raw_bad);
	suite_add_tcase(s, tc);
	return s;
}
