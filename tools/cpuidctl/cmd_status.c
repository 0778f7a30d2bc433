// SPDX-License-Identifier: GPL-2.0
/*
 * cpuidctl status: is the module loaded, can this machine fault on CPUID,
 * which cgroups have profiles, and the counters.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cpuidctl.h"

const char *const status_help =
"Usage: cpuidctl status [--json]\n"
"\n"
"Shows whether the cpuidvirt module is loaded and its version, the state of\n"
"CPUID faulting on this machine with the module's reason (which names the\n"
"mechanism: \"Intel CPUID faulting (MSR 0x140)\", which KVM also offers to\n"
"guests of AMD CPUs, or \"AMD CpuidUserDis (HWCR bit 35)\"), every cgroup that\n"
"has a profile (path, profile name, rules, CPUIDs emulated for it) and the\n"
"global counters:\n"
"\n"
"  emulated        CPUID instructions answered from a profile\n"
"  emulated_ns     time spent doing so (average per CPUID in brackets),\n"
"                  estimated from one emulation in 16 per CPU and profile\n"
"  stale_repaired  CPUIDs of unmasked tasks that trapped on a stale enable\n"
"                  bit and were answered natively\n"
"  foreign         CPUID faults left to the kernel: tasks that asked for\n"
"                  faulting themselves (arch_prctl(ARCH_SET_CPUID)) get SIGSEGV\n"
"  self_armed      threads the module tracks as having asked for faulting\n"
"                  themselves (rr and similar tools); 0 on most machines\n""  real_cpuids     CPUID instructions the module executed itself (each one\n"
"                  is a VM exit in a VM); the module caches each CPU's\n"
"                  answers, so this stays far below emulated\n"
"\n"
"Faulting states:\n"
"  absent      the CPU offers no CPUID faulting the module can use (the reason\n"
"              says which mechanism is missing)\n"
"  lying       the CPU claims it but the enable bit does not stick, or CPUID\n"
"              does not trap (seen on some hypervisors): profiles cannot work\n"
"  unverified  the enable bit sticks; run 'cpuidctl selftest' to verify\n"
"  verified    every online CPU trapped in the selftest: profiles can be applied\n"
"\n"
"With --json, the same as one JSON document (schema cpuidctl.status/1, see\n"
"docs/cpuidctl.md); messages and exit status stay the same.\n"
"\n"
"Exit status: 0 if the module is loaded and faulting is verified, 3 if the\n"
"module is not loaded, 4 if faulting is absent, lying or unverified, 1 on\n"
"other errors.\n";

void print_profiles(const struct cpuidvirt_list_entry *e, unsigned int nr)
{
	char path[4096];
	unsigned int i;

	for (i = 0; i < nr; i++) {
		char name[CPUIDVIRT_NAME_LEN + 1];

		memcpy(name, e[i].name, CPUIDVIRT_NAME_LEN);
		name[CPUIDVIRT_NAME_LEN] = '\0';
		/* Escaped: a cgroup name with a newline must not add a line. */
		if (cgroup_id_to_path(e[i].cgroup_id, path, sizeof(path))) {
			printf("  id:%" PRIu64 " (removed cgroup)\n", (uint64_t)e[i].cgroup_id);
		} else {
			printf("  ");
			print_escaped(stdout, path);
			printf("\n");
		}
		printf("    profile: %s, %u rules", *name ? name : "(unnamed)", e[i].nr_rules);
		if (e[i].flags & CPUIDVIRT_ATTACH_CLAMP_BASIC)
			printf(", max basic leaf 0x%x", e[i].max_basic_leaf);
		if (e[i].flags & CPUIDVIRT_ATTACH_CLAMP_EXT)
			printf(", max extended leaf 0x%x", e[i].max_ext_leaf);
		printf("\n    emulated: %" PRIu64 " CPUIDs", (uint64_t)e[i].emulated);
		if (e[i].emulated)
			printf(" (%" PRIu64 " ns each)", (uint64_t)(e[i].emulated_ns / e[i].emulated));
		printf("\n    cgroup id: %" PRIu64 "\n", (uint64_t)e[i].cgroup_id);
	}
}

/* Stable names of the fault states, for --json. */
static const char *fault_state_token(unsigned int state)
{
	switch (state) {
	case CPUIDVIRT_FAULT_ABSENT:
		return "absent";
	case CPUIDVIRT_FAULT_LYING_NO_STICK:
		return "lying-no-stick";
	case CPUIDVIRT_FAULT_LYING_NO_TRAP:
		return "lying-no-trap";
	case CPUIDVIRT_FAULT_UNVERIFIED:
		return "unverified";
	case CPUIDVIRT_FAULT_VERIFIED:
		return "verified";
	}
	return "unknown";
}

