// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the pure parts of 'cpuidctl oci-hook' (tools/cpuidctl/
 * oci_state.c): the OCI state JSON, config.json annotations,
 * /proc/<pid>/cgroup, names that become file names.
 *
 * Built into the unit-test runner as oci_hook_suite() (needs oci_state.c
 * and json-c), or alone with -DOCI_HOOK_STANDALONE.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci_hook.h"

Suite *oci_hook_suite(void);

static struct oci_state st;
static char err[OCI_ERR_LEN];

static int parse(const char *json)
{
	err[0] = '\0';
	return oci_state_parse(json, &st, err, sizeof(err));
}

static void parse_fails(const char *json, const char *msg)
{
	ck_assert_int_eq(parse(json), -EINVAL);
	ck_assert_str_eq(err, msg);
}

START_TEST(state_full)
{
	ck_assert_int_eq(parse("{\"ociVersion\":\"1.0.2\",\"id\":\"web-1\","
			       "\"status\":\"creating\",\"pid\":4242,"
			       "\"bundle\":\"/run/b\",\"annotations\":{"
			       "\"io.cpuidvirt.profile\":\"x86-64-v2\","
			       "\"io.cpuidvirt.allow-unmasked\":\"true\","
			       "\"other\":\"x\"}}"), 0);
	ck_assert_str_eq(st.oci_version, "1.0.2");
	ck_assert_str_eq(st.id, "web-1");
	ck_assert_str_eq(st.status, "creating");
	ck_assert_int_eq(st.pid, 4242);
	ck_assert_str_eq(st.bundle, "/run/b");
	ck_assert(st.has_annotations);
	ck_assert(st.has_profile);
	ck_assert_str_eq(st.profile, "x86-64-v2");
	ck_assert_int_eq(oci_allow_unmasked(&st), 1);
}
END_TEST

START_TEST(state_minimal)
{
	/* poststop: no pid, no annotations member at all. */
	ck_assert_int_eq(parse("{\"ociVersion\":\"1.0.2\",\"id\":\"c\",\"status\":\"stopped\"}"), 0);
	ck_assert_int_eq(st.pid, 0);
	ck_assert(!st.has_annotations);
	ck_assert(!st.has_profile);
	ck_assert_str_eq(st.bundle, "");
	ck_assert_int_eq(oci_allow_unmasked(&st), 0);
}
END_TEST

START_TEST(state_bad)
{
	parse_fails("", "state JSON: invalid JSON: unexpected end of data");
	parse_fails("[1]", "state JSON: not a JSON object");
	parse_fails("{\"id\":\"c\",\"status\":\"created\"}",
		    "state JSON: 'ociVersion' is missing (is this an OCI runtime state?)");
	parse_fails("{\"ociVersion\":\"1.0.2\",\"status\":\"created\"}", "state JSON: 'id' is missing");
	parse_fails("{\"ociVersion\":\"1.0.2\",\"id\":7,\"status\":\"created\"}",
		    "state JSON: 'id' is not a string");
	parse_fails("{\"ociVersion\":\"1.0.2\",\"id\":\"../x\",\"status\":\"created\"}",
		    "state JSON: container id '../x' is not a valid OCI id ([A-Za-z0-9_.+-], not starting with '.')");
	parse_fails("{\"ociVersion\":\"1.0.2\",\"id\":\"c\"}", "state JSON: 'status' is missing");
	parse_fails("{\"ociVersion\":\"1.0.2\",\"id\":\"c\",\"status\":\"created\",\"pid\":\"12\"}",
		    "state JSON: 'pid' is not an integer");
	parse_fails("{\"ociVersion\":\"1.0.2\",\"id\":\"c\",\"status\":\"created\",\"pid\":-1}",
		    "state JSON: 'pid' -1 is out of range");
	parse_fails("{\"ociVersion\":\"1.0.2\",\"id\":\"c\",\"status\":\"created\",\"pid\":4294967296}",
		    "state JSON: 'pid' 4294967296 is out of range");
	parse_fails("{\"ociVersion\":\"1.0.2\",\"id\":\"c\",\"status\":\"created\",\"annotations\":[]}",
		    "state JSON annotations: 'annotations' is not an object");
	parse_fails("{\"ociVersion\":\"1.0.2\",\"id\":\"c\",\"status\":\"created\","
		    "\"annotations\":{\"io.cpuidvirt.profile\":5}}",
		    "state JSON annotations: 'io.cpuidvirt.profile' is not a string");
}
END_TEST

