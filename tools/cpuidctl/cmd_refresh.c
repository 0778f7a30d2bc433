// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl refresh: make the module re-read every CPU's native CPUID.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cpuidctl.h"

const char *const refresh_help =
"Usage: cpuidctl refresh\n"
"\n"
"The module answers the leaves programs ask most (0, 1, 7, 0xb, 0xd,\n"
"0x80000000-0x80000008) from a per-CPU cache of the CPU's own answers, so\n"
"that an emulated CPUID does not execute a real one (a VM exit in a VM).\n"
"It re-reads them by itself when a CPU comes online, when the kernel\n"
"records a new microcode revision, and for the fields that follow CR4\n"
"(OSXSAVE, OSPKE) or XCR0 (the XSAVE sizes). This command makes every CPU\n"
"re-read them on its next emulation, for any other change of what the CPU\n"
"answers. Needs root.\n"
"\n"
"Exit status: 0 done; 3 module not loaded; 1 other errors.\n";

int cmd_refresh(int argc, char **argv)
{
	struct cpuidvirt_refresh rf = { .size = sizeof(rf) };
	int fd, e = 0;

	if (argc > 1)
		return usage_error("refresh", "unexpected argument '%s'", argv[1]);
	fd = dev_open();
	if (fd < 0)
		return -fd;
	if (ioctl(fd, CPUIDVIRT_IOC_REFRESH, &rf))
		e = errno;
	close(fd);
	if (e == ENOTTY) {
		err_msg("the loaded cpuidvirt module has no REFRESH (it is older than this cpuidctl): reload it with 'rmmod cpuidvirt; cpuidctl load'");
		return EXIT_FAIL;
	}
	if (e) {
		err_msg("refresh: %s", strerror(e));
		return EXIT_FAIL;
	}
	printf("every CPU re-reads its CPUID on its next emulation\n");
	return EXIT_OK;
}
