// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl's output for people and scripts: version, --json parsed back
 * with json-c. Runs the built binary (cli.c); no module, no host CPU
 * (dumps come from tests/data/dumps).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <linux/cpuidvirt.h>

#include "unit.h"
#include "../../module/version.h"

Suite *cli_out_suite(void);

START_TEST(version_lines)
{
	const char *forms[] = { "version", "--version", "-V" };
	struct cli_result r;
	char want[256];
	struct utsname u;
	struct stat st;

	ck_assert_int_eq(uname(&u), 0);
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		ck_assert_int_eq(cli_run(&r, forms[i], NULL), 0);
		ck_assert_str_eq(r.err, "");
		snprintf(want, sizeof(want), "cpuidctl %s (ABI %d)\nmodule: ",
			 CPUIDVIRT_VERSION, CPUIDVIRT_API_VERSION);
		ck_assert_msg(!strncmp(r.out, want, strlen(want)), "%s: %s", forms[i], r.out);
		/* The build host has no module loaded unless someone loaded it. */
		if (stat("/sys/module/cpuidvirt", &st))
			ck_assert_msg(strstr(r.out, "\nmodule: not loaded\n"), "%s", r.out);
		snprintf(want, sizeof(want), "\nkernel: %s\n", u.release);
		ck_assert_msg(strstr(r.out, want), "%s: no '%s' in: %s", forms[i], want + 1, r.out);
		ck_assert_int_eq(strlen(strstr(r.out, want)), strlen(want));
		cli_free(&r);
	}
}
END_TEST

START_TEST(version_extra_argument)
{
	struct cli_result r;

	cli_run(&r, "version", "x", NULL);
	cli_expect(&r, 2, "", "cpuidctl version: unexpected argument 'x'\n"
		   "Try 'cpuidctl version --help' for usage.\n");
}
END_TEST

Suite *cli_out_suite(void)
{
	Suite *s = suite_create("cli-out");
	TCase *tc = tcase_create("version");

	tcase_add_test(tc, version_lines);
	tcase_add_test(tc, version_extra_argument);
	suite_add_tcase(s, tc);
	return s;
}
