// SPDX-License-Identifier: GPL-2.0
/*
 * One exit code per ATTACH errno for 'profile apply', 'run' and the OCI
 * hook (tools/cpuidctl/attach_errno.c; docs/cpuidctl.md, "ATTACH errors").
 */
#include <errno.h>

#include "attach.h"
#include "cpuidctl.h"
#include "unit.h"

static const struct {
	int err, exit;
} want[] = {
	{ EOPNOTSUPP, EXIT_NOFAULT },
	{ EBADF, EXIT_FAIL },
	{ EEXIST, EXIT_FAIL },
	{ ENOSPC, EXIT_FAIL },
	{ EPERM, EXIT_FAIL },
	{ ENOTUNIQ, EXIT_PROFILE },
	{ ERANGE, EXIT_PROFILE },
	/* Not the profile: cpuidctl and the module differ in version. */
	{ EINVAL, EXIT_FAIL },
	{ E2BIG, EXIT_FAIL },
	{ EFAULT, EXIT_FAIL },
	{ ENOMEM, EXIT_FAIL },
};

START_TEST(test_attach_errno_exit)
{
	const struct attach_errno *ae = attach_errno(want[_i].err);

	ck_assert_msg(ae->exit == want[_i].exit, "errno %d: exit %d, want %d",
		      want[_i].err, ae->exit, want[_i].exit);
}
END_TEST

START_TEST(test_attach_errno_cause)
{
	ck_assert_str_eq(attach_errno(EINVAL)->cause,
			 "the module does not understand the request: cpuidctl and the loaded module differ in version (compare 'cpuidctl --version' and 'cpuidctl status')");
	ck_assert_ptr_null(attach_errno(ENOMEM)->cause);
}
END_TEST

Suite *attach_suite(void)
{
	Suite *s = suite_create("attach");
	TCase *tc = tcase_create("errno");

	tcase_add_loop_test(tc, test_attach_errno_exit, 0, ARRAY_SIZE(want));
	tcase_add_test(tc, test_attach_errno_cause);
	suite_add_tcase(s, tc);
	return s;
}
