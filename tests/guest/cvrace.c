// SPDX-License-Identifier: GPL-2.0
/*
 * cvrace: stress tests aimed at the windows where a thread's arming
 * (TIF_NOCPUID) is decided and then written (docs/module.md, "Arming
 * guarantees"). Run in the guest by tests/vm/scenarios/module-race.sh.
 *
 *   cvrace storm B X SECS    exec, fork, thread and move storms in cgroup B
 *                            while ATTACH, REPLACE and DETACH of B loop
 *   cvrace storm-calm B X SECS  the same without moves and REPLACE, and
 *                            30 ms stable after each ATTACH: a thread left
 *                            unarmed by an ATTACH is not re-armed by the
 *                            next walk before it checks
 *   cvrace prctl B X SECS    threads of B loop ARCH_SET_CPUID(1) (escape
 *                            attempts) and ARCH_SET_CPUID(0) (rr-style
 *                            self-arming) while ATTACH and DETACH loop
 *   cvrace zombie FIFO       a self-armed child left as a zombie; reaped
 *                            when a line is written to FIFO
 *   cvrace forks N           N children, one CPUID each: how many died by
 *                            a signal (none may)
 *   cvrace armed-forks SECS  self-armed, forks children that each check
 *                            for 40 ms that CPUID still raises SIGSEGV
 *                            (run across rmmod)
 *   cvrace prctl-loop SECS [THREADS]
 *                            ARCH_SET_CPUID(1) in a loop in THREADS
 *                            threads (default 1): threads in the module's
 *                            answer stubs during a failed init
 *   cvrace list-uffd CG      LIST into a userfaultfd page that stays
 *                            missing; meanwhile ATTACH/DETACH of CG, QUERY
 *                            and STATUS must complete (exit 0), then the
 *                            page is supplied and LIST must return
 *   cvrace lookup-move A B C SECS
 *                            the #GP hook's per-CPU cgroup -> profile pairs
 *                            (docs/module.md, "Profile lookup"): a shuttle
 *                            on CPU 1 loops CPUID while it is moved between
 *                            A and B (profiled here with different answers)
 *                            and ATTACH/DETACH of C drop the pairs; after
 *                            each round a new task of A and one of B on CPU
 *                            1 must each get their own cgroup's answer
 *                            (SECS, and at least 5 rounds)
 *   cvrace selftest-empty    ARM then FINISH with cpuids = 0 (and with the
 *                            old, smaller struct): EINVAL both times, the
 *                            fault state unchanged (printed)
 *
 * B and X are cgroup v2 directories (X is never profiled; the shuttle
 * process moves between the two). The main process stays outside both.
 *
 * Every worker checks itself: around each CPUID(6) it reads the state word
 * the main process publishes only after an ioctl has returned ("attached
 * with value V", "detached", or "in transition"); when the state was
 * stable across the CPUID, ECX must be V while attached and native while
 * detached. Self-armed threads must get SIGSEGV while detached. After each
 * DETACH returns, no thread of B or X that has run may still be armed
 * (QUERY; the count of those armed before they ever ran is printed).
 * Exit status 0 only if there were no violations and enough checks ran in
 * both states; the counts are printed either way. storm, storm-calm and
 * prctl run SECS, then on until enough checks ran (a debug kernel under a
 * loaded TCG host may manage two rounds in six seconds), at most 10 * SECS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <linux/cpuidvirt.h>

#define TRANSITION	UINT64_MAX
#define DETACHED	0xffffffffULL	/* low half: expected ECX, or this */
#define MAX_ASKERS	16

struct shared {
	uint64_t state;			/* seq << 32 | value, or TRANSITION */
	uint64_t shuttle;		/* 1 in B, 0 in X, or TRANSITION */
	uint32_t native;
	uint32_t stop;
	uint64_t checks_att, checks_det, bad;
	uint64_t segv_checks;
	uint32_t askers[MAX_ASKERS];
	uint32_t nr_askers;
	uint32_t ready;			/* workers in their cgroup */
	uint64_t detach_us;		/* how long the last DETACH took */
	char badmsg[4][160];
};

static struct shared *sh;
static int devfd = -1;

static void die(const char *what)
{
	fprintf(stderr, "cvrace: %s: %s\n", what, strerror(errno));
	exit(2);
}

