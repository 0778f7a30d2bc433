// SPDX-License-Identifier: GPL-2.0
/*
 * Bounded, streamed reading of a text input; see textin.h. The size never
 * comes from stat() or ftell(): /proc files say 0, pipes cannot seek.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "textin.h"

/* NULL if @mode may be read as text, else what it is, for the message. */
static const char *not_text(mode_t mode, int is_stdin)
{
	if (S_ISDIR(mode))
		return "is a directory";
	if (is_stdin || S_ISREG(mode) || S_ISFIFO(mode))
		return NULL;
	if (S_ISCHR(mode))
		return "is a character device";
	if (S_ISBLK(mode))
		return "is a block device";
	if (S_ISSOCK(mode))
		return "is a socket";
	return "is not a regular file";
}

/*
 * /proc and /sys files look regular but are kernel state: /proc/cpuinfo
 * is no profile. By the file system of the open file, so that /dev/fd/N
 * (a shell's <(...)) still reads the pipe behind it.
 */
static const char *kernel_file(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs))
		return NULL;
	if (sfs.f_type == PROC_SUPER_MAGIC)
		return "/proc";
	if (sfs.f_type == SYSFS_MAGIC)
		return "/sys";
	return NULL;
}

static int type_error(const char *name, const char *what, const char *is,
		      mode_t mode, struct diag *diag)
{
	return diag_set(diag, S_ISDIR(mode) ? EISDIR : ENODEV, name, 0,
			"%s, not a %s file%s", is, what,
			S_ISCHR(mode) ? " (to read standard input, give '-')" : "");
}

/* Read @fd to its end, at most @max bytes. */
static int read_fd(int fd, const char *name, const char *what, size_t max,
		   char **text, struct diag *diag)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1), *nb;
	ssize_t n;

	if (!buf)
		return diag_set(diag, ENOMEM, name, 0, "out of memory");
	for (;;) {
		if (len == cap) {
			if (cap > max)
				break;
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return diag_set(diag, ENOMEM, name, 0, "out of memory");
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			return diag_set(diag, e, name, 0, "cannot read %s: %s",
					what, strerror(e));
		}
		if (!n)
			break;
		len += n;
	}
	if (len > max) {
		free(buf);
		if (max % (1 << 20))
			return diag_set(diag, EFBIG, name, 0,
					"larger than %zu bytes: not a %s file?", max, what);
		return diag_set(diag, EFBIG, name, 0,
				"larger than %zu MiB: not a %s file?", max >> 20, what);
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		free(buf);
		return diag_set(diag, EINVAL, name, 0, "binary file, not a %s", what);
	}
	*text = buf;
	return 0;
}

int textin_read(const char *path, const char *what, size_t max, char **text,
		struct diag *diag)
{
	int is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? TEXTIN_STDIN_NAME : path;
	const char *is;
	struct stat st;
	int fd, ret;

	*text = NULL;
	/* Look before opening: opening a device can have side effects. */
	if (!is_stdin && stat(path, &st))
		return diag_set(diag, errno, name, 0, "cannot open %s: %s",
				what, strerror(errno));
	if (!is_stdin && (is = not_text(st.st_mode, 0)))
		return type_error(name, what, is, st.st_mode, diag);
	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return diag_set(diag, errno, name, 0, "cannot open %s: %s",
				what, strerror(errno));
	if (fstat(fd, &st)) {
		ret = diag_set(diag, errno, name, 0, "cannot read %s: %s",
			       what, strerror(errno));
	} else if ((is = not_text(st.st_mode, is_stdin))) {
		ret = type_error(name, what, is, st.st_mode, diag);
	} else if ((is = kernel_file(fd))) {
		ret = diag_set(diag, ENODEV, name, 0, "is a file of %s (kernel state), not a %s file",
			       is, what);
	} else {
		ret = read_fd(fd, name, what, max, text, diag);
	}
	if (!is_stdin)
		close(fd);
	return ret;
}
