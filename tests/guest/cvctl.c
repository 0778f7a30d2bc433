// SPDX-License-Identifier: GPL-2.0
/*
 * cvctl: drive /dev/cpuidvirt directly, for the module's VM scenarios.
 *
 *   cvctl [-U] version | status | list | selftest | refresh
 *   cvctl cpuid-count [--refresh | --online FILE] CPU N
 *                                     pinned to CPU, N rounds of CPUID leaves
 *                                     0, 1, 7.0, 0xd.0; "emulated=E real=R":
 *                                     the module's counters over the rounds;
 *                                     first REFRESH, or write 0 then 1 to
 *                                     FILE (a CPU's "online") after the
 *                                     first counter read
 *   cvctl [-U] attach [--replace] [--name N] [--clamp-basic L] [--clamp-ext L]
 *                     [--max-basic L] [--max-ext L] CGDIR [RULE...]
 *        RULE = LEAF/SUB/REG/AND/OR   (SUB "*" = any subleaf; REG eax..edx)
 *        rules for the same LEAF/SUB are merged into one
 *   cvctl [-U] detach CGDIR | detach --id ID
 *   cvctl [-U] query PID
 *   cvctl cgid CGDIR                  the cgroup id (inode number)
 *   cvctl errors CGDIR V1DIR          every ioctl error path, "PASS|FAIL desc";
 *                                     V1DIR is in a cgroup v1 hierarchy
 *   cvctl fill CGDIR                  attach an empty profile to CGDIR/nI,
 *                                     I = 0, 1, ... until ATTACH fails;
 *                                     "attached=N error=ENAME", then detach
 *                                     and remove them all
 *   cvctl spin-attach CGDIR           a thread spinning on CPUID on another
 *                                     CPU is masked when ATTACH returns
 *   cvctl spin-move TO                a thread spinning on CPUID(6) on CPU 1
 *                                     while the process moves itself to TO
 *   cvctl spin-move-in FROM TO N      a process spinning on CPUID(6) on CPU 1
 *                                     is moved FROM -> TO N times by this one
 *                                     (CPU 0); per round "round=I out=ECX
 *                                     in=ECX": its first CPUID after each
 *                                     cgroup.procs write returned
 *   cvctl spin-threads FROM TO N      the same for a thread of this process,
 *                                     moved through cgroup.threads; also
 *                                     "main=ECX" of the unmoved main thread
 *   cvctl spin-replace CGDIR N        REPLACE N times while a thread on CPU 1
 *                                     checks each CPUID(6) is one whole
 *                                     generation of rules (atomicity)
 *   cvctl spin-detach CGDIR           DETACH while a thread spins on CPU 1:
 *                                     MSR 0x140 of CPU 1 and stale repairs
 *   cvctl selftest-notrap             SELFTEST ARM + FINISH with no CPUID
 *   cvctl selfarm-fork                ARCH_SET_CPUID(0), fork, child's CPUID
 *   cvctl selfarm-exec PROG [ARG...]  ARCH_SET_CPUID(0), then exec PROG
 *   cvctl zext                        CPUID(6) with junk in the upper halves
 *   cvctl clone-into CGDIR LEAF SUB   clone3(CLONE_INTO_CGROUP) child's CPUID
 *   cvctl move-self [--thread] CGDIR LEAF SUB
 *                                     CPUID before and after moving itself
 *   cvctl fork LEAF SUB               a forked child's CPUID (no exec)
 *   cvctl threads N LEAF SUB          CPUID in N new threads, one line each
 *   cvctl prefixes                    CPUID(6) with prefixes, ECX each; HLT
 *   cvctl selfarm                     rr-style ARCH_SET_CPUID(0), then CPUID
 *   cvctl prctl                       ARCH_GET/SET_CPUID as seen by this task
 *   cvctl asked-wait FIFO LEAF SUB    ARCH_SET_CPUID(0); then for each line
 *                                     read from FIFO: ARCH_GET_CPUID, CPUID
 *                                     ("quit" ends)
 *   cvctl wait-cpuid FIFO LEAF SUB    the same without ARCH_SET_CPUID
 *   cvctl suspend LEAF SUB            pinned to CPU 0 (the boot CPU, which
 *                                     resumes first): CPUID, then write
 *                                     "mem" to /sys/power/state (the host
 *                                     wakes the guest), then CPUID again
 *                                     at once: "before=ECX after=ECX
 *                                     bit=B" (B: CPU 0's enable bit after)
 *
 * -U drops every capability after opening the device (EPERM tests).
 * An ioctl error prints "error: ENAME (message)" and exits 1; bad usage 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <asm/prctl.h>

#include <linux/cpuidvirt.h>

#include "errname.h"

#define DEV "/dev/" CPUIDVIRT_DEVICE_NAME

static int devfd = -1;
static int unpriv;

static void die(const char *what)
{
	fprintf(stderr, "cvctl: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: see the comment at the top of tests/guest/cvctl.c\n");
	exit(2);
}

static void drop_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d))
		die("capset");
}

static void open_dev(void)
{
	devfd = open(DEV, O_RDWR | O_CLOEXEC);
	if (devfd < 0)
		die("open " DEV);
	if (unpriv)
		drop_caps();
}

/* ioctl returning 0 or -errno. */
static int xioctl(unsigned long cmd, void *arg)
{
	return ioctl(devfd, cmd, arg) ? -errno : 0;
}

static int report(int r)
{
	if (r) {
		printf("error: %s (%s)\n", errname(-r), strerror(-r));
		return 1;
	}
	return 0;
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "cvctl: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static int open_cg(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		die(dir);
	return fd;
}

/* --- attach ----------------------------------------------------------- */

static int parse_rules(char **argv, int argc, struct cpuidvirt_rule *rules)
{
	static const char *const regs[] = { "eax", "ebx", "ecx", "edx" };
	int n = 0, i, j, r;

	for (i = 0; i < argc; i++) {
		char *s = strdup(argv[i]), *f[5], *save = NULL, *p = s;
		struct cpuidvirt_rule x;

		for (j = 0; j < 5; j++) {
			f[j] = strtok_r(p, "/", &save);
			p = NULL;
			if (!f[j])
				usage();
		}
		memset(&x, 0, sizeof(x));
		x.leaf = num(f[0]);
		if (!strcmp(f[1], "*"))
			x.flags = CPUIDVIRT_RULE_ANY_SUBLEAF;
		else
			x.subleaf = num(f[1]);
		for (r = 0; r < 4 && strcmp(f[2], regs[r]); r++)
			;
		if (r == 4)
			usage();
		for (j = 0; j < n; j++)
			if (rules[j].leaf == x.leaf && rules[j].flags == x.flags &&
			    rules[j].subleaf == x.subleaf)
				break;
		if (j == n) {
			x.and[0] = x.and[1] = x.and[2] = x.and[3] = ~0u;
			rules[n++] = x;
		}
		rules[j].and[r] = num(f[3]);
		rules[j].or[r] = num(f[4]);
		free(s);
	}
	return n;
}

static int cmd_attach(int argc, char **argv)
{
	struct cpuidvirt_rule rules[CPUIDVIRT_MAX_RULES];
	struct cpuidvirt_attach a;
	int i = 0;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--replace")) {
			a.flags |= CPUIDVIRT_ATTACH_REPLACE;
			i++;
		} else if (!strcmp(argv[i], "--name") && i + 1 < argc) {
			snprintf(a.name, sizeof(a.name), "%s", argv[i + 1]);
			i += 2;
		} else if (!strcmp(argv[i], "--clamp-basic") && i + 1 < argc) {
			a.flags |= CPUIDVIRT_ATTACH_CLAMP_BASIC;
			a.max_basic_leaf = num(argv[i + 1]);
			i += 2;
		} else if (!strcmp(argv[i], "--clamp-ext") && i + 1 < argc) {
			a.flags |= CPUIDVIRT_ATTACH_CLAMP_EXT;
			a.max_ext_leaf = num(argv[i + 1]);
			i += 2;
		} else if (!strcmp(argv[i], "--max-basic") && i + 1 < argc) {
			/* The field without its flag: must be ignored. */
			a.max_basic_leaf = num(argv[i + 1]);
			i += 2;
		} else if (!strcmp(argv[i], "--max-ext") && i + 1 < argc) {
			a.max_ext_leaf = num(argv[i + 1]);
			i += 2;
		} else {
			usage();
		}
	}
	if (i >= argc || argc - i - 1 > CPUIDVIRT_MAX_RULES)
		usage();
	a.cgroup_fd = open_cg(argv[i]);
	a.nr_rules = parse_rules(argv + i + 1, argc - i - 1, rules);
	a.rules = (uintptr_t)rules;
	return report(xioctl(CPUIDVIRT_IOC_ATTACH, &a));
}

