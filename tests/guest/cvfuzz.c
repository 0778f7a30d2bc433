// SPDX-License-Identifier: GPL-2.0
/*
 * cvfuzz: random ioctls on /dev/cpuidvirt; every errno must be one the
 * uapi header documents for that command.
 *
 *   cvfuzz [--seed S] [--calls N] CGDIR V1DIR
 *
 * CGDIR is a cgroup v2 directory: profiles are attached to it and to
 * CGDIR/f0..f3 (created here) and removed again at the end. V1DIR is a
 * directory of a cgroup v1 hierarchy (must give EBADF). The program runs
 * outside CGDIR, so its own CPUIDs are native.
 *
 * First every documented errno once with a known answer, then a
 * systematic sweep (every command, struct sizes 0..v1+16 and
 * around PAGE_SIZE, each single flag bit, each bad pointer), then random
 * calls, N in all (default 20000). Prints "seed=S" first: the same seed
 * replays the same calls. A call whose errno is not allowed prints
 * "BAD call=I cmd=... errno=..." with the bytes passed (the first 50). The last line is
 * "calls=N bad=B"; exit 0 iff B == 0.
 *
 * SELFTEST is fuzzed too; after every successful ARM the selftest CPUID is
 * executed at once, so no FINISH can find a CPU that did not trap (that
 * would make the state LYING_NO_TRAP, which is sticky).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/cpuidvirt.h>

#include "errname.h"

#define DEV "/dev/" CPUIDVIRT_DEVICE_NAME
#define PG 4096
#define NCG 5

static uint64_t rng;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static void die(const char *what)
{
	fprintf(stderr, "cvfuzz: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int devfd, v1fd, filefd, cgfd[NCG];
static uint64_t cgid[NCG];
/*
 * Memory: a writable area (args and rules), a read-only page, and a
 * PROT_NONE page right after a writable one (structs that cross into it).
 */
static uint8_t *rw, *ro, *edge, *none;
#define RULES (rw + 2 * PG)	/* room for CPUIDVIRT_MAX_RULES + 1 rules */
static unsigned long calls, bad;
static unsigned long per_cmd[16], per_errno[256];

struct cmd {
	const char *name;
	unsigned int nr;
	size_t v1;
	uint32_t flags;		/* valid flag bits */
	const int *ok;		/* allowed errnos besides 0, 0-terminated */
};

/* Every command: size/flags/pad (EINVAL), tail (E2BIG), pointers (EFAULT). */
#define COMMON EINVAL, E2BIG, EFAULT
static const int ok_version[] = { COMMON, 0 };
static const int ok_status[] = { COMMON, 0 };
static const int ok_attach[] = { COMMON, EOPNOTSUPP, EBADF, EEXIST, ENOTUNIQ,
				 ERANGE, ENOSPC, 0 };
static const int ok_detach[] = { COMMON, ENOENT, EBADF, 0 };
static const int ok_list[] = { COMMON, 0 };
static const int ok_query[] = { COMMON, ESRCH, 0 };
static const int ok_selftest[] = { COMMON, EOPNOTSUPP, 0 };
static const int ok_refresh[] = { COMMON, 0 };
static const int ok_unknown[] = { ENOTTY, 0 };

enum { C_VERSION, C_STATUS, C_ATTACH, C_DETACH, C_LIST, C_QUERY, C_SELFTEST,
       C_REFRESH, C_UNKNOWN, NR_CMDS };

static const struct cmd cmds[NR_CMDS] = {
	{ "VERSION", 0, sizeof(struct cpuidvirt_version), 0, ok_version },
	{ "STATUS", 1, sizeof(struct cpuidvirt_status), 0, ok_status },
	{ "ATTACH", 2, sizeof(struct cpuidvirt_attach), CPUIDVIRT_ATTACH_FLAGS, ok_attach },
	{ "DETACH", 3, sizeof(struct cpuidvirt_detach), CPUIDVIRT_DETACH_FLAGS, ok_detach },
	{ "LIST", 4, sizeof(struct cpuidvirt_list), 0, ok_list },
	{ "QUERY", 5, sizeof(struct cpuidvirt_query), 0, ok_query },
	{ "SELFTEST", 6, sizeof(struct cpuidvirt_selftest), 0, ok_selftest },
	{ "REFRESH", 7, sizeof(struct cpuidvirt_refresh), 0, ok_refresh },
	{ "unknown", 8, 64, 0, ok_unknown },
};

