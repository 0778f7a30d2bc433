// SPDX-License-Identifier: GPL-2.0
/*
 * Rules without effect (see lint.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint.h"

struct lint {
	struct profile_warning *w;
	size_t n, max;
};

static void add(struct lint *l, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add(struct lint *l, int line, const char *fmt, ...)
{
	va_list ap;

	if (l->n < l->max) {
		l->w[l->n].line = line;
		va_start(ap, fmt);
		vsnprintf(l->w[l->n].msg, sizeof(l->w[l->n].msg), fmt, ap);
		va_end(ap);
	}
	l->n++;
}

/* What baseline and allow list together show of the extensions. */
static bool shown_by_lists(const struct profile *p, const struct cpu_feature *f)
{
	struct feature_set lvl;

	if (!p->baseline && !p->has_allow)
		return true;
	if (!(f->flags & FEAT_ISA) || (f->flags & FEAT_ALIAS))
		return true;
	if (fset_has(&p->allow, f))
		return true;
	if (!p->baseline)
		return false;
	x86_level_features(p->baseline, &lvl);
	return fset_has(&lvl, f);
}

static const char *lists_name(const struct profile *p, char *buf, size_t len)
{
	if (p->baseline)
		snprintf(buf, len, "baseline x86-64-v%d (line %d)%s", p->baseline,
			 p->baseline_line, p->has_allow ? " with its allow list" : "");
	else
		snprintf(buf, len, "the allow list");
	return buf;
}

/* Features the lists hide, and the masks other than @self, with their dependents. */
static void hidden_without(const struct profile *p, const struct cpu_feature *self,
			   struct feature_set *out)
{
	size_t i;

	fset_clear(out);
	for (i = 0; i < features_count(); i++) {
		const struct cpu_feature *f = feature_get(i);

		if (!shown_by_lists(p, f) || (f != self && fset_has(&p->mask, f)))
			fset_add(out, f);
	}
}

static void lint_masks(const struct profile *p, struct lint *l)
{
	const struct cpu_feature *f, *via;
	struct feature_set others;
	char buf[96];

	for (f = fset_next(&p->mask, NULL); f; f = fset_next(&p->mask, f)) {
		int line = p->mask_line[feature_index(f)];

		if (!shown_by_lists(p, f)) {
			add(l, line, "mask %s has no effect: %s hides it already",
			    f->name, lists_name(p, buf, sizeof(buf)));
			continue;
		}
		hidden_without(p, f, &others);
		via = feature_masked_via(f, &others);
		if (!via)
			continue;
		if (fset_has(&p->mask, via))
			add(l, line, "mask %s has no effect: it requires %s, which 'mask %s' (line %d) hides",
			    f->name, via->name, via->name, p->mask_line[feature_index(via)]);
		else
			add(l, line, "mask %s has no effect: it requires %s, which %s hides",
			    f->name, via->name, lists_name(p, buf, sizeof(buf)));
	}
}

static void lint_allow(const struct profile *p, struct lint *l)
{
	const struct cpu_feature *f, *via;
	struct feature_set lvl, hidden;
	size_t i;

	if (p->baseline)
		x86_level_features(p->baseline, &lvl);
	for (f = fset_next(&p->allow, NULL); f; f = fset_next(&p->allow, f)) {
		int line = p->allow_line[feature_index(f)];

		if (p->baseline && fset_has(&lvl, f)) {
			add(l, line, "allow %s has no effect: x86-64-v%d (line %d) includes it",
			    f->name, p->baseline, p->baseline_line);
			continue;
		}
		if (fset_has(&p->mask, f)) {
			add(l, line, "allow %s has no effect: 'mask %s' (line %d) hides it",
			    f->name, f->name, p->mask_line[feature_index(f)]);
			continue;
		}
		/* Shown by the lists, but hidden with a feature it requires? */
		fset_clear(&hidden);
		for (i = 0; i < features_count(); i++) {
			const struct cpu_feature *g = feature_get(i);

			if (!shown_by_lists(p, g) || fset_has(&p->mask, g))
				fset_add(&hidden, g);
		}
		via = feature_masked_via(f, &hidden);
		if (via && fset_has(&p->mask, via))
			add(l, line, "allow %s has no effect: it requires %s, which 'mask %s' (line %d) hides",
			    f->name, via->name, via->name, p->mask_line[feature_index(via)]);
		else if (via)
			add(l, line, "allow %s has no effect: it requires %s, which the profile hides (allow %s too)",
			    f->name, via->name, via->name);
	}
}

static int by_line(const void *a, const void *b)
{
	const struct profile_warning *x = a, *y = b;

	return (x->line > y->line) - (x->line < y->line);
}

size_t profile_warnings(const struct profile *p, struct profile_warning *w,
			size_t max)
{
	struct lint l = { w, 0, max };

	lint_masks(p, &l);
	lint_allow(p, &l);
	qsort(w, l.n < max ? l.n : max, sizeof(*w), by_line);
	return l.n;
}
