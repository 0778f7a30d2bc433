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
	suite_add_tcase(s, tc);
	return s;
}
