// SPDX-License-Identifier: GPL-2.0
/* Profile language: good and bad inputs, compilation, emulation, compare. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

START_TEST(test_parse_full)
{
	struct profile p;

	parse_ok(&p,
		 "# a comment line\n"
		 "name  web-tier   # trailing comment\n"
		 "\n"
		 "baseline x86-64-v2\n"
		 "allow aes pclmulqdq\n"
		 "mask hle rtm\n"
		 "mask 7_0_ebx_5 0x80000001_0_ecx_6\n"
		 "xsavearea 0xa88\n"
		 "family 6\nmodel 0x55\nstepping 4\n"
		 "brand \"Virtual \\\"CPU\\\" #1\"\n"
		 "max-basic-leaf 0xd\n"
		 "max-ext-leaf 0x80000008\n");
	ck_assert_str_eq(p.name, "web-tier");
	ck_assert_int_eq(p.baseline, 2);
	ck_assert_int_eq(p.baseline_line, 4);
	ck_assert(p.has_allow);
	ck_assert(fset_has(&p.allow, feat("aes")));
	ck_assert_uint_eq(fset_count(&p.allow), 2);
	ck_assert(fset_has(&p.mask, feat("hle")));
	ck_assert(fset_has(&p.mask, feat("rtm")));
	ck_assert_int_eq(p.mask_line[feature_index(feat("rtm"))], 6);
	ck_assert_uint_eq(p.nr_raw, 2);
	ck_assert_uint_eq(p.raw[0].leaf, 7);
	ck_assert_uint_eq(p.raw[0].reg, CPUID_EBX);
	ck_assert_uint_eq(p.raw[0].bit, 5);
	ck_assert_uint_eq(p.raw[1].leaf, 0x80000001);
	ck_assert_uint_eq(p.raw[1].bit, 6);
	ck_assert_uint_eq(p.xsavearea, 2696);
	ck_assert_int_eq(p.family, 6);
	ck_assert_int_eq(p.model, 0x55);
	ck_assert_int_eq(p.stepping, 4);
	ck_assert_str_eq(p.brand, "Virtual \"CPU\" #1");
	ck_assert_uint_eq(p.max_basic_leaf, 0xd);
	ck_assert_uint_eq(p.max_ext_leaf, 0x80000008);
}
END_TEST

/* libvirtcpuid's VIRT_CPUID_MASK value, verbatim. */
START_TEST(test_parse_seed_syntax)
{
	struct profile p;
	struct diag diag = { 0 };

	parse_ok(&p, "avx512f,hle,rtm,xsavearea=2696\n");
	ck_assert(fset_has(&p.mask, feat("avx512f")));
	ck_assert(fset_has(&p.mask, feat("hle")));
	ck_assert(fset_has(&p.mask, feat("rtm")));
	ck_assert_uint_eq(fset_count(&p.mask), 3);
	ck_assert_uint_eq(p.xsavearea, 2696);
	ck_assert_str_eq(p.name, "t");

	parse_ok(&p, "VIRT_CPUID_MASK=avx2,7_1_ecx_12\n");
	ck_assert(fset_has(&p.mask, feat("avx2")));
	ck_assert_uint_eq(p.nr_raw, 1);
	ck_assert_uint_eq(p.raw[0].subleaf, 1);
	ck_assert_uint_eq(p.raw[0].reg, CPUID_ECX);
	ck_assert_uint_eq(p.raw[0].bit, 12);

	/* As a PROFILE argument on the command line. */
	ck_assert_int_eq(profile_load(&p, "avx512f,hle,rtm,xsavearea=2696", &diag), 0);
	ck_assert_str_eq(p.name, "avx512f,hle,rtm,xsavearea=2696");
	ck_assert_uint_eq(p.xsavearea, 2696);
	ck_assert_int_eq(profile_load(&p, "avx2", &diag), 0);
	ck_assert(fset_has(&p.mask, feat("avx2")));
}
END_TEST

