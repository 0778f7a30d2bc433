/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw CPUID dumps: the answers of one CPU for every leaf and subleaf, read
 * from the host or parsed from the text of Debian's `cpuid -1 -r` /
 * `cpuid -r` (package cpuid), and printed back in the same format, so a dump
 * taken with either tool feeds every cpuidctl command.
 *
 * Format (one CPU; `cpuid -r` repeats the block as "CPU 0:", "CPU 1:"...):
 *
 *	CPU:
 *	   0x00000000 0x00: eax=0x0000000d ebx=0x756e6547 ecx=0x6c65746e edx=0x49656e69
 */
#ifndef CPUIDCTL_DUMP_H
#define CPUIDCTL_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "cpufeat.h"

struct cpuid_entry {
	uint32_t leaf;
	uint32_t subleaf;
	uint32_t r[CPUID_NR_REGS];	/* indexed by enum cpuid_reg */
};

struct cpuid_dump {
	struct cpuid_entry *e;	/* sorted by (leaf, subleaf), no duplicates */
	size_t n;
	size_t cap;
	int cpu;		/* CPU it was taken on, -1 if unknown */
};

#define CPUID_DUMP_INIT { NULL, 0, 0, -1 }

void cpuid_dump_init(struct cpuid_dump *d);
void cpuid_dump_free(struct cpuid_dump *d);
/* Deep copy; -ENOMEM on failure (@dst is then empty). */
int cpuid_dump_copy(struct cpuid_dump *dst, const struct cpuid_dump *src);

/* Insert or replace one entry; -ENOMEM on allocation failure. */
int cpuid_dump_set(struct cpuid_dump *d, uint32_t leaf, uint32_t subleaf,
		   const uint32_t r[CPUID_NR_REGS]);

/* The recorded entry, or NULL. */
const struct cpuid_entry *cpuid_dump_find(const struct cpuid_dump *d,
					  uint32_t leaf, uint32_t subleaf);

/*
 * What CPUID(leaf, subleaf) returned on that CPU, as far as the dump can
 * tell: the recorded entry; for a leaf recorded only at subleaf 0 and that
 * has no subleaves, that entry; zeros if the leaf lies above the maximum
 * of its range (0 or 0x80000000). Returns false when the dump has no answer.
 */
bool cpuid_dump_query(const struct cpuid_dump *d, uint32_t leaf,
		      uint32_t subleaf, uint32_t out[CPUID_NR_REGS]);

/*
 * A fake CPUID instruction that answers from a recorded dump: the entry for
 * (leaf, subleaf), or subleaf 0's for a leaf without subleaves; true then.
 * Anything else reads as all zeros and returns false (the dump does not
 * record it: typically a terminating subleaf `cpuid -r` does not print).
 */
bool cpuid_dump_replay(const struct cpuid_dump *d, uint32_t leaf,
		       uint32_t subleaf, uint32_t out[CPUID_NR_REGS]);

/* Whether the feature bit is set in the dump (false if not recorded). */
bool cpuid_dump_has(const struct cpuid_dump *d, const struct cpu_feature *f);

/* All named features set in the dump (FEAT_ALIAS entries included). */
void cpuid_dump_features(const struct cpuid_dump *d, struct feature_set *out);

/* "GenuineIntel", "AuthenticAMD"... (13 bytes with NUL); "" if absent. */
void cpuid_dump_vendor(const struct cpuid_dump *d, char out[13]);
/* Brand string of 0x80000002..4, leading blanks trimmed; "" if absent. */
void cpuid_dump_brand(const struct cpuid_dump *d, char out[49]);
/* Display family/model/stepping from leaf 1 EAX; false if absent. */
bool cpuid_dump_fms(const struct cpuid_dump *d, unsigned int *family,
		    unsigned int *model, unsigned int *stepping);

/*
 * Parse dump text. @name is used in messages ("name:line: ..."). @cpu
 * selects the CPU block of a multi-CPU `cpuid -r` dump; -1 takes the first
 * block (and is what a `cpuid -1 -r` dump needs). Lines that are not
 * entries or CPU headers are errors, except blank lines. Returns 0, or a
 * negative errno with @diag filled: -EINVAL for malformed text, -ENOENT if
 * the requested CPU is not in the dump, -ENODATA for a dump without leaf 0.
 */
int cpuid_dump_parse(struct cpuid_dump *d, const char *text,
		     const char *name, int cpu, struct diag *diag);

/* Read @path ("-" for stdin) and parse it as cpuid_dump_parse() does. */
int cpuid_dump_load(struct cpuid_dump *d, const char *path, int cpu,
		    struct diag *diag);

/* Number of CPU blocks in dump text (1 for `cpuid -1 -r`), 0 if none. */
int cpuid_dump_count_cpus(const char *text);

/*
 * Print in `cpuid -1 -r` format. @header is the first line without the
 * colon, e.g. "CPU" or "CPU 3"; NULL prints no header line.
 */
int cpuid_dump_print(const struct cpuid_dump *d, FILE *out,
		     const char *header);

/*
 * Print @n dumps in `cpuid -r` format: "CPU N:" (N from @cpus) and the
 * entries, block after block. What `cpuidctl dump --all` prints.
 */
int cpuid_dump_print_all(const struct cpuid_dump *d, const int *cpus,
			 size_t n, FILE *out);

/*
 * One execution of CPUID: what the CPU answers to (leaf, subleaf). The
 * native one runs the instruction; tests answer from a recorded dump
 * (cpuid_dump_replay()).
 */
typedef void (*cpuid_insn_fn)(void *ctx, uint32_t leaf, uint32_t subleaf,
			      uint32_t r[CPUID_NR_REGS]);

/*
 * Walk every leaf and subleaf exactly as Debian bookworm's `cpuid -1 -r`
 * (cpuid 20230120) does, asking @insn, and record the answers in @d:
 * ranges 0, 0x20000000, 0x40000000 + n*0x100 (when CPUID(1).ECX[31] says
 * hypervisor), 0x80000000, 0x80860000, 0xc0000000; subleaves of 2, 4, 7,
 * 0xb, 0xd, 0xf, 0x10, 0x12, 0x14, 0x17, 0x18, 0x1b, 0x1d, 0x1f, 0x20,
 * 0x23, 0x8000001d, 0x80000020 and Xen's leaf 3, each by the tool's rule
 * (dump.c); also 0x1e and 0x24 as the newer cpuid 20250316 does.
 * Returns 0 or -ENOMEM (@d is then empty).
 */
int cpuid_dump_enumerate(struct cpuid_dump *d, cpuid_insn_fn insn, void *ctx);

/*
 * Read the host's CPUID on CPU @cpu (-1: wherever the thread runs) with
 * cpuid_dump_enumerate(). Pins the calling thread to @cpu with
 * sched_setaffinity and restores its affinity afterwards. -EINVAL or
 * -ESRCH-style errors from sched_setaffinity are reported in @diag
 * ("CPU 7 is not online").
 */
int cpuid_dump_read_host(struct cpuid_dump *d, int cpu, struct diag *diag);

#endif
