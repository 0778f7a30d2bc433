// SPDX-License-Identifier: GPL-2.0
/*
 * cvemu: how an emulated CPUID looks to debuggers, odd code placements and
 * code segments, for the module-emulate scenario. Each command runs the
 * same way masked (emulated CPUID) or not (native CPUID), so the scenario
 * can compare the two.
 *
 *   cvemu step LEAF SUB   ptrace PTRACE_SINGLESTEP over one CPUID; prints
 *                         "rip=cpuid+N eax=.. ebx=.. ecx=.. edx=.. si_code=C
 *                         dr6_bs=B rf=R" at the stop after one step
 *   cvemu tf LEAF SUB     the same in-process: POPF sets TF, the SIGTRAP
 *                         handler reports where it stopped
 *   cvemu rf LEAF SUB     a tracer enters CPUID with EFLAGS.RF=1 and puts a
 *                         hardware breakpoint (DR0) on the next instruction:
 *                         "bp=hit rip=cpuid+N si_code=C" or "bp=missed"
 *   cvemu bp LEAF SUB     the same without RF (the breakpoint works at all)
 *   cvemu xpage once LEAF SUB
 *                         CPUID whose 0F is the last byte of a page and A2
 *                         the first of the next (memfd, MAP_PRIVATE, exec),
 *                         the second page dropped (MADV_DONTNEED) before it
 *   cvemu xpage race SECONDS LEAF SUB
 *                         the same in a loop while another thread keeps
 *                         dropping the second page (MADV_DONTNEED and
 *                         MADV_PAGEOUT); "iterations=N drops=N ecx=.."
 *                         (all results equal) or "sigsegv after N" (exit 3)
 *   cvemu xpage xonly LEAF SUB
 *                         the second page execute-only (PROT_EXEC, which
 *                         protection keys make unreadable); exit 77
 *                         "readable" where it stays readable (no pkeys)
 *   cvemu ldt cpuid|hlt   far jump to a 32-bit code segment of the LDT
 *                         whose base is one page; the flat address its EIP
 *                         names holds a CPUID, the real one a CPUID or a HLT.
 *                         Prints "sig=NAME cs=ldt|other ip=+N ecx=.." for
 *                         the signal that ended it (SIGTRAP: an int3 right
 *                         after the instruction was reached)
 *
 * Exit 0 after printing, 1 on a system error, 2 on bad usage.
 */
/* build: m32 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <asm/ldt.h>

#define TF 0x100UL
#define RF 0x10000UL
#define DR6_BS 0x4000UL

#ifdef __x86_64__
#define REG_IP(r) ((r).rip)
#define REG_AX(r) ((r).rax)
#define REG_BX(r) ((r).rbx)
#define REG_CX(r) ((r).rcx)
#define REG_DX(r) ((r).rdx)
#define REG_FL(r) ((r).eflags)
#define UC_IP REG_RIP
#define UC_CX REG_RCX
#define UC_FL REG_EFL
#define UC_CS(uc) ((uc)->uc_mcontext.gregs[REG_CSGSFS] & 0xffff)
/* void cv_fn(uint32_t leaf, uint32_t sub, uint32_t out[4]) */
#define FN_ENTER "push %rbx\n push %rdx\n mov %edi, %eax\n mov %esi, %ecx\n"
#define FN_LEAVE "pop %rdi\n mov %eax, (%rdi)\n mov %ebx, 4(%rdi)\n"	\
		 "mov %ecx, 8(%rdi)\n mov %edx, 12(%rdi)\n pop %rbx\n ret\n"
#define PUSHF "pushfq\n orq $0x100, (%rsp)\n popfq\n"
#else
#define REG_IP(r) ((unsigned long)(r).eip)
#define REG_AX(r) ((r).eax)
#define REG_BX(r) ((r).ebx)
#define REG_CX(r) ((r).ecx)
#define REG_DX(r) ((r).edx)
#define REG_FL(r) ((r).eflags)
#define UC_IP REG_EIP
#define UC_CX REG_ECX
#define UC_FL REG_EFL
#define UC_CS(uc) ((uc)->uc_mcontext.gregs[REG_CS] & 0xffff)
#define FN_ENTER "push %ebx\n push %edi\n mov 12(%esp), %eax\n"		\
		 "mov 16(%esp), %ecx\n mov 20(%esp), %edi\n"
