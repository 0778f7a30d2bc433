/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared declarations of the cpuidctl command-line tool.
 */
#ifndef CPUIDCTL_H
#define CPUIDCTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/cpuidvirt.h>

extern const char *prog;

/* Exit codes; documented in docs/cpuidctl.md and 'cpuidctl --help'. Scripts rely on them. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* runtime failure */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_NOMODULE = 3,	/* cpuidvirt module not loaded / no /dev/cpuidvirt */
	EXIT_NOFAULT = 4,	/* CPUID faulting absent, lying or unverified */
	EXIT_PROFILE = 5,	/* profile invalid */
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int opt_error(const char *cmd, int c, char **argv);
bool is_help_arg(const char *arg);
int print_help(const char *text);

/* device.c: /dev/cpuidvirt */
#define CPUIDVIRT_DEV "/dev/" CPUIDVIRT_DEVICE_NAME
int dev_open(void);	/* fd, or -EXIT_* after printing why */
bool module_loaded(void);
int dev_status(int fd, struct cpuidvirt_status *st);
int dev_version(int fd, struct cpuidvirt_version *v);
int dev_list(int fd, struct cpuidvirt_list_entry **entries, unsigned int *nr);
const char *fault_state_name(unsigned int state);
int fault_state_exit(unsigned int state);
int selftest_run(int fd, bool verbose, unsigned int *state_out);
void print_profiles(const struct cpuidvirt_list_entry *e, unsigned int nr);
#ifdef CPU_SETSIZE
int online_cpus(cpu_set_t *set);
#endif

/* output.c: escaped text fields, --json documents */
struct json_object;
#ifdef EOF
void print_escaped(FILE *f, const char *s);
#endif
struct json_object *json_doc(const char *kind, int version);
int json_print(struct json_object *o);	/* EXIT_OK or EXIT_FAIL; drops @o */
struct json_object *json_list_entries(const struct cpuidvirt_list_entry *e, unsigned int nr);

/* profile_json.c: 'profile show --json', 'explain --json' */
struct profile;
struct profile_compiled;
struct cpuid_dump;
struct feature_cmp;
int profile_show_json(const struct profile *p, const struct profile_compiled *c,
		      const char *against, const struct cpuid_dump *host,
		      const struct cpuid_dump *seen, const struct feature_cmp *cmp,
		      size_t n, bool diff_only);

/* views.c: what a profile changes in /proc/cpuinfo and the auxv */
struct cpu_feature;
bool views_cpuinfo_filters(const struct cpu_feature *f);
void views_print_feature(const struct cpu_feature *f);
void views_print(const struct cpuid_dump *host, const struct cpuid_dump *seen,
		 const struct feature_cmp *cmp, size_t n);

/* cgroup.c: cgroup v2 directories */
const char *cgroup2_root(void);
const char *cgroup2_mount(void);	/* NULL: no cgroup2 mount found */
int cgroup_open(const char *arg, char *path, size_t len);	/* fd or -EXIT_* */
bool cgroup_is_root(int fd);
int cgroup_id_to_path(uint64_t id, char *path, size_t len);	/* full path; 0 or -errno */
int cgroup_self_path(char *path, size_t len);
uint64_t cgroup_fd_id(int fd);

/* cmd_profile.c */
int profile_usage(void);

/* attach.c: compile against this host and attach (apply, run, oci-hook) */
struct profile;
struct profile_compiled;
struct cpuid_dump;
int profile_compile_against(struct profile *p, const struct cpuid_dump *against,
			    struct profile_compiled *c, const char *what);
void profile_warn(const struct profile *p);	/* rules without effect, on stderr */
int profile_prepare(const char *spec, const struct cpuid_dump *against,
		    struct profile *p, struct profile_compiled *c);
int profile_attach_ioctl(int devfd, const struct profile_compiled *c, int cgfd,
			 unsigned int flags, const char *fallback);	/* 0 or -errno */
int profile_attach(int devfd, const struct profile_compiled *c, int cgfd,
		   const char *cgpath, bool replace);
int profile_detach_id(int devfd, uint64_t id);	/* 0 or -errno */

/* cmd_explain_raw.c: explain of a raw LEAF_SUBLEAF_REG_BIT */
struct cpuid_bit;
struct cpu_feature;
int raw_resolve(const char *arg, struct cpuid_bit *b,
		const struct cpu_feature **f, const struct cpu_feature **alias);
void raw_print_head(const char *arg, const struct cpuid_bit *b,
		    const struct cpu_feature *f, const struct cpu_feature *alias);
int raw_explain_unnamed(const char *arg, const struct cpuid_bit *b,
			const char *spec, const char *against, bool json);

/*
 * profile_json.c: 'explain --json'. @raw_arg is the raw bit the user gave
 * (NULL: a feature name), @b that bit and @alias the alias copy it is.
 */
int explain_json(const struct cpu_feature *f, const char *raw_arg,
		 const struct cpuid_bit *b, const struct cpu_feature *alias,
		 const char *against, const struct cpuid_dump *host,
		 const struct profile *p, const struct profile_compiled *c);
int explain_unnamed_json(const char *arg, const struct cpuid_bit *b, const char *against,
			 const struct cpuid_dump *host, const struct profile_compiled *c);

/* profile subcommands that live in files of their own */
int profile_check(int argc, char **argv);	/* cmd_profile_check.c */
int profile_diff(int argc, char **argv);	/* cmd_profile_diff.c */
bool is_dump_file(const char *path);		/* cmd_profile_diff.c */

/* Commands */
int cmd_status(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_selftest(int argc, char **argv);
int cmd_refresh(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_complete(int argc, char **argv);	/* hidden: word lists for completion */
/* Provided by cmd_oci_hook.c when it is built in (weak: the slot stays empty otherwise). */
int cmd_oci_hook(int argc, char **argv) __attribute__((weak));
extern const char *const oci_hook_help __attribute__((weak));

extern const struct option run_options[];	/* cmd_run.c */

extern const char *const status_help, *const load_help, *const selftest_help,
	*const refresh_help,
	*const dump_help, *const profile_help, *const run_help,
	*const explain_help, *const help_help, *const version_help;

#endif
