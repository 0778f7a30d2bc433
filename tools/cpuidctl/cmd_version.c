// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl version (and --version): this tool's version, the loaded
 * module's version and ABI, the running kernel. Informational: exit 0
 * whatever it finds, so a bug report can always include it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cpuidctl.h"
/* The one version of the project: the module's, which DKMS packages too. */
#include "../../module/version.h"

const char *const version_help =
"Usage: cpuidctl version\n"
"\n"
"Prints three lines: the version of cpuidctl and the ABI it speaks, the\n"
"version and ABI of the loaded cpuidvirt module (or 'not loaded'), and the\n"
"running kernel:\n"
"\n"
"  cpuidctl 0.1 (ABI 1)\n"
"  module: 0.1, ABI 1\n"
"  kernel: 6.12.0-0.deb12.1-amd64\n"
"\n"
"The module's ABI needs /dev/cpuidvirt (root); without it the version\n"
"comes from /sys/module/cpuidvirt/version and the ABI is 'unknown' with\n"
"the reason. A module whose ABI differs from cpuidctl's is named as such.\n"
"'cpuidctl --version' prints the same.\n"
"\n"
"Exit status: 0.\n";

/* /sys/module/cpuidvirt/version (MODULE_VERSION): readable by everyone. */
static bool sysfs_version(char *buf, size_t len)
{
	FILE *f = fopen("/sys/module/" CPUIDVIRT_DEVICE_NAME "/version", "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return ok && *buf;
}

static void print_module(void)
{
	struct cpuidvirt_version v;
	char ver[64] = "";
	int fd, e;

	if (!module_loaded() && access(CPUIDVIRT_DEV, F_OK)) {
		printf("module: not loaded\n");
		return;
	}
	if (!sysfs_version(ver, sizeof(ver)))
		snprintf(ver, sizeof(ver), "(version unknown)");
	fd = open(CPUIDVIRT_DEV, O_RDONLY | O_CLOEXEC);
	e = fd < 0 ? errno : -dev_version(fd, &v);
	if (fd >= 0)
		close(fd);
	if (e) {
		printf("module: %s, ABI unknown (%s: %s)\n", ver, CPUIDVIRT_DEV, strerror(e));
		return;
	}
	v.module_version[sizeof(v.module_version) - 1] = '\0';
	printf("module: %s, ABI %u", v.module_version, v.api_version);
	if (v.api_version != CPUIDVIRT_API_VERSION)
		printf(" (this cpuidctl speaks ABI %u: install matching versions)",
		       CPUIDVIRT_API_VERSION);
	printf("\n");
}

int cmd_version(int argc, char **argv)
{
	struct utsname u;

	if (argc > 1)
		return usage_error("version", "unexpected argument '%s'", argv[1]);
	printf("cpuidctl %s (ABI %d)\n", CPUIDVIRT_VERSION, CPUIDVIRT_API_VERSION);
	print_module();
	if (uname(&u))
		printf("kernel: unknown (uname: %s)\n", strerror(errno));
	else
		printf("kernel: %s\n", u.release);
	return EXIT_OK;
}
