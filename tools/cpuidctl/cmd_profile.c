// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl profile: show, lcd, apply, remove, list. The language itself
 * (parsing, compiling, comparing, LCD) lives in lib/profile.c; this file
 * turns it into commands and talks to the module.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cgpath.h"
#include "cpuidctl.h"
#include "profile.h"
#include "suggest.h"

const char *const profile_help =
"Usage: cpuidctl profile <subcommand> [<args>]\n"
"\n"
"  profile show [--diff] [--json] PROFILE [--against DUMP]\n"
"      Compiles PROFILE against this host (or against the CPU recorded in\n"
"      DUMP) and prints the rules the module would get, then every CPU\n"
"      feature of the host and of the presented CPU side by side, with the\n"
"      reason for each difference ('masked by profile', 'masked: requires\n"
"      avx512f', 'not in x86-64-v2', ...). With --diff the table lists\n"
"      only the features the profile shows differently. With --json, one\n"
"      JSON document (schema cpuidctl.profile-show/1, see docs/cpuidctl.md).\n"
"      Needs no module.\n"
"\n"
"  profile diff [--against DUMP] A B\n"
"      Lists the features that A and B show differently, with why. A and B\n"
"      are each a PROFILE, as it presents this host (or the CPU of DUMP),\n"
"      or a dump: a file whose first line that is not blank is 'CPU:' or\n"
"      'CPU N:' (from 'cpuidctl dump', 'cpuid -1 -r'; of 'cpuid -r', the\n"
"      first CPU). Exit status like diff(1): 0 no feature differs, 1 some\n"
"      differ, 2 usage error or unreadable file, 5 invalid profile.\n"
"\n"
"  profile lcd [--allow-mixed-vendor] DUMP...\n"
"      Prints a profile that every one of the hosts DUMP... can present:\n"
"      only the instruction-set extensions present on all of them (closed\n"
"      under dependencies; platform features stay each host's own),\n"
"      the largest XSAVE area, the lowest max leaves. Dumps come from\n"
"      'cpuidctl dump' or 'cpuid -1 -r'. Hosts of different vendors are\n"
"      refused unless --allow-mixed-vendor (family/model then stay each\n"
"      host's own).\n"
"\n"
"  profile apply [--no-replace] [--force] PROFILE CGROUP\n"
"      Compiles PROFILE against this host and attaches it to CGROUP and all\n"
"      its descendants. When it returns, the next CPUID of every process\n"
"      there is answered from the profile. A profile already attached to\n"
"      CGROUP is replaced atomically (counters are kept); with --no-replace\n"
"      that is an error instead. The root cgroup ('.', the cgroup2 mount)\n"
"      would mask every process of the machine: refused unless --force.\n"
"\n"
"  profile remove CGROUP\n"
"  profile remove --id ID\n"
"      Detaches the profile of CGROUP (or of the cgroup with id ID, as\n"
"      printed by 'status', when the directory is already gone; CGROUP\n"
"      id:ID, as 'list' prints it, is the same).\n"
"\n"
"  profile list [--json]\n"
"      Prints one line per cgroup that has a profile:\n"
"      CGROUP PROFILE-NAME rules=N emulated=N\n"
"      Blanks, backslashes and control characters in CGROUP are escaped as\n"
"      \\xHH (printf '%b' decodes them); a cgroup already removed shows as\n"
"      id:ID. With --json, one JSON document (schema cpuidctl.list/1, see\n"
"      docs/cpuidctl.md).\n"
"\n"
"  profile check [--against DUMP]... [--no-host] PROFILE...\n"
"  profile validate ...\n"
"      Parses each PROFILE and compiles it against this host and against\n"
"      every DUMP (--no-host: only the dumps), as 'apply' would on those\n"
"      machines. Prints 'PROFILE: ok (...)' for each good one and the\n"
"      file:line error of each bad one; checks all of them. For CI\n"
"      pipelines that ship profiles; needs no module. Exit status: 0 all\n"
"      valid, 5 one or more invalid, 1 unreadable DUMP or host CPUID.\n"
"\n"
"PROFILE is a built-in name (x86-64-v1, x86-64-v2, x86-64-v2-aes, x86-64-v3,\n"
"x86-64-v4, host), '-' (standard input), a profile file, a NAME in the profile\n"
"directory ($CPUIDVIRT_PROFILE_DIR or /etc/cpuidvirt/profiles: DIR/NAME or\n"
"DIR/NAME.profile), or a libvirtcpuid VIRT_CPUID_MASK string such as\n"
"'avx512f,hle,rtm,xsavearea=2696'. CGROUP is a cgroup v2 directory: its\n"
"full path (as 'list' and 'status' print it), a path relative to the\n"
"cgroup2 mount, or id:ID for a removed one (only 'remove' can use that).\n"
"\n"
"Exit status: 0 ok; 1 runtime failure (missing cgroup, cgroup v1, ...);\n"
"2 usage error; 3 module not loaded; 4 CPUID faulting absent, lying or\n"
"unverified; 5 invalid profile (the message starts with FILE:LINE:, or\n"
"<command line>:1: for the PROFILE argument itself).\n"
"\n"
"The profile language:\n"
"\n";

