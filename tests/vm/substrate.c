// SPDX-License-Identifier: GPL-2.0
/*
 * substrate MODE: check that the (emulated) CPU behaves as the boot asked,
 * before any cpuidvirt code runs. MODE is absent, working, lie-drop or
 * lie-store (see the patch in tests/vm/qemu/). Uses only the stock kernel:
 * ARCH_GET/SET_CPUID, /proc/cpuinfo and msr.ko's /dev/cpu/N/msr.
 *
 * Prints one "ok - substrate: ..." / "not ok - substrate: ..." line per
 * check, and exits 1 if any failed. Every check is done on every online
 * CPU, in a child process pinned to it, so a fault or a leftover armed
 * state cannot leak into the next check.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MSR_PLATFORM_INFO		0xce
#define MSR_MISC_FEATURES_ENABLES	0x140

enum mode { ABSENT, WORKING, LIE_DROP, LIE_STORE };

static int failed;

static void result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok - substrate: ", ok ? "" : "not ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failed = 1;
}

static long arch_prctl(int code, unsigned long arg)
{
	return syscall(SYS_arch_prctl, code, arg);
}

static void cpuid(unsigned int leaf, unsigned int *a, unsigned int *b,
		  unsigned int *c, unsigned int *d)
{
	__asm__ volatile("cpuid"
			 : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(0));
}

static int cpuinfo_has_flag(const char *flag)
{
	char line[4096];
	FILE *f = fopen("/proc/cpuinfo", "r");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *tok;

		if (strncmp(line, "flags", 5))
			continue;
		for (tok = strtok(strchr(line, ':') + 1, " \n"); tok;
		     tok = strtok(NULL, " \n"))
			if (!strcmp(tok, flag))
				found = 1;
		break;
	}
	fclose(f);
	return found;
}

static int read_msr(int cpu, unsigned int msr, uint64_t *val)
{
	char path[64];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	if (pread(fd, val, sizeof(*val), msr) != sizeof(*val))
		ret = errno ? -errno : -EIO;
	close(fd);
	return ret;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		_exit(90);
	}
}

static void on_sigsegv(int sig)
{
	(void)sig;
	_exit(3);
}

/*
 * Child: pin to cpu, ARCH_SET_CPUID(0), record MSR 0x140, run CPUID.
 * Exit codes: 3 CPUID faulted (SIGSEGV), 0 CPUID returned, 10+errno-ish
 * for setup failures. The MSR value is passed back through a pipe.
 */
