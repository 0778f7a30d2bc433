// SPDX-License-Identifier: GPL-2.0
/*
 * migload OUTFILE        run forever: every 100 ms one "tick", appended
 *                        to OUTFILE as "tick N sum XXXXXXXX avx2 0|1"
 * migload --sum N        print tick N's sum, computed here and now
 *
 * The workload of the migration scenarios (issue 10). Its code paths are
 * chosen from CPUID at start-up by real libraries, not by us: glibc's
 * ifuncs pick memchr/memcpy/memcmp/strlen variants (AVX2 ones on a CPU
 * that has AVX2), libgcc's __builtin_cpu_supports("avx2") picks our
 * vector sum, OpenSSL's libcrypto (dlopen'ed at start, so its
 * OPENSSL_ia32cap is set then) picks its SHA-256 code (AVX2+BMI2 on
 * such a CPU) for a digest of each tick's buffer. Each tick's sum depends only on N, so a restored process
 * can be checked against a fresh "--sum N" on the destination. The first
 * line is "start pid P avx2 0|1". After a move to a CPU without AVX2 the
 * paths chosen before the move are still used: without a profile that
 * hid AVX2 at start-up, the next tick executes AVX2 instructions.
 * SIGUSR1 makes the next tick call, for the first time, a libc function
 * (strtod) through its PLT (lazy binding: glibc's _dl_runtime_resolve
 * saves the vector registers with XSAVE into a stack area sized from
 * CPUID 0xd at start-up) and append "bound strtod=27 smashed N" to
 * OUTFILE (N: bytes of the calling frame the binding changed, 0 unless
 * XSAVE overflowed glibc's area), then
 * "cpuid7 ebx=X ecx=Y" as CPUID answers now (after a restore: through
 * the destination's profile, if any). Used after a restore on a CPU with
 * a larger XSAVE area.
 * Exit 2 on bad usage, 1 if OUTFILE cannot be written or libcrypto.so.3
 * cannot be loaded.
 */
#include <cpuid.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <immintrin.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUF 4096

static unsigned char buf[BUF], buf2[BUF];
static volatile sig_atomic_t bind_now;

static void on_usr1(int sig)
{
	(void)sig;
	bind_now = 1;
}

static const char *volatile late_arg = "27";

/* strtod's first call, through the PLT. */
/*
 * strtod's first call, through the PLT, from a frame that is all guard:
 * glibc's trampoline XSAVEs below our stack pointer into an area sized at
 * start-up; whatever it writes past that area lands in the guard (the
 * 64 to 160 bytes above our stack pointer). Returns how many guard bytes
 * changed.
 */
__attribute__((noinline)) static int late_bind(double *d)
{
	volatile unsigned char guard[512];
	int i, n = 0;

	for (i = 0; i < (int)sizeof(guard); i++)
		guard[i] = 0xa5;
	*d = strtod(late_arg, NULL);
	for (i = 0; i < (int)sizeof(guard); i++)
		n += guard[i] != 0xa5;
	return n;
}

__attribute__((target("avx2")))
static uint32_t vsum_avx2(const uint32_t *w, size_t n)
{
	__m256i acc = _mm256_setzero_si256();
	uint32_t t[8], s = 0;
	size_t i;

	for (i = 0; i < n; i += 8)
		acc = _mm256_add_epi32(acc, _mm256_loadu_si256((const __m256i *)(w + i)));
	_mm256_storeu_si256((__m256i *)t, acc);
	for (i = 0; i < 8; i++)
		s += t[i];
	return s;
}

static uint32_t vsum_generic(const uint32_t *w, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += w[i];
	return s;
}

/* libcrypto's one-shot digest, looked up at start (no -lcrypto needed). */
static int (*evp_digest)(const void *, size_t, unsigned char *, unsigned int *,
			 const void *, void *);
static const void *sha256;

static int load_crypto(void)
{
	const void *(*evp_sha256)(void);
	void *h = dlopen("libcrypto.so.3", RTLD_NOW);

	if (!h) {
		fprintf(stderr, "migload: %s\n", dlerror());
		return -1;
	}
	evp_sha256 = (const void *(*)(void))dlsym(h, "EVP_sha256");
	evp_digest = (int (*)(const void *, size_t, unsigned char *, unsigned int *,
			      const void *, void *))dlsym(h, "EVP_Digest");
	if (!evp_sha256 || !evp_digest) {
		fprintf(stderr, "migload: libcrypto.so.3 lacks EVP_sha256/EVP_Digest\n");
		return -1;
	}
	sha256 = evp_sha256();
	return 0;
}

static int have_avx2(void)
{
	return !!__builtin_cpu_supports("avx2");
}

static uint32_t tick(uint32_t n)
{
	uint32_t x = n * 2654435761u + 1, s = n, w[BUF / 4];
	unsigned char *p, md[64];
	unsigned int mdlen;
	size_t i;

	for (i = 0; i < BUF; i++) {
		x = x * 1103515245u + 12345;
		buf[i] = (unsigned char)(x >> 16);
	}
	for (i = 0; i < 64; i++) {
		p = memchr(buf, (int)((n + i) & 0xff), BUF);
		s = s * 31 + (p ? (uint32_t)(p - buf) : BUF + 1);
	}
	memcpy(buf2, buf, BUF);
	s = s * 31 + (uint32_t)(memcmp(buf2, buf, BUF) != 0);
	buf[BUF - 1] = 0;
	s = s * 31 + (uint32_t)strlen((char *)buf);
	memcpy(w, buf, BUF);
	s = s * 31 + (have_avx2() ? vsum_avx2(w, BUF / 4) : vsum_generic(w, BUF / 4));
	if (!evp_digest(buf, BUF, md, &mdlen, sha256, NULL))
		abort();
	s = s * 31 + ((uint32_t)md[0] << 24 | md[1] << 16 | md[2] << 8 | md[3]);
	return s;
}

static int run(const char *path)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	char line[80];
	uint32_t n;
	int fd, len;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	len = snprintf(line, sizeof(line), "start pid %d avx2 %d\n", (int)getpid(), have_avx2());
	if (write(fd, line, len) != len)
		return 1;
	signal(SIGUSR1, on_usr1);
	for (n = 0;; n++) {
		if (bind_now == 1) {
			unsigned int a, b, c, d;
			double v;
			int smashed;

			bind_now = 2;
			smashed = late_bind(&v);
			len = snprintf(line, sizeof(line), "bound strtod=%.0f smashed %d\n", v, smashed);
			if (write(fd, line, len) != len)
				return 1;
			__cpuid_count(7, 0, a, b, c, d);
			len = snprintf(line, sizeof(line), "cpuid7 ebx=%08x ecx=%08x\n", b, c);
			if (write(fd, line, len) != len)
				return 1;
		}
		len = snprintf(line, sizeof(line), "tick %u sum %08x avx2 %d\n", n, tick(n), have_avx2());
		if (write(fd, line, len) != len)
			return 1;
		nanosleep(&ts, NULL);
	}
}

int main(int argc, char **argv)
{
	if (load_crypto())
		return 1;
	if (argc == 3 && !strcmp(argv[1], "--sum")) {
		printf("%08x\n", tick((uint32_t)strtoul(argv[2], NULL, 0)));
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: migload OUTFILE | migload --sum N\n");
		return 2;
	}
	return run(argv[1]);
}
