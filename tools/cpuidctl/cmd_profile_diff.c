// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl profile diff A B: which features two CPUs show differently.
 * Each side is a profile (as it presents the host) or a dump (that CPU as
 * it is). Exit status like diff(1): 0 same, 1 different, >1 trouble.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cpuidctl.h"
#include "profile.h"

/* diff(1)'s "trouble": no comparison was made. */
#define EXIT_DIFF_TROUBLE 2

struct side {
	const char *arg;
	bool is_dump;
	struct cpuid_dump dump;		/* the CPU of a dump side */
	struct profile p;
	struct profile_compiled c;
	struct feature_cmp *cmp;	/* profile side: vs the host */
	size_t ncmp;
};

/*
 * A dump is a file whose first line that is not blank is a CPU header,
 * "CPU:" ('cpuid -1 -r', 'cpuidctl dump') or "CPU N:" ('cpuid -r'). No
 * profile line can look like that: "CPU:" is no directive or feature.
 */
bool is_dump_file(const char *path)
{
	char line[64];
	struct stat st;
	bool dump = false;
	FILE *f;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return false;
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *s = line + strspn(line, " \t\r\n");
		unsigned int cpu;
		char colon;

		if (!*s)
			continue;
		dump = !strncmp(s, "CPU:", 4) ||
		       (sscanf(s, "CPU %u%c", &cpu, &colon) == 2 && colon == ':');
		break;
	}
	fclose(f);
	return dump;
}

static int load_side(struct side *s, const struct cpuid_dump *host)
{
	struct diag diag;
	int ret;

	diag_clear(&diag);
	if (s->is_dump) {
		if (cpuid_dump_load(&s->dump, s->arg, -1, &diag)) {
			err_msg("%s", diag.msg);
			return EXIT_DIFF_TROUBLE;
		}
		return EXIT_OK;
	}
	if (profile_load(&s->p, s->arg, &diag)) {
		err_msg("%s", diag.msg);
		return EXIT_PROFILE;
	}
	if (profile_compile(&s->p, host, &s->c, &diag)) {
		err_msg("%s", diag.msg);
		return EXIT_PROFILE;
	}
	ret = profile_compare(&s->p, &s->c, host, &s->cmp, &s->ncmp);
	if (ret) {
		err_msg("comparing: %s", strerror(-ret));
		return EXIT_DIFF_TROUBLE;
	}
	return EXIT_OK;
}

/* Whether side @s shows @f, and if not, why (into @why). */
static bool shows(const struct side *s, const struct cpu_feature *f,
		  const char *host, char *why, size_t len)
{
	size_t i;

	if (s->is_dump) {
		snprintf(why, len, "not on %s", s->arg);
		return cpuid_dump_has(&s->dump, f);
	}
	for (i = 0; i < s->ncmp; i++) {
		if (s->cmp[i].f != f)
			continue;
		if (s->cmp[i].presented)
			return true;
		snprintf(why, len, "%s", s->cmp[i].why);
		return false;
	}
	snprintf(why, len, "not on %s", host);
	return false;
}

static void print_side(const char *label, const struct side *s, const char *host)
{
	if (s->is_dump)
		printf("%s: %s (dump)\n", label, s->arg);
	else
		printf("%s: %s (profile %s on %s)\n", label, s->arg, s->c.name, host);
}

/* Prints the differing features; returns how many. */
static size_t print_diff(const struct side *a, const struct side *b, const char *host)
{
	char wa[128], wb[128];
	size_t i, n = 0;

	for (i = 0; i < features_count(); i++) {
		const struct cpu_feature *f = feature_get(i);
		bool sa, sb;

		if (f->flags & FEAT_ALIAS)
			continue;
		sa = shows(a, f, host, wa, sizeof(wa));
		sb = shows(b, f, host, wb, sizeof(wb));
		if (sa == sb)
			continue;
		if (!n++)
			printf("\n%-22s %-5s %-5s %s\n", "feature", "A", "B", "why");
		printf("%-22s %-5s %-5s %s: %s\n", f->name, sa ? "yes" : "-",
		       sb ? "yes" : "-", sa ? "B" : "A", sa ? wb : wa);
	}
	return n;
}

int profile_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "against", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	static struct side side[2];
	struct cpuid_dump host = CPUID_DUMP_INIT;
	const char *against = NULL, *hostname;
	struct diag diag;
	size_t n;
	int ch, i, ret = EXIT_OK;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 'a')
			against = optarg;
		else
			return opt_error("profile diff", ch, argv);
	}
	if (argc - optind != 2)
		return usage_error("profile diff", argc - optind < 2 ?
				   "needs A and B (profiles or dumps)" : "too many arguments");
	for (i = 0; i < 2; i++) {
		memset(&side[i], 0, sizeof(side[i]));
		side[i].arg = argv[optind + i];
		side[i].is_dump = is_dump_file(side[i].arg);
		cpuid_dump_init(&side[i].dump);
	}
	if (against && side[0].is_dump && side[1].is_dump)
		return usage_error("profile diff", "--against is the host of a PROFILE side, but A and B are both dumps");
	hostname = against ? against : "this host";
	/* The host matters only to a profile side. */
	if (!side[0].is_dump || !side[1].is_dump) {
		diag_clear(&diag);
		if (against ? cpuid_dump_load(&host, against, -1, &diag) :
			      cpuid_dump_read_host(&host, -1, &diag)) {
			err_msg("%s%s", against ? "" : "reading this host's CPUID: ", diag.msg);
			ret = EXIT_DIFF_TROUBLE;
		}
	}
	for (i = 0; i < 2 && !ret; i++)
		ret = load_side(&side[i], &host);
	if (!ret) {
		print_side("A", &side[0], hostname);
		print_side("B", &side[1], hostname);
		n = print_diff(&side[0], &side[1], hostname);
		if (n)
			printf("\n%zu feature%s differ%s\n", n, n == 1 ? "" : "s", n == 1 ? "s" : "");
		else
			printf("\nno feature differs\n");
		ret = n ? 1 : EXIT_OK;
	}
	for (i = 0; i < 2; i++) {
		free(side[i].cmp);
		cpuid_dump_free(&side[i].dump);
	}
	cpuid_dump_free(&host);
	return ret;
}
