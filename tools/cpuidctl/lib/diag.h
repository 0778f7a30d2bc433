/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Error reporting for the cpuidctl library: functions that can fail on bad
 * input fill a struct diag and return a negative errno-style value instead
 * of printing or exiting. The caller decides what to do with the text.
 */
#ifndef CPUIDCTL_DIAG_H
#define CPUIDCTL_DIAG_H

#include <stdarg.h>

#define DIAG_MSG_LEN 512

struct diag {
	/*
	 * Complete message, ready to print: "file:line: message" when the
	 * error has a position, "file: message" or just "message" otherwise.
	 * No trailing newline.
	 */
	char msg[DIAG_MSG_LEN];
	int line;		/* 1-based line, 0 when not applicable */
	int err;		/* positive errno value (EINVAL, ENOENT, ...) */
};

/* Fill @d (may be NULL) and return -err. @file may be NULL, @line 0. */
int diag_set(struct diag *d, int err, const char *file, int line,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int diag_vset(struct diag *d, int err, const char *file, int line,
	      const char *fmt, va_list ap);
void diag_clear(struct diag *d);

#endif
