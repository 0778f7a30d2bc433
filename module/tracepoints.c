// SPDX-License-Identifier: GPL-2.0
/*
 * Life-cycle events that change whether a thread should fault:
 *   sched_process_fork   the child (any clone, CLONE_INTO_CGROUP too) gets
 *                        its flag before it first runs;
 *   sched_process_exec   exec cleared the flag (arch_setup_new_exec); it is
 *                        re-armed before the new program's first
 *                        instruction, so ld.so already sees the profile;
 *   sched_process_exit   the thread leaves the "asked" table;
 *   cgroup_attach_task   a thread group (or thread) moved between cgroups.
 */

#include <linux/binfmts.h>
#include <linux/cgroup.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/task_work.h>
#include <linux/tracepoint.h>

#include "internal.h"

static void cv_tp_fork(void *data, struct task_struct *parent,
		       struct task_struct *child)
{
	cv_asked_fork(parent, child);
	rcu_read_lock();
	cv_sync_task(child);
	rcu_read_unlock();
}

static void cv_tp_exec(void *data, struct task_struct *p, pid_t old_pid,
		       struct linux_binprm *bprm)
{
	/* exec forgets ARCH_SET_CPUID, as the kernel does. */
	cv_asked_set(p, false);
	rcu_read_lock();
	cv_sync_task(p);
	rcu_read_unlock();
	/* Tracepoints run with preemption disabled: current stays here. */
	if (p == current)
		cv_resync_this_cpu();
}

static void cv_tp_exit(void *data, struct task_struct *p)
{
	cv_asked_set(p, false);
}

/*
 * The mover with a resync queued and not yet started. One migration fires
 * the tracepoint once per thread, all from one mover under css_set_lock
 * (migrations are serialised by cgroup_mutex), so one task_work is enough.
 */
struct task_struct *cv_move_owner;

/*
 * Make the mover (current) resync every CPU before it returns to user
 * space, so that when its write to cgroup.procs returns every moved thread
 * runs with the right MSR bit. False if it cannot be done that way.
 */
static bool cv_resync_before_return(void)
{
	struct cv_move *m;

	if (current->flags & (PF_KTHREAD | PF_EXITING))
		return false;
	if (READ_ONCE(cv_move_owner) == current)
		return true;
	m = kmalloc(sizeof(*m), GFP_ATOMIC);
	if (!m)
		return false;
	m->task = current;
	init_task_work(&m->cb, cv_resync_move_cb);
	/* The callback is our code: no unload until it has run. */
	__module_get(THIS_MODULE);
	if (task_work_add(current, &m->cb, TWA_RESUME)) {
		module_put(THIS_MODULE);
		kfree(m);
		return false;
	}
	WRITE_ONCE(cv_move_owner, current);
	return true;
}

/* Interrupts are off and a spinlock is held here. */
static void cv_tp_cgroup_attach(void *data, struct cgroup *dst_cgrp,
				const char *path, struct task_struct *task,
				bool threadgroup)
{
	struct task_struct *t;
	bool changed = false;

	rcu_read_lock();
	if (threadgroup) {
		for_each_thread(task, t)
			changed |= cv_sync_task(t);
	} else {
		changed = cv_sync_task(task);
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
