// SPDX-License-Identifier: GPL-2.0
/*
 * Arming: which threads fault on CPUID, and keeping every CPU's
 * MSR_MISC_FEATURES_ENABLES bit 0 in step with its current thread.
 *
 * A thread should fault (TIF_NOCPUID) iff it is masked by a profile, or it
 * asked for faulting itself with arch_prctl(ARCH_SET_CPUID, 0), or it is
 * the selftest thread. TIF_NOCPUID is overloaded for masked threads, so the
 * threads that asked are remembered in a small table, kept by a kprobe on
 * do_arch_prctl_common() that also refuses ARCH_SET_CPUID to masked
 * threads (EPERM) and answers their ARCH_GET_CPUID with what they asked.
 *
 * The kernel flips bit 0 only when it switches between threads that differ
 * in TIF_NOCPUID, so after changing the flag of a thread that may be
 * running, every CPU is told to re-read its current thread's flag.
 */

#include <linux/hashtable.h>
#include <linux/kprobes.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <asm/msr.h>
#include <asm/prctl.h>

#include "internal.h"
#include "testhooks.h"

struct cv_asked {
	struct hlist_node node;
	struct task_struct *task;	/* key only, never dereferenced */
};

static DEFINE_HASHTABLE(cv_asked_tab, 6);
static DEFINE_SPINLOCK(cv_asked_lock);
static atomic_t cv_nr_asked = ATOMIC_INIT(0);

static struct cv_asked *cv_asked_find(struct task_struct *t)
{
	struct cv_asked *a;

	hash_for_each_possible(cv_asked_tab, a, node, (unsigned long)t)
		if (a->task == t)
			return a;
	return NULL;
}

unsigned int cv_nr_self_armed(void)
{
	return atomic_read(&cv_nr_asked);
}

bool cv_task_asked(struct task_struct *t)
{
	unsigned long flags;
	bool ret;

	if (!atomic_read(&cv_nr_asked))
		return false;
	spin_lock_irqsave(&cv_asked_lock, flags);
	ret = cv_asked_find(t);
	spin_unlock_irqrestore(&cv_asked_lock, flags);
	return ret;
}

/* May be called in atomic context. */
int cv_asked_set(struct task_struct *t, bool asked)
{
	struct cv_asked *a, *n = NULL;
	unsigned long flags;

	if (!asked && !atomic_read(&cv_nr_asked))
		return 0;
	if (asked) {
		n = kmalloc(sizeof(*n), GFP_ATOMIC);
		if (!n)
			return -ENOMEM;
		n->task = t;
	}
	spin_lock_irqsave(&cv_asked_lock, flags);
	a = cv_asked_find(t);
	if (asked && !a) {
		hash_add(cv_asked_tab, &n->node, (unsigned long)t);
		atomic_inc(&cv_nr_asked);
		n = NULL;
	} else if (!asked && a) {
		hash_del(&a->node);
		atomic_dec(&cv_nr_asked);
		n = a;
	}
	spin_unlock_irqrestore(&cv_asked_lock, flags);
	kfree(n);
	return 0;
}

void cv_asked_fork(struct task_struct *parent, struct task_struct *child)
{
	if (cv_task_asked(parent) && cv_asked_set(child, true))
		pr_warn_ratelimited("out of memory: pid %d loses its ARCH_SET_CPUID state\n",
				    task_pid_nr(child));
}

/* Caller holds rcu_read_lock() or has preemption disabled. */
bool cv_task_wants_fault(struct task_struct *t)
{
	return cv_profile_of(t) || cv_task_asked(t) || cv_selftest_task(t);
}

/*
 * Set t's TIF_NOCPUID to what it should be; the MSR is the caller's job.
 * True if the flag changed.
 */
bool cv_sync_task(struct task_struct *t)
{
	bool want;

	if (t->flags & PF_KTHREAD)
		return false;
	want = cv_task_wants_fault(t);
	cv_test_window(CV_WIN_SYNC);
	if (want == test_tsk_thread_flag(t, TIF_NOCPUID))
		return false;
	update_tsk_thread_flag(t, TIF_NOCPUID, want);
	return true;
}

/* Preemption disabled: make this CPU's bit 0 match its current thread. */
void cv_resync_this_cpu(void)
{
	bool want = test_thread_flag(TIF_NOCPUID);
	u64 v;

	if (cv_rdmsr_safe(MSR_MISC_FEATURES_ENABLES, &v))
		return;
	if (!!(v & MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) == want)
		return;
	v ^= MSR_MISC_FEATURES_ENABLES_CPUID_FAULT;
	cv_wrmsr_safe(MSR_MISC_FEATURES_ENABLES, v);
}

static void cv_resync_ipi(void *unused)
{
	cv_resync_this_cpu();
}

/* The mover's task_work, before it returns to user space (tracepoints.c). */
void cv_resync_move_cb(struct callback_head *cb)
{
	struct cv_move *m = container_of(cb, struct cv_move, cb);

	cmpxchg(&cv_move_owner, m->task, NULL);
	kfree(m);
	on_each_cpu(cv_resync_ipi, NULL, 1);
	/*
	 * The few instructions left after this are covered by
	 * synchronize_rcu_tasks() at unload: this thread is not quiescent
	 * until it reaches user mode.
	 */
	module_put(THIS_MODULE);
}