START_TEST(test_parse_errors)
{
	parse_fails("mask avx3\n",
		    "t.profile:1: unknown feature 'avx3' (did you mean 'avx2'?)");
	parse_fails("# hi\nmask sse4_2 qqqqqqqqqq\n",
		    "t.profile:2: unknown feature 'qqqqqqqqqq' (names are those of /proc/cpuinfo; 'cpuidctl explain' shows one)");
	parse_fails("mask 7_0_exx_5\n",
		    "t.profile:1: bad raw bit '7_0_exx_5': register 'exx' is not one of eax, ebx, ecx, edx; expected LEAF_SUBLEAF_REG_BIT, e.g. 7_0_ebx_5");
	parse_fails("mask 7_0_ebx_32\n",
		    "t.profile:1: bad raw bit '7_0_ebx_32': bit 32 is out of range (0..31); expected LEAF_SUBLEAF_REG_BIT, e.g. 7_0_ebx_5");
	parse_fails("mask\n", "t.profile:1: usage: mask FEATURE...");
	parse_fails("frobnicate 3\n",
		    "t.profile:1: unknown directive 'frobnicate' (known: name, baseline, mask, allow, xsavearea, family, model, stepping, brand, max-basic-leaf, max-ext-leaf)");
	parse_fails("baseline x86-64-v5\n",
		    "t.profile:1: unknown baseline 'x86-64-v5' (known: x86-64-v1, x86-64-v2, x86-64-v3, x86-64-v4)");
	parse_fails("baseline x86-64-v2\n\nbaseline x86-64-v3\n",
		    "t.profile:3: baseline already set on line 1");
	parse_fails("baseline\n",
		    "t.profile:1: usage: baseline x86-64-v1|x86-64-v2|x86-64-v3|x86-64-v4");
	parse_fails("xsavearea 100\n",
		    "t.profile:1: xsavearea 100 is out of range (576..1048576)");
	parse_fails("xsavearea 2k\n",
		    "t.profile:1: xsavearea: expected a number (decimal or 0x hex), got '2k'");
	parse_fails("xsavearea 4096\nxsavearea 8192\n",
		    "t.profile:2: xsavearea given twice");
	parse_fails("avx512f,xsavearea=2696,xsavearea=4096\n",
		    "t.profile:1: xsavearea given twice");
	parse_fails("avx512f,hle=1\n",
		    "t.profile:1: unknown setting 'hle=1' (only xsavearea=SIZE takes a value)");
	parse_fails("family 6\nfamily 7\n",
		    "t.profile:2: family already set on line 1");
	parse_fails("model 256\n",
		    "t.profile:1: model 256 is out of range (0x0..0xff)");
	parse_fails("stepping -1\n",
		    "t.profile:1: stepping: expected a number (decimal or 0x hex), got '-1'");
	parse_fails("brand \"unterminated\n",
		    "t.profile:1: unterminated string: missing closing '\"'");
	parse_fails("brand \"012345678901234567890123456789012345678901234567\"\n",
		    "t.profile:1: brand string is 48 characters long; CPUID holds at most 47");
	parse_fails("brand a b\n", "t.profile:1: usage: brand \"BRAND STRING\"");
	parse_fails("allow tsc\n",
		    "t.profile:1: 'tsc' is not an instruction-set extension; allow lists only act on those, so it is always shown (use 'mask tsc' to hide it)");
	parse_fails("allow 7_0_ebx_5\n",
		    "t.profile:1: allow takes feature names, not raw bits ('7_0_ebx_5')");
	parse_fails("max-basic-leaf 0x40000000\n",
		    "t.profile:1: max-basic-leaf 0x40000000 is out of range (0x1..0x3fffffff)");
	parse_fails("max-ext-leaf 0x7fffffff\n",
		    "t.profile:1: max-ext-leaf 0x7fffffff is out of range (0x80000000..0x8fffffff)");
	parse_fails("name has/slash\n",
		    "t.profile:1: bad name 'has/slash': 1 to 63 letters, digits or ._-+:,=");
}
END_TEST

