// SPDX-License-Identifier: GPL-2.0
/*
 * Arming: which threads fault on CPUID, and keeping every CPU's enable
 * bit (cv_mech: MSR 0x140 bit 0) in step with its current thread.
 *
 * A thread should fault (TIF_NOCPUID) iff it is masked by a profile, or it
 * asked for faulting itself with arch_prctl(ARCH_SET_CPUID, 0), or it is
 * the selftest thread. TIF_NOCPUID is overloaded for masked threads, so the
 * threads that asked are remembered (asked.c). A kprobe on
 * do_arch_prctl_common() performs ARCH_SET_CPUID itself, refuses it to
 * masked threads (EPERM) and answers their ARCH_GET_CPUID with what they
 * asked.
 *
 * The kernel flips the bit only when it switches between threads that differ
 * in TIF_NOCPUID, so after changing the flag of a thread that may be
 * running, every CPU is told to re-read its current thread's flag.
 */

#include <linux/hash.h>
#include <linux/kprobes.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/prctl.h>

#include "internal.h"
#include "testhooks.h"

/*
 * Every decision "should t fault" and the write of t's TIF_NOCPUID that
 * acts on it happen under t's lock, so a writer that decided from an older
 * view (a profile not yet published, a cgroup not yet changed, a request
 * not yet made) can never overwrite a newer writer's result. Raw locks:
 * the writers run in kprobe and tracepoint context, preemption disabled,
 * also on PREEMPT_RT. Hashed, so that unrelated threads rarely share one.
 */
#define CV_TASK_LOCK_BITS	8
static raw_spinlock_t cv_task_locks[1 << CV_TASK_LOCK_BITS];

raw_spinlock_t *cv_task_lock(struct task_struct *t)
{
	return &cv_task_locks[hash_ptr(t, CV_TASK_LOCK_BITS)];
}

/*
 * Before any hook: the fork and exit tracepoints take these from the
 * moment they are registered, while init goes on (a zeroed lock passes
 * for unlocked only without CONFIG_DEBUG_SPINLOCK and lockdep).
 */
void cv_task_locks_init(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(cv_task_locks); i++)
		raw_spin_lock_init(&cv_task_locks[i]);
}

/* Set while unloading: the hooks leave everything to the kernel. */
bool cv_unloading;

/* Any context. */
bool cv_task_wants_fault(struct task_struct *t)
{
	return cv_profile_of(t) || cv_task_asked(t) || cv_selftest_task(t);
}

/*
 * Set t's TIF_NOCPUID to what it should be; the MSR is the caller's job.
 * Caller holds cv_task_lock(t). w names the writer for test builds. True
 * if the flag changed.
 */
bool cv_sync_task_locked(struct task_struct *t, enum cv_window w)
{
	bool want;

	if (t->flags & PF_KTHREAD)
		return false;
	want = cv_task_wants_fault(t);
	cv_test_window(w);
	/*
	 * No flag where we switch the bit ourselves: switch.c reads "wants"
	 * live. Whether t may run with a stale bit somewhere is unknown, so
	 * say "changed" whenever a bit may be set at all.
	 */
	if (cv_module_switches)
		return cv_switch_active();
	if (want == test_tsk_thread_flag(t, TIF_NOCPUID))
		return false;
	update_tsk_thread_flag(t, TIF_NOCPUID, want);
	return true;
}

bool cv_sync_task(struct task_struct *t, enum cv_window w)
{
	unsigned long flags;
	bool changed;

	raw_spin_lock_irqsave(cv_task_lock(t), flags);
	changed = cv_sync_task_locked(t, w);
	raw_spin_unlock_irqrestore(cv_task_lock(t), flags);
	return changed;
}

/*
 * current trapped on CPUID and no profile was found. If it should not
 * fault (nobody asked, no profile appeared meanwhile) the CPU kept bit 0
 * for it after its flag was cleared elsewhere: clear the flag, repair the
 * CPU and return true. False if it should fault.
 */