static void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
}

static int allowed(const int *ok, int e)
{
	for (; *ok; ok++)
		if (*ok == e)
			return 1;
	return 0;
}

/* Issue one ioctl and judge its errno. */
static int call(int c, unsigned long req, void *arg, const void *shown,
		size_t shown_len)
{
	int r = ioctl(devfd, req, arg), e = r ? errno : 0;
	const int *ok = cmds[c].ok;
	size_t i;

	calls++;
	per_cmd[c]++;
	per_errno[e < 256 ? e : 255]++;
	if (r && r != -1)
		e = 1000;
	if (e && !allowed(ok, e) && ++bad <= 50) {
		printf("BAD call=%lu cmd=%s req=%#lx arg=%p errno=%s bytes=",
		       calls, cmds[c].name, req, arg, errname(e));
		for (i = 0; shown && i < shown_len && i < 128; i++)
			printf("%02x", ((const uint8_t *)shown)[i]);
		printf("\n");
	}
	/*
	 * Whatever SELFTEST did (an ARM can succeed and still give EFAULT
	 * on the way out), the selftest CPUID follows at once.
	 */
	if (c == C_SELFTEST) {
		uint32_t reg[4];

		cpuid(CPUIDVIRT_SELFTEST_LEAF, reg);
	}
	return e;
}

/* The ioctl request word: mostly right, sometimes another dir/size/type. */
static unsigned long request(int c, int mangle)
{
	unsigned int nr = cmds[c].nr, type = CPUIDVIRT_IOC_MAGIC;
	unsigned int dir = _IOC_READ | _IOC_WRITE, size = cmds[c].v1;

	if (c == C_UNKNOWN)
		nr = 8 + below(248);
	if (mangle) {
		switch (below(4)) {
		case 0: dir = below(4); break;
		case 1: size = below(1 << 14); break;
		case 2:
			/* Not a type the VFS answers itself (FIOCLEX, FIFREEZE...). */
			if (c == C_UNKNOWN)
				do {
					type = below(256);
				} while (type == 0 || type == 'T' || type == 'X' ||
					 type == 'f' || type == 0x94 || type == 0x15);
			break;
		case 3: dir = below(4); size = below(1 << 14); break;
		}
	}
	return _IOC(dir, type, nr, size);
}

/* A random rule: mostly valid, sometimes a bad flag, pad or subleaf. */
static void rand_rule(struct cpuidvirt_rule *x)
{
	static const uint32_t leaves[] = { 0, 1, 6, 7, 0xd, 0x40000000,
					   0x80000000, 0x80000001 };
	int i;

	memset(x, 0, sizeof(*x));
	x->leaf = below(4) ? leaves[below(8)] : (uint32_t)rnd();
	if (below(3) == 0)
		x->flags = CPUIDVIRT_RULE_ANY_SUBLEAF;
	else
		x->subleaf = below(4);
	for (i = 0; i < 4; i++) {
		x->and[i] = below(2) ? ~0u : (uint32_t)rnd();
		x->or[i] = below(2) ? 0 : (uint32_t)rnd();
	}
	switch (below(20)) {
	case 0: x->flags |= 1u << below(32); break;
	case 1: x->pad = (uint32_t)rnd() | 1; break;
	case 2: x->subleaf = 1 + below(8); x->flags = CPUIDVIRT_RULE_ANY_SUBLEAF; break;
	}
}

/* A user pointer for an embedded pointer field (rules, entries). */
static uint64_t rand_uptr(size_t len)
{
	switch (below(10)) {
	case 0: return 0;
	case 1: return 8;
	case 2: return 0xffffffff81000000ULL;
	case 3: return (uintptr_t)none;
	case 4: return (uintptr_t)(none - (len > 1 ? len / 2 : 1));	/* crosses */
	case 5: return (uintptr_t)ro;	/* fine to read, not to write */
	case 6: return rnd();
	}
	return (uintptr_t)(RULES);	/* room for 257 rules */
}

