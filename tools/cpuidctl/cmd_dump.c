// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl dump: the host's raw CPUID, in the text format of Debian's
 * `cpuid -1 -r` (one CPU) or `cpuid -r` (--all), which every command that
 * takes a DUMP reads back.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuidctl.h"
#include "dump.h"

const char *const dump_help =
"Usage: cpuidctl dump [--cpu N | --all]\n"
"\n"
"Prints the raw CPUID of this host: every leaf and subleaf, one per line,\n"
"in the format of 'cpuid -1 -r' (Debian package cpuid) and with the same\n"
"leaves and subleaves as Debian 12's cpuid prints (plus 0x1e.1 and the\n"
"subleaves of 0x24, which newer cpuid versions read):\n"
"\n"
"  CPU:\n"
"     0x00000000 0x00: eax=0x0000000d ebx=0x756e6547 ecx=0x6c65746e edx=0x49656e69\n"
"\n"
"Save it on every host of a fleet and feed the files to 'cpuidctl profile\n"
"lcd', 'profile show --against' or 'explain --against'; dumps taken with\n"
"'cpuid -1 -r' or 'cpuid -r' work the same.\n"
"\n"
"Options:\n"
"  --cpu N  read CPUID on CPU N (default: wherever cpuidctl runs); the\n"
"           output is still a single-CPU dump\n"
"  --all    every online CPU, with 'CPU 0:', 'CPU 1:' headers like 'cpuid -r'\n"
"\n"
"A masked process (in a cgroup with a profile) dumps what its profile shows.\n"
"\n"
"Exit status: 0 ok, 1 CPU not online or read error, 2 usage error.\n";

static int read_cpu(int cpu, struct cpuid_dump *d)
{
	struct diag diag;
	int ret;

	diag_clear(&diag);
	ret = cpuid_dump_read_host(d, cpu, &diag);
	if (ret) {
		err_msg("%s", *diag.msg ? diag.msg : strerror(-ret));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int print_cpu(const struct cpuid_dump *d, const char *header)
{
	int ret = cpuid_dump_print(d, stdout, header);

	if (ret) {
		err_msg("write: %s", strerror(-ret));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int dump_one(int cpu)
{
	struct cpuid_dump d = CPUID_DUMP_INIT;
	int ret;

	ret = read_cpu(cpu, &d);
	if (!ret)
		ret = print_cpu(&d, "CPU");
	cpuid_dump_free(&d);
	return ret;
}

/*
 * Every CPU is read before the first line goes out: no half dump on
 * failure. Each is walked as the single-CPU dump walks (read_cpu()) and
 * printed like 'cpuid -r' by cpuid_dump_print_all(), which the unit tests
 * check against a recorded 'cpuid -r'.
 */
static int dump_all(void)
{
	static struct cpuid_dump d[CPU_SETSIZE];
	static int cpus[CPU_SETSIZE];
	cpu_set_t set;
	int cpu, i, n = 0, ret;

	ret = online_cpus(&set);
	if (ret) {
		err_msg("/sys/devices/system/cpu/online: %s: is sysfs mounted?", strerror(-ret));
		return EXIT_FAIL;
	}
	for (cpu = 0; cpu < CPU_SETSIZE && !ret; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		cpuid_dump_init(&d[n]);
		cpus[n] = cpu;
		ret = read_cpu(cpu, &d[n++]);
	}
	if (!ret && cpuid_dump_print_all(d, cpus, n, stdout)) {
		err_msg("write: %s", strerror(EIO));
		ret = EXIT_FAIL;
	}
	for (i = 0; i < n; i++)
		cpuid_dump_free(&d[i]);
	return ret;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cpu", required_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	bool all = false;
	int cpu = -1, c;
	char *end;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		if (c == 'c') {
			errno = 0;
			long v = strtol(optarg, &end, 0);

			if (errno || *end || end == optarg || v < 0 || v >= CPU_SETSIZE)
				return usage_error("dump", "--cpu needs a CPU number, not '%s'", optarg);
			cpu = (int)v;
		} else if (c == 'a') {
			all = true;
		} else {
			return opt_error("dump", c, argv);
		}
	}
	if (optind < argc)
		return usage_error("dump", "unexpected argument '%s'", argv[optind]);
	if (all && cpu >= 0)
		return usage_error("dump", "--cpu and --all exclude each other");

	return all ? dump_all() : dump_one(cpu);
}