START_TEST(test_load)
{
	struct profile p;
	struct diag diag = { 0 };
	const char *const *b;

	unsetenv(PROFILE_DIR_ENV);	/* the messages name the default */
	for (b = profile_builtin_names(); *b; b++) {
		ck_assert_int_eq(profile_load(&p, *b, &diag), 0);
		ck_assert_str_eq(p.name, *b);
		if (strcmp(*b, "host"))
			ck_assert_int_eq(p.baseline, (*b)[8] - '0');
		else
			ck_assert(profile_is_empty(&p));
	}
	ck_assert_int_eq(profile_load(&p, TEST_DATA_DIR "/profiles/web.profile",
				      &diag), 0);
	ck_assert_str_eq(p.name, "web");
	ck_assert_int_eq(profile_load(&p, TEST_DATA_DIR "/profiles/bad-line4.profile",
				      &diag), -EINVAL);
	ck_assert_str_eq(diag.msg, TEST_DATA_DIR "/profiles/bad-line4.profile:4: unknown feature 'sse5' (did you mean 'sse2'?)");
	ck_assert_int_eq(profile_load(&p, "/nonexistent/x.profile", &diag), -ENOENT);
	ck_assert_str_eq(diag.msg, "<command line>:1: no such profile file '/nonexistent/x.profile'");
	ck_assert_int_eq(profile_load(&p, "x86-64-v9", &diag), -ENOENT);
	ck_assert_str_eq(diag.msg, "<command line>:1: profile 'x86-64-v9' is not a built-in (x86-64-v1, x86-64-v2, x86-64-v2-aes, x86-64-v3, x86-64-v4, host), a file, a profile in /etc/cpuidvirt/profiles, or a feature list like 'avx512f,hle,rtm,xsavearea=2696'");
	ck_assert_int_eq(profile_load(&p, "avx3", &diag), -ENOENT);
	ck_assert_str_eq(diag.msg, "<command line>:1: profile 'avx3' is not a built-in (x86-64-v1, x86-64-v2, x86-64-v2-aes, x86-64-v3, x86-64-v4, host), a file, a profile in /etc/cpuidvirt/profiles, or a feature list like 'avx512f,hle,rtm,xsavearea=2696' (did you mean 'avx2'?)");
	ck_assert_int_eq(profile_load(&p, "avx2,avx3", &diag), -EINVAL);
	ck_assert_str_eq(diag.msg, "<command line>:1: unknown feature 'avx3' (did you mean 'avx2'?)");
	ck_assert_int_eq(profile_load(&p, TEST_DATA_DIR, &diag), -EISDIR);
}
END_TEST

/* x86-64-v2 on a v4 host presents exactly v2; platform bits stay. */
START_TEST(test_compile_v2)
{
	struct cpuid_dump host, shown;
	struct profile p;
	struct profile_compiled c;
	struct feature_set hf, sf;
	unsigned int i;

	load_dump(&host, HOST_DUMP);
	parse_ok(&p, "baseline x86-64-v2\n");
	presented(&p, &host, &shown, &c);
	cpuid_dump_features(&host, &hf);
	cpuid_dump_features(&shown, &sf);
	/* Judged by the psABI's own list (psabi.c), not features.def. */
	ck_assert_int_eq(psabi_level(&host), 4);
	psabi_assert_exactly(&shown, 2, "x86-64-v2 on a v4 host");
	ck_assert(!fset_has(&sf, feat("avx")));
	ck_assert(!fset_has(&sf, feat("avx2")));
	ck_assert(!fset_has(&sf, feat("xsave")));
	ck_assert(!fset_has(&sf, feat("osxsave")));
	ck_assert(!fset_has(&sf, feat("aes")));
	ck_assert(!fset_has(&sf, feat("sha_ni")));
	ck_assert(fset_has(&sf, feat("sse4_2")));
	ck_assert(fset_has(&sf, feat("popcnt")));
	ck_assert(fset_has(&sf, feat("cx16")));
	/* platform features untouched */
	ck_assert(fset_has(&sf, feat("hypervisor")));
	ck_assert(fset_has(&sf, feat("tsc")));
	ck_assert(fset_has(&sf, feat("apic")));
	ck_assert(fset_has(&sf, feat("nx")));
	ck_assert(fset_has(&sf, feat("lm")));
	ck_assert_int_eq(fset_has(&sf, feat("x2apic")), fset_has(&hf, feat("x2apic")));
	/* leaf 0xd sizes are not shrunk by masking */
	ck_assert_mem_eq(cpuid_dump_find(&shown, 0xd, 0)->r,
			 cpuid_dump_find(&host, 0xd, 0)->r, 16);
	/* rules: sorted, unique, leaf 1 for any subleaf */
	ck_assert_uint_gt(c.nr_rules, 0);
	for (i = 0; i < c.nr_rules; i++) {
		ck_assert_uint_eq(c.rules[i].pad, 0);
		if (i)
			ck_assert(c.rules[i - 1].leaf < c.rules[i].leaf ||
				  (c.rules[i - 1].leaf == c.rules[i].leaf &&
				   c.rules[i - 1].subleaf < c.rules[i].subleaf));
		if (c.rules[i].leaf == 1)
			ck_assert_uint_eq(c.rules[i].flags, CPUIDVIRT_RULE_ANY_SUBLEAF);
		if (c.rules[i].leaf == 7)
			ck_assert_uint_eq(c.rules[i].flags, 0);
	}
	ck_assert_uint_eq(c.attach_flags, 0);
	cpuid_dump_free(&host);
	cpuid_dump_free(&shown);
}
END_TEST

