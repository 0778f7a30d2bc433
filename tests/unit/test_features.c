// SPDX-License-Identifier: GPL-2.0
/* Feature table: known bits, names, dependency closure, x86-64 levels. */
#include <errno.h>
#include <string.h>

#include "unit.h"

/* Positions from the Intel SDM vol. 2A (CPUID) and the AMD APM vol. 3. */
static const struct {
	const char *name;
	uint32_t leaf, subleaf;
	unsigned int reg, bit;
} known[] = {
	{ "fpu",	 0x1, 0, CPUID_EDX, 0 },
	{ "cx8",	 0x1, 0, CPUID_EDX, 8 },
	{ "sse2",	 0x1, 0, CPUID_EDX, 26 },
	{ "pni",	 0x1, 0, CPUID_ECX, 0 },
	{ "ssse3",	 0x1, 0, CPUID_ECX, 9 },
	{ "fma",	 0x1, 0, CPUID_ECX, 12 },
	{ "cx16",	 0x1, 0, CPUID_ECX, 13 },
	{ "sse4_1",	 0x1, 0, CPUID_ECX, 19 },
	{ "sse4_2",	 0x1, 0, CPUID_ECX, 20 },
	{ "popcnt",	 0x1, 0, CPUID_ECX, 23 },
	{ "xsave",	 0x1, 0, CPUID_ECX, 26 },
	{ "osxsave",	 0x1, 0, CPUID_ECX, 27 },
	{ "avx",	 0x1, 0, CPUID_ECX, 28 },
	{ "hypervisor",	 0x1, 0, CPUID_ECX, 31 },
	{ "bmi1",	 0x7, 0, CPUID_EBX, 3 },
	{ "hle",	 0x7, 0, CPUID_EBX, 4 },
	{ "avx2",	 0x7, 0, CPUID_EBX, 5 },
	{ "bmi2",	 0x7, 0, CPUID_EBX, 8 },
	{ "rtm",	 0x7, 0, CPUID_EBX, 11 },
	{ "avx512f",	 0x7, 0, CPUID_EBX, 16 },
	{ "avx512vl",	 0x7, 0, CPUID_EBX, 31 },
	{ "avx512_vnni", 0x7, 0, CPUID_ECX, 11 },
	{ "rdpid",	 0x7, 0, CPUID_ECX, 22 },
	{ "md_clear",	 0x7, 0, CPUID_EDX, 10 },
	{ "avx_vnni",	 0x7, 1, CPUID_EAX, 4 },
	{ "xsaveopt",	 0xd, 1, CPUID_EAX, 0 },
	{ "xsavec",	 0xd, 1, CPUID_EAX, 1 },
	{ "lahf_lm",	 0x80000001, 0, CPUID_ECX, 0 },
	{ "abm",	 0x80000001, 0, CPUID_ECX, 5 },
	{ "sse4a",	 0x80000001, 0, CPUID_ECX, 6 },
	{ "syscall",	 0x80000001, 0, CPUID_EDX, 11 },
	{ "nx",		 0x80000001, 0, CPUID_EDX, 20 },
	{ "lm",		 0x80000001, 0, CPUID_EDX, 29 },
	{ "clzero",	 0x80000008, 0, CPUID_EBX, 0 },
	{ "arat",	 0x6, 0, CPUID_EAX, 2 },
	{ "aperfmperf",	 0x6, 0, CPUID_ECX, 0 },	/* scattered.c */
	{ "cqm_llc",	 0xf, 0, CPUID_EDX, 1 },	/* scattered.c */
	{ "sgx1",	 0x12, 0, CPUID_EAX, 0 },	/* scattered.c */
	{ "ace",	 0xc0000001, 0, CPUID_EDX, 6 },	/* VIA */
	{ "longrun",	 0x80860001, 0, CPUID_EDX, 1 },	/* Transmeta */
};

