// SPDX-License-Identifier: GPL-2.0
/*
 * Profiles: one per attached cgroup v2 directory, in a resizable RCU hash
 * (rhashtable) keyed by the referenced struct cgroup, so a lookup stays
 * O(1) however many profiles exist. Readers (the #GP hook, tracepoints)
 * walk a task's cgroup and its ancestors; the nearest profiled one wins.
 * Writers hold cv_profiles_lock, which also guards the plain list used by
 * LIST and DETACH by id, and resynchronise every thread afterwards.
 */

#include <linux/cgroup.h>
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "testhooks.h"

static const struct rhashtable_params cv_profile_params = {
	.key_len = sizeof(struct cgroup *),
	.key_offset = offsetof(struct cv_profile, cgrp),
	.head_offset = offsetof(struct cv_profile, node),
	.automatic_shrinking = true,
};

static struct rhashtable cv_profiles;
static LIST_HEAD(cv_profile_list);
static DEFINE_MUTEX(cv_profiles_lock);
static unsigned int cv_nr;

int cv_profiles_init(void)
{
	return rhashtable_init(&cv_profiles, &cv_profile_params);
}

/* Every profile pins the module, so the table is empty here. */
void cv_profiles_exit(void)
{
	rhashtable_destroy(&cv_profiles);
}

unsigned int cv_nr_profiles(void)
{
	return READ_ONCE(cv_nr);
}

/* Caller holds rcu_read_lock() or cv_profiles_lock. */
static struct cv_profile *cv_lookup_rcu(struct cgroup *cgrp)
{
	return rhashtable_lookup(&cv_profiles, &cgrp, cv_profile_params);
}

/* The profile of cgrp or of its nearest profiled ancestor; RCU held. */
static struct cv_profile *cv_profile_walk(struct cgroup *cgrp)
{
	struct cv_profile *p;

	for (; cgrp; cgrp = cgroup_parent(cgrp)) {
		p = cv_lookup_rcu(cgrp);
		if (p)
			return p;
	}
	return NULL;
}

/* Caller holds rcu_read_lock() or has preemption disabled. */
struct cv_profile *cv_profile_of(struct task_struct *t)
{
	struct cv_profile *p;

	/* Fast path: no profile at all, no walk. */
	if (!READ_ONCE(cv_nr) || (t->flags & PF_KTHREAD))
		return NULL;
	/* Preemption off is an RCU reader too, but rhashtable checks this. */
	rcu_read_lock();
	p = cv_profile_walk(task_dfl_cgroup(t));
	rcu_read_unlock();
	return p;
}

/*
 * The #GP hook's shortcut for "which profile covers this cgroup": per CPU,
 * a few (cgroup id, profile) pairs, valid for one generation of the table.
 * ATTACH and DETACH bump the generation after changing the table, so a
 * pair is only used if the walk that made it started after the last
 * change that completed; one made while a change was under way is dropped
 * by that change's bump. The profile a pair names stays valid for the
 * caller's RCU section: DETACH frees it after synchronize_rcu(). A cgroup
 * id is never reused (a freed struct cgroup may be), and a task that
 * moves asks for its new cgroup; a new cgroup has a new id. A pair's
 * walk starts from the cgroup whose id it is stored under, read once. The mapping
 * cgroup -> nearest profiled ancestor changes only with the table. So a
 * task at depth 32 walks 32 levels once per CPU and generation, then
 * costs what depth 1 does.
 */
#define CV_EFF_SLOTS	8

struct cv_eff {
	u32 gen;
	u64 cgroup_id;
	struct cv_profile *p;
};

static DEFINE_PER_CPU(struct cv_eff[CV_EFF_SLOTS], cv_eff);
static bool lookup_cache = true;
module_param(lookup_cache, bool, 0644);
MODULE_PARM_DESC(lookup_cache,
		 "keep each CPU's cgroup -> profile lookups until profiles change (default Y); N walks every ancestor on every CPUID, as before (for benchmarks)");
/* Starts at 1: a fresh slot (gen 0, id 0) never matches. */
static atomic_t cv_profiles_gen = ATOMIC_INIT(1);