static int rand_fd(void)
{
	switch (below(10)) {
	case 0: return v1fd;
	case 1: return filefd;
	case 2: return devfd;
	case 3: return -1;
	case 4: return 1000;
	case 5: return (int)rnd();
	}
	return cgfd[below(NCG)];
}

/* Fill the struct of command c at p (size field = size). */
static void fill(int c, uint8_t *p, uint32_t size, uint32_t flags)
{
	struct cpuidvirt_attach *a = (void *)p;
	struct cpuidvirt_detach *d = (void *)p;
	struct cpuidvirt_list *l = (void *)p;
	struct cpuidvirt_query *q = (void *)p;
	struct cpuidvirt_selftest *st = (void *)p;
	unsigned int i, n;

	memset(p, 0, cmds[c].v1);
	((uint32_t *)p)[0] = size;
	((uint32_t *)p)[1] = flags;
	switch (c) {
	case C_VERSION:
		if (!below(8))
			((struct cpuidvirt_version *)p)->pad = (uint32_t)rnd();
		break;
	case C_ATTACH:
		a->cgroup_fd = rand_fd();
		n = below(4) ? below(6) : below(300);
		a->nr_rules = below(30) ? n : (uint32_t)rnd();
		a->max_basic_leaf = below(2) ? below(0x20) : (uint32_t)rnd();
		a->max_ext_leaf = below(2) ? 0x80000000 + below(0x20) : (uint32_t)rnd();
		for (i = 0; i < 257; i++)
			rand_rule((struct cpuidvirt_rule *)(RULES) + i);
		/* Duplicates on purpose, now and then. */
		if (!below(8) && n > 1)
			((struct cpuidvirt_rule *)(RULES))[1] =
				((struct cpuidvirt_rule *)(RULES))[0];
		a->rules = rand_uptr(n * sizeof(struct cpuidvirt_rule));
		for (i = 0; i < sizeof(a->name); i++)
			a->name[i] = 'a' + below(26);
		if (below(10))
			a->name[below(sizeof(a->name))] = 0;
		break;
	case C_DETACH:
		d->cgroup_fd = rand_fd();
		d->cgroup_id = below(2) ? cgid[below(NCG)] : rnd();
		if (!below(10))
			d->pad = (uint32_t)rnd();
		break;
	case C_LIST:
		l->nr_entries = below(3) ? below(8) : (uint32_t)rnd();
		l->entries = rand_uptr(l->nr_entries * sizeof(struct cpuidvirt_list_entry));
		if (!below(10))
			l->pad = (uint32_t)rnd();
		break;
	case C_QUERY:
		switch (below(5)) {
		case 0: q->pid = getpid(); break;
		case 1: q->pid = 1; break;
		case 2: q->pid = 0; break;
		case 3: q->pid = (uint32_t)-1; break;
		default: q->pid = (uint32_t)rnd(); break;
		}
		break;
	case C_SELFTEST:
		st->op = below(4) ? 1 + below(2) : (uint32_t)rnd() % 5;
		st->cpu = below(4) ? below(2) : (uint32_t)rnd();
		st->trapped = (uint32_t)rnd();
		st->fault_state = (uint32_t)rnd();
		break;
	default:
		for (i = 8; i < cmds[c].v1; i++)
			p[i] = (uint8_t)rnd();
	}
}

static uint32_t rand_size(int c)
{
	uint32_t v1 = cmds[c].v1;

	switch (below(12)) {
	case 0: return 0;
	case 1: return below(v1);
	case 2: return v1 - 1;
	case 3: return v1 + 1 + below(16);
	case 4: return PG;
	case 5: return PG + 1;
	case 6: return (uint32_t)rnd();
	case 7: return v1 + 8;
	}
	return v1;
}

static uint32_t rand_flags(int c)
{
	switch (below(6)) {
	case 0: return 1u << below(32);
	case 1: return (uint32_t)rnd();
	case 2: return cmds[c].flags;
	}
	return cmds[c].flags & (uint32_t)rnd();
}

/*
 * One call of command c. Where the struct lives: usually at the start of
 * the writable area (a bigger size puts a random tail behind it), or right
 * before the PROT_NONE page, in the read-only page, or at a bad address.
 */