static int cmd_detach(int argc, char **argv)
{
	struct cpuidvirt_detach d;

	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	if (argc == 2 && !strcmp(argv[0], "--id")) {
		d.flags = CPUIDVIRT_DETACH_BY_ID;
		d.cgroup_id = strtoull(argv[1], NULL, 0);
	} else if (argc == 1) {
		d.cgroup_fd = open_cg(argv[0]);
	} else {
		usage();
	}
	return report(xioctl(CPUIDVIRT_IOC_DETACH, &d));
}

/* --- read-only commands ---------------------------------------------- */

static int cmd_version(void)
{
	struct cpuidvirt_version v = { .size = sizeof(v) };
	int r = xioctl(CPUIDVIRT_IOC_VERSION, &v);

	if (!r)
		printf("api=%u module=%s\n", v.api_version, v.module_version);
	return report(r);
}

static int cmd_status(void)
{
	struct cpuidvirt_status s = { .size = sizeof(s) };
	int r = xioctl(CPUIDVIRT_IOC_STATUS, &s);

	if (!r)
		printf("state=%u profiles=%u online=%u verified=%u emulated=%llu emulated_ns=%llu stale=%llu foreign=%llu real=%llu\nreason=%s\n",
		       s.fault_state, s.nr_profiles, s.nr_cpus_online,
		       s.nr_cpus_verified, (unsigned long long)s.emulated,
		       (unsigned long long)s.emulated_ns,
		       (unsigned long long)s.stale_repaired,
		       (unsigned long long)s.foreign,
		       (unsigned long long)s.real_cpuids, s.reason);
	return report(r);
}

static int cmd_refresh(void)
{
	struct cpuidvirt_refresh rf = { .size = sizeof(rf) };

	return report(xioctl(CPUIDVIRT_IOC_REFRESH, &rf));
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die(path);
	close(fd);
}

/*
 * The module's emulated and real-CPUID counters over N pinned rounds.
 * What invalidates the cache happens after pinning and the first read:
 * the program's own start-up CPUIDs (ld.so) refill it before that.
 */
static int cmd_cpuid_count(int argc, char **argv)
{
	struct cpuidvirt_status s0 = { .size = sizeof(s0) }, s1 = s0;
	static const uint32_t leaves[4][2] = { { 0, 0 }, { 1, 0 }, { 7, 0 }, { 0xd, 0 } };
	struct cpuidvirt_refresh rf = { .size = sizeof(rf) };
	const char *online = NULL;
	int refresh = 0, k;
	unsigned long i, n;
	uint32_t r[4];

	if (argc == 3 && !strcmp(argv[0], "--refresh")) {
		refresh = 1;
		argv++;
	} else if (argc == 4 && !strcmp(argv[0], "--online")) {
		online = argv[1];
		argv += 2;
	} else if (argc != 2) {
		usage();
	}
	n = num(argv[1]);
	pin((int)num(argv[0]));
	if (xioctl(CPUIDVIRT_IOC_STATUS, &s0))
		die("STATUS");
	if (refresh && xioctl(CPUIDVIRT_IOC_REFRESH, &rf))
		die("REFRESH");
	if (online) {
		write_file(online, "0");
		write_file(online, "1");
	}
	for (i = 0; i < n; i++)
		for (k = 0; k < 4; k++)
			cpuid(leaves[k][0], leaves[k][1], r);
	if (xioctl(CPUIDVIRT_IOC_STATUS, &s1))
		die("STATUS");
	printf("emulated=%llu real=%llu\n",
	       (unsigned long long)(s1.emulated - s0.emulated),
	       (unsigned long long)(s1.real_cpuids - s0.real_cpuids));
	return 0;
}

static int cmd_list(void)
{
	struct cpuidvirt_list_entry e[64];
	struct cpuidvirt_list l = { .size = sizeof(l), .nr_entries = 64 };
	unsigned int i;
	int r;

	l.entries = (uintptr_t)e;
	r = xioctl(CPUIDVIRT_IOC_LIST, &l);
	if (r)
		return report(r);
	printf("total=%u\n", l.nr_entries);
	for (i = 0; i < l.nr_entries && i < 64; i++)
		printf("id=%llu name=%s rules=%u flags=%u basic=%#x ext=%#x emulated=%llu emulated_ns=%llu\n",
		       (unsigned long long)e[i].cgroup_id, e[i].name,
		       e[i].nr_rules, e[i].flags, e[i].max_basic_leaf,
		       e[i].max_ext_leaf, (unsigned long long)e[i].emulated,
		       (unsigned long long)e[i].emulated_ns);
	return 0;
}

static int cmd_query(const char *pid)
{
	struct cpuidvirt_query q = { .size = sizeof(q) };
	int r;

	q.pid = num(pid);
	r = xioctl(CPUIDVIRT_IOC_QUERY, &q);
	if (!r)
		printf("cgroup_id=%llu armed=%u name=%s\n",
		       (unsigned long long)q.cgroup_id, q.armed, q.name);
	return report(r);
}

static int selftest_op(unsigned int op, unsigned int cpu,
		       struct cpuidvirt_selftest *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->op = op;
	st->cpu = cpu;
	if (op == CPUIDVIRT_SELFTEST_FINISH)
		st->cpuids = 1;
	return xioctl(CPUIDVIRT_IOC_SELFTEST, st);
}

static int cmd_selftest(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), cpu;
	struct cpuidvirt_selftest st;
	uint32_t r[4];
	cpu_set_t set;
	int ret;

	for (cpu = 0; cpu < ncpu; cpu++) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity");
		ret = selftest_op(CPUIDVIRT_SELFTEST_ARM, cpu, &st);
		if (ret)
			return report(ret);
		cpuid(CPUIDVIRT_SELFTEST_LEAF, 0, r);
		ret = selftest_op(CPUIDVIRT_SELFTEST_FINISH, cpu, &st);
		if (ret)
			return report(ret);
		printf("cpu %ld: trapped=%u signature=%s state=%u\n", cpu,
		       st.trapped,
		       r[0] == CPUIDVIRT_SELFTEST_SIGNATURE &&
		       r[3] == CPUIDVIRT_SELFTEST_SIGNATURE ? "yes" : "no",
		       st.fault_state);
	}
	return 0;
}

/* --- error paths -------------------------------------------------------- */

static int failures, cases;

static void expect(const char *desc, int got, int want)
{
	cases++;
	if (got == -want) {
		printf("PASS %s: %s\n", desc, errname(want));
	} else {
		printf("FAIL %s: got %s, want %s\n", desc, errname(-got), errname(want));
		failures++;
	}
}

static struct cpuidvirt_rule rule(uint32_t leaf, uint32_t sub, uint32_t flags)
{
	struct cpuidvirt_rule x;

	memset(&x, 0, sizeof(x));
	x.leaf = leaf;
	x.subleaf = sub;
	x.flags = flags;
	x.and[0] = x.and[1] = x.and[2] = x.and[3] = ~0u;
	return x;
}

