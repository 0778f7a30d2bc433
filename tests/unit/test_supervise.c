// SPDX-License-Identifier: GPL-2.0
/*
 * 'run' at a terminal (supervise.c): Ctrl-C reaches the command once.
 * A pseudo-terminal plays the terminal: this test forks a session leader
 * that owns it and supervises a child, as 'cpuidctl run' does, then types
 * ^C on the master side and counts the SIGINTs the child receives.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "supervise.h"

Suite *supervise_suite(void);

static volatile sig_atomic_t nr_sigint;

static void count_sigint(int sig __attribute__((unused)))
{
	nr_sigint++;
}

/* Sleep @ms, through signals. */
static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

/*
 * The command: says when the first SIGINT came (on @result), counts
 * SIGINTs for 500 ms more, reports the count (on @result too).
 */
static void __attribute__((noreturn)) child(int ready, int result)
{
	char n;

	supervise_child();
	signal(SIGINT, count_sigint);
	if (write(ready, "c", 1) != 1)
		_exit(90);
	for (int i = 0; i < 500 && !nr_sigint; i++)
		sleep_ms(10);
	if (write(result, "g", 1) != 1)
		_exit(91);
	sleep_ms(500);
	n = (char)nr_sigint;
	_exit(write(result, &n, 1) == 1 ? 0 : 92);
}

/* 'cpuidctl run': owns the terminal @slave, supervises child(). */
static void __attribute__((noreturn)) supervisor(const char *slave, int ready, int result)
{
	int fd, cready[2];
	pid_t pid;
	char c;

	if (setsid() < 0)
		_exit(80);
	fd = open(slave, O_RDWR);
	if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) || tcsetpgrp(fd, getpgrp()))
		_exit(81);
	if (pipe(cready))
		_exit(82);
	supervise_begin();
	pid = fork();
	if (pid < 0)
		_exit(83);
	if (!pid)
		child(cready[1], result);
	if (read(cready[0], &c, 1) != 1 || write(ready, "s", 1) != 1)
		_exit(84);
	_exit(supervise_wait(pid));
}

/*
 * Runs the pair; @how is 't' to type ^C at the terminal, 'k' to kill(2)
 * the supervisor with SIGINT as another program would. Returns how many
 * SIGINTs the child counted.
 */
static int sigints_seen(char how)
{
	int master, ready[2], result[2], status;
	char c, n = -1;
	pid_t pid;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(master, 0);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(result), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		supervisor(ptsname(master), ready[1], result[1]);
	close(ready[1]);
	close(result[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	if (how == 't') {
		/*
		 * Two SIGINTs pending at once are one: hold the supervisor
		 * until the child has taken the terminal's, so that a
		 * forwarded copy is counted.
		 */
		ck_assert_int_eq(kill(pid, SIGSTOP), 0);
		ck_assert_int_eq(waitpid(pid, &status, WUNTRACED), pid);
		ck_assert_int_eq(write(master, "\003", 1), 1);	/* VINTR, ^C */
	} else {
		ck_assert_int_eq(kill(pid, SIGINT), 0);
	}
	ck_assert_int_eq(read(result[0], &c, 1), 1);
	ck_assert_int_eq(c, 'g');
	if (how == 't')
		ck_assert_int_eq(kill(pid, SIGCONT), 0);
	ck_assert_int_eq(read(result[0], &n, 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "supervisor status %#x", status);
	close(ready[0]);
	close(result[0]);
	close(master);
	return n;
}

START_TEST(ctrl_c_reaches_the_command_once)
{
	ck_assert_int_eq(sigints_seen('t'), 1);
}
END_TEST

START_TEST(kill_is_forwarded)
{
	ck_assert_int_eq(sigints_seen('k'), 1);
}
END_TEST

START_TEST(forward_decision)
{
	ck_assert(!supervise_should_forward(SIGINT, SI_KERNEL));
	ck_assert(!supervise_should_forward(SIGQUIT, SI_KERNEL));
	ck_assert(supervise_should_forward(SIGINT, SI_USER));
	ck_assert(supervise_should_forward(SIGQUIT, SI_TKILL));
	ck_assert(supervise_should_forward(SIGTERM, SI_KERNEL));
	/* Hangup goes to the session leader alone: the command needs it. */
	ck_assert(supervise_should_forward(SIGHUP, SI_KERNEL));
}
END_TEST

Suite *supervise_suite(void)
{
	Suite *s = suite_create("supervise");
	TCase *tc = tcase_create("run-signals");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, ctrl_c_reaches_the_command_once);
	tcase_add_test(tc, kill_is_forwarded);
	tcase_add_test(tc, forward_decision);
	suite_add_tcase(s, tc);
	return s;
}
