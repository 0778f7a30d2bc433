/* SPDX-License-Identifier: GPL-2.0 */
/* Shared helpers of the cpuidctl library unit tests (Check). */
#ifndef CPUIDCTL_UNIT_H
#define CPUIDCTL_UNIT_H

#include <check.h>
#include <stdio.h>

#include "cpufeat.h"
#include "dump.h"
#include "profile.h"

#ifndef TEST_DATA_DIR
#error "build with -DTEST_DATA_DIR=\"/path/to/tests/data\""
#endif

#define HOST_DUMP TEST_DATA_DIR "/dumps/host-amd-epyc-zen5.txt"

Suite *features_suite(void);
Suite *dump_suite(void);
Suite *profile_suite(void);
Suite *lcd_suite(void);
Suite *module_data_suite(void);
Suite *oci_hook_suite(void);

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

#endif
