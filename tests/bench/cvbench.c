// SPDX-License-Identifier: GPL-2.0
/*
 * cvbench: micro-benchmarks for cpuidvirt (issue 6).
 *
 * Every measurement prints one machine-parseable line
 *
 *	@bench row=NAME median_ns=X p99_ns=Y batches=N ops=M [key=value...]
 *
 * and informational lines start with "@info". The host formats them into
 * the table of docs/bench.md (tests/bench/format.awk). A benchmark never
 * fails on a number. Exit status: 0 ok; 1 when a measurement could not be
 * taken at all (the line then says "row=NAME skip=WHY"); 3 when a check
 * failed: a CPUID answer differed from the expected one (checked before
 * warm-up, after every timed batch and at the end), or a thread was not
 * armed when ATTACH returned.
 *
 * Timing: CLOCK_MONOTONIC around a batch of operations; the per-operation
 * time of each batch is one sample, median and p99 are over batches.
 * Latency benches pin themselves to one CPU so that leaf 1's APIC ID (and
 * the answer checks) stay stable.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/cpuidvirt.h>

#define DEV_PATH	"/dev/" CPUIDVIRT_DEVICE_NAME

struct regs {
	uint32_t a, b, c, d;
};

/* The leaves issue 6 asks for; each batch cycles through them. */
static const uint32_t bench_leaves[] = { 0x0, 0x1, 0x7, 0xd };
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NR_LEAVES	ARRAY_SIZE(bench_leaves)

/*
 * The bench profile, a plausible "older CPU": no RDRAND/F16C (leaf 1
 * ECX), no AVX2/BMI2/ADX (leaf 7.0 EBX). The signal-based emulation
 * applies the very same rules so both rows do the same work; the checks
 * use expect_masked() below instead, so that neither emulation is judged
 * by its own tables.
 */
static const struct cpuidvirt_rule bench_rules[] = {
	{
		.leaf = 0x1, .flags = CPUIDVIRT_RULE_ANY_SUBLEAF,
		.and = { ~0u, ~0u, ~((1u << 30) | (1u << 29)), ~0u },
	},
	{
		.leaf = 0x7, .subleaf = 0,
		.and = { ~0u, ~((1u << 5) | (1u << 8) | (1u << 19)), ~0u, ~0u },
	},
};
#define NR_RULES	ARRAY_SIZE(bench_rules)

static int opt_batches = 300;
static int opt_reps = 16;	/* ops per batch = opt_reps * NR_LEAVES */
static int opt_warmup = 10;
static int opt_cpu;
static const char *opt_cgroup;
static const char *opt_label;
static int opt_counters;
static int opt_masked;	/* -m: answers must be the masked ones */

#define EXIT_CHECK	3	/* a check failed (see the top comment) */

static int parse_int(const char *s, int min);

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("cvbench: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static inline void cpuid2(uint32_t leaf, uint32_t sub, struct regs *r)
{
	asm volatile("cpuid"
		     : "=a"(r->a), "=b"(r->b), "=c"(r->c), "=d"(r->d)
		     : "a"(leaf), "c"(sub));
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts s[]; p is a fraction, nearest-rank. */
static double pct(double *s, int n, double p)
{
	int i;

	qsort(s, n, sizeof(*s), cmp_double);
	i = (int)(p * n + 0.999999) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return s[i];
}

static void report(const char *row, double *samples, int n, int ops,
		   const char *extra)
{
	double med = pct(samples, n, 0.5);
	double p99 = pct(samples, n, 0.99);

	printf("@bench row=%s median_ns=%.1f p99_ns=%.1f batches=%d ops=%d%s%s\n",
	       row, med, p99, n, ops, extra && *extra ? " " : "",
	       extra ? extra : "");
	fflush(stdout);
}

static void skip(const char *row, const char *why)
{
	printf("@bench row=%s skip=%s\n", row, why);
	fflush(stdout);
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity(cpu %d): %s", cpu, strerror(errno));
}

/* Move the calling process into a cgroup v2 directory. */
static void enter_cgroup(const char *dir)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	if (write(fd, "0", 1) != 1)
		die("moving into %s: %s", dir, strerror(errno));
	close(fd);
}

/* ------------------------------------------------------------------ */
/* /dev/cpuidvirt                                                      */

static int dev_fd = -1;

static int dev_open(void)
{
	if (dev_fd < 0)
		dev_fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	return dev_fd;
}

static int dev_status(struct cpuidvirt_status *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (dev_open() < 0)
		return -1;
	return ioctl(dev_fd, CPUIDVIRT_IOC_STATUS, st);
}

static uint64_t cgroup_id_of(const char *dir)
{
	struct stat sb;

	if (stat(dir, &sb))
		die("stat %s: %s", dir, strerror(errno));
	return sb.st_ino;
}

/* Per-profile counter of the profile on cgroup id, -1 if not found. */
static int64_t profile_emulated(uint64_t id)
{
	struct cpuidvirt_list l = { .size = sizeof(l) };
	struct cpuidvirt_list_entry *e;
	int64_t ret = -1;
	uint32_t n, i;

	if (dev_open() < 0 || ioctl(dev_fd, CPUIDVIRT_IOC_LIST, &l))
		return -1;
	n = l.nr_entries;
	e = calloc(n ? n : 1, sizeof(*e));
	if (!e)
		return -1;
	l.nr_entries = n;
	l.entries = (uintptr_t)e;
	if (!ioctl(dev_fd, CPUIDVIRT_IOC_LIST, &l)) {
		if (l.nr_entries < n)
			n = l.nr_entries;
		for (i = 0; i < n; i++)
			if (e[i].cgroup_id == id)
				ret = (int64_t)e[i].emulated;
	}
	free(e);
	return ret;
}

static int attach_fd(int cgfd, const char *name, uint32_t flags)
{
	struct cpuidvirt_attach at = {
		.size = sizeof(at),
		.flags = flags,
		.cgroup_fd = cgfd,
		.nr_rules = NR_RULES,
		.rules = (uintptr_t)bench_rules,
	};

	snprintf(at.name, sizeof(at.name), "%s", name);
	if (dev_open() < 0)
		return -1;
	return ioctl(dev_fd, CPUIDVIRT_IOC_ATTACH, &at);
}

static void attach_dir(const char *dir, const char *name)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		die("open %s: %s", dir, strerror(errno));
	if (dev_open() < 0)
		die("open %s: %s (is the module loaded?)", DEV_PATH,
		    strerror(errno));
	if (attach_fd(fd, name, CPUIDVIRT_ATTACH_REPLACE))
		die("ATTACH %s: %s", dir, strerror(errno));
	close(fd);
}

