// SPDX-License-Identifier: GPL-2.0
/*
 * substrate MODE: check that the (emulated) CPU behaves as the boot asked,
 * before any cpuidvirt code runs. MODE is absent, working, lie-drop,
 * lie-store, amd-native, amd-native-lie-drop or amd-native-lie-store (see
 * the patches in tests/vm/qemu/). Uses only the stock kernel:
 * ARCH_GET/SET_CPUID, /proc/cpuinfo and msr.ko's /dev/cpu/N/msr.
 *
 * Prints one "ok - substrate: ..." / "not ok - substrate: ..." line per
 * check, and exits 1 if any failed. Every check is done on every online
 * CPU, in a child process pinned to it, so a fault or a leftover armed
 * state cannot leak into the next check.
 *
 * On an Intel CPU model the kernel drives faulting (ARCH_SET_CPUID). On an
 * AMD model, Linux up to 6.16 neither sets the cpuid_fault flag nor arms
 * anything, so the probe arms the MSR itself through /dev/cpu/N/msr (this
 * taints the kernel, 'S'): MSR 0x140 bit 0 for the Intel-style modes,
 * HWCR bit 35 (CpuidUserDis) for amd-native*.
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
#define MSR_K7_HWCR			0xc0010015
#define HWCR_CPUID_USER_DIS		(1ULL << 35)
#define HWCR_IRPERF_EN			(1ULL << 30)	/* no effect under TCG */
#define GP_ON_USER_CPUID		(1U << 17)	/* CPUID 0x80000021 EAX */

enum mode { ABSENT, WORKING, LIE_DROP, LIE_STORE,
	    AMD_NATIVE, AMD_LIE_DROP, AMD_LIE_STORE };

static const char *const mode_names[] = {
	"absent", "working", "lie-drop", "lie-store",
	"amd-native", "amd-native-lie-drop", "amd-native-lie-store",
};

#define IS_AMD_MODE(m)	((m) >= AMD_NATIVE)

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

