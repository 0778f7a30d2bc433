// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl's diagnostics, run as a program (cli.c): --help, messages and
 * exit codes that need neither the module nor the host's CPUID.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "lint.h"

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

	/* A misspelt command gets the same "did you mean" as a feature. */
	cli_run(&r, "explian", NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "cpuidctl: invalid subcommand 'explian' (did you mean 'explain'?)\n"));
	cli_free(&r);
	cli_run(&r, "help", "explian", NULL);
	cli_expect(&r, 2, "", "cpuidctl help: unknown command 'explian' (did you mean 'explain'?)\n"
		   "Try 'cpuidctl help --help' for usage.\n");
	cli_run(&r, "profile", "shoow", NULL);
	cli_expect(&r, 2, "", "cpuidctl profile: unknown subcommand 'shoow' (did you mean 'show'?)\n"
		   "Try 'cpuidctl profile --help' for usage.\n");

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

#define ZEN5 DUMP("host-amd-epyc-zen5.txt")

/* 'explain F --against ZEN5' must print @want (ZEN5's path where "@@" is). */
static void explain_is(const char *feature, const char *want)
{
	struct cli_result r;
	char *exp = malloc(strlen(want) + strlen(ZEN5) + 1), *at;

	ck_assert(exp);
	at = strstr(want, "@@");
	ck_assert(at);
	sprintf(exp, "%.*s%s%s", (int)(at - want), want, ZEN5, at + 2);
	cli_run(&r, "explain", feature, "--against", ZEN5, NULL);
	cli_expect(&r, 0, exp, "");
	free(exp);
}

/* Bug 7: the AMD alias copies made mmx "required by: mmx". */
START_TEST(explain_aliases_exact)
{
	explain_is("mmx",
		"feature: mmx (X86_FEATURE_MMX): Multimedia Extensions\n"
		"cpuid: leaf 0x1 edx bit 23\n"
		"alias: leaf 0x80000001 edx bit 23 (AMD's copy, masked with it)\n"
		"requires: fxsr\n"
		"required by: mmxext\n"
		"masking it also masks: mmxext\n"
		"x86-64 level: part of x86-64-v1 and above\n"
		"@@: has it\n");
	explain_is("mba",
		"feature: mba (X86_FEATURE_MBA): Memory Bandwidth Allocation\n"
		"cpuid: leaf 0x10 subleaf 0 ebx bit 3\n"
		"alias: leaf 0x80000008 ebx bit 6 (a second bit of the same feature, masked with it)\n"
		"requires: (none)\n"
		"required by: per_thread_mba\n"
		"masking it also masks: per_thread_mba\n"
		"x86-64 level: not part of any x86-64 psABI level\n"
		"@@: does not have it\n");
	explain_is("avx2",
		"feature: avx2 (X86_FEATURE_AVX2): AVX2 instructions\n"
		"cpuid: leaf 0x7 subleaf 0 ebx bit 5\n"
		"requires: avx\n"
		"required by: avx_ifma, avx_vnni\n"
		"masking it also masks: avx_vnni, avx_ifma\n"
		"x86-64 level: part of x86-64-v3 and above\n"
		"@@: has it\n");
}
END_TEST

/* The line of @out that starts with @prefix, as a malloc()ed string. */
static char *line_of(const char *out, const char *prefix)
{
	const char *p = out;
	size_t n = strlen(prefix);

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, prefix, n))
			return strndup(p + n, strcspn(p + n, "\n"));
	ck_abort_msg("no '%s' line in: %s", prefix, out);
	return NULL;
}