static int query_armed(pid_t pid)
{
	struct cpuidvirt_query q = { .size = sizeof(q), .pid = pid };

	if (ioctl(dev_fd, CPUIDVIRT_IOC_QUERY, &q))
		return -1;
	return q.armed;
}

/* ------------------------------------------------------------------ */
/* Native answers and the mask                                         */

static struct regs native_tab[NR_LEAVES];

static void apply_rules(uint32_t leaf, uint32_t sub, struct regs *r)
{
	const struct cpuidvirt_rule *best = NULL;
	unsigned int i;

	for (i = 0; i < NR_RULES; i++) {
		const struct cpuidvirt_rule *ru = &bench_rules[i];

		if (ru->leaf != leaf)
			continue;
		if (!(ru->flags & CPUIDVIRT_RULE_ANY_SUBLEAF) &&
		    ru->subleaf == sub) {
			best = ru;
			break;
		}
		if (ru->flags & CPUIDVIRT_RULE_ANY_SUBLEAF)
			best = ru;
	}
	if (!best)
		return;
	r->a = (r->a & best->and[0]) | best->or[0];
	r->b = (r->b & best->and[1]) | best->or[1];
	r->c = (r->c & best->and[2]) | best->or[2];
	r->d = (r->d & best->and[3]) | best->or[3];
}

/*
 * The checks' own reference: native answers read separately from
 * native_tab (which the signal emulation answers from), with the bench
 * profile applied by expect_masked(), written from the SDM's bit
 * positions rather than from bench_rules[].
 */
static struct regs ref_tab[NR_LEAVES];

/* Capture native answers; must run before faulting is armed. */
static void capture_native(void)
{
	unsigned int i;

	for (i = 0; i < NR_LEAVES; i++)
		cpuid2(bench_leaves[i], 0, &native_tab[i]);
	for (i = 0; i < NR_LEAVES; i++)
		cpuid2(bench_leaves[i], 0, &ref_tab[i]);
}

/* Intel SDM vol. 2A, CPUID leaf 01H ECX and leaf 07H.0 EBX. */
#define L1_ECX_F16C	(1u << 29)
#define L1_ECX_RDRAND	(1u << 30)
#define L7_EBX_AVX2	(1u << 5)
#define L7_EBX_BMI2	(1u << 8)
#define L7_EBX_ADX	(1u << 19)

static struct regs expect_masked(uint32_t leaf, struct regs r)
{
	if (leaf == 1)
		r.c &= ~(L1_ECX_F16C | L1_ECX_RDRAND);
	if (leaf == 7)
		r.b &= ~(L7_EBX_AVX2 | L7_EBX_BMI2 | L7_EBX_ADX);
	return r;
}

/* What leaf bench_leaves[i] must answer: native, or the profile's view. */
static struct regs expected(unsigned int i, int masked)
{
	return masked ? expect_masked(bench_leaves[i], ref_tab[i]) : ref_tab[i];
}

/*
 * Compare @got[] (one answer per bench leaf) with what is expected; the
 * differences are printed unless @when is NULL.
 */
static int diff_answers(const struct regs *got, int masked, const char *row,
			const char *when)
{
	int bad = 0;
	unsigned int i;

	for (i = 0; i < NR_LEAVES; i++) {
		struct regs want = expected(i, masked);

		if (memcmp(&want, &got[i], sizeof(want))) {
			if (when)
				fprintf(stderr,
					"cvbench: %s: %s: leaf %#x: got %08x %08x %08x %08x, want %08x %08x %08x %08x\n",
					row, when, bench_leaves[i], got[i].a,
					got[i].b, got[i].c, got[i].d, want.a,
					want.b, want.c, want.d);
			bad++;
		}
	}
	return bad;
}

/* Ask every bench leaf now and compare. Returns the leaves that differ. */
static int check_answers(int masked, const char *row, const char *when)
{
	struct regs got[NR_LEAVES];
	unsigned int i;

	for (i = 0; i < NR_LEAVES; i++)
		cpuid2(bench_leaves[i], 0, &got[i]);
	return diff_answers(got, masked, row, when);
}

/* ------------------------------------------------------------------ */
/* Signal-based emulation, the libvirtcpuid way (seed 002)             */

static void sigsegv_emulate(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	greg_t *g = uc->uc_mcontext.gregs;
	const unsigned char *ip = (const unsigned char *)g[REG_RIP];
	uint32_t leaf = (uint32_t)g[REG_RAX], sub = (uint32_t)g[REG_RCX];
	struct regs r;
	unsigned int i;

	(void)sig;
	(void)si;
	if (ip[0] != 0x0f || ip[1] != 0xa2) {
		/* Not ours: die the way we would have without the handler. */
		signal(SIGSEGV, SIG_DFL);
		return;
	}
	for (i = 0; i < NR_LEAVES; i++)
		if (bench_leaves[i] == leaf && sub == 0)
			break;
	if (i < NR_LEAVES) {
		/* libvirtcpuid answers from a table read before arming. */
		r = native_tab[i];
	} else {
		/* Rare path: disarm, ask the CPU, re-arm. */
		syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
		cpuid2(leaf, sub, &r);
		syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
	}
	apply_rules(leaf, sub, &r);
	g[REG_RAX] = r.a;
	g[REG_RBX] = r.b;
	g[REG_RCX] = r.c;
	g[REG_RDX] = r.d;
	g[REG_RIP] += 2;
}

static volatile sig_atomic_t segv_hit;

static void sigsegv_note(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;

	(void)sig;
	(void)si;
	segv_hit = 1;
	/* Skip the faulting sgdt (0F 01 /0 with a RIP-relative/abs mem). */
	uc->uc_mcontext.gregs[REG_RIP] += 7;
}

/* ------------------------------------------------------------------ */
/* Latency loops                                                       */

enum lat_mode { LAT_CPUID, LAT_SIGNAL, LAT_SGDT, LAT_GETPPID, LAT_PIPE };