static int try_attach(int cgfd, struct cpuidvirt_rule *rules, unsigned int n,
		      uint32_t flags, uint32_t basic, uint32_t ext)
{
	struct cpuidvirt_attach a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = flags;
	a.cgroup_fd = cgfd;
	a.nr_rules = n;
	a.rules = (uintptr_t)rules;
	a.max_basic_leaf = basic;
	a.max_ext_leaf = ext;
	return xioctl(CPUIDVIRT_IOC_ATTACH, &a);
}

/* CPUID(6).ECX := marker */
static struct cpuidvirt_rule marker_rule(uint32_t marker)
{
	struct cpuidvirt_rule x = rule(6, 0, 0);

	x.and[CPUIDVIRT_ECX] = 0;
	x.or[CPUIDVIRT_ECX] = marker;
	return x;
}

static void write_pid_of(const char *cgdir, pid_t pid);

/* CPUID(6).ECX as seen by a child moved into cgdir (no exec). */
static uint32_t ecx6_in(const char *cgdir)
{
	int p[2], st;
	uint32_t r[4] = { 0, 0, 0xffffffff, 0 };
	pid_t pid;

	if (pipe(p))
		die("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		write_pid_of(cgdir, getpid());
		cpuid(6, 0, r);
		_exit(write(p[1], &r[2], 4) != 4);
	}
	close(p[1]);
	if (read(p[0], &r[2], 4) != 4)
		r[2] = 0xffffffff;
	close(p[0]);
	waitpid(pid, &st, 0);
	return r[2];
}

static void expect_marker(const char *desc, const char *cgdir, uint32_t want)
{
	uint32_t got = ecx6_in(cgdir);

	cases++;
	if (got == want) {
		printf("PASS %s: CPUID(6).ECX %#x\n", desc, got);
	} else {
		printf("FAIL %s: CPUID(6).ECX %#x, want %#x\n", desc, got, want);
		failures++;
	}
}

static int finish_other_ret;

/* SELFTEST FINISH from a thread that did not ARM. */
static void *finish_other(void *arg)
{
	struct cpuidvirt_selftest st;

	(void)arg;
	finish_other_ret = selftest_op(CPUIDVIRT_SELFTEST_FINISH, 0, &st);
	return NULL;
}

/* VERSION, SELFTEST's EINVAL paths; the selftest ends verified again. */
static void errors_version_selftest(void)
{
	struct cpuidvirt_version v;
	struct cpuidvirt_selftest st;
	pthread_t th;
	uint32_t r[4];

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	expect("VERSION", xioctl(CPUIDVIRT_IOC_VERSION, &v), 0);
	cases++;
	if (v.api_version == CPUIDVIRT_API_VERSION && v.module_version[0] &&
	    memchr(v.module_version, 0, sizeof(v.module_version))) {
		printf("PASS VERSION api_version %u, module %s\n", v.api_version,
		       v.module_version);
	} else {
		printf("FAIL VERSION api_version %u (want %u), module version not a string\n",
		       v.api_version, CPUIDVIRT_API_VERSION);
		failures++;
	}
	v.flags = 1;
	expect("VERSION unknown flag", xioctl(CPUIDVIRT_IOC_VERSION, &v), EINVAL);
	v.flags = 0;
	v.pad = 1;
	expect("VERSION non-zero pad", xioctl(CPUIDVIRT_IOC_VERSION, &v), EINVAL);
	v.size = 8;
	expect("VERSION size 8", xioctl(CPUIDVIRT_IOC_VERSION, &v), EINVAL);

	pin(0);
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.op = CPUIDVIRT_SELFTEST_ARM;
	st.flags = 1;
	expect("SELFTEST unknown flag", xioctl(CPUIDVIRT_IOC_SELFTEST, &st), EINVAL);
	expect("SELFTEST op 0", selftest_op(0, 0, &st), EINVAL);
	expect("SELFTEST op 3", selftest_op(3, 0, &st), EINVAL);
	expect("SELFTEST ARM on CPU 0xffffffff", selftest_op(CPUIDVIRT_SELFTEST_ARM,
	       0xffffffff, &st), EINVAL);
	expect("SELFTEST ARM on CPU 4096", selftest_op(CPUIDVIRT_SELFTEST_ARM,
	       4096, &st), EINVAL);
	/* One past the last CPU: no such CPU, or not online. */
	expect("SELFTEST ARM on the CPU after the last one",
	       selftest_op(CPUIDVIRT_SELFTEST_ARM,
			   (unsigned int)sysconf(_SC_NPROCESSORS_CONF), &st), EINVAL);
	expect("SELFTEST FINISH without ARM", selftest_op(CPUIDVIRT_SELFTEST_FINISH,
	       0, &st), EINVAL);
	expect("SELFTEST ARM", selftest_op(CPUIDVIRT_SELFTEST_ARM, 0, &st), 0);
	cpuid(CPUIDVIRT_SELFTEST_LEAF, 0, r);
	if (pthread_create(&th, NULL, finish_other, NULL))
		die("pthread_create");
	pthread_join(th, NULL);
	expect("SELFTEST FINISH from another thread", finish_other_ret, EINVAL);
	expect("SELFTEST FINISH by the armed thread",
	       selftest_op(CPUIDVIRT_SELFTEST_FINISH, 0, &st), 0);
	cases++;
	if (st.trapped == 1 && st.fault_state == CPUIDVIRT_FAULT_VERIFIED &&
	    r[0] == CPUIDVIRT_SELFTEST_SIGNATURE) {
		printf("PASS SELFTEST after the EINVAL paths: trapped, VERIFIED\n");
	} else {
		printf("FAIL SELFTEST after the EINVAL paths: trapped=%u state=%u eax=%#x\n",
		       st.trapped, st.fault_state, r[0]);
		failures++;
	}
}

static void errors_refresh(void)
{
	struct {
		struct cpuidvirt_refresh rf;
		uint64_t tail;
	} big;

	memset(&big, 0, sizeof(big));
	big.rf.size = 4;
	expect("REFRESH size 4", xioctl(CPUIDVIRT_IOC_REFRESH, &big), EINVAL);
	big.rf.size = sizeof(big.rf);
	big.rf.flags = 1;
	expect("REFRESH unknown flag", xioctl(CPUIDVIRT_IOC_REFRESH, &big), EINVAL);
	big.rf.flags = 0;
	big.rf.size = sizeof(big);
	big.tail = 1;
	expect("REFRESH larger struct, non-zero tail",
	       xioctl(CPUIDVIRT_IOC_REFRESH, &big), E2BIG);
	big.tail = 0;
	expect("REFRESH larger struct, zero tail",
	       xioctl(CPUIDVIRT_IOC_REFRESH, &big), 0);
	expect("REFRESH unreadable struct",
	       xioctl(CPUIDVIRT_IOC_REFRESH, (void *)8), EFAULT);
	big.rf.size = sizeof(big.rf);
	expect("REFRESH", xioctl(CPUIDVIRT_IOC_REFRESH, &big), 0);
}