#define FN_LEAVE "mov %eax, (%edi)\n mov %ebx, 4(%edi)\n"		\
		 "mov %ecx, 8(%edi)\n mov %edx, 12(%edi)\n"		\
		 "pop %edi\n pop %ebx\n ret\n"
#define PUSHF "pushfl\n orl $0x100, (%esp)\n popfl\n"
#endif

#define ASM_FN(name, body)						\
	__asm__(".text\n .globl " #name "\n .type " #name ", @function\n" \
		#name ":\n" FN_ENTER body FN_LEAVE			\
		".size " #name ", . - " #name "\n")

/* int3 (the tracer takes over), CPUID, then two one-byte instructions. */
ASM_FN(cv_trap_fn, "int3\n .globl cv_trap_cpuid\n cv_trap_cpuid: cpuid\n"
		   ".globl cv_trap_next\n cv_trap_next: nop\n nop\n");
/* TF set by POPF: the trap comes after the next instruction, the CPUID. */
ASM_FN(cv_tf_fn, PUSHF ".globl cv_tf_cpuid\n cv_tf_cpuid: cpuid\n"
		 ".globl cv_tf_next\n cv_tf_next: nop\n nop\n");

void cv_trap_fn(uint32_t leaf, uint32_t sub, uint32_t out[4]);
void cv_tf_fn(uint32_t leaf, uint32_t sub, uint32_t out[4]);
extern char cv_trap_cpuid[], cv_trap_next[], cv_tf_cpuid[], cv_tf_next[];

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: cvemu step|tf|rf|bp LEAF SUB | xpage once|xonly LEAF SUB |\n"
		"       xpage race SECONDS LEAF SUB | ldt cpuid|hlt\n");
	exit(2);
}

static uint32_t num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > 0xffffffffUL)
		usage();
	return (uint32_t)v;
}

static const char *signame(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGTRAP: return "SIGTRAP";
	case SIGILL: return "SIGILL";
	case SIGBUS: return "SIGBUS";
	}
	return "other";
}

/* --- ptrace: single-step and hardware breakpoint ------------------------ */

static pid_t trace_child(uint32_t leaf, uint32_t sub)
{
	uint32_t out[4];
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(1);
		raise(SIGSTOP);
		cv_trap_fn(leaf, sub, out);
		_exit(0);
	}
	return pid;
}

/* Wait for a stop by SIGTRAP; anything else is an error. */
static void wait_trap(pid_t pid, const char *what)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		die("waitpid");
	if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) {
		fprintf(stderr, "cvemu: %s: child status %#x, not a SIGTRAP stop\n",
			what, st);
		exit(1);
	}
}

/* Run the child to its int3; returns with it stopped at the CPUID. */
static void to_cpuid(pid_t pid, struct user_regs_struct *r)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
		die("waitpid (SIGSTOP)");
	if (ptrace(PTRACE_CONT, pid, NULL, NULL))
		die("PTRACE_CONT");
	wait_trap(pid, "int3");
	if (ptrace(PTRACE_GETREGS, pid, NULL, r))
		die("PTRACE_GETREGS");
	if (REG_IP(*r) != (unsigned long)cv_trap_cpuid) {
		fprintf(stderr, "cvemu: int3 stop not before the CPUID\n");
		exit(1);
	}
}

static unsigned long peek_dr(pid_t pid, int n)
{
	errno = 0;
	return ptrace(PTRACE_PEEKUSER, pid,
		      (void *)offsetof(struct user, u_debugreg[n]), NULL);
}

static void poke_dr(pid_t pid, int n, unsigned long v)
{
	if (ptrace(PTRACE_POKEUSER, pid,
		   (void *)offsetof(struct user, u_debugreg[n]), (void *)v))
		die("PTRACE_POKEUSER debug register");
}

static void finish(pid_t pid)
{
	int st;

	ptrace(PTRACE_CONT, pid, NULL, NULL);
	if (waitpid(pid, &st, 0) != pid)
		die("waitpid (exit)");
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "cvemu: child ended with status %#x\n", st);
		exit(1);
	}
}