/* The pipe ping-pong partner (LAT_PIPE): echoes each byte back. */
static int pipe_to = -1, pipe_from = -1;

static void pipe_partner_start(int cpu)
{
	int a[2], b[2];
	pid_t pid;
	char c;

	if (pipe(a) || pipe(b))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		pin_cpu(cpu);
		close(a[1]);
		close(b[0]);
		while (read(a[0], &c, 1) == 1)
			if (write(b[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	pipe_to = a[1];
	pipe_from = b[0];
}

struct __attribute__((packed)) dtr {
	uint16_t limit;
	uint64_t base;
};

static struct dtr gdt_buf __attribute__((used));

/*
 * Fixed 7-byte encoding (0F 01 05 rel32, RIP-relative) so the SIGSEGV
 * fallback can skip it.
 */
static inline void do_sgdt(void)
{
	asm volatile(".byte 0x0f, 0x01, 0x05\n\t.long gdt_buf - 1f\n1:"
		     ::: "memory");
}

/*
 * One timed batch. CPUID modes keep each leaf's last answer in @last, for
 * the check after the batch (outside the timed part).
 */
static double batch_once(enum lat_mode m, int reps, int ops,
			 struct regs *last)
{
	uint64_t t0, t1;
	int i;
	unsigned int j;

	t0 = now_ns();
	switch (m) {
	case LAT_CPUID:
	case LAT_SIGNAL:
		for (i = 0; i < reps; i++)
			for (j = 0; j < NR_LEAVES; j++)
				cpuid2(bench_leaves[j], 0, &last[j]);
		break;
	case LAT_SGDT:
		for (i = 0; i < ops; i++)
			do_sgdt();
		break;
	case LAT_GETPPID:
		for (i = 0; i < ops; i++)
			syscall(SYS_getppid);
		break;
	case LAT_PIPE: {
		/* One op: a byte there and back, two context switches. */
		char c = 'p';

		for (i = 0; i < ops; i++)
			if (write(pipe_to, &c, 1) != 1 ||
			    read(pipe_from, &c, 1) != 1)
				die("ping-pong: %s", strerror(errno));
		break;
	}
	}
	t1 = now_ns();
	return (double)(t1 - t0) / ops;
}

/*
 * One latency row. Counters (-k) are read right around each batch, so a
 * row's deltas are its own even when rows take turns (cmd_multi).
 */
struct lat {
	const char *row, *cgroup;
	enum lat_mode m;
	int masked, counters, reps, ops, n;
	int bad;		/* answer checks that failed */
	int checks;		/* answer checks made */
	struct regs last[NR_LEAVES];
	uint64_t cgid;
	uint64_t emulated, stale, foreign, real;
	int64_t prof;		/* profile counter delta, -1 if unknown */
	double *s;
	int nparams;		/* p=NAME=VALUE: module parameters per batch */
	char *param[4];
};

/*
 * Set this row's module parameters (p=NAME=VALUE) before each of its
 * batches, outside the timing: rows with different settings can take
 * turns (the old path, native_cache=0, next to the new one).
 */
static void lat_params(struct lat *l)
{
	char path[256], *eq;
	int i, fd;

	for (i = 0; i < l->nparams; i++) {
		eq = strchr(l->param[i], '=');
		snprintf(path, sizeof(path), "/sys/module/cpuidvirt/parameters/%.*s",
			 (int)(eq - l->param[i]), l->param[i]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, eq + 1, strlen(eq + 1)) < 0)
			die("%s: %s", path, strerror(errno));
		close(fd);
	}
}

static int lat_setup(struct lat *l, const char *mode)
{
	if (!strcmp(mode, "cpuid"))
		l->m = LAT_CPUID;
	else if (!strcmp(mode, "signal"))
		l->m = LAT_SIGNAL;
	else if (!strcmp(mode, "sgdt"))
		l->m = LAT_SGDT;
	else if (!strcmp(mode, "getppid"))
		l->m = LAT_GETPPID;
	else if (!strcmp(mode, "pipe"))
		l->m = LAT_PIPE;
	else
		die("unknown latency mode '%s' (cpuid, signal, sgdt, getppid, pipe)",
		    mode);
	if (!l->reps)
		l->reps = opt_reps;
	l->ops = l->reps * (int)NR_LEAVES;
	l->s = calloc(opt_batches, sizeof(*l->s));
	if (!l->s)
		die("out of memory");

	pin_cpu(opt_cpu);
	capture_native();
	if (l->m == LAT_PIPE)
		pipe_partner_start(opt_cpu);

	if (l->m == LAT_SIGNAL) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = sigsegv_emulate;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSEGV, &sa, NULL);
		if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0)) {
			char why[64];

			snprintf(why, sizeof(why), "arch_prctl_%s",
				 errno == ENODEV ? "ENODEV" :
				 errno == EPERM ? "EPERM" : "failed");
			skip(l->row, why);
			return -1;
		}
		l->masked = 1;
	}
	if (l->m == LAT_SGDT) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = sigsegv_note;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSEGV, &sa, NULL);
		do_sgdt();
		if (segv_hit) {
			skip(l->row, "sgdt_sigsegv");
			return -1;
		}
		/* UMIP's spoofed 64-bit GDT base (arch/x86/kernel/umip.c). */
		if (gdt_buf.base != 0xfffffffffffe0000ull) {
			skip(l->row, "no_umip_emulation");
			return -1;
		}
	}
	if (l->cgroup) {
		l->cgid = cgroup_id_of(l->cgroup);
		enter_cgroup(l->cgroup);
	}
	if (l->counters && dev_open() < 0)
		die("open %s: %s", DEV_PATH, strerror(errno));
	l->prof = l->counters > 1 ? 0 : -1;
	/* Masked if a profile applies to us or we emulate ourselves. */
	l->masked = l->masked || opt_masked;
	if (l->m == LAT_CPUID || l->m == LAT_SIGNAL) {
		l->bad += check_answers(l->masked, l->row, "before warm-up") > 0;
		l->checks++;
	}
	lat_params(l);
	for (int i = 0; i < opt_warmup; i++)
		batch_once(l->m, l->reps, l->ops, l->last);
	return 0;
}

