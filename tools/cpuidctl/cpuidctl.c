// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl: control tool for cpuidvirt, per-cgroup CPUID profiles.
 * The command table follows wireguard-tools' wg.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuidctl.h"
#include "suggest.h"

const char *prog = "cpuidctl";

static struct {
	const char *name;
	int (*function)(int argc, char **argv);
	const char *const *help;
	const char *description;
} subcommands[] = {
	{ "status", cmd_status, &status_help, "Shows the module, its CPUID-faulting state and attached profiles" },
	{ "load", cmd_load, &load_help, "Loads the cpuidvirt module and verifies CPUID faulting" },
	{ "selftest", cmd_selftest, &selftest_help, "Tests CPUID faulting on every online CPU" },
	{ "refresh", cmd_refresh, &refresh_help, "Makes the module re-read every CPU's native CPUID" },
	{ "dump", cmd_dump, &dump_help, "Prints this host's raw CPUID like 'cpuid -1 -r'" },
	{ "profile", cmd_profile, &profile_help, "Shows, computes, applies, removes and lists profiles" },
	{ "run", cmd_run, &run_help, "Runs a command in a transient cgroup under a profile" },
	{ "explain", cmd_explain, &explain_help, "Explains a CPU feature: bit, dependencies, presence" },
	{ "oci-hook", NULL, &oci_hook_help, "OCI runtime hook: applies a profile to a container" },
	{ "help", cmd_help, &help_help, "Shows help for a command or for the profile language" },
	{ "version", cmd_version, &version_help, "Shows the versions of cpuidctl, the module and the kernel" },
};

static const char main_help[] =
"Usage: %s <cmd> [<args>]\n"
"\n"
"cpuidvirt shows every process of a cgroup (and its descendants) the same,\n"
"lower, CPU: the kernel module traps CPUID (CPUID faulting) for those\n"
"processes and answers it from a profile. cpuidctl loads and checks the\n"
"module, builds profiles from feature names and attaches them to cgroups.\n"
"\n"
"Available subcommands:\n";

static const char main_help_tail[] =
"\n"
"You may pass '--help' to any of these subcommands to view usage, or run\n"
"'%s help profile' for the profile language.\n"
"\n"
"Exit status:\n"
"  0  success\n"
"  1  runtime failure (the message names the cause)\n"
"  2  usage error\n"
"  3  the cpuidvirt module is not loaded (no /dev/cpuidvirt)\n"
"  4  CPUID faulting is absent, lying or not verified on this machine\n"
"  5  the profile is invalid (the message starts with FILE:LINE: or, for\n"
"     the PROFILE argument itself, <command line>:1:)\n"
"  'run' exits with the command's status (128+N if killed by signal N).\n";

static void show_usage(FILE *f)
{
	size_t i;

	fprintf(f, main_help, prog);
	for (i = 0; i < ARRAY_SIZE(subcommands); ++i) {
		if (!strcmp(subcommands[i].name, "oci-hook") && !&cmd_oci_hook)
			continue;
		fprintf(f, "  %-9s  %s\n", subcommands[i].name, subcommands[i].description);
	}
	fprintf(f, main_help_tail, prog);
}

void err_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", prog, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s --help' for usage.\n", prog, cmd);
	return EXIT_USAGE;
}

/* For getopt_long() with a "+:" optstring and opterr = 0. */
int opt_error(const char *cmd, int c, char **argv)
{
	if (c == ':')
		return usage_error(cmd, "option '%s' needs an argument", argv[optind - 1]);
	return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

bool is_help_arg(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h") || !strcmp(arg, "help");
}

static bool is_help_opt(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

/* Does long option @arg ("--name" or "--name=value") consume the next word? */
static bool takes_next(const struct option *opts, const char *arg)
{
	size_t len;

	if (strncmp(arg, "--", 2) || strchr(arg, '='))
		return false;
	arg += 2;
	len = strlen(arg);
	for (; opts->name; opts++)
		if (!strncmp(opts->name, arg, len))
			return opts->has_arg == required_argument;
	return false;
}

/* The options of a command whose first operand ends them: run's CMD. */
static const struct option *operand_ends_options(const char *cmd)
{
	return !strcmp(cmd, "run") ? run_options : NULL;
}

/*
 * Is --help or -h anywhere among a command's arguments? Not after "--",
 * and not inside the command line that 'run' starts: that one belongs to
 * the command.
 */
static bool help_wanted(int argc, char **argv, const struct option *stop)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (is_help_opt(argv[i]))
			return true;
		if (!stop)
			continue;
		if (argv[i][0] != '-')
			return false;
		if (takes_next(stop, argv[i]))
			i++;
	}
	return false;
}

int print_help(const char *text)
{
	fputs(text, stdout);
	return EXIT_OK;
}

/* The command closest to a misspelt @name, for "did you mean". */
static const char *suggest_command(const char *name)
{
	const char *names[ARRAY_SIZE(subcommands) + 1];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (strcmp(subcommands[i].name, "oci-hook") || &cmd_oci_hook)
			names[n++] = subcommands[i].name;
	names[n] = NULL;
	return suggest_word(name, names);
}

static int find_subcommand(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(subcommands); ++i) {
		if (strcmp(subcommands[i].name, name))
			continue;
		if (!strcmp(name, "oci-hook") && !&cmd_oci_hook)
			return -1;
		return (int)i;
	}
	return -1;
}

static int show_help(int i)
{
	/* 'profile' appends the language reference to its command list. */
	if (!strcmp(subcommands[i].name, "profile"))
		return profile_usage();
	return print_help(*subcommands[i].help);
}

const char *const help_help =
"Usage: cpuidctl help [COMMAND [SUBCOMMAND]]\n"
"\n"
"Shows the list of commands, or the manual of COMMAND. 'cpuidctl help\n"
"profile' also describes the profile language. 'cpuidctl COMMAND --help'\n"
"(or -h, anywhere among COMMAND's arguments but after '--') prints the\n"
"same text; so does 'cpuidctl help profile show'.\n";

int cmd_help(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		show_usage(stdout);
		return EXIT_OK;
	}
	i = find_subcommand(argv[1]);
	if (i < 0)
		return usage_error("help", "unknown command '%s'%s%s%s", argv[1],
				   suggest_command(argv[1]) ? " (did you mean '" : "",
				   suggest_command(argv[1]) ?: "",
				   suggest_command(argv[1]) ? "'?)" : "");
	if (argc == 2)
		return show_help(i);
	if (argc > 3 || strcmp(argv[1], "profile"))
		return usage_error("help", "too many arguments");
	/* 'help profile show': 'profile' itself knows its subcommands. */
	return cmd_profile(3, (char *[]){ argv[1], argv[2], "--help", NULL });
}

int main(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		show_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		show_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version(argc - 1, argv + 1);
	if (!strcmp(argv[1], "__complete"))
		return cmd_complete(argc - 1, argv + 1);
	i = find_subcommand(argv[1]);
	if (i < 0) {
		const char *s = suggest_command(argv[1]);

		err_msg("invalid subcommand '%s'%s%s%s", argv[1], s ? " (did you mean '" : "",
			s ?: "", s ? "'?)" : "");
		show_usage(stderr);
		return EXIT_USAGE;
	}
	/* Every command answers --help the same way, before parsing anything else. */
	if (help_wanted(argc - 1, argv + 1, operand_ends_options(argv[1])))
		return show_help(i);
	if (!strcmp(subcommands[i].name, "oci-hook"))
		return cmd_oci_hook(argc - 1, argv + 1);
	return subcommands[i].function(argc - 1, argv + 1);
}
