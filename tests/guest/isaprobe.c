// SPDX-License-Identifier: GPL-2.0
/*
 * isaprobe [NAME...]
 *
 * Execute one instruction of each ISA extension and print, per line,
 * "NAME cpuid=0|1 exec=ok|SIGILL|SIGSEGV [result=...]": whether CPUID
 * claims the extension, and what the CPU (or QEMU's TCG) actually does
 * with the instruction. It answers "does the emulated CPU enforce what
 * its CPUID says?", which decides whether a migrated process that kept
 * using AVX2 dies with SIGILL on a model without AVX2 (issue 10).
 * LZCNT/TZCNT decode as BSR/BSF on CPUs without them, so their line
 * shows the result of lzcnt(1) (31 = LZCNT ran, 0 = BSR ran).
 * First line: "xcr0=HEX" (or "xcr0=none" without OSXSAVE); with OSXSAVE
 * a second line "xsave-0xee-extent=N": how many bytes XSAVE writes with
 * glibc's STATE_SAVE_MASK (0xee, the components its lazy-binding
 * trampoline saves) into a buffer glibc sized from CPUID 0xd.0 EBX.
 * Exit 0; 2 on an unknown NAME.
 */
#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sigjmp_buf env;

static void on_sig(int sig)
{
	siglongjmp(env, sig);
}

static unsigned long res;

#define P(body) do { __asm__ volatile(body ::: "memory", "cc", "rax", "rbx", "rcx", "rdx", \
	"xmm0", "xmm1", "xmm2"); } while (0)

static void t_sse42(void) { P("crc32l %%eax, %%eax"); }
static void t_popcnt(void) { P("popcnt %%eax, %%eax"); }
static void t_aes(void) { P("aesenc %%xmm0, %%xmm0"); }
static void t_pclmul(void) { P("pclmulqdq $0, %%xmm0, %%xmm0"); }
static void t_avx(void) { P("vaddps %%ymm0, %%ymm0, %%ymm0"); }
static void t_avx128(void) { P("vaddps %%xmm0, %%xmm0, %%xmm0"); }
static void t_avx2(void) { P("vpaddd %%ymm0, %%ymm0, %%ymm0"); }
static void t_fma(void) { P("vfmadd231ps %%xmm0, %%xmm0, %%xmm0"); }
static void t_f16c(void) { P("vcvtph2ps %%xmm0, %%xmm0"); }
static void t_bmi1(void) { P("andn %%eax, %%eax, %%eax"); }
static void t_bmi2(void) { P("xor %%edx, %%edx; mulx %%eax, %%eax, %%ebx"); }
static void t_movbe(void) { P("movbe (%%rsp), %%eax"); }
static void t_adx(void) { P("adcx %%eax, %%eax"); }
static void t_rdrand(void) { P("rdrand %%eax"); }
static void t_sha(void) { P("sha256rnds2 %%xmm0, %%xmm1, %%xmm2"); }
static void t_avx512f(void) { P("vpaddd %%zmm0, %%zmm0, %%zmm0"); }
static void t_xsaveopt(void)
{
	static char area[4096] __attribute__((aligned(64)));

	__asm__ volatile("xor %%edx, %%edx; mov $3, %%eax; xsaveopt (%0)"
			 :: "r"(area) : "memory", "rax", "rdx");
}
static void t_lzcnt(void)
{
	unsigned int r, one = 1;

	__asm__ volatile("lzcnt %1, %0" : "=r"(r) : "r"(one) : "cc");
	res = r;
}

struct probe {
	const char *name;
	void (*fn)(void);
	unsigned int leaf, sub, reg, bit;	/* reg: 1=ebx 2=ecx 3=edx */
	int has_result;
};

static const struct probe probes[] = {
	{ "sse4.2", t_sse42, 1, 0, 2, 20, 0 },
	{ "popcnt", t_popcnt, 1, 0, 2, 23, 0 },
	{ "aes", t_aes, 1, 0, 2, 25, 0 },
	{ "pclmul", t_pclmul, 1, 0, 2, 1, 0 },
	{ "movbe", t_movbe, 1, 0, 2, 22, 0 },
	{ "rdrand", t_rdrand, 1, 0, 2, 30, 0 },
	{ "avx128", t_avx128, 1, 0, 2, 28, 0 },
	{ "avx", t_avx, 1, 0, 2, 28, 0 },
	{ "f16c", t_f16c, 1, 0, 2, 29, 0 },
	{ "fma", t_fma, 1, 0, 2, 12, 0 },
	{ "avx2", t_avx2, 7, 0, 1, 5, 0 },
	{ "bmi1", t_bmi1, 7, 0, 1, 3, 0 },
	{ "bmi2", t_bmi2, 7, 0, 1, 8, 0 },
	{ "adx", t_adx, 7, 0, 1, 19, 0 },
	{ "sha", t_sha, 7, 0, 1, 29, 0 },
	{ "avx512f", t_avx512f, 7, 0, 1, 16, 0 },
	{ "xsaveopt", t_xsaveopt, 0xd, 1, 0, 0, 0 },
	{ "lzcnt", t_lzcnt, 0x80000001, 0, 2, 5, 1 },
};

/* Highest byte XSAVE with RFBM = mask & XCR0 modifies, over two fills. */
static unsigned int xsave_extent(unsigned int mask)
{
	static unsigned char area[8192] __attribute__((aligned(64)));
	static const unsigned char fills[] = { 0xa5, 0x5a };
	unsigned int f, i, top = 0;

	for (f = 0; f < sizeof(fills); f++) {
		memset(area, fills[f], sizeof(area));
		__asm__ volatile("xsave (%0)" :: "r"(area), "a"(mask), "d"(0) : "memory");
		for (i = sizeof(area); i > top; i--)
			if (area[i - 1] != fills[f]) {
				top = i;
				break;
			}
	}
	return top;
}

static int cpuid_bit(const struct probe *p)
{
	unsigned int r[4] = { 0 }, max;

	max = __get_cpuid_max(p->leaf & 0x80000000, NULL);
	if (p->leaf > max)
		return 0;
	__cpuid_count(p->leaf, p->sub, r[0], r[1], r[2], r[3]);
	return (r[p->reg] >> p->bit) & 1;
}

static void run(const struct probe *p)
{
	volatile int sig;

	res = 0;
	sig = sigsetjmp(env, 1);
	if (!sig)
		p->fn();
	printf("%s cpuid=%d exec=%s", p->name, cpuid_bit(p),
	       sig == SIGILL ? "SIGILL" : sig == SIGSEGV ? "SIGSEGV" : sig ? "signal" : "ok");
	if (p->has_result && !sig)
		printf(" result=%lu", res);
	printf("\n");
}

int main(int argc, char **argv)
{
	unsigned int a, b, c, d, lo, hi;
	size_t i;
	int j, found;

	signal(SIGILL, on_sig);
	signal(SIGSEGV, on_sig);
	__cpuid(1, a, b, c, d);
	if (c & (1u << 27)) {
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		printf("xcr0=%x\n", lo);
		printf("xsave-0xee-extent=%u\n", xsave_extent(0xee));
	} else {
		printf("xcr0=none\n");
	}
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		found = argc < 2;
		for (j = 1; j < argc; j++)
			found |= !strcmp(argv[j], probes[i].name);
		if (found)
			run(&probes[i]);
	}
	for (j = 1; j < argc; j++) {
		found = 0;
		for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
			found |= !strcmp(argv[j], probes[i].name);
		if (!found) {
			fprintf(stderr, "isaprobe: unknown instruction '%s'\n", argv[j]);
			return 2;
		}
	}
	return 0;
}
