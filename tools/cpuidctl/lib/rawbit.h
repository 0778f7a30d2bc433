/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw CPUID bits, written LEAF_SUBLEAF_REG_BIT (7_0_ebx_5,
 * 0x80000001_0_ecx_6): parsing with a precise reason for what is wrong,
 * and the named features at a position.
 */
#ifndef CPUIDCTL_RAWBIT_H
#define CPUIDCTL_RAWBIT_H

#include <stddef.h>
#include <stdint.h>

#include "cpufeat.h"

struct cpuid_bit {
	uint32_t leaf;
	uint32_t subleaf;
	unsigned int reg;	/* enum cpuid_reg */
	unsigned int bit;	/* 0..31 */
};

/*
 * Parse @s. Returns 0, or -EINVAL with the reason in @why ("bit 99 is out
 * of range (0..31)", "register 'exx' is not one of eax, ebx, ecx, edx",
 * ...), without the word itself.
 */
int cpuid_bit_parse(const char *s, struct cpuid_bit *b, char *why, size_t len);

/* Whether @s is meant as a raw bit: a digit first, and an underscore. */
bool cpuid_bit_like(const char *s);

/*
 * The named features at @b, primary entries before aliases, into @out
 * (at most @max); returns how many there are. The subleaf of a leaf
 * without subleaves is ignored, as the module does.
 */
size_t cpuid_bit_features(const struct cpuid_bit *b,
			  const struct cpu_feature **out, size_t max);

#endif