static int probe_cpu(int cpu, long *prctl_ret, int *prctl_errno,
		     int *msr_ret, uint64_t *msr_val, unsigned int *eax0)
{
	struct {
		long prctl_ret;
		int prctl_errno;
		int msr_ret;
		uint64_t msr_val;
		unsigned int eax0;
	} r;
	int pfd[2], status;
	pid_t pid;

	memset(&r, 0, sizeof(r));
	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct sigaction sa;
		unsigned int a, b, c, d;

		close(pfd[0]);
		pin(cpu);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigsegv;
		sigaction(SIGSEGV, &sa, NULL);
		r.prctl_ret = arch_prctl(ARCH_SET_CPUID, 0);
		r.prctl_errno = r.prctl_ret ? errno : 0;
		/* While this task is current on cpu, the MSR holds its state. */
		r.msr_ret = read_msr(cpu, MSR_MISC_FEATURES_ENABLES, &r.msr_val);
		if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
			_exit(91);
		cpuid(0, &a, &b, &c, &d);
		r.eax0 = a;
		if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
			_exit(91);
		_exit(0);
	}
	close(pfd[1]);
	/* The second record only arrives if CPUID returned. */
	if (read(pfd[0], &r, sizeof(r)) == sizeof(r)) {
		*prctl_ret = r.prctl_ret;
		*prctl_errno = r.prctl_errno;
		*msr_ret = r.msr_ret;
		*msr_val = r.msr_val;
	}
	if (read(pfd[0], &r, sizeof(r)) == sizeof(r))
		*eax0 = r.eax0;
	close(pfd[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/*
 * substrate --reserved MODE: write a reserved bit (bit 1) of 0x140 through
 * msr.ko on every CPU. working and lie-store must refuse it (#GP -> EIO),
 * absent and lie-drop must swallow it. Separate from the default check
 * because user-space MSR writes taint the kernel.
 */
static int reserved_bits(enum mode mode, const char *m)
{
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN), cpu;

	for (cpu = 0; cpu < ncpus; cpu++) {
		uint64_t val = 2;
		char path[64];
		ssize_t n;
		int fd, err;

		snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
		fd = open(path, O_WRONLY);
		if (fd < 0) {
			result(0, "%s: cpu%d: open %s for writing: %s", m, cpu, path, strerror(errno));
			continue;
		}
		n = pwrite(fd, &val, sizeof(val), MSR_MISC_FEATURES_ENABLES);
		err = n < 0 ? errno : 0;
		close(fd);
		if (mode == WORKING || mode == LIE_STORE)
			result(n < 0 && err == EIO,
			       "%s: cpu%d: writing reserved bit 1 of MSR 0x140 raises #GP (EIO) (got %s)",
			       m, cpu, n < 0 ? strerror(err) : "success");
		else
			result(n == sizeof(val),
			       "%s: cpu%d: writing reserved bit 1 of MSR 0x140 is swallowed (got %s)",
			       m, cpu, n < 0 ? strerror(err) : "success");
	}
	return failed;
}

int main(int argc, char **argv)
{
	enum mode mode;
	int reserved = argc == 3 && !strcmp(argv[1], "--reserved");
	const char *m = argc == 2 ? argv[1] : reserved ? argv[2] : "";
	int ncpus, cpu, flag;
	uint64_t pinfo;
	int ret;

	if (!strcmp(m, "absent"))
		mode = ABSENT;
	else if (!strcmp(m, "working"))
		mode = WORKING;
	else if (!strcmp(m, "lie-drop"))
		mode = LIE_DROP;
	else if (!strcmp(m, "lie-store"))
		mode = LIE_STORE;
	else {
		fprintf(stderr, "usage: substrate [--reserved] absent|working|lie-drop|lie-store\n");
		return 2;
	}
	if (reserved)
		return reserved_bits(mode, m);

	flag = cpuinfo_has_flag("cpuid_fault");
	result(flag == (mode != ABSENT), "%s: /proc/cpuinfo %s cpuid_fault (found: %d)",
	       m, mode == ABSENT ? "lacks" : "has", flag);

	ret = arch_prctl(ARCH_GET_CPUID, 0);
	result(ret == 1, "%s: ARCH_GET_CPUID is 1 (CPUID allowed) at start (got %d)", m, ret);

	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	result(ncpus >= 2, "%s: guest has at least 2 online CPUs (%d)", m, ncpus);

	for (cpu = 0; cpu < ncpus; cpu++) {
		long pr = -2;
		int perr = 0, msr_ret = -1, st;
		uint64_t msr = ~0ULL;
		unsigned int eax0 = 0;

		ret = read_msr(cpu, MSR_PLATFORM_INFO, &pinfo);
		if (ret) {
			result(0, "%s: cpu%d: read MSR_PLATFORM_INFO via /dev/cpu/%d/msr: %s (is msr.ko loaded?)",
			       m, cpu, cpu, strerror(-ret));
		} else {
			result(!!(pinfo & (1ULL << 31)) == (mode != ABSENT),
			       "%s: cpu%d: MSR_PLATFORM_INFO bit 31 %s (0x%llx)", m, cpu,
			       mode == ABSENT ? "clear" : "set", (unsigned long long)pinfo);
		}

		st = probe_cpu(cpu, &pr, &perr, &msr_ret, &msr, &eax0);
		if (mode == ABSENT) {
			result(pr == -1 && perr == ENODEV,
			       "%s: cpu%d: ARCH_SET_CPUID(0) fails with ENODEV (ret %ld, %s)",
			       m, cpu, pr, strerror(perr));
			result(st == 0, "%s: cpu%d: CPUID runs normally (child status %d)", m, cpu, st);
			continue;
		}
		result(pr == 0, "%s: cpu%d: ARCH_SET_CPUID(0) succeeds (ret %ld, %s)",
		       m, cpu, pr, strerror(perr));
		if (msr_ret) {
			result(0, "%s: cpu%d: read MSR_MISC_FEATURES_ENABLES: %s", m, cpu,
			       strerror(-msr_ret));
		} else {
			uint64_t want = mode == LIE_DROP ? 0 : 1;

			result((msr & 1) == want,
			       "%s: cpu%d: MSR_MISC_FEATURES_ENABLES bit 0 reads %llu when armed (0x%llx)",
			       m, cpu, (unsigned long long)want, (unsigned long long)msr);
		}
		if (mode == WORKING)
			result(st == 3, "%s: cpu%d: CPUID at CPL3 raises SIGSEGV when armed (child status %d%s)",
			       m, cpu, st, st == 0 ? ": CPUID did NOT fault" : "");
		else
			result(st == 0 && eax0 > 0,
			       "%s: cpu%d: CPUID does not fault although armed, like the lying CPU (child status %d, leaf0 eax=%#x)",
			       m, cpu, st, eax0);
	}

	/* Disarming must work too: faulting off again gives native CPUID. */
	if (mode == WORKING) {
		unsigned int a, b, c, d;

		ret = arch_prctl(ARCH_SET_CPUID, 0);
		if (!ret)
			ret = arch_prctl(ARCH_SET_CPUID, 1);
		cpuid(0, &a, &b, &c, &d);
		result(ret == 0, "%s: ARCH_SET_CPUID(0) then (1) leaves CPUID usable (eax=%#x)", m, a);
	}
	return failed;
}
