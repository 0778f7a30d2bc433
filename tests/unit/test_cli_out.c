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

#include <json-c/json.h>

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

/* @text parsed as one JSON object whose "schema" is @schema. */
static struct json_object *json_doc_of(const char *text, const char *schema)
{
	enum json_tokener_error e;
	struct json_object *o = json_tokener_parse_verbose(text, &e), *v;

	ck_assert_msg(o, "not JSON (%s): %s", json_tokener_error_desc(e), text);
	ck_assert(json_object_is_type(o, json_type_object));
	ck_assert(json_object_object_get_ex(o, "schema", &v));
	ck_assert_str_eq(json_object_get_string(v), schema);
	return o;
}

/* The member at @path ("a.b.c") of @o, asserted present. */
static struct json_object *jget(struct json_object *o, const char *path)
{
	char key[64];
	const char *dot;

	while (path) {
		dot = strchr(path, '.');
		snprintf(key, sizeof(key), "%.*s", dot ? (int)(dot - path) : (int)strlen(path), path);
		ck_assert_msg(json_object_object_get_ex(o, key, &o), "no member '%s'", key);
		path = dot ? dot + 1 : NULL;
	}
	return o;
}

START_TEST(status_json_not_loaded)
{
	struct json_object *doc;
	struct cli_result r;
	struct stat st;

	if (!stat("/sys/module/cpuidvirt", &st) || !stat("/dev/cpuidvirt", &st))
		return;	/* the module is loaded on this host: the guest tests it */
	ck_assert_int_eq(cli_run(&r, "status", "--json", NULL), 3);
	ck_assert_str_eq(r.err, "cpuidctl: the cpuidvirt module is not loaded; run 'cpuidctl load'\n");
	doc = json_doc_of(r.out, "cpuidctl.status/1");
	ck_assert_int_eq(json_object_get_boolean(jget(doc, "module.loaded")), 0);
	ck_assert_int_eq(json_object_object_length(doc), 2);
	json_object_put(doc);
	cli_free(&r);
}
END_TEST

START_TEST(json_option_is_an_option)
{
	struct cli_result r;

	cli_run(&r, "status", "--jsn", NULL);
	cli_expect(&r, 2, "", "cpuidctl status: unknown option '--jsn'\n"
		   "Try 'cpuidctl status --help' for usage.\n");
	cli_run(&r, "profile", "list", "--json", "x", NULL);
	cli_expect(&r, 2, "", "cpuidctl profile list: unexpected argument 'x'\n"
		   "Try 'cpuidctl profile list --help' for usage.\n");
}
END_TEST

/* The element of array @a whose "name" is @name, asserted present. */
static struct json_object *by_name(struct json_object *a, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *o = json_object_array_get_idx(a, i);

		if (!strcmp(json_object_get_string(jget(o, "name")), name))
			return o;
	}
	ck_abort_msg("no '%s' in the array", name);
	return NULL;
}

static void assert_feature(struct json_object *features, const char *name, bool host,
			   bool presented, const char *reason)
{
	struct json_object *o = by_name(features, name);

	ck_assert_int_eq(json_object_get_boolean(jget(o, "host")), host);
	ck_assert_int_eq(json_object_get_boolean(jget(o, "presented")), presented);
	if (reason)
		ck_assert_str_eq(json_object_get_string(jget(o, "reason")), reason);
	else
		ck_assert(json_object_is_type(jget(o, "reason"), json_type_null));
	ck_assert(json_object_is_type(jget(o, "why"), json_type_string));
}