static int cmd_step(uint32_t leaf, uint32_t sub)
{
	struct user_regs_struct r;
	siginfo_t si;
	pid_t pid = trace_child(leaf, sub);

	to_cpuid(pid, &r);
	if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL))
		die("PTRACE_SINGLESTEP");
	wait_trap(pid, "single-step");
	if (ptrace(PTRACE_GETREGS, pid, NULL, &r) ||
	    ptrace(PTRACE_GETSIGINFO, pid, NULL, &si))
		die("PTRACE_GETREGS/GETSIGINFO");
	printf("rip=cpuid+%ld eax=%08x ebx=%08x ecx=%08x edx=%08x si_code=%d si_addr=%s dr6_bs=%d rf=%d\n",
	       (long)(REG_IP(r) - (unsigned long)cv_trap_cpuid),
	       (uint32_t)REG_AX(r), (uint32_t)REG_BX(r), (uint32_t)REG_CX(r),
	       (uint32_t)REG_DX(r), si.si_code,
	       (unsigned long)si.si_addr == REG_IP(r) ? "rip" : "other",
	       !!(peek_dr(pid, 6) & DR6_BS), !!(REG_FL(r) & RF));
	finish(pid);
	return 0;
}

static int cmd_rf(uint32_t leaf, uint32_t sub, int set_rf)
{
	struct user_regs_struct r;
	siginfo_t si;
	pid_t pid = trace_child(leaf, sub);
	int st;

	to_cpuid(pid, &r);
	if (set_rf)
		REG_FL(r) |= RF;
	if (ptrace(PTRACE_SETREGS, pid, NULL, &r))
		die("PTRACE_SETREGS");
	poke_dr(pid, 0, (unsigned long)cv_trap_next);
	poke_dr(pid, 7, 1);	/* L0, execute, length 1 */
	if (ptrace(PTRACE_CONT, pid, NULL, NULL))
		die("PTRACE_CONT");
	if (waitpid(pid, &st, 0) != pid)
		die("waitpid");
	if (WIFEXITED(st)) {
		printf("bp=missed\n");
		return 0;
	}
	if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) {
		fprintf(stderr, "cvemu: child status %#x\n", st);
		return 1;
	}
	if (ptrace(PTRACE_GETREGS, pid, NULL, &r) ||
	    ptrace(PTRACE_GETSIGINFO, pid, NULL, &si))
		die("PTRACE_GETREGS/GETSIGINFO");
	printf("bp=hit rip=cpuid+%ld si_code=%d\n",
	       (long)(REG_IP(r) - (unsigned long)cv_trap_cpuid), si.si_code);
	poke_dr(pid, 7, 0);
	finish(pid);
	return 0;
}

/* --- in-process TF --------------------------------------------------------- */

static volatile unsigned long tf_ip, tf_cx, tf_fl;
static volatile int tf_code, tf_hits;

static void on_trap(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	if (!tf_hits++) {
		tf_ip = uc->uc_mcontext.gregs[UC_IP];
		tf_cx = uc->uc_mcontext.gregs[UC_CX];
		tf_fl = uc->uc_mcontext.gregs[UC_FL];
		tf_code = si->si_code;
	}
	uc->uc_mcontext.gregs[UC_FL] &= ~TF;
}

static int cmd_tf(uint32_t leaf, uint32_t sub)
{
	struct sigaction sa;
	uint32_t out[4];

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGTRAP, &sa, NULL))
		die("sigaction");
	cv_tf_fn(leaf, sub, out);
	printf("rip=cpuid+%ld ecx=%08x si_code=%d traps=%d rf=%d result_ecx=%08x\n",
	       (long)(tf_ip - (unsigned long)cv_tf_cpuid), (uint32_t)tf_cx,
	       tf_code, tf_hits, !!(tf_fl & RF), out[2]);
	return 0;
}

/* --- CPUID across a page boundary ------------------------------------------ */

static long page;
static char *xmap;

typedef void (*cpuid_fn)(uint32_t, uint32_t, uint32_t *);

/*
 * Call the two bytes 0F A2 at the end of the first page; a C3 (ret)
 * follows on the second. The wrapper keeps EBX and hands the registers
 * back through out.
 */
