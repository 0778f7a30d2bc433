// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl run: like 'systemd-run --scope', but the transient cgroup gets
 * a CPUID profile before the command's first instruction.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>

#include "cpuidctl.h"
#include "profile.h"
#include "supervise.h"

const char *const run_help =
"Usage: cpuidctl run --profile PROFILE [--cgroup-parent DIR] [--] CMD [ARGS...]\n"
"\n"
"Runs CMD under PROFILE, like 'systemd-run --scope': cpuidctl creates a\n"
"transient cgroup DIR/cpuidctl-run-PID, attaches the profile to it, starts\n"
"CMD directly inside it (clone3 with CLONE_INTO_CGROUP, so not a single\n"
"instruction of CMD runs unmasked), waits for it, then removes the profile\n"
"and the cgroup. CMD and every process it starts see the profile's CPU.\n"
"\n"
"Options:\n"
"  --profile PROFILE     built-in name, '-', profile file, NAME in the profile\n"
"                        directory, or VIRT_CPUID_MASK string (see 'cpuidctl\n"
"                        help profile')\n"
"  --cgroup-parent DIR   cgroup v2 directory to create the transient cgroup in,\n"
"                        absolute or relative to the cgroup2 mount. Default:\n"
"                        the cgroup cpuidctl itself runs in. cgroup v2 allows\n"
"                        processes only in leaves of a controller-enabled tree\n"
"                        ('no internal processes'): DIR must not have\n"
"                        controllers enabled in cgroup.subtree_control unless\n"
"                        it is the root, or the move fails with EBUSY.\n"
"\n"
"SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to cpuidctl are forwarded to CMD,\n"
"except the SIGINT and SIGQUIT of the terminal (Ctrl-C, Ctrl-\\): the terminal\n"
"sends those to CMD itself, which shares cpuidctl's process group, so CMD\n"
"gets each signal once, as under 'env' or 'systemd-run --scope'.\n"
"If CMD leaves processes behind in the cgroup, the cgroup and its profile\n"
"stay (so those processes stay masked) and a warning tells how to remove\n"
"them later.\n"
"\n"
"Exit status: CMD's exit status, or 128+N if CMD was killed by signal N;\n"
"127 if CMD was not found, 126 if it could not be executed; before CMD\n"
"starts, cpuidctl's own codes: 1 runtime failure, 2 usage error, 3 module\n"
"not loaded, 4 CPUID faulting absent, lying or unverified, 5 invalid profile.\n";

/* clone3() with CLONE_INTO_CGROUP; -1 with errno when the kernel lacks it. */
static pid_t spawn_into(int cgfd)
{
	struct clone_args args;

	memset(&args, 0, sizeof(args));
	args.flags = CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.cgroup = cgfd;
	return syscall(SYS_clone3, &args, sizeof(args));
}

static void __attribute__((noreturn)) exec_child(char **cmd)
{
	int e;

	execvp(cmd[0], cmd);
	e = errno;
	fprintf(stderr, "%s run: %s: %s\n", prog, cmd[0], strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

static bool cgroup_empty(int pfd, const char *name)
{
	char path[PATH_MAX], c;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", name);
	fd = openat(pfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, &c, 1);
	close(fd);
	return n == 0;
}

/*
 * rmdir, retrying briefly while the cgroup is empty but still busy: the
 * reaped child's css_set reference may be dropped just after waitpid().
 */
static int remove_cgroup(int pfd, const char *name)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (!unlinkat(pfd, name, AT_REMOVEDIR))
			return 0;
		if (errno != EBUSY || !cgroup_empty(pfd, name))
			return -1;
		usleep(10000);
	}
	errno = EBUSY;
	return -1;
}

/* Shared with main(), which must know where CMD starts to find --help. */
const struct option run_options[] = {
	{ "profile", required_argument, NULL, 'p' },
	{ "cgroup-parent", required_argument, NULL, 'c' },
	{ NULL, 0, NULL, 0 }
};