START_TEST(test_known_bits)
{
	const struct cpu_feature *f = feat(known[_i].name);

	ck_assert_uint_eq(f->leaf, known[_i].leaf);
	ck_assert_uint_eq(f->subleaf, known[_i].subleaf);
	ck_assert_uint_eq(f->reg, known[_i].reg);
	ck_assert_uint_eq(f->bit, known[_i].bit);
	ck_assert_ptr_eq(feature_at(f->leaf, f->subleaf, f->reg, f->bit), f);
}
END_TEST

/* Every name libvirtcpuid accepts (seed 002) must be known. */
static const char *const seed_names =
	"3dnow 3dnowext 3dnowprefetch abm ace ace2 ace2_en ace_en "
	"acpi adx aes amd_ibpb amd_ibrs amd_ppin amd_ssb_no amd_ssbd "
	"amd_stibp amd_stibp_always_on apic arat arch_capabilities "
	"avic avx avx2 avx512_4fmaps avx512_4vnniw avx512_bf16 "
	"avx512_bitalg avx512_vbmi2 avx512_vnni avx512_vp2intersect "
	"avx512_vpopcntdq avx512bw avx512cd avx512dq avx512er "
	"avx512f avx512ifma avx512pf avx512vbmi avx512vl bmi1 bmi2 "
	"bpext cid cldemote clflush clflushopt clwb clzero cmov "
	"cmp_legacy core_capabilities cqm cr8_legacy cx16 cx8 dca de "
	"decodeassists ds_cpl dtes64 dtherm dts erms est extapic "
	"f16c fdp_excptn_only flush_l1d flushbyasid fma fma4 fpu "
	"fsgsbase fsrm fxsr fxsr_opt gfni hle ht hwp hwp_act_window "
	"hwp_epp hwp_notify hwp_pkg_req hypervisor ia64 ibs ida "
	"intel_pt intel_stibp invpcid irperf la57 lahf_lm lbrv lm "
	"longrun lrti lwp mca mce md_clear misalignsse mmx mmxext "
	"monitor movbe movdir64b movdiri mp mpx msr mtrr mwaitx "
	"nodeid_msr npt nrip_save nx ospke osvw osxsave "
	"overflow_recov pae pat pausefilter pbe pcid pclmulqdq "
	"pconfig pdcm pdpe1gb perfctr_core perfctr_llc perfctr_nb "
	"pfthreshold pge phe phe_en pku pln pmm pmm_en pn pni popcnt "
	"pse pse36 pts ptsc rdpid rdpru rdrand rdseed rdt_a rdtscp "
	"recovery rng rng_en rtm sdbg sep sha_ni skinit smap smca "
	"smep smx spec_ctrl spec_ctrl_ssbd ss sse sse2 sse4_1 sse4_2 "
	"sse4a ssse3 succor svm svm_lock syscall tbm tce tm tm2 tme "
	"topoext tsc tsc_adjust tsc_deadline_timer tsc_scale "
	"tsx_force_abort umip v_vmsave_vmload vaes vgif virt_ssbd "
	"vmcb_clean vme vmx vpclmulqdq waitpkg wbnoinvd wdt x2apic "
	"xgetbv1 xop xsave xsavec xsaveerptr xsaveopt xsaves xtpr "
	"zero_fcs_fds ";

START_TEST(test_seed_names)
{
	char buf[4096], *tok, *save = NULL;
	int n = 0;

	strcpy(buf, seed_names);
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save), n++)
		ck_assert_msg(feature_by_name(tok), "seed name %s unknown", tok);
	ck_assert_int_eq(n, 215);
}
END_TEST

START_TEST(test_lookup_forms)
{
	ck_assert_ptr_eq(feature_by_name("XMM4_2"), feat("sse4_2"));
	ck_assert_ptr_eq(feature_by_name("X86_FEATURE_AVX2"), feat("avx2"));
	ck_assert_ptr_eq(feature_by_name("AVX512F"), feat("avx512f"));
	ck_assert_ptr_eq(feature_by_name("sse3"), feat("pni"));
	ck_assert_ptr_eq(feature_by_name("LZCNT"), feat("abm"));
	ck_assert_ptr_eq(feature_by_name("sse4.2"), feat("sse4_2"));
	ck_assert_ptr_eq(feature_by_name("cmpxchg16b"), feat("cx16"));
	ck_assert_ptr_null(feature_by_name("avx3"));
	ck_assert_ptr_null(feature_by_name(""));
	ck_assert_str_eq(feature_suggest("avx3"), "avx2");
	ck_assert_str_eq(feature_suggest("popcnnt"), "popcnt");
	ck_assert_ptr_null(feature_suggest("zzzzzzzzzzzz"));
	ck_assert_str_eq(cpuid_reg_name(CPUID_ECX), "ecx");
	ck_assert_int_eq(cpuid_reg_parse("EDX"), CPUID_EDX);
	ck_assert_int_eq(cpuid_reg_parse("exx"), -1);
}
END_TEST

