// SPDX-License-Identifier: GPL-2.0
/*
 * The x86-64 micro-architecture levels, written out by hand as raw CPUID
 * positions, so that tests judge profiles and the feature table against
 * the documents and not against tools/cpuidctl/lib/features.def (whose
 * levels[] builds the profiles under test).
 *
 * Which features: System V Application Binary Interface, AMD64
 * Architecture Processor Supplement (the x86-64 psABI), section 3.1.1
 * "Processor Architecture", table "Micro-Architecture Levels"
 * (x86-64-ABI/low-level-sys-info.tex in the psABI sources):
 *   x86-64-v1 (baseline): CMOV CX8 FPU FXSR MMX OSFXSR SCE SSE SSE2
 *   x86-64-v2: CMPXCHG16B LAHF-SAHF POPCNT SSE3 SSE4_1 SSE4_2 SSSE3
 *   x86-64-v3: AVX AVX2 BMI1 BMI2 F16C FMA LZCNT MOVBE OSXSAVE
 *   x86-64-v4: AVX512F AVX512BW AVX512CD AVX512DQ AVX512VL
 * OSFXSR is CR4 bit 9, set by the OS, not a CPUID bit: nothing to check.
 *
 * Where they are: Intel SDM Vol. 2A, CPUID, tables "Feature Information
 * Returned in the ECX Register" / "... EDX Register" (leaf 01H),
 * "Structured Extended Feature Flags Enumeration Leaf" (leaf 07H, subleaf
 * 0) and leaf 80000001H.
 */
#include <string.h>

#include "unit.h"

const struct psabi_bit psabi_bits[] = {
	/* x86-64-v1 */
	{ "FPU",	 0x1, CPUID_EDX, 0, 1 },
	{ "CX8",	 0x1, CPUID_EDX, 8, 1 },
	{ "CMOV",	 0x1, CPUID_EDX, 15, 1 },
	{ "MMX",	 0x1, CPUID_EDX, 23, 1 },
	{ "FXSR",	 0x1, CPUID_EDX, 24, 1 },
	{ "SSE",	 0x1, CPUID_EDX, 25, 1 },
	{ "SSE2",	 0x1, CPUID_EDX, 26, 1 },
	{ "SCE",	 0x80000001, CPUID_EDX, 11, 1 },	/* SYSCALL/SYSRET */
	/* x86-64-v2 */
	{ "SSE3",	 0x1, CPUID_ECX, 0, 2 },
	{ "SSSE3",	 0x1, CPUID_ECX, 9, 2 },
	{ "CMPXCHG16B",	 0x1, CPUID_ECX, 13, 2 },
	{ "SSE4_1",	 0x1, CPUID_ECX, 19, 2 },
	{ "SSE4_2",	 0x1, CPUID_ECX, 20, 2 },
	{ "POPCNT",	 0x1, CPUID_ECX, 23, 2 },
	{ "LAHF-SAHF",	 0x80000001, CPUID_ECX, 0, 2 },
	/* x86-64-v3 */
	{ "FMA",	 0x1, CPUID_ECX, 12, 3 },
	{ "MOVBE",	 0x1, CPUID_ECX, 22, 3 },
	{ "OSXSAVE",	 0x1, CPUID_ECX, 27, 3 },
	{ "AVX",	 0x1, CPUID_ECX, 28, 3 },
	{ "F16C",	 0x1, CPUID_ECX, 29, 3 },
	{ "BMI1",	 0x7, CPUID_EBX, 3, 3 },
	{ "AVX2",	 0x7, CPUID_EBX, 5, 3 },
	{ "BMI2",	 0x7, CPUID_EBX, 8, 3 },
	{ "LZCNT",	 0x80000001, CPUID_ECX, 5, 3 },
	/* x86-64-v4 */
	{ "AVX512F",	 0x7, CPUID_EBX, 16, 4 },
	{ "AVX512DQ",	 0x7, CPUID_EBX, 17, 4 },
	{ "AVX512CD",	 0x7, CPUID_EBX, 28, 4 },
	{ "AVX512BW",	 0x7, CPUID_EBX, 30, 4 },
	{ "AVX512VL",	 0x7, CPUID_EBX, 31, 4 },
};
const size_t psabi_nr_bits = sizeof(psabi_bits) / sizeof(psabi_bits[0]);

/*
 * The bit as a program would read it: leaves above the maximum (0 / 0x80000000
 * EAX) read as absent, whatever the dump holds for them.
 */
bool psabi_has(const struct cpuid_dump *d, const struct psabi_bit *b)
{
	uint32_t range = b->leaf & 0x80000000u;
	const struct cpuid_entry *max = cpuid_dump_find(d, range, 0);
	const struct cpuid_entry *e = cpuid_dump_find(d, b->leaf, 0);

	if (!max || max->r[CPUID_EAX] < b->leaf || !e)
		return false;
	return (e->r[b->reg] >> b->bit) & 1;
}

int psabi_level(const struct cpuid_dump *d)
{
	int level, ok = 0;
	size_t i;

	for (level = 1; level <= 4; level++) {
		for (i = 0; i < psabi_nr_bits; i++)
			if (psabi_bits[i].level == level &&
			    !psabi_has(d, &psabi_bits[i]))
				return ok;
		ok = level;
	}
	return ok;
}

void psabi_assert_exactly(const struct cpuid_dump *d, int level,
			  const char *what)
{
	size_t i;

	for (i = 0; i < psabi_nr_bits; i++) {
		const struct psabi_bit *b = &psabi_bits[i];
		bool want = b->level <= level, got = psabi_has(d, b);

		ck_assert_msg(got == want,
			      "%s: psABI x86-64-v%d feature %s (CPUID %#x %s bit %u) is %s, want %s for x86-64-v%d",
			      what, b->level, b->name, b->leaf,
			      cpuid_reg_name(b->reg), b->bit,
			      got ? "set" : "clear", want ? "set" : "clear",
			      level);
	}
}
