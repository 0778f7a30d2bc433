// SPDX-License-Identifier: GPL-2.0
/* Lowest common denominator of several hosts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

/* An older sibling of the recorded host: no AVX-512, smaller XSAVE area. */
static void make_older(struct cpuid_dump *old, const struct cpuid_dump *host)
{
	const struct cpuid_entry *e;
	uint32_t r[4];

	ck_assert_int_eq(cpuid_dump_copy(old, host), 0);
	dump_bit(old, feat("avx512f"), 0);
	dump_bit(old, feat("sha_ni"), 0);
	e = cpuid_dump_find(old, 0xd, 0);
	memcpy(r, e->r, sizeof(r));
	r[CPUID_EAX] = 0x7;	/* x87, SSE, AVX */
	r[CPUID_EBX] = r[CPUID_ECX] = 0x340;
	cpuid_dump_set(old, 0xd, 0, r);
	e = cpuid_dump_find(old, 0, 0);
	memcpy(r, e->r, sizeof(r));
	r[CPUID_EAX] = 0xb;
	cpuid_dump_set(old, 0, 0, r);
}

/*
 * The features @text presents on @host; with @level, also the psABI level
 * of what it presents, read from the raw bits (psabi.c), not from
 * features.def's levels[] that the library computes with.
 */
static void shown_features(const char *text, const struct cpuid_dump *host,
			   struct feature_set *out, int *level)
{
	struct profile p;
	struct profile_compiled c;
	struct cpuid_dump shown;

	parse_ok(&p, text);
	presented(&p, host, &shown, &c);
	cpuid_dump_features(&shown, out);
	if (level)
		*level = psabi_level(&shown);
	cpuid_dump_free(&shown);
}

START_TEST(test_lcd_two_hosts)
{
	struct cpuid_dump hosts[2];
	const char *names[] = { "zen5", "older" };
	struct feature_set a, b, common, fa, fb;
	struct diag diag = { 0 };
	const struct cpu_feature *f;
	int la, lb;
	char *text;

	load_dump(&hosts[0], HOST_DUMP);
	make_older(&hosts[1], &hosts[0]);
	ck_assert_int_eq(profile_lcd(hosts, names, 2, 0, &text, &diag), 0);
	ck_assert_ptr_nonnull(strstr(text, "\nname lcd\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nxsavearea 2432\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nmax-basic-leaf 0xb\n"));
	ck_assert_ptr_nonnull(strstr(text, "# Common level: x86-64-v3."));
	ck_assert_ptr_nonnull(strstr(text, "#   zen5: AuthenticAMD family 0x1a model 0x2 stepping 1 \"Oxide Virtual Turin-like Processor\"\n"));

	/* Both hosts now present the same features: the intersection. */
	shown_features(text, &hosts[0], &a, &la);
	shown_features(text, &hosts[1], &b, &lb);
	cpuid_dump_features(&hosts[0], &fa);
	cpuid_dump_features(&hosts[1], &fb);
	common = fa;
	fset_and(&common, &fb);
	for (f = fset_next(&a, NULL); f; f = fset_next(&a, f))
		if (f->leaf <= 0xb || f->leaf >= 0x80000000)
			ck_assert_msg(fset_has(&common, f), "%s shown but not common", f->name);
	ck_assert(!fset_has(&a, feat("avx512bw")));	/* closure */
	ck_assert(!fset_has(&a, feat("avx512_vnni")));
	ck_assert(!fset_has(&a, feat("sha_ni")));
	ck_assert(fset_has(&a, feat("avx2")));
	ck_assert_int_eq(la, 3);
	ck_assert_int_eq(lb, 3);
	for (f = fset_next(&a, NULL); f; f = fset_next(&a, f))
		if (f->flags & FEAT_ISA)
			ck_assert_msg(fset_has(&b, f), "%s differs", f->name);
	free(text);
	cpuid_dump_free(&hosts[0]);
	cpuid_dump_free(&hosts[1]);
}
END_TEST