/* ", "-separated @list names no feature twice and never @self. */
static void assert_list_clean(const char *self, const char *what, char *list)
{
	char *names[1024], *tok, *save = NULL;
	int n = 0, i, j;

	for (tok = strtok_r(list, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		ck_assert_msg(strcmp(tok, self), "explain %s: '%s' names itself", self, what);
		ck_assert(n < 1024);
		names[n++] = tok;
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			ck_assert_msg(strcmp(names[i], names[j]),
				      "explain %s: '%s' names %s twice", self, what, names[i]);
}

/* Bug 7, for every feature of the table: fpu, fxsr and their likes. */
START_TEST(explain_lists_every_feature)
{
	static const char *const lists[] = { "requires: ", "required by: ",
					     "masking it also masks: " };
	size_t i, k;

	for (i = 0; i < features_count(); i++) {
		const struct cpu_feature *f = feature_get(i);
		const char *name = *f->name ? f->name : f->kname;
		struct cli_result r;

		if (f->flags & FEAT_ALIAS)
			continue;
		cli_run(&r, "explain", name, "--against", ZEN5, NULL);
		ck_assert_msg(r.rc == 0, "explain %s: rc %d: %s", name, r.rc, r.err);
		for (k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
			char *l = line_of(r.out, lists[k]);

			assert_list_clean(name, lists[k], l);
			free(l);
		}
		cli_free(&r);
	}
}
END_TEST

/* Bug 7: the cases of the issue, exactly but for fpu's long closure. */
START_TEST(explain_fpu_fxsr)
{
	struct cli_result r;
	char *l;

	cli_run(&r, "explain", "fxsr", "--against", ZEN5, NULL);
	ck_assert_int_eq(r.rc, 0);
	l = line_of(r.out, "required by: ");
	ck_assert_str_eq(l, "cmov, fxsr_opt, mmx, sse, xsave");
	free(l);
	l = line_of(r.out, "alias: ");
	ck_assert_str_eq(l, "leaf 0x80000001 edx bit 24 (AMD's copy, masked with it)");
	free(l);
	cli_free(&r);
	cli_run(&r, "explain", "fpu", "--against", ZEN5, NULL);
	ck_assert_int_eq(r.rc, 0);
	l = line_of(r.out, "required by: ");
	ck_assert_str_eq(l, "fxsr");
	free(l);
	l = line_of(r.out, "requires: ");
	ck_assert_str_eq(l, "(none)");
	free(l);
	cli_free(&r);
}
END_TEST

/* Bug 6: a bad input prints its error and nothing else. */
START_TEST(explain_validates_first)
{
	struct cli_result r;

	cli_run(&r, "explain", "avx2", "--against", "/nonexistent/nope.txt", NULL);
	cli_expect(&r, 1, "", "cpuidctl: /nonexistent/nope.txt: cannot open: No such file or directory\n");
	cli_run(&r, "explain", "avx2", "--against", ZEN5, "--profile", "mask avx3", NULL);
	ck_assert_int_eq(r.rc, 5);
	ck_assert_str_eq(r.out, "");
	cli_free(&r);
	cli_run(&r, "explain", "avx3", "--against", "/nonexistent/nope.txt", NULL);
	cli_expect(&r, 2, "", "cpuidctl: unknown feature 'avx3' (did you mean 'avx2'?)\n");
}
END_TEST

#define BUILTINS "(x86-64-v1, x86-64-v2, x86-64-v2-aes, x86-64-v3, x86-64-v4, host)"

/* 'profile show SPEC --against ZEN5' exits 5 with exactly @err. */
static void show_fails(const char *spec, const char *err)
{
	struct cli_result r;

	cli_run(&r, "profile", "show", spec, "--against", ZEN5, NULL);
	cli_expect(&r, 5, "", err);
}

/* Bug 10: every exit-5 message starts with its position. */
START_TEST(exit5_positions)
{
	char want[1024];

	setenv("CPUIDVIRT_PROFILE_DIR", "/nonexistent/profiles", 1);
	show_fails("x86-64-v9",
		   "cpuidctl: <command line>:1: profile 'x86-64-v9' is not a built-in " BUILTINS
		   ", a file, a profile in /nonexistent/profiles, or a feature list like 'avx512f,hle,rtm,xsavearea=2696'\n");
	show_fails("avx3",
		   "cpuidctl: <command line>:1: profile 'avx3' is not a built-in " BUILTINS
		   ", a file, a profile in /nonexistent/profiles, or a feature list like 'avx512f,hle,rtm,xsavearea=2696' (did you mean 'avx2'?)\n");
	show_fails("nope.profile",
		   "cpuidctl: <command line>:1: no such profile file 'nope.profile' (nor /nonexistent/profiles/nope.profile)\n");
	show_fails("/nonexistent/nope.profile",
		   "cpuidctl: <command line>:1: no such profile file '/nonexistent/nope.profile'\n");
	/* The same precise message as in a file. */
	show_fails("7_0_ebx_99",
		   "cpuidctl: <command line>:1: bad raw bit '7_0_ebx_99': bit 99 is out of range (0..31); expected LEAF_SUBLEAF_REG_BIT, e.g. 7_0_ebx_5\n");
	snprintf(want, sizeof(want), "cpuidctl: %s:1: bad raw bit '7_0_ebx_99': bit 99 is out of range (0..31); expected LEAF_SUBLEAF_REG_BIT, e.g. 7_0_ebx_5\n",
		 cli_file(0, "mask 7_0_ebx_99\n"));
	show_fails(cli_file(0, "mask 7_0_ebx_99\n"), want);
	show_fails("mask avx3", "cpuidctl: <command line>:1: unknown feature 'avx3' (did you mean 'avx2'?)\n");
	show_fails("avx2,avx3", "cpuidctl: <command line>:1: unknown feature 'avx3' (did you mean 'avx2'?)\n");
	unsetenv("CPUIDVIRT_PROFILE_DIR");
}
END_TEST

/* Bug 12: the smaller findings of issue 12, each as the user met it. */
START_TEST(plural_differ)
{
	struct cli_result r;
	const char *tail;

	cli_run(&r, "profile", "show", "avx_vnni", "--diff", "--against", ZEN5, NULL);
	ck_assert_int_eq(r.rc, 0);
	tail = r.out + strlen(r.out) - strlen("\n1 feature differs\n");
	ck_assert_str_eq(tail, "\n1 feature differs\n");
	cli_free(&r);
}
END_TEST

/* Limits written in hex are printed in hex; too large is too large. */
START_TEST(number_limits)
{
	parse_fails("max-basic-leaf 0x40000000\n",
		    "t.profile:1: max-basic-leaf 0x40000000 is out of range (0x1..0x3fffffff)");
	parse_fails("xsavearea 99999999999999999999\n",
		    "t.profile:1: xsavearea 99999999999999999999 is too large (at most 1048576)");
	parse_fails("model 99999999999999999999\n",
		    "t.profile:1: model 99999999999999999999 is too large (at most 0xff)");
}
END_TEST

/* A UTF-8 byte order mark is no part of the first directive. */
START_TEST(utf8_bom)
{
	struct profile p;

	parse_ok(&p, "\xef\xbb\xbfmask avx2\n");
	ck_assert(fset_has(&p.mask, feat("avx2")));
	parse_fails("mask avx2\n\xef\xbb\xbfmask hle\n",
		    "t.profile:2: unknown directive '\xef\xbb\xbfmask' (known: name, baseline, mask, allow, xsavearea, family, model, stepping, brand, max-basic-leaf, max-ext-leaf)");
}
END_TEST

/* A misspelt directive gets a suggestion, in the one phrasing. */
START_TEST(directive_suggestion)
{
	parse_fails("basline x86-64-v3\n",
		    "t.profile:1: unknown directive 'basline' (did you mean 'baseline'?)");
	parse_fails("basline\n",
		    "t.profile:1: unknown directive 'basline' (did you mean 'baseline'?)");
	parse_fails("avx2 hle\n",
		    "t.profile:1: unknown directive 'avx2': features go after 'mask' ('mask avx2 ...') or in a comma-separated list ('avx2,...')");
}
END_TEST

/* 'avx512f, hle': blanks next to commas are accepted. */
START_TEST(comma_blank_lists)
{
	struct profile p;
	struct diag diag = { 0 };

	ck_assert_int_eq(profile_load(&p, "avx512f, hle", &diag), 0);
	ck_assert(fset_has(&p.mask, feat("avx512f")) && fset_has(&p.mask, feat("hle")));
	ck_assert_str_eq(p.name, "avx512f,hle");
	parse_ok(&p, "mask avx2, hle\navx512f ,rtm\n");
	ck_assert(fset_has(&p.mask, feat("avx2")) && fset_has(&p.mask, feat("hle")) &&
		  fset_has(&p.mask, feat("avx512f")) && fset_has(&p.mask, feat("rtm")));
}
END_TEST

/* A list longer than a name: the name says it is cut. */
START_TEST(long_list_name)
{
	struct profile p;
	struct diag diag = { 0 };

	ck_assert_int_eq(profile_load(&p, "avx2,hle,rtm,avx512f,avx512bw,avx512vl,avx512dq,avx512cd,avx512ifma,avx512vbmi",
				      &diag), 0);
	ck_assert_str_eq(p.name, "avx2,hle,rtm,avx512f,avx512bw,avx512vl,avx512dq,avx512cd,...");
}
END_TEST

/* Bug 14: rules without effect, exactly; judged on the profile alone. */
START_TEST(lint_messages)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "baseline x86-64-v3\nmask hle rtm\n",
		  "2: mask hle has no effect: baseline x86-64-v3 (line 1) hides it already\n"
		  "2: mask rtm has no effect: baseline x86-64-v3 (line 1) hides it already\n" },
		{ "mask avx avx2\n",
		  "1: mask avx2 has no effect: it requires avx, which 'mask avx' (line 1) hides\n" },
		{ "baseline x86-64-v2\nmask avx2\n",
		  "2: mask avx2 has no effect: baseline x86-64-v2 (line 1) hides it already\n" },
		{ "baseline x86-64-v2\nallow sse4_2 aes\n",
		  "2: allow sse4_2 has no effect: x86-64-v2 (line 1) includes it\n" },
		{ "baseline x86-64-v2\nallow avx2\n",
		  "2: allow avx2 has no effect: it requires avx, which the profile hides (allow avx too)\n" },
		{ "mask aes\nbaseline x86-64-v2\nallow aes\n",
		  "3: allow aes has no effect: 'mask aes' (line 1) hides it\n" },
		/* Rules that do something: no warning. */
		{ "baseline x86-64-v3\nxsavearea 2696\n", "" },
		{ "baseline x86-64-v2\nallow aes pclmulqdq\nmask sse4_2\n", "" },
		{ "mask avx512f\n", "" },
	};
	size_t i, k, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct profile_warning w[8];
		struct profile p;
		char got[1024] = "";

		parse_ok(&p, cases[i].text);
		n = profile_warnings(&p, w, 8);
		for (k = 0; k < n && k < 8; k++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%d: %s\n",
				 w[k].line, w[k].msg);
		ck_assert_msg(!strcmp(got, cases[i].want), "case %zu:\n%s---\nwant:\n%s",
			      i, got, cases[i].want);
	}
}
END_TEST

