// SPDX-License-Identifier: GPL-2.0
/*
 * cpuid-oracle TABLE CPUID-BINARY VADDR...
 *
 * Runs the real `cpuid -1 -r` (Debian's binary, unmodified) with every CPUID
 * instruction it executes answered from TABLE, a recorded `cpuid -r` dump,
 * instead of by this host's CPU. So the tool's own enumeration of leaves and
 * subleaves can be replayed on any recorded CPU. VADDR are the addresses of
 * the binary's CPUID instructions (objdump -d; cpuid-oracle.sh finds them);
 * each gets an int3 breakpoint, and at each hit the tracer loads
 * EAX..EDX from the table and steps over the 2-byte instruction.
 *
 * Answers come from cpuid_dump_replay(), the same fake CPU the unit tests
 * use. Every query the table cannot answer exactly is reported on stderr
 * as "# miss LEAF SUBLEAF" (the tool then saw what cpuid_dump_replay made
 * up, so a dump needing such answers is not a faithful record).
 * CPUID_ORACLE_TRACE=1 in the environment also lists every query.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dump.h"

#define MAX_BP 16

static unsigned long load_base(pid_t pid, const char *bin)
{
	char path[64], line[4096], real[4096];
	unsigned long start, off;
	FILE *f;

	if (!realpath(bin, real)) {
		perror(bin);
		exit(1);
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f) {
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (!p)
			continue;
		p[strcspn(p, "\n")] = '\0';
		if (strcmp(p, real))
			continue;
		if (sscanf(line, "%lx-%*x %*s %lx", &start, &off) == 2 && !off) {
			fclose(f);
			return start;
		}
	}
	fclose(f);
	fprintf(stderr, "cpuid-oracle: %s not mapped in the child\n", real);
	exit(1);
}

int main(int argc, char **argv)
{
	unsigned long bp[MAX_BP], base;
	struct cpuid_dump table;
	struct diag diag = { 0 };
	int nbp = 0, status, i, misses = 0;
	bool trace = getenv("CPUID_ORACLE_TRACE");
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: cpuid-oracle TABLE CPUID-BINARY VADDR...\n");
		return 2;
	}
	if (cpuid_dump_load(&table, argv[1], -1, &diag)) {
		fprintf(stderr, "cpuid-oracle: %s\n", diag.msg);
		return 1;
	}
	for (i = 3; i < argc && nbp < MAX_BP; i++)
		bp[nbp++] = strtoul(argv[i], NULL, 16);

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execl(argv[2], "cpuid", "-1", "-r", (char *)NULL);
		_exit(127);
	}
	/* Stopped at the exec: the binary is mapped, nothing has run. */
	if (waitpid(pid, &status, 0) < 0 || !WIFSTOPPED(status)) {
		fprintf(stderr, "cpuid-oracle: cannot start %s\n", argv[2]);
		return 1;
	}
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_EXITKILL);
	base = load_base(pid, argv[2]);
	for (i = 0; i < nbp; i++) {
		unsigned long w;

		bp[i] += base;
		errno = 0;
		w = ptrace(PTRACE_PEEKTEXT, pid, (void *)bp[i], NULL);
		if (errno || (w & 0xffff) != 0xa20f) {
			fprintf(stderr, "cpuid-oracle: no CPUID (0f a2) at %#lx\n",
				bp[i] - base);
			return 1;
		}
		ptrace(PTRACE_POKETEXT, pid, (void *)bp[i],
		       (void *)((w & ~0xffUL) | 0xcc));
	}
	for (int sig = 0;;) {
		struct user_regs_struct regs;
		uint32_t r[CPUID_NR_REGS];

		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
		if (waitpid(pid, &status, 0) < 0)
			break;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		sig = WSTOPSIG(status);
		if (sig != SIGTRAP)
			continue;
		ptrace(PTRACE_GETREGS, pid, NULL, &regs);
		for (i = 0; i < nbp && regs.rip - 1 != bp[i]; i++)
			;
		if (i == nbp) {
			fprintf(stderr, "cpuid-oracle: unexpected SIGTRAP at %#llx\n",
				regs.rip);
			kill(pid, SIGKILL);
			return 1;
		}
		sig = 0;
		if (trace)
			fprintf(stderr, "# query 0x%08x 0x%02x\n",
				(uint32_t)regs.rax, (uint32_t)regs.rcx);
		if (!cpuid_dump_replay(&table, (uint32_t)regs.rax,
				       (uint32_t)regs.rcx, r)) {
			fprintf(stderr, "# miss 0x%08x 0x%02x\n",
				(uint32_t)regs.rax, (uint32_t)regs.rcx);
			misses++;
		}
		regs.rax = r[CPUID_EAX];
		regs.rbx = r[CPUID_EBX];
		regs.rcx = r[CPUID_ECX];
		regs.rdx = r[CPUID_EDX];
		regs.rip = bp[i] + 2;
		ptrace(PTRACE_SETREGS, pid, NULL, &regs);
	}
	cpuid_dump_free(&table);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "cpuid-oracle: cpuid did not exit 0\n");
		return 1;
	}
	return misses ? 3 : 0;
}
