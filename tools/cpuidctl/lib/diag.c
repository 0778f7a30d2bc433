// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "diag.h"

int diag_vset(struct diag *d, int err, const char *file, int line,
	      const char *fmt, va_list ap)
{
	size_t n = 0;

	if (!d)
		return -err;
	d->err = err;
	d->line = line;
	d->msg[0] = '\0';
	if (file && line > 0)
		n = snprintf(d->msg, sizeof(d->msg), "%s:%d: ", file, line);
	else if (file)
		n = snprintf(d->msg, sizeof(d->msg), "%s: ", file);
	if (n < sizeof(d->msg))
		vsnprintf(d->msg + n, sizeof(d->msg) - n, fmt, ap);
	return -err;
}

int diag_set(struct diag *d, int err, const char *file, int line,
	     const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = diag_vset(d, err, file, line, fmt, ap);
	va_end(ap);
	return ret;
}

void diag_clear(struct diag *d)
{
	if (d)
		memset(d, 0, sizeof(*d));
}
