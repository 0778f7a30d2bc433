// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidq LEAF [SUBLEAF] [--expect-sigsegv]
 *
 * Execute CPUID once and print "eax=%08x ebx=%08x ecx=%08x edx=%08x".
 * With --expect-sigsegv a SIGSEGV handler is installed first: if CPUID
 * faults the program prints "sigsegv" and exits 3 instead of dying.
 * Exit 0 after printing the registers, 2 on bad usage.
 */
/* build: m32 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_sigsegv(int sig)
{
	static const char msg[] = "sigsegv\n";

	(void)sig;
	/* Only async-signal-safe calls here. */
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(4);
	_exit(3);
}

static int parse_u32(const char *s, unsigned int *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > 0xffffffffULL || *s == '-')
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: cpuidq LEAF [SUBLEAF] [--expect-sigsegv]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned int leaf = 0, subleaf = 0, a, b, c, d;
	int expect_segv = 0, nargs = 0, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--expect-sigsegv")) {
			expect_segv = 1;
			continue;
		}
		if (nargs == 0 && !parse_u32(argv[i], &leaf)) {
			nargs++;
			continue;
		}
		if (nargs == 1 && !parse_u32(argv[i], &subleaf)) {
			nargs++;
			continue;
		}
		fprintf(stderr, "cpuidq: bad argument '%s'\n", argv[i]);
		usage();
	}
	if (nargs == 0)
		usage();

	if (expect_segv) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigsegv;
		if (sigaction(SIGSEGV, &sa, NULL)) {
			perror("cpuidq: sigaction");
			return 1;
		}
	}

	/* Raw instruction: no <cpuid.h> max-leaf checks, no caching. */
	__asm__ volatile("cpuid"
			 : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			 : "a"(leaf), "c"(subleaf));
	printf("eax=%08x ebx=%08x ecx=%08x edx=%08x\n", a, b, c, d);
	return 0;
}