static void json_add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static int print_json(const struct cpuidvirt_version *v, const struct cpuidvirt_status *st,
		      const struct cpuidvirt_list_entry *e, unsigned int nr)
{
	struct json_object *doc = json_doc("status", 1), *o;

	o = json_object_new_object();
	json_object_object_add(o, "loaded", json_object_new_boolean(1));
	json_object_object_add(o, "version", json_object_new_string(v->module_version));
	json_add_u64(o, "abi", v->api_version);
	json_object_object_add(doc, "module", o);
	o = json_object_new_object();
	json_object_object_add(o, "state", json_object_new_string(fault_state_token(st->fault_state)));
	json_object_object_add(o, "reason", json_object_new_string(st->reason));
	json_object_object_add(doc, "faulting", o);
	o = json_object_new_object();
	json_add_u64(o, "online", st->nr_cpus_online);
	json_add_u64(o, "verified", st->nr_cpus_verified);
	json_object_object_add(doc, "cpus", o);
	o = json_object_new_object();
	json_add_u64(o, "emulated", st->emulated);
	json_add_u64(o, "emulated_ns", st->emulated_ns);
	json_add_u64(o, "stale_repaired", st->stale_repaired);
	json_add_u64(o, "foreign", st->foreign);
	json_add_u64(o, "self_armed", st->nr_self_armed);
	json_add_u64(o, "real_cpuids", st->real_cpuids);
	json_object_object_add(doc, "counters", o);
	json_object_object_add(doc, "profiles", json_list_entries(e, nr));
	return json_print(doc);
}

static void print_text(const struct cpuidvirt_version *v, const struct cpuidvirt_status *st,
		       const struct cpuidvirt_list_entry *e, unsigned int nr)
{
	printf("module: loaded, version %s, ABI %u\n", v->module_version, v->api_version);
	printf("faulting: %s", fault_state_name(st->fault_state));
	if (*st->reason)
		printf(": %s", st->reason);
	printf("\n");
	printf("cpus: %u online, %u verified\n", st->nr_cpus_online, st->nr_cpus_verified);
	if (st->fault_state == CPUIDVIRT_FAULT_UNVERIFIED)
		printf("hint: run 'cpuidctl selftest' to verify CPUID faulting on every CPU\n");
	printf("counters: emulated %" PRIu64 ", emulated_ns %" PRIu64,
	       (uint64_t)st->emulated, (uint64_t)st->emulated_ns);
	if (st->emulated)
		printf(" [%" PRIu64 " ns each]", (uint64_t)(st->emulated_ns / st->emulated));
	printf(", stale_repaired %" PRIu64 ", foreign %" PRIu64 ", self_armed %" PRIu64
	       ", real_cpuids %" PRIu64 "\n",
	       (uint64_t)st->stale_repaired, (uint64_t)st->foreign,
	       (uint64_t)st->nr_self_armed, (uint64_t)st->real_cpuids);
	printf("profiles: %u\n", st->nr_profiles);
	print_profiles(e, nr);
}

static int not_loaded(bool json)
{
	if (json) {
		struct json_object *doc = json_doc("status", 1), *o = json_object_new_object();

		json_object_object_add(o, "loaded", json_object_new_boolean(0));
		json_object_object_add(doc, "module", o);
		json_print(doc);
	} else {
		printf("module: not loaded\n");
	}
	err_msg("the cpuidvirt module is not loaded; run 'cpuidctl load'");
	return EXIT_NOMODULE;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct cpuidvirt_version v;
	struct cpuidvirt_status st;
	struct cpuidvirt_list_entry *e = NULL;
	unsigned int nr = 0;
	bool json = false;
	int ch, fd, ret;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		if (ch == 'j')
			json = true;
		else
			return opt_error("status", ch, argv);
	}
	if (optind < argc)
		return usage_error("status", "unexpected argument '%s'", argv[optind]);

	if (access(CPUIDVIRT_DEV, F_OK) && !module_loaded())
		return not_loaded(json);
	fd = dev_open();
	if (fd < 0)
		return -fd;
	dev_version(fd, &v);
	v.module_version[sizeof(v.module_version) - 1] = '\0';
	ret = dev_status(fd, &st);
	if (ret) {
		err_msg("%s: STATUS: %s", CPUIDVIRT_DEV, strerror(-ret));
		close(fd);
		return EXIT_FAIL;
	}
	/* Everything is read before anything is printed: no half document. */
	ret = dev_list(fd, &e, &nr);
	close(fd);
	if (ret) {
		err_msg("%s: LIST: %s", CPUIDVIRT_DEV, strerror(-ret));
		return EXIT_FAIL;
	}
	if (json) {
		ret = print_json(&v, &st, e, nr);
	} else {
		print_text(&v, &st, e, nr);
		ret = EXIT_OK;
	}
	free(e);
	return ret ? ret : fault_state_exit(st.fault_state);
}