START_TEST(show_json)
{
	struct json_object *doc, *a, *r = NULL;
	struct cli_result res;
	size_t i, differ = 0;

	ck_assert_int_eq(cli_run(&res, "profile", "show", "--json", "x86-64-v2",
				 "--against", HOST_DUMP, NULL), 0);
	ck_assert_str_eq(res.err, "");
	doc = json_doc_of(res.out, "cpuidctl.profile-show/1");
	ck_assert_str_eq(json_object_get_string(jget(doc, "profile.name")), "x86-64-v2");
	ck_assert_str_eq(json_object_get_string(jget(doc, "against")), HOST_DUMP);
	ck_assert_int_eq(json_object_get_int(jget(doc, "host_level")), 4);
	ck_assert_int_eq(json_object_get_int(jget(doc, "presented_level")), 2);
	ck_assert(json_object_is_type(jget(doc, "profile.max_basic_leaf"), json_type_null));
	/* avx2 is CPUID 7.0 EBX bit 5: the rule clears it. */
	a = jget(doc, "profile.rules");
	for (i = 0; i < json_object_array_length(a); i++) {
		struct json_object *o = json_object_array_get_idx(a, i);

		if (json_object_get_int64(jget(o, "leaf")) == 7 &&
		    json_object_get_int64(jget(o, "subleaf")) == 0)
			r = o;
	}
	ck_assert_msg(r, "no rule for leaf 7 subleaf 0");
	ck_assert_int_eq(json_object_get_int64(jget(r, "regs.ebx.and")) & (1 << 5), 0);
	ck_assert_int_eq(json_object_get_int64(jget(r, "regs.eax.and")), 0xffffffff);
	a = jget(doc, "features");
	assert_feature(a, "sse4_2", true, true, NULL);
	assert_feature(a, "avx2", true, false, "baseline");
	assert_feature(a, "avx512f", true, false, "baseline");
	for (i = 0; i < json_object_array_length(a); i++) {
		struct json_object *o = json_object_array_get_idx(a, i);

		differ += json_object_get_boolean(jget(o, "host")) !=
			  json_object_get_boolean(jget(o, "presented"));
	}
	ck_assert_int_gt(differ, 10);
	ck_assert_int_eq(json_object_get_int64(jget(doc, "differ")), differ);
	json_object_put(doc);
	cli_free(&res);

	/* --diff: only the differing features, the same count. */
	ck_assert_int_eq(cli_run(&res, "profile", "show", "--diff", "--json", "x86-64-v2",
				 "--against", HOST_DUMP, NULL), 0);
	doc = json_doc_of(res.out, "cpuidctl.profile-show/1");
	a = jget(doc, "features");
	ck_assert_int_eq(json_object_array_length(a), differ);
	ck_assert_int_eq(json_object_get_int64(jget(doc, "differ")), differ);
	assert_feature(a, "avx2", true, false, "baseline");
	json_object_put(doc);
	cli_free(&res);
}
END_TEST

START_TEST(show_json_mask_reasons)
{
	const char *f = cli_file(0, "name t\nmask avx\nmax-basic-leaf 0xd\n");
	struct json_object *doc, *a;
	struct cli_result res;

	ck_assert_int_eq(cli_run(&res, "profile", "show", f, "--json", "--against",
				 HOST_DUMP, NULL), 0);
	doc = json_doc_of(res.out, "cpuidctl.profile-show/1");
	ck_assert_str_eq(json_object_get_string(jget(doc, "profile.name")), "t");
	ck_assert_str_eq(json_object_get_string(jget(doc, "profile.source")), f);
	ck_assert_int_eq(json_object_get_int64(jget(doc, "profile.max_basic_leaf")), 0xd);
	a = jget(doc, "features");
	assert_feature(a, "avx", true, false, "mask");
	assert_feature(a, "avx2", true, false, "dependency");
	ck_assert_str_eq(json_object_get_string(jget(by_name(a, "avx2"), "why")),
			 "masked: requires avx");
	json_object_put(doc);
	cli_free(&res);
}
END_TEST

START_TEST(show_json_errors)
{
	const char *f = cli_file(0, "mask avx3\n");
	struct cli_result res;

	/* An invalid profile: nothing on stdout, the message, exit 5. */
	ck_assert_int_eq(cli_run(&res, "profile", "show", "--json", f, "--against",
				 HOST_DUMP, NULL), 5);
	ck_assert_str_eq(res.out, "");
	ck_assert_msg(strstr(res.err, ":1: unknown feature 'avx3'"), "%s", res.err);
	cli_free(&res);
	ck_assert_int_eq(cli_run(&res, "profile", "show", "--json", "x86-64-v2", "--against",
				 "/nonexistent/dump", NULL), 1);
	ck_assert_str_eq(res.out, "");
	cli_free(&res);
}
END_TEST

/* "a, b" of the JSON array of names @a, "(none)" if empty: the text form. */
static void names_text(struct json_object *a, char *buf, size_t len)
{
	size_t i, n = json_object_array_length(a), off = 0;

	snprintf(buf, len, "%s", n ? "" : " (none)");
	for (i = 0; i < n; i++) {
		off = strlen(buf);
		snprintf(buf + off, len - off, "%s %s", i ? "," : "",
			 json_object_get_string(json_object_array_get_idx(a, i)));
	}
}