static void lat_batch(struct lat *l)
{
	struct cpuidvirt_status st0, st1;
	int64_t p0 = -1, p1 = -1;

	lat_params(l);
	if (l->counters) {
		if (dev_status(&st0))
			die("STATUS: %s", strerror(errno));
		if (l->prof >= 0)
			p0 = profile_emulated(l->cgid);
	}
	l->s[l->n++] = batch_once(l->m, l->reps, l->ops, l->last);
	/* The answers of the timed CPUIDs themselves, every batch. */
	if (l->m == LAT_CPUID || l->m == LAT_SIGNAL) {
		char when[48];

		snprintf(when, sizeof(when), "timed batch %d", l->n);
		/* One report per row is enough to diagnose; count them all. */
		if (diff_answers(l->last, l->masked, l->row,
				 l->bad < 3 ? when : NULL) > 0)
			l->bad++;
		l->checks++;
	}
	if (l->counters) {
		if (dev_status(&st1))
			die("STATUS: %s", strerror(errno));
		l->emulated += st1.emulated - st0.emulated;
		l->stale += st1.stale_repaired - st0.stale_repaired;
		l->foreign += st1.foreign - st0.foreign;
		l->real += st1.real_cpuids - st0.real_cpuids;
		if (l->prof >= 0) {
			p1 = profile_emulated(l->cgid);
			if (p0 < 0 || p1 < 0)
				l->prof = -1;
			else
				l->prof += p1 - p0;
		}
	}
}

/* Prints the row; returns 0, or EXIT_CHECK if an answer check failed. */
static int lat_report(struct lat *l)
{
	struct cpuidvirt_status st;
	char extra[512] = "";
	size_t n = 0;

	if (l->m == LAT_CPUID || l->m == LAT_SIGNAL) {
		l->bad += check_answers(l->masked, l->row, "after the last batch") > 0;
		l->checks++;
	}
	if (l->m == LAT_SIGNAL)
		syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
	if (l->m == LAT_CPUID || l->m == LAT_SIGNAL)
		n += snprintf(extra + n, sizeof(extra) - n,
			      "answers=%s checks=%d wrong=%d",
			      l->bad ? "wrong" : "ok", l->checks, l->bad);
	if (l->counters) {
		if (dev_status(&st))
			die("STATUS: %s", strerror(errno));
		n += snprintf(extra + n, sizeof(extra) - n,
			      "%semulated=%llu stale=%llu foreign=%llu real=%llu profiles=%u",
			      n ? " " : "", (unsigned long long)l->emulated,
			      (unsigned long long)l->stale,
			      (unsigned long long)l->foreign,
			      (unsigned long long)l->real, st.nr_profiles);
		if (l->prof >= 0)
			n += snprintf(extra + n, sizeof(extra) - n,
				      " prof_emulated=%lld", (long long)l->prof);
		n += snprintf(extra + n, sizeof(extra) - n, " armed=%d",
			      query_armed(getpid()));
	}
	if (l->cgroup) {
		int depth = 0;
		const char *p = l->cgroup + strlen("/sys/fs/cgroup");

		for (; *p; p++)
			depth += *p == '/';
		snprintf(extra + n, sizeof(extra) - n, " depth=%d", depth);
	}
	report(l->row, l->s, l->n, l->ops, extra);
	free(l->s);
	return l->bad ? EXIT_CHECK : 0;
}

static int cmd_lat(const char *mode)
{
	struct lat l = {
		.row = opt_label ? opt_label : mode,
		.cgroup = opt_cgroup,
		.counters = opt_counters,
	};
	int i;

	if (lat_setup(&l, mode))
		return 1;
	for (i = 0; i < opt_batches; i++)
		lat_batch(&l);
	return lat_report(&l);
}

/*
 * multi ROW:MODE[:CGROUP][:k|kk][:m][:r=REPS][:p=PARAM=VALUE]...
 * One worker process per row, all pinned to the same CPU; the parent hands
 * out batches round-robin, so every row sees the same (TCG, shared host)
 * conditions over time and their ratios stay meaningful under load.
 */
/*
 * opt_batches rounds: each live worker runs one batch, in turn; a worker
 * that stops answering is dead.
 */
static void run_batches(int nw, int (*to)[2], int (*from)[2], char *alive)
{
	int b, i;

	for (b = 0; b < opt_batches; b++)
		for (i = 0; i < nw; i++) {
			char c = 'b';

			if (!alive[i])
				continue;
			if (write(to[i][1], &c, 1) != 1 ||
			    read(from[i][0], &c, 1) != 1)
				alive[i] = 0;
		}
}

