// SPDX-License-Identifier: GPL-2.0
/*
 * Whether the running kernel can load modules (see modsupport.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "modsupport.h"

const struct modsupport_paths modsupport_proc = {
	.modules = "/proc/modules",
	.cmdline = "/proc/cmdline",
	.disabled = "/proc/sys/kernel/modules_disabled",
};

/* Is @word one of the space-separated words of @line? */
static bool has_word(const char *line, const char *word)
{
	size_t n = strlen(word);
	const char *p = line;

	while ((p = strstr(p, word))) {
		if ((p == line || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

void modsupport_probe(const struct modsupport_paths *paths, struct modsupport *s)
{
	char buf[4096];
	FILE *f;

	memset(s, 0, sizeof(*s));
	s->has_proc_modules = !access(paths->modules, F_OK);
	f = fopen(paths->cmdline, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			s->nomodule = has_word(buf, "nomodule");
		fclose(f);
	}
	f = fopen(paths->disabled, "r");
	if (f) {
		s->disabled = fgets(buf, sizeof(buf), f) && buf[0] == '1';
		fclose(f);
	}
}

const char *modsupport_problem(const struct modsupport *s, int err,
			       const char *release, char *buf, size_t len)
{
	if (!s->has_proc_modules || err == ENOSYS)
		snprintf(buf, len, "kernel %s cannot load modules at all: it was built without module support (CONFIG_MODULES is not set%s). cpuidvirt exists only as a module (there is no built-in variant): boot a kernel with CONFIG_MODULES=y, such as your distribution's",
			 release, s->has_proc_modules ? "; init_module() says ENOSYS" : ": there is no /proc/modules");
	else if (s->disabled)
		snprintf(buf, len, "kernel %s cannot load modules until reboot: /proc/sys/kernel/modules_disabled is 1: reboot, and load cpuidvirt before whatever sets it (sysctl kernel.modules_disabled)",
			 release);
	else if (err && s->nomodule)
		snprintf(buf, len, "kernel %s was booted with 'nomodule' on its command line (/proc/cmdline), which keeps modules from loading: remove 'nomodule' from the kernel command line in the boot loader and reboot",
			 release);
	else
		return NULL;
	return buf;
}