/* Prints 'cpuidctl help profile': the commands, then the language. */
int profile_usage(void)
{
	const char *lang = profile_help_text();

	fputs(profile_help, stdout);
	if (lang)
		fputs(lang, stdout);
	return EXIT_OK;
}

static int load_dump(const char *path, struct cpuid_dump *d)
{
	struct diag diag;
	int ret;

	diag_clear(&diag);
	ret = cpuid_dump_load(d, path, -1, &diag);
	if (ret) {
		err_msg("%s", *diag.msg ? diag.msg : strerror(-ret));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static const char *yes(bool b)
{
	return b ? "yes" : "-";
}

static void print_level(const char *what, const struct cpuid_dump *d)
{
	struct feature_set fs;
	int level;

	fset_clear(&fs);
	cpuid_dump_features(d, &fs);
	level = x86_level_of(&fs, NULL);
	if (level)
		printf("%s: x86-64-v%d\n", what, level);
	else
		printf("%s: below x86-64-v1\n", what);
}

static void show_text(const struct profile *p, const struct profile_compiled *c,
		      const char *against, const struct cpuid_dump *host,
		      const struct cpuid_dump *seen, const struct feature_cmp *cmp,
		      size_t n, bool diff_only)
{
	size_t i, ndiff = 0;

	printf("profile: %s (%s)\n", c->name[0] ? c->name : p->name, p->source);
	printf("host: %s\n", against ? against : "this machine");
	printf("\n");
	profile_print_rules(c, stdout);
	printf("\n");
	print_level("host level", host);
	print_level("presented level", seen);
	printf("\n");
	views_print(host, seen, cmp, n);
	printf("\n%-22s %-5s %-9s %s\n", "feature", "host", "presented", "reason");
	for (i = 0; i < n; i++) {
		if (diff_only && cmp[i].host == cmp[i].presented)
			continue;
		printf("%-22s %-5s %-9s %s\n", cmp[i].f->name, yes(cmp[i].host),
		       yes(cmp[i].presented), cmp[i].why);
		ndiff += cmp[i].host != cmp[i].presented;
	}
	printf("\n%zu feature%s differ%s\n", ndiff, ndiff == 1 ? "" : "s",
	       ndiff == 1 ? "s" : "");
}

static int profile_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "against", required_argument, NULL, 'a' },
		{ "diff", no_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	static struct profile p;
	static struct profile_compiled c;
	struct cpuid_dump host = CPUID_DUMP_INIT, seen = CPUID_DUMP_INIT;
	bool diff_only = false, json = false;
	struct feature_cmp *cmp = NULL;
	const char *against = NULL;
	struct diag diag;
	size_t n = 0;
	int ch, ret;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 'a')
			against = optarg;
		else if (ch == 'd')
			diff_only = true;
		else if (ch == 'j')
			json = true;
		else
			return opt_error("profile show", ch, argv);
	}
	if (argc - optind != 1)
		return usage_error("profile show", argc == optind ? "missing PROFILE" :
				   "too many arguments");
	if (against) {
		ret = load_dump(against, &host);
	} else {
		diag_clear(&diag);
		ret = cpuid_dump_read_host(&host, -1, &diag) ? EXIT_FAIL : 0;
		if (ret)
			err_msg("reading this host's CPUID: %s", diag.msg);
	}
	if (ret)
		goto out;
	ret = profile_prepare(argv[optind], &host, &p, &c);
	if (ret)
		goto out;
	/* Everything is computed before the first line is printed. */
	ret = profile_emulate(&c, &host, &seen);
	if (ret) {
		err_msg("emulating the profile: %s", strerror(-ret));
		ret = EXIT_FAIL;
		goto out;
	}
	ret = profile_compare(&p, &c, &host, &cmp, &n);
	if (ret) {
		err_msg("comparing: %s", strerror(-ret));
		ret = EXIT_FAIL;
		goto out;
	}
	if (json) {
		ret = profile_show_json(&p, &c, against, &host, &seen, cmp, n, diff_only);
	} else {
		show_text(&p, &c, against, &host, &seen, cmp, n, diff_only);
		ret = EXIT_OK;
	}