/*
 * Process context: every thread's flag, then every CPU's MSR. on_each_cpu
 * waits, so when this returns no CPU runs a thread with a stale bit 0.
 */
void cv_sync_all(void)
{
	struct task_struct *g, *t;

	if (!cv_faulting_usable())
		return;
	rcu_read_lock();
	for_each_process_thread(g, t)
		cv_sync_task(t);
	rcu_read_unlock();
	cv_resync_all();
}

/* Process context: every CPU's bit 0 to its current thread's flag. */
void cv_resync_all(void)
{
	on_each_cpu(cv_resync_ipi, NULL, 1);
}

/*
 * From atomic context (the cgroup_attach_task tracepoint runs with a
 * spinlock held and interrupts off) on_each_cpu() is not allowed and
 * irq_work_queue_on() is not exported. A user-space mover resyncs the CPUs
 * itself from a task_work (cv_resync_move_cb); kernel threads, and movers
 * we could not queue one for, fall back to this work item. Until it runs, a
 * thread moved out of a profile that executes CPUID on a stale CPU is
 * answered natively by the #GP hook (and the CPU fixed).
 */
static void cv_resync_work_fn(struct work_struct *w)
{
	on_each_cpu(cv_resync_ipi, NULL, 1);
}

static DECLARE_WORK(cv_resync_work, cv_resync_work_fn);

void cv_resync_all_later(void)
{
	cv_resync_this_cpu();
	schedule_work(&cv_resync_work);
}

/*
 * do_arch_prctl_common() is redirected to one of these, with the caller's
 * return address, to answer for it.
 */
static noinline long cv_prctl_eperm(void)
{
	return -EPERM;
}

static noinline long cv_prctl_enomem(void)
{
	return -ENOMEM;
}

static noinline long cv_prctl_cpuid_on(void)
{
	return 1;
}

static noinline long cv_prctl_cpuid_off(void)
{
	return 0;
}

static int cv_prctl_pre(struct kprobe *kp, struct pt_regs *regs)
{
	int option = (int)regs_get_kernel_argument(regs, CV_PRCTL_ARG_OPTION);
	unsigned long arg = regs_get_kernel_argument(regs, CV_PRCTL_ARG_VALUE);
	long (*answer)(void) = NULL;
	bool masked;

	if (option != ARCH_GET_CPUID && option != ARCH_SET_CPUID)
		return 0;
	rcu_read_lock();
	masked = cv_profile_of(current);
	rcu_read_unlock();

	if (option == ARCH_GET_CPUID) {
		/* Report what the task asked for, not the profile's faulting. */
		if (masked)
			answer = cv_task_asked(current) ? cv_prctl_cpuid_off :
							  cv_prctl_cpuid_on;
	} else if (masked) {
		/* Turning faulting off would unmask the task: refused. */
		answer = cv_prctl_eperm;
	} else if (cv_asked_set(current, !arg)) {
		answer = cv_prctl_enomem;
	}
	if (option == ARCH_SET_CPUID)
		cv_test_window(CV_WIN_PRCTL);
	if (!answer)
		return 0;
	instruction_pointer_set(regs, (unsigned long)answer);
	return 1;
}

static struct kprobe cv_prctl_kp = {
	.symbol_name = "do_arch_prctl_common",
	.pre_handler = cv_prctl_pre,
	.post_handler = cv_kprobe_ipmodify_post,
};

static void cv_asked_free_all(void)
{
	struct hlist_node *tmp;
	struct cv_asked *a;
	int bkt;

	spin_lock_irq(&cv_asked_lock);
	hash_for_each_safe(cv_asked_tab, bkt, tmp, a, node) {
		hash_del(&a->node);
		kfree(a);
	}
	atomic_set(&cv_nr_asked, 0);
	spin_unlock_irq(&cv_asked_lock);
}

/* At load no profile exists, so TIF_NOCPUID is exactly "asked". */
void cv_asked_seed(void)
{
	struct task_struct *g, *t;

	rcu_read_lock();
	for_each_process_thread(g, t) {
		if (!(t->flags & PF_KTHREAD) &&
		    test_tsk_thread_flag(t, TIF_NOCPUID) &&
		    cv_asked_set(t, true))
			pr_warn("out of memory: pid %d loses its ARCH_SET_CPUID state\n",
				task_pid_nr(t));
	}
	rcu_read_unlock();
}

int cv_arming_init(void)
{
	int ret;

	ret = register_kprobe(&cv_prctl_kp);
	if (ret) {
		pr_err("cannot hook do_arch_prctl_common: %d\n", ret);
		return ret;
	}
	cv_asked_seed();
	return 0;
}

void cv_arming_exit(void)
{
	unregister_kprobe(&cv_prctl_kp);
	cancel_work_sync(&cv_resync_work);
	cv_asked_free_all();
}