START_TEST(test_lcd_one_host_is_identity)
{
	struct cpuid_dump host;
	const char *names[] = { "zen5" };
	struct feature_set before, after;
	struct diag diag = { 0 };
	char *text;

	load_dump(&host, HOST_DUMP);
	ck_assert_int_eq(profile_lcd(&host, names, 1, 0, &text, &diag), 0);
	ck_assert_ptr_null(strstr(text, "xsavearea"));
	shown_features(text, &host, &after, NULL);
	cpuid_dump_features(&host, &before);
	ck_assert_mem_eq(&before, &after, sizeof(before));
	free(text);
	cpuid_dump_free(&host);
}
END_TEST

START_TEST(test_lcd_vendors)
{
	struct cpuid_dump hosts[2];
	const char *names[] = { "amd", "intel" };
	struct diag diag = { 0 };
	uint32_t r[4] = { 0xd, 0x756e6547, 0x6c65746e, 0x49656e69 };
	char *text = NULL;

	load_dump(&hosts[0], HOST_DUMP);
	make_older(&hosts[1], &hosts[0]);
	cpuid_dump_set(&hosts[1], 0, 0, r);	/* GenuineIntel */
	ck_assert_int_eq(profile_lcd(hosts, names, 2, 0, &text, &diag), -EINVAL);
	ck_assert_ptr_null(text);
	ck_assert_str_eq(diag.msg, "amd is AuthenticAMD but intel is GenuineIntel: a profile cannot change the vendor, so programs would still take vendor-specific paths; pass --allow-mixed-vendor to compute the common features anyway");
	ck_assert_int_eq(profile_lcd(hosts, names, 2, LCD_ALLOW_MIXED_VENDOR,
				     &text, &diag), 0);
	ck_assert_ptr_nonnull(strstr(text, "GenuineIntel"));
	free(text);
	ck_assert_int_eq(profile_lcd(hosts, names, 0, 0, &text, &diag), -EINVAL);
	ck_assert_str_eq(diag.msg, "profile lcd needs at least one dump");
	cpuid_dump_free(&hosts[0]);
	cpuid_dump_free(&hosts[1]);
}
END_TEST

#define REC_DUMP(m) TEST_DATA_DIR "/dumps/" m ".txt"

/* The names of @s of one kind (ISA or not), aliases left out, in table order. */
static void names_of(const struct feature_set *s, bool isa, char *buf, size_t len)
{
	const struct cpu_feature *f;
	size_t n = 0;

	buf[0] = '\0';
	for (f = fset_next(s, NULL); f; f = fset_next(s, f))
		if (!(f->flags & FEAT_ALIAS) && !!(f->flags & FEAT_ISA) == isa)
			n += snprintf(buf + n, len - n, "%s%s", n ? " " : "", f->name);
}

/*
 * The rule of lcd (docs/profile-language.md): the instruction-set
 * extensions shown are the intersection, exactly, on every host; the
 * platform features stay each host's own. Two recorded CPUs, Zen 3 and
 * Zen 4: Zen 4's AVX-512 goes, Zen 3 lacks x2apic... which Zen 4 keeps.
 */