/*
 * Each built-in baseline on a v4 host shows exactly its psABI level: every
 * feature the psABI lists up to it, none of a later level (psabi.c holds
 * the psABI's list as raw CPUID bits; the profiles come from features.def).
 */
START_TEST(test_compile_levels_all)
{
	struct cpuid_dump host, shown;
	struct profile p;
	struct profile_compiled c;
	struct diag diag = { 0 };
	int lvl;

	load_dump(&host, HOST_DUMP);
	psabi_assert_exactly(&host, 4, HOST_DUMP);
	for (lvl = 1; lvl <= 4; lvl++) {
		char name[32];

		snprintf(name, sizeof(name), "x86-64-v%d", lvl);
		ck_assert_int_eq(profile_load(&p, name, &diag), 0);
		presented(&p, &host, &shown, &c);
		psabi_assert_exactly(&shown, lvl, name);
		ck_assert_int_eq(psabi_level(&shown), lvl);
		cpuid_dump_free(&shown);
	}
	cpuid_dump_free(&host);
}
END_TEST

/* mask avx2: only that bit (and what needs it) changes. */
START_TEST(test_compile_mask_closure)
{
	struct cpuid_dump host, shown;
	struct profile p;
	struct profile_compiled c;
	const struct cpuid_entry *h7, *s7;
	char why[96];

	load_dump(&host, HOST_DUMP);
	parse_ok(&p, "# hide avx2\nmask avx2\n");
	presented(&p, &host, &shown, &c);
	h7 = cpuid_dump_find(&host, 7, 0);
	s7 = cpuid_dump_find(&shown, 7, 0);
	ck_assert_uint_eq(s7->r[CPUID_EBX], h7->r[CPUID_EBX] & ~(1U << 5));
	ck_assert_uint_eq(s7->r[CPUID_ECX], h7->r[CPUID_ECX]);
	/* avx_vnni (7.1 EAX bit 4) and avx_ifma (bit 23) require avx2 */
	ck_assert(cpuid_dump_has(&host, feat("avx_vnni")));
	ck_assert(!cpuid_dump_has(&shown, feat("avx_vnni")));
	ck_assert_int_eq(profile_reason(&p, &c, feat("avx2"), why, sizeof(why)),
			 MR_PROFILE);
	ck_assert_str_eq(why, "masked by profile (line 2)");
	ck_assert_int_eq(profile_reason(&p, &c, feat("avx_vnni"), why, sizeof(why)),
			 MR_DEPENDENCY);
	ck_assert_str_eq(why, "masked: requires avx2");
	ck_assert_int_eq(profile_reason(&p, &c, feat("avx"), why, sizeof(why)),
			 MR_NONE);
	ck_assert_str_eq(why, "");
	/* only leaves 7.0 and 7.1 are touched */
	ck_assert_uint_eq(c.nr_rules, 2);
	{
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		ck_assert_int_eq(profile_print_rules(&c, f), 0);
		fclose(f);
		ck_assert_str_eq(text, "profile t: 2 rules\n"
				 "  leaf 0x00000007 subleaf 0x00: ebx&=0xffffffdf\n"
				 "  leaf 0x00000007 subleaf 0x01: eax&=0xff7fffef\n");
		free(text);
	}
	cpuid_dump_free(&host);
	cpuid_dump_free(&shown);
}
END_TEST