out:
	free(cmp);
	cpuid_dump_free(&host);
	cpuid_dump_free(&seen);
	return ret;
}

static int profile_lcd_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "allow-mixed-vendor", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	struct cpuid_dump *hosts;
	unsigned int flags = 0;
	struct diag diag;
	char *text = NULL;
	int ch, i, n, ret = EXIT_OK;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 'm')
			flags |= LCD_ALLOW_MIXED_VENDOR;
		else
			return opt_error("profile lcd", ch, argv);
	}
	n = argc - optind;
	if (n < 1)
		return usage_error("profile lcd", "give at least one DUMP (from 'cpuidctl dump' or 'cpuid -1 -r')");
	hosts = calloc(n, sizeof(*hosts));
	if (!hosts) {
		err_msg("%s", strerror(ENOMEM));
		return EXIT_FAIL;
	}
	for (i = 0; i < n; i++) {
		cpuid_dump_init(&hosts[i]);
		if (!ret)
			ret = load_dump(argv[optind + i], &hosts[i]);
	}
	if (!ret) {
		diag_clear(&diag);
		if (profile_lcd(hosts, (const char *const *)argv + optind, n, flags, &text, &diag)) {
			err_msg("%s", diag.msg);
			ret = EXIT_FAIL;
		} else {
			fputs(text, stdout);
		}
	}
	for (i = 0; i < n; i++)
		cpuid_dump_free(&hosts[i]);
	free(hosts);
	free(text);
	return ret;
}

static int profile_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-replace", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	static struct profile p;
	static struct profile_compiled c;
	char path[4096];
	bool replace = true, force = false;
	int ch, devfd, cgfd, ret;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 'n')
			replace = false;
		else if (ch == 'f')
			force = true;
		else
			return opt_error("profile apply", ch, argv);
	}
	if (argc - optind != 2)
		return usage_error("profile apply", argc - optind < 2 ?
				   "needs PROFILE and CGROUP" : "too many arguments");
	/* Profile errors first: they do not depend on the machine. */
	ret = profile_prepare(argv[optind], NULL, &p, &c);
	if (ret)
		return ret;
	cgfd = cgroup_open(argv[optind + 1], path, sizeof(path));
	if (cgfd < 0)
		return -cgfd;
	/* A profile covers descendants: on the root, every process. */
	if (!force && cgroup_is_root(cgfd)) {
		err_msg("cgroup %s is the root cgroup: a profile there masks every process of the machine; refusing (give --force to do it anyway)",
			path);
		close(cgfd);
		return EXIT_FAIL;
	}
	devfd = dev_open();
	if (devfd < 0) {
		close(cgfd);
		return -devfd;
	}
	ret = profile_attach(devfd, &c, cgfd, path, replace);
	if (!ret)
		printf("applied profile %s (%u rules) to %s\n", c.name, c.nr_rules, path);
	close(devfd);
	close(cgfd);
	return ret;
}