int cmd_run(int argc, char **argv)
{
	const struct option *opts = run_options;
	static struct profile p;
	static struct profile_compiled c;
	const char *spec = NULL, *parent = NULL;
	char self_path[PATH_MAX], parent_path[PATH_MAX], cg_path[PATH_MAX + 64], name[64];
	int ch, devfd, pfd, cgfd, ret;
	uint64_t cgid;
	pid_t pid;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		if (ch == 'p')
			spec = optarg;
		else if (ch == 'c')
			parent = optarg;
		else
			return opt_error("run", ch, argv);
	}
	if (!spec)
		return usage_error("run", "--profile PROFILE is required");
	if (optind >= argc)
		return usage_error("run", "missing the command to run");

	ret = profile_prepare(spec, NULL, &p, &c);
	if (ret)
		return ret;
	if (!parent) {
		ret = cgroup_self_path(self_path, sizeof(self_path));
		if (ret) {
			err_msg("/proc/self/cgroup: no cgroup v2 entry (%s): mount cgroup2 at /sys/fs/cgroup or pass --cgroup-parent",
				strerror(-ret));
			return EXIT_FAIL;
		}
		parent = self_path;
	}
	pfd = cgroup_open(parent, parent_path, sizeof(parent_path));
	if (pfd < 0)
		return -pfd;
	devfd = dev_open();
	if (devfd < 0) {
		close(pfd);
		return -devfd;
	}
	snprintf(name, sizeof(name), "cpuidctl-run-%d", (int)getpid());
	snprintf(cg_path, sizeof(cg_path), "%s/%s", parent_path, name);
	if (mkdirat(pfd, name, 0755)) {
		err_msg("cannot create cgroup %s: %s%s", cg_path, strerror(errno),
			errno == EACCES || errno == EPERM ? " (run as root or pick a delegated --cgroup-parent)" : "");
		close(devfd);
		close(pfd);
		return EXIT_FAIL;
	}
	cgfd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		err_msg("cgroup %s: %s", cg_path, strerror(errno));
		ret = EXIT_FAIL;
		goto out_rmdir;
	}
	cgid = cgroup_fd_id(cgfd);
	ret = profile_attach(devfd, &c, cgfd, cg_path, false);
	if (ret)
		goto out_rmdir;

	supervise_begin();
	fflush(NULL);

	pid = spawn_into(cgfd);
	if (pid < 0 && (errno == ENOSYS || errno == E2BIG || errno == EINVAL)) {
		/* Kernel before 5.7: fork, move the child, then exec. */
		pid = fork();
		if (pid == 0) {
			int fd = openat(cgfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);

			if (fd < 0 || write(fd, "0", 1) != 1) {
				fprintf(stderr, "%s run: cannot enter cgroup %s: %s\n",
					prog, cg_path, strerror(errno));
				_exit(126);
			}
			close(fd);
		}
	}
	if (pid == 0) {
		supervise_child();
		exec_child(argv + optind);
	}
	if (pid < 0) {
		err_msg("cannot start %s in cgroup %s: %s%s", argv[optind], cg_path,
			strerror(errno), errno == EBUSY ?
			" (the parent cgroup has controllers enabled: choose a leaf with --cgroup-parent)" : "");
		ret = EXIT_FAIL;
		goto out_detach;
	}
	ret = supervise_wait(pid);
	if (ret < 0) {
		err_msg("waitpid: %s", strerror(errno));
		ret = EXIT_FAIL;
	}

out_detach:
	close(cgfd);
	cgfd = -1;
	/*
	 * Remove the cgroup first: if the command left processes behind,
	 * rmdir fails and they keep their profile instead of silently
	 * seeing the real CPU.
	 */
	if (remove_cgroup(pfd, name)) {
		if (errno == EBUSY)
			err_msg("warning: %s still has processes; it keeps its profile. Remove both later with 'cpuidctl profile remove %s && rmdir %s'",
				cg_path, cg_path, cg_path);
		else
			err_msg("warning: rmdir %s: %s", cg_path, strerror(errno));
	} else {
		int e = profile_detach_id(devfd, cgid);

		/* The module may already have dropped the profile of a removed cgroup. */
		if (e && e != -ENOENT)
			err_msg("warning: detaching the profile of removed cgroup id %llu: %s; run 'cpuidctl profile remove --id %llu'",
				(unsigned long long)cgid, strerror(-e), (unsigned long long)cgid);
	}
	close(devfd);
	close(pfd);
	return ret;

out_rmdir:
	if (cgfd >= 0)
		close(cgfd);
	unlinkat(pfd, name, AT_REMOVEDIR);
	close(devfd);
	close(pfd);
	return ret;
}