static int cmd_errors(const char *cgdir, const char *v1dir)
{
	static struct cpuidvirt_rule many[CPUIDVIRT_MAX_RULES + 1];
	struct cpuidvirt_rule r2[2];
	struct cpuidvirt_attach a;
	struct cpuidvirt_detach d;
	struct cpuidvirt_status s;
	struct cpuidvirt_query q;
	struct cpuidvirt_list l;
	struct {
		struct cpuidvirt_status s;
		uint64_t tail;
	} big;
	int cg = open_cg(cgdir), v1 = open_cg(v1dir), filefd, i;

	filefd = open("/proc/self/status", O_RDONLY);
	if (filefd < 0)
		die("open /proc/self/status");

	errors_version_selftest();
	errors_refresh();

	/* Sizes, flags, padding. */
	memset(&s, 0, sizeof(s));
	s.size = 4;
	expect("STATUS size 4", xioctl(CPUIDVIRT_IOC_STATUS, &s), EINVAL);
	s.size = sizeof(s) - 1;
	expect("STATUS size one short", xioctl(CPUIDVIRT_IOC_STATUS, &s), EINVAL);
	s.size = sizeof(s);
	s.flags = 1;
	expect("STATUS unknown flag", xioctl(CPUIDVIRT_IOC_STATUS, &s), EINVAL);
	memset(&big, 0, sizeof(big));
	big.s.size = sizeof(big);
	expect("STATUS larger struct, zero tail", xioctl(CPUIDVIRT_IOC_STATUS, &big), 0);
	big.tail = 1;
	expect("STATUS larger struct, non-zero tail", xioctl(CPUIDVIRT_IOC_STATUS, &big), E2BIG);
	/* The grown struct encodes another size in the command: still STATUS. */
	big.tail = 0;
	expect("STATUS through a command with another encoded size",
	       ioctl(devfd, _IOWR(CPUIDVIRT_IOC_MAGIC, 0x01, big), &big) ? -errno : 0, 0);
	expect("unknown command number",
	       ioctl(devfd, _IOWR(CPUIDVIRT_IOC_MAGIC, 0x7f, s), &s) ? -errno : 0, ENOTTY);
	expect("wrong ioctl type", ioctl(devfd, _IOWR('x', 0x01, s), &s) ? -errno : 0, ENOTTY);
	expect("STATUS unreadable struct", xioctl(CPUIDVIRT_IOC_STATUS, (void *)8), EFAULT);

	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.pad = 1;
	expect("LIST non-zero pad", xioctl(CPUIDVIRT_IOC_LIST, &l), EINVAL);

	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.pid = 0x3fffffff;
	expect("QUERY no such pid", xioctl(CPUIDVIRT_IOC_QUERY, &q), ESRCH);

	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.cgroup_fd = cg;
	d.pad = 1;
	expect("DETACH non-zero pad", xioctl(CPUIDVIRT_IOC_DETACH, &d), EINVAL);
	d.pad = 0;
	d.flags = 0x80;
	expect("DETACH unknown flag", xioctl(CPUIDVIRT_IOC_DETACH, &d), EINVAL);
	d.flags = 0;
	expect("DETACH not attached", xioctl(CPUIDVIRT_IOC_DETACH, &d), ENOENT);
	d.flags = CPUIDVIRT_DETACH_BY_ID;
	d.cgroup_id = 0xfffffffffffULL;
	expect("DETACH by unknown id", xioctl(CPUIDVIRT_IOC_DETACH, &d), ENOENT);
	d.flags = 0;
	d.cgroup_fd = filefd;
	expect("DETACH non-cgroup fd", xioctl(CPUIDVIRT_IOC_DETACH, &d), EBADF);
	d.cgroup_fd = v1;
	expect("DETACH cgroup v1 directory", xioctl(CPUIDVIRT_IOC_DETACH, &d), EBADF);

	/* ATTACH validation: nothing is attached by these. */
	r2[0] = rule(1, 0, 0);
	expect("ATTACH unknown flag", try_attach(cg, r2, 1, 0x100, 0, 0), EINVAL);
	r2[0].flags = 0x10;
	expect("ATTACH rule unknown flag", try_attach(cg, r2, 1, 0, 0, 0), EINVAL);
	r2[0] = rule(1, 0, 0);
	r2[0].pad = 1;
	expect("ATTACH rule non-zero pad", try_attach(cg, r2, 1, 0, 0, 0), EINVAL);
	r2[0] = rule(1, 3, CPUIDVIRT_RULE_ANY_SUBLEAF);
	expect("ATTACH any-subleaf rule with a subleaf", try_attach(cg, r2, 1, 0, 0, 0), EINVAL);
	r2[0] = rule(7, 0, 0);
	r2[1] = rule(7, 0, 0);
	expect("ATTACH duplicate rules", try_attach(cg, r2, 2, 0, 0, 0), ENOTUNIQ);
	r2[0] = rule(7, 0, CPUIDVIRT_RULE_ANY_SUBLEAF);
	r2[1] = rule(7, 0, CPUIDVIRT_RULE_ANY_SUBLEAF);
	expect("ATTACH duplicate any-subleaf rules", try_attach(cg, r2, 2, 0, 0, 0), ENOTUNIQ);
	for (i = 0; i <= CPUIDVIRT_MAX_RULES; i++)
		many[i] = rule(i, 0, 0);
	expect("ATTACH too many rules", try_attach(cg, many, CPUIDVIRT_MAX_RULES + 1, 0, 0, 0), E2BIG);
	expect("ATTACH basic clamp in hypervisor range",
	       try_attach(cg, NULL, 0, CPUIDVIRT_ATTACH_CLAMP_BASIC, 0x40000000, 0), ERANGE);
	expect("ATTACH extended clamp below 0x80000000",
	       try_attach(cg, NULL, 0, CPUIDVIRT_ATTACH_CLAMP_EXT, 0, 0x7fffffff), ERANGE);
	expect("ATTACH extended clamp above 0x8fffffff",
	       try_attach(cg, NULL, 0, CPUIDVIRT_ATTACH_CLAMP_EXT, 0, 0x90000000), ERANGE);
	expect("ATTACH unreadable rules", try_attach(cg, (void *)8, 1, 0, 0, 0), EFAULT);
	expect("ATTACH non-cgroup fd", try_attach(filefd, NULL, 0, 0, 0, 0), EBADF);
	expect("ATTACH closed fd", try_attach(1000, NULL, 0, 0, 0, 0), EBADF);
	expect("ATTACH cgroup v1 directory", try_attach(v1, NULL, 0, 0, 0, 0), EBADF);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.cgroup_fd = cg;
	memset(a.name, 'x', sizeof(a.name));
	expect("ATTACH name not NUL-terminated", xioctl(CPUIDVIRT_IOC_ATTACH, &a), EINVAL);
	a.size = 8;
	expect("ATTACH size 8", xioctl(CPUIDVIRT_IOC_ATTACH, &a), EINVAL);

	/* Attached: EEXIST without REPLACE, REPLACE works, detach by id. */
	r2[0] = marker_rule(0xc0);
	expect("ATTACH valid", try_attach(cg, r2, 1, 0, 0, 0), 0);
	expect("ATTACH again without REPLACE", try_attach(cg, r2, 1, 0, 0, 0), EEXIST);
	r2[0] = marker_rule(0xc1);
	expect("ATTACH again with REPLACE",
	       try_attach(cg, r2, 1, CPUIDVIRT_ATTACH_REPLACE, 0, 0), 0);
	expect_marker("REPLACE applies", cgdir, 0xc1);

	/*
	 * A REPLACE that fails validation, with valid flags, must leave the
	 * old rules answering: a rule with another marker plus a bad one.
	 */
	r2[0] = marker_rule(0xc2);
	r2[1] = marker_rule(0xc2);
	expect("REPLACE with duplicate rules",
	       try_attach(cg, r2, 2, CPUIDVIRT_ATTACH_REPLACE, 0, 0), ENOTUNIQ);
	expect_marker("REPLACE with duplicate rules keeps the old", cgdir, 0xc1);
	r2[1] = rule(7, 0, 0);
	r2[1].pad = 1;
	expect("REPLACE with a non-zero rule pad",
	       try_attach(cg, r2, 2, CPUIDVIRT_ATTACH_REPLACE, 0, 0), EINVAL);
	expect_marker("REPLACE with a non-zero rule pad keeps the old", cgdir, 0xc1);
	expect("REPLACE with a bad clamp",
	       try_attach(cg, r2, 1, CPUIDVIRT_ATTACH_REPLACE |
			  CPUIDVIRT_ATTACH_CLAMP_EXT, 0, 0x7fffffff), ERANGE);
	expect_marker("REPLACE with a bad clamp keeps the old", cgdir, 0xc1);
	expect("REPLACE with too many rules",
	       try_attach(cg, many, CPUIDVIRT_MAX_RULES + 1,
			  CPUIDVIRT_ATTACH_REPLACE, 0, 0), E2BIG);
	expect_marker("REPLACE with too many rules keeps the old", cgdir, 0xc1);
	expect("REPLACE with unreadable rules",
	       try_attach(cg, (void *)8, 1, CPUIDVIRT_ATTACH_REPLACE, 0, 0), EFAULT);
	expect_marker("REPLACE with unreadable rules keeps the old", cgdir, 0xc1);
	{
		struct stat st;

		if (fstat(cg, &st))
			die("fstat");
		d.flags = CPUIDVIRT_DETACH_BY_ID;
		d.cgroup_id = st.st_ino;
	}
	expect("DETACH by id", xioctl(CPUIDVIRT_IOC_DETACH, &d), 0);
	expect("DETACH by id again", xioctl(CPUIDVIRT_IOC_DETACH, &d), ENOENT);

	printf("%d cases, %d failures\n", cases, failures);
	return failures ? 1 : 0;
}