/* On AMD, 1.EDX bits are repeated in 0x80000001.EDX: both go. */
START_TEST(test_compile_amd_mirror)
{
	struct cpuid_dump host, shown;
	struct profile p;
	struct profile_compiled c;

	load_dump(&host, HOST_DUMP);
	ck_assert(cpuid_dump_find(&host, 0x80000001, 0)->r[CPUID_EDX] & (1U << 23));
	parse_ok(&p, "mask mmx\n");
	presented(&p, &host, &shown, &c);
	ck_assert(!(cpuid_dump_find(&shown, 1, 0)->r[CPUID_EDX] & (1U << 23)));
	ck_assert(!(cpuid_dump_find(&shown, 0x80000001, 0)->r[CPUID_EDX] & (1U << 23)));
	/* mmxext requires mmx */
	ck_assert(!cpuid_dump_has(&shown, feat("mmxext")));
	cpuid_dump_free(&host);
	cpuid_dump_free(&shown);
}
END_TEST

START_TEST(test_compile_raw_unnamed)
{
	struct cpuid_dump host, shown;
	struct profile p;
	struct profile_compiled c;
	char why[96];

	load_dump(&host, HOST_DUMP);
	/* 0x80000021 EAX bit 10 has no name; 7.0 EBX bit 5 is avx2 */
	parse_ok(&p, "mask 0x80000021_0_eax_10 7_0_ebx_5\n");
	ck_assert_ptr_null(feature_at(0x80000021, 0, CPUID_EAX, 10));
	ck_assert(cpuid_dump_find(&host, 0x80000021, 0)->r[CPUID_EAX] & (1U << 10));
	presented(&p, &host, &shown, &c);
	ck_assert_uint_eq(cpuid_dump_find(&shown, 0x80000021, 0)->r[CPUID_EAX],
			  cpuid_dump_find(&host, 0x80000021, 0)->r[CPUID_EAX] & ~(1U << 10));
	ck_assert(!cpuid_dump_has(&shown, feat("avx2")));
	ck_assert_int_eq(profile_reason(&p, &c, feat("avx2"), why, sizeof(why)),
			 MR_RAW);
	ck_assert_str_eq(why, "masked by profile (raw bit 0x7_0_ebx_5, line 1)");
	cpuid_dump_free(&host);
	cpuid_dump_free(&shown);
}
END_TEST

START_TEST(test_compile_xsavearea)
{
	struct cpuid_dump host, shown;
	struct profile p;
	struct profile_compiled c;
	struct diag diag = { 0 };
	const struct cpuid_entry *d0, *d1;
	char why[96];

	load_dump(&host, HOST_DUMP);
	ck_assert_uint_eq(cpuid_dump_find(&host, 0xd, 0)->r[CPUID_EBX], 0x980);
	parse_ok(&p, "mask avx512f\nxsavearea 4096\n");
	presented(&p, &host, &shown, &c);
	d0 = cpuid_dump_find(&shown, 0xd, 0);
	d1 = cpuid_dump_find(&shown, 0xd, 1);
	ck_assert_uint_eq(d0->r[CPUID_EBX], 4096);
	ck_assert_uint_eq(d0->r[CPUID_ECX], 4096);
	/* XCR0-supported components are the CPU's: not shrunk */
	ck_assert_uint_eq(d0->r[CPUID_EAX], cpuid_dump_find(&host, 0xd, 0)->r[CPUID_EAX]);
	ck_assert(!(d1->r[CPUID_EAX] & 2));	/* xsavec hidden */
	ck_assert(d1->r[CPUID_EAX] & 1);	/* xsaveopt stays */
	ck_assert_int_eq(profile_reason(&p, &c, feat("xsavec"), why, sizeof(why)),
			 MR_XSAVEAREA);
	cpuid_dump_free(&shown);

	/* Below this host's size: refused, with the line of the directive. */
	parse_ok(&p, "# seed value for an AVX-512 host\n\nxsavearea 2000\n");
	ck_assert_int_eq(profile_compile(&p, &host, &c, &diag), -EINVAL);
	ck_assert_str_eq(diag.msg, "t.profile:3: xsavearea 2000 is below this host's XSAVE area size 2432 (CPUID 0xd.0 EBX); XSAVE would overflow buffers sized from it: use at least 2432");
	/* Without a host there is nothing to check against. */
	ck_assert_int_eq(profile_compile(&p, NULL, &c, &diag), 0);
	cpuid_dump_free(&host);
}
END_TEST

