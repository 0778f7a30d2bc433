// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl profile check: parse and compile profiles against this host
 * and recorded dumps, for CI pipelines that ship profiles. Needs no
 * module; every profile is checked, so one run shows every error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuidctl.h"
#include "profile.h"

/* The CPUs to compile against: this host (optional) and the dumps. */
struct check_hosts {
	struct cpuid_dump *d;
	const char **name;	/* NULL name: this host */
	int n;
};

static int add_host(struct check_hosts *h, const char *path)
{
	struct diag diag;
	int i = h->n;

	h->d = realloc(h->d, (i + 1) * sizeof(*h->d));
	h->name = realloc(h->name, (i + 1) * sizeof(*h->name));
	if (!h->d || !h->name) {
		err_msg("%s", strerror(ENOMEM));
		return EXIT_FAIL;
	}
	cpuid_dump_init(&h->d[i]);
	h->name[i] = path;
	h->n++;
	diag_clear(&diag);
	if (path ? cpuid_dump_load(&h->d[i], path, -1, &diag) :
		   cpuid_dump_read_host(&h->d[i], -1, &diag)) {
		err_msg("%s%s", path ? "" : "reading this host's CPUID: ", diag.msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static void free_hosts(struct check_hosts *h)
{
	int i;

	for (i = 0; i < h->n; i++)
		cpuid_dump_free(&h->d[i]);
	free(h->d);
	free(h->name);
}

/* One PROFILE: 0 if it parses and compiles against every host, else 5. */
static int check_one(const char *spec, const struct check_hosts *h)
{
	static struct profile p;
	static struct profile_compiled c;
	struct diag diag;
	int i;

	diag_clear(&diag);
	if (profile_load(&p, spec, &diag)) {
		err_msg("%s", diag.msg);
		return EXIT_PROFILE;
	}
	for (i = 0; i < h->n; i++) {
		diag_clear(&diag);
		if (profile_compile(&p, &h->d[i], &c, &diag)) {
			err_msg("%s (compiled against %s)", diag.msg,
				h->name[i] ? h->name[i] : "this host");
			return EXIT_PROFILE;
		}
	}
	profile_warn(&p);
	printf("%s: ok (name %s;", spec, p.name);
	for (i = 0; i < h->n; i++)
		printf("%s %s", i ? "," : " compiled against", h->name[i] ? h->name[i] : "this host");
	printf(")\n");
	return EXIT_OK;
}

int profile_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "against", required_argument, NULL, 'a' },
		{ "no-host", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct check_hosts h = { NULL, NULL, 0 };
	const char **dumps;
	bool host = true, bad = false;
	int ch, i, nd = 0, ret = EXIT_OK;

	dumps = calloc(argc, sizeof(*dumps));
	if (!dumps) {
		err_msg("%s", strerror(ENOMEM));
		return EXIT_FAIL;
	}
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 'a') {
			dumps[nd++] = optarg;
		} else if (ch == 'n') {
			host = false;
		} else {
			ret = opt_error("profile check", ch, argv);
			goto out;
		}
	}
	if (optind == argc)
		ret = usage_error("profile check", "give at least one PROFILE");
	else if (!host && !nd)
		ret = usage_error("profile check", "--no-host needs at least one --against DUMP");
	if (!ret && host)
		ret = add_host(&h, NULL);
	for (i = 0; !ret && i < nd; i++)
		ret = add_host(&h, dumps[i]);
	/* Keep going after a bad profile: CI wants every error at once. */
	for (i = ret ? argc : optind; i < argc; i++)
		bad |= check_one(argv[i], &h) != EXIT_OK;
	if (!ret && bad)
		ret = EXIT_PROFILE;
out:
	free_hosts(&h);
	free(dumps);
	return ret;
}