START_TEST(test_table_unique)
{
	size_t i, j, n = features_count();

	ck_assert_uint_gt(n, 250);
	for (i = 0; i < n; i++) {
		const struct cpu_feature *a = feature_get(i);

		ck_assert_uint_lt(a->reg, CPUID_NR_REGS);
		ck_assert_uint_lt(a->bit, 32);
		ck_assert_uint_eq(feature_index(a), i);
		for (j = i + 1; j < n; j++) {
			const struct cpu_feature *b = feature_get(j);

			ck_assert_msg(a->leaf != b->leaf ||
				      a->subleaf != b->subleaf ||
				      a->reg != b->reg || a->bit != b->bit,
				      "%s and %s share a bit", a->name, b->name);
			if (!(a->flags & FEAT_ALIAS) && !(b->flags & FEAT_ALIAS))
				ck_assert_str_ne(a->name, b->name);
		}
	}
}
END_TEST

START_TEST(test_closure_avx)
{
	struct feature_set s;

	fset_clear(&s);
	fset_add(&s, feat("avx"));
	fset_close_dependents(&s);
	/* cpuid-deps.c: avx -> avx2, fma, avx512f -> avx512vl -> vnni */
	ck_assert(fset_has(&s, feat("avx2")));
	ck_assert(fset_has(&s, feat("fma")));
	ck_assert(fset_has(&s, feat("vaes")));
	ck_assert(fset_has(&s, feat("avx512f")));
	ck_assert(fset_has(&s, feat("avx512bw")));
	ck_assert(fset_has(&s, feat("avx512_vnni")));
	ck_assert(fset_has(&s, feat("avx512_fp16")));
	ck_assert(fset_has(&s, feat("avx_vnni")));
	ck_assert(!fset_has(&s, feat("sse4_2")));
	ck_assert(!fset_has(&s, feat("xsave")));
	ck_assert(fset_has(&s, feat("f16c")));	/* extra.tbl: VEX-encoded */
	ck_assert(!fset_has(&s, feat("aes")));
	ck_assert_ptr_eq(feature_masked_via(feat("avx512_vnni"), &(struct feature_set){ 0 }), NULL);
	fset_clear(&s);
	fset_add(&s, feat("avx512f"));
	ck_assert_ptr_eq(feature_masked_via(feat("avx512bw"), &s), feat("avx512f"));
	ck_assert_ptr_eq(feature_masked_via(feat("avx512f"), &s), NULL);
	ck_assert_ptr_eq(feature_masked_via(feat("avx2"), &s), NULL);
}
END_TEST

START_TEST(test_closure_xsave_and_mirrors)
{
	struct feature_set s;
	const struct cpu_feature *f, *alias = NULL;
	size_t i;

	fset_clear(&s);
	fset_add(&s, feat("xsave"));
	fset_close_dependents(&s);
	ck_assert(fset_has(&s, feat("osxsave")));	/* extra.tbl */
	ck_assert(fset_has(&s, feat("xsavec")));
	ck_assert(fset_has(&s, feat("avx2")));
	ck_assert(fset_has(&s, feat("pku")));

	/* AMD's 0x80000001.EDX copy of 1.EDX bit 15 (cmov) goes with it. */
	for (i = 0; i < features_count(); i++) {
		f = feature_get(i);
		if ((f->flags & FEAT_ALIAS) && f->leaf == 0x80000001 &&
		    f->bit == 15)
			alias = f;
	}
	ck_assert_ptr_nonnull(alias);
	ck_assert_str_eq(alias->name, "cmov");
	fset_clear(&s);
	fset_add(&s, feat("cmov"));
	fset_close_dependents(&s);
	ck_assert(fset_has(&s, alias));
	ck_assert_uint_eq(fset_count(&s), 2);
}
END_TEST

