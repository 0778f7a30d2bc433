// SPDX-License-Identifier: GPL-2.0
/*
 * Where profile text comes from (issue 12, bugs 3, 4, 11): empty profiles
 * are errors ('host' says "as is" on purpose), files are streamed (FIFOs,
 * pipes, /proc) with a size bound, devices and directories are refused,
 * '-' is standard input, and bare names resolve in the profile directory
 * ($CPUIDVIRT_PROFILE_DIR) for every command and the OCI hook alike.
 * Library calls and the cpuidctl binary (cli.c); dumps, never the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

Suite *profile_input_suite(void);

#define EMPTY_MSG "empty profile: it masks nothing, so the cgroup would see this host's CPU unchanged; name what to hide (mask, baseline, allow, ...), or give the built-in profile 'host' to present the host as is"
#define EMPTY_NAME_MSG "<command line>:1: empty profile name: give a built-in (x86-64-v1, x86-64-v2, x86-64-v2-aes, x86-64-v3, x86-64-v4, host), a file, or what to mask; 'host' presents the host as is"

static struct profile p;
static struct diag diag;
static char tmpdir[64];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cpuidctl-unit-in-XXXXXX");
	ck_assert(mkdtemp(tmpdir));
	diag_clear(&diag);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	unsetenv(PROFILE_DIR_ENV);
}

/* tmpdir/NAME holding @text; its path (static buffer per call site). */
static const char *put(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

/* A child that writes @n bytes of @text (repeated) to @path, then exits. */
static pid_t writer(const char *path, const char *text, size_t n)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		size_t len = strlen(text);
		int fd = open(path, O_WRONLY);

		if (fd < 0)
			_exit(1);
		while (n) {
			size_t k = n < len ? n : len;

			if (write(fd, text, k) != (ssize_t)k)
				_exit(0);	/* the reader stopped: fine */
			n -= k;
		}
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
}

/* ---- bug 3: empty profiles --------------------------------------------- */

START_TEST(empty_spec)
{
	ck_assert_int_eq(profile_load(&p, "", &diag), -EINVAL);
	ck_assert_str_eq(diag.msg, EMPTY_NAME_MSG);
}
END_TEST

START_TEST(empty_files)
{
	static const char *const texts[] = { "", "\n\n", "# only a comment\n  # and another\n", "name quiet\n" };
	char path[128], want[512];
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		put("e.profile", texts[i], path, sizeof(path));
		diag_clear(&diag);
		ck_assert_int_eq(profile_load(&p, path, &diag), -EINVAL);
		snprintf(want, sizeof(want), "%s: " EMPTY_MSG, path);
		ck_assert_str_eq(diag.msg, want);
	}
}
END_TEST

START_TEST(empty_cli)
{
	struct cli_result r;
	char path[128];

	cli_run(&r, "run", "--profile", "", "--", "true", NULL);
	cli_expect(&r, 5, "", "cpuidctl: " EMPTY_NAME_MSG "\n");
	cli_run(&r, "profile", "show", "", "--against", HOST_DUMP, NULL);
	cli_expect(&r, 5, "", "cpuidctl: " EMPTY_NAME_MSG "\n");
	put("c.profile", "# nothing\n", path, sizeof(path));
	cli_run(&r, "profile", "apply", path, "some-cgroup", NULL);
	cli_expect(&r, 5, "", NULL);
}
END_TEST

/* 'host' is the one profile that may mask nothing: zero rules. */
START_TEST(host_builtin)
{
	struct cli_result r;

	ck_assert_int_eq(profile_load(&p, "host", &diag), 0);
	ck_assert_str_eq(p.name, "host");
	ck_assert(profile_is_empty(&p));
	cli_run(&r, "profile", "show", "host", "--against", HOST_DUMP, NULL);
	ck_assert_msg(!strncmp(r.out, "profile: host (<builtin host>)\n", 31), "%s", r.out);
	cli_expect(&r, 0, NULL, "");
}
END_TEST

/* ---- bug 4: what is read, and how ---------------------------------------- */

/* /proc says size 0 and is kernel state: never 0 rules, a clear no. */
START_TEST(proc_file)
{
	ck_assert_int_eq(profile_load(&p, "/proc/cpuinfo", &diag), -ENODEV);
	ck_assert_str_eq(diag.msg, "/proc/cpuinfo: is a file of /proc (kernel state), not a profile file");
	ck_assert_int_eq(profile_load(&p, "/sys/devices/system/cpu/online", &diag), -ENODEV);
}
END_TEST

