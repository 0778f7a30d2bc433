// SPDX-License-Identifier: GPL-2.0
/*
 * The built-in profiles, and their table in docs/profile-language.md:
 * the test makes the table from the library and compares it with the
 * document, so what the doc says each built-in hides cannot drift.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define DOC TEST_DATA_DIR "/../../docs/profile-language.md"
#define BEGIN_MARK "<!-- BEGIN built-ins: generated; test_builtins_doc (tests/unit/test_builtins.c) checks it -->\n"
#define END_MARK "<!-- END built-ins -->\n"

/* The directives of a built-in but its comments and name, joined by "; ". */
static void definition(FILE *out, const char *text)
{
	const char *s = text;
	bool first = true;

	while (*s) {
		size_t n = strcspn(s, "\n");

		if (*s != '#' && strncmp(s, "name ", 5)) {
			fprintf(out, "%s%.*s", first ? "" : "; ", (int)n, s);
			first = false;
		}
		s += n + !!s[n];
	}
}

/* The names of @hidden of one kind, aliases left out, in table order. */
static void hidden_names(FILE *out, const struct feature_set *hidden, bool isa)
{
	const struct cpu_feature *f;
	bool first = true;

	for (f = fset_next(hidden, NULL); f; f = fset_next(hidden, f)) {
		if ((f->flags & FEAT_ALIAS) || !!(f->flags & FEAT_ISA) != isa)
			continue;
		fprintf(out, "%s%s", first ? "" : " ", f->name);
		first = false;
	}
	if (first)
		fputs("(none)", out);
}

/* The table as the document must have it, markers included; malloc()ed. */
static char *builtins_table(void)
{
	static struct profile p;
	static struct profile_compiled c;
	const char *const *b;
	struct diag diag = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ck_assert(out);
	fputs(BEGIN_MARK, out);
	fputs("| built-in | definition | hides these extensions | and these platform features, which require one of them |\n"
	      "|---|---|---|---|\n", out);
	for (b = profile_builtin_names(); *b; b++) {
		ck_assert_int_eq(profile_load(&p, *b, &diag), 0);
		ck_assert_int_eq(profile_compile(&p, NULL, &c, &diag), 0);
		fprintf(out, "| `%s` | ", *b);
		if (profile_is_empty(&p)) {
			fputs("(nothing: the host as it is)", out);
		} else {
			fputc('`', out);
			definition(out, profile_builtin_text(*b));
			fputc('`', out);
		}
		fputs(" | ", out);
		hidden_names(out, &c.hidden, true);
		fputs(" | ", out);
		hidden_names(out, &c.hidden, false);
		fputs(" |\n", out);
	}
	fputs(END_MARK, out);
	ck_assert_int_eq(fclose(out), 0);
	return text;
}

START_TEST(test_builtins_doc)
{
	char *doc = read_text(DOC), *want = builtins_table();
	char *begin = strstr(doc, BEGIN_MARK), *end;

	ck_assert_msg(begin, "docs/profile-language.md lacks the built-ins table; put there:\n%s", want);
	end = strstr(begin, END_MARK);
	ck_assert_msg(end, "docs/profile-language.md: no end marker after the built-ins table");
	end[strlen(END_MARK)] = '\0';
	ck_assert_msg(!strcmp(begin, want),
		      "docs/profile-language.md: the built-ins table differs from the library; replace it with:\n%s",
		      want);
	free(doc);
	free(want);
}
END_TEST

/* x86-64-v2-aes is x86-64-v2 with exactly aes and pclmulqdq more. */
START_TEST(test_builtin_v2_aes)
{
	static struct profile p2, pa;
	static struct profile_compiled c2, ca;
	struct diag diag = { 0 };
	struct feature_set more;
	const struct cpu_feature *f;
	char names[128] = "";

	ck_assert_int_eq(profile_load(&p2, "x86-64-v2", &diag), 0);
	ck_assert_int_eq(profile_load(&pa, "x86-64-v2-aes", &diag), 0);
	ck_assert_str_eq(pa.name, "x86-64-v2-aes");
	ck_assert_int_eq(profile_compile(&p2, NULL, &c2, &diag), 0);
	ck_assert_int_eq(profile_compile(&pa, NULL, &ca, &diag), 0);
	more = c2.hidden;
	for (f = fset_next(&ca.hidden, NULL); f; f = fset_next(&ca.hidden, f)) {
		ck_assert_msg(fset_has(&c2.hidden, f), "%s hidden by v2-aes only", f->name);
		fset_del(&more, f);
	}
	for (f = fset_next(&more, NULL); f; f = fset_next(&more, f))
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 *names ? " " : "", f->name);
	ck_assert_str_eq(names, "pclmulqdq aes");
}
END_TEST

Suite *builtins_suite(void)
{
	Suite *s = suite_create("builtins");
	TCase *tc = tcase_create("builtins");

	tcase_add_test(tc, test_builtins_doc);
	tcase_add_test(tc, test_builtin_v2_aes);
	suite_add_tcase(s, tc);
	return s;
}