bool cv_repair_stale(void)
{
	unsigned long flags;
	bool stale;

	raw_spin_lock_irqsave(cv_task_lock(current), flags);
	stale = !cv_task_wants_fault(current);
	cv_test_window(CV_WIN_EVENT);
	if (stale) {
		clear_thread_flag(TIF_NOCPUID);
		cv_resync_this_cpu();
	}
	raw_spin_unlock_irqrestore(cv_task_lock(current), flags);
	return stale;
}

/*
 * Preemption disabled: set this CPU's enable bit to @want.
 * Read-modify-write: the MSR's other bits are not ours.
 */
void cv_cpu_set_enable(bool want)
{
	const struct cv_mech *m = cv_mech;
	u64 v;

	if (cv_rdmsr_safe(m->msr, &v) || !!(v & m->bit) == want)
		return;
	cv_wrmsr_safe(m->msr, v ^ m->bit);
}

/* Preemption disabled: make this CPU's enable bit match its current thread. */
void cv_resync_this_cpu(void)
{
	if (cv_module_switches)
		cv_switch_resync();
	else
		cv_cpu_set_enable(test_thread_flag(TIF_NOCPUID));
}

static void cv_resync_ipi(void *unused)
{
	cv_resync_this_cpu();
}

/* The mover's task_work, before it returns to user space (tracepoints.c). */
void cv_resync_move_cb(struct callback_head *cb)
{
	struct cv_move *m = container_of(cb, struct cv_move, cb);

	on_each_cpu(cv_resync_ipi, NULL, 1);
	/* Free the slot only now; pairs with the acquire at unload. */
	smp_store_release(&m->task, NULL);
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
 *
 * The caller has just published or removed a profile. A thread forked
 * concurrently may not be on the list this walk sees; the full barrier
 * pairs with the one in the fork tracepoint, so that either this walk sees
 * the child or the child's tracepoint sees the change (and decides under
 * the child's lock either way).
 */
void cv_sync_all(void)
{
	struct task_struct *g, *t;

	if (!cv_faulting_usable())
		return;
	/* Publish before walking; pairs with smp_mb() in cv_tp_fork(). */
	smp_mb();
	rcu_read_lock();
	for_each_process_thread(g, t)
		cv_sync_task(t, CV_WIN_WALK);
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
	cv_test_window(CV_WIN_STUB);
	return -EPERM;
}

static noinline long cv_prctl_enomem(void)
{
	cv_test_window(CV_WIN_STUB);
	return -ENOMEM;
}

static noinline long cv_prctl_ret1(void)
{
	cv_test_window(CV_WIN_STUB);
	return 1;
}

static noinline long cv_prctl_ret0(void)
{
	cv_test_window(CV_WIN_STUB);
	return 0;
}

static noinline long cv_prctl_enodev(void)
{
	cv_test_window(CV_WIN_STUB);
	return -ENODEV;
}

/*
 * ARCH_SET_CPUID, done here rather than by the kernel after we return:
 * deciding "is this thread masked" and changing its flag must be one step
 * under its lock, or an ATTACH walk in between would be undone (the thread
 * escapes) or a walk would undo the request. Same results as the kernel's
 * set_cpuid_mode(): 0, or EPERM for a masked thread, ENOMEM if the request
 * cannot be remembered.
 */
static long (*cv_prctl_set_cpuid(unsigned long arg))(void)
{
	long (*answer)(void) = cv_prctl_ret0;
	struct task_struct *t = current;
	unsigned long flags;

	raw_spin_lock_irqsave(cv_task_lock(t), flags);
	if (cv_profile_of(t)) {
		/* Turning faulting off would unmask the task: refused. */
		answer = cv_prctl_eperm;
	} else if (cv_asked_set(t, !arg)) {
		answer = cv_prctl_enomem;
	} else {
		cv_sync_task_locked(t, CV_WIN_PRCTL);
		cv_resync_this_cpu();
	}
	raw_spin_unlock_irqrestore(cv_task_lock(t), flags);
	return answer;
}

static int cv_prctl_pre(struct kprobe *kp, struct pt_regs *regs)
{
	int option = (int)regs_get_kernel_argument(regs, CV_PRCTL_ARG_OPTION);
	unsigned long arg = regs_get_kernel_argument(regs, CV_PRCTL_ARG_VALUE);
	long (*answer)(void);

	if (option != ARCH_GET_CPUID && option != ARCH_SET_CPUID)
		return 0;

	/*
	 * Answered here every time, also while unloading (no profile exists
	 * then, so the answers are the kernel's own): declining means the
	 * kprobe emulates the probed instruction, and on Debian's 6.12.95 a
	 * declined hit taken through the int3 that ftrace plants while it
	 * repatches this call site (our other kprobe coming or going) jumped
	 * to address 0 (module-lifecycle's failed init).
	 */
	if (option == ARCH_SET_CPUID &&
	    (!boot_cpu_has(X86_FEATURE_CPUID_FAULT) || cv_module_switches))
		/*
		 * The kernel's answer where it did not detect faulting itself
		 * (we probed it): nobody arms it, so "asked" stays empty and
		 * no thread gets TIF_NOCPUID. (Test builds may switch the bit
		 * in switch.c on a kernel that detected it: the same there.)
		 */
		answer = cv_prctl_enodev;
	else if (option == ARCH_SET_CPUID)
		answer = cv_prctl_set_cpuid(arg);
	else if (cv_profile_of(current))
		/* What the task asked for, not the profile's faulting. */
		answer = cv_task_asked(current) ? cv_prctl_ret0 : cv_prctl_ret1;
	else
		answer = test_thread_flag(TIF_NOCPUID) ? cv_prctl_ret0 :
							 cv_prctl_ret1;
	instruction_pointer_set(regs, (unsigned long)answer);
	return 1;
}

static struct kprobe cv_prctl_kp = {
	.symbol_name = "do_arch_prctl_common",
	.pre_handler = cv_prctl_pre,
	.post_handler = cv_kprobe_ipmodify_post,
};

/* While seeding, no profile exists: TIF_NOCPUID is exactly "asked". */
bool cv_seeding;

/*
 * At load, remember the threads that armed faulting before we came. Not
 * exiting ones (PF_EXITING is set before the exit tracepoint, which
 * removes entries, fires): checked under the thread's lock, so either we
 * see the flag or the tracepoint removes what we add.
 */
static void cv_asked_seed(void)
{
	struct task_struct *g, *t;
	unsigned long flags;

	rcu_read_lock();
	for_each_process_thread(g, t) {
		if (t->flags & PF_KTHREAD)
			continue;
		raw_spin_lock_irqsave(cv_task_lock(t), flags);
		if (!(t->flags & PF_EXITING) &&
		    test_tsk_thread_flag(t, TIF_NOCPUID) &&
		    cv_asked_set(t, true))
			pr_warn("out of memory: pid %d loses its ARCH_SET_CPUID state\n",
				task_pid_nr(t));
		raw_spin_unlock_irqrestore(cv_task_lock(t), flags);
	}
	rcu_read_unlock();
}

/*
 * The tracepoints are registered (children and exits are followed). Hook
 * ARCH_SET_CPUID, let the calls the kernel is still answering itself
 * finish, then seed.
 */
int cv_arming_init(void)
{
	int ret;

	ret = register_kprobe(&cv_prctl_kp);
	if (ret) {
		pr_err("cannot hook do_arch_prctl_common: %d\n", ret);
		return ret;
	}
	synchronize_rcu_tasks();
	cv_asked_seed();
	return 0;
}

/* cv_unloading is set and the tracepoints are gone: nothing new is queued. */
void cv_arming_exit(void)
{
	unregister_kprobe(&cv_prctl_kp);
	flush_work(&cv_resync_work);
}
