// SPDX-License-Identifier: GPL-2.0
/*
 * The step 'profile apply', 'run' and the OCI hook share: compile a
 * profile against this host, then attach it to a cgroup (and detach it
 * again). What an ATTACH errno means is in attach_errno.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "attach.h"
#include "cpuidctl.h"
#include "lint.h"
#include "profile.h"

/*
 * Compile @p against @against (this host when NULL). Returns an exit code
 * after printing why; a compile error is prefixed "profile @what: " unless
 * @what is NULL (the diagnostic names the file:line already).
 */
int profile_compile_against(struct profile *p, const struct cpuid_dump *against,
			    struct profile_compiled *c, const char *what)
{
	struct cpuid_dump host = CPUID_DUMP_INIT;
	struct diag diag;
	int ret;

	diag_clear(&diag);
	if (!against) {
		ret = cpuid_dump_read_host(&host, -1, &diag);
		if (ret) {
			err_msg("reading this host's CPUID: %s", *diag.msg ? diag.msg : strerror(-ret));
			return EXIT_FAIL;
		}
		against = &host;
	}
	diag_clear(&diag);
	memset(c, 0, sizeof(*c));
	ret = profile_compile(p, against, c, &diag);
	cpuid_dump_free(&host);
	if (ret) {
		if (what)
			err_msg("profile %s: %s", what, *diag.msg ? diag.msg : strerror(-ret));
		else
			err_msg("%s", *diag.msg ? diag.msg : strerror(-ret));
		return EXIT_PROFILE;
	}
	return EXIT_OK;
}

/*
 * Rules that change nothing are not errors, but the file misleads its
 * reader: say so on stderr, exit status unchanged.
 */
void profile_warn(const struct profile *p)
{
	struct profile_warning w[32];
	size_t i, n = profile_warnings(p, w, ARRAY_SIZE(w));

	for (i = 0; i < n && i < ARRAY_SIZE(w); i++)
		err_msg("warning: %s:%d: %s", p->source, w[i].line, w[i].msg);
	if (n > ARRAY_SIZE(w))
		err_msg("warning: %s: %zu more rules without effect", p->source,
			n - ARRAY_SIZE(w));
}

/*
 * Parse and compile @spec against @against (the host when NULL). Returns
 * an exit code after printing the "file:line: message".
 */
int profile_prepare(const char *spec, const struct cpuid_dump *against,
		    struct profile *p, struct profile_compiled *c)
{
	struct diag diag;
	int ret;

	diag_clear(&diag);
	profile_init(p);
	ret = profile_load(p, spec, &diag);
	if (ret) {
		err_msg("%s", *diag.msg ? diag.msg : strerror(-ret));
		return EXIT_PROFILE;
	}
	ret = profile_compile_against(p, against, c, NULL);
	if (!ret)
		profile_warn(p);
	return ret;
}

/*
 * The ATTACH ioctl alone, for 'profile apply', 'run' and the OCI hook:
 * 0 or -errno. @flags are added to the profile's own; @fallback names the
 * profile in LIST when the compiled profile has no name (NULL: none).
 */
int profile_attach_ioctl(int devfd, const struct profile_compiled *c, int cgfd,
			 unsigned int flags, const char *fallback)
{
	struct cpuidvirt_attach a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = c->attach_flags | flags;
	a.cgroup_fd = cgfd;
	a.nr_rules = c->nr_rules;
	a.max_basic_leaf = c->max_basic_leaf;
	a.max_ext_leaf = c->max_ext_leaf;
	a.rules = (uintptr_t)c->rules;
	/* LIST shows at most CPUIDVIRT_NAME_LEN - 1 characters of it. */
	snprintf(a.name, sizeof(a.name), "%.*s", (int)sizeof(a.name) - 1,
		 *c->name || !fallback ? c->name : fallback);
	return ioctl(devfd, CPUIDVIRT_IOC_ATTACH, &a) ? -errno : 0;
}

/* Why ATTACH failed, in words; the exit code comes from attach_errno(). */
static void attach_explain(int devfd, const struct profile_compiled *c,
			   const char *cgpath, int e)
{
	struct cpuidvirt_status st;

	switch (e) {
	case EOPNOTSUPP:
		if (dev_status(devfd, &st)) {
			err_msg("cannot apply to %s: CPUID faulting is not usable on this machine", cgpath);
		} else if (st.fault_state == CPUIDVIRT_FAULT_UNVERIFIED) {
			err_msg("cannot apply to %s: CPUID faulting is unverified: run 'cpuidctl selftest' first",
				cgpath);
		} else {
			err_msg("cannot apply to %s: CPUID faulting is %s: %s",
				cgpath, fault_state_name(st.fault_state), st.reason);
			err_msg("profiles cannot work on this machine: it needs a CPU or hypervisor with working CPUID faulting (Intel since Ivy Bridge, AMD with CpuidUserDis, KVM guests of any CPU vendor)");
		}
		break;
	case EBADF:
		err_msg("cgroup %s: not a cgroup v2 directory (is it under the cgroup2 mount %s?)",
			cgpath, cgroup2_root());
		break;
	case EEXIST:
		err_msg("cgroup %s already has a profile: drop --no-replace to replace it, or 'cpuidctl profile remove %s'",
			cgpath, cgpath);
		break;
	case ENOSPC:
		err_msg("%d profiles are attached already, the module's limit: remove unused ones ('cpuidctl profile list')",
			CPUIDVIRT_MAX_PROFILES);
		break;
	case EPERM:
		err_msg("%s: ATTACH: %s: needs CAP_SYS_ADMIN in the initial user namespace (run as root on the host, not in a container)",
			CPUIDVIRT_DEV, strerror(e));
		break;
	default:
		if (attach_errno(e)->cause)
			err_msg("%s: ATTACH profile %s to %s: %s: %s", CPUIDVIRT_DEV,
				c->name, cgpath, strerror(e), attach_errno(e)->cause);
		else
			err_msg("%s: ATTACH to %s: %s", CPUIDVIRT_DEV, cgpath, strerror(e));
	}
}

/* ATTACH with every documented errno turned into cause and fix. */
int profile_attach(int devfd, const struct profile_compiled *c, int cgfd,
		   const char *cgpath, bool replace)
{
	int e;

	e = -profile_attach_ioctl(devfd, c, cgfd,
				  replace ? CPUIDVIRT_ATTACH_REPLACE : 0, NULL);
	if (!e)
		return EXIT_OK;
	attach_explain(devfd, c, cgpath, e);
	return attach_errno(e)->exit;
}

int profile_detach_id(int devfd, uint64_t id)
{
	struct cpuidvirt_detach d;

	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.flags = CPUIDVIRT_DETACH_BY_ID;
	d.cgroup_id = id;
	return ioctl(devfd, CPUIDVIRT_IOC_DETACH, &d) ? -errno : 0;
}