/*
 * Attach empty profiles to new cgroups CGDIR/n0, n1, ... until ATTACH
 * fails (ENOSPC at CPUIDVIRT_MAX_PROFILES), then remove them all. DETACH
 * waits for an RCU grace period: 32 threads detach at once so that they
 * share grace periods.
 */
static const char *fill_dir;
static unsigned int fill_n;

static void *fill_undo(void *arg)
{
	unsigned int i, k = (unsigned int)(uintptr_t)arg;
	char path[4096];

	for (i = k; i <= fill_n; i += 32) {
		struct cpuidvirt_detach d;

		snprintf(path, sizeof(path), "%s/n%u", fill_dir, i);
		memset(&d, 0, sizeof(d));
		d.size = sizeof(d);
		d.cgroup_fd = open_cg(path);
		if (i < fill_n && xioctl(CPUIDVIRT_IOC_DETACH, &d))
			die("DETACH");
		close(d.cgroup_fd);
		if (rmdir(path))
			die(path);
	}
	return NULL;
}

static int cmd_fill(const char *cgdir)
{
	char path[4096];
	pthread_t th[32];
	unsigned int n;
	int fd, r = 0, k;

	for (n = 0; n <= CPUIDVIRT_MAX_PROFILES + 1; n++) {
		snprintf(path, sizeof(path), "%s/n%u", cgdir, n);
		if (mkdir(path, 0755))
			die(path);
		fd = open_cg(path);
		r = try_attach(fd, NULL, 0, 0, 0, 0);
		close(fd);
		if (r)
			break;
	}
	printf("attached=%u error=%s\n", n, errname(-r));
	fflush(stdout);
	fill_dir = cgdir;
	fill_n = n > CPUIDVIRT_MAX_PROFILES + 1 ? CPUIDVIRT_MAX_PROFILES + 1 : n;
	for (k = 0; k < 32; k++)
		if (pthread_create(&th[k], NULL, fill_undo, (void *)(uintptr_t)k))
			die("pthread_create");
	for (k = 0; k < 32; k++)
		pthread_join(th[k], NULL);
	return 0;
}

/* --- behaviour ---------------------------------------------------------- */

static volatile uint32_t spin_eax;
static volatile unsigned long spin_seq;
static volatile int spin_stop;

/* Which CPUID a spinner thread executes, and which register it records. */
struct spin_what {
	uint32_t leaf;
	int reg;
};

