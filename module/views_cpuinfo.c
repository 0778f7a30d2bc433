// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/cpuinfo as a profiled task's CPUID presents it. A kretprobe on
 * show_cpuinfo() (arch/x86/kernel/cpu/proc.c, the seq_file's ->show, one
 * record per CPU) remembers where the record starts in the seq_file's
 * buffer and, when the reader is in a profile, edits the record in place
 * after the kernel wrote it:
 *   flags        every flag whose CPUID bit the profile presents clear is
 *                removed (flags never grow: a bit the kernel does not
 *                list stays unlisted);
 *   cpu family, model, stepping   from the profile's leaf 1 EAX, when it
 *                differs from the CPU's; model name from its 0x80000002-4;
 *   cpuid level  the profile's leaf 0 EAX, when it differs.
 * Everything else is the kernel's bytes. A record that would no longer fit
 * marks the buffer overflowed, as seq_printf() does, so seq_read() retries
 * with a bigger buffer. Readers outside profiles pay one check: the entry
 * handler returns at once and no return probe is armed.
 */

#include <linux/kprobes.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include <asm/processor.h>

#include "internal.h"

/* x86_cap_flags[] is not exported: the names, from the same header. */
static const char * const cv_cap_names[NCAPINTS * 32] = {
#include "capnames.inc"
};

/*
 * The capability words the kernel copies from a CPUID register as is
 * (enum cpuid_leafs). The Linux-defined and scattered words keep the
 * kernel's view: they are not one register.
 */
static const struct {
	u16 word;
	u8 reg;
	u8 subleaf;
	u32 leaf;
} cv_cap_words[] = {
	{ CPUID_1_EDX, CPUIDVIRT_EDX, 0, 0x1 },
	{ CPUID_8000_0001_EDX, CPUIDVIRT_EDX, 0, 0x80000001 },
	{ CPUID_1_ECX, CPUIDVIRT_ECX, 0, 0x1 },
	{ CPUID_8000_0001_ECX, CPUIDVIRT_ECX, 0, 0x80000001 },
	{ CPUID_7_0_EBX, CPUIDVIRT_EBX, 0, 0x7 },
	{ CPUID_D_1_EAX, CPUIDVIRT_EAX, 1, 0xd },
	{ CPUID_7_1_EAX, CPUIDVIRT_EAX, 1, 0x7 },
	{ CPUID_8000_0008_EBX, CPUIDVIRT_EBX, 0, 0x80000008 },
	{ CPUID_6_EAX, CPUIDVIRT_EAX, 0, 0x6 },
	{ CPUID_8000_000A_EDX, CPUIDVIRT_EDX, 0, 0x8000000a },
	{ CPUID_7_ECX, CPUIDVIRT_ECX, 0, 0x7 },
	{ CPUID_8000_0007_EBX, CPUIDVIRT_EBX, 0, 0x80000007 },
	{ CPUID_7_EDX, CPUIDVIRT_EDX, 0, 0x7 },
	{ CPUID_8000_001F_EAX, CPUIDVIRT_EAX, 0, 0x8000001f },
	{ CPUID_8000_0021_EAX, CPUIDVIRT_EAX, 0, 0x80000021 },
};

#define CV_CI_MAX_DROP	(ARRAY_SIZE(cv_cap_words) * 32)

/* The names to drop from the record being edited (preemption is off). */
struct cv_ci_drop {
	const char *name[CV_CI_MAX_DROP];
};

static DEFINE_PER_CPU(struct cv_ci_drop, cv_ci_drop);

struct cv_ci_data {
	struct seq_file *m;
	struct cpuinfo_x86 *c;
	size_t start;
};

/* Replace buf[from, to) with s; false when it no longer fits. */
static bool cv_ci_replace(struct seq_file *m, size_t from, size_t to,
			  const char *s, size_t len)
{
	size_t count = m->count - (to - from) + len;

	if (count >= m->size)
		return false;
	memmove(m->buf + from + len, m->buf + to, m->count - to);
	memcpy(m->buf + from, s, len);
	m->count = count;
	return true;
}

/* Is the word w, len bytes at s, one of the n names in drop? */
static bool cv_ci_dropped(const char **drop, unsigned int n, const char *s,
			  size_t len)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strncmp(drop[i], s, len) && !drop[i][len])
			return true;
	return false;
}