/* After every change of the table, before the ioctl returns. */
static void cv_profiles_changed(void)
{
	/* Pairs with cv_profile_of_current(): the change, then the bump. */
	smp_mb__before_atomic();
	atomic_inc(&cv_profiles_gen);
}

/* cv_profile_of(current), preemption disabled (the #GP hook). */
struct cv_profile *cv_profile_of_current(void)
{
	struct task_struct *t = current;
	struct cv_profile *p;
	struct cv_eff *e;
	struct cgroup *cgrp;
	u32 gen;
	u64 id;

	if (!READ_ONCE(cv_nr) || (t->flags & PF_KTHREAD))
		return NULL;
	if (!READ_ONCE(lookup_cache))
		return cv_profile_of(t);
	gen = atomic_read(&cv_profiles_gen);
	/* Pairs with cv_profiles_changed(): gen, then the table. */
	smp_rmb();
	rcu_read_lock();
	cgrp = task_dfl_cgroup(t);
	id = cgroup_id(cgrp);
	e = this_cpu_ptr(&cv_eff[hash_64(id, ilog2(CV_EFF_SLOTS))]);
	if (e->gen != gen || e->cgroup_id != id) {
		/*
		 * Walk from the cgroup read above, not the task's again: the
		 * task may have moved since, and the pair is keyed by this id.
		 */
		cv_test_window(CV_WIN_LOOKUP);
		e->gen = gen;
		e->cgroup_id = id;
		e->p = cv_profile_walk(cgrp);
	}
	p = e->p;
	rcu_read_unlock();
	return p;
}

static int cv_rule_cmp(const void *a, const void *b)
{
	const struct cpuidvirt_rule *x = a, *y = b;
	u32 xany = x->flags & CPUIDVIRT_RULE_ANY_SUBLEAF;
	u32 yany = y->flags & CPUIDVIRT_RULE_ANY_SUBLEAF;

	if (x->leaf != y->leaf)
		return x->leaf < y->leaf ? -1 : 1;
	if (xany != yany)
		return xany ? 1 : -1;
	if (x->subleaf != y->subleaf)
		return x->subleaf < y->subleaf ? -1 : 1;
	return 0;
}