START_TEST(test_compile_identity)
{
	struct cpuid_dump host, shown;
	struct profile p;
	struct profile_compiled c;
	struct diag diag = { 0 };
	unsigned int fa, mo, st;
	char brand[49];
	uint32_t before = 0;

	load_dump(&host, HOST_DUMP);
	parse_ok(&p, "family 6\nmodel 0x55\nstepping 4\nbrand \"Test CPU @ 1.00GHz\"\n");
	presented(&p, &host, &shown, &c);
	ck_assert(cpuid_dump_fms(&shown, &fa, &mo, &st));
	ck_assert_uint_eq(fa, 6);
	ck_assert_uint_eq(mo, 0x55);
	ck_assert_uint_eq(st, 4);
	cpuid_dump_brand(&shown, brand);
	ck_assert_str_eq(brand, "Test CPU @ 1.00GHz");
	cpuid_dump_free(&shown);

	/* Only the model: the host's family 0x1a stays. */
	parse_ok(&p, "model 0x21\n");
	presented(&p, &host, &shown, &c);
	ck_assert(cpuid_dump_fms(&shown, &fa, &mo, &st));
	ck_assert_uint_eq(fa, 0x1a);
	ck_assert_uint_eq(mo, 0x21);
	ck_assert_uint_eq(st, 1);
	cpuid_dump_free(&shown);

	parse_ok(&p, "family 0x19\n");
	presented(&p, &host, &shown, &c);
	ck_assert(cpuid_dump_fms(&shown, &fa, &mo, &st));
	ck_assert_uint_eq(fa, 0x19);
	ck_assert_uint_eq(mo, 0x02);
	before = cpuid_dump_find(&shown, 1, 0)->r[CPUID_EAX];
	ck_assert_uint_eq(before, 0x00a00f21);
	cpuid_dump_free(&shown);

	parse_ok(&p, "family 5\nmodel 0x55\n");
	ck_assert_int_eq(profile_compile(&p, &host, &c, &diag), -EINVAL);
	ck_assert_str_eq(diag.msg, "t.profile:2: model 0x55 needs the extended model field, which CPUs only use with family 6 or >= 15 (family is 5)");
	cpuid_dump_free(&host);
}
END_TEST