static int write_msr(int cpu, unsigned int msr, uint64_t val)
{
	char path[64];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (pwrite(fd, &val, sizeof(val), msr) != sizeof(val))
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
		if (IS_AMD_MODE(mode))
			result(n < 0 && err == EIO,
			       "%s: cpu%d: writing MSR 0x140 raises #GP (EIO): no such MSR on AMD (got %s)",
			       m, cpu, n < 0 ? strerror(err) : "success");
		else if (mode == WORKING || mode == LIE_STORE)
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

/* The Intel CPU model: the kernel drives faulting through ARCH_SET_CPUID. */
static int intel_checks(enum mode mode, const char *m)
{
	int ncpus, cpu, flag;
	uint64_t pinfo;
	int ret;

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

/* AMD probe child state, for the SIGSEGV handler: it disarms, then exits. */
static int arm_fd = -1;
static unsigned int arm_msr;
static uint64_t arm_orig;

static void on_sigsegv_disarm(int sig)
{
	(void)sig;
	if (pwrite(arm_fd, &arm_orig, sizeof(arm_orig), arm_msr) != sizeof(arm_orig))
		_exit(4);
	_exit(3);
}

/*
 * Child pinned to cpu: set the bits "arm" in MSR msr (read-modify-write),
 * read it back, run CPUID, restore the MSR. Exit 3 if CPUID faulted, 0 if
 * it returned, 4 if the restore failed, 9x for setup failures. The value
 * read back while armed comes through a pipe.
 */
static int arm_probe(int cpu, unsigned int msr, uint64_t arm, uint64_t *orig, uint64_t *armed)
{
	struct { int ret; uint64_t orig, armed; } r = { -1, 0, 0 };
	int pfd[2], status;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct sigaction sa;
		unsigned int a, b, c, d;
		char path[64];
		uint64_t v;

		close(pfd[0]);
		pin(cpu);
		snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
		arm_fd = open(path, O_RDWR);
		arm_msr = msr;
		if (arm_fd < 0 || pread(arm_fd, &arm_orig, 8, msr) != 8) {
			r.ret = -errno;
		} else if (v = arm_orig | arm, pwrite(arm_fd, &v, 8, msr) != 8) {
			r.ret = -errno;
		} else {
			r.ret = pread(arm_fd, &r.armed, 8, msr) == 8 ? 0 : -errno;
		}
		r.orig = arm_orig;
		if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
			_exit(91);
		if (r.ret)
			_exit(92);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigsegv_disarm;
		sigaction(SIGSEGV, &sa, NULL);
		cpuid(0, &a, &b, &c, &d);
		if (pwrite(arm_fd, &arm_orig, 8, msr) != 8)
			_exit(4);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &r, sizeof(r)) != sizeof(r))
		r.ret = -EPIPE;
	close(pfd[0]);
	*orig = r.orig;
	*armed = r.armed;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (r.ret)
		return 100 - r.ret;	/* > 100: setup failed with errno */
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* A fresh child pinned to cpu runs CPUID: 0 if it returned, 3 if it faulted. */
static int cpuid_runs(int cpu)
{
	long pr;
	int perr, msr_ret;
	uint64_t msr;
	unsigned int eax0 = 0;
	int st;

	/* probe_cpu arms ARCH_SET_CPUID, which fails on AMD (ENODEV): harmless */
	st = probe_cpu(cpu, &pr, &perr, &msr_ret, &msr, &eax0);
	return st == 0 && eax0 > 0 ? 0 : st ? st : -1;
}

static const char *errstr(int ret)
{
	return ret ? strerror(-ret) : "success";
}

/*
 * The AMD CPU model (EPYC-Milan). Intel-style modes: MSR 0xce and 0x140 as
 * on Intel (KVM's emulation, whatever the host vendor). amd-native*:
 * GpOnUserCpuid, HWCR bit 35, and no 0xce/0x140.
 */
static int amd_checks(enum mode mode, const char *m)
{
	int amd = IS_AMD_MODE(mode);
	int drops = mode == LIE_DROP || mode == AMD_LIE_DROP;
	int faults = mode == WORKING || mode == AMD_NATIVE;
	int sticks = !drops && mode != ABSENT;	/* absent: upstream ignores */
	unsigned int msr = amd ? MSR_K7_HWCR : MSR_MISC_FEATURES_ENABLES;
	uint64_t arm = amd ? HWCR_CPUID_USER_DIS | HWCR_IRPERF_EN : 1;
	uint64_t bit = amd ? HWCR_CPUID_USER_DIS : 1;
	unsigned int maxext, a, b, c, d;
	int ncpus, cpu, flag, gp = 0;
	long ret;

	flag = cpuinfo_has_flag("cpuid_fault");
	result(flag == 0, "%s: /proc/cpuinfo lacks cpuid_fault on an AMD CPU (Linux before 6.17 sets it only on Intel) (found: %d)",
	       m, flag);
	ret = arch_prctl(ARCH_GET_CPUID, 0);
	result(ret == 1, "%s: ARCH_GET_CPUID is 1 (CPUID allowed) at start (got %ld)", m, ret);
	errno = 0;
	ret = arch_prctl(ARCH_SET_CPUID, 0);
	result(ret == -1 && errno == ENODEV,
	       "%s: ARCH_SET_CPUID(0) fails with ENODEV on an AMD CPU (ret %ld, %s)", m, ret, strerror(errno));
	cpuid(0x80000000, &maxext, &b, &c, &d);
	if (maxext >= 0x80000021) {
		cpuid(0x80000021, &a, &b, &c, &d);
		gp = !!(a & GP_ON_USER_CPUID);
	}
	result(gp == amd, "%s: CPUID 0x80000021 EAX bit 17 (GpOnUserCpuid) %s (max extended leaf %#x)",
	       m, amd ? "set" : "clear or leaf absent", maxext);

	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	result(ncpus >= 2, "%s: guest has at least 2 online CPUs (%d)", m, ncpus);
	for (cpu = 0; cpu < ncpus; cpu++) {
		uint64_t v = ~0ULL, orig, armed;
		int r, st;

		r = read_msr(cpu, MSR_PLATFORM_INFO, &v);
		if (amd) {
			result(r == -EIO, "%s: cpu%d: reading MSR_PLATFORM_INFO (0xce) raises #GP (EIO) (got %s)",
			       m, cpu, errstr(r));
			r = read_msr(cpu, MSR_MISC_FEATURES_ENABLES, &v);
			result(r == -EIO, "%s: cpu%d: reading MSR 0x140 raises #GP (EIO) (got %s)",
			       m, cpu, errstr(r));
			r = write_msr(cpu, MSR_MISC_FEATURES_ENABLES, 1);
			result(r == -EIO, "%s: cpu%d: writing 1 to MSR 0x140 raises #GP (EIO) (got %s)",
			       m, cpu, errstr(r));
		} else {
			result(!r && !!(v & (1ULL << 31)) == (mode != ABSENT),
			       "%s: cpu%d: MSR_PLATFORM_INFO bit 31 %s (%s, 0x%llx)", m, cpu,
			       mode == ABSENT ? "clear" : "set", errstr(r), (unsigned long long)v);
			r = read_msr(cpu, MSR_K7_HWCR, &v);
			result(!r && !(v & HWCR_CPUID_USER_DIS),
			       "%s: cpu%d: HWCR bit 35 clear (%s, 0x%llx)", m, cpu, errstr(r),
			       (unsigned long long)v);
		}

		st = arm_probe(cpu, msr, arm, &orig, &armed);
		if (st > 100) {
			result(0, "%s: cpu%d: arming MSR %#x through /dev/cpu/%d/msr: %s", m, cpu, msr, cpu,
			       strerror(st - 100));
			continue;
		}
		result(!!(armed & bit) == sticks,
		       "%s: cpu%d: %s %s when armed (0x%llx)", m, cpu,
		       amd ? "HWCR bit 35 (CpuidUserDis)" : "MSR 0x140 bit 0",
		       sticks ? "sticks" : "reads 0: the write did not stick",
		       (unsigned long long)armed);
		if (amd)
			result(!!(armed & HWCR_IRPERF_EN),
			       "%s: cpu%d: HWCR's other bits stick (bit 30 set: 0x%llx)", m, cpu,
			       (unsigned long long)armed);
		if (faults)
			result(st == 3, "%s: cpu%d: CPUID at CPL3 raises SIGSEGV when armed (child status %d%s)",
			       m, cpu, st, st == 0 ? ": CPUID did NOT fault" : "");
		else
			result(st == 0, "%s: cpu%d: CPUID does not fault although armed (child status %d)",
			       m, cpu, st);
		r = read_msr(cpu, msr, &v);
		result(!r && v == orig, "%s: cpu%d: MSR %#x restored to 0x%llx (%s, 0x%llx)", m, cpu, msr,
		       (unsigned long long)orig, errstr(r), (unsigned long long)v);
		st = cpuid_runs(cpu);
		result(st == 0, "%s: cpu%d: CPUID runs normally once disarmed (child status %d)", m, cpu, st);
	}
	return failed;
}

static int is_amd_cpu(void)
{
	unsigned int a, v[3];

	cpuid(0, &a, &v[0], &v[2], &v[1]);	/* ebx, edx, ecx */
	return !memcmp(v, "AuthenticAMD", 12);
}

int main(int argc, char **argv)
{
	int reserved = argc == 3 && !strcmp(argv[1], "--reserved");
	const char *m = argc == 2 ? argv[1] : reserved ? argv[2] : "";
	int mode;

	for (mode = ABSENT; mode <= AMD_LIE_STORE; mode++)
		if (!strcmp(m, mode_names[mode]))
			break;
	if (mode > AMD_LIE_STORE) {
		fprintf(stderr, "usage: substrate [--reserved] absent|working|lie-drop|lie-store|"
			"amd-native|amd-native-lie-drop|amd-native-lie-store\n");
		return 2;
	}
	if (reserved)
		return reserved_bits(mode, m);
	if (is_amd_cpu())
		return amd_checks(mode, m);
	if (IS_AMD_MODE(mode)) {
		result(0, "%s: needs an AMD CPU model (run-guest.sh --cpu EPYC-Milan)", m);
		return failed;
	}
	return intel_checks(mode, m);
}
