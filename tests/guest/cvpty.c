// SPDX-License-Identifier: GPL-2.0
/*
 * cvpty CMD [ARGS...]
 * cvpty --count
 *
 * Ctrl-C at a terminal, for 'cpuidctl run' (issue 12, bug 16). The first
 * form runs CMD as the session leader of a new pseudo-terminal, in its
 * foreground process group, waits until a 'cvpty --count' somewhere below
 * CMD says "ready", and types ^C. CMD is held stopped until the counter
 * has taken the terminal's SIGINT (two SIGINTs pending at once would be
 * one), then continued, so a copy CMD forwards is counted too. Prints the
 * counter's "sigint=N" line and exits 0 if N is 1, else 1; 2 on trouble.
 *
 * The second form is the counter: it prints "ready", counts SIGINTs until
 * 500 ms after the first, prints "got" at the first and "sigint=N" at the
 * end, and exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t nr_sigint;

static void on_sigint(int sig)
{
	(void)sig;
	nr_sigint++;
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

static int count(void)
{
	int i;

	signal(SIGINT, on_sigint);
	printf("ready\n");
	fflush(stdout);
	for (i = 0; i < 1000 && !nr_sigint; i++)
		sleep_ms(10);
	printf("got\n");
	fflush(stdout);
	sleep_ms(500);
	printf("sigint=%d\n", (int)nr_sigint);
	fflush(stdout);
	return 0;
}

/* Read from @fd into @buf until it holds @word; 0, or -1 on EOF/timeout. */
static int wait_for(int fd, char *buf, size_t len, size_t *n, const char *word)
{
	int tries;

	for (tries = 0; tries < 3000; tries++) {
		ssize_t r;

		buf[*n] = '\0';
		if (strstr(buf, word))
			return 0;
		r = read(fd, buf + *n, len - *n - 1);
		if (r > 0)
			*n += r;
		else if (r == 0 || (errno != EAGAIN && errno != EINTR))
			return -1;
		else
			sleep_ms(10);
	}
	return -1;
}

int main(int argc, char **argv)
{
	char buf[8192], *p;
	size_t n = 0;
	int master, status, got;
	pid_t pid;

	if (argc == 2 && !strcmp(argv[1], "--count"))
		return count();
	if (argc < 2) {
		fprintf(stderr, "usage: cvpty CMD [ARGS...] | cvpty --count\n");
		return 2;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master)) {
		perror("cvpty: posix_openpt");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("cvpty: fork");
		return 2;
	}
	if (!pid) {
		int fd;

		if (setsid() < 0)
			_exit(125);
		fd = open(ptsname(master), O_RDWR);
		if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) || tcsetpgrp(fd, getpgrp()))
			_exit(125);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		close(master);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	fcntl(master, F_SETFL, O_NONBLOCK);
	if (wait_for(master, buf, sizeof(buf), &n, "ready")) {
		fprintf(stderr, "cvpty: no 'ready' from the counter; output:\n%s\n", buf);
		kill(pid, SIGKILL);
		return 2;
	}
	if (kill(pid, SIGSTOP) || waitpid(pid, &status, WUNTRACED) != pid ||
	    write(master, "\003", 1) != 1) {	/* VINTR: ^C */
		perror("cvpty: ^C");
		kill(pid, SIGKILL);
		return 2;
	}
	got = wait_for(master, buf, sizeof(buf), &n, "got");
	kill(pid, SIGCONT);
	if (got || wait_for(master, buf, sizeof(buf), &n, "sigint=")) {
		fprintf(stderr, "cvpty: no count from the counter; output:\n%s\n", buf);
		kill(pid, SIGKILL);
		return 2;
	}
	sleep_ms(200);
	while (n < sizeof(buf) - 1) {
		ssize_t r = read(master, buf + n, sizeof(buf) - n - 1);

		if (r <= 0)
			break;
		n += r;
	}
	buf[n] = '\0';
	waitpid(pid, &status, 0);
	p = strstr(buf, "sigint=");
	printf("%.*s\n", (int)strcspn(p, "\r\n"), p);
	printf("command: %s %d\n", WIFEXITED(status) ? "exit" : "signal",
	       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return atoi(p + 7) == 1 ? 0 : 1;
}
