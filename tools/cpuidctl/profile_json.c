// SPDX-License-Identifier: GPL-2.0
/*
 * 'profile show --json' and 'explain --json': the documents
 * cpuidctl.profile-show/1 and cpuidctl.explain/1 (docs/cpuidctl.md).
 */
#include <stdio.h>
#include <json-c/json.h>

#include "cpuidctl.h"
#include "profile.h"

/* Stable names of enum mask_reason; the text labels may change. */
static const char *mask_reason_token(enum mask_reason r)
{
	switch (r) {
	case MR_NONE: return NULL;
	case MR_PROFILE: return "mask";
	case MR_DEPENDENCY: return "dependency";
	case MR_BASELINE: return "baseline";
	case MR_ALLOWLIST: return "allow-list";
	case MR_RAW: return "raw-bit";
	case MR_XSAVEAREA: return "xsavearea";
	case MR_CLAMP: return "leaf-clamp";
	}
	return "unknown";
}

static struct json_object *jstr_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *json_rule(const struct cpuidvirt_rule *r)
{
	struct json_object *o = json_object_new_object(), *regs = json_object_new_object();
	int reg;

	json_object_object_add(o, "leaf", json_object_new_int64(r->leaf));
	json_object_object_add(o, "subleaf", r->flags & CPUIDVIRT_RULE_ANY_SUBLEAF ?
			       NULL : json_object_new_int64(r->subleaf));
	for (reg = 0; reg < CPUID_NR_REGS; reg++) {
		struct json_object *v = json_object_new_object();

		json_object_object_add(v, "and", json_object_new_int64(r->and[reg]));
		json_object_object_add(v, "or", json_object_new_int64(r->or[reg]));
		json_object_object_add(regs, cpuid_reg_name(reg), v);
	}
	json_object_object_add(o, "regs", regs);
	return o;
}

/* The compiled profile: name, rules, clamps. */
static void json_add_compiled(struct json_object *doc, const struct profile *p,
			      const struct profile_compiled *c)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	unsigned int i;

	json_object_object_add(o, "name", json_object_new_string(c->name[0] ? c->name : p->name));
	json_object_object_add(o, "source", json_object_new_string(p->source));
	for (i = 0; i < c->nr_rules; i++)
		json_object_array_add(a, json_rule(&c->rules[i]));
	json_object_object_add(o, "rules", a);
	json_object_object_add(o, "max_basic_leaf", c->attach_flags & CPUIDVIRT_ATTACH_CLAMP_BASIC ?
			       json_object_new_int64(c->max_basic_leaf) : NULL);
	json_object_object_add(o, "max_ext_leaf", c->attach_flags & CPUIDVIRT_ATTACH_CLAMP_EXT ?
			       json_object_new_int64(c->max_ext_leaf) : NULL);
	json_object_object_add(doc, "profile", o);
}

static int dump_level(const struct cpuid_dump *d)
{
	struct feature_set fs;

	fset_clear(&fs);
	cpuid_dump_features(d, &fs);
	return x86_level_of(&fs, NULL);
}

int profile_show_json(const struct profile *p, const struct profile_compiled *c,
		      const char *against, const struct cpuid_dump *host,
		      const struct cpuid_dump *seen, const struct feature_cmp *cmp,
		      size_t n, bool diff_only)
{
	struct json_object *doc = json_doc("profile-show", 1), *a = json_object_new_array();
	size_t i, ndiff = 0;

	json_add_compiled(doc, p, c);
	json_object_object_add(doc, "against", jstr_or_null(against));
	json_object_object_add(doc, "host_level", json_object_new_int(dump_level(host)));
	json_object_object_add(doc, "presented_level", json_object_new_int(dump_level(seen)));
	for (i = 0; i < n; i++) {
		struct json_object *o;

		ndiff += cmp[i].host != cmp[i].presented;
		if (diff_only && cmp[i].host == cmp[i].presented)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(cmp[i].f->name));
		json_object_object_add(o, "host", json_object_new_boolean(cmp[i].host));
		json_object_object_add(o, "presented", json_object_new_boolean(cmp[i].presented));
		json_object_object_add(o, "reason", jstr_or_null(mask_reason_token(cmp[i].reason)));
		json_object_object_add(o, "why", json_object_new_string(cmp[i].why));
		json_object_array_add(a, o);
	}
	json_object_object_add(doc, "features", a);
	json_object_object_add(doc, "differ", json_object_new_int64(ndiff));
	return json_print(doc);
}
