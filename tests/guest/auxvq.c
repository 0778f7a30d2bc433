// SPDX-License-Identifier: GPL-2.0
/*
 * auxvq [ARGS...]
 * auxvq --pid PID
 *
 * Print the kernel's hardware-capability words as this program got them,
 * without getauxval() (glibc's AT_HWCAP on x86-64 is its own word):
 *   stack hwcap=H hwcap2=H2     from the auxv after envp on the initial
 *                               stack (what ld.so and libc read)
 *   proc hwcap=H hwcap2=H2      from /proc/self/auxv (mm->saved_auxv)
 *   cpuid 1.edx=E 1.ecx=C 7.ebx=B   what CPUID says here
 *   argc N                      (binfmt_script adds arguments)
 * Values in hex without 0x, "none" when the entry is missing. Exit 0, 1 if
 * /proc/self/auxv cannot be read. Extra arguments are ignored. With
 * --pid, only the "proc" line, from /proc/PID/auxv of that 64-bit process.
 */
/* build: m32 */
#include <cpuid.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef AT_HWCAP2
#define AT_HWCAP2 26
#endif

static void show(const char *what, const unsigned long *av, unsigned long n)
{
	unsigned long i;
	int h = 0, h2 = 0;
	unsigned long hv = 0, h2v = 0;

	for (i = 0; i + 1 < n && av[i] != AT_NULL; i += 2) {
		if (av[i] == AT_HWCAP) {
			h = 1;
			hv = av[i + 1];
		} else if (av[i] == AT_HWCAP2) {
			h2 = 1;
			h2v = av[i + 1];
		}
	}
	printf("%s hwcap=", what);
	if (h)
		printf("%08lx", hv);
	else
		printf("none");
	printf(" hwcap2=");
	if (h2)
		printf("%08lx\n", h2v);
	else
		printf("none\n");
}

int main(int argc, char **argv, char **envp)
{
	unsigned long buf[512];
	unsigned int a, b, c, d, ecx1;
	char **e = envp;
	ssize_t n;
	int fd;

	if (argc == 3 && !strcmp(argv[1], "--pid")) {
		snprintf((char *)buf, sizeof(buf), "/proc/%s/auxv", argv[2]);
		fd = open((char *)buf, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
		if (n <= 0) {
			perror(argv[2]);
			return 1;
		}
		show("proc", buf, (unsigned long)n / sizeof(buf[0]));
		return 0;
	}
	/* The auxv starts right after envp's NULL; it ends with AT_NULL. */
	while (*e)
		e++;
	show("stack", (const unsigned long *)(e + 1), 4096);

	fd = open("/proc/self/auxv", O_RDONLY);
	if (fd < 0) {
		perror("/proc/self/auxv");
		return 1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0) {
		perror("read /proc/self/auxv");
		return 1;
	}
	show("proc", buf, (unsigned long)n / sizeof(buf[0]));

	__cpuid_count(1, 0, a, b, c, d);
	ecx1 = c;
	printf("cpuid 1.edx=%08x 1.ecx=%08x", d, ecx1);
	__cpuid_count(7, 0, a, b, c, d);
	printf(" 7.ebx=%08x\n", b);
	printf("argc %d\n", argc);
	return 0;
}