START_TEST(test_lcd_recorded_exact)
{
	static const char *const isa_want =
		"pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes "
		"xsave osxsave avx f16c rdrand cx8 cmov mmx fxsr sse sse2 "
		"fsgsbase bmi1 avx2 bmi2 erms rdseed adx clflushopt clwb "
		"sha_ni pku vaes vpclmulqdq rdpid fsrm xsaveopt xgetbv1 "
		"lahf_lm abm sse4a misalignsse 3dnowprefetch mwaitx mmxext "
		"rdtscp clzero rdpru";
	const char *names[] = { "zen3", "zen4" };
	struct cpuid_dump hosts[2];
	struct diag diag = { 0 };
	char *text, got[4096], want[4096];
	int i;

	load_dump(&hosts[0], REC_DUMP("amd-milan-zen3-a00f11"));
	load_dump(&hosts[1], REC_DUMP("amd-genoa-zen4-a10f11"));
	ck_assert_int_eq(profile_lcd(hosts, names, 2, 0, &text, &diag), 0);
	/* No mask line: nothing but ISA features is hidden by name. */
	ck_assert_ptr_null(strstr(text, "\nmask "));
	ck_assert_ptr_nonnull(strstr(text, "\n# Platform features that differ stay each host's own:\n#   x2apic la57 "));
	ck_assert_ptr_nonnull(strstr(text, "\nxsavearea 2432\n"));
	for (i = 0; i < 2; i++) {
		struct feature_set shown, own;

		shown_features(text, &hosts[i], &shown, NULL);
		names_of(&shown, true, got, sizeof(got));
		ck_assert_str_eq(got, isa_want);
		cpuid_dump_features(&hosts[i], &own);
		names_of(&own, false, want, sizeof(want));
		names_of(&shown, false, got, sizeof(got));
		ck_assert_msg(!strcmp(got, want), "%s: platform features shown:\n%s\nhost's own:\n%s",
			      names[i], got, want);
	}
	ck_assert_ptr_nonnull(strstr(want, " x2apic "));	/* Zen 4 keeps it */
	free(text);
	cpuid_dump_free(&hosts[0]);
	cpuid_dump_free(&hosts[1]);
}
END_TEST

#define QEMU_DUMP(m) TEST_DATA_DIR "/dumps/qemu-" m ".txt"

/* Real dumps of QEMU CPU models, recorded with tests/data/dumps/capture-qemu.sh. */
START_TEST(test_lcd_qemu_models)
{
	static const char *const files[] = {
		QEMU_DUMP("Skylake-Client"), QEMU_DUMP("Haswell"),
		QEMU_DUMP("Nehalem"), QEMU_DUMP("EPYC"),
	};
	static const int level[] = { 3, 3, 2, 3 };
	struct cpuid_dump hosts[4];
	struct feature_set fs[4], common;
	struct diag diag = { 0 };
	const struct cpu_feature *f;
	char *text;
	int i, lvl;

	for (i = 0; i < 4; i++) {
		load_dump(&hosts[i], files[i]);
		ck_assert_int_eq(psabi_level(&hosts[i]), level[i]);
	}
	/* Intel models: Nehalem is the floor, no XSAVE survives. */
	ck_assert_int_eq(profile_lcd(hosts, (const char *const *)files, 3, 0, &text, &diag), 0);
	ck_assert_ptr_nonnull(strstr(text, "# Common level: x86-64-v2."));
	ck_assert_ptr_null(strstr(text, "xsavearea"));
	for (i = 0; i < 3; i++) {
		shown_features(text, &hosts[i], &fs[i], &lvl);
		ck_assert_int_eq(lvl, 2);
		ck_assert(!fset_has(&fs[i], feat("xsave")));
		ck_assert(!fset_has(&fs[i], feat("avx")));
	}
	for (f = fset_next(&fs[0], NULL); f; f = fset_next(&fs[0], f))
		if (f->flags & FEAT_ISA)
			ck_assert_msg(fset_has(&fs[1], f) && fset_has(&fs[2], f),
				      "%s not shown everywhere", f->name);
	free(text);

	/* Skylake-Client + Haswell: v3 and the same 832-byte XSAVE area. */
	ck_assert_int_eq(profile_lcd(hosts, (const char *const *)files, 2, 0, &text, &diag), 0);
	ck_assert_ptr_nonnull(strstr(text, "# Common level: x86-64-v3."));
	shown_features(text, &hosts[0], &common, &lvl);
	ck_assert_int_eq(lvl, 3);
	ck_assert(fset_has(&common, feat("avx2")));
	free(text);

	/* With the AMD model: refused, then accepted with the flag. */
	ck_assert_int_eq(profile_lcd(hosts, (const char *const *)files, 4, 0, &text, &diag), -EINVAL);
	ck_assert_int_eq(profile_lcd(hosts, (const char *const *)files, 4,
				     LCD_ALLOW_MIXED_VENDOR, &text, &diag), 0);
	for (i = 0; i < 4; i++) {
		shown_features(text, &hosts[i], &fs[i], &lvl);
		ck_assert_int_eq(lvl, 2);
	}
	free(text);

	/* The recorded Zen 5 host and QEMU's EPYC: XSAVE areas differ. */
	cpuid_dump_free(&hosts[1]);
	load_dump(&hosts[1], HOST_DUMP);
	ck_assert_int_eq(profile_lcd(&hosts[1], (const char *const *)files, 3, LCD_ALLOW_MIXED_VENDOR, &text, &diag), 0);
	free(text);
	{
		struct cpuid_dump pair[2] = { hosts[1], hosts[3] };
		struct profile p;
		struct profile_compiled c;
		const char *names[] = { "zen5", "epyc" };

		ck_assert_int_eq(profile_lcd(pair, names, 2, 0, &text, &diag), 0);
		ck_assert_ptr_nonnull(strstr(text, "\nxsavearea 2432\n"));
		parse_ok(&p, text);
		for (i = 0; i < 2; i++)
			ck_assert_msg(profile_compile(&p, &pair[i], &c, &diag) == 0,
				      "%s", diag.msg);
		free(text);
	}
	for (i = 0; i < 4; i++)
		cpuid_dump_free(&hosts[i]);
}
END_TEST