/* The JSON lists say what the text lines say, for a feature. */
static void explain_agrees(const char *name)
{
	static const struct { const char *key, *title; } lists[] = {
		{ "requires", "requires:" },
		{ "required_by", "required by:" },
		{ "also_masks", "masking it also masks:" },
	};
	struct cli_result text, res;
	struct json_object *doc;
	char line[2048];

	ck_assert_int_eq(cli_run(&text, "explain", name, "--against", HOST_DUMP, NULL), 0);
	ck_assert_int_eq(cli_run(&res, "explain", name, "--against", HOST_DUMP, "--json", NULL), 0);
	doc = json_doc_of(res.out, "cpuidctl.explain/1");
	ck_assert_str_eq(json_object_get_string(jget(doc, "feature.name")), name);
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		size_t off = strlen(lists[i].title);

		snprintf(line, sizeof(line), "\n%s", lists[i].title);
		names_text(jget(doc, lists[i].key), line + off + 1, sizeof(line) - off - 1);
		strcat(line, "\n");
		ck_assert_msg(strstr(text.out, line), "%s: '%s' not in:\n%s", name, line + 1, text.out);
	}
	json_object_put(doc);
	cli_free(&text);
	cli_free(&res);
}

START_TEST(explain_json)
{
	struct json_object *doc, *a;
	struct cli_result res;

	ck_assert_int_eq(cli_run(&res, "explain", "--json", "mmx", "--profile", "x86-64-v2",
				 "--against", HOST_DUMP, NULL), 0);
	ck_assert_str_eq(res.err, "");
	doc = json_doc_of(res.out, "cpuidctl.explain/1");
	ck_assert_str_eq(json_object_get_string(jget(doc, "feature.kernel_name")), "MMX");
	ck_assert_int_eq(json_object_get_int64(jget(doc, "feature.leaf")), 1);
	ck_assert(json_object_is_type(jget(doc, "feature.subleaf"), json_type_null));
	ck_assert_str_eq(json_object_get_string(jget(doc, "feature.register")), "edx");
	ck_assert_int_eq(json_object_get_int(jget(doc, "feature.bit")), 23);
	a = jget(doc, "feature.aliases");
	ck_assert_int_eq(json_object_array_length(a), 1);
	ck_assert_int_eq(json_object_get_int64(jget(json_object_array_get_idx(a, 0), "leaf")),
			 0x80000001);
	ck_assert_int_eq(json_object_get_int(jget(doc, "level")), 1);
	ck_assert_str_eq(json_object_get_string(jget(doc, "against")), HOST_DUMP);
	ck_assert(json_object_get_boolean(jget(doc, "host_has")));
	ck_assert_str_eq(json_object_get_string(jget(doc, "profile.name")), "x86-64-v2");
	ck_assert(json_object_get_boolean(jget(doc, "profile.shows")));
	ck_assert(json_object_is_type(jget(doc, "profile.reason"), json_type_null));
	json_object_put(doc);
	cli_free(&res);

	ck_assert_int_eq(cli_run(&res, "explain", "avx2", "--json", "--profile", "x86-64-v2",
				 "--against", HOST_DUMP, NULL), 0);
	doc = json_doc_of(res.out, "cpuidctl.explain/1");
	ck_assert_int_eq(json_object_get_int64(jget(doc, "feature.subleaf")), 0);
	ck_assert_int_eq(json_object_get_int(jget(doc, "level")), 3);
	ck_assert(!json_object_get_boolean(jget(doc, "profile.shows")));
	ck_assert_str_eq(json_object_get_string(jget(doc, "profile.reason")), "baseline");
	ck_assert_str_eq(json_object_get_string(jget(doc, "profile.why")), "not in x86-64-v2");
	json_object_put(doc);
	cli_free(&res);

	/* A host without it: never shown, no profile reason. */
	ck_assert_int_eq(cli_run(&res, "explain", "avx512f", "--json", "--profile", "x86-64-v4",
				 "--against", TEST_DATA_DIR "/dumps/amd-milan-zen3-a00f11.txt",
				 NULL), 0);
	doc = json_doc_of(res.out, "cpuidctl.explain/1");
	ck_assert(!json_object_get_boolean(jget(doc, "host_has")));
	ck_assert(!json_object_get_boolean(jget(doc, "profile.shows")));
	ck_assert(json_object_is_type(jget(doc, "profile.reason"), json_type_null));
	ck_assert_str_eq(json_object_get_string(jget(doc, "profile.why")),
			 "the host does not have it");
	json_object_put(doc);
	cli_free(&res);

	/* Without --profile, "profile" is null; cpuinfo-less features too. */
	ck_assert_int_eq(cli_run(&res, "explain", "osxsave", "--json", "--against", HOST_DUMP,
				 NULL), 0);
	doc = json_doc_of(res.out, "cpuidctl.explain/1");
	ck_assert(json_object_is_type(jget(doc, "profile"), json_type_null));
	ck_assert(json_object_get_boolean(jget(doc, "feature.os_state")));
	json_object_put(doc);
	cli_free(&res);
}
END_TEST

