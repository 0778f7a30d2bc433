// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl oci-hook: an OCI runtime hook (runtime-spec config.md, "POSIX
 * platform hooks") that attaches the profile named by a container's
 * io.cpuidvirt.profile annotation to the container's cgroup, and removes
 * it when the container is gone.
 *
 * The runtime passes the container state as JSON on stdin; the stage is
 * not in it, so it comes from argv. Fails closed: whenever the profile
 * cannot be applied, a non-zero exit makes the runtime stop the container,
 * unless io.cpuidvirt.allow-unmasked=true says that running unmasked is
 * acceptable when the machine cannot mask.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "attach.h"
#include "cpuidctl.h"
#include "oci_hook.h"
#include "profile.h"

#define DEFAULT_STATE_DIR	"/run/cpuidvirt"
#define STATE_MAX_INPUT		(4 << 20)

const char *const oci_hook_help =
"Usage: cpuidctl oci-hook [--profile-dir DIR] [--state-dir DIR] STAGE\n"
"\n"
"OCI runtime hook. The runtime (crun, runc, podman, CRI-O, ...) runs it\n"
"with the container's state JSON on stdin (runtime-spec: ociVersion, id,\n"
"status, pid, bundle, annotations). STAGE is the hook stage, because the\n"
"state does not carry it:\n"
"\n"
"  createRuntime  (or prestart, for runtimes without createRuntime)\n"
"      If the container has the annotation io.cpuidvirt.profile=NAME,\n"
"      attach profile NAME to the container's cgroup v2 directory (found\n"
"      from /proc/<pid>/cgroup, replacing any profile already there).\n"
"      NAME is a built-in profile (x86-64-v1 .. x86-64-v4,\n"
"      x86-64-v2-aes, host) or a file\n"
"      DIR/NAME or DIR/NAME.profile in the profile directory. The cgroup\n"
"      id is remembered in STATE-DIR/<container id>.\n"
"  poststop\n"
"      Remove the profile recorded for the container (by cgroup id: the\n"
"      container's processes and cgroup may be gone by then).\n"
"\n"
"Containers without io.cpuidvirt.profile are left alone. Running a stage\n"
"twice is harmless.\n"
"\n"
"Fail closed: createRuntime exits non-zero, and the runtime does not start\n"
"the container, when the cpuidvirt module is not loaded, CPUID faulting is\n"
"absent or lying, the profile is unknown or invalid, or the cgroup cannot be\n"
"found. With the annotation io.cpuidvirt.allow-unmasked=true a container\n"
"whose profile is valid still starts, unmasked, when the module is missing\n"
"or the CPU cannot fault (a warning is logged). An invalid profile is never\n"
"ignored. Every failure is reported on stderr and to syslog (facility\n"
"daemon, ident cpuidctl).\n"
"\n"
"Options:\n"
"  --profile-dir DIR  where profile files are looked up (default\n"
"                     $" PROFILE_DIR_ENV ", else " PROFILE_DIR_DEFAULT ";\n"
"                     every command looks up bare names there)\n"
"  --state-dir DIR    where applied profiles are remembered until poststop\n"
"                     (default " DEFAULT_STATE_DIR ")\n"
"\n"
"Configuration: the hooks.d files installed by 'make install' in\n"
"/usr/share/containers/oci/hooks.d (podman, CRI-O); see docs/oci-hook.md.\n"
"\n"
"Exit status: 0 applied, removed or nothing to do; 2 usage or bad state\n"
"JSON; 3 module not loaded; 4 CPUID faulting absent, lying or unverified;\n"
"5 profile unknown or invalid; 1 any other failure.\n";

/* ---- logging: stderr and syslog --------------------------------------- */

/*
 * Every message, also those of the shared helpers (dev_open, cgroup_open,
 * selftest), must reach syslog: a runtime may drop a hook's stderr. So
 * stderr itself becomes a stream that copies each line to syslog (glibc
 * lets programs assign stderr).
 */
