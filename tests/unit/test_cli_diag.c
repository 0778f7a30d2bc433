// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl's diagnostics, run as a program (cli.c): --help, messages and
 * exit codes that need neither the module nor the host's CPUID.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define DUMP(name) TEST_DATA_DIR "/dumps/" name

/* Run cpuidctl ARGS... (NULL-terminated array). */
static int run_args(struct cli_result *r, const char *const *args)
{
	char *argv[32];
	int n;

	argv[0] = "cpuidctl";
	for (n = 0; args[n]; n++) {
		ck_assert_int_lt(n, 30);
		argv[n + 1] = (char *)args[n];
	}
	argv[n + 1] = NULL;
	return cli_runv(r, NULL, argv);
}

/* stdout of 'cpuidctl ARGS...' that must exit 0 with nothing on stderr. */
static char *help_of(const char *const *args)
{
	struct cli_result r;
	char *out;

	run_args(&r, args);
	ck_assert_msg(r.rc == 0, "%s %s: rc %d, stderr: %s", args[0],
		      args[1] ? args[1] : "", r.rc, r.err);
	ck_assert_str_eq(r.err, "");
	out = r.out;
	r.out = NULL;
	cli_free(&r);
	return out;
}

/* 'cpuidctl ARGS...' prints exactly @ref on stdout, nothing else, rc 0. */
static void assert_help(const char *ref, const char *const *args)
{
	char *out = help_of(args);

	ck_assert_msg(!strcmp(out, ref), "'%s %s %s %s' did not print the help",
		      args[0], args[1] ? args[1] : "", args[1] && args[2] ? args[2] : "",
		      args[1] && args[2] && args[3] ? args[3] : "");
	free(out);
}

/*
 * The word after each "PREFIX" in @text, after @header and, if @end is not
 * NULL, before the @end that follows it. Returns how many.
 */
static int words_after(const char *text, const char *header, const char *end,
		       const char *prefix, char words[][32], int max)
{
	const char *p = strstr(text, header), *stop;
	size_t plen = strlen(prefix);
	int n = 0;

	ck_assert_msg(p, "no '%s' in the help", header);
	stop = end ? strstr(p, end) : NULL;
	while ((p = strstr(p, prefix)) && (!stop || p < stop) && n < max) {
		size_t len = strcspn(p + plen, " \n");

		ck_assert(len > 0 && len < 32);
		memcpy(words[n], p + plen, len);
		words[n++][len] = '\0';
		p += plen;
	}
	return n;
}

/*
 * Every command of the table (as 'cpuidctl help' lists it) answers --help
 * and -h anywhere among its arguments, but not after "--".
 */
START_TEST(help_anywhere_every_command)
{
	char *top = help_of((const char *[]){ "help", NULL });
	char cmds[32][32];
	int n = words_after(top, "Available subcommands:", "\n\n", "\n  ", cmds, 32), i;

	ck_assert_int_ge(n, 8);
	for (i = 0; i < n; i++) {
		const char *c = cmds[i];
		char *ref = help_of((const char *[]){ "help", c, NULL });
		struct cli_result r;

		ck_assert_msg(strstr(ref, "Usage: cpuidctl "), "help %s: no Usage line", c);
		assert_help(ref, (const char *[]){ c, "--help", NULL });
		assert_help(ref, (const char *[]){ c, "-h", NULL });
		assert_help(ref, (const char *[]){ c, "--no-such-option", "--help", NULL });
		assert_help(ref, (const char *[]){ c, "--help", "--no-such-option", NULL });
		cli_run(&r, c, "--", "--help", NULL);
		ck_assert_msg(r.rc != 0 || strcmp(r.out, ref),
			      "%s -- --help: --help after -- is an operand", c);
		cli_free(&r);
		free(ref);
	}
	free(top);
}
END_TEST

/* 'profile SUB ... --help' and 'help profile SUB' for every subcommand. */
START_TEST(help_anywhere_profile_subcommands)
{
	char *ref = help_of((const char *[]){ "help", "profile", NULL });
	char subs[16][32];
	int n = words_after(ref, "Usage: cpuidctl profile", NULL, "\n  profile ", subs, 16), i;

	ck_assert_int_ge(n, 5);
	for (i = 0; i < n; i++) {
		assert_help(ref, (const char *[]){ "profile", subs[i], "--help", NULL });
		assert_help(ref, (const char *[]){ "profile", subs[i], "zz", "-h", NULL });
		assert_help(ref, (const char *[]){ "help", "profile", subs[i], NULL });
	}
	free(ref);
}
END_TEST

/* The command lines of issue 12, bug 5. */
START_TEST(help_issue_examples)
{
	char *ex = help_of((const char *[]){ "help", "explain", NULL });
	char *du = help_of((const char *[]){ "help", "dump", NULL });
	char *pr = help_of((const char *[]){ "help", "profile", NULL });
	char *ru = help_of((const char *[]){ "help", "run", NULL });
	struct cli_result r;

	assert_help(ex, (const char *[]){ "explain", "avx2", "--help", NULL });
	assert_help(du, (const char *[]){ "dump", "--all", "--help", NULL });
	assert_help(pr, (const char *[]){ "profile", "show", "x86-64-v2", "--help", NULL });
	assert_help(ru, (const char *[]){ "run", "--profile", "x86-64-v2", "--help", NULL });
	assert_help(ru, (const char *[]){ "run", "--profile=x86-64-v2", "-h", NULL });
	assert_help(ru, (const char *[]){ "run", "--cgroup-parent", "x", "--help", NULL });

	/* CMD's own --help belongs to CMD, with or without "--". */
	cli_run(&r, "run", "--profile", "x86-64-v2", "--", "true", "--help", NULL);
	ck_assert_ptr_null(strstr(r.out, "Usage: cpuidctl run"));
	cli_free(&r);
	cli_run(&r, "run", "--profile", "x86-64-v2", "true", "--help", NULL);
	ck_assert_ptr_null(strstr(r.out, "Usage: cpuidctl run"));
	cli_free(&r);

	cli_run(&r, "help", "profile", "nope", NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_str_eq(r.out, "");
	cli_free(&r);
	cli_run(&r, "help", "explain", "avx2", NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_str_eq(r.err, "cpuidctl help: too many arguments\n"
			 "Try 'cpuidctl help --help' for usage.\n");
	cli_free(&r);
	free(ex);
	free(du);
	free(pr);
	free(ru);
}
END_TEST

Suite *cli_diag_suite(void)
{
	Suite *s = suite_create("cli-diag");
	TCase *tc = tcase_create("help");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, help_anywhere_every_command);
	tcase_add_test(tc, help_anywhere_profile_subcommands);
	tcase_add_test(tc, help_issue_examples);
	suite_add_tcase(s, tc);
	return s;
}
