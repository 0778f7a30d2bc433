// SPDX-License-Identifier: GPL-2.0
/*
 * The pure parts of 'cpuidctl oci-hook' (see oci_hook.h): no I/O, no exit,
 * so that unit tests can link this file alone (with json-c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strchrnul, also when built into the unit tests */
#endif
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "oci_hook.h"

static int set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Copy an optional string member; -EINVAL if present but not a fitting string. */
static int get_string(struct json_object *obj, const char *key, char *out,
		      size_t len, bool *present, const char *what, char *err,
		      size_t errlen)
{
	struct json_object *v;
	const char *s;

	if (present)
		*present = false;
	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return set_err(err, errlen, "%s: '%s' is not a string", what, key);
	s = json_object_get_string(v);
	if (strlen(s) >= len)
		return set_err(err, errlen, "%s: '%s' is too long (%zu bytes, at most %zu)",
			       what, key, strlen(s), len - 1);
	strcpy(out, s);
	if (present)
		*present = true;
	return 0;
}

static int parse_annotations(struct json_object *ann, struct oci_state *s,
			     const char *what, char *err, size_t errlen)
{
	int ret;

	if (!json_object_is_type(ann, json_type_object))
		return set_err(err, errlen, "%s: 'annotations' is not an object", what);
	s->has_annotations = true;
	ret = get_string(ann, OCI_ANN_PROFILE, s->profile, sizeof(s->profile),
			 &s->has_profile, what, err, errlen);
	if (ret)
		return ret;
	return get_string(ann, OCI_ANN_ALLOW_UNMASKED, s->allow, sizeof(s->allow),
			  &s->has_allow, what, err, errlen);
}

static struct json_object *parse_object(const char *json, const char *what,
					char *err, size_t errlen)
{
	enum json_tokener_error jerr;
	struct json_object *root;

	root = json_tokener_parse_verbose(json, &jerr);
	if (!root) {
		set_err(err, errlen, "%s: invalid JSON: %s", what,
			json_tokener_error_desc(jerr));
		return NULL;
	}
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		set_err(err, errlen, "%s: not a JSON object", what);
		return NULL;
	}
	return root;
}

int oci_state_parse(const char *json, struct oci_state *s, char *err,
		    size_t errlen)
{
	static const char what[] = "state JSON";
	struct json_object *root, *v;
	bool present;
	int ret;

	memset(s, 0, sizeof(*s));
	root = parse_object(json, what, err, errlen);
	if (!root)
		return -EINVAL;

	ret = get_string(root, "ociVersion", s->oci_version, sizeof(s->oci_version),
			 &present, what, err, errlen);
	if (!ret && !present)
		ret = set_err(err, errlen, "%s: 'ociVersion' is missing (is this an OCI runtime state?)", what);
	if (!ret)
		ret = get_string(root, "id", s->id, sizeof(s->id), &present, what, err, errlen);
	if (!ret && !present)
		ret = set_err(err, errlen, "%s: 'id' is missing", what);
	if (!ret && !oci_name_valid(s->id))
		ret = set_err(err, errlen, "%s: container id '%s' is not a valid OCI id ([A-Za-z0-9_.+-], not starting with '.')",
			      what, s->id);
	if (!ret)
		ret = get_string(root, "status", s->status, sizeof(s->status), &present,
				 what, err, errlen);
	if (!ret && !present)
		ret = set_err(err, errlen, "%s: 'status' is missing", what);
	if (!ret)
		ret = get_string(root, "bundle", s->bundle, sizeof(s->bundle), NULL,
				 what, err, errlen);
	if (!ret && json_object_object_get_ex(root, "pid", &v)) {
		int64_t pid;

		if (!json_object_is_type(v, json_type_int))
			ret = set_err(err, errlen, "%s: 'pid' is not an integer", what);
		else if ((pid = json_object_get_int64(v)) < 0 || pid > INT_MAX)
			ret = set_err(err, errlen, "%s: 'pid' %lld is out of range", what,
				      (long long)pid);
		else
			s->pid = (int)pid;
	}
	if (!ret && json_object_object_get_ex(root, "annotations", &v))
		ret = parse_annotations(v, s, "state JSON annotations", err, errlen);
	json_object_put(root);
	return ret;
}

int oci_config_annotations(const char *json, struct oci_state *s, char *err,
			   size_t errlen)
{
	static const char what[] = "config.json";
	struct json_object *root, *v;
	int ret = 0;

	root = parse_object(json, what, err, errlen);
	if (!root)
		return -EINVAL;
	if (json_object_object_get_ex(root, "annotations", &v))
		ret = parse_annotations(v, s, "config.json annotations", err, errlen);
	json_object_put(root);
	return ret;
}

int oci_proc_cgroup_path(const char *text, char *path, size_t len)
{
	const char *line = text, *end;
	size_t n;

	for (; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		/* cgroup v2 is hierarchy 0 with no controllers: "0::/path". */
		if (strncmp(line, "0::/", 4))
			continue;
		n = end - (line + 3);
		if (n >= len)
			return -ENAMETOOLONG;
		memcpy(path, line + 3, n);
		path[n] = '\0';
		return 0;
	}
	return -ENOENT;
}

bool oci_name_valid(const char *name)
{
	size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-");

	return n > 0 && n <= OCI_ID_MAX && !name[n] && name[0] != '.';
}

int oci_allow_unmasked(const struct oci_state *s)
{
	if (!s->has_allow || !strcmp(s->allow, "false"))
		return 0;
	if (!strcmp(s->allow, "true"))
		return 1;
	return -EINVAL;
}
