// SPDX-License-Identifier: GPL-2.0
/*
 * Runs the built cpuidctl binary from the unit tests, for commands whose
 * observable behaviour is the text they print and their exit status.
 * Only commands that need neither the module nor the host's CPUID belong
 * here (pass --against DUMP): no test may depend on the machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#ifndef CPUIDCTL_BIN
#error "build with -DCPUIDCTL_BIN=\"/path/to/cpuidctl\""
#endif

/* Whole contents of @fd, NUL-terminated, malloc()ed. */
static char *slurp(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t r;

	ck_assert(buf);
	while ((r = read(fd, buf + len, cap - len - 1)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		ck_assert_msg(r > 0, "read: %s", strerror(errno));
		len += r;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert(buf);
		}
	}
	buf[len] = '\0';
	return buf;
}

/* A temporary file holding @text; its fd, at offset 0. */
static int tmpfd(const char *text)
{
	char name[] = "/tmp/cpuidctl-unit-XXXXXX";
	int fd = mkstemp(name);
	size_t n = strlen(text);

	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(name);
	ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

int cli_runv(struct cli_result *r, const char *in, char *const argv[])
{
	int ofd = tmpfd(""), efd = tmpfd(""), ifd = tmpfd(in ? in : "");
	int status;
	pid_t pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		dup2(ifd, 0);
		dup2(ofd, 1);
		dup2(efd, 2);
		execv(CPUIDCTL_BIN, argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "cpuidctl %s: killed by signal %d",
		      argv[1], WTERMSIG(status));
	lseek(ofd, 0, SEEK_SET);
	lseek(efd, 0, SEEK_SET);
	r->out = slurp(ofd);
	r->err = slurp(efd);
	r->rc = WEXITSTATUS(status);
	close(ofd);
	close(efd);
	close(ifd);
	return r->rc;
}

int cli_run(struct cli_result *r, const char *arg, ...)
{
	char *argv[64];
	va_list ap;
	int n = 0;

	argv[n++] = "cpuidctl";
	va_start(ap, arg);
	for (; arg; arg = va_arg(ap, const char *)) {
		ck_assert_int_lt(n, 63);
		argv[n++] = (char *)arg;
	}
	va_end(ap);
	argv[n] = NULL;
	return cli_runv(r, NULL, argv);
}

void cli_free(struct cli_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void cli_expect(struct cli_result *r, int rc, const char *out, const char *err)
{
	ck_assert_msg(r->rc == rc, "exit %d, expected %d; stderr: %s", r->rc,
		      rc, r->err);
	if (out)
		ck_assert_str_eq(r->out, out);
	if (err)
		ck_assert_str_eq(r->err, err);
	cli_free(r);
}

/* A file with @text under /tmp; its name (static buffer per slot). */
const char *cli_file(int slot, const char *text)
{
	static char names[8][64];
	FILE *f;

	ck_assert_int_lt(slot, 8);
	snprintf(names[slot], sizeof(names[slot]),
		 "/tmp/cpuidctl-unit-%d-%d.profile", (int)getpid(), slot);
	f = fopen(names[slot], "w");
	ck_assert(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	return names[slot];
}