static FILE *real_stderr;
static char tee_line[1024];
static size_t tee_len;
static int tee_prio = LOG_ERR;

static void tee_flush_line(void)
{
	if (tee_len) {
		tee_line[tee_len] = '\0';
		syslog(tee_prio, "%s", tee_line);
		tee_len = 0;
	}
}

static ssize_t tee_write(void *cookie, const char *buf, size_t size)
{
	size_t i;

	fwrite(buf, 1, size, real_stderr);
	fflush(real_stderr);
	for (i = 0; i < size; i++) {
		if (buf[i] == '\n')
			tee_flush_line();
		else if (tee_len < sizeof(tee_line) - 1)
			tee_line[tee_len++] = buf[i];
	}
	return size;
}

static int tee_close(void *cookie)
{
	tee_flush_line();
	return 0;
}

static void log_setup(void)
{
	cookie_io_functions_t io = { .write = tee_write, .close = tee_close };
	FILE *f;

	openlog("cpuidctl", LOG_PID, LOG_DAEMON);
	f = fopencookie(NULL, "w", io);
	if (!f)
		return;	/* stderr alone still works */
	setvbuf(f, NULL, _IOLBF, 0);
	real_stderr = stderr;
	stderr = f;
}

static void log_teardown(void)
{
	if (real_stderr) {
		fclose(stderr);
		stderr = real_stderr;
		real_stderr = NULL;
	}
	closelog();
}

/* A warning: the hook goes on (or succeeds) anyway. */
static void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void warn_msg(const char *fmt, ...)
{
	va_list ap;

	tee_prio = LOG_WARNING;
	fprintf(stderr, "%s: warning: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	tee_prio = LOG_ERR;
}

/* ---- helpers with side effects ---------------------------------------- */

/* Read a whole stream or file (NUL-terminated); NULL with errno set. */
static char *read_all(FILE *f)
{
	size_t len = 0, cap = 4096, n;
	char *buf = malloc(cap), *nb;

	if (!buf)
		return NULL;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 < cap)
			continue;
		if (cap >= STATE_MAX_INPUT) {
			free(buf);
			errno = EFBIG;
			return NULL;
		}
		nb = realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			return NULL;
		}
		buf = nb;
		cap *= 2;
	}
	if (ferror(f)) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *text;
	int e;

	if (!f)
		return NULL;
	text = read_all(f);
	e = errno;
	fclose(f);
	errno = e;
	return text;
}

/*
 * Resolve and compile the annotation's profile against this host, the way
 * every command resolves a bare name, but only built-ins and files in the
 * profile directory: the annotation is user input. EXIT_PROFILE for an
 * unknown or invalid profile.
 */
static int load_profile(const char *name, const char *dir,
			struct profile_compiled *c)
{
	struct profile p;
	struct diag diag;
	int ret;

	if (!oci_name_valid(name)) {
		err_msg("annotation %s=\"%s\": not a profile name (a built-in such as x86-64-v2, or a file name in %s; [A-Za-z0-9_.+-], not starting with '.')",
			OCI_ANN_PROFILE, name, dir);
		return EXIT_PROFILE;
	}
	diag_clear(&diag);
	ret = profile_resolve(&p, name, dir, PROFILE_NAMES_ONLY, &diag);
	if (ret) {
		err_msg("annotation %s=\"%s\": %s", OCI_ANN_PROFILE, name, diag.msg);
		return EXIT_PROFILE;
	}
	return profile_compile_against(&p, NULL, c, name);
}

