/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Can this kernel load modules at all? cpuidvirt exists only as a module,
 * so 'load' must tell a kernel without module support (CONFIG_MODULES=n,
 * booted with 'nomodule', modules disabled until reboot) from a missing
 * module. The probe reads files whose paths a test can change; the verdict
 * is pure (tests/unit/test_modsupport.c).
 */
#ifndef CPUIDCTL_MODSUPPORT_H
#define CPUIDCTL_MODSUPPORT_H

#include <stdbool.h>
#include <stddef.h>

struct modsupport_paths {
	const char *modules;		/* /proc/modules */
	const char *cmdline;		/* /proc/cmdline */
	const char *disabled;		/* /proc/sys/kernel/modules_disabled */
};
extern const struct modsupport_paths modsupport_proc;

struct modsupport {
	bool has_proc_modules;		/* CONFIG_MODULES=y */
	bool nomodule;			/* 'nomodule' on the kernel command line */
	bool disabled;			/* modules_disabled is 1 */
};

void modsupport_probe(const struct modsupport_paths *paths, struct modsupport *s);

/*
 * Why this kernel cannot load cpuidvirt, written to @buf (cause and fix),
 * or NULL when nothing says so. @err is the errno of the insertion, 0
 * before trying: no /proc/modules or modules_disabled fail at once;
 * ENOSYS from init_module() means no module support whatever the probe
 * found; 'nomodule' explains a failed insertion.
 */
const char *modsupport_problem(const struct modsupport *s, int err,
			       const char *release, char *buf, size_t len);

#endif