START_TEST(test_requirements)
{
	struct feature_set s;
	const struct cpu_feature *out[8];

	fset_clear(&s);
	fset_add(&s, feat("avx512_vnni"));
	fset_close_requirements(&s);
	ck_assert(fset_has(&s, feat("avx512vl")));
	ck_assert(fset_has(&s, feat("avx512f")));
	ck_assert(fset_has(&s, feat("avx")));
	ck_assert(fset_has(&s, feat("xsave")));
	ck_assert(fset_has(&s, feat("fxsr")));
	ck_assert(fset_has(&s, feat("fpu")));
	ck_assert(!fset_has(&s, feat("avx2")));
	ck_assert_uint_eq(feature_requires(feat("avx2"), out, 8), 1);
	ck_assert_ptr_eq(out[0], feat("avx"));
	ck_assert_uint_ge(feature_required_by(feat("avx512f"), out, 8), 8);
}
END_TEST

START_TEST(test_levels)
{
	struct feature_set v2, v3, v4, missing;

	ck_assert_int_eq(x86_level_features(0, &v2), -EINVAL);
	ck_assert_int_eq(x86_level_features(5, &v2), -EINVAL);
	ck_assert_int_eq(x86_level_features(2, &v2), 0);
	ck_assert_int_eq(x86_level_features(3, &v3), 0);
	ck_assert_int_eq(x86_level_features(4, &v4), 0);
	/* psABI: v1 9 (cmov cx8 fpu fxsr mmx syscall sse sse2) + v2 7 */
	ck_assert_uint_eq(fset_count(&v2), 15);
	ck_assert(fset_has(&v2, feat("sse4_2")));
	ck_assert(fset_has(&v2, feat("cx16")));
	ck_assert(fset_has(&v2, feat("lahf_lm")));
	ck_assert(fset_has(&v2, feat("sse2")));
	ck_assert(!fset_has(&v2, feat("avx")));
	ck_assert(fset_has(&v3, feat("abm")));		/* LZCNT */
	ck_assert(fset_has(&v3, feat("movbe")));
	ck_assert(fset_has(&v3, feat("osxsave")));
	ck_assert(!fset_has(&v3, feat("avx512f")));
	ck_assert(fset_has(&v4, feat("avx512vl")));
	ck_assert(fset_has(&v4, feat("avx2")));

	ck_assert_int_eq(x86_level_of(&v4, &missing), 4);
	ck_assert(fset_empty(&missing));
	ck_assert_int_eq(x86_level_of(&v3, NULL), 3);
	fset_del(&v3, feat("movbe"));
	ck_assert_int_eq(x86_level_of(&v3, &missing), 2);
	ck_assert_uint_eq(fset_count(&missing), 1);
	ck_assert(fset_has(&missing, feat("movbe")));
	fset_clear(&v4);
	ck_assert_int_eq(x86_level_of(&v4, NULL), 0);
}
END_TEST

/*
 * features.def's levels against the psABI's list (psabi.c, raw CPUID
 * positions): the same features at the same levels, plus XSAVE at v3,
 * which the psABI leaves implicit in OSXSAVE (OSXSAVE means the OS
 * enabled XSAVE, so a CPU without XSAVE cannot have it).
 */