/* The first rule not ordered before key (cv_rule_cmp()'s order). */
static u32 cv_rule_lower(const struct cv_rules *r,
			 const struct cpuidvirt_rule *key)
{
	u32 lo = 0, hi = r->nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cv_rule_cmp(&r->rule[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The rule for (leaf, subleaf): its exact rule, else the leaf's
 * ANY_SUBLEAF rule. Two binary searches, O(log n) for up to 256 rules.
 */
static const struct cpuidvirt_rule *cv_rule_find(const struct cv_rules *r,
						 u32 leaf, u32 subleaf)
{
	struct cpuidvirt_rule key = { .leaf = leaf, .subleaf = subleaf };
	u32 i;

	i = cv_rule_lower(r, &key);
	if (i < r->nr && !cv_rule_cmp(&r->rule[i], &key))
		return &r->rule[i];
	key.flags = CPUIDVIRT_RULE_ANY_SUBLEAF;
	key.subleaf = 0;
	i = cv_rule_lower(r, &key);
	if (i < r->nr && !cv_rule_cmp(&r->rule[i], &key))
		return &r->rule[i];
	return NULL;
}

/*
 * Emulate CPUID(leaf, subleaf) for a profile on the current CPU: the CPU's
 * own answer first (cache.c: per CPU, with the dynamic fields, APIC IDs,
 * OSXSAVE, XSAVE sizes, kept exact), then the clamps and the rules.
 */
void cv_rules_apply(const struct cv_rules *r, u32 leaf, u32 subleaf,
		    u32 out[CPUIDVIRT_NR_REGS])
{
	const struct cpuidvirt_rule *rule;
	u32 eff = leaf, max_basic;
	u32 r0[CPUIDVIRT_NR_REGS];
	int i;

	if ((r->flags & CPUIDVIRT_ATTACH_CLAMP_BASIC) && leaf < 0x40000000 &&
	    leaf > r->max_basic_leaf) {
		eff = r->max_basic_leaf;
	} else if ((r->flags & CPUIDVIRT_ATTACH_CLAMP_EXT) &&
		   leaf >= 0x80000000 && leaf > r->max_ext_leaf) {
		/* SDM: above the maximum, the highest basic leaf answers. */
		cv_cpuid(0, 0, r0);
		max_basic = r0[CPUIDVIRT_EAX];
		if (r->flags & CPUIDVIRT_ATTACH_CLAMP_BASIC)
			max_basic = min(max_basic, r->max_basic_leaf);
		eff = max_basic;
	}

	cv_cpuid(eff, subleaf, out);

	if (eff == 0 && (r->flags & CPUIDVIRT_ATTACH_CLAMP_BASIC))
		out[CPUIDVIRT_EAX] = min(out[CPUIDVIRT_EAX], r->max_basic_leaf);
	if (eff == 0x80000000 && (r->flags & CPUIDVIRT_ATTACH_CLAMP_EXT))
		out[CPUIDVIRT_EAX] = min(out[CPUIDVIRT_EAX], r->max_ext_leaf);

	rule = cv_rule_find(r, eff, subleaf);
	if (!rule)
		return;
	for (i = 0; i < CPUIDVIRT_NR_REGS; i++)
		out[i] = (out[i] & rule->and[i]) | rule->or[i];
}

/* Copy, validate and sort the rules of an ATTACH; errnos as in the uapi. */
static struct cv_rules *cv_rules_from_user(const struct cpuidvirt_attach *a)
{
	struct cv_rules *r;
	u32 i;

	if (a->nr_rules > CPUIDVIRT_MAX_RULES)
		return ERR_PTR(-E2BIG);
	if ((a->flags & CPUIDVIRT_ATTACH_CLAMP_BASIC) &&
	    a->max_basic_leaf >= 0x40000000)
		return ERR_PTR(-ERANGE);
	if ((a->flags & CPUIDVIRT_ATTACH_CLAMP_EXT) &&
	    (a->max_ext_leaf < 0x80000000 || a->max_ext_leaf > 0x8fffffff))
		return ERR_PTR(-ERANGE);

	r = kvzalloc(struct_size(r, rule, a->nr_rules), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	r->nr = a->nr_rules;
	r->flags = a->flags & (CPUIDVIRT_ATTACH_CLAMP_BASIC |
			       CPUIDVIRT_ATTACH_CLAMP_EXT);
	if (r->flags & CPUIDVIRT_ATTACH_CLAMP_BASIC)
		r->max_basic_leaf = a->max_basic_leaf;
	if (r->flags & CPUIDVIRT_ATTACH_CLAMP_EXT)
		r->max_ext_leaf = a->max_ext_leaf;

	if (r->nr && copy_from_user(r->rule, u64_to_user_ptr(a->rules),
				    array_size(r->nr, sizeof(r->rule[0])))) {
		kvfree(r);
		return ERR_PTR(-EFAULT);
	}
	for (i = 0; i < r->nr; i++) {
		const struct cpuidvirt_rule *x = &r->rule[i];

		if ((x->flags & ~CPUIDVIRT_RULE_FLAGS) || x->pad ||
		    ((x->flags & CPUIDVIRT_RULE_ANY_SUBLEAF) && x->subleaf)) {
			kvfree(r);
			return ERR_PTR(-EINVAL);
		}
	}
	sort(r->rule, r->nr, sizeof(r->rule[0]), cv_rule_cmp, NULL);
	for (i = 1; i < r->nr; i++) {
		if (!cv_rule_cmp(&r->rule[i - 1], &r->rule[i])) {
			kvfree(r);
			return ERR_PTR(-ENOTUNIQ);
		}
	}
	return r;
}

int cv_attach(const struct cpuidvirt_attach *a)
{
	struct cv_rules *rules, *old;
	struct cv_profile *p;
	struct cgroup *cgrp;
	int ret = 0;

	if (a->flags & ~CPUIDVIRT_ATTACH_FLAGS)
		return -EINVAL;
	if (cv_fault_state() != CPUIDVIRT_FAULT_VERIFIED)
		return -EOPNOTSUPP;
	if (!memchr(a->name, '\0', sizeof(a->name)))
		return -EINVAL;

	rules = cv_rules_from_user(a);
	if (IS_ERR(rules))
		return PTR_ERR(rules);

	cgrp = cgroup_get_from_fd((int)a->cgroup_fd);
	if (IS_ERR(cgrp)) {
		kvfree(rules);
		return PTR_ERR(cgrp);
	}

	mutex_lock(&cv_profiles_lock);
	rcu_read_lock();
	p = cv_lookup_rcu(cgrp);
	rcu_read_unlock();
	if (p) {
		if (!(a->flags & CPUIDVIRT_ATTACH_REPLACE)) {
			ret = -EEXIST;
			goto out_free;
		}
		/* Readers see the old or the new rules, never a mix. */
		old = rcu_replace_pointer(p->rules, rules,
					  lockdep_is_held(&cv_profiles_lock));
		strscpy(p->name, a->name, sizeof(p->name));
		mutex_unlock(&cv_profiles_lock);
		cgroup_put(cgrp);
		synchronize_rcu();
		kvfree(old);
		return 0;
	}
	if (cv_nr >= CPUIDVIRT_MAX_PROFILES) {
		ret = -ENOSPC;
		goto out_free;
	}
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (p)
		p->stats = alloc_percpu(struct cv_pstats);
	if (!p || !p->stats) {
		kfree(p);
		ret = -ENOMEM;
		goto out_free;
	}
	/* Before the profile is visible: from then on switches arm. */
	cv_switch_get();
	p->cgrp = cgrp;
	p->cgroup_id = cgroup_id(cgrp);
	strscpy(p->name, a->name, sizeof(p->name));
	RCU_INIT_POINTER(p->rules, rules);
	ret = rhashtable_insert_fast(&cv_profiles, &p->node, cv_profile_params);
	if (ret) {
		cv_switch_put();
		free_percpu(p->stats);
		kfree(p);
		goto out_free;
	}
	list_add(&p->list, &cv_profile_list);
	/* A profile pins the module: no rmmod while a cgroup is masked. */
	__module_get(THIS_MODULE);
	WRITE_ONCE(cv_nr, cv_nr + 1);
	cv_profiles_changed();
	/* Every thread in scope is masked, on every CPU, when we return. */
	cv_sync_all();
	mutex_unlock(&cv_profiles_lock);
	return 0;

out_free:
	mutex_unlock(&cv_profiles_lock);
	cgroup_put(cgrp);
	kvfree(rules);
	return ret;
}

static struct cv_profile *cv_find_by_id(u64 id)
{
	struct cv_profile *p;

	list_for_each_entry(p, &cv_profile_list, list)
		if (p->cgroup_id == id)
			return p;
	return NULL;
}

int cv_detach(const struct cpuidvirt_detach *d)
{
	struct cgroup *cgrp = NULL;
	struct cv_profile *p;

	if ((d->flags & ~CPUIDVIRT_DETACH_FLAGS) || d->pad)
		return -EINVAL;
	if (!(d->flags & CPUIDVIRT_DETACH_BY_ID)) {
		cgrp = cgroup_get_from_fd((int)d->cgroup_fd);
		if (IS_ERR(cgrp))
			return PTR_ERR(cgrp);
	}

	mutex_lock(&cv_profiles_lock);
	rcu_read_lock();
	p = cgrp ? cv_lookup_rcu(cgrp) : cv_find_by_id(d->cgroup_id);
	rcu_read_unlock();
	if (cgrp)
		cgroup_put(cgrp);
	if (!p) {
		mutex_unlock(&cv_profiles_lock);
		return -ENOENT;
	}
	/* Cannot fail: p is in the table and only we remove, under the lock. */
	WARN_ON(rhashtable_remove_fast(&cv_profiles, &p->node,
				       cv_profile_params));
	list_del(&p->list);
	WRITE_ONCE(cv_nr, cv_nr - 1);
	cv_profiles_changed();
	/* Nobody covered only by this profile faults when we return. */
	cv_sync_all();
	cv_switch_put();
	mutex_unlock(&cv_profiles_lock);

	synchronize_rcu();
	kvfree(rcu_dereference_protected(p->rules, 1));
	cgroup_put(p->cgrp);
	free_percpu(p->stats);
	kfree(p);
	module_put(THIS_MODULE);
	return 0;
}

static void cv_fill_entry(struct cpuidvirt_list_entry *e,
			  const struct cv_profile *p)
{
	const struct cv_pstats *ps;
	const struct cv_rules *r;
	int cpu;

	r = rcu_dereference_protected(p->rules,
				      lockdep_is_held(&cv_profiles_lock));
	memset(e, 0, sizeof(*e));
	e->cgroup_id = p->cgroup_id;
	for_each_possible_cpu(cpu) {
		ps = per_cpu_ptr(p->stats, cpu);
		e->emulated += READ_ONCE(ps->emulated);
		e->emulated_ns += READ_ONCE(ps->emulated_ns);
	}
	e->nr_rules = r->nr;
	e->flags = r->flags;
	e->max_basic_leaf = r->max_basic_leaf;
	e->max_ext_leaf = r->max_ext_leaf;
	strscpy(e->name, p->name, sizeof(e->name));
}

/*
 * Entries are copied out of a snapshot taken under the lock, never while
 * holding it: a user buffer that faults slowly (userfaultfd, FUSE) must
 * not stall ATTACH, DETACH and QUERY.
 */
int cv_list(struct cpuidvirt_list *l)
{
	struct cpuidvirt_list_entry __user *ue = u64_to_user_ptr(l->entries);
	struct cpuidvirt_list_entry *snap = NULL;
	u32 cap = min_t(u32, l->nr_entries, CPUIDVIRT_MAX_PROFILES);
	struct cv_profile *p;
	u32 n, room;
	int ret = 0;

	if (l->flags || l->pad)
		return -EINVAL;
	for (;;) {
		/* Room for what exists now and some growth; retry if short. */
		room = min_t(u32, cap, READ_ONCE(cv_nr) + 64);
		if (room) {
			snap = kvmalloc_array(room, sizeof(*snap), GFP_KERNEL);
			if (!snap)
				return -ENOMEM;
		}
		n = 0;
		mutex_lock(&cv_profiles_lock);
		list_for_each_entry(p, &cv_profile_list, list) {
			if (n < room)
				cv_fill_entry(&snap[n], p);
			n++;
		}
		mutex_unlock(&cv_profiles_lock);
		if (min(n, cap) <= room)
			break;
		kvfree(snap);
		snap = NULL;
	}
	if (min(n, cap) &&
	    copy_to_user(ue, snap, array_size(min(n, cap), sizeof(*snap))))
		ret = -EFAULT;
	kvfree(snap);
	l->nr_entries = n;
	return ret;
}

int cv_query(struct cpuidvirt_query *q)
{
	struct task_struct *t;
	struct cv_profile *p;
	struct pid *pid;

	if (q->flags)
		return -EINVAL;
	pid = find_get_pid((int)q->pid);
	t = pid ? get_pid_task(pid, PIDTYPE_PID) : NULL;
	put_pid(pid);
	if (!t)
		return -ESRCH;

	q->armed = test_tsk_thread_flag(t, TIF_NOCPUID);
	q->cgroup_id = 0;
	memset(q->name, 0, sizeof(q->name));
	mutex_lock(&cv_profiles_lock);
	rcu_read_lock();
	/* No flag where switch.c sets the bit: what it sets it from. */
	if (cv_module_switches)
		q->armed = cv_task_wants_fault(t);
	p = cv_profile_of(t);
	if (p) {
		q->cgroup_id = p->cgroup_id;
		strscpy(q->name, p->name, sizeof(q->name));
	}
	rcu_read_unlock();
	mutex_unlock(&cv_profiles_lock);
	put_task_struct(t);
	return 0;
}