START_TEST(test_compile_clamps)
{
	struct cpuid_dump host, shown;
	struct profile p;
	struct profile_compiled c;
	struct diag diag = { 0 };
	char why[96];

	load_dump(&host, HOST_DUMP);
	parse_ok(&p, "max-basic-leaf 6\nmax-ext-leaf 0x80000008\n");
	presented(&p, &host, &shown, &c);
	ck_assert_uint_eq(c.attach_flags, CPUIDVIRT_ATTACH_CLAMP_BASIC | CPUIDVIRT_ATTACH_CLAMP_EXT);
	ck_assert_uint_eq(c.max_basic_leaf, 6);
	ck_assert_uint_eq(c.max_ext_leaf, 0x80000008);
	ck_assert_uint_eq(cpuid_dump_find(&shown, 0, 0)->r[CPUID_EAX], 6);
	ck_assert_uint_eq(cpuid_dump_find(&shown, 0x80000000, 0)->r[CPUID_EAX], 0x80000008);
	/* leaf 7 answers as leaf 6, per the SDM */
	ck_assert_mem_eq(cpuid_dump_find(&shown, 7, 0)->r,
			 cpuid_dump_find(&host, 6, 0)->r, 16);
	ck_assert_int_eq(profile_reason(&p, &c, feat("avx2"), why, sizeof(why)),
			 MR_CLAMP);
	ck_assert_str_eq(why, "leaf 0x7 is above max-basic-leaf 0x6");
	cpuid_dump_free(&shown);

	/* Above this host's maximum: no effect, so fleet profiles fit. */
	parse_ok(&p, "max-basic-leaf 0x20\n");
	ck_assert_int_eq(profile_compile(&p, &host, &c, &diag), 0);
	ck_assert_int_eq(profile_emulate(&c, &host, &shown), 0);
	ck_assert_uint_eq(cpuid_dump_find(&shown, 0, 0)->r[CPUID_EAX], 0xd);
	ck_assert_mem_eq(cpuid_dump_find(&shown, 7, 0)->r,
			 cpuid_dump_find(&host, 7, 0)->r, 16);
	cpuid_dump_free(&shown);
	cpuid_dump_free(&host);
}
END_TEST

START_TEST(test_compare)
{
	struct cpuid_dump host;
	struct profile p;
	struct profile_compiled c;
	struct diag diag = { 0 };
	struct feature_cmp *v;
	size_t n, i;
	int seen = 0;

	load_dump(&host, HOST_DUMP);
	parse_ok(&p, "mask avx512f\n");
	ck_assert_int_eq(profile_compile(&p, &host, &c, &diag), 0);
	ck_assert_int_eq(profile_compare(&p, &c, &host, &v, &n), 0);
	ck_assert_uint_gt(n, 50);
	for (i = 0; i < n; i++) {
		ck_assert(!(v[i].f->flags & FEAT_ALIAS));
		if (!strcmp(v[i].f->name, "avx512bw")) {
			ck_assert(v[i].host && !v[i].presented);
			ck_assert_str_eq(v[i].why, "masked: requires avx512f");
			seen++;
		} else if (!strcmp(v[i].f->name, "avx512f")) {
			ck_assert_str_eq(v[i].why, "masked by profile (line 1)");
			seen++;
		} else if (!strcmp(v[i].f->name, "avx2")) {
			ck_assert(v[i].host && v[i].presented);
			ck_assert_str_eq(v[i].why, "");
			seen++;
		}
	}
	ck_assert_int_eq(seen, 3);
	free(v);

	parse_ok(&p, "baseline x86-64-v3\n");
	ck_assert_int_eq(profile_compile(&p, &host, &c, &diag), 0);
	ck_assert_int_eq(profile_compare(&p, &c, &host, &v, &n), 0);
	for (i = 0; i < n; i++)
		if (!strcmp(v[i].f->name, "avx512f"))
			ck_assert_str_eq(v[i].why, "not in x86-64-v3");
	free(v);
	cpuid_dump_free(&host);
}
END_TEST

/* The allow-list form: only the listed extensions (closed) are shown. */
START_TEST(test_allow_list)
{
	struct cpuid_dump host, shown;
	struct profile p;
	struct profile_compiled c;
	char why[96];

	load_dump(&host, HOST_DUMP);
	parse_ok(&p, "allow cmov cx8 fxsr mmx sse sse2 avx2\n");
	presented(&p, &host, &shown, &c);
	ck_assert(cpuid_dump_has(&shown, feat("sse2")));
	ck_assert(!cpuid_dump_has(&shown, feat("sse4_2")));
	/* avx2 needs avx, which is not allowed */
	ck_assert(!cpuid_dump_has(&shown, feat("avx2")));
	ck_assert_int_eq(profile_reason(&p, &c, feat("sse4_2"), why, sizeof(why)),
			 MR_ALLOWLIST);
	ck_assert_str_eq(why, "not in the allow list");
	ck_assert(cpuid_dump_has(&shown, feat("fpu")));
	ck_assert(cpuid_dump_has(&shown, feat("hypervisor")));
	cpuid_dump_free(&shown);

	parse_ok(&p, "baseline x86-64-v2\nallow aes\n");
	presented(&p, &host, &shown, &c);
	ck_assert(cpuid_dump_has(&shown, feat("aes")));
	ck_assert(!cpuid_dump_has(&shown, feat("pclmulqdq")));
	cpuid_dump_free(&shown);
	cpuid_dump_free(&host);
}
END_TEST