/* Filter the flags after buf[from] up to the newline at to; new end. */
static size_t cv_ci_flags(struct seq_file *m, size_t from, size_t to,
			  const char **drop, unsigned int n)
{
	size_t r = from, w = from, end, len;

	while (r < to) {
		/* Each flag is " name". */
		end = r + 1;
		while (end < to && m->buf[end] != ' ')
			end++;
		len = end - r;
		if (!cv_ci_dropped(drop, n, m->buf + r + 1, len - 1)) {
			memmove(m->buf + w, m->buf + r, len);
			w += len;
		}
		r = end;
	}
	memmove(m->buf + w, m->buf + to, m->count - to);
	m->count -= to - w;
	return w;
}

/* What the profile changes, computed once per record. */
struct cv_ci_view {
	bool level, sig, brand;
	u32 level_v, sig_v;
	char brand_v[49];
	unsigned int ndrop;
};

static void cv_ci_compute(const struct cv_rules *r, struct cpuinfo_x86 *c,
			  struct cv_ci_view *v, const char **drop)
{
	u32 p[CPUIDVIRT_NR_REGS], n[CPUIDVIRT_NR_REGS], sub7 = 0;
	char *s = v->brand_v;
	unsigned int i, b, f;
	u32 leaf;

	memset(v, 0, sizeof(*v));
	cv_rules_apply(r, 0, 0, p);
	cv_cpuid(0, 0, n);
	v->level = p[CPUIDVIRT_EAX] != n[CPUIDVIRT_EAX];
	v->level_v = p[CPUIDVIRT_EAX];
	cv_view_cpuid(r, 1, 0, p);
	cv_cpuid(1, 0, n);
	v->sig = p[CPUIDVIRT_EAX] != n[CPUIDVIRT_EAX];
	v->sig_v = p[CPUIDVIRT_EAX];
	cv_view_cpuid(r, 0x80000000, 0, p);
	if (p[CPUIDVIRT_EAX] >= 0x80000004) {
		for (leaf = 0x80000002; leaf <= 0x80000004; leaf++) {
			cv_rules_apply(r, leaf, 0, p);
			cv_cpuid(leaf, 0, n);
			v->brand |= memcmp(p, n, sizeof(p)) != 0;
			memcpy(v->brand_v + (leaf - 0x80000002) * 16, p, 16);
		}
		/* The kernel skips leading spaces (get_model_name()). */
		while (*s == ' ')
			s++;
		memmove(v->brand_v, s, strlen(s) + 1);
	}
	cv_view_cpuid(r, 7, 0, p);
	sub7 = p[CPUIDVIRT_EAX];
	for (i = 0; i < ARRAY_SIZE(cv_cap_words); i++) {
		/* The kernel reads 7.1 only when 7.0 EAX says it exists. */
		if (cv_cap_words[i].leaf == 7 && cv_cap_words[i].subleaf > sub7)
			memset(p, 0, sizeof(p));
		else
			cv_view_cpuid(r, cv_cap_words[i].leaf,
				      cv_cap_words[i].subleaf, p);
		for (b = 0; b < 32; b++) {
			f = cv_cap_words[i].word * 32 + b;
			if (!(p[cv_cap_words[i].reg] & BIT(b)) &&
			    cpu_has(c, f) && cv_cap_names[f])
				drop[v->ndrop++] = cv_cap_names[f];
		}
	}
}

static unsigned int cv_family(u32 sig)
{
	unsigned int x = (sig >> 8) & 0xf;

	return x == 0xf ? x + ((sig >> 20) & 0xff) : x;
}

static unsigned int cv_model(u32 sig)
{
	unsigned int m = (sig >> 4) & 0xf;

	return cv_family(sig) >= 6 ? m + (((sig >> 16) & 0xf) << 4) : m;
}

/* The new value of a "key\t...: value" line, NULL to keep it. */
static const char *cv_ci_value(const struct cv_ci_view *v, const char *key,
			       size_t klen, char *tmp, size_t size)
{
#define KEY(k) (klen == sizeof(k) - 1 && !memcmp(key, k, klen))
	if (v->sig && KEY("cpu family"))
		snprintf(tmp, size, "%u", cv_family(v->sig_v));
	else if (v->sig && KEY("model"))
		snprintf(tmp, size, "%u", cv_model(v->sig_v));
	else if (v->sig && KEY("stepping"))
		snprintf(tmp, size, "%u", v->sig_v & 0xf);
	else if (v->brand && KEY("model name"))
		return v->brand_v[0] ? v->brand_v : "unknown";
	else if (v->level && KEY("cpuid level"))
		snprintf(tmp, size, "%u", v->level_v);
	else
		return NULL;
	return tmp;
#undef KEY
}

