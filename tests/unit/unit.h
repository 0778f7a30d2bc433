/* SPDX-License-Identifier: GPL-2.0 */
/* Shared helpers of the cpuidctl library unit tests (Check). */
#ifndef CPUIDCTL_UNIT_H
#define CPUIDCTL_UNIT_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpufeat.h"
#include "dump.h"
#include "profile.h"

#ifndef TEST_DATA_DIR
#error "build with -DTEST_DATA_DIR=\"/path/to/tests/data\""

/* Profile round trips (test_fuzz.c): equal but for line numbers. */
void profile_assert_same(const struct profile *a, const struct profile *b,
			 const char *what);
/* profile_format() output, malloc()ed. */
char *profile_text(const struct profile *p);
/* parse(format(p)) is p (whole structure), and format is a fixed point. */
void profile_assert_round_trip(const struct profile *p, const char *what);

/*
 * x86-64 psABI levels as raw CPUID positions (psabi.c), independent of
 * the feature table: the judge of the built-in baselines.
 */
struct psabi_bit {
	const char *name;	/* as the psABI spells it */
	uint32_t leaf;		/* subleaf 0 */
	uint8_t reg;		/* enum cpuid_reg */
	uint8_t bit;
	int level;		/* 1..4 */
};
extern const struct psabi_bit psabi_bits[];
extern const size_t psabi_nr_bits;
/* Bit set in @d (leaves above the dump's maximum read as clear). */
bool psabi_has(const struct cpuid_dump *d, const struct psabi_bit *b);
/* Highest level whose every feature is set in @d, 0 if not even v1. */
int psabi_level(const struct cpuid_dump *d);
/* Every feature of levels <= @level set and every later one clear. */
void psabi_assert_exactly(const struct cpuid_dump *d, int level,
			  const char *what);

#endif

#define HOST_DUMP TEST_DATA_DIR "/dumps/host-amd-epyc-zen5.txt"

Suite *features_suite(void);
Suite *dump_suite(void);
Suite *profile_suite(void);
Suite *lcd_suite(void);
Suite *module_data_suite(void);
Suite *oci_hook_suite(void);
Suite *fuzz_suite(void);
Suite *cli_profile_suite(void);
Suite *builtins_suite(void);
Suite *rawbit_suite(void);
Suite *cli_out_suite(void);
Suite *attach_suite(void);
Suite *cli_diag_suite(void);
Suite *profile_input_suite(void);
Suite *supervise_suite(void);
Suite *modsupport_suite(void);
Suite *cgpath_suite(void);

/*
 * The cpuidctl binary (cli.c), for commands that need neither module nor
 * host: exit status and the exact text on stdout and stderr.
 */
struct cli_result {
	int rc;
	char *out, *err;
};
/* Run cpuidctl ARG... (NULL-terminated); stdin is empty. Returns rc. */
int cli_run(struct cli_result *r, const char *arg, ...) __attribute__((sentinel));
/* The same with argv[0] = "cpuidctl" given and @in as stdin. */
int cli_runv(struct cli_result *r, const char *in, char *const argv[]);
/* Assert rc and, unless NULL, exact stdout/stderr; frees the result. */
void cli_expect(struct cli_result *r, int rc, const char *out, const char *err);
void cli_free(struct cli_result *r);
/* Write @text to a temporary file named by @slot (0..7); its path. */
const char *cli_file(int slot, const char *text);

/* Live host vs `cpuid -1 -r`, as TAP comments only (test_dump.c). */
void dump_host_info(FILE *tap);

/* Helpers (unit_main.c). */
char *read_text(const char *path);
void load_dump(struct cpuid_dump *d, const char *path);
const struct cpu_feature *feat(const char *name);
/* Parse @text (source "t.profile"), assert success, compile against @host. */
void parse_ok(struct profile *p, const char *text);
/* Parse @text, assert it fails with exactly @msg. */
void parse_fails(const char *text, const char *msg);
/* Set or clear one bit of a dump entry (for synthetic hosts). */
void dump_bit(struct cpuid_dump *d, const struct cpu_feature *f, int on);
/* Features set in a dump as the profile presents it. */
void presented(const struct profile *p, const struct cpuid_dump *host,
	       struct cpuid_dump *out, struct profile_compiled *c);


/* Profile round trips (test_fuzz.c): equal but for line numbers. */
void profile_assert_same(const struct profile *a, const struct profile *b,
			 const char *what);
/* profile_format() output, malloc()ed. */
char *profile_text(const struct profile *p);
/* parse(format(p)) is p (whole structure), and format is a fixed point. */
void profile_assert_round_trip(const struct profile *p, const char *what);

/*
 * x86-64 psABI levels as raw CPUID positions (psabi.c), independent of
 * the feature table: the judge of the built-in baselines.
 */
struct psabi_bit {
	const char *name;	/* as the psABI spells it */
	uint32_t leaf;		/* subleaf 0 */
	uint8_t reg;		/* enum cpuid_reg */
	uint8_t bit;
	int level;		/* 1..4 */
};
extern const struct psabi_bit psabi_bits[];
extern const size_t psabi_nr_bits;
/* Bit set in @d (leaves above the dump's maximum read as clear). */
bool psabi_has(const struct cpuid_dump *d, const struct psabi_bit *b);
/* Highest level whose every feature is set in @d, 0 if not even v1. */
int psabi_level(const struct cpuid_dump *d);
/* Every feature of levels <= @level set and every later one clear. */
void psabi_assert_exactly(const struct cpuid_dump *d, int level,
			  const char *what);

#endif
