// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/cpuidvirt: opening it with actionable errors, and the ioctls that
 * several commands share (VERSION, STATUS, LIST, the SELFTEST sequence).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cpuid.h>

#include "cpuidctl.h"

bool module_loaded(void)
{
	struct stat st;

	return !stat("/sys/module/" CPUIDVIRT_DEVICE_NAME, &st);
}

int dev_version(int fd, struct cpuidvirt_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	return ioctl(fd, CPUIDVIRT_IOC_VERSION, v) ? -errno : 0;
}

int dev_status(int fd, struct cpuidvirt_status *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (ioctl(fd, CPUIDVIRT_IOC_STATUS, st))
		return -errno;
	st->reason[sizeof(st->reason) - 1] = '\0';
	return 0;
}

int dev_open(void)
{
	struct cpuidvirt_version v;
	int fd, ret;

	fd = open(CPUIDVIRT_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = errno;
		/*
		 * No strerror here: podman reads "no such file or directory"
		 * in a hook's message as its own command missing (exit 127).
		 * ENXIO, ENODEV: a node left from an earlier load (no devtmpfs).
		 */
		if (ret == ENOENT && !module_loaded()) {
			err_msg("the cpuidvirt module is not loaded (no %s); run 'cpuidctl load'",
				CPUIDVIRT_DEV);
			return -EXIT_NOMODULE;
		}
		if ((ret == ENXIO || ret == ENODEV) && !module_loaded()) {
			err_msg("the cpuidvirt module is not loaded (%s is a stale node); run 'cpuidctl load'",
				CPUIDVIRT_DEV);
			return -EXIT_NOMODULE;
		}
		if (ret == ENOENT || ret == ENXIO || ret == ENODEV) {
			err_msg("%s: %s: the module is loaded but its device node is missing or unbound (is devtmpfs mounted on /dev?)",
				CPUIDVIRT_DEV, ret == ENOENT ? "ENOENT" :
				ret == ENXIO ? "ENXIO" : "ENODEV");
			return -EXIT_NOMODULE;
		}
		if (ret == EACCES || ret == EPERM) {
			err_msg("%s: %s: only root may use cpuidvirt (run with sudo)",
				CPUIDVIRT_DEV, strerror(ret));
			return -EXIT_FAIL;
		}
		err_msg("%s: %s", CPUIDVIRT_DEV, strerror(ret));
		return -EXIT_FAIL;
	}
	ret = dev_version(fd, &v);
	if (ret) {
		err_msg("%s: VERSION: %s: this is not a cpuidvirt device, or the module is broken",
			CPUIDVIRT_DEV, strerror(-ret));
		close(fd);
		return -EXIT_FAIL;
	}
	/* The ABI check must come before anything else (uapi contract). */
	if (v.api_version != CPUIDVIRT_API_VERSION) {
		err_msg("%s: module speaks ABI %u, this cpuidctl speaks ABI %u: install matching versions of the module and cpuidctl",
			CPUIDVIRT_DEV, v.api_version, CPUIDVIRT_API_VERSION);
		close(fd);
		return -EXIT_FAIL;
	}
	return fd;
}

int dev_list(int fd, struct cpuidvirt_list_entry **entries, unsigned int *nr)
{
	struct cpuidvirt_list l;
	struct cpuidvirt_list_entry *e = NULL;
	unsigned int cap = 0;

	/* Profiles may be attached between the two calls: retry until it fits. */
	for (;;) {
		memset(&l, 0, sizeof(l));
		l.size = sizeof(l);
		l.nr_entries = cap;
		l.entries = (uintptr_t)e;
		if (ioctl(fd, CPUIDVIRT_IOC_LIST, &l)) {
			int ret = -errno;

			free(e);
			return ret;
		}
		if (l.nr_entries <= cap)
			break;
		cap = l.nr_entries + 16;
		free(e);
		e = calloc(cap, sizeof(*e));
		if (!e)
			return -ENOMEM;
	}
	*entries = e;
	*nr = l.nr_entries;
	return 0;
}

const char *fault_state_name(unsigned int state)
{
	switch (state) {
	case CPUIDVIRT_FAULT_ABSENT:
		return "absent";
	case CPUIDVIRT_FAULT_LYING_NO_STICK:
		return "lying (enable bit does not stick)";
	case CPUIDVIRT_FAULT_LYING_NO_TRAP:
		return "lying (CPUID does not trap)";
	case CPUIDVIRT_FAULT_UNVERIFIED:
		return "unverified";
	case CPUIDVIRT_FAULT_VERIFIED:
		return "verified";
	}
	return "unknown";
}