/* A shell's <(...) is /dev/fd/N, a /proc link to a pipe: that is read. */
START_TEST(proc_fd_pipe)
{
	int pfd[2];
	char path[64];

	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(write(pfd[1], "mask avx2\n", 10), 10);
	close(pfd[1]);
	snprintf(path, sizeof(path), "/dev/fd/%d", pfd[0]);
	ck_assert_msg(profile_load(&p, path, &diag) == 0, "%s", diag.msg);
	ck_assert(fset_has(&p.mask, feature_by_name("avx2")));
	close(pfd[0]);
}
END_TEST

START_TEST(device_and_directory)
{
	ck_assert_int_eq(profile_load(&p, "/dev/zero", &diag), -ENODEV);
	ck_assert_str_eq(diag.msg, "/dev/zero: is a character device, not a profile file (to read standard input, give '-')");
	ck_assert_int_eq(profile_load(&p, "/dev/null", &diag), -ENODEV);
	ck_assert_int_eq(profile_load(&p, tmpdir, &diag), -EISDIR);
	ck_assert_str_eq(diag.msg + strlen(tmpdir), ": is a directory, not a profile file");
}
END_TEST

START_TEST(fifo_streamed)
{
	char path[128];
	pid_t w;

	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	w = writer(path, "mask avx2\n", 10);
	ck_assert_msg(profile_load(&p, path, &diag) == 0, "%s", diag.msg);
	ck_assert(fset_has(&p.mask, feature_by_name("avx2")));
	ck_assert_str_eq(p.name, "fifo");
	reap(w);
}
END_TEST