static uint64_t ld(uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void st(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static long arch_prctl(int op, unsigned long arg)
{
	return syscall(SYS_arch_prctl, op, arg);
}

static void violation(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void violation(const char *fmt, ...)
{
	uint64_t n = __atomic_fetch_add(&sh->bad, 1, __ATOMIC_SEQ_CST);
	va_list ap;

	if (n >= 4)
		return;
	va_start(ap, fmt);
	vsnprintf(sh->badmsg[n], sizeof(sh->badmsg[n]), fmt, ap);
	va_end(ap);
}

/* One CPUID(6) checked against the state published around it. */
static void check_once(const char *who, int shuttle)
{
	uint64_t s1, s2, l1 = 1, l2 = 1, want;
	uint32_t r[4];

	s1 = ld(&sh->state);
	if (shuttle)
		l1 = ld(&sh->shuttle);
	cpuid(6, 0, r);
	s2 = ld(&sh->state);
	if (shuttle)
		l2 = ld(&sh->shuttle);
	if (s1 != s2 || s1 == TRANSITION || l1 != l2 || l1 == TRANSITION)
		return;
	if ((s1 & 0xffffffff) == DETACHED || !l1) {
		want = sh->native;
		__atomic_fetch_add(&sh->checks_det, 1, __ATOMIC_RELAXED);
	} else {
		want = s1 & 0xffffffff;
		__atomic_fetch_add(&sh->checks_att, 1, __ATOMIC_RELAXED);
	}
	if (r[2] != want) {
		struct cpuidvirt_query q = { .size = sizeof(q), .pid = gettid() };
		int armed = -1;

		/* Was the thread unarmed, or its CPU's bit stale? */
		if (devfd >= 0 && !ioctl(devfd, CPUIDVIRT_IOC_QUERY, &q))
			armed = q.armed;
		violation("%s pid %d cpu %d: ecx=%08x, want %08x (%s), armed now %d",
			  who, getpid(), sched_getcpu(), r[2], (uint32_t)want,
			  want == sh->native ? "detached: native" :
					       "attached: masked", armed);
	}
}

static void write_pid(const char *cg, pid_t pid)
{
	char path[512], buf[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	n = snprintf(buf, sizeof(buf), "%d\n", pid);
	if (write(fd, buf, n) != n)
		die(path);
	close(fd);
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void map_shared(int create)
{
	const char *env = getenv("CVRACE_SHM_FD");
	int fd;

	if (create) {
		char buf[16];

		fd = memfd_create("cvrace", 0);	/* inherited across exec */
		if (fd < 0 || ftruncate(fd, sizeof(*sh)))
			die("memfd");
		snprintf(buf, sizeof(buf), "%d", fd);
		setenv("CVRACE_SHM_FD", buf, 1);
	} else {
		if (!env)
			exit(2);
		fd = atoi(env);
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sh == MAP_FAILED)
		die("mmap");
}

/* The exec'd image: check right away (exec re-arms before ld.so), go on. */
static int exec_chain(int n)
{
	char arg[16];

	map_shared(0);
	check_once("exec", 0);
	check_once("exec", 0);
	if (n <= 0 || sh->stop)
		return 0;
	snprintf(arg, sizeof(arg), "%d", n - 1);
	execl("/proc/self/exe", "cvrace", "exec-chain", arg, (char *)NULL);
	die("exec");
	return 2;
}

static pid_t spawn(const char *cg, void (*fn)(void))
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid)
		return pid;
	write_pid(cg, getpid());
	__atomic_fetch_add(&sh->ready, 1, __ATOMIC_SEQ_CST);
	fn();
	_exit(0);
}

static void execer(void)
{
	while (!sh->stop) {
		pid_t pid = fork();

		if (pid == 0) {
			execl("/proc/self/exe", "cvrace", "exec-chain", "4",
			      (char *)NULL);
			_exit(2);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
}

static void forker(void)
{
	while (!sh->stop) {
		pid_t pid = fork();

		if (pid == 0) {
			check_once("fork child", 0);
			check_once("fork child", 0);
			_exit(0);
		}
		check_once("forker", 0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
}

static void *thread_checks(void *arg __attribute__((unused)))
{
	int i;

	for (i = 0; i < 3; i++)
		check_once("thread", 0);
	return NULL;
}

static void threader(void)
{
	pthread_t t[4];
	int i;

	while (!sh->stop) {
		for (i = 0; i < 4; i++)
			if (pthread_create(&t[i], NULL, thread_checks, NULL))
				die("pthread_create");
		for (i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
	}
}

static void shuttle(void)
{
	while (!sh->stop)
		check_once("shuttle", 1);
}

static void spinner(void)
{
	while (!sh->stop)
		check_once("spinner", 0);
}

/* ARCH_SET_CPUID(1) while masked must fail and never unmask. */
static void *escaper(void *arg __attribute__((unused)))
{
	while (!sh->stop) {
		arch_prctl(ARCH_SET_CPUID, 1);
		check_once("escaper", 0);
	}
	return NULL;
}

static __thread sigjmp_buf segv_jmp;

static void on_segv(int sig __attribute__((unused)))
{
	siglongjmp(segv_jmp, 1);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

/*
 * rr-style self-arming against the DETACH walk (the window: a walk that
 * decided "no fault" for this thread before its ARCH_SET_CPUID(0) must not
 * clear the flag afterwards). The thread is disarmed when a DETACH starts;
 * it waits a random part of the last DETACH's duration, so that over the
 * rounds its request lands everywhere in the walk, including right after
 * the walk passed it, then asks until the request is accepted (EPERM
 * while the profile still covers it). Once the state is "detached" across
 * a CPUID after an accepted request, that CPUID must raise SIGSEGV. While
 * detached it also asks, checks and disarms in a loop.
 */
static void *asker(void *arg __attribute__((unused)))
{
	uint32_t slot = __atomic_fetch_add(&sh->nr_askers, 1, __ATOMIC_SEQ_CST);
	unsigned int seed = (unsigned int)gettid();
	volatile int segv;
	volatile uint64_t prev = DETACHED;
	uint64_t s, s1, s2, until;
	uint32_t r[4] = { 0 };
	volatile long asked;

	if (slot < MAX_ASKERS)
		__atomic_store_n(&sh->askers[slot], (uint32_t)gettid(),
				 __ATOMIC_SEQ_CST);
	while (!sh->stop) {
		s = ld(&sh->state);
		if (s != TRANSITION) {
			prev = s;
			/* Stable: ask, check, disarm. */
			asked = arch_prctl(ARCH_SET_CPUID, 0);
		} else if ((prev & 0xffffffff) != DETACHED) {
			/* A DETACH runs: ask at a random point of it. */
			until = now_us() + rand_r(&seed) %
				(ld(&sh->detach_us) + 1);
			while (now_us() < until && !sh->stop)
				sched_yield();
			do {
				asked = arch_prctl(ARCH_SET_CPUID, 0);
			} while (asked && ld(&sh->state) == TRANSITION &&
				 !sh->stop);
			while (!asked && ld(&sh->state) == TRANSITION &&
			       !sh->stop)
				sched_yield();
			prev = DETACHED;
		} else {
			/* An ATTACH runs: stay disarmed until it is done. */
			arch_prctl(ARCH_SET_CPUID, 1);
			while (ld(&sh->state) == TRANSITION && !sh->stop)
				sched_yield();
			continue;
		}
		s1 = ld(&sh->state);
		segv = 0;
		if (sigsetjmp(segv_jmp, 1))
			segv = 1;
		else
			cpuid(6, 0, r);
		s2 = ld(&sh->state);
		if (!asked && s1 == s2 && s1 != TRANSITION &&
		    (s1 & 0xffffffff) == DETACHED) {
			__atomic_fetch_add(&sh->segv_checks, 1, __ATOMIC_RELAXED);
			if (!segv)
				violation("asker tid %d: CPUID ran (ecx=%08x) after its ARCH_SET_CPUID(0) succeeded, while detached",
					  gettid(), r[2]);
		}
		/* Disarmed before the next DETACH (EPERM while attached). */
		arch_prctl(ARCH_SET_CPUID, 1);
		msleep(1);
	}
	return NULL;
}

static void prctl_worker(void)
{
	struct sigaction sa = { .sa_handler = on_segv };
	pthread_t t[8];
	int i;

	sigaction(SIGSEGV, &sa, NULL);
	/* Two escapers, six askers. */
	for (i = 0; i < 8; i++)
		if (pthread_create(&t[i], NULL, i < 2 ? escaper : asker, NULL))
			die("pthread_create");
	for (i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
}

static int xattach(int cgfd, uint32_t value, uint32_t flags)
{
	struct cpuidvirt_rule rule = {
		.leaf = 6, .and = { ~0U, ~0U, 0, ~0U }, .or = { 0, 0, value, 0 },
	};
	struct cpuidvirt_attach a = {
		.size = sizeof(a), .flags = flags, .cgroup_fd = cgfd,
		.nr_rules = 1, .rules = (uintptr_t)&rule,
	};

	strcpy(a.name, "cvrace");
	return ioctl(devfd, CPUIDVIRT_IOC_ATTACH, &a) ? -errno : 0;
}

static int xdetach(int cgfd)
{
	struct cpuidvirt_detach d = { .size = sizeof(d), .cgroup_fd = cgfd };

	return ioctl(devfd, CPUIDVIRT_IOC_DETACH, &d) ? -errno : 0;
}

static int is_asker(uint32_t tid)
{
	uint32_t i;

	for (i = 0; i < sh->nr_askers && i < MAX_ASKERS; i++)
		if (sh->askers[i] == tid)
			return 1;
	return 0;
}

/*
 * Has thread tid been on a CPU yet? sched_info.pcount, the third field of
 * /proc/TID/schedstat (CONFIG_SCHED_INFO), counts its arrivals on a CPU.
 * 1 if it has, 0 if not, -1 if it is gone.
 */
static int has_run(int tid)
{
	unsigned long long runtime, delay;
	unsigned long pcount;
	char path[64];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", tid);
	f = fopen(path, "re");
	if (!f && errno == ENOENT)
		return -1;
	if (!f)
		die(path);
	n = fscanf(f, "%llu %llu %lu", &runtime, &delay, &pcount);
	fclose(f);
	if (n != 3) {
		fprintf(stderr, "cvrace: %s: not 3 numbers\n", path);
		exit(2);
	}
	return pcount > 0;
}

/* Fewer checks than this in either state, and a run means nothing. */
#define MIN_CHECKS	20

static int enough_checks(int storm)
{
	return ld(&sh->checks_att) >= MIN_CHECKS &&
	       ld(&sh->checks_det) >= MIN_CHECKS &&
	       (storm || ld(&sh->segv_checks) >= 1);
}

/* Threads found armed before they ever ran (not violations), per run. */
static unsigned int unstarted;

/*
 * After DETACH returned: no thread of cg may fault any more. A thread
 * still being created carries the flag its parent had when the kernel
 * copied it (dup_task_struct) until its fork tracepoint decides, before
 * it first runs; a fork that straddles the DETACH walk copies the armed
 * flag into a child the walk cannot see yet. So armed counts only for a
 * thread that has run (checked after the QUERY); one that has not checks
 * its own CPUIDs once it runs.
 */
static unsigned int check_disarmed(const char *cg)
{
	struct cpuidvirt_query q;
	unsigned int armed = 0;
	char path[512];
	FILE *f;
	int tid, ran;

	snprintf(path, sizeof(path), "%s/cgroup.threads", cg);
	f = fopen(path, "re");
	if (!f)
		die(path);
	while (fscanf(f, "%d", &tid) == 1) {
		if (is_asker(tid))
			continue;
		memset(&q, 0, sizeof(q));
		q.size = sizeof(q);
		q.pid = tid;
		if (ioctl(devfd, CPUIDVIRT_IOC_QUERY, &q))
			continue;	/* exited meanwhile */
		if (!q.armed)
			continue;
		ran = has_run(tid);
		if (!ran)
			unstarted++;
		if (ran <= 0)
			continue;	/* not started yet, or exited */
		armed++;
		violation("tid %d of %s still armed after DETACH returned",
			  tid, cg);
	}
	fclose(f);
	return armed;
}

static int run(const char *mode, const char *b, const char *x, int secs)
{
	int storm = !strncmp(mode, "storm", 5);
	int calm = !strcmp(mode, "storm-calm");
	uint32_t r[4], v[2];
	pid_t pids[8];
	int n = 0, i, cgfd, ret, rounds = 0;
	uint64_t t0;
	time_t start, end, hard_end;

	/* The main thread has run: else has_run() could not tell. */
	if (has_run(getpid()) != 1) {
		fprintf(stderr, "cvrace: /proc/%d/schedstat counts no runs (CONFIG_SCHED_INFO)\n",
			getpid());
		return 2;
	}
	map_shared(1);
	cpuid(6, 0, r);
	sh->native = r[2];
	/* Never the DETACHED marker, and both unlike native. */
	v[0] = r[2] ^ 0xa5;
	v[1] = r[2] ^ 0x5a;
	st(&sh->state, DETACHED);
	st(&sh->shuttle, 0);
	devfd = open("/dev/" CPUIDVIRT_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (devfd < 0)
		die("open /dev/cpuidvirt");
	cgfd = open(b, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		die(b);

	if (storm) {
		pids[n++] = spawn(b, execer);
		pids[n++] = spawn(b, forker);
		pids[n++] = spawn(b, threader);
		pids[n++] = spawn(b, spinner);
		pids[n++] = spawn(x, shuttle);
	} else {
		pids[n++] = spawn(b, prctl_worker);
		pids[n++] = spawn(b, spinner);
	}

	/* The moves below must not race a worker's own move at start. */
	while (__atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST) < (uint32_t)n)
		msleep(1);
	start = time(NULL);
	end = start + secs;
	hard_end = start + 10 * secs;
	while (time(NULL) < end ||
	       (!enough_checks(storm) && time(NULL) < hard_end)) {
		st(&sh->state, TRANSITION);
		ret = xattach(cgfd, v[0], 0);
		if (ret) {
			errno = -ret;
			die("ATTACH");
		}
		st(&sh->state, ((uint64_t)++rounds << 32) | v[0]);
		if (storm && !calm) {
			/* The shuttle moves in and out of B while attached. */
			/*
			 * While a move's write runs, another masked thread
			 * switched in on the CPU where the moved thread ran may
			 * see native CPUIDs until the mover's resync (before
			 * the write returns; docs/module.md): a transition for
			 * everyone, not just for the shuttle.
			 */
			for (i = 0; i < 4; i++) {
				uint64_t cur = ld(&sh->state);

				st(&sh->state, TRANSITION);
				st(&sh->shuttle, TRANSITION);
				write_pid(i & 1 ? x : b, pids[n - 1]);
				st(&sh->shuttle, !(i & 1));
				st(&sh->state, cur + (1ULL << 32));
				msleep(2);
			}
			st(&sh->state, TRANSITION);
			ret = xattach(cgfd, v[1], CPUIDVIRT_ATTACH_REPLACE);
			if (ret) {
				errno = -ret;
				die("ATTACH REPLACE");
			}
			st(&sh->state, ((uint64_t)++rounds << 32) | v[1]);
		}
		/* Calm: a longer stable window right after ATTACH. */
		msleep(calm ? 30 : 10);
		st(&sh->state, TRANSITION);
		t0 = now_us();
		ret = xdetach(cgfd);
		if (ret) {
			errno = -ret;
			die("DETACH");
		}
		st(&sh->detach_us, now_us() - t0);
		st(&sh->state, ((uint64_t)++rounds << 32) | DETACHED);
		check_disarmed(b);
		check_disarmed(x);
		msleep(5);
	}
	sh->stop = 1;
	for (i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);

	printf("rounds=%d checks_attached=%llu checks_detached=%llu segv_checks=%llu violations=%llu\n",
	       rounds / (storm && !calm ? 3 : 2),
	       (unsigned long long)sh->checks_att,
	       (unsigned long long)sh->checks_det,
	       (unsigned long long)sh->segv_checks,
	       (unsigned long long)sh->bad);
	printf("armed_unstarted=%u seconds=%ld\n", unstarted,
	       (long)(time(NULL) - start));
	for (i = 0; i < 4 && i < (int)sh->bad; i++)
		printf("violation: %s\n", sh->badmsg[i]);
	if (!enough_checks(storm)) {
		printf("too few checks ran to mean anything\n");
		return 1;
	}
	return sh->bad ? 1 : 0;
}

/* A self-armed child that exits and stays a zombie until FIFO says. */
static int zombie(const char *fifo)
{
	char line[8];
	pid_t pid;
	FILE *f;

	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (arch_prctl(ARCH_SET_CPUID, 0))
			die("ARCH_SET_CPUID(0)");
		_exit(0);
	}
	printf("zombie=%d\n", pid);
	fflush(stdout);
	f = fopen(fifo, "re");
	if (!f)
		die(fifo);
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	return waitpid(pid, NULL, 0) == pid ? 0 : 1;
}

static int forks(int n)
{
	int i, status, killed = 0;
	uint32_t r[4];
	pid_t pid;

	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			cpuid(0, 0, r);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid)
			die("waitpid");
		if (WIFSIGNALED(status)) {
			if (!killed)
				printf("child %d (#%d) killed by signal %d\n",
				       pid, i, WTERMSIG(status));
			killed++;
		}
	}
	printf("forks=%d killed=%d\n", n, killed);
	return killed ? 1 : 0;
}

/*
 * Self-armed (ARCH_SET_CPUID(0)) for SECS seconds, forking a child every
 * few milliseconds; each child inherits the request and checks, 40 times
 * over some 40 ms, that CPUID raises SIGSEGV. Run across a module unload:
 * nothing the module does on its way out may clear a child's flag.
 */
static int armed_child(void)
{
	struct sigaction sa = { .sa_handler = on_segv };
	volatile int i, native = 0;
	uint32_t r[4];

	sigaction(SIGSEGV, &sa, NULL);
	for (i = 0; i < 40; i++) {
		if (!sigsetjmp(segv_jmp, 1)) {
			cpuid(0, 0, r);
			native++;
		}
		msleep(1);
	}
	return native ? 1 : 0;
}

static int armed_forks(int secs)
{
	int status, children = 0, unarmed = 0, running = 0;
	time_t end = time(NULL) + secs;
	pid_t pid;

	if (arch_prctl(ARCH_SET_CPUID, 0))
		die("ARCH_SET_CPUID(0)");
	while (time(NULL) < end || running) {
		if (time(NULL) < end && running < 4) {
			pid = fork();
			if (pid < 0)
				die("fork");
			if (pid == 0)
				_exit(armed_child());
			children++;
			running++;
		}
		pid = waitpid(-1, &status, time(NULL) < end ? WNOHANG : 0);
		if (pid > 0) {
			running--;
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				if (!unarmed)
					printf("child %d ran CPUID natively (status %#x)\n",
					       pid, status);
				unarmed++;
			}
		}
		msleep(3);
	}
	printf("children=%d unarmed=%d\n", children, unarmed);
	/* A few children suffice: the debug kernel forks slowly. */
	return unarmed || children < 5 ? 1 : 0;
}

/*
 * ARCH_SET_CPUID(1) in a loop for SECS seconds; every call must answer as
 * the kernel did before the loop: 0, or ENODEV where the kernel did not
 * detect faulting itself (an AMD CPU; docs/module.md "Which mechanism").
 */
struct prctl_loop_arg {
	time_t end;
	int expect;		/* errno of the kernel's own answer, 0 if none */
	unsigned long calls, failed;
};

static void *prctl_loop_thread(void *p)
{
	struct prctl_loop_arg *a = p;

	while (time(NULL) < a->end) {
		if ((arch_prctl(ARCH_SET_CPUID, 1) ? errno : 0) != a->expect)
			a->failed++;
		a->calls++;
	}
	return NULL;
}

/* THREADS threads loop ARCH_SET_CPUID(1) for SECS seconds. */
static int prctl_loop(int secs, int threads)
{
	struct prctl_loop_arg a[16] = { 0 };
	pthread_t t[16];
	time_t end = time(NULL) + secs;
	unsigned long calls = 0, failed = 0;
	int i, expect;

	if (threads < 1 || threads > 16) {
		fprintf(stderr, "prctl-loop: 1-16 threads\n");
		return 2;
	}
	expect = arch_prctl(ARCH_SET_CPUID, 1) ? errno : 0;
	for (i = 0; i < threads; i++) {
		a[i].end = end;
		a[i].expect = expect;
		errno = pthread_create(&t[i], NULL, prctl_loop_thread, &a[i]);
		if (errno)
			die("pthread_create");
	}
	for (i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		calls += a[i].calls;
		failed += a[i].failed;
	}
	printf("calls=%lu failed=%lu threads=%d expect=%s\n", calls, failed,
	       threads, expect ? strerror(expect) : "0");
	return failed || !calls ? 1 : 0;
}

static void *list_thread(void *arg)
{
	struct cpuidvirt_list *l = arg;

	return (void *)(long)(ioctl(devfd, CPUIDVIRT_IOC_LIST, l) ? -errno : 0);
}

static int list_uffd(const char *cg)
{
	long page = sysconf(_SC_PAGESIZE);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	struct uffdio_zeropage zp = { 0 };
	struct cpuidvirt_status s = { .size = sizeof(s) };
	struct cpuidvirt_query q = { .size = sizeof(q) };
	struct cpuidvirt_list *l;
	struct uffd_msg msg;
	struct pollfd pfd;
	pthread_t t;
	void *res;
	char *buf;
	int uffd, cgfd, ret, bad = 0;

	devfd = open("/dev/" CPUIDVIRT_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (devfd < 0)
		die("open /dev/cpuidvirt");
	cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		die(cg);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 && errno == ENOSYS) {
		printf("this kernel has no userfaultfd\n");
		return 77;
	}
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		die("userfaultfd");
	buf = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	/* The struct in a normal page, the entries in the missing one. */
	l = (struct cpuidvirt_list *)buf;
	memset(l, 0, sizeof(*l));
	reg.range.start = (uintptr_t)buf + page;
	reg.range.len = page;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");
	l->nr_entries = 4;
	l->entries = (uintptr_t)buf + page;
	l->size = sizeof(*l);
	if (pthread_create(&t, NULL, list_thread, l))
		die("pthread_create");
	/* Wait until LIST is blocked on the missing page. */
	pfd.fd = uffd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1 || read(uffd, &msg, sizeof(msg)) != sizeof(msg)) {
		printf("LIST never touched the missing page\n");
		return 1;
	}
	printf("LIST is blocked on the missing page\n");
	alarm(20);	/* a stall would otherwise hang the scenario */
	ret = xattach(cgfd, 0x1234, 0);
	printf("ATTACH while LIST is blocked: %s\n", ret ? strerror(-ret) : "ok");
	bad |= !!ret;
	q.pid = getpid();
	ret = ioctl(devfd, CPUIDVIRT_IOC_QUERY, &q) ? -errno : 0;
	printf("QUERY while LIST is blocked: %s\n", ret ? strerror(-ret) : "ok");
	bad |= !!ret;
	ret = ioctl(devfd, CPUIDVIRT_IOC_STATUS, &s) ? -errno : 0;
	bad |= !!ret;
	ret = xdetach(cgfd);
	printf("DETACH while LIST is blocked: %s\n", ret ? strerror(-ret) : "ok");
	bad |= !!ret;
	alarm(0);
	zp.range.start = (uintptr_t)buf + page;
	zp.range.len = page;
	if (ioctl(uffd, UFFDIO_ZEROPAGE, &zp))
		die("UFFDIO_ZEROPAGE");
	pthread_join(t, &res);
	printf("LIST returned: %s, nr_entries=%u\n",
	       res ? strerror(-(long)res) : "ok", l->nr_entries);
	bad |= res != NULL || l->nr_entries < 1;
	return bad;
}

struct selftest_v1 {		/* the struct as first released */
	uint32_t size, flags, op, cpu, trapped, fault_state;
};

static int selftest_empty(void)
{
	struct cpuidvirt_status s = { .size = sizeof(s) };
	struct cpuidvirt_selftest t;
	struct selftest_v1 v1;
	cpu_set_t one;
	int ret, bad = 0;

	devfd = open("/dev/" CPUIDVIRT_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (devfd < 0)
		die("open /dev/cpuidvirt");
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		die("sched_setaffinity");
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.op = CPUIDVIRT_SELFTEST_ARM;
	if (ioctl(devfd, CPUIDVIRT_IOC_SELFTEST, &t))
		die("SELFTEST ARM");
	t.op = CPUIDVIRT_SELFTEST_FINISH;
	t.cpuids = 0;
	ret = ioctl(devfd, CPUIDVIRT_IOC_SELFTEST, &t) ? errno : 0;
	printf("FINISH with cpuids=0: %s\n", ret ? strerror(ret) : "accepted");
	bad |= ret != EINVAL;
	memset(&v1, 0, sizeof(v1));
	v1.size = sizeof(v1);
	v1.op = CPUIDVIRT_SELFTEST_FINISH;
	ret = ioctl(devfd, CPUIDVIRT_IOC_SELFTEST, &v1) ? errno : 0;
	printf("FINISH with the first struct (no cpuids): %s\n",
	       ret ? strerror(ret) : "accepted");
	bad |= ret != EINVAL;
	/* Finish properly so that the thread is disarmed. */
	t.cpuids = 1;
	{
		uint32_t r[4];

		cpuid(CPUIDVIRT_SELFTEST_LEAF, 0, r);
	}
	ret = ioctl(devfd, CPUIDVIRT_IOC_SELFTEST, &t) ? errno : 0;
	printf("FINISH after a CPUID: %s, trapped=%u\n",
	       ret ? strerror(ret) : "ok", t.trapped);
	bad |= ret || !t.trapped;
	if (ioctl(devfd, CPUIDVIRT_IOC_STATUS, &s))
		die("STATUS");
	printf("state=%u\n", s.fault_state);
	return bad;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static void lookup_shuttle(void)
{
	uint32_t r[4];

	pin(1);
	while (!sh->stop)
		cpuid(6, 0, r);
}

/* A new task of cg on CPU 1: its CPUID(6).ECX must be want. */
static void lookup_check(const char *cg, uint32_t want, int round)
{
	pid_t pid = fork();
	uint32_t r[4];

	if (pid < 0)
		die("fork");
	if (!pid) {
		pin(1);
		write_pid(cg, getpid());
		cpuid(6, 0, r);
		if (r[2] != want)
			violation("round %d: a new task of %s on CPU 1 got ecx=%08x, want %08x",
				  round, cg, r[2], want);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	__atomic_fetch_add(&sh->checks_att, 1, __ATOMIC_RELAXED);
}

static int cgopen(const char *cg)
{
	int fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		die(cg);
	return fd;
}

/*
 * A pair made while its task moved must not name the other cgroup's
 * profile. Each round drops every pair (ATTACH and DETACH of C), then
 * moves the shuttle back and forth for 40 ms, so that its first CPUIDs in
 * A and in B (each a miss, each inside the widened lookup window) see a
 * move; then new tasks of A and B ask on the shuttle's CPU.
 */
static int lookup_move(const char *a, const char *b, const char *c, int secs)
{
	int fa, fb, fc, round = 0;
	uint64_t end, until;
	pid_t pid;
	uint64_t i;

	map_shared(1);
	devfd = open("/dev/cpuidvirt", O_RDWR | O_CLOEXEC);
	if (devfd < 0)
		die("/dev/cpuidvirt");
	fa = cgopen(a);
	fb = cgopen(b);
	fc = cgopen(c);
	if (xattach(fa, 0xa1, 0) || xattach(fb, 0xb2, 0))
		die("ATTACH A, B");
	pin(0);
	pid = spawn(a, lookup_shuttle);
	end = now_us() + secs * 1000000ULL;
	/* At least 5 rounds: the debug kernel needs seconds for one. */
	while (round < 5 || now_us() < end) {
		if (xattach(fc, 0xc3, 0) || xdetach(fc))
			die("ATTACH/DETACH C");
		until = now_us() + 40000;
		for (i = 0; now_us() < until; i++)
			write_pid(i & 1 ? b : a, pid);
		write_pid(a, pid);
		lookup_check(a, 0xa1, round);
		lookup_check(b, 0xb2, round);
		round++;
	}
	sh->stop = 1;
	waitpid(pid, NULL, 0);
	xdetach(fa);
	xdetach(fb);
	printf("rounds=%d checks=%llu violations=%llu\n", round,
	       (unsigned long long)sh->checks_att,
	       (unsigned long long)sh->bad);
	for (i = 0; i < sh->bad && i < 4; i++)
		printf("violation: %s\n", sh->badmsg[i]);
	return sh->bad != 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "list-uffd"))
		return list_uffd(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "lookup-move"))
		return lookup_move(argv[2], argv[3], argv[4], atoi(argv[5]));
	if (argc == 2 && !strcmp(argv[1], "selftest-empty"))
		return selftest_empty();
	if (argc == 3 && !strcmp(argv[1], "armed-forks"))
		return armed_forks(atoi(argv[2]));
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "prctl-loop"))
		return prctl_loop(atoi(argv[2]), argc > 3 ? atoi(argv[3]) : 1);
	if (argc == 3 && !strcmp(argv[1], "forks"))
		return forks(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "exec-chain"))
		return exec_chain(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "zombie"))
		return zombie(argv[2]);
	if (argc == 5 && (!strcmp(argv[1], "storm") ||
			  !strcmp(argv[1], "storm-calm") ||
			  !strcmp(argv[1], "prctl")))
		return run(argv[1], argv[2], argv[3], atoi(argv[4]));
	fprintf(stderr, "usage: see the comment at the top of tests/guest/cvrace.c\n");
	return 2;
}