static void xcall(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	void *fn = xmap + page - 1;
#ifdef __x86_64__
	uint64_t a = leaf, b, c = sub, d;

	/* Skip the red zone: the call pushes below the stack pointer. */
	__asm__ volatile("sub $128, %%rsp\n call *%[fn]\n add $128, %%rsp"
			 : "+a"(a), "=b"(b), "+c"(c), "=d"(d)
			 : [fn] "r"(fn) : "memory", "cc");
#else
	uint32_t a = leaf, b, c = sub, d;

	__asm__ volatile("push %%ebx\n call *%[fn]\n mov %%ebx, %[b]\n pop %%ebx"
			 : "+a"(a), [b] "=S"(b), "+c"(c), "=d"(d)
			 : [fn] "D"(fn) : "memory", "cc");
#endif
	out[0] = a;
	out[1] = b;
	out[2] = c;
	out[3] = d;
}

static void xpage_map(void)
{
	unsigned char *buf;
	int fd;

	page = sysconf(_SC_PAGESIZE);
	buf = calloc(2, page);
	fd = memfd_create("cvemu-xpage", 0);
	if (!buf || fd < 0)
		die("memfd_create");
	memset(buf, 0xcc, 2 * page);	/* int3 everywhere else */
	buf[page - 1] = 0x0f;
	buf[page] = 0xa2;
	buf[page + 1] = 0xc3;
	if (write(fd, buf, 2 * page) != 2 * page)
		die("write memfd");
	/* Private, never written: DONTNEED drops the PTE, the page cache stays. */
	xmap = mmap(NULL, 2 * page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	if (xmap == MAP_FAILED)
		die("mmap");
	close(fd);
	free(buf);
}

static volatile unsigned long xiters;

static void on_xsegv(int sig)
{
	char msg[64];
	int n;

	(void)sig;
	n = snprintf(msg, sizeof(msg), "sigsegv after %lu\n", xiters);
	if (write(STDOUT_FILENO, msg, n) < 0)
		_exit(4);
	_exit(3);
}

static sigjmp_buf probe_jmp;

static void on_probe(int sig)
{
	(void)sig;
	siglongjmp(probe_jmp, 1);
}

/* Can user space read the byte at p? */
static int readable(const volatile char *p)
{
	int ok = 0;

	signal(SIGSEGV, on_probe);
	if (!sigsetjmp(probe_jmp, 1)) {
		(void)*p;
		ok = 1;
	}
	signal(SIGSEGV, SIG_DFL);
	return ok;
}

static volatile int xstop;
static volatile unsigned long xdrops;

static void *dropper(void *arg)
{
	(void)arg;
	/* PAGEOUT may not be able to unmap it (no swap): best effort. */
	while (!xstop) {
		if (madvise(xmap + page, page, MADV_DONTNEED))
			die("madvise");
		madvise(xmap + page, page, MADV_PAGEOUT);
		xdrops++;
	}
	return NULL;
}

static int cmd_xpage(int argc, char **argv)
{
	uint32_t out[4], first[4], leaf, sub;
	struct timespec t0, t;
	const char *mode;
	pthread_t th;
	int secs = 0;

	if (argc < 1)
		usage();
	mode = argv[0];
	if (!strcmp(mode, "race") && argc == 4) {
		secs = (int)num(argv[1]);
		argv++;
	} else if (strcmp(mode, "once") && strcmp(mode, "xonly")) {
		usage();
	} else if (argc != 3) {
		usage();
	}
	leaf = num(argv[1]);
	sub = num(argv[2]);
	xpage_map();

	if (!strcmp(mode, "xonly")) {
		/* With protection keys, PROT_EXEC alone is execute-only. */
		if (mprotect(xmap + page, page, PROT_EXEC))
			die("mprotect");
		if (readable(xmap + page)) {
			printf("readable: PROT_EXEC is not execute-only here\n");
			return 77;
		}
		signal(SIGSEGV, on_xsegv);
		xcall(leaf, sub, out);
		printf("eax=%08x ebx=%08x ecx=%08x edx=%08x\n",
		       out[0], out[1], out[2], out[3]);
		return 0;
	}
	signal(SIGSEGV, on_xsegv);
	if (!strcmp(mode, "once")) {
		if (madvise(xmap + page, page, MADV_DONTNEED))
			die("madvise");
		xcall(leaf, sub, out);
		printf("eax=%08x ebx=%08x ecx=%08x edx=%08x\n",
		       out[0], out[1], out[2], out[3]);
		return 0;
	}
	xcall(leaf, sub, first);
	if (pthread_create(&th, NULL, dropper, NULL))
		die("pthread_create");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 256; i++, xiters++) {
			xcall(leaf, sub, out);
			if (memcmp(out, first, sizeof(out))) {
				printf("differs after %lu: ecx=%08x, first %08x\n",
				       xiters, out[2], first[2]);
				return 1;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < secs);
	xstop = 1;
	pthread_join(th, NULL);
	printf("iterations=%lu drops=%lu ecx=%08x\n", xiters, xdrops, first[2]);
	return 0;
}

/* --- an LDT code segment ------------------------------------------------- */

static sigjmp_buf ldt_jmp;
static volatile int ldt_sig;
static volatile unsigned long ldt_cs, ldt_ip, ldt_cx;

static void on_ldt(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)si;
	ldt_sig = sig;
	ldt_cs = UC_CS(uc);
	ldt_ip = uc->uc_mcontext.gregs[UC_IP];
	ldt_cx = uc->uc_mcontext.gregs[UC_CX];
	siglongjmp(ldt_jmp, 1);
}

