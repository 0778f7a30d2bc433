/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pure parts of 'cpuidctl oci-hook' (cmd_oci_hook.c), separate so that
 * unit tests can call them: the OCI state JSON, a bundle's config.json
 * annotations, /proc/<pid>/cgroup and the names that become file names.
 */
#ifndef CPUIDCTL_OCI_HOOK_H
#define CPUIDCTL_OCI_HOOK_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define OCI_ANN_PROFILE		"io.cpuidvirt.profile"
#define OCI_ANN_ALLOW_UNMASKED	"io.cpuidvirt.allow-unmasked"
#define OCI_ID_MAX		255
#define OCI_ERR_LEN		256

/* What the hook needs from the state (runtime-spec runtime.md#state). */
struct oci_state {
	char oci_version[64];
	char id[OCI_ID_MAX + 1];
	char status[32];
	int pid;			/* 0 when absent (e.g. stopped) */
	char bundle[PATH_MAX];		/* "" when absent */
	bool has_annotations;		/* the state carried an annotations map */
	bool has_profile;
	char profile[256];		/* io.cpuidvirt.profile */
	bool has_allow;
	char allow[16];			/* io.cpuidvirt.allow-unmasked, raw */
};

/*
 * Parse the state JSON from the runtime. Returns 0, or -EINVAL with a
 * message in @err ("state JSON: 'id' is missing", ...).
 */
int oci_state_parse(const char *json, struct oci_state *s, char *err,
		    size_t errlen);

/*
 * Take the cpuidvirt annotations from a bundle's config.json, for runtimes
 * whose state JSON has no annotations member. Same return convention.
 */
int oci_config_annotations(const char *json, struct oci_state *s, char *err,
			   size_t errlen);

/*
 * Find the cgroup v2 entry ("0::/path") in the text of /proc/<pid>/cgroup
 * and copy the path (always starting with '/'). -ENOENT if there is none
 * (cgroup v1 only), -ENAMETOOLONG if it does not fit.
 */
int oci_proc_cgroup_path(const char *text, char *path, size_t len);

/*
 * A container id or profile name that is safe as one file name component:
 * 1..255 characters of [A-Za-z0-9_.+-], not starting with '.'.
 */
bool oci_name_valid(const char *name);

/*
 * io.cpuidvirt.allow-unmasked: 1 for "true", 0 for "false" or absent,
 * -EINVAL for anything else (a typo must not silently mean "false").
 */
int oci_allow_unmasked(const struct oci_state *s);

#endif