/*
 * profile_format output parses back to the same profile: the whole
 * structure (every field, every raw bit), line numbers aside.
 */
START_TEST(test_format_round_trip)
{
	static const char *const texts[] = {
		"name x\nbaseline x86-64-v3\nallow aes\nmask avx512f hle\n"
		"mask 0x80000021_0_eax_31 7_1_ecx_12 0x80000001_0_edx_11\n"
		"xsavearea 4096\nfamily 0x19\n"
		"model 1\nstepping 2\nbrand \"A \\\"b\\\" c\\\\ #d\"\n"
		"max-basic-leaf 0xd\nmax-ext-leaf 0x80000008\n",
		"avx512f,hle,rtm,xsavearea=2696\n",
		"brand \"\"\nfamily 0\nmodel 0\nstepping 0\n",
		"allow sse4_2 cx16 lahf popcnt\n",
		"# nothing but a comment\n",
	};
	struct profile a;
	struct diag diag = { 0 };
	const char *const *b;
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char what[32];

		parse_ok(&a, texts[i]);
		snprintf(what, sizeof(what), "text %zu", i);
		profile_assert_round_trip(&a, what);
	}
	for (b = profile_builtin_names(); *b; b++) {
		ck_assert_int_eq(profile_load(&a, *b, &diag), 0);
		profile_assert_round_trip(&a, *b);
	}
	ck_assert_int_eq(profile_load(&a, TEST_DATA_DIR "/module/custom.profile", &diag), 0);
	profile_assert_round_trip(&a, "custom.profile");
	ck_assert_int_eq(profile_load(&a, TEST_DATA_DIR "/profiles/web.profile", &diag), 0);
	profile_assert_round_trip(&a, "web.profile");
}
END_TEST

START_TEST(test_help_text)
{
	const char *h = profile_help_text();
	static const char *const kw[] = {
		"name ", "baseline ", "allow ", "mask ", "xsavearea ",
		"family ", "model ", "stepping", "brand ", "max-basic-leaf ",
		"max-ext-leaf ", "LEAF_SUB_REG_BIT", "x86-64-v4",
	};
	size_t i;

	char *doc = read_text(TEST_DATA_DIR "/../../docs/profile-language.md");

	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		ck_assert_msg(strstr(h, kw[i]), "help lacks %s", kw[i]);
	/* The reference documents every directive the parser knows. */
	for (i = 0; i < sizeof(kw) / sizeof(kw[0]) - 2; i++) {
		char want[64];

		snprintf(want, sizeof(want), "`%s", kw[i]);
		ck_assert_msg(strstr(doc, want), "docs lack %s", want);
	}
	free(doc);
}
END_TEST

Suite *profile_suite(void)
{
	Suite *s = suite_create("profile");
	TCase *tp = tcase_create("parse");
	TCase *tc = tcase_create("compile");

	tcase_add_test(tp, test_parse_full);
	tcase_add_test(tp, test_parse_seed_syntax);
	tcase_add_test(tp, test_parse_errors);
	tcase_add_test(tp, test_load);
	tcase_add_test(tp, test_format_round_trip);
	tcase_add_test(tp, test_help_text);
	suite_add_tcase(s, tp);
	tcase_add_test(tc, test_compile_v2);
	tcase_add_test(tc, test_compile_levels_all);
	tcase_add_test(tc, test_compile_mask_closure);
	tcase_add_test(tc, test_compile_amd_mirror);
	tcase_add_test(tc, test_compile_raw_unnamed);
	tcase_add_test(tc, test_compile_xsavearea);
	tcase_add_test(tc, test_compile_identity);
	tcase_add_test(tc, test_compile_clamps);
	tcase_add_test(tc, test_compare);
	tcase_add_test(tc, test_allow_list);
	suite_add_tcase(s, tc);
	return s;
}