static int cmd_ldt(const char *what)
{
	static char altstack[65536];
	struct user_desc d;
	struct sigaction sa;
	stack_t ss;
	unsigned char *m;
	unsigned int sel = (0 << 3) | 4 | 3;	/* LDT entry 0, RPL 3 */
	struct { uint32_t off; uint16_t sel; } __attribute__((packed)) far;
	int hlt;

	if (!strcmp(what, "cpuid"))
		hlt = 0;
	else if (!strcmp(what, "hlt"))
		hlt = 1;
	else
		usage();
	page = sysconf(_SC_PAGESIZE);
	/* Below 4 GiB: a 32-bit EIP must be able to name it. */
	m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE | PROT_EXEC,
#ifdef __x86_64__
		 MAP_32BIT |
#endif
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		die("mmap");
	memset(m, 0xcc, 2 * page);
	/*
	 * The segment's base is one page, its EIP the flat address of the
	 * first page: the instruction really executed is on the second page,
	 * while m itself (what a base-blind reader of regs->ip sees) holds a
	 * CPUID in both cases.
	 */
	m[0] = 0x0f;
	m[1] = 0xa2;
	if (hlt) {
		m[page] = 0xf4;
		m[page + 1] = 0x90;	/* nop: HLT taken as CPUID lands on int3 */
	} else {
		m[page] = 0x0f;
		m[page + 1] = 0xa2;
	}

	memset(&d, 0, sizeof(d));
	d.entry_number = 0;
	d.base_addr = (unsigned int)page;
	d.limit = 0xfffff;
	d.seg_32bit = 1;
	d.contents = MODIFY_LDT_CONTENTS_CODE;
	d.limit_in_pages = 1;
	d.useable = 1;
	if (syscall(SYS_modify_ldt, 1, &d, sizeof(d)))
		die("modify_ldt");

	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL))
		die("sigaltstack");
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_ldt;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGTRAP, &sa, NULL))
		die("sigaction");

	far.off = (uint32_t)(unsigned long)m;
	far.sel = sel;
	if (!sigsetjmp(ldt_jmp, 1)) {
		/* EAX=6, ECX=0; no return: a signal ends it. */
		__asm__ volatile("mov $6, %%eax\n xor %%ecx, %%ecx\n ljmp *%0"
				 : : "m"(far) : "eax", "ecx", "memory");
		__builtin_unreachable();
	}
	printf("sig=%s cs=%s ip=+%ld ecx=%08x\n", signame(ldt_sig),
	       ldt_cs == sel ? "ldt" : "other",
	       (long)(ldt_ip - (unsigned long)m), (uint32_t)ldt_cx);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(argv[1], "step") && argc == 4)
		return cmd_step(num(argv[2]), num(argv[3]));
	if (!strcmp(argv[1], "tf") && argc == 4)
		return cmd_tf(num(argv[2]), num(argv[3]));
	if (!strcmp(argv[1], "rf") && argc == 4)
		return cmd_rf(num(argv[2]), num(argv[3]), 1);
	if (!strcmp(argv[1], "bp") && argc == 4)
		return cmd_rf(num(argv[2]), num(argv[3]), 0);
	if (!strcmp(argv[1], "xpage"))
		return cmd_xpage(argc - 2, argv + 2);
	if (!strcmp(argv[1], "ldt") && argc == 3)
		return cmd_ldt(argv[2]);
	usage();
	return 2;
}