/* Edit the record at buf[start, count); false when it overflowed. */
static bool cv_ci_edit(struct seq_file *m, size_t start,
		       const struct cv_ci_view *v, const char **drop)
{
	size_t pos = start, eol, k, val;
	const char *nv;
	char tmp[16];
	char *nl;

	while (pos < m->count) {
		nl = memchr(m->buf + pos, '\n', m->count - pos);
		if (!nl)
			break;
		eol = nl - m->buf;
		for (k = pos; k < eol && m->buf[k] != '\t' && m->buf[k] != ':'; k++)
			;
		nl = memchr(m->buf + k, ':', eol - k);
		if (!nl) {
			pos = eol + 1;
			continue;
		}
		val = nl - m->buf + 1;
		if (k - pos == 5 && !memcmp(m->buf + pos, "flags", 5)) {
			eol = cv_ci_flags(m, val, eol, drop, v->ndrop);
		} else {
			nv = cv_ci_value(v, m->buf + pos, k - pos, tmp, sizeof(tmp));
			/* "key\t: value": the value starts after ": ". */
			if (nv && val < eol && m->buf[val] == ' ') {
				if (!cv_ci_replace(m, val + 1, eol, nv, strlen(nv)))
					return false;
				eol = val + 1 + strlen(nv);
			}
		}
		pos = eol + 1;
	}
	return true;
}

static int cv_ci_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cv_ci_data *d = (struct cv_ci_data *)ri->data;

	/* Outside profiles: no return probe, the kernel's bytes. */
	if (!cv_views_on() || !cv_profile_of_current())
		return 1;
	d->m = (struct seq_file *)regs_get_kernel_argument(regs, 0);
	d->c = (struct cpuinfo_x86 *)regs_get_kernel_argument(regs, 1);
	d->start = d->m->count;
	return 0;
}

static int cv_ci_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cv_ci_data *d = (struct cv_ci_data *)ri->data;
	struct seq_file *m = d->m;
	struct cv_ci_view v;
	struct cv_profile *p;

	/* Overflowed or failed: seq_read() retries or drops the record. */
	if (regs_return_value(regs) || m->count >= m->size ||
	    d->start > m->count)
		return 0;
	preempt_disable();
	rcu_read_lock();
	/* Detached meanwhile: the record stays the kernel's, whole. */
	p = cv_profile_of_current();
	if (p) {
		const char **drop = this_cpu_ptr(&cv_ci_drop)->name;

		cv_ci_compute(rcu_dereference(p->rules), d->c, &v, drop);
		if (!cv_ci_edit(m, d->start, &v, drop))
			m->count = m->size;
	}
	rcu_read_unlock();
	preempt_enable();
	return 0;
}

/*
 * Instances: one per reader inside show_cpuinfo() at once. A reader that
 * finds none left would get the kernel's record, so there are plenty
 * (the kernel counts misses in nmissed, reported at unload).
 */
static struct kretprobe cv_ci_krp = {
	.kp.symbol_name = "show_cpuinfo",
	.entry_handler = cv_ci_entry,
	.handler = cv_ci_ret,
	.data_size = sizeof(struct cv_ci_data),
	.maxactive = 1024,
};

static bool cv_ci_registered;

/*
 * A kernel without the probe point (show_cpuinfo() renamed or inlined)
 * still loads the module: that view stays off, and the log says so.
 */
void cv_cpuinfo_init(void)
{
	int ret = register_kretprobe(&cv_ci_krp);

	if (ret) {
		pr_warn("cannot hook show_cpuinfo (%d): /proc/cpuinfo shows profiled tasks the CPU's features, not their profile's\n",
			ret);
		return;
	}
	cv_ci_registered = true;
}

void cv_cpuinfo_exit(void)
{
	if (!cv_ci_registered)
		return;
	unregister_kretprobe(&cv_ci_krp);
	cv_ci_registered = false;
	if (cv_ci_krp.nmissed)
		pr_warn("%d /proc/cpuinfo records were shown unfiltered to profiled tasks (kretprobe instances exhausted)\n",
			cv_ci_krp.nmissed);
}
