// SPDX-License-Identifier: GPL-2.0
/*
 * Prints this CPU's CPUID with the cpuidctl library (cpuid_dump_read_host),
 * in `cpuid -1 -r` format. capture-qemu.sh runs it next to Debian's cpuid
 * inside each QEMU model to check that both enumerate the same leaves and
 * read the same values.
 */
#include <stdio.h>

#include "dump.h"

int main(void)
{
	struct cpuid_dump d;
	struct diag diag = { 0 };

	if (cpuid_dump_read_host(&d, 0, &diag)) {
		fprintf(stderr, "read-host: %s\n", diag.msg);
		return 1;
	}
	cpuid_dump_print(&d, stdout, "CPU");
	cpuid_dump_free(&d);
	return 0;
}
