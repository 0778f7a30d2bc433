// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl load: insert cpuidvirt with libkmod, turn insertion errors into
 * the action that fixes them (as modprobe does), then verify faulting.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <libkmod.h>

#include "cpuidctl.h"
#include "modsupport.h"

#ifndef EKEYREJECTED
#define EKEYREJECTED 129
#endif

const char *const load_help =
"Usage: cpuidctl load [--path MODULE.ko] [--no-selftest]\n"
"\n"
"Loads the cpuidvirt kernel module with libkmod (like 'modprobe cpuidvirt'),\n"
"then reads the module's CPUID-faulting state. If faulting is unverified,\n"
"the selftest of 'cpuidctl selftest' runs automatically, so that after a\n"
"successful 'load' profiles can be applied at once.\n"
"\n"
"Loading an already loaded module is not an error.\n"
"\n"
"Options:\n"
"  --path MODULE.ko  insert this file instead of looking the module up in\n"
"                    /lib/modules/$(uname -r)\n"
"  --no-selftest     only load; leave an unverified state unverified\n"
"\n"
"Common failures and their fixes:\n"
"  no module for this kernel   install it with DKMS (dkms install cpuidvirt/VERSION)\n"
"                              or run 'make dkms-install' in the source tree\n"
"  key rejected / no key       Secure Boot: sign the module with DKMS's MOK key and\n"
"                              enrol it: mokutil --import /var/lib/dkms/mok.pub, reboot\n"
"  exec format error           module built for another kernel: rebuild it (DKMS)\n"
"  operation not permitted     run as root; or kernel lockdown forbids modules\n"
"  kernel cannot load modules  built without CONFIG_MODULES (no /proc/modules),\n"
"                              modules_disabled is 1, or booted with 'nomodule':\n"
"                              cpuidvirt is only a module, boot a kernel that can\n"
"\n"
"Exit status: 0 module loaded and faulting verified; 1 the module could\n"
"not be loaded; 4 loaded, but CPUID faulting is absent, lying or unverified\n"
"(the module's reason is printed); 2 usage error.\n";

static const char *kernel_release(void)
{
	static struct utsname u;

	if (uname(&u))
		return "(unknown)";
	return u.release;
}

/* The kernel cannot load modules at all: say so, not 'install it'. */
static bool no_module_support(int err)
{
	struct modsupport s;
	char buf[512];

	modsupport_probe(&modsupport_proc, &s);
	if (!modsupport_problem(&s, err, kernel_release(), buf, sizeof(buf)))
		return false;
	err_msg("%s", buf);
	return true;
}

static int insert_error(int err, const char *what)
{
	const char *kr = kernel_release();

	if (no_module_support(err))
		return EXIT_FAIL;
	switch (err) {
	case ENOENT:
		err_msg("no cpuidvirt module for kernel %s: install it with DKMS (dkms install cpuidvirt/VERSION -k %s) or run 'make dkms-install' in the source tree",
			kr, kr);
		break;
	case EKEYREJECTED:
	case ENOKEY:
		err_msg("%s: %s: Secure Boot rejects the unsigned or unknown module: sign it with DKMS's MOK key and enrol the key (mokutil --import /var/lib/dkms/mok.pub, then reboot and confirm in MokManager)",
			what, strerror(err));
		break;
	case ENOEXEC:
		err_msg("%s: %s: the module was built for another kernel than %s: rebuild it (dkms install cpuidvirt/VERSION -k %s)",
			what, strerror(err), kr, kr);
		break;
	case EPERM:
		if (geteuid())
			err_msg("%s: %s: loading modules needs root: run 'sudo cpuidctl load'",
				what, strerror(err));
		else
			err_msg("%s: %s: the kernel forbids loading modules (kernel lockdown or /proc/sys/kernel/modules_disabled)",
				what, strerror(err));
		break;
	case ENODEV:
	case EOPNOTSUPP:
		err_msg("%s: %s: the module refused this kernel or CPU; see 'dmesg | grep cpuidvirt'",
			what, strerror(err));
		break;
	default:
		err_msg("%s: %s; see 'dmesg | grep cpuidvirt'", what, strerror(err));
	}
	return EXIT_FAIL;
}

