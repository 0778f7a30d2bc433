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

Suite *cli_profile_suite(void)
{
	Suite *s = suite_create("cli-profile");
	TCase *tc = tcase_create("cli-profile");

	tcase_add_test(tc, test_cli_lcd_usage);
	tcase_add_test(tc, test_cli_check);
	tcase_add_test(tc, test_cli_check_errors);
	suite_add_tcase(s, tc);
	return s;
}
