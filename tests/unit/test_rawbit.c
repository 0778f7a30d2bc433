// SPDX-License-Identifier: GPL-2.0
/* Raw CPUID bits: LEAF_SUBLEAF_REG_BIT parsing, the features at a bit. */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "rawbit.h"

static void parse_fails_with(const char *s, const char *why)
{
	struct cpuid_bit b;
	char buf[256] = "";

	ck_assert_msg(cpuid_bit_parse(s, &b, buf, sizeof(buf)) == -EINVAL, "'%s' parsed", s);
	ck_assert_str_eq(buf, why);
}

START_TEST(test_rawbit_parse)
{
	struct cpuid_bit b;
	char why[256];

	ck_assert_int_eq(cpuid_bit_parse("7_0_ebx_5", &b, why, sizeof(why)), 0);
	ck_assert_uint_eq(b.leaf, 7);
	ck_assert_uint_eq(b.subleaf, 0);
	ck_assert_uint_eq(b.reg, CPUID_EBX);
	ck_assert_uint_eq(b.bit, 5);
	ck_assert_int_eq(cpuid_bit_parse("0x80000001_0_ECX_31", &b, why, sizeof(why)), 0);
	ck_assert_uint_eq(b.leaf, 0x80000001);
	ck_assert_uint_eq(b.reg, CPUID_ECX);
	ck_assert_uint_eq(b.bit, 31);

	parse_fails_with("7_0_ebx_99", "bit 99 is out of range (0..31)");
	parse_fails_with("7_0_ebx_32", "bit 32 is out of range (0..31)");
	parse_fails_with("7_0_ebx_0x5", "bit '0x5' is not a decimal number (0..31)");
	parse_fails_with("7_0_ebx_", "bit '' is not a decimal number (0..31)");
	parse_fails_with("7_0_exx_5", "register 'exx' is not one of eax, ebx, ecx, edx");
	parse_fails_with("7_z_ebx_5", "subleaf 'z' is not a number (decimal or 0x hex)");
	parse_fails_with("7x_0_ebx_5", "leaf '7x' is not a number (decimal or 0x hex)");
	parse_fails_with("0x100000000_0_ebx_5", "leaf 0x100000000 is above 0xffffffff");
	parse_fails_with("7_0_ebx", "expected 4 parts LEAF_SUBLEAF_REG_BIT separated by '_', e.g. 7_0_ebx_5");
	parse_fails_with("7_0_ebx_5_1", "expected 4 parts LEAF_SUBLEAF_REG_BIT separated by '_', e.g. 7_0_ebx_5");
	ck_assert(cpuid_bit_like("7_0_ebx_99"));
	ck_assert(!cpuid_bit_like("sse4_2"));
}
END_TEST

START_TEST(test_rawbit_features)
{
	const struct cpu_feature *f[4];
	struct cpuid_bit b = { 0x80000001, 0, CPUID_EDX, 23 };

	/* AMD's copy of mmx: the feature is mmx, the entry an alias. */
	ck_assert_uint_eq(cpuid_bit_features(&b, f, 4), 1);
	ck_assert_str_eq(f[0]->name, "mmx");
	ck_assert(f[0]->flags & FEAT_ALIAS);
	b = (struct cpuid_bit){ 7, 0, CPUID_EBX, 5 };
	ck_assert_uint_eq(cpuid_bit_features(&b, f, 4), 1);
	ck_assert_str_eq(f[0]->name, "avx2");
	/* Leaf 1 has no subleaves: subleaf 3 is subleaf 0. */
	b = (struct cpuid_bit){ 1, 3, CPUID_ECX, 28 };
	ck_assert_uint_eq(cpuid_bit_features(&b, f, 4), 1);
	ck_assert_str_eq(f[0]->name, "avx");
	/* Leaf 7 has: 7_5_ebx_5 is nobody. */
	b = (struct cpuid_bit){ 7, 5, CPUID_EBX, 5 };
	ck_assert_uint_eq(cpuid_bit_features(&b, f, 4), 0);
}
END_TEST

/*
 * A raw bit of a leaf without subleaves, given with a subleaf, is still
 * the feature (the module answers every subleaf alike): its dependents go
 * too. Before, 1_3_ecx_28 cleared the avx bit alone and left avx2 shown.
 */
START_TEST(test_rawbit_compile_any_subleaf)
{
	struct cpuid_dump host, shown;
	struct profile p;
	struct profile_compiled c;

	load_dump(&host, HOST_DUMP);
	parse_ok(&p, "mask 1_3_ecx_28\n");
	presented(&p, &host, &shown, &c);
	ck_assert(!cpuid_dump_has(&shown, feat("avx")));
	ck_assert(!cpuid_dump_has(&shown, feat("avx2")));
	ck_assert(!cpuid_dump_has(&shown, feat("avx512f")));
	ck_assert_int_eq(c.reason[feature_index(feat("avx"))], MR_RAW);
	cpuid_dump_free(&shown);
	cpuid_dump_free(&host);
}
END_TEST

Suite *rawbit_suite(void)
{
	Suite *s = suite_create("rawbit");
	TCase *tc = tcase_create("rawbit");

	tcase_add_test(tc, test_rawbit_parse);
	tcase_add_test(tc, test_rawbit_features);
	tcase_add_test(tc, test_rawbit_compile_any_subleaf);
	suite_add_tcase(s, tc);
	return s;
}
