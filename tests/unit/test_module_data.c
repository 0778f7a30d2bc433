// SPDX-License-Identifier: GPL-2.0
/*
 * The library's model of the module (profile_compile + profile_emulate)
 * against what the module really answered in test-bed guests
 * (tests/data/module/README).
 */
#include <string.h>

#include "unit.h"

#define MOD TEST_DATA_DIR "/module/"

static const struct {
	const char *kernel;
	const char *profile;
	const char *inside;
	unsigned int min_entries;
} cases[] = {
	{ "6.1", "x86-64-v2", "inside-x86-64-v2", 37 },
	{ "6.1", MOD "custom.profile", "inside-custom", 37 },
	{ "6.1", MOD "clamps.profile", "inside-clamps", 20 },
	{ "6.12", "x86-64-v2", "inside-x86-64-v2", 37 },
	{ "6.12", MOD "custom.profile", "inside-custom", 37 },
	{ "6.12", MOD "clamps.profile", "inside-clamps", 20 },
};

START_TEST(test_emulate_matches_module)
{
	char path[512];
	struct cpuid_dump out, in, emu;
	struct profile p;
	struct profile_compiled c;
	struct diag diag = { 0 };
	size_t i, changed = 0;

	snprintf(path, sizeof(path), MOD "%s-Skylake-Client-v4-outside.txt",
		 cases[_i].kernel);
	load_dump(&out, path);
	snprintf(path, sizeof(path), MOD "%s-Skylake-Client-v4-%s.txt",
		 cases[_i].kernel, cases[_i].inside);
	load_dump(&in, path);
	ck_assert_uint_ge(in.n, cases[_i].min_entries);
	ck_assert_msg(profile_load(&p, cases[_i].profile, &diag) == 0, "%s",
		      diag.msg);
	presented(&p, &out, &emu, &c);
	for (i = 0; i < in.n; i++) {
		const struct cpuid_entry *x = &in.e[i];
		const struct cpuid_entry *e = cpuid_dump_find(&emu, x->leaf,
							      x->subleaf);
		const struct cpuid_entry *o = cpuid_dump_find(&out, x->leaf,
							      x->subleaf);

		ck_assert_msg(e, "no prediction for %#x.%u", x->leaf, x->subleaf);
		ck_assert_msg(!memcmp(e->r, x->r, sizeof(x->r)),
			      "%s: %#x.%u predicted %08x %08x %08x %08x, module said %08x %08x %08x %08x",
			      cases[_i].profile, x->leaf, x->subleaf,
			      e->r[0], e->r[1], e->r[2], e->r[3],
			      x->r[0], x->r[1], x->r[2], x->r[3]);
		changed += o && memcmp(o->r, x->r, sizeof(x->r));
	}
	/* The profile did change something the module then showed. */
	ck_assert_uint_ge(changed, 2);
	cpuid_dump_free(&out);
	cpuid_dump_free(&in);
	cpuid_dump_free(&emu);
}
END_TEST

Suite *module_data_suite(void)
{
	Suite *s = suite_create("module-data");
	TCase *tc = tcase_create("recorded");

	tcase_add_loop_test(tc, test_emulate_matches_module, 0,
			    sizeof(cases) / sizeof(cases[0]));
	suite_add_tcase(s, tc);
	return s;
}