static void one(int c, uint32_t size, uint32_t flags, int where, int mangle)
{
	uint8_t *p = rw;
	unsigned long req = request(c, mangle);
	size_t len = size > 2 * PG ? 2 * PG : size;

	if (len < cmds[c].v1)
		len = cmds[c].v1;
	memset(rw, 0, 2 * PG);
	if (size > cmds[c].v1 && size <= PG && below(2))
		rw[cmds[c].v1 + below(size - cmds[c].v1)] = 1 + below(255);
	switch (where) {
	case 1:
		p = edge + PG - (size && size < PG ? below(size) + 8 : 8);
		break;
	case 2:
		fill(c, rw, size, flags);
		if (mprotect(ro, PG, PROT_READ | PROT_WRITE))
			die("mprotect");
		memcpy(ro, rw, cmds[c].v1);
		if (mprotect(ro, PG, PROT_READ))
			die("mprotect");
		call(c, req, ro, ro, cmds[c].v1);
		return;
	case 3:
		call(c, req, (void *)(uintptr_t)(below(2) ? 8 : 0xffffffff81000000ULL), NULL, 0);
		return;
	case 4:
		call(c, req, none, NULL, 0);
		return;
	case 5:
		call(c, req, NULL, NULL, 0);
		return;
	}
	if (p != rw) {
		/* Only what fits before the PROT_NONE page. */
		uint8_t tmp[PG];

		fill(c, tmp, size, flags);
		memcpy(p, tmp, (size_t)(none - p) < cmds[c].v1 ? (size_t)(none - p) : cmds[c].v1);
		call(c, req, p, p, none - p);
		return;
	}
	fill(c, p, size, flags);
	call(c, req, p, p, len);
}

/* One call with a known answer; a different errno counts as bad. */
static void known(int c, void *arg, int want, const char *what)
{
	int e = call(c, _IOC(_IOC_READ | _IOC_WRITE, CPUIDVIRT_IOC_MAGIC,
			     cmds[c].nr, cmds[c].v1), arg,
		     (uintptr_t)arg < PG ? NULL : arg, cmds[c].v1);

	if (e != want && ++bad <= 50)
		printf("BAD known %s: errno %s, want %s\n", what, errname(e), errname(want));
}

/*
 * Every documented errno once, deterministically, so that each shows up in
 * the counts whatever the seed (EEXIST and ENOTUNIQ are rare at random).
 */
static void landmarks(void)
{
	struct cpuidvirt_rule *rules = (struct cpuidvirt_rule *)(RULES);
	struct cpuidvirt_attach a;
	struct cpuidvirt_detach d;
	struct cpuidvirt_query q;
	struct cpuidvirt_status *st = (void *)rw;
	int i;

	memset(rw, 0, 2 * PG);
	memset(rules, 0, 2 * sizeof(*rules));
	for (i = 0; i < 2; i++) {
		rules[i].leaf = 6;
		memset(rules[i].and, 0xff, sizeof(rules[i].and));
	}
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.cgroup_fd = cgfd[0];
	a.nr_rules = 1;
	a.rules = (uintptr_t)rules;
	known(C_ATTACH, &a, 0, "ATTACH");
	known(C_ATTACH, &a, EEXIST, "ATTACH again");
	a.flags = CPUIDVIRT_ATTACH_REPLACE;
	a.nr_rules = 2;
	known(C_ATTACH, &a, ENOTUNIQ, "REPLACE with duplicate rules");
	a.nr_rules = 1;
	a.flags |= CPUIDVIRT_ATTACH_CLAMP_BASIC;
	a.max_basic_leaf = 0x40000000;
	known(C_ATTACH, &a, ERANGE, "REPLACE with a bad clamp");
	a.flags = 0;
	a.cgroup_fd = v1fd;
	known(C_ATTACH, &a, EBADF, "ATTACH cgroup v1");
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.cgroup_fd = cgfd[0];
	known(C_DETACH, &d, 0, "DETACH");
	known(C_DETACH, &d, ENOENT, "DETACH again");
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.pid = (uint32_t)-1;
	known(C_QUERY, &q, ESRCH, "QUERY pid -1");
	st->size = 4;
	known(C_STATUS, st, EINVAL, "STATUS size 4");
	st->size = sizeof(*st) + 8;
	rw[sizeof(*st) + 4] = 1;
	known(C_STATUS, st, E2BIG, "STATUS non-zero tail");
	known(C_STATUS, (void *)8, EFAULT, "STATUS at address 8");
	known(C_UNKNOWN, rw, ENOTTY, "command 8");
}