/* The container's cgroup directory, absolute, from /proc/<pid>/cgroup. */
static int container_cgroup(int pid, char *path, size_t len)
{
	char proc[64], rel[PATH_MAX], self[PATH_MAX];
	char *text;
	int ret;

	if (pid <= 0) {
		err_msg("state JSON has no container pid: cannot find the container's cgroup (is this hook configured for createRuntime or prestart?)");
		return EXIT_USAGE;
	}
	snprintf(proc, sizeof(proc), "/proc/%d/cgroup", pid);
	text = read_file(proc);
	if (!text) {
		err_msg("%s: %s: the container's process is gone", proc, strerror(errno));
		return EXIT_FAIL;
	}
	ret = oci_proc_cgroup_path(text, rel, sizeof(rel));
	free(text);
	if (ret == -ENOENT) {
		err_msg("%s: no cgroup v2 entry (0::/path): cpuidvirt needs the unified cgroup v2 hierarchy (boot with systemd.unified_cgroup_hierarchy=1)",
			proc);
		return EXIT_FAIL;
	}
	if (ret) {
		err_msg("%s: %s", proc, strerror(-ret));
		return EXIT_FAIL;
	}
	/* A profile covers descendants: on the root it would mask the whole host. */
	if (!strcmp(rel, "/")) {
		err_msg("container pid %d is in the root cgroup: refusing to mask the whole machine (run the runtime with cgroups enabled)",
			pid);
		return EXIT_FAIL;
	}
	snprintf(path, len, "%s%s", cgroup2_root(), rel);
	if (!cgroup_self_path(self, sizeof(self)) && !strcmp(self, path)) {
		err_msg("container pid %d shares the runtime's cgroup %s: refusing to mask the runtime too (run the runtime with cgroups enabled)",
			pid, path);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int state_path(const char *dir, const char *id, char *path, size_t len)
{
	if ((size_t)snprintf(path, len, "%s/%s", dir, id) >= len) {
		err_msg("state directory path too long: %s", dir);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Written before ATTACH, atomically, so poststop always finds what to undo. */
static int state_write(const char *dir, const char *id, uint64_t cgid,
		       const char *cgpath, const char *profile)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;
	int ret;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		err_msg("state directory %s: %s", dir, strerror(errno));
		return EXIT_FAIL;
	}
	ret = state_path(dir, id, path, sizeof(path));
	if (ret)
		return ret;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		err_msg("state file %s: %s", tmp, strerror(errno));
		return EXIT_FAIL;
	}
	fprintf(f, "cgroup_id %llu\nprofile %s\ncgroup %s\n",
		(unsigned long long)cgid, profile, cgpath);
	if (fclose(f) || rename(tmp, path)) {
		err_msg("state file %s: %s", path, strerror(errno));
		unlink(tmp);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* 1 and the cgroup id if a state file exists, 0 if not, -EXIT_* on error. */
static int state_read(const char *dir, const char *id, uint64_t *cgid)
{
	char path[PATH_MAX], *text, *p;
	unsigned long long v;
	int ret;

	ret = state_path(dir, id, path, sizeof(path));
	if (ret)
		return -ret;
	text = read_file(path);
	if (!text) {
		if (errno == ENOENT)
			return 0;
		err_msg("state file %s: %s", path, strerror(errno));
		return -EXIT_FAIL;
	}
	p = strstr(text, "cgroup_id ");
	if (!p || sscanf(p, "cgroup_id %llu", &v) != 1 || !v) {
		err_msg("state file %s: no cgroup_id line: remove the file, and the profile with 'cpuidctl profile list' / 'profile remove'",
			path);
		free(text);
		return -EXIT_FAIL;
	}
	free(text);
	*cgid = v;
	return 1;
}

static void state_remove(const char *dir, const char *id)
{
	char path[PATH_MAX];

	if (!state_path(dir, id, path, sizeof(path)) && unlink(path) && errno != ENOENT)
		warn_msg("state file %s: %s", path, strerror(errno));
}

/* The module is usable if faulting is verified; runs the selftest if needed. */
static int check_faulting(int fd)
{
	struct cpuidvirt_status st;
	unsigned int state;
	int ret;

	ret = dev_status(fd, &st);
	if (ret) {
		err_msg("%s: STATUS: %s", CPUIDVIRT_DEV, strerror(-ret));
		return EXIT_FAIL;
	}
	state = st.fault_state;
	if (state == CPUIDVIRT_FAULT_UNVERIFIED) {
		ret = selftest_run(fd, false, &state);
		if (ret != EXIT_OK && ret != EXIT_NOFAULT)
			return ret;
		if (!dev_status(fd, &st))
			state = st.fault_state;
	}
	if (state != CPUIDVIRT_FAULT_VERIFIED) {
		err_msg("CPUID faulting is %s on this machine%s%s: cannot mask containers",
			fault_state_name(state), *st.reason ? ": " : "", st.reason);
		return EXIT_NOFAULT;
	}
	return EXIT_OK;
}

/*
 * The hook's own messages for ATTACH errors, on purpose not those of
 * 'profile apply': they go to the runtime's log and syslog, faulting was
 * checked just before (check_faulting), and REPLACE is always set. The
 * exit codes are those of every command (attach_errno.c).
 */
static int attach(int fd, int cgfd, const struct profile_compiled *c,
		  const char *name, const char *cgpath)
{
	const struct attach_errno *ae;
	int e;

	/* REPLACE makes a second createRuntime harmless. */
	e = -profile_attach_ioctl(fd, c, cgfd, CPUIDVIRT_ATTACH_REPLACE, name);
	if (!e)
		return EXIT_OK;
	ae = attach_errno(e);
	if (e == EOPNOTSUPP)
		err_msg("attach to %s: CPUID faulting is not verified on this machine (run 'cpuidctl status')",
			cgpath);
	else if (ae->cause)
		err_msg("attach profile %s to %s: %s: %s", name, cgpath,
			strerror(e), ae->cause);
	else
		err_msg("attach profile %s to %s: %s", name, cgpath, strerror(e));
	return ae->exit;
}

/* ---- the stages ------------------------------------------------------- */

static int hook_create(const struct oci_state *s, const char *profile_dir,
		       const char *state_dir)
{
	static struct profile_compiled c;	/* large: not on the stack */
	char cgpath[PATH_MAX], opened[PATH_MAX];
	int allow, ret, fd, cgfd;
	uint64_t cgid;

	if (!s->has_profile)
		return EXIT_OK;
	allow = oci_allow_unmasked(s);
	if (allow < 0) {
		err_msg("annotation %s=\"%s\": must be \"true\" or \"false\"",
			OCI_ANN_ALLOW_UNMASKED, s->allow);
		return EXIT_USAGE;
	}
	/* An invalid profile is a configuration error: never bypassed. */
	ret = load_profile(s->profile, profile_dir, &c);
	if (ret)
		return ret;
	ret = container_cgroup(s->pid, cgpath, sizeof(cgpath));
	if (ret)
		return ret;

	fd = dev_open();
	if (fd < 0) {
		ret = -fd;
		goto unmasked;
	}
	ret = check_faulting(fd);
	if (ret) {
		close(fd);
		goto unmasked;
	}
	cgfd = cgroup_open(cgpath, opened, sizeof(opened));
	if (cgfd < 0) {
		close(fd);
		return -cgfd;
	}
	cgid = cgroup_fd_id(cgfd);
	ret = state_write(state_dir, s->id, cgid, cgpath, s->profile);
	if (!ret)
		ret = attach(fd, cgfd, &c, s->profile, cgpath);
	close(cgfd);
	close(fd);
	if (ret == EXIT_NOFAULT)
		goto unmasked;
	if (!ret)
		syslog(LOG_INFO, "container %s: profile %s attached to cgroup %s (id %llu)",
		       s->id, s->profile, cgpath, (unsigned long long)cgid);
	return ret;

unmasked:
	if ((ret == EXIT_NOMODULE || ret == EXIT_NOFAULT) && allow) {
		warn_msg("container %s runs UNMASKED (%s=true): it sees this host's CPU, not profile %s",
			 s->id, OCI_ANN_ALLOW_UNMASKED, s->profile);
		return EXIT_OK;
	}
	err_msg("container %s: profile %s not applied: the container must not start%s",
		s->id, s->profile,
		ret == EXIT_NOMODULE || ret == EXIT_NOFAULT ?
		" (annotation " OCI_ANN_ALLOW_UNMASKED "=true would let it run unmasked)" : "");
	return ret;
}

static int hook_poststop(const struct oci_state *s, const char *state_dir)
{
	uint64_t cgid;
	int ret, fd;

	ret = state_read(state_dir, s->id, &cgid);
	if (ret <= 0)
		return -ret;	/* 0: nothing was applied, or already removed */
	if (!module_loaded()) {
		/* Unloading the module dropped every profile already. */
		state_remove(state_dir, s->id);
		return EXIT_OK;
	}
	fd = dev_open();
	if (fd < 0)
		return -fd;
	ret = profile_detach_id(fd, cgid);
	/* ENOENT: the module dropped it with the cgroup, or it never got one. */
	if (ret && ret != -ENOENT) {
		err_msg("container %s: removing the profile of cgroup id %llu: %s",
			s->id, (unsigned long long)cgid, strerror(-ret));
		close(fd);
		return EXIT_FAIL;
	}
	close(fd);
	state_remove(state_dir, s->id);
	syslog(LOG_INFO, "container %s: profile of cgroup id %llu removed",
	       s->id, (unsigned long long)cgid);
	return EXIT_OK;
}

int cmd_oci_hook(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile-dir", required_argument, NULL, 'p' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile_dir = NULL, *state_dir = DEFAULT_STATE_DIR;
	const char *stage;
	char err[OCI_ERR_LEN], path[PATH_MAX];
	struct oci_state s;
	bool create;
	char *json;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			profile_dir = optarg;
			break;
		case 's':
			state_dir = optarg;
			break;
		case 'h':
			return print_help(oci_hook_help);
		default:
			return usage_error("oci-hook", "invalid option");
		}
	}
	if (!profile_dir)
		profile_dir = profile_dir_default();
	if (optind != argc - 1)
		return usage_error("oci-hook", "expected exactly one STAGE (createRuntime, prestart or poststop)");
	stage = argv[optind];
	if (!strcmp(stage, "createRuntime") || !strcmp(stage, "prestart"))
		create = true;
	else if (!strcmp(stage, "poststop"))
		create = false;
	else
		return usage_error("oci-hook", "unsupported stage '%s': configure the hook for createRuntime (or prestart) and poststop",
				   stage);

	log_setup();
	prog = "cpuidctl oci-hook";
	json = read_all(stdin);
	if (!json) {
		err_msg("reading the state JSON from stdin: %s", strerror(errno));
		ret = EXIT_FAIL;
		goto out;
	}
	ret = oci_state_parse(json, &s, err, sizeof(err));
	free(json);
	if (ret) {
		err_msg("%s (stage %s)", err, stage);
		ret = EXIT_USAGE;
		goto out;
	}
	/* Annotations are optional in the state; the bundle always has them. */
	if (create && !s.has_annotations && *s.bundle) {
		if ((size_t)snprintf(path, sizeof(path), "%s/config.json", s.bundle) >= sizeof(path)) {
			err_msg("bundle path too long: %s", s.bundle);
			ret = EXIT_USAGE;
			goto out;
		}
		json = read_file(path);
		if (!json) {
			err_msg("%s: %s", path, strerror(errno));
			ret = EXIT_FAIL;
			goto out;
		}
		ret = oci_config_annotations(json, &s, err, sizeof(err));
		free(json);
		if (ret) {
			err_msg("%s: %s", path, err);
			ret = EXIT_USAGE;
			goto out;
		}
	}
	ret = create ? hook_create(&s, profile_dir, state_dir) :
		       hook_poststop(&s, state_dir);
out:
	log_teardown();
	return ret;
}