/* The bound holds for a stream with no size: stops after 1 MiB. */
START_TEST(fifo_bounded)
{
	char path[128], want[256];
	pid_t w;

	snprintf(path, sizeof(path), "%s/big", tmpdir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	w = writer(path, "# a comment line, over and over\n", 3 << 20);
	ck_assert_int_eq(profile_load(&p, path, &diag), -EFBIG);
	snprintf(want, sizeof(want), "%s: larger than 1 MiB: not a profile file?", path);
	ck_assert_str_eq(diag.msg, want);
	reap(w);
}
END_TEST

/* fd 0 is a pipe: '-' and /dev/stdin both read it. */
static void with_stdin_pipe(const char *spec)
{
	int pfd[2], saved = dup(0);
	pid_t w;

	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(pipe(pfd), 0);
	w = fork();
	ck_assert_int_ge(w, 0);
	if (!w) {
		close(pfd[0]);
		_exit(write(pfd[1], "mask avx2\n", 10) != 10);
	}
	close(pfd[1]);
	ck_assert_int_eq(dup2(pfd[0], 0), 0);
	close(pfd[0]);
	diag_clear(&diag);
	ck_assert_msg(profile_load(&p, spec, &diag) == 0, "%s: %s", spec, diag.msg);
	ck_assert(fset_has(&p.mask, feature_by_name("avx2")));
	ck_assert_int_eq(dup2(saved, 0), 0);
	close(saved);
	reap(w);
}

START_TEST(stdin_pipe)
{
	with_stdin_pipe("-");
	ck_assert_str_eq(p.source, "<stdin>");
	with_stdin_pipe("/dev/stdin");
}
END_TEST

START_TEST(stdin_cli)
{
	char *argv[] = { "cpuidctl", "profile", "show", "-", "--against", HOST_DUMP, NULL };
	struct cli_result r;

	cli_runv(&r, "mask avx2\n", argv);
	ck_assert_msg(!strncmp(r.out, "profile: custom (<stdin>)\n", 26), "%s", r.out);
	cli_expect(&r, 0, NULL, "");
	cli_runv(&r, "mask avx3\n", argv);
	cli_expect(&r, 5, "", "cpuidctl: <stdin>:1: unknown feature 'avx3' (did you mean 'avx2'?)\n");
	argv[3] = "/dev/stdin";
	cli_runv(&r, "mask avx2\n", argv);
	cli_expect(&r, 0, NULL, "");
}
END_TEST

/* ---- bug 11: one resolution of bare names --------------------------------- */

START_TEST(dir_names)
{
	char path[128], want[512];

	put("web.profile", "mask avx2\n", path, sizeof(path));
	put("plain", "mask sse4_2\n", path, sizeof(path));
	ck_assert_msg(profile_resolve(&p, "web", tmpdir, 0, &diag) == 0, "%s", diag.msg);
	snprintf(want, sizeof(want), "%s/web.profile", tmpdir);
	ck_assert_str_eq(p.source, want);
	ck_assert_str_eq(p.name, "web");
	ck_assert_int_eq(profile_resolve(&p, "plain", tmpdir, 0, &diag), 0);
	ck_assert(fset_has(&p.mask, feature_by_name("sse4_2")));
	/* A name in the directory comes before a feature list... */
	put("avx2.profile", "mask sse4_2\n", path, sizeof(path));
	ck_assert_int_eq(profile_resolve(&p, "avx2", tmpdir, 0, &diag), 0);
	ck_assert(fset_has(&p.mask, feature_by_name("sse4_2")));
	ck_assert(!fset_has(&p.mask, feature_by_name("avx2")));
	/* ...and after a built-in. */
	put("x86-64-v2", "mask avx2\n", path, sizeof(path));
	ck_assert_int_eq(profile_resolve(&p, "x86-64-v2", tmpdir, 0, &diag), 0);
	ck_assert_int_eq(p.baseline, 2);
	/* An empty file there is an error too. */
	put("blank.profile", "\n", path, sizeof(path));
	ck_assert_int_eq(profile_resolve(&p, "blank", tmpdir, 0, &diag), -EINVAL);
	snprintf(want, sizeof(want), "%s/blank.profile: " EMPTY_MSG, tmpdir);
	ck_assert_str_eq(diag.msg, want);
}
END_TEST

/* The OCI hook: built-ins and the directory only, never a path or a list. */
START_TEST(names_only)
{
	char path[128], want[512];

	put("web.profile", "mask avx2\n", path, sizeof(path));
	ck_assert_int_eq(profile_resolve(&p, "web", tmpdir, PROFILE_NAMES_ONLY, &diag), 0);
	ck_assert_int_eq(profile_resolve(&p, "x86-64-v3", tmpdir, PROFILE_NAMES_ONLY, &diag), 0);
	ck_assert_int_eq(profile_resolve(&p, "avx2", tmpdir, PROFILE_NAMES_ONLY, &diag), -ENOENT);
	snprintf(want, sizeof(want),
		 "no such profile 'avx2': not a built-in (x86-64-v1, x86-64-v2, x86-64-v2-aes, x86-64-v3, x86-64-v4, host), and neither %s/avx2 nor %s/avx2.profile exists",
		 tmpdir, tmpdir);
	ck_assert_str_eq(diag.msg, want);
	ck_assert_int_eq(profile_resolve(&p, path, tmpdir, PROFILE_NAMES_ONLY, &diag), -ENOENT);
	ck_assert_int_eq(profile_resolve(&p, "-", tmpdir, PROFILE_NAMES_ONLY, &diag), -ENOENT);
}
END_TEST

/* Every command, through $CPUIDVIRT_PROFILE_DIR. */
START_TEST(dir_cli)
{
	struct cli_result r;
	char path[128], want[256];

	put("web.profile", "mask avx2\n", path, sizeof(path));
	ck_assert_int_eq(setenv(PROFILE_DIR_ENV, tmpdir, 1), 0);
	cli_run(&r, "profile", "show", "web", "--against", HOST_DUMP, NULL);
	snprintf(want, sizeof(want), "profile: web (%s/web.profile)\n", tmpdir);
	ck_assert_msg(!strncmp(r.out, want, strlen(want)), "%s", r.out);
	cli_expect(&r, 0, NULL, "");
	cli_run(&r, "explain", "avx2", "--profile", "web", "--against", HOST_DUMP, NULL);
	ck_assert_msg(strstr(r.out, "\nprofile web: hides it: masked by profile"), "%s", r.out);
	cli_expect(&r, 0, NULL, "");
	cli_run(&r, "profile", "show", "nope", "--against", HOST_DUMP, NULL);
	snprintf(want, sizeof(want), "a profile in %s, or a feature list", tmpdir);
	ck_assert_msg(strstr(r.err, want), "%s", r.err);
	cli_expect(&r, 5, "", NULL);
}
END_TEST

Suite *profile_input_suite(void)
{
	Suite *s = suite_create("profile-input");
	TCase *tc = tcase_create("input");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, empty_spec);
	tcase_add_test(tc, empty_files);
	tcase_add_test(tc, empty_cli);
	tcase_add_test(tc, host_builtin);
	tcase_add_test(tc, proc_file);
	tcase_add_test(tc, proc_fd_pipe);
	tcase_add_test(tc, device_and_directory);
	tcase_add_test(tc, fifo_streamed);
	tcase_add_test(tc, fifo_bounded);
	tcase_add_test(tc, stdin_pipe);
	tcase_add_test(tc, stdin_cli);
	tcase_add_test(tc, dir_names);
	tcase_add_test(tc, names_only);
	tcase_add_test(tc, dir_cli);
	suite_add_tcase(s, tc);
	return s;
}