/* Bug 14: the warning goes to stderr, the exit status stays. */
START_TEST(lint_cli)
{
	struct cli_result r;
	const char *f = cli_file(0, "name t\nbaseline x86-64-v3\nmask hle\n");
	char want[512];

	cli_run(&r, "profile", "show", f, "--against", ZEN5, NULL);
	ck_assert_int_eq(r.rc, 0);
	snprintf(want, sizeof(want),
		 "cpuidctl: warning: %s:3: mask hle has no effect: baseline x86-64-v3 (line 2) hides it already\n", f);
	ck_assert_str_eq(r.err, want);
	cli_free(&r);
}
END_TEST

/* Bug 14: the examples are exemplary; so are the built-ins. */
START_TEST(examples_have_no_warnings)
{
	const char *const *b;
	struct cli_result r;
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(TEST_DATA_DIR "/../../profiles");

	ck_assert(d);
	while ((de = readdir(d))) {
		char path[512];
		size_t len = strlen(de->d_name);

		if (len < 9 || strcmp(de->d_name + len - 8, ".profile"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR "/../../profiles", de->d_name);
		cli_run(&r, "profile", "check", "--no-host", "--against", ZEN5, path, NULL);
		ck_assert_msg(r.rc == 0 && !*r.err, "%s: rc %d: %s", de->d_name, r.rc, r.err);
		cli_free(&r);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 3);
	for (b = profile_builtin_names(); *b; b++) {
		cli_run(&r, "profile", "show", *b, "--against", ZEN5, NULL);
		ck_assert_msg(r.rc == 0 && !*r.err, "%s: rc %d: %s", *b, r.rc, r.err);
		cli_free(&r);
	}
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

	tc = tcase_create("explain");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, explain_aliases_exact);
	tcase_add_test(tc, explain_fpu_fxsr);
	tcase_add_test(tc, explain_lists_every_feature);
	tcase_add_test(tc, explain_validates_first);
	suite_add_tcase(s, tc);

	tc = tcase_create("messages");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, exit5_positions);
	tcase_add_test(tc, plural_differ);
	tcase_add_test(tc, number_limits);
	tcase_add_test(tc, utf8_bom);
	tcase_add_test(tc, directive_suggestion);
	tcase_add_test(tc, comma_blank_lists);
	tcase_add_test(tc, long_list_name);
	tcase_add_test(tc, lint_messages);
	tcase_add_test(tc, lint_cli);
	tcase_add_test(tc, examples_have_no_warnings);
	suite_add_tcase(s, tc);
	return s;
}