static void cleanup(void)
{
	struct cpuidvirt_detach d;
	int i;

	for (i = 0; i < NCG; i++) {
		memset(&d, 0, sizeof(d));
		d.size = sizeof(d);
		d.cgroup_fd = cgfd[i];
		ioctl(devfd, CPUIDVIRT_IOC_DETACH, &d);
	}
}

int main(int argc, char **argv)
{
	unsigned long ncalls = 20000, i;
	uint64_t seed = 0;
	struct stat st;
	char path[4096];
	cpu_set_t set;
	uint8_t *m;
	int a = 1, c, bit;
	uint32_t s;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while (a < argc && argv[a][0] == '-') {
		if (!strcmp(argv[a], "--seed") && a + 1 < argc)
			seed = strtoull(argv[a + 1], NULL, 0);
		else if (!strcmp(argv[a], "--calls") && a + 1 < argc)
			ncalls = strtoul(argv[a + 1], NULL, 0);
		else
			goto usage;
		a += 2;
	}
	if (argc - a != 2) {
usage:
		fprintf(stderr, "usage: cvfuzz [--seed S] [--calls N] CGDIR V1DIR\n");
		return 2;
	}
	if (!seed) {
		int fd = open("/dev/urandom", O_RDONLY);

		if (fd < 0 || read(fd, &seed, sizeof(seed)) != sizeof(seed))
			die("/dev/urandom");
		close(fd);
		seed |= 1;
	}
	rng = seed;
	printf("seed=%#llx\n", (unsigned long long)seed);

	/* One CPU: the selftest CPUID must run where ARM was issued. */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");

	devfd = open(DEV, O_RDWR | O_CLOEXEC);
	if (devfd < 0)
		die(DEV);
	v1fd = open(argv[a + 1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v1fd < 0)
		die(argv[a + 1]);
	filefd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (filefd < 0)
		die("/proc/self/status");
	for (i = 0; i < NCG; i++) {
		if (i)
			snprintf(path, sizeof(path), "%s/f%lu", argv[a], i - 1);
		else
			snprintf(path, sizeof(path), "%s", argv[a]);
		if (mkdir(path, 0755) && errno != EEXIST)
			die(path);
		cgfd[i] = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cgfd[i] < 0 || fstat(cgfd[i], &st))
			die(path);
		cgid[i] = st.st_ino;
	}

	/* rw: 2 pages of struct, 4 of rules (RULES); ro; edge; none. */
	m = mmap(NULL, 9 * PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		die("mmap");
	rw = m;
	ro = m + 6 * PG;
	edge = m + 7 * PG;
	none = m + 8 * PG;
	if (mprotect(ro, PG, PROT_READ) || mprotect(none, PG, PROT_NONE))
		die("mprotect");

	landmarks();
	/* Sweep: every command x sizes, single flag bits, places. */
	for (c = 0; c < NR_CMDS; c++) {
		for (s = 0; s <= cmds[c].v1 + 16; s++)
			one(c, s, 0, 0, 0);
		for (s = PG - 2; s <= PG + 2; s++)
			one(c, s, 0, 0, 0);
		for (bit = 0; bit < 32; bit++)
			one(c, cmds[c].v1, 1u << bit, 0, 0);
		for (s = 1; s <= 5; s++)
			one(c, cmds[c].v1, 0, s, 0);
	}
	/* Random. */
	while (calls < ncalls) {
		c = below(NR_CMDS);
		one(c, rand_size(c), rand_flags(c), below(5) ? 0 : 1 + below(5),
		    !below(8));
	}
	cleanup();

	for (c = 0; c < NR_CMDS; c++)
		printf("cmd %s calls=%lu\n", cmds[c].name, per_cmd[c]);
	for (i = 0; i < 256; i++)
		if (per_errno[i])
			printf("errno %s: %lu\n", errname(i), per_errno[i]);
	printf("calls=%lu bad=%lu\n", calls, bad);
	return bad ? 1 : 0;
}
