// SPDX-License-Identifier: GPL-2.0
/*
 * Output for scripts: escaped fields in line-oriented text, and the JSON
 * documents of --json (schema in docs/cpuidctl.md).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "cpuidctl.h"

/*
 * Space, backslash and control characters as \xHH, as systemd escapes
 * unit names: a field never splits a line or a word, and printf '%b'
 * gives the name back.
 */
void print_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if (c <= ' ' || c == '\\' || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

/* A document: {"schema": "cpuidctl.KIND/N", ...}. */
struct json_object *json_doc(const char *kind, int version)
{
	struct json_object *o = json_object_new_object();
	char schema[64];

	snprintf(schema, sizeof(schema), "cpuidctl.%s/%d", kind, version);
	json_object_object_add(o, "schema", json_object_new_string(schema));
	return o;
}

/* Print @o, one document and a newline, and drop it. */
int json_print(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		JSON_C_TO_STRING_NOSLASHESCAPE);
	int ret = EXIT_OK;

	if (!s || printf("%s\n", s) < 0) {
		err_msg("cannot write the JSON output");
		ret = EXIT_FAIL;
	}
	json_object_put(o);
	return ret;
}

static struct json_object *json_u64_or_null(bool set, uint64_t v)
{
	return set ? json_object_new_uint64(v) : NULL;
}

static struct json_object *json_list_entry(const struct cpuidvirt_list_entry *e)
{
	struct json_object *o = json_object_new_object();
	char name[CPUIDVIRT_NAME_LEN + 1], path[4096];
	bool found;

	memcpy(name, e->name, CPUIDVIRT_NAME_LEN);
	name[CPUIDVIRT_NAME_LEN] = '\0';
	found = !cgroup_id_to_path(e->cgroup_id, path, sizeof(path));
	json_object_object_add(o, "cgroup", found ? json_object_new_string(path) : NULL);
	json_object_object_add(o, "cgroup_id", json_object_new_uint64(e->cgroup_id));
	json_object_object_add(o, "profile", *name ? json_object_new_string(name) : NULL);
	json_object_object_add(o, "rules", json_object_new_uint64(e->nr_rules));
	json_object_object_add(o, "max_basic_leaf",
			       json_u64_or_null(e->flags & CPUIDVIRT_ATTACH_CLAMP_BASIC,
						e->max_basic_leaf));
	json_object_object_add(o, "max_ext_leaf",
			       json_u64_or_null(e->flags & CPUIDVIRT_ATTACH_CLAMP_EXT,
						e->max_ext_leaf));
	json_object_object_add(o, "emulated", json_object_new_uint64(e->emulated));
	json_object_object_add(o, "emulated_ns", json_object_new_uint64(e->emulated_ns));
	return o;
}

/* The entries of LIST, for 'status --json' and 'profile list --json'. */
struct json_object *json_list_entries(const struct cpuidvirt_list_entry *e, unsigned int nr)
{
	struct json_object *a = json_object_new_array();
	unsigned int i;

	for (i = 0; i < nr; i++)
		json_object_array_add(a, json_list_entry(&e[i]));
	return a;
}
