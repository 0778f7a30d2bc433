/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading a small text input (a profile) from a file, a FIFO or standard
 * input: streamed, so files whose size stat() does not know (/proc, pipes)
 * are read whole, with a size bound, and with a clear error for what can
 * never be a text file (directories, devices, sockets).
 */
#ifndef CPUIDCTL_TEXTIN_H
#define CPUIDCTL_TEXTIN_H

#include <stddef.h>

#include "diag.h"

/* The name of standard input in messages ("<stdin>:3: ..."). */
#define TEXTIN_STDIN_NAME	"<stdin>"

/*
 * Read @path ("-": standard input) whole into *@text (malloc()ed,
 * NUL-terminated). @what names the kind of file in messages ("profile").
 * Regular files and FIFOs are read (a FIFO like cat reads it: open waits
 * for a writer, the text ends when the last writer closes); standard input
 * may be anything but a directory. Errors, as "PATH: message" in @diag:
 * -errno of open/read, -EISDIR, -ENODEV (a device, socket, or a file of
 * /proc or /sys: kernel state, not text one wrote), -EFBIG
 * (more than @max bytes), -EINVAL (a NUL byte: a binary file).
 */
int textin_read(const char *path, const char *what, size_t max, char **text,
		struct diag *diag);

#endif
