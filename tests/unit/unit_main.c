// SPDX-License-Identifier: GPL-2.0
/*
 * Runner of the library unit tests. Writes TAP to the file named by
 * $UNIT_TAP (make unit-check: build/results/unit.tap) and exits non-zero if
 * any test failed.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n + 1);
	ck_assert(buf);
	ck_assert_int_eq(fread(buf, 1, n, f), n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

void load_dump(struct cpuid_dump *d, const char *path)
{
	struct diag diag = { 0 };
	int ret = cpuid_dump_load(d, path, -1, &diag);

	ck_assert_msg(ret == 0, "%s", diag.msg);
}

const struct cpu_feature *feat(const char *name)
{
	const struct cpu_feature *f = feature_by_name(name);

	ck_assert_msg(f, "feature %s missing from the table", name);
	return f;
}

void parse_ok(struct profile *p, const char *text)
{
	struct diag diag = { 0 };
	int ret = profile_parse(p, text, "t.profile", &diag);

	ck_assert_msg(ret == 0, "parse failed: %s", diag.msg);
}

void parse_fails(const char *text, const char *msg)
{
	struct profile p;
	struct diag diag = { 0 };
	int ret = profile_parse(&p, text, "t.profile", &diag);

	ck_assert_msg(ret < 0, "'%s' parsed but should fail", text);
	ck_assert_str_eq(diag.msg, msg);
}

void dump_bit(struct cpuid_dump *d, const struct cpu_feature *f, int on)
{
	const struct cpuid_entry *e = cpuid_dump_find(d, f->leaf, f->subleaf);
	uint32_t r[CPUID_NR_REGS];

	ck_assert_msg(e, "dump has no leaf %#x.%u", f->leaf, f->subleaf);
	memcpy(r, e->r, sizeof(r));
	if (on)
		r[f->reg] |= 1U << f->bit;
	else
		r[f->reg] &= ~(1U << f->bit);
	ck_assert_int_eq(cpuid_dump_set(d, f->leaf, f->subleaf, r), 0);
}

void presented(const struct profile *p, const struct cpuid_dump *host,
	       struct cpuid_dump *out, struct profile_compiled *c)
{
	struct diag diag = { 0 };
	int ret = profile_compile(p, host, c, &diag);

	ck_assert_msg(ret == 0, "compile failed: %s", diag.msg);
	cpuid_dump_init(out);
	ck_assert_int_eq(profile_emulate(c, host, out), 0);
}

int main(void)
{
	SRunner *sr = srunner_create(features_suite());
	const char *tap = getenv("UNIT_TAP");
	int failed;

	srunner_add_suite(sr, dump_suite());
	srunner_add_suite(sr, profile_suite());
	srunner_add_suite(sr, lcd_suite());
	srunner_add_suite(sr, module_data_suite());
	srunner_add_suite(sr, oci_hook_suite());
	srunner_add_suite(sr, fuzz_suite());
	srunner_add_suite(sr, cli_profile_suite());
	srunner_add_suite(sr, builtins_suite());
	srunner_add_suite(sr, rawbit_suite());
	srunner_add_suite(sr, cli_out_suite());
	srunner_add_suite(sr, attach_suite());
	srunner_add_suite(sr, cli_diag_suite());
	srunner_add_suite(sr, profile_input_suite());
	srunner_add_suite(sr, supervise_suite());
	srunner_add_suite(sr, modsupport_suite());
	srunner_add_suite(sr, cgpath_suite());
	if (tap && *tap)
		srunner_set_tap(sr, tap);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* After the plan line: a TAP comment, neither pass nor fail. */
	if (!strstr(getenv("CK_EXCLUDE_TAGS") ?: "", "native-cpuid")) {
		FILE *f = tap && *tap ? fopen(tap, "a") : NULL;

		dump_host_info(f);
		if (f)
			fclose(f);
	}
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
