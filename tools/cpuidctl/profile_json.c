// SPDX-License-Identifier: GPL-2.0
/*
 * 'profile show --json' and 'explain --json': the documents
 * cpuidctl.profile-show/1 and cpuidctl.explain/1 (docs/cpuidctl.md).
 */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "cpuidctl.h"
#include "profile.h"
#include "rawbit.h"

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

/* Leaf, subleaf (null: the leaf has none), register, bit; into @o. */
static struct json_object *json_location(struct json_object *o, const struct cpu_feature *f)
{
	json_object_object_add(o, "leaf", json_object_new_int64(f->leaf));
	json_object_object_add(o, "subleaf", cpuid_leaf_has_subleaves(f->leaf) ?
			       json_object_new_int64(f->subleaf) : NULL);
	json_object_object_add(o, "register", json_object_new_string(cpuid_reg_name(f->reg)));
	json_object_object_add(o, "bit", json_object_new_int(f->bit));
	return o;
}

/* Names of @l[0..n), alias bits left out as in the text output. */
static struct json_object *json_names(const struct cpu_feature **l, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		if (!(l[i]->flags & FEAT_ALIAS))
			json_object_array_add(a, json_object_new_string(l[i]->name));
	return a;
}

static void json_add_feature(struct json_object *doc, const struct cpu_feature *f)
{
	const struct cpu_feature *list[1024], *g;
	struct json_object *o = json_object_new_object(), *aliases = json_object_new_array();
	struct feature_set closure;
	size_t n, i;

	json_object_object_add(o, "name", json_object_new_string(*f->name ? f->name : f->kname));
	json_object_object_add(o, "kernel_name", json_object_new_string(f->kname));
	json_object_object_add(o, "description", json_object_new_string(f->desc ? f->desc : ""));
	json_location(o, f);
	json_object_object_add(o, "os_state", json_object_new_boolean(f->flags & FEAT_OS));
	n = feature_required_by(f, list, ARRAY_SIZE(list));
	n = n < ARRAY_SIZE(list) ? n : ARRAY_SIZE(list);
	for (i = 0; i < n; i++)
		if ((list[i]->flags & FEAT_ALIAS) && !strcmp(list[i]->name, f->name))
			json_object_array_add(aliases, json_location(json_object_new_object(), list[i]));
	json_object_object_add(o, "aliases", aliases);
	json_object_object_add(doc, "feature", o);

	json_object_object_add(doc, "required_by", json_names(list, n));
	n = feature_requires(f, list, ARRAY_SIZE(list));
	json_object_object_add(doc, "requires", json_names(list, n < ARRAY_SIZE(list) ?
								 n : ARRAY_SIZE(list)));
	fset_clear(&closure);
	fset_add(&closure, f);
	fset_close_dependents(&closure);
	fset_del(&closure, f);
	n = 0;
	for (g = fset_next(&closure, NULL); g && n < ARRAY_SIZE(list); g = fset_next(&closure, g))
		list[n++] = g;
	json_object_object_add(doc, "also_masks", json_names(list, n));
}

static int feature_level(const struct cpu_feature *f)
{
	struct feature_set lvl;
	int level;

	for (level = 1; level <= X86_LEVEL_MAX; level++) {
		x86_level_features(level, &lvl);
		if (fset_has(&lvl, f))
			return level;
	}
	return 0;
}

/* {"input", "leaf", "subleaf", "register", "bit", "masks"}. */
static struct json_object *json_raw_bit(const char *arg, const struct cpuid_bit *b,
					const char *masks)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "input", json_object_new_string(arg));
	json_object_object_add(o, "leaf", json_object_new_int64(b->leaf));
	json_object_object_add(o, "subleaf", cpuid_leaf_has_subleaves(b->leaf) ?
			       json_object_new_int64(b->subleaf) : NULL);
	json_object_object_add(o, "register", json_object_new_string(cpuid_reg_name(b->reg)));
	json_object_object_add(o, "bit", json_object_new_int(b->bit));
	json_object_object_add(o, "masks", json_object_new_string(masks));
	return o;
}

int explain_json(const struct cpu_feature *f, const char *raw_arg,
		 const struct cpuid_bit *b, const struct cpu_feature *alias,
		 const char *against, const struct cpuid_dump *host,
		 const struct profile *p, const struct profile_compiled *c)
{
	struct json_object *doc = json_doc("explain", 1), *o = NULL;
	bool has = cpuid_dump_has(host, f);
	int level = feature_level(f);

	json_object_object_add(doc, "raw_bit", raw_arg ?
			       json_raw_bit(raw_arg, b, alias ? "this-copy" : "feature") : NULL);
	json_add_feature(doc, f);
	json_object_object_add(doc, "level", level ? json_object_new_int(level) : NULL);
	json_object_object_add(doc, "against", jstr_or_null(against));
	json_object_object_add(doc, "host_has", json_object_new_boolean(has));
	if (p) {
		char why[128] = "";
		enum mask_reason r = MR_NONE;

		if (!has)
			snprintf(why, sizeof(why), "the host does not have it");
		else if (fset_has(&c->hidden, f))
			r = profile_reason(p, c, f, why, sizeof(why));
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(c->name));
		json_object_object_add(o, "shows", json_object_new_boolean(has && !fset_has(&c->hidden, f)));
		json_object_object_add(o, "reason", jstr_or_null(mask_reason_token(r)));
		json_object_object_add(o, "why", json_object_new_string(why));
	}
	json_object_object_add(doc, "profile", o);
	return json_print(doc);
}

/* The bit in @d: true, false, or null when @d does not report the leaf. */
static struct json_object *json_bit_in(const struct cpuid_dump *d, const struct cpuid_bit *b)
{
	uint32_t r[CPUID_NR_REGS];

	if (!cpuid_dump_query(d, b->leaf, b->subleaf, r))
		return NULL;
	return json_object_new_boolean(r[b->reg] >> b->bit & 1);
}

/* A raw bit without a name: no feature, no dependencies, just the bit. */
int explain_unnamed_json(const char *arg, const struct cpuid_bit *b, const char *against,
			 const struct cpuid_dump *host, const struct profile_compiled *c)
{
	struct json_object *doc = json_doc("explain", 1), *o = NULL;
	struct cpuid_dump seen = CPUID_DUMP_INIT;
	int ret;

	json_object_object_add(doc, "raw_bit", json_raw_bit(arg, b, "this-bit"));
	json_object_object_add(doc, "feature", NULL);
	json_object_object_add(doc, "required_by", json_object_new_array());
	json_object_object_add(doc, "requires", json_object_new_array());
	json_object_object_add(doc, "also_masks", json_object_new_array());
	json_object_object_add(doc, "level", NULL);
	json_object_object_add(doc, "against", jstr_or_null(against));
	json_object_object_add(doc, "host_has", json_bit_in(host, b));
	if (c) {
		ret = profile_emulate(c, host, &seen);
		if (ret) {
			err_msg("emulating the profile: %s", strerror(-ret));
			json_object_put(doc);
			return EXIT_FAIL;
		}
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(c->name));
		json_object_object_add(o, "shows", json_bit_in(&seen, b));
		json_object_object_add(o, "reason", NULL);
		json_object_object_add(o, "why", json_object_new_string(""));
		cpuid_dump_free(&seen);
	}
	json_object_object_add(doc, "profile", o);
	return json_print(doc);
}
