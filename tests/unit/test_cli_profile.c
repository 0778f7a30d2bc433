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

Suite *cli_profile_suite(void)
{
	Suite *s = suite_create("cli-profile");
	TCase *tc = tcase_create("cli-profile");

	tcase_add_test(tc, test_cli_lcd_usage);
	suite_add_tcase(s, tc);
	return s;
}