static int cmd_multi(int argc, char **argv)
{
	int nw = argc, i, ret = 0;
	int (*to)[2] = calloc(nw, sizeof(*to)), (*from)[2] = calloc(nw, sizeof(*from));
	pid_t *pids = calloc(nw, sizeof(*pids));
	char *alive = calloc(nw, 1);

	if (!to || !from || !pids || !alive)
		die("out of memory");
	fflush(stdout);
	for (i = 0; i < nw; i++) {
		char *spec = strdup(argv[i]), *tok, *save = NULL;
		struct lat l = { 0 };
		const char *mode;
		char c, ok;

		l.row = strtok_r(spec, ":", &save);
		mode = strtok_r(NULL, ":", &save);
		if (!l.row || !mode)
			die("bad row spec '%s' (ROW:MODE[:CGROUP][:k|kk][:m][:r=REPS])", argv[i]);
		while ((tok = strtok_r(NULL, ":", &save))) {
			if (tok[0] == '/')
				l.cgroup = tok;
			else if (!strcmp(tok, "k"))
				l.counters = 1;
			else if (!strcmp(tok, "kk"))
				l.counters = 2;
			else if (!strcmp(tok, "m"))
				opt_masked = 1;
			else if (!strncmp(tok, "r=", 2))
				l.reps = parse_int(tok + 2, 1);
			else if (!strncmp(tok, "p=", 2) && strchr(tok + 2, '=') &&
				 l.nparams < 4)
				l.param[l.nparams++] = tok + 2;
			else
				die("bad row option '%s' in '%s'", tok, argv[i]);
		}
		if (pipe(to[i]) || pipe(from[i]))
			die("pipe: %s", strerror(errno));
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork: %s", strerror(errno));
		if (pids[i] == 0) {
			ok = lat_setup(&l, mode) ? 0 : 1;
			if (write(from[i][1], &ok, 1) != 1 || !ok)
				_exit(1);
			while (read(to[i][0], &c, 1) == 1 && c == 'b') {
				lat_batch(&l);
				if (write(from[i][1], &c, 1) != 1)
					_exit(1);
			}
			_exit(lat_report(&l));
		}
		opt_masked = 0;
		/* Serialise set-up so one worker's check does not overlap. */
		if (read(from[i][0], &ok, 1) == 1 && ok)
			alive[i] = 1;
		else
			waitpid(pids[i], NULL, 0);
		free(spec);
	}
	run_batches(nw, to, from, alive);
	for (i = 0; i < nw; i++) {
		char c = 'q';
		int status;

		if (!alive[i])
			continue;
		/* One at a time, so the report lines do not interleave. */
		if (write(to[i][1], &c, 1) != 1 ||
		    waitpid(pids[i], &status, 0) != pids[i])
			continue;
		if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_CHECK)
			ret = EXIT_CHECK;
		else if ((!WIFEXITED(status) || WEXITSTATUS(status)) && !ret)
			ret = 1;
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* Context switches                                                    */

/* B of a ctxsw pair: echo every byte back until a 'q'. */
static void ctxsw_echo(int in, int out)
{
	char c;

	while (read(in, &c, 1) == 1 && c == 'x')
		if (write(out, &c, 1) != 1)
			break;
	_exit(0);
}

static void ctxsw_enter(const char *cg)
{
	if (strcmp(cg, "-"))
		enter_cgroup(cg);
}

/*
 * One ctxsw row, in a worker: A (this process) and B (its child), both
 * pinned to one CPU, A in CGA and B in CGB, bounce a byte over two pipes.
 * A round trip is two context switches (and four pipe system calls); a
 * sample is a batch of 64 * REPS round trips, its time per switch.
 */
static void ctxsw_worker(const char *row, const char *cga, const char *cgb,
			 int ctl_in, int ctl_out)
{
	int ab[2], ba[2], rounds = 64 * opt_reps, n = 0, i;
	double *s = calloc(opt_batches, sizeof(*s));
	char c, ok = 1;
	uint64_t t0;
	pid_t b;

	if (!s)
		die("out of memory");
	pin_cpu(opt_cpu);
	if (pipe(ab) || pipe(ba))
		die("pipe: %s", strerror(errno));
	b = fork();
	if (b < 0)
		die("fork: %s", strerror(errno));
	if (b == 0) {
		ctxsw_enter(cgb);
		ctxsw_echo(ab[0], ba[1]);
	}
	ctxsw_enter(cga);
	for (i = 0; i < opt_warmup * rounds; i++)
		if (write(ab[1], "x", 1) != 1 || read(ba[0], &c, 1) != 1)
			ok = 0;
	if (write(ctl_out, &ok, 1) != 1 || !ok)
		_exit(1);
	while (read(ctl_in, &c, 1) == 1 && c == 'b') {
		t0 = now_ns();
		for (i = 0; i < rounds; i++)
			if (write(ab[1], "x", 1) != 1 || read(ba[0], &c, 1) != 1)
				die("%s: the echo process is gone", row);
		s[n++] = (double)(now_ns() - t0) / (2.0 * rounds);
		if (write(ctl_out, "b", 1) != 1)
			_exit(1);
	}
	if (write(ab[1], "q", 1) == 1)
		waitpid(b, NULL, 0);
	report(row, s, n, 2 * rounds, "unit=switch");
	_exit(0);
}

/*
 * ctxsw ROW:CGA:CGB...: one pair per row ("-" keeps the pair where it
 * is); the rows take turns batch by batch, as in multi.
 */
static int cmd_ctxsw(int nw, char **argv)
{
	int (*to)[2] = calloc(nw, sizeof(*to)), (*from)[2] = calloc(nw, sizeof(*from));
	pid_t *pids = calloc(nw, sizeof(*pids));
	char *alive = calloc(nw, 1);
	int i, ret = 0;

	if (!to || !from || !pids || !alive)
		die("out of memory");
	fflush(stdout);
	for (i = 0; i < nw; i++) {
		char *spec = strdup(argv[i]), *save = NULL;
		char *row = strtok_r(spec, ":", &save);
		char *cga = strtok_r(NULL, ":", &save);
		char *cgb = strtok_r(NULL, ":", &save);
		char ok;

		if (!row || !cga || !cgb)
			die("bad row spec '%s' (ROW:CGA:CGB)", argv[i]);
		if (pipe(to[i]) || pipe(from[i]))
			die("pipe: %s", strerror(errno));
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork: %s", strerror(errno));
		if (pids[i] == 0)
			ctxsw_worker(row, cga, cgb, to[i][0], from[i][1]);
		if (read(from[i][0], &ok, 1) == 1 && ok)
			alive[i] = 1;
		else
			waitpid(pids[i], NULL, 0);
		free(spec);
	}
	run_batches(nw, to, from, alive);
	for (i = 0; i < nw; i++) {
		int status;

		if (!alive[i])
			continue;
		if (write(to[i][1], "q", 1) != 1 ||
		    waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			ret = 1;
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* Start-up: fork + exec + exit of a program                           */

/*
 * startup PROG ROW:CGROUP...: samples alternate between the rows; each
 * child moves itself into its row's cgroup, then execs PROG, so every row
 * pays the same fork + cgroup move and only the profile differs. Global
 * counters are read around each sample, so the CPUIDs PROG ran under a
 * profile are attributed to that row.
 */
static int cmd_startup(const char *prog, int nrows, char **specs)
{
	char *const argv[] = { (char *)prog, NULL };
	char *const envp[] = { "PATH=/bin:/usr/bin", NULL };
	const char **rows = calloc(nrows, sizeof(*rows));
	const char **cgs = calloc(nrows, sizeof(*cgs));
	uint64_t *em = calloc(nrows, sizeof(*em));
	double **s = calloc(nrows, sizeof(*s));
	int i, r, status;

	if (!rows || !cgs || !em || !s)
		die("out of memory");
	if (access(prog, X_OK))
		die("%s: %s", prog, strerror(errno));
	if (opt_counters && dev_open() < 0)
		die("open %s: %s", DEV_PATH, strerror(errno));
	for (r = 0; r < nrows; r++) {
		char *c = strchr(specs[r], ':');

		if (!c || c[1] != '/')
			die("bad row spec '%s' (ROW:CGROUPDIR)", specs[r]);
		*c = '\0';
		rows[r] = specs[r];
		cgs[r] = c + 1;
		s[r] = calloc(opt_batches, sizeof(**s));
		if (!s[r])
			die("out of memory");
	}
	for (i = -opt_warmup; i < opt_batches; i++) {
		for (r = 0; r < nrows; r++) {
			struct cpuidvirt_status st0, st1;
			uint64_t t0, t1;
			pid_t pid;

			if (opt_counters && dev_status(&st0))
				die("STATUS: %s", strerror(errno));
			t0 = now_ns();
			pid = fork();
			if (pid < 0)
				die("fork: %s", strerror(errno));
			if (pid == 0) {
				enter_cgroup(cgs[r]);
				execve(prog, argv, envp);
				_exit(127);
			}
			if (waitpid(pid, &status, 0) != pid)
				die("waitpid: %s", strerror(errno));
			t1 = now_ns();
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				die("%s exited with status %#x", prog, status);
			if (i < 0)
				continue;
			s[r][i] = (double)(t1 - t0);
			if (opt_counters) {
				if (dev_status(&st1))
					die("STATUS: %s", strerror(errno));
				em[r] += st1.emulated - st0.emulated;
			}
		}
	}
	for (r = 0; r < nrows; r++) {
		char extra[128] = "";

		if (opt_counters)
			snprintf(extra, sizeof(extra),
				 "emulated=%llu cpuid_per_exec=%.1f",
				 (unsigned long long)em[r],
				 (double)em[r] / opt_batches);
		report(rows[r], s[r], opt_batches, 1, extra);
		free(s[r]);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Scale: many profiles; attach to a cgroup with many threads          */

static int cmd_mkprofiles(const char *root, int count)
{
	char path[4096];
	uint64_t t0, t1;
	int i, fd;
	double *s = calloc(count, sizeof(*s));

	if (!s)
		die("out of memory");
	if (dev_open() < 0)
		die("open %s: %s", DEV_PATH, strerror(errno));
	if (mkdir(root, 0755) && errno != EEXIST)
		die("mkdir %s: %s", root, strerror(errno));
	for (i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/p%05d", root, i);
		if (mkdir(path, 0755) && errno != EEXIST)
			die("mkdir %s: %s", path, strerror(errno));
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			die("open %s: %s", path, strerror(errno));
		t0 = now_ns();
		if (attach_fd(fd, "bench-filler", CPUIDVIRT_ATTACH_REPLACE))
			die("ATTACH %s (profile %d): %s", path, i,
			    strerror(errno));
		t1 = now_ns();
		s[i] = (double)(t1 - t0);
		close(fd);
	}
	report(opt_label ? opt_label : "attach_empty", s, count, 1, "");
	free(s);
	return 0;
}

static pthread_mutex_t thr_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t thr_cond = PTHREAD_COND_INITIALIZER;
static int thr_go, thr_started, thr_done, thr_wrong;
static pid_t *thr_tids;
static struct regs thr_want;	/* leaf 7.0 as the profile shows it */

static void *thr_main(void *arg)
{
	long idx = (long)arg;
	struct regs r;

	thr_tids[idx] = (pid_t)syscall(SYS_gettid);
	pthread_mutex_lock(&thr_lock);
	thr_started++;
	pthread_cond_broadcast(&thr_cond);
	while (!thr_go)
		pthread_cond_wait(&thr_cond, &thr_lock);
	pthread_mutex_unlock(&thr_lock);
	/*
	 * One CPUID each after ATTACH: the counter proves it trapped, the
	 * answer that the profile applied (leaf 7.0 loses AVX2, BMI2, ADX).
	 */
	cpuid2(7, 0, &r);
	pthread_mutex_lock(&thr_lock);
	thr_done++;
	thr_wrong += !!memcmp(&r, &thr_want, sizeof(r));
	pthread_cond_broadcast(&thr_cond);
	pthread_mutex_unlock(&thr_lock);
	return NULL;
}

/*
 * Put this process in DIR, start NTHREADS parked threads, then time
 * ATTACH. The ABI says every thread is masked when ATTACH returns, so
 * QUERY is asked once per thread right then (no waiting): every one must
 * be armed. Then every thread executes one CPUID: the profile's counter
 * must grow by NTHREADS and each answer must be the masked leaf 7.
 * Exit status EXIT_CHECK if any of this fails.
 */
static int cmd_threads(const char *dir, int nthreads)
{
	pthread_t *th = calloc(nthreads, sizeof(*th));
	uint64_t t0, t1, t2, cgid;
	int64_t prof0, prof1, trapped;
	int i, fd, armed, ret = 0;
	pthread_attr_t attr;
	char extra[256];
	double s[1];

	thr_tids = calloc(nthreads, sizeof(*thr_tids));
	if (!th || !thr_tids)
		die("out of memory");
	if (dev_open() < 0)
		die("open %s: %s", DEV_PATH, strerror(errno));
	if (mkdir(dir, 0755) && errno != EEXIST)
		die("mkdir %s: %s", dir, strerror(errno));
	cgid = cgroup_id_of(dir);
	enter_cgroup(dir);
	/* Native answers first: nothing is attached to DIR yet. */
	capture_native();
	thr_want = expected(2, 1);
	if (bench_leaves[2] != 7)
		die("bench_leaves[2] must be leaf 7");
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], &attr, thr_main, (void *)(long)i))
			die("pthread_create #%d failed", i);
	pthread_mutex_lock(&thr_lock);
	while (thr_started < nthreads)
		pthread_cond_wait(&thr_cond, &thr_lock);
	pthread_mutex_unlock(&thr_lock);

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", dir, strerror(errno));
	t0 = now_ns();
	if (attach_fd(fd, "bench-threads", CPUIDVIRT_ATTACH_REPLACE))
		die("ATTACH %s: %s", dir, strerror(errno));
	t1 = now_ns();
	/* Once, right away: armed when ATTACH returned, or a failure. */
	armed = 0;
	for (i = 0; i < nthreads; i++)
		armed += query_armed(thr_tids[i]) == 1;
	t2 = now_ns();
	close(fd);

	prof0 = profile_emulated(cgid);
	pthread_mutex_lock(&thr_lock);
	thr_go = 1;
	pthread_cond_broadcast(&thr_cond);
	while (thr_done < nthreads)
		pthread_cond_wait(&thr_cond, &thr_lock);
	pthread_mutex_unlock(&thr_lock);
	prof1 = profile_emulated(cgid);
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	trapped = prof0 >= 0 && prof1 >= 0 ? prof1 - prof0 : -1;

	snprintf(extra, sizeof(extra),
		 "threads=%d attach_ns=%llu query_ns=%llu armed=%d trapped=%lld wrong=%d",
		 nthreads, (unsigned long long)(t1 - t0),
		 (unsigned long long)(t2 - t1), armed, (long long)trapped,
		 thr_wrong);
	s[0] = (double)(t1 - t0);
	report(opt_label ? opt_label : "attach_threads", s, 1, 1, extra);
	if (armed != nthreads) {
		fprintf(stderr, "cvbench: threads: %d of %d threads armed when ATTACH returned\n",
			armed, nthreads);
		ret = EXIT_CHECK;
	}
	if (trapped != nthreads || thr_wrong) {
		fprintf(stderr, "cvbench: threads: %lld of %d CPUIDs trapped after ATTACH, %d answered other than the profile's leaf 7\n",
			(long long)trapped, nthreads, thr_wrong);
		ret = EXIT_CHECK;
	}
	free(th);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Concurrency: CPUID batches on 1, 2, 4... CPUs at the same time       */

#define CONC_MAX	8

static pthread_mutex_t conc_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t conc_cond = PTHREAD_COND_INITIALIZER;
static int conc_gen, conc_k, conc_c, conc_done, conc_quit, conc_record;
static double *conc_samp[CONC_MAX];
static int conc_cnt[CONC_MAX], conc_wrong[CONC_MAX];
static struct regs conc_want;	/* leaf 7.0 as the profile shows it */

/* Thread idx, pinned to CPU idx: one batch whenever idx < conc_k. */
static void *conc_main(void *arg)
{
	int idx = (int)(long)arg, gen = 0, k, c, rec;
	struct regs last[NR_LEAVES];
	double t;

	pin_cpu(idx);
	for (;;) {
		pthread_mutex_lock(&conc_lock);
		while (conc_gen == gen && !conc_quit)
			pthread_cond_wait(&conc_cond, &conc_lock);
		if (conc_quit) {
			pthread_mutex_unlock(&conc_lock);
			return NULL;
		}
		gen = conc_gen;
		k = conc_k;
		c = conc_c;
		rec = conc_record;
		pthread_mutex_unlock(&conc_lock);
		if (idx >= k)
			continue;
		t = batch_once(LAT_CPUID, opt_reps, opt_reps * (int)NR_LEAVES, last);
		pthread_mutex_lock(&conc_lock);
		if (rec)
			conc_samp[c][conc_cnt[c]++] = t;
		conc_wrong[c] += !!memcmp(&last[2], &conc_want, sizeof(conc_want));
		conc_done++;
		pthread_cond_broadcast(&conc_cond);
		pthread_mutex_unlock(&conc_lock);
	}
}

/* Configuration c: K threads run one batch each, at the same time. */
static void conc_round(int c, int k, int record)
{
	pthread_mutex_lock(&conc_lock);
	conc_k = k;
	conc_c = c;
	conc_record = record;
	conc_done = 0;
	conc_gen++;
	pthread_cond_broadcast(&conc_cond);
	while (conc_done < k)
		pthread_cond_wait(&conc_cond, &conc_lock);
	pthread_mutex_unlock(&conc_lock);
}

/*
 * conc DIR K...: this process moves into DIR (profiled), starts max(K)
 * threads, thread i pinned to CPU i, and per batch round runs each
 * configuration in turn: K threads each time one batch of CPUIDs at
 * once. Rows conc_K: per-CPUID cost over all threads' batches, with the
 * module's emulated and real-CPUID counters over the rows' rounds.
 */
static int cmd_conc(const char *dir, int nk, char **ks)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t emu[CONC_MAX] = { 0 }, real[CONC_MAX] = { 0 };
	struct cpuidvirt_status st0, st1;
	int k[CONC_MAX], maxk = 0, c, b, ret = 0;
	pthread_t th[CONC_MAX];
	char row[32], extra[256];
	long i;

	if (nk > CONC_MAX)
		die("at most %d configurations", CONC_MAX);
	if (dev_open() < 0)
		die("open %s: %s", DEV_PATH, strerror(errno));
	for (c = 0; c < nk; c++) {
		k[c] = parse_int(ks[c], 1);
		if (k[c] > CONC_MAX)
			die("at most %d threads", CONC_MAX);
		if (k[c] > ncpu) {
			snprintf(row, sizeof(row), "conc_%d", k[c]);
			skip(row, "fewer_cpus");
			k[c] = 0;
			continue;
		}
		if (k[c] > maxk)
			maxk = k[c];
		conc_samp[c] = calloc((size_t)opt_batches * k[c], sizeof(double));
		if (!conc_samp[c])
			die("out of memory");
	}
	pin_cpu(0);
	capture_native();
	conc_want = expected(2, 1);
	enter_cgroup(dir);
	for (i = 0; i < maxk; i++)
		if (pthread_create(&th[i], NULL, conc_main, (void *)i))
			die("pthread_create");
	for (b = 0; b < opt_warmup; b++)
		for (c = 0; c < nk; c++)
			if (k[c])
				conc_round(c, k[c], 0);
	for (b = 0; b < opt_batches; b++)
		for (c = 0; c < nk; c++) {
			if (!k[c])
				continue;
			if (dev_status(&st0))
				die("STATUS: %s", strerror(errno));
			conc_round(c, k[c], 1);
			if (dev_status(&st1))
				die("STATUS: %s", strerror(errno));
			emu[c] += st1.emulated - st0.emulated;
			real[c] += st1.real_cpuids - st0.real_cpuids;
		}
	pthread_mutex_lock(&conc_lock);
	conc_quit = 1;
	pthread_cond_broadcast(&conc_cond);
	pthread_mutex_unlock(&conc_lock);
	for (i = 0; i < maxk; i++)
		pthread_join(th[i], NULL);
	for (c = 0; c < nk; c++) {
		if (!k[c])
			continue;
		snprintf(row, sizeof(row), "conc_%d", k[c]);
		snprintf(extra, sizeof(extra),
			 "threads=%d answers=%s checks=%d wrong=%d emulated=%llu real=%llu",
			 k[c], conc_wrong[c] ? "wrong" : "ok", conc_cnt[c], conc_wrong[c],
			 (unsigned long long)emu[c], (unsigned long long)real[c]);
		report(row, conc_samp[c], conc_cnt[c], opt_reps * (int)NR_LEAVES, extra);
		if (conc_wrong[c]) {
			fprintf(stderr, "cvbench: %s: %d batches answered leaf 7 other than the profile\n",
				row, conc_wrong[c]);
			ret = EXIT_CHECK;
		}
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* Small helpers for the guest script                                  */

static int cmd_status(void)
{
	struct cpuidvirt_status st;

	if (dev_status(&st)) {
		printf("@info status=unavailable error=%s\n", strerror(errno));
		return 1;
	}
	printf("@info fault_state=%u profiles=%u cpus=%u verified=%u emulated=%llu stale=%llu foreign=%llu reason=\"%s\"\n",
	       st.fault_state, st.nr_profiles, st.nr_cpus_online,
	       st.nr_cpus_verified, (unsigned long long)st.emulated,
	       (unsigned long long)st.stale_repaired,
	       (unsigned long long)st.foreign, st.reason);
	return st.fault_state == CPUIDVIRT_FAULT_VERIFIED ? 0 : 2;
}

/* Drive the module's selftest on every online CPU (uapi header). */
static int cmd_selftest(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), cpu;
	struct cpuidvirt_selftest t;
	struct regs r;

	if (dev_open() < 0)
		die("open %s: %s", DEV_PATH, strerror(errno));
	for (cpu = 0; cpu < ncpu; cpu++) {
		pin_cpu((int)cpu);
		memset(&t, 0, sizeof(t));
		t.size = sizeof(t);
		t.op = CPUIDVIRT_SELFTEST_ARM;
		t.cpu = cpu;
		if (ioctl(dev_fd, CPUIDVIRT_IOC_SELFTEST, &t))
			die("SELFTEST ARM cpu %ld: %s", cpu, strerror(errno));
		cpuid2(CPUIDVIRT_SELFTEST_LEAF, 0, &r);
		memset(&t, 0, sizeof(t));
		t.size = sizeof(t);
		t.op = CPUIDVIRT_SELFTEST_FINISH;
		t.cpu = cpu;
		t.cpuids = 1;
		if (ioctl(dev_fd, CPUIDVIRT_IOC_SELFTEST, &t))
			die("SELFTEST FINISH cpu %ld: %s", cpu, strerror(errno));
		printf("@info selftest cpu=%ld trapped=%u state=%u\n", cpu,
		       t.trapped, t.fault_state);
	}
	return cmd_status();
}

static void usage(void)
{
	fputs("usage: cvbench [OPTIONS] COMMAND [ARGS]\n"
	      "commands:\n"
	      "  lat cpuid|signal|sgdt|getppid|pipe   latency per operation\n"
	      "  multi ROW:MODE[:CGROUP][:k|kk][:m][:r=REPS][:p=PARAM=VAL]...  latency rows\n"
	      "                                  taking turns (p=: module parameter per batch)\n"
	      "  conc CGROUP N...                CPUID cost with N threads on N CPUs at once\n"
	      "  startup PROG ROW:CGROUP...      fork+exec+exit of PROG, rows taking turns\n"
	      "  ctxsw ROW:CGA:CGB...            context switch between a pair in CGA and CGB\n"
	      "                                  (\"-\": stay), rows taking turns\n"
	      "  attach DIR                      attach the bench profile to DIR\n"
	      "  mkprofiles ROOT COUNT           COUNT cgroups under ROOT, each profiled\n"
	      "  threads DIR N                   time ATTACH to DIR holding N threads\n"
	      "  status | selftest\n"
	      "options (before the command):\n"
	      "  -b BATCHES  -r REPS (x4 leaves per batch)  -w WARMUP  -c CPU\n"
	      "  -g CGROUPDIR   move into this cgroup first\n"
	      "  -l LABEL       row name in the output\n"
	      "  -k             report global counters; -kk also the profile of -g\n"
	      "  -m             CPUID answers must be the bench profile's (lat)\n",
	      stderr);
	exit(2);
}

static int parse_int(const char *s, int min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > 10000000)
		die("bad number '%s'", s);
	return (int)v;
}

int main(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "+b:r:w:c:g:l:kmh")) != -1) {
		switch (c) {
		case 'b':
			opt_batches = parse_int(optarg, 1);
			break;
		case 'r':
			opt_reps = parse_int(optarg, 1);
			break;
		case 'w':
			opt_warmup = parse_int(optarg, 0);
			break;
		case 'c':
			opt_cpu = parse_int(optarg, 0);
			break;
		case 'g':
			opt_cgroup = optarg;
			break;
		case 'l':
			opt_label = optarg;
			break;
		case 'k':
			opt_counters++;
			break;
		case 'm':
			opt_masked = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (!strcmp(argv[0], "lat") && argc == 2)
		return cmd_lat(argv[1]);
	if (!strcmp(argv[0], "multi") && argc >= 2)
		return cmd_multi(argc - 1, argv + 1);
	if (!strcmp(argv[0], "ctxsw") && argc >= 2)
		return cmd_ctxsw(argc - 1, argv + 1);
	if (!strcmp(argv[0], "startup") && argc >= 3)
		return cmd_startup(argv[1], argc - 2, argv + 2);
	if (!strcmp(argv[0], "attach") && argc == 2) {
		attach_dir(argv[1], opt_label ? opt_label : "bench");
		return 0;
	}
	if (!strcmp(argv[0], "mkprofiles") && argc == 3)
		return cmd_mkprofiles(argv[1], parse_int(argv[2], 0));
	if (!strcmp(argv[0], "threads") && argc == 3)
		return cmd_threads(argv[1], parse_int(argv[2], 1));
	if (!strcmp(argv[0], "conc") && argc >= 3)
		return cmd_conc(argv[1], argc - 2, argv + 2);
	if (!strcmp(argv[0], "status") && argc == 1)
		return cmd_status();
	if (!strcmp(argv[0], "selftest") && argc == 1)
		return cmd_selftest();
	usage();
	return 2;
}