static void *spinner(void *arg)
{
	const struct spin_what *w = arg;
	uint32_t r[4];

	pin(1);
	while (!spin_stop) {
		cpuid(w->leaf, 0, r);
		spin_eax = r[w->reg];
		__atomic_add_fetch(&spin_seq, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static unsigned long wait_seq(unsigned long after)
{
	while (__atomic_load_n(&spin_seq, __ATOMIC_SEQ_CST) <= after + 2)
		;
	return spin_seq;
}

/*
 * The caller is in CGDIR. A thread spins on CPU 1 executing CPUID(1) with
 * no system call (so it is never switched out); the main thread on CPU 0
 * attaches a profile that sets CPUID(1).EAX to 0x000a5a5a. Right after
 * ATTACH returns, the spinner's next CPUID must already see it.
 */
static int cmd_spin_attach(const char *cgdir)
{
	static struct spin_what cpuid1_eax = { 1, 0 };
	struct cpuidvirt_rule x = rule(1, 0, CPUIDVIRT_RULE_ANY_SUBLEAF);
	unsigned long s;
	pthread_t th;
	uint32_t before;
	int cg = open_cg(cgdir), r;

	x.and[0] = 0;
	x.or[0] = 0x000a5a5a;
	pin(0);
	if (pthread_create(&th, NULL, spinner, &cpuid1_eax))
		die("pthread_create");
	wait_seq(0);
	before = spin_eax;
	r = try_attach(cg, &x, 1, 0, 0, 0);
	if (r)
		return report(r);
	/* A CPUID that started after ATTACH returned. */
	s = spin_seq;
	wait_seq(s);
	printf("before=%08x after=%08x\n", before, spin_eax);
	spin_stop = 1;
	pthread_join(th, NULL);
	return 0;
}

/* Move a process (cgroup.procs) or one thread (cgroup.threads). */
static void write_id_to(const char *cgdir, const char *file, pid_t pid)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cgdir, file);
	f = fopen(path, "w");
	if (!f)
		die(path);
	fprintf(f, "%d\n", pid);
	if (fclose(f))
		die(path);
}

static void write_pid_of(const char *cgdir, pid_t pid)
{
	write_id_to(cgdir, "cgroup.procs", pid);
}

/*
 * The caller is in a profiled cgroup. A thread spins on CPUID(6) on CPU 1
 * while the main thread on CPU 0 moves the process to TO: the spinner's
 * CPUIDs in the window before its CPU is resynced must be answered (not
 * SIGSEGV), and afterwards it sees TO's answer.
 */
static int cmd_spin_move(const char *to)
{
	static struct spin_what cpuid6_ecx = { 6, 2 };
	unsigned long s;
	pthread_t th;
	uint32_t before;

	pin(0);
	if (pthread_create(&th, NULL, spinner, &cpuid6_ecx))
		die("pthread_create");
	wait_seq(0);
	before = spin_eax;
	write_pid_of(to, getpid());
	s = spin_seq;
	wait_seq(s);
	usleep(100000);
	s = spin_seq;
	wait_seq(s);
	printf("before=%08x after=%08x\n", before, spin_eax);
	spin_stop = 1;
	pthread_join(th, NULL);
	return 0;
}

/* Shared with the spinner process of spin-move-in. */
struct move_in {
	unsigned long go;	/* round the mover announced */
	unsigned long ack;	/* round the spinner answered */
	uint32_t ecx;		/* its CPUID(6).ECX for that round */
	pid_t tid;		/* the spinner's thread id */
};

/*
 * No system call in the loop: the spinner is never switched out, so only a
 * resync of CPU 1 can change its MSR bit. The round is read before CPUID,
 * so the answer belongs to a CPUID that started after the write returned.
 */
static void move_in_spinner(struct move_in *m)
{
	unsigned long seen = 0, g;
	uint32_t r[4];

	pin(1);
	__atomic_store_n(&m->tid, gettid(), __ATOMIC_RELEASE);
	for (;;) {
		g = __atomic_load_n(&m->go, __ATOMIC_ACQUIRE);
		cpuid(6, 0, r);
		if (g == seen)
			continue;
		if (g == ~0UL)
			return;
		m->ecx = r[2];
		seen = g;
		__atomic_store_n(&m->ack, g, __ATOMIC_RELEASE);
	}
}

static uint32_t move_in_round(struct move_in *m, pid_t pid, unsigned long g)
{
	unsigned long spins = 0;

	__atomic_store_n(&m->go, g, __ATOMIC_RELEASE);
	while (__atomic_load_n(&m->ack, __ATOMIC_ACQUIRE) != g) {
		/* A spinner killed by SIGSEGV must not hang the test. */
		if (!(++spins & 0xfffff) && pid && waitpid(pid, NULL, WNOHANG) == pid) {
			fprintf(stderr, "spinner died in round %lu\n", g);
			exit(1);
		}
	}
	return m->ecx;
}

static int cmd_spin_move_in(const char *from, const char *to, int n)
{
	struct move_in *m;
	uint32_t out, in;
	pid_t pid;
	int i, st;

	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		die("mmap");
	memset(m, 0, sizeof(*m));
	pin(0);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		move_in_spinner(m);
		_exit(0);
	}
	for (i = 0; i < n; i++) {
		write_pid_of(from, pid);
		/* Not masked any more (a stale CPU answers natively too). */
		out = move_in_round(m, pid, 2 * i + 1);
		write_pid_of(to, pid);
		in = move_in_round(m, pid, 2 * i + 2);
		printf("round=%d out=%08x in=%08x\n", i, out, in);
	}
	fflush(stdout);
	__atomic_store_n(&m->go, ~0UL, __ATOMIC_RELEASE);
	if (waitpid(pid, &st, 0) != pid)
		die("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "spinner died (status %#x)\n", st);
		return 1;
	}
	return 0;
}

static int clone_child(uint32_t leaf, uint32_t sub)
{
	uint32_t r[4];

	cpuid(leaf, sub, r);
	printf("child eax=%08x ebx=%08x ecx=%08x edx=%08x\n", r[0], r[1], r[2], r[3]);
	fflush(stdout);
	return 0;
}

static int cmd_clone_into(const char *cgdir, uint32_t leaf, uint32_t sub)
{
	struct clone_args args;
	int status;
	pid_t pid;

	memset(&args, 0, sizeof(args));
	args.flags = CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.cgroup = open_cg(cgdir);
	fflush(stdout);
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0)
		die("clone3");
	if (pid == 0)
		_exit(clone_child(leaf, sub));
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static void *move_in_thread(void *arg)
{
	move_in_spinner(arg);
	return NULL;
}

/*
 * cgroup.threads: the caller is in a threaded domain; its spinner thread
 * (CPU 1, no system calls) is moved FROM -> TO N times through
 * cgroup.threads by the main thread (CPU 0), which also reports its own
 * CPUID (it is never moved). Output as spin-move-in, plus "main=ECX".
 */
static int cmd_spin_threads(const char *from, const char *to, int n)
{
	static struct move_in m;
	uint32_t out, in, r[4];
	pthread_t th;
	int i;

	pin(0);
	if (pthread_create(&th, NULL, move_in_thread, &m))
		die("pthread_create");
	while (!__atomic_load_n(&m.tid, __ATOMIC_ACQUIRE))
		;
	for (i = 0; i < n; i++) {
		write_id_to(from, "cgroup.threads", m.tid);
		out = move_in_round(&m, 0, 2 * i + 1);
		write_id_to(to, "cgroup.threads", m.tid);
		in = move_in_round(&m, 0, 2 * i + 2);
		cpuid(6, 0, r);
		printf("round=%d out=%08x in=%08x main=%08x\n", i, out, in, r[2]);
	}
	__atomic_store_n(&m.go, ~0UL, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	return 0;
}

/* REPLACE atomicity, see cmd_spin_replace. */
#define GEN_MARK	0x5a5a0000u
static volatile unsigned long rep_seq, rep_mix, rep_native, rep_back;
static volatile uint32_t rep_last, rep_bad[4];
static volatile int rep_stop;

static void *replace_spinner(void *arg)
{
	uint32_t r[4], g;

	(void)arg;
	pin(1);
	while (!rep_stop) {
		cpuid(6, 0, r);
		if (r[0] != r[1] || r[0] != r[2] || r[0] != r[3]) {
			if (!rep_mix++)
				memcpy((void *)rep_bad, r, sizeof(r));
		} else if ((r[0] & 0xffff0000u) != GEN_MARK) {
			if (!rep_native++ && !rep_mix)
				memcpy((void *)rep_bad, r, sizeof(r));
		} else {
			g = r[0] & 0xffff;
			if (g < rep_last)
				rep_back++;
			rep_last = g;
		}
		__atomic_add_fetch(&rep_seq, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static struct cpuidvirt_rule gen_rule(uint32_t g)
{
	struct cpuidvirt_rule x = rule(6, 0, 0);
	int i;

	for (i = 0; i < 4; i++) {
		x.and[i] = 0;
		x.or[i] = GEN_MARK | g;
	}
	return x;
}

/*
 * The caller is in CGDIR, which has no profile. Generation 0 is attached
 * (CPUID(6) = GEN_MARK|0 in all four registers), then REPLACEd N times
 * with generation 1..N while a thread on CPU 1 executes CPUID(6) with no
 * system call. Each of its answers must be one whole generation (all four
 * registers the same, never native), generations never go backwards, and
 * its first CPUID after a REPLACE returned has at least that generation.
 */
static int cmd_spin_replace(const char *cgdir, unsigned int n)
{
	struct cpuidvirt_rule x = gen_rule(0);
	unsigned long late = 0, s;
	int cg = open_cg(cgdir), r;
	unsigned int g;
	pthread_t th;

	pin(0);
	r = try_attach(cg, &x, 1, 0, 0, 0);
	if (r)
		return report(r);
	if (pthread_create(&th, NULL, replace_spinner, NULL))
		die("pthread_create");
	for (g = 1; g <= n; g++) {
		x = gen_rule(g);
		r = try_attach(cg, &x, 1, CPUIDVIRT_ATTACH_REPLACE, 0, 0);
		if (r)
			break;
		s = rep_seq;
		while (__atomic_load_n(&rep_seq, __ATOMIC_SEQ_CST) <= s + 1)
			;
		if (rep_last < g)
			late++;
	}
	rep_stop = 1;
	pthread_join(th, NULL);
	printf("replaces=%u cpuids=%lu mixed=%lu native=%lu backwards=%lu late=%lu\n",
	       g - 1, rep_seq, rep_mix, rep_native, rep_back, late);
	if (rep_mix || rep_native)
		printf("first bad: eax=%08x ebx=%08x ecx=%08x edx=%08x\n",
		       rep_bad[0], rep_bad[1], rep_bad[2], rep_bad[3]);
	return report(r);
}

static uint64_t stale_count(void)
{
	struct cpuidvirt_status st = { .size = sizeof(st) };

	if (xioctl(CPUIDVIRT_IOC_STATUS, &st))
		die("STATUS");
	return st.stale_repaired;
}

/* An MSR of a CPU through msr.ko, or ~0 on error. */
static uint64_t rdmsr_cpu(int cpu, uint32_t msr)
{
	char path[64];
	uint64_t v;
	int fd;

	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	if (pread(fd, &v, sizeof(v), msr) != sizeof(v))
		v = ~0ULL;
	close(fd);
	return v;
}

/*
 * The enable bit of the module's mechanism (its STATUS reason names it):
 * MSR_MISC_FEATURES_ENABLES whole (only bit 0 may be set there), or HWCR
 * bit 35 alone (HWCR's other bits are firmware's). ~0 on error.
 */
static uint64_t fault_msr(int cpu)
{
	static int amd = -1;
	uint64_t v;

	if (amd < 0) {
		struct cpuidvirt_status s;

		memset(&s, 0, sizeof(s));
		s.size = sizeof(s);
		if (xioctl(CPUIDVIRT_IOC_STATUS, &s))
			die("STATUS");
		amd = !strncmp(s.reason, "AMD CpuidUserDis", 16);
	}
	if (!amd)
		return rdmsr_cpu(cpu, 0x140);
	v = rdmsr_cpu(cpu, 0xc0010015);
	return v == ~0ULL ? v : (v >> 35) & 1;
}

/*
 * suspend: this task suspends the machine itself, so that it is the
 * current task of CPU 0 from before the suspend until its first CPUID
 * after the resume, with no context switch in between for a switch path
 * to repair the enable bit that the resume cleared.
 */
static int cmd_suspend(uint32_t leaf, uint32_t sub)
{
	uint32_t before[4], after[4];
	int fd;

	pin(0);
	fd = open("/sys/power/state", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("/sys/power/state");
	cpuid(leaf, sub, before);
	if (write(fd, "mem", 3) != 3)
		die("write mem to /sys/power/state");
	cpuid(leaf, sub, after);
	close(fd);
	printf("before=%08x after=%08x bit=%llu\n", before[2], after[2],
	       (unsigned long long)fault_msr(0));
	return 0;
}

/* spin-detach: the spinner stops executing CPUID (but keeps running) while held. */
static volatile int det_hold, det_held;

static void *detach_spinner(void *arg)
{
	uint32_t r[4];

	(void)arg;
	pin(1);
	while (!spin_stop) {
		if (det_hold) {
			det_held = 1;
			continue;
		}
		det_held = 0;
		cpuid(6, 0, r);
		spin_eax = r[2];
		__atomic_add_fetch(&spin_seq, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/*
 * The caller is in CGDIR, which has a profile. A thread runs on CPU 1 with
 * no system call, executing CPUID(6) except while held. Held (still
 * running, so CPU 1's enable bit is its; fault_msr()): the main thread on CPU 0
 * reads that MSR (masked: exactly 1), DETACHes, reads it again (must be
 * 0 when DETACH returns), then releases it for 1000 more CPUIDs, which
 * must be native without a single trap (stale-repair counter unchanged).
 * Holding it keeps its CPUIDs out of DETACH's own window.
 */
static int cmd_spin_detach(const char *cgdir)
{
	struct cpuidvirt_detach d;
	uint64_t st0, st1, m0, m1;
	uint32_t before;
	unsigned long s;
	pthread_t th;
	int r;

	pin(0);
	if (pthread_create(&th, NULL, detach_spinner, NULL))
		die("pthread_create");
	wait_seq(0);
	before = spin_eax;
	det_hold = 1;
	while (!det_held)
		;
	/*
	 * CPU 1 may briefly run something else (a kworker) when we read:
	 * of 20 reads, one must be exactly 1 (the spinner's bit 0, no other
	 * bit), and none may have another bit. Printed: 1, or the odd value.
	 */
	m0 = 0;
	for (r = 0; r < 20; r++) {
		uint64_t v = fault_msr(1);

		if (v & ~1ULL) {
			m0 = v;
			break;
		}
		m0 |= v;
	}
	st0 = stale_count();
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.cgroup_fd = open_cg(cgdir);
	r = xioctl(CPUIDVIRT_IOC_DETACH, &d);
	if (r)
		return report(r);
	/* Every read must be 0: the spinner still runs there, held. */
	m1 = 0;
	for (r = 0; r < 20; r++)
		m1 |= fault_msr(1);
	s = spin_seq;
	det_hold = 0;
	while (__atomic_load_n(&spin_seq, __ATOMIC_SEQ_CST) <= s + 1000)
		;
	st1 = stale_count();
	printf("before=%08x after=%08x msr_before=%llx msr_after=%llx stale=%llu\n",
	       before, spin_eax, (unsigned long long)m0, (unsigned long long)m1,
	       (unsigned long long)(st1 - st0));
	spin_stop = 1;
	pthread_join(th, NULL);
	return 0;
}

/* SELFTEST ARM and FINISH with no CPUID between: a CPU that "did not trap". */
static int cmd_selftest_notrap(void)
{
	struct cpuidvirt_selftest st;
	int r;

	pin(0);
	r = selftest_op(CPUIDVIRT_SELFTEST_ARM, 0, &st);
	if (!r)
		r = selftest_op(CPUIDVIRT_SELFTEST_FINISH, 0, &st);
	if (!r)
		printf("trapped=%u state=%u\n", st.trapped, st.fault_state);
	return report(r);
}

/* A forked child (no exec) executes CPUID. */
static int cmd_fork(uint32_t leaf, uint32_t sub)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		_exit(clone_child(leaf, sub));
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static pthread_barrier_t move_barrier;
static uint32_t move_leaf, move_sub, move_after[4];

static void *move_thread(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&move_barrier);	/* started */
	pthread_barrier_wait(&move_barrier);	/* moved */
	cpuid(move_leaf, move_sub, move_after);
	return NULL;
}

static int cmd_move_self(int argc, char **argv)
{
	int thread = 0;
	uint32_t r[4];
	pthread_t th;

	if (argc && !strcmp(argv[0], "--thread")) {
		thread = 1;
		argc--;
		argv++;
	}
	if (argc != 3)
		usage();
	move_leaf = num(argv[1]);
	move_sub = num(argv[2]);
	pthread_barrier_init(&move_barrier, NULL, 2);
	if (thread) {
		if (pthread_create(&th, NULL, move_thread, NULL))
			die("pthread_create");
		pthread_barrier_wait(&move_barrier);
	}
	cpuid(move_leaf, move_sub, r);
	printf("before eax=%08x ebx=%08x ecx=%08x edx=%08x\n", r[0], r[1], r[2], r[3]);
	write_pid_of(argv[0], getpid());
	if (thread) {
		pthread_barrier_wait(&move_barrier);
		pthread_join(th, NULL);
		memcpy(r, move_after, sizeof(r));
	} else {
		cpuid(move_leaf, move_sub, r);
	}
	printf("after eax=%08x ebx=%08x ecx=%08x edx=%08x\n", r[0], r[1], r[2], r[3]);
	return 0;
}

static void *thread_cpuid(void *arg)
{
	uint32_t *r = arg;

	cpuid(r[0], r[1], r);
	return NULL;
}

static int cmd_threads(int n, uint32_t leaf, uint32_t sub)
{
	uint32_t r[64][4];
	pthread_t th[64];
	int i;

	if (n < 1 || n > 64)
		usage();
	for (i = 0; i < n; i++) {
		r[i][0] = leaf;
		r[i][1] = sub;
		if (pthread_create(&th[i], NULL, thread_cpuid, r[i]))
			die("pthread_create");
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		printf("thread eax=%08x ebx=%08x ecx=%08x edx=%08x\n",
		       r[i][0], r[i][1], r[i][2], r[i][3]);
	}
	return 0;
}

static sigjmp_buf segv_jmp;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(segv_jmp, 1);
}

/* CPUID, reporting "sigsegv" instead of dying. */
static void cpuid_or_segv(const char *tag, uint32_t leaf, uint32_t sub)
{
	uint32_t r[4];

	signal(SIGSEGV, on_segv);
	if (sigsetjmp(segv_jmp, 1)) {
		printf("%s sigsegv\n", tag);
		return;
	}
	cpuid(leaf, sub, r);
	printf("%s eax=%08x ebx=%08x ecx=%08x edx=%08x\n", tag, r[0], r[1], r[2], r[3]);
}

/*
 * CPUID(6,0) with prefixes the decoder must skip; prints ECX for each
 * encoding. A non-CPUID #GP (HLT at CPL 3) must still be SIGSEGV.
 */
#define CPUID_ENC(name, bytes)						\
	do {								\
		uint32_t a = 6, b, c = 0, d;				\
		__asm__ volatile(bytes					\
				 : "+a"(a), "=b"(b), "+c"(c), "=d"(d));	\
		printf("%s ecx=%08x\n", name, c);			\
	} while (0)

static int cmd_prefixes(void)
{
	CPUID_ENC("plain", ".byte 0x0f, 0xa2");
	CPUID_ENC("66", ".byte 0x66, 0x0f, 0xa2");
	CPUID_ENC("f3", ".byte 0xf3, 0x0f, 0xa2");
	CPUID_ENC("2e-3e-26-64-65-36", ".byte 0x2e, 0x3e, 0x26, 0x64, 0x65, 0x36, 0x0f, 0xa2");
	CPUID_ENC("67-f2", ".byte 0x67, 0xf2, 0x0f, 0xa2");
	CPUID_ENC("rex.w", ".byte 0x48, 0x0f, 0xa2");
	CPUID_ENC("66-rex", ".byte 0x66, 0x41, 0x0f, 0xa2");
	CPUID_ENC("rex-66", ".byte 0x48, 0x66, 0x0f, 0xa2");
	/* 13 prefixes + 0F A2: the longest legal CPUID, 15 bytes. */
	CPUID_ENC("15-bytes", ".fill 13, 1, 0x66; .byte 0x0f, 0xa2");
	/* 16 bytes is #GP on the CPU: not a CPUID, SIGSEGV. */
	signal(SIGSEGV, on_segv);
	if (sigsetjmp(segv_jmp, 1)) {
		printf("16-bytes sigsegv\n");
	} else {
		CPUID_ENC("16-bytes", ".fill 14, 1, 0x66; .byte 0x0f, 0xa2");
	}
	signal(SIGSEGV, on_segv);
	if (sigsetjmp(segv_jmp, 1)) {
		printf("hlt sigsegv\n");
		return 0;
	}
	__asm__ volatile("hlt");
	printf("hlt returned\n");
	return 0;
}

static long arch_prctl(int op, unsigned long arg)
{
	return syscall(SYS_arch_prctl, op, arg) < 0 ? -errno : 0;
}

static int cmd_selfarm(void)
{
	long r = arch_prctl(ARCH_SET_CPUID, 0);

	printf("set0=%s get=%ld\n", errname(-r), syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0));
	cpuid_or_segv("cpuid", 0, 0);
	return 0;
}

/* rr-style ARCH_SET_CPUID(0), then a forked child executes CPUID. */
static int cmd_selfarm_fork(void)
{
	int status;
	pid_t pid;

	printf("set0=%s\n", errname(-arch_prctl(ARCH_SET_CPUID, 0)));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		printf("child get=%ld\n", syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0));
		cpuid_or_segv("child cpuid", 6, 0);
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* rr-style ARCH_SET_CPUID(0), then exec PROG: the new program is not armed. */
static int cmd_selfarm_exec(char **argv)
{
	printf("set0=%s\n", errname(-arch_prctl(ARCH_SET_CPUID, 0)));
	fflush(stdout);
	execv(argv[0], argv);
	die(argv[0]);
	return 1;
}

/*
 * CPUID(6) with junk in the upper halves of RAX..RDX: in 64-bit mode CPUID
 * zero-extends its 32-bit results, so must the emulation.
 */
static int cmd_zext(void)
{
	uint64_t a = 0xdeadbeef00000006ULL, b = 0xfeedface12345678ULL;
	uint64_t c = 0xcafebabe00000000ULL, d = 0x1111111122222222ULL;

	__asm__ volatile("cpuid" : "+a"(a), "+b"(b), "+c"(c), "+d"(d));
	printf("rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n",
	       (unsigned long long)a, (unsigned long long)b,
	       (unsigned long long)c, (unsigned long long)d);
	return 0;
}

static int cmd_prctl(void)
{
	long get = syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0);
	long s0 = arch_prctl(ARCH_SET_CPUID, 0);
	long s1 = arch_prctl(ARCH_SET_CPUID, 1);

	printf("get=%ld set0=%s set1=%s get=%ld\n", get, errname(-s0), errname(-s1),
	       syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0));
	return 0;
}

/* rr-style task that later gets masked: ARCH_GET_CPUID keeps the truth. */
static int cmd_wait(int arm, const char *fifo, uint32_t leaf, uint32_t sub)
{
	char line[64];
	FILE *f;

	if (arm)
		printf("set0=%s\n", errname(-arch_prctl(ARCH_SET_CPUID, 0)));
	else
		printf("ready\n");
	fflush(stdout);
	for (;;) {
		f = fopen(fifo, "r");
		if (!f)
			die(fifo);
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
		if (!strncmp(line, "quit", 4))
			return 0;
		printf("get=%ld\n", syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0));
		cpuid_or_segv("cpuid", leaf, sub);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	struct stat st;
	const char *cmd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "-U")) {
		unpriv = 1;
		argc--;
		argv++;
	}
	if (argc < 2)
		usage();
	cmd = argv[1];
	argc -= 2;
	argv += 2;

	/* Commands that need no device. */
	if (!strcmp(cmd, "cgid") && argc == 1) {
		if (stat(argv[0], &st))
			die(argv[0]);
		printf("%llu\n", (unsigned long long)st.st_ino);
		return 0;
	}
	if (!strcmp(cmd, "clone-into") && argc == 3)
		return cmd_clone_into(argv[0], num(argv[1]), num(argv[2]));
	if (!strcmp(cmd, "spin-move") && argc == 1)
		return cmd_spin_move(argv[0]);
	if (!strcmp(cmd, "spin-move-in") && argc == 3)
		return cmd_spin_move_in(argv[0], argv[1], (int)num(argv[2]));
	if (!strcmp(cmd, "fork") && argc == 2)
		return cmd_fork(num(argv[0]), num(argv[1]));
	if (!strcmp(cmd, "move-self"))
		return cmd_move_self(argc, argv);
	if (!strcmp(cmd, "threads") && argc == 3)
		return cmd_threads(num(argv[0]), num(argv[1]), num(argv[2]));
	if (!strcmp(cmd, "selfarm") && !argc)
		return cmd_selfarm();
	if (!strcmp(cmd, "selfarm-fork") && !argc)
		return cmd_selfarm_fork();
	if (!strcmp(cmd, "selfarm-exec") && argc >= 1)
		return cmd_selfarm_exec(argv);
	if (!strcmp(cmd, "zext") && !argc)
		return cmd_zext();
	if (!strcmp(cmd, "spin-threads") && argc == 3)
		return cmd_spin_threads(argv[0], argv[1], (int)num(argv[2]));
	if (!strcmp(cmd, "prefixes") && !argc)
		return cmd_prefixes();
	if (!strcmp(cmd, "prctl") && !argc)
		return cmd_prctl();
	if (!strcmp(cmd, "asked-wait") && argc == 3)
		return cmd_wait(1, argv[0], num(argv[1]), num(argv[2]));
	if (!strcmp(cmd, "wait-cpuid") && argc == 3)
		return cmd_wait(0, argv[0], num(argv[1]), num(argv[2]));

	open_dev();
	if (!strcmp(cmd, "suspend") && argc == 2)
		return cmd_suspend(num(argv[0]), num(argv[1]));
	if (!strcmp(cmd, "version") && !argc)
		return cmd_version();
	if (!strcmp(cmd, "status") && !argc)
		return cmd_status();
	if (!strcmp(cmd, "list") && !argc)
		return cmd_list();
	if (!strcmp(cmd, "selftest") && !argc)
		return cmd_selftest();
	if (!strcmp(cmd, "refresh") && !argc)
		return cmd_refresh();
	if (!strcmp(cmd, "cpuid-count"))
		return cmd_cpuid_count(argc, argv);
	if (!strcmp(cmd, "query") && argc == 1)
		return cmd_query(argv[0]);
	if (!strcmp(cmd, "attach"))
		return cmd_attach(argc, argv);
	if (!strcmp(cmd, "detach"))
		return cmd_detach(argc, argv);
	if (!strcmp(cmd, "errors") && argc == 2)
		return cmd_errors(argv[0], argv[1]);
	if (!strcmp(cmd, "fill") && argc == 1)
		return cmd_fill(argv[0]);
	if (!strcmp(cmd, "spin-attach") && argc == 1)
		return cmd_spin_attach(argv[0]);
	if (!strcmp(cmd, "spin-replace") && argc == 2)
		return cmd_spin_replace(argv[0], num(argv[1]));
	if (!strcmp(cmd, "spin-detach") && argc == 1)
		return cmd_spin_detach(argv[0]);
	if (!strcmp(cmd, "selftest-notrap") && !argc)
		return cmd_selftest_notrap();
	usage();
	return 2;
}