START_TEST(explain_json_lists_match_text)
{
	const char *names[] = { "mmx", "fxsr", "fpu", "avx", "avx2", "xsave", "sse4_2", "lm" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		explain_agrees(names[i]);
}
END_TEST

START_TEST(explain_json_raw_bits)
{
	struct json_object *doc;
	struct cli_result res;

	/* A raw bit of a named feature: that feature, and how it was named. */
	ck_assert_int_eq(cli_run(&res, "explain", "7_0_ebx_5", "--json", "--against", HOST_DUMP,
				 NULL), 0);
	doc = json_doc_of(res.out, "cpuidctl.explain/1");
	ck_assert_str_eq(json_object_get_string(jget(doc, "raw_bit.input")), "7_0_ebx_5");
	ck_assert_str_eq(json_object_get_string(jget(doc, "raw_bit.masks")), "feature");
	ck_assert_str_eq(json_object_get_string(jget(doc, "feature.name")), "avx2");
	json_object_put(doc);
	cli_free(&res);

	/* AMD's copy of mmx: masks that copy only. */
	ck_assert_int_eq(cli_run(&res, "explain", "0x80000001_0_edx_23", "--json", "--against",
				 HOST_DUMP, NULL), 0);
	doc = json_doc_of(res.out, "cpuidctl.explain/1");
	ck_assert_int_eq(json_object_get_int64(jget(doc, "raw_bit.leaf")), 0x80000001);
	ck_assert(json_object_is_type(jget(doc, "raw_bit.subleaf"), json_type_null));
	ck_assert_str_eq(json_object_get_string(jget(doc, "raw_bit.masks")), "this-copy");
	ck_assert_str_eq(json_object_get_string(jget(doc, "feature.name")), "mmx");
	json_object_put(doc);
	cli_free(&res);

	/* A bit without a name: the bit's value on the host and in the profile. */
	ck_assert_int_eq(cli_run(&res, "explain", "1_0_edx_10", "--json", "--profile",
				 "x86-64-v2", "--against", HOST_DUMP, NULL), 0);
	doc = json_doc_of(res.out, "cpuidctl.explain/1");
	ck_assert_str_eq(json_object_get_string(jget(doc, "raw_bit.masks")), "this-bit");
	ck_assert(json_object_is_type(jget(doc, "feature"), json_type_null));
	ck_assert_int_eq(json_object_array_length(jget(doc, "also_masks")), 0);
	ck_assert(json_object_is_type(jget(doc, "host_has"), json_type_boolean));
	ck_assert(!json_object_get_boolean(jget(doc, "host_has")));
	ck_assert(!json_object_get_boolean(jget(doc, "profile.shows")));
	json_object_put(doc);
	cli_free(&res);

	/* A feature name has no raw_bit. */
	ck_assert_int_eq(cli_run(&res, "explain", "avx2", "--json", "--against", HOST_DUMP,
				 NULL), 0);
	doc = json_doc_of(res.out, "cpuidctl.explain/1");
	ck_assert(json_object_is_type(jget(doc, "raw_bit"), json_type_null));
	json_object_put(doc);
	cli_free(&res);
}
END_TEST

START_TEST(explain_json_errors)
{
	struct cli_result res;

	cli_run(&res, "explain", "avx3", "--json", NULL);
	cli_expect(&res, 2, "", "cpuidctl: unknown feature 'avx3' (did you mean 'avx2'?)\n");
	ck_assert_int_eq(cli_run(&res, "explain", "avx2", "--json", "--against", HOST_DUMP,
				 "--profile", cli_file(0, "mask avx3\n"), NULL), 5);
	ck_assert_str_eq(res.out, "");
	cli_free(&res);
}
END_TEST

Suite *cli_out_suite(void)
{
	Suite *s = suite_create("cli-out");
	TCase *tc = tcase_create("version");

	tcase_add_test(tc, version_lines);
	tcase_add_test(tc, version_extra_argument);
	suite_add_tcase(s, tc);
	tc = tcase_create("json");
	tcase_add_test(tc, status_json_not_loaded);
	tcase_add_test(tc, json_option_is_an_option);
	tcase_add_test(tc, show_json);
	tcase_add_test(tc, show_json_mask_reasons);
	tcase_add_test(tc, show_json_errors);
	tcase_add_test(tc, explain_json);
	tcase_add_test(tc, explain_json_lists_match_text);
	tcase_add_test(tc, explain_json_raw_bits);
	tcase_add_test(tc, explain_json_errors);
	suite_add_tcase(s, tc);
	return s;
}