int fault_state_exit(unsigned int state)
{
	return state == CPUIDVIRT_FAULT_VERIFIED ? EXIT_OK : EXIT_NOFAULT;
}

static int selftest_op(int fd, unsigned int op, unsigned int cpu,
		       struct cpuidvirt_selftest *t)
{
	memset(t, 0, sizeof(*t));
	t->size = sizeof(*t);
	t->op = op;
	t->cpu = cpu;
	/* One CPUID on the selftest leaf runs between ARM and FINISH. */
	if (op == CPUIDVIRT_SELFTEST_FINISH)
		t->cpuids = 1;
	return ioctl(fd, CPUIDVIRT_IOC_SELFTEST, t) ? -errno : 0;
}

/* Parses /sys/devices/system/cpu/online ("0-3,5") into a CPU set. */
int online_cpus(cpu_set_t *set)
{
	char buf[4096], *p, *end;
	FILE *f;

	CPU_ZERO(set);
	f = fopen("/sys/devices/system/cpu/online", "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	for (p = buf; *p && *p != '\n';) {
		unsigned long a, b;

		a = strtoul(p, &end, 10);
		if (end == p)
			return -EINVAL;
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p)
				return -EINVAL;
		}
		for (; a <= b && a < CPU_SETSIZE; a++)
			CPU_SET(a, set);
		p = end;
		if (*p == ',')
			p++;
	}
	return 0;
}

/*
 * The behavioural test: on each online CPU in turn, pin, ARM, execute
 * CPUID on the magic leaf, FINISH. Returns an EXIT_* code; the final
 * fault state goes to *state_out.
 */
int selftest_run(int fd, bool verbose, unsigned int *state_out)
{
	struct cpuidvirt_selftest t;
	struct cpuidvirt_status st;
	cpu_set_t online, saved, one;
	unsigned int cpu, nr = 0, trapped = 0, state = CPUIDVIRT_FAULT_ABSENT;
	int ret;

	memset(&st, 0, sizeof(st));
	ret = online_cpus(&online);
	if (ret) {
		err_msg("/sys/devices/system/cpu/online: %s: is sysfs mounted?", strerror(-ret));
		return EXIT_FAIL;
	}
	if (sched_getaffinity(0, sizeof(saved), &saved)) {
		err_msg("sched_getaffinity: %s", strerror(errno));
		return EXIT_FAIL;
	}
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		unsigned int a, b, c, d;

		if (!CPU_ISSET(cpu, &online))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one)) {
			err_msg("cannot pin to CPU %u: %s (is cpuidctl confined by a cpuset? run it from the root cgroup)",
				cpu, strerror(errno));
			ret = EXIT_FAIL;
			goto out;
		}
		ret = selftest_op(fd, CPUIDVIRT_SELFTEST_ARM, cpu, &t);
		if (ret == -EOPNOTSUPP) {
			/* ABSENT or LYING_NO_STICK: the module already knows, say why. */
			if (!dev_status(fd, &st)) {
				err_msg("CPUID faulting is %s: %s", fault_state_name(st.fault_state), st.reason);
				state = st.fault_state;
			} else {
				err_msg("CPUID faulting is not available on this machine");
			}
			ret = EXIT_NOFAULT;
			goto out;
		}
		if (ret) {
			err_msg("selftest ARM on CPU %u: %s%s", cpu, strerror(-ret),
				ret == -EPERM ? " (need CAP_SYS_ADMIN: run as root, outside containers)" : "");
			ret = EXIT_FAIL;
			goto out;
		}
		__cpuid(CPUIDVIRT_SELFTEST_LEAF, a, b, c, d);
		ret = selftest_op(fd, CPUIDVIRT_SELFTEST_FINISH, cpu, &t);
		if (ret) {
			err_msg("selftest FINISH on CPU %u: %s", cpu, strerror(-ret));
			ret = EXIT_FAIL;
			goto out;
		}
		nr++;
		trapped += !!t.trapped;
		state = t.fault_state;
		if (verbose)
			printf("cpu %u: %s\n", cpu, t.trapped ? "CPUID trapped" :
			       "CPUID did NOT trap");
		(void)a; (void)b; (void)c; (void)d;
	}
	if (!dev_status(fd, &st))
		state = st.fault_state;
	if (verbose)
		printf("verdict: %s (%u of %u CPUs trapped)%s%s\n", fault_state_name(state),
		       trapped, nr, *st.reason ? ": " : "", st.reason);
	ret = fault_state_exit(state);
out:
	sched_setaffinity(0, sizeof(saved), &saved);
	if (state_out)
		*state_out = state;
	return ret;
}
