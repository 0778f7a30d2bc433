// SPDX-License-Identifier: GPL-2.0
/*
 * 'load' on a kernel that cannot load modules (modsupport.c): the probe of
 * /proc files (paths pointed at test files) and the message it leads to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "modsupport.h"

Suite *modsupport_suite(void);

static const char *problem(bool proc_modules, bool nomodule, bool disabled, int err)
{
	static char buf[512];
	struct modsupport s = { proc_modules, nomodule, disabled };

	return modsupport_problem(&s, err, "6.12.0-test", buf, sizeof(buf));
}

START_TEST(verdicts)
{
	const char *none = "kernel 6.12.0-test cannot load modules at all: it was built without module support (CONFIG_MODULES is not set: there is no /proc/modules). cpuidvirt exists only as a module (there is no built-in variant): boot a kernel with CONFIG_MODULES=y, such as your distribution's";

	/* A kernel that can: nothing to say, before or after a plain failure. */
	ck_assert_ptr_null(problem(true, false, false, 0));
	ck_assert_ptr_null(problem(true, false, false, ENOENT));
	/* 'nomodule' explains a failure, it does not predict one. */
	ck_assert_ptr_null(problem(true, true, false, 0));

	ck_assert_str_eq(problem(false, false, false, 0), none);
	ck_assert_str_eq(problem(false, true, true, ENOENT), none);
	ck_assert_str_eq(problem(true, false, false, ENOSYS),
		"kernel 6.12.0-test cannot load modules at all: it was built without module support (CONFIG_MODULES is not set; init_module() says ENOSYS). cpuidvirt exists only as a module (there is no built-in variant): boot a kernel with CONFIG_MODULES=y, such as your distribution's");
	ck_assert_str_eq(problem(true, false, true, 0),
		"kernel 6.12.0-test cannot load modules until reboot: /proc/sys/kernel/modules_disabled is 1: reboot, and load cpuidvirt before whatever sets it (sysctl kernel.modules_disabled)");
	ck_assert_str_eq(problem(true, true, false, EPERM),
		"kernel 6.12.0-test was booted with 'nomodule' on its command line (/proc/cmdline), which keeps modules from loading: remove 'nomodule' from the kernel command line in the boot loader and reboot");
}
END_TEST

static void probe(const char *modules, const char *cmdline, const char *disabled,
		  struct modsupport *s)
{
	struct modsupport_paths p = {
		modules ? cli_file(0, modules) : "/nonexistent/modules",
		cmdline ? cli_file(1, cmdline) : "/nonexistent/cmdline",
		disabled ? cli_file(2, disabled) : "/nonexistent/disabled",
	};

	modsupport_probe(&p, s);
}

START_TEST(probe_files)
{
	struct modsupport s;

	probe("", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 quiet\n", "0\n", &s);
	ck_assert(s.has_proc_modules && !s.nomodule && !s.disabled);
	probe(NULL, NULL, NULL, &s);
	ck_assert(!s.has_proc_modules && !s.nomodule && !s.disabled);
	probe("", "root=/dev/sda1 nomodule quiet\n", "1\n", &s);
	ck_assert(s.has_proc_modules && s.nomodule && s.disabled);
	probe("", "nomodule\n", NULL, &s);
	ck_assert(s.nomodule);
	/* Words, not substrings. */
	probe("", "nomodules=1 xnomodule nomodule_x\n", NULL, &s);
	ck_assert(!s.nomodule);
}
END_TEST

Suite *modsupport_suite(void)
{
	Suite *s = suite_create("modsupport");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, verdicts);
	tcase_add_test(tc, probe_files);
	suite_add_tcase(s, tc);
	return s;
}