START_TEST(test_levels_psabi)
{
	struct feature_set s;
	const struct cpu_feature *f;
	size_t i;
	int lvl;

	for (lvl = 1; lvl <= 4; lvl++) {
		ck_assert_int_eq(x86_level_features(lvl, &s), 0);
		for (i = 0; i < psabi_nr_bits; i++) {
			const struct psabi_bit *b = &psabi_bits[i];

			f = feature_at(b->leaf, 0, b->reg, b->bit);
			ck_assert_msg(f, "no table feature at %s's position", b->name);
			ck_assert_msg(fset_has(&s, f) == (b->level <= lvl),
				      "x86-64-v%d %s %s (psABI: v%d)", lvl,
				      fset_has(&s, f) ? "has" : "lacks",
				      b->name, b->level);
		}
		for (f = fset_next(&s, NULL); f; f = fset_next(&s, f)) {
			bool listed = false;

			for (i = 0; i < psabi_nr_bits; i++)
				listed |= psabi_bits[i].leaf == f->leaf &&
					  f->subleaf == 0 &&
					  psabi_bits[i].reg == f->reg &&
					  psabi_bits[i].bit == f->bit;
			ck_assert_msg(listed || (lvl >= 3 && f->leaf == 1 &&
						 f->reg == CPUID_ECX && f->bit == 26),
				      "x86-64-v%d has %s, which the psABI does not list",
				      lvl, f->name);
		}
	}
}
END_TEST

/* Set or clear a raw bit of a dump entry. */
static void raw_bit(struct cpuid_dump *d, uint32_t leaf, unsigned int reg,
		    unsigned int bit, int on)
{
	const struct cpuid_entry *e = cpuid_dump_find(d, leaf, 0);
	uint32_t r[CPUID_NR_REGS];

	ck_assert(e);
	memcpy(r, e->r, sizeof(r));
	r[reg] = on ? r[reg] | 1U << bit : r[reg] & ~(1U << bit);
	ck_assert_int_eq(cpuid_dump_set(d, leaf, 0, r), 0);
}

/*
 * x86_level_of() agrees with the psABI on the recorded CPUs and on the v4
 * host with each psABI feature taken away in turn (level drops to just
 * below that feature's level).
 */
START_TEST(test_level_of_psabi)
{
	static const char *const dumps[] = {
		"host-amd-epyc-zen5.txt", "qemu-Skylake-Client.txt",
		"qemu-Haswell.txt", "qemu-Nehalem.txt", "qemu-EPYC.txt",
	};
	struct cpuid_dump d, base;
	struct feature_set fs;
	char path[512];
	size_t i;

	for (i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		snprintf(path, sizeof(path), TEST_DATA_DIR "/dumps/%s", dumps[i]);
		load_dump(&d, path);
		cpuid_dump_features(&d, &fs);
		ck_assert_msg(x86_level_of(&fs, NULL) == psabi_level(&d),
			      "%s: x86_level_of %d, psABI %d", dumps[i],
			      x86_level_of(&fs, NULL), psabi_level(&d));
		cpuid_dump_free(&d);
	}
	load_dump(&base, HOST_DUMP);
	ck_assert_int_eq(psabi_level(&base), 4);
	for (i = 0; i < psabi_nr_bits; i++) {
		const struct psabi_bit *b = &psabi_bits[i];

		ck_assert_int_eq(cpuid_dump_copy(&d, &base), 0);
		raw_bit(&d, b->leaf, b->reg, b->bit, 0);
		cpuid_dump_features(&d, &fs);
		ck_assert_int_eq(psabi_level(&d), b->level - 1);
		ck_assert_msg(x86_level_of(&fs, NULL) == b->level - 1,
			      "without %s: x86_level_of %d, psABI %d", b->name,
			      x86_level_of(&fs, NULL), b->level - 1);
		cpuid_dump_free(&d);
	}
	cpuid_dump_free(&base);
}
END_TEST

Suite *features_suite(void)
{
	Suite *s = suite_create("features");
	TCase *tc = tcase_create("table");

	tcase_add_loop_test(tc, test_known_bits, 0,
			    sizeof(known) / sizeof(known[0]));
	tcase_add_test(tc, test_seed_names);
	tcase_add_test(tc, test_lookup_forms);
	tcase_add_test(tc, test_table_unique);
	tcase_add_test(tc, test_closure_avx);
	tcase_add_test(tc, test_closure_xsave_and_mirrors);
	tcase_add_test(tc, test_requirements);
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_levels_psabi);
	tcase_add_test(tc, test_level_of_psabi);
	suite_add_tcase(s, tc);
	return s;
}
