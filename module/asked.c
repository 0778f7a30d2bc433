// SPDX-License-Identifier: GPL-2.0
/*
 * The threads that asked for CPUID faulting themselves with
 * arch_prctl(ARCH_SET_CPUID, 0), as rr does. TIF_NOCPUID is overloaded for
 * masked threads, so what they asked for is remembered here, keyed by the
 * task and its start time (an exited task's address may be reused by a
 * new one, which must not inherit the entry).
 *
 * Entries are added and removed from atomic context (kprobe, fork, exec
 * and exit tracepoints), where nothing may allocate or sleep, PREEMPT_RT
 * included. So they come from a free list under a raw spinlock, topped up
 * (and trimmed) by a work item in process context; the list grows with
 * the number of entries in use, so it only runs dry if more threads ask
 * in a burst than the work item can follow, and then the caller is told.
 */

#include <linux/hashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "internal.h"

#define CV_POOL_LOW	32	/* below this many free entries, refill */
#define CV_POOL_MIN	128	/* refill to at least this many */

struct cv_asked {
	struct hlist_node node;
	struct task_struct *task;	/* key only, never dereferenced */
	u64 start_time;
};

static DEFINE_HASHTABLE(cv_asked_tab, 6);
static HLIST_HEAD(cv_asked_pool);
static unsigned int cv_pool_free;
static DEFINE_RAW_SPINLOCK(cv_asked_lock);
static atomic_t cv_nr_asked = ATOMIC_INIT(0);

static void cv_pool_refill(struct work_struct *w);
static DECLARE_WORK(cv_pool_work, cv_pool_refill);

/* Entries the pool should hold: at least as many as are in use. */
static unsigned int cv_pool_target(void)
{
	return max_t(unsigned int, CV_POOL_MIN, atomic_read(&cv_nr_asked));
}

static int cv_pool_fill(unsigned int target)
{
	struct cv_asked *a;
	unsigned long flags;
	bool full;

	for (;;) {
		raw_spin_lock_irqsave(&cv_asked_lock, flags);
		full = cv_pool_free >= target;
		raw_spin_unlock_irqrestore(&cv_asked_lock, flags);
		if (full)
			return 0;
		a = kzalloc(sizeof(*a), GFP_KERNEL);
		if (!a)
			return -ENOMEM;
		raw_spin_lock_irqsave(&cv_asked_lock, flags);
		hlist_add_head(&a->node, &cv_asked_pool);
		cv_pool_free++;
		raw_spin_unlock_irqrestore(&cv_asked_lock, flags);
	}
}

/* Top up, and give back what a burst left over. */
static void cv_pool_refill(struct work_struct *w)
{
	unsigned int target = cv_pool_target();
	struct cv_asked *a;
	unsigned long flags;

	cv_pool_fill(target);
	for (;;) {
		a = NULL;
		raw_spin_lock_irqsave(&cv_asked_lock, flags);
		if (cv_pool_free > 4 * target) {
			a = hlist_entry(cv_asked_pool.first, struct cv_asked,
					node);
			hlist_del(&a->node);
			cv_pool_free--;
		}
		raw_spin_unlock_irqrestore(&cv_asked_lock, flags);
		if (!a)
			break;
		kfree(a);
	}
}

/* cv_asked_lock held. */
static struct cv_asked *cv_asked_find(struct task_struct *t)
{
	struct cv_asked *a;

	hash_for_each_possible(cv_asked_tab, a, node, (unsigned long)t)
		if (a->task == t && a->start_time == t->start_time)
			return a;
	return NULL;
}

unsigned int cv_nr_self_armed(void)
{
	return atomic_read(&cv_nr_asked);
}

/* Any context. */
bool cv_task_asked(struct task_struct *t)
{
	unsigned long flags;
	bool ret;

	if (!atomic_read(&cv_nr_asked))
		return false;
	raw_spin_lock_irqsave(&cv_asked_lock, flags);
	ret = cv_asked_find(t);
	raw_spin_unlock_irqrestore(&cv_asked_lock, flags);
	return ret;
}

/*
 * Any context; the caller holds cv_task_lock(t) so that the entry and the
 * thread's flag change together. -ENOMEM if the pool ran dry.
 */
int cv_asked_set(struct task_struct *t, bool asked)
{
	bool refill = false;
	unsigned long flags;
	struct cv_asked *a;
	int ret = 0;

	if (!asked && !atomic_read(&cv_nr_asked))
		return 0;
	raw_spin_lock_irqsave(&cv_asked_lock, flags);
	a = cv_asked_find(t);
	if (asked && !a) {
		if (hlist_empty(&cv_asked_pool)) {
			ret = -ENOMEM;
		} else {
			a = hlist_entry(cv_asked_pool.first, struct cv_asked,
					node);
			hlist_del(&a->node);
			cv_pool_free--;
			a->task = t;
			a->start_time = t->start_time;
			hash_add(cv_asked_tab, &a->node, (unsigned long)t);
			atomic_inc(&cv_nr_asked);
		}
		refill = cv_pool_free < CV_POOL_LOW;
	} else if (!asked && a) {
		hash_del(&a->node);
		atomic_dec(&cv_nr_asked);
		hlist_add_head(&a->node, &cv_asked_pool);
		cv_pool_free++;
	}
	raw_spin_unlock_irqrestore(&cv_asked_lock, flags);
	if (refill)
		schedule_work(&cv_pool_work);
	return ret;
}

int cv_asked_init(void)
{
	return cv_pool_fill(CV_POOL_MIN);
}

/* Nothing can add entries any more (every hook is gone). */
void cv_asked_exit(void)
{
	struct hlist_node *tmp;
	struct cv_asked *a;
	int bkt;

	cancel_work_sync(&cv_pool_work);
	hash_for_each_safe(cv_asked_tab, bkt, tmp, a, node) {
		hash_del(&a->node);
		kfree(a);
	}
	hlist_for_each_entry_safe(a, tmp, &cv_asked_pool, node) {
		hlist_del(&a->node);
		kfree(a);
	}
	cv_pool_free = 0;
	atomic_set(&cv_nr_asked, 0);
}