/* Returns 0 when inserted or already loaded, else an exit code after a message. */
static int insert_module(const char *path)
{
	struct kmod_ctx *ctx;
	struct kmod_list *list = NULL;
	struct kmod_module *mod = NULL;
	const char *what = path ? path : "cpuidvirt";
	int ret;

	if (no_module_support(0))
		return EXIT_FAIL;
	ctx = kmod_new(NULL, NULL);
	if (!ctx) {
		err_msg("libkmod: cannot initialise (is /lib/modules/%s present?)", kernel_release());
		return EXIT_FAIL;
	}
	if (path) {
		ret = kmod_module_new_from_path(ctx, path, &mod);
		if (ret < 0) {
			err_msg("%s: %s", path, strerror(-ret));
			ret = EXIT_FAIL;
			goto out;
		}
	} else {
		ret = kmod_module_new_from_lookup(ctx, "cpuidvirt", &list);
		if (ret < 0 || !list) {
			ret = insert_error(ENOENT, what);
			goto out;
		}
		mod = kmod_module_get_module(list);
	}
	if (kmod_module_get_initstate(mod) == KMOD_MODULE_LIVE) {
		printf("module: already loaded\n");
		ret = 0;
		goto out;
	}
	if (path)
		ret = kmod_module_insert_module(mod, 0, NULL);
	else
		ret = kmod_module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
	if (ret == -EEXIST) {
		printf("module: already loaded\n");
		ret = 0;
	} else if (ret < 0) {
		ret = insert_error(-ret, what);
	} else if (ret > 0) {
		/* Positive values are KMOD_PROBE_APPLY_BLACKLIST* hits. */
		err_msg("%s: blacklisted in /etc/modprobe.d: remove the 'blacklist cpuidvirt' line", what);
		ret = EXIT_FAIL;
	} else {
		printf("module: loaded %s\n", path ? path : kmod_module_get_path(mod) ?: "cpuidvirt");
	}
out:
	if (mod)
		kmod_module_unref(mod);
	if (list)
		kmod_module_unref_list(list);
	kmod_unref(ctx);
	return ret;
}

int cmd_load(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "path", required_argument, NULL, 'p' },
		{ "no-selftest", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct cpuidvirt_status st;
	const char *path = NULL;
	bool selftest = true;
	unsigned int state;
	int c, fd, ret, i;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		if (c == 'p')
			path = optarg;
		else if (c == 'n')
			selftest = false;
		else
			return opt_error("load", c, argv);
	}
	if (optind < argc)
		return usage_error("load", "unexpected argument '%s'", argv[optind]);

	ret = insert_module(path);
	if (ret)
		return ret;
	/* devtmpfs creates the node asynchronously to init_module() returning. */
	for (i = 0; i < 100 && access(CPUIDVIRT_DEV, F_OK); i++)
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	fd = dev_open();
	if (fd < 0)
		return -fd;
	ret = dev_status(fd, &st);
	if (ret) {
		err_msg("%s: STATUS: %s", CPUIDVIRT_DEV, strerror(-ret));
		close(fd);
		return EXIT_FAIL;
	}
	state = st.fault_state;
	if (state == CPUIDVIRT_FAULT_UNVERIFIED && selftest) {
		printf("faulting: unverified, running the selftest\n");
		selftest_run(fd, true, &state);
		dev_status(fd, &st);
		state = st.fault_state;
	} else {
		printf("faulting: %s%s%s\n", fault_state_name(state),
		       *st.reason ? ": " : "", st.reason);
	}
	close(fd);
	if (state == CPUIDVIRT_FAULT_VERIFIED)
		return EXIT_OK;
	if (state == CPUIDVIRT_FAULT_UNVERIFIED)
		err_msg("CPUID faulting is unverified: run 'cpuidctl selftest' before applying profiles");
	else
		err_msg("CPUID faulting is %s on this machine: %s; profiles cannot be applied",
			fault_state_name(state), st.reason);
	return EXIT_NOFAULT;
}
