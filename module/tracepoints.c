// SPDX-License-Identifier: GPL-2.0
/*
 * Life-cycle events that change whether a thread should fault:
 *   sched_process_fork   the child (any clone, CLONE_INTO_CGROUP too) gets
 *                        its flag before it first runs;
 *   sched_process_exec   exec cleared the flag (arch_setup_new_exec); it is
 *                        re-armed before the new program's first
 *                        instruction, so ld.so already sees the profile,
 *                        and its auxiliary vector is rewritten;
 *   sched_process_exit   the thread leaves the "asked" table;
 *   cgroup_attach_task   a thread group (or thread) moved between cgroups.
 */

#include <linux/binfmts.h>
#include <linux/cgroup.h>
#include <linux/delay.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/task_work.h>
#include <linux/tracepoint.h>

#include "internal.h"

/*
 * The child gets its flag before it first runs. Full barrier: pairs with
 * cv_sync_all(), so a child the ATTACH/DETACH walk cannot see yet sees
 * the published change here (copy_process() put it on the task list
 * before this tracepoint).
 */
static void cv_tp_fork(void *data, struct task_struct *parent,
		       struct task_struct *child)
{
	unsigned long flags;
	bool asked;

	if (READ_ONCE(cv_unloading) || (child->flags & PF_KTHREAD))
		return;
	/* See the child linked, or be seen; pairs with cv_sync_all(). */
	smp_mb();
	raw_spin_lock_irqsave(cv_task_lock(child), flags);
	/* Thread flags are copied: while seeding, the child's is "asked". */
	asked = cv_task_asked(parent) ||
		(READ_ONCE(cv_seeding) && test_tsk_thread_flag(child, TIF_NOCPUID));
	if (asked && cv_asked_set(child, true))
		pr_warn_ratelimited("pid %d loses its inherited ARCH_SET_CPUID state (no free entry)\n",
				    task_pid_nr(child));
	cv_sync_task_locked(child, CV_WIN_EVENT);
	raw_spin_unlock_irqrestore(cv_task_lock(child), flags);
}

static void cv_tp_exec(void *data, struct task_struct *p, pid_t old_pid,
		       struct linux_binprm *bprm)
{
	unsigned long flags;

	if (READ_ONCE(cv_unloading))
		return;
	raw_spin_lock_irqsave(cv_task_lock(p), flags);
	/* exec forgets ARCH_SET_CPUID, as the kernel does. */
	cv_asked_set(p, false);
	cv_sync_task_locked(p, CV_WIN_EVENT);
	/* Tracepoints run with preemption disabled: current stays here. */
	if (p == current)
		cv_resync_this_cpu();
	raw_spin_unlock_irqrestore(cv_task_lock(p), flags);
	/* The new program's AT_HWCAP/AT_HWCAP2 follow the profile. */
	if (p == current)
		cv_auxv_exec(bprm);
}

/* Under p's lock: the load-time seed checks PF_EXITING under it too. */
static void cv_tp_exit(void *data, struct task_struct *p)
{
	unsigned long flags;

	raw_spin_lock_irqsave(cv_task_lock(p), flags);
	cv_asked_set(p, false);
	raw_spin_unlock_irqrestore(cv_task_lock(p), flags);
}

/*
 * Pending resyncs of movers. A migration fires the tracepoint once per
 * thread, all from one mover (migrations are serialised by cgroup_mutex),
 * so one slot per mover whose task_work has not run yet. Fixed slots: no
 * allocation in this atomic context (PREEMPT_RT included).
 */
static struct cv_move cv_moves[16];

/*
 * Make the mover (current) resync every CPU before it returns to user
 * space, so that when its write to cgroup.procs returns every moved thread
 * runs with the right MSR bit. False if it cannot be done that way.
 */
static bool cv_resync_before_return(void)
{
	struct cv_move *m, *free = NULL;
	int i;

	if (current->flags & (PF_KTHREAD | PF_EXITING))
		return false;
	for (i = 0; i < ARRAY_SIZE(cv_moves); i++)
		if (READ_ONCE(cv_moves[i].task) == current)
			return true;
	for (i = 0; i < ARRAY_SIZE(cv_moves) && !free; i++) {
		m = &cv_moves[i];
		if (!cmpxchg(&m->task, NULL, current))
			free = m;
	}
	if (!free)
		return false;
	init_task_work(&free->cb, cv_resync_move_cb);
	/* The callback is our code: no unload until it has run. */
	__module_get(THIS_MODULE);
	if (task_work_add(current, &free->cb, TWA_RESUME)) {
		module_put(THIS_MODULE);
		/* Slot back to free; pairs with the acquire at unload. */
		smp_store_release(&free->task, NULL);
		return false;
	}
	return true;
}

/* Interrupts are off and a spinlock is held here. */
static void cv_tp_cgroup_attach(void *data, struct cgroup *dst_cgrp,
				const char *path, struct task_struct *task,
				bool threadgroup)
{
	struct task_struct *t;
	bool changed = false;

	if (READ_ONCE(cv_unloading))
		return;
	rcu_read_lock();
	if (threadgroup) {
		for_each_thread(task, t)
			changed |= cv_sync_task(t, CV_WIN_EVENT);
	} else {
		changed = cv_sync_task(task, CV_WIN_EVENT);
	}
	rcu_read_unlock();
	/* No flag changed: every CPU's bit still matches its thread. */
	if (!changed)
		return;
	cv_resync_this_cpu();
	if (!cv_resync_before_return())
		cv_resync_all_later();
}

struct cv_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;
	bool registered;
};

static struct cv_tp cv_tps[] = {
	{ .name = "sched_process_fork", .probe = cv_tp_fork },
	{ .name = "sched_process_exec", .probe = cv_tp_exec },
	{ .name = "sched_process_exit", .probe = cv_tp_exit },
	{ .name = "cgroup_attach_task", .probe = cv_tp_cgroup_attach },
};

static void cv_tp_lookup(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(cv_tps); i++)
		if (!strcmp(tp->name, cv_tps[i].name))
			cv_tps[i].tp = tp;
}

void cv_tracepoints_exit(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(cv_tps); i++) {
		if (!cv_tps[i].registered)
			continue;
		tracepoint_probe_unregister(cv_tps[i].tp, cv_tps[i].probe, NULL);
		cv_tps[i].registered = false;
	}
	tracepoint_synchronize_unregister();
	/*
	 * A queued task_work runs our code: at unload the module reference
	 * it holds prevents this, but an init that fails cannot wait for
	 * references, so wait for the movers to return to user space.
	 */
	for (i = 0; i < ARRAY_SIZE(cv_moves); i++)
		/* Pairs with the release when a callback frees its slot. */
		while (smp_load_acquire(&cv_moves[i].task))
			usleep_range(1000, 2000);
}

int cv_tracepoints_init(void)
{
	int i, ret;

	for_each_kernel_tracepoint(cv_tp_lookup, NULL);
	for (i = 0; i < ARRAY_SIZE(cv_tps); i++) {
		if (!cv_tps[i].tp) {
			pr_err("tracepoint %s not found\n", cv_tps[i].name);
			ret = -ENOENT;
			goto fail;
		}
		ret = tracepoint_probe_register(cv_tps[i].tp, cv_tps[i].probe,
						NULL);
		if (ret) {
			pr_err("cannot register tracepoint %s: %d\n",
			       cv_tps[i].name, ret);
			goto fail;
		}
		cv_tps[i].registered = true;
	}
	return 0;
fail:
	cv_tracepoints_exit();
	return ret;
}