START_TEST(state_long_values)
{
	char json[1024], big[300];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(json, sizeof(json), "{\"ociVersion\":\"1.0.2\",\"id\":\"%s\",\"status\":\"x\"}", big);
	parse_fails(json, "state JSON: 'id' is too long (299 bytes, at most 255)");
}
END_TEST

START_TEST(allow_values)
{
	ck_assert_int_eq(parse("{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\","
			       "\"annotations\":{\"io.cpuidvirt.allow-unmasked\":\"false\"}}"), 0);
	ck_assert_int_eq(oci_allow_unmasked(&st), 0);
	/* A typo must not silently mean "false". */
	ck_assert_int_eq(parse("{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\","
			       "\"annotations\":{\"io.cpuidvirt.allow-unmasked\":\"yes\"}}"), 0);
	ck_assert_int_eq(oci_allow_unmasked(&st), -EINVAL);
	ck_assert_int_eq(parse("{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\","
			       "\"annotations\":{\"io.cpuidvirt.allow-unmasked\":\"True\"}}"), 0);
	ck_assert_int_eq(oci_allow_unmasked(&st), -EINVAL);
}
END_TEST

START_TEST(config_annotations)
{
	ck_assert_int_eq(parse("{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"creating\",\"pid\":9}"), 0);
	ck_assert_int_eq(oci_config_annotations("{\"ociVersion\":\"1.0.2\",\"annotations\":"
						"{\"io.cpuidvirt.profile\":\"fleet\"}}",
						&st, err, sizeof(err)), 0);
	ck_assert(st.has_profile);
	ck_assert_str_eq(st.profile, "fleet");
	ck_assert_int_eq(st.pid, 9);
	ck_assert_int_eq(oci_config_annotations("{\"annotations\":{\"io.cpuidvirt.profile\":[]}}",
						&st, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "config.json annotations: 'io.cpuidvirt.profile' is not a string");
	ck_assert_int_eq(oci_config_annotations("{", &st, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "config.json: invalid JSON: unexpected end of data");
}
END_TEST

START_TEST(proc_cgroup)
{
	char path[64];

	ck_assert_int_eq(oci_proc_cgroup_path("0::/cvoci/c1\n", path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/cvoci/c1");
	/* Hybrid hierarchy: v1 lines first, the unified one last, no newline. */
	ck_assert_int_eq(oci_proc_cgroup_path("12:pids:/x\n1:name=systemd:/x\n0::/x.slice/c.scope",
					      path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/x.slice/c.scope");
	ck_assert_int_eq(oci_proc_cgroup_path("0::/\n", path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/");
	/* cgroup v1 only. */
	ck_assert_int_eq(oci_proc_cgroup_path("4:memory:/a\n1:cpu:/a\n", path, sizeof(path)), -ENOENT);
	ck_assert_int_eq(oci_proc_cgroup_path("", path, sizeof(path)), -ENOENT);
	/* "10::/" is not hierarchy 0. */
	ck_assert_int_eq(oci_proc_cgroup_path("10::/a\n", path, sizeof(path)), -ENOENT);
	ck_assert_int_eq(oci_proc_cgroup_path("0::/a-very-long-cgroup-path-that-does-not-fit-into-the-buffer\n",
					      path, 16), -ENAMETOOLONG);
}
END_TEST

START_TEST(names)
{
	char big[300];

	ck_assert(oci_name_valid("x86-64-v2"));
	ck_assert(oci_name_valid("fleet_2024.profile"));
	ck_assert(oci_name_valid("a+b"));
	ck_assert(!oci_name_valid(""));
	ck_assert(!oci_name_valid("."));
	ck_assert(!oci_name_valid(".."));
	ck_assert(!oci_name_valid(".hidden"));
	ck_assert(!oci_name_valid("../etc/passwd"));
	ck_assert(!oci_name_valid("a/b"));
	ck_assert(!oci_name_valid("a b"));
	ck_assert(!oci_name_valid("a\n"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert(!oci_name_valid(big));
	big[OCI_ID_MAX] = '\0';
	ck_assert(oci_name_valid(big));
}
END_TEST

Suite *oci_hook_suite(void)
{
	Suite *s = suite_create("oci-hook");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, state_full);
	tcase_add_test(tc, state_minimal);
	tcase_add_test(tc, state_bad);
	tcase_add_test(tc, state_long_values);
	tcase_add_test(tc, allow_values);
	tcase_add_test(tc, config_annotations);
	tcase_add_test(tc, proc_cgroup);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}

#ifdef OCI_HOOK_STANDALONE
int main(void)
{
	SRunner *sr = srunner_create(oci_hook_suite());
	const char *tap = getenv("UNIT_TAP");
	int failed;

	if (tap && *tap)
		srunner_set_tap(sr, tap);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
#endif