/* The built-in baselines on real models. */
START_TEST(test_levels_on_qemu_models)
{
	struct cpuid_dump host, shown;
	struct profile p;
	struct profile_compiled c;
	struct diag diag = { 0 };

	load_dump(&host, QEMU_DUMP("Haswell"));
	ck_assert_int_eq(profile_load(&p, "x86-64-v2", &diag), 0);
	presented(&p, &host, &shown, &c);
	psabi_assert_exactly(&shown, 2, "x86-64-v2 on Haswell");
	cpuid_dump_free(&shown);
	cpuid_dump_free(&host);

	/* xsavearea on a host without XSAVE: accepted, leaf 0xd untouched. */
	load_dump(&host, QEMU_DUMP("Nehalem"));
	parse_ok(&p, "xsavearea 2696\n");
	presented(&p, &host, &shown, &c);
	ck_assert_uint_eq(c.nr_rules, 0);
	ck_assert_ptr_null(cpuid_dump_find(&host, 0xd, 0));	/* max leaf 0xb */
	ck_assert_ptr_null(cpuid_dump_find(&shown, 0xd, 0));
	cpuid_dump_free(&shown);
	cpuid_dump_free(&host);

	/* A v3 profile cannot add what Nehalem lacks. */
	load_dump(&host, QEMU_DUMP("Nehalem"));
	ck_assert_int_eq(profile_load(&p, "x86-64-v3", &diag), 0);
	presented(&p, &host, &shown, &c);
	psabi_assert_exactly(&shown, 2, "x86-64-v3 on Nehalem");
	cpuid_dump_free(&shown);
	cpuid_dump_free(&host);
}
END_TEST

Suite *lcd_suite(void)
{
	Suite *s = suite_create("lcd");
	TCase *tc = tcase_create("lcd");

	tcase_add_test(tc, test_lcd_two_hosts);
	tcase_add_test(tc, test_lcd_recorded_exact);
	tcase_add_test(tc, test_lcd_one_host_is_identity);
	tcase_add_test(tc, test_lcd_vendors);
	tcase_add_test(tc, test_lcd_qemu_models);
	tcase_add_test(tc, test_levels_on_qemu_models);
	suite_add_tcase(s, tc);
	return s;
}