static int profile_remove(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	struct cpuidvirt_detach d;
	char path[4096], *end;
	uint64_t id = 0;
	int ch, devfd, cgfd = -1, ret;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 'i') {
			errno = 0;
			id = strtoull(optarg, &end, 0);
			if (errno || *end || end == optarg || !id)
				return usage_error("profile remove", "--id needs a cgroup id, not '%s'", optarg);
		} else {
			return opt_error("profile remove", ch, argv);
		}
	}
	if (argc - optind != (id ? 0 : 1))
		return usage_error("profile remove", "give either CGROUP or --id ID");
	/* id:N is how 'list' names a cgroup whose directory is gone. */
	if (!id && cgpath_id_arg(argv[optind]))
		id = cgpath_id_arg(argv[optind]);
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	if (id) {
		d.flags = CPUIDVIRT_DETACH_BY_ID;
		d.cgroup_id = id;
		snprintf(path, sizeof(path), "id:%" PRIu64, id);
	} else {
		cgfd = cgroup_open(argv[optind], path, sizeof(path));
		if (cgfd < 0)
			return -cgfd;
		d.cgroup_fd = cgfd;
	}
	devfd = dev_open();
	if (devfd < 0) {
		if (cgfd >= 0)
			close(cgfd);
		return -devfd;
	}
	ret = EXIT_OK;
	if (ioctl(devfd, CPUIDVIRT_IOC_DETACH, &d)) {
		if (errno == ENOENT)
			err_msg("cgroup %s has no profile (see 'cpuidctl profile list')", path);
		else if (errno == EPERM)
			err_msg("%s: DETACH: %s: needs CAP_SYS_ADMIN in the initial user namespace",
				CPUIDVIRT_DEV, strerror(errno));
		else
			err_msg("%s: DETACH %s: %s", CPUIDVIRT_DEV, path, strerror(errno));
		ret = EXIT_FAIL;
	} else {
		printf("removed the profile of %s\n", path);
	}
	close(devfd);
	if (cgfd >= 0)
		close(cgfd);
	return ret;
}

static void print_list_line(const struct cpuidvirt_list_entry *e)
{
	char name[CPUIDVIRT_NAME_LEN + 1], path[4096];

	memcpy(name, e->name, CPUIDVIRT_NAME_LEN);
	name[CPUIDVIRT_NAME_LEN] = '\0';
	if (cgroup_id_to_path(e->cgroup_id, path, sizeof(path)))
		snprintf(path, sizeof(path), "id:%" PRIu64, (uint64_t)e->cgroup_id);
	/* Escaped: a cgroup name with a blank must not add a field. */
	print_escaped(stdout, path);
	putchar(' ');
	print_escaped(stdout, *name ? name : "-");
	printf(" rules=%u emulated=%" PRIu64 "\n", e->nr_rules, (uint64_t)e->emulated);
}

static int profile_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct cpuidvirt_list_entry *e = NULL;
	unsigned int nr = 0, i;
	bool json = false;
	int ch, devfd, ret;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		if (ch == 'j')
			json = true;
		else
			return opt_error("profile list", ch, argv);
	}
	if (optind < argc)
		return usage_error("profile list", "unexpected argument '%s'", argv[optind]);
	devfd = dev_open();
	if (devfd < 0)
		return -devfd;
	ret = dev_list(devfd, &e, &nr);
	close(devfd);
	if (ret) {
		err_msg("%s: LIST: %s", CPUIDVIRT_DEV, strerror(-ret));
		return EXIT_FAIL;
	}
	if (json) {
		struct json_object *doc = json_doc("list", 1);

		json_object_object_add(doc, "profiles", json_list_entries(e, nr));
		ret = json_print(doc);
	} else {
		for (i = 0; i < nr; i++)
			print_list_line(&e[i]);
	}
	free(e);
	return ret;
}

int cmd_profile(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
		{ "show", profile_show },
		{ "lcd", profile_lcd_cmd },
		{ "apply", profile_apply },
		{ "remove", profile_remove },
		{ "list", profile_list },
		{ "check", profile_check },
		{ "diff", profile_diff },
		{ "validate", profile_check },
	};
	size_t i;

	if (argc < 2)
		return usage_error("profile", "missing subcommand (show, diff, lcd, apply, remove, list, check)");
	if (is_help_arg(argv[1]))
		return profile_usage();
	for (i = 0; i < ARRAY_SIZE(subs); i++) {
		if (strcmp(argv[1], subs[i].name))
			continue;
		if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")))
			return profile_usage();
		return subs[i].fn(argc - 1, argv + 1);
	}
	{
		const char *names[ARRAY_SIZE(subs) + 1], *sug;

		for (i = 0; i < ARRAY_SIZE(subs); i++)
			names[i] = subs[i].name;
		names[i] = NULL;
		sug = suggest_word(argv[1], names);
		if (sug)
			return usage_error("profile", "unknown subcommand '%s' (did you mean '%s'?)",
					   argv[1], sug);
	}
	return usage_error("profile", "unknown subcommand '%s' (show, diff, lcd, apply, remove, list, check)", argv[1]);
}
