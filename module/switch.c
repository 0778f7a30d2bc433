// SPDX-License-Identifier: GPL-2.0
/*
 * The module's own context switch of the enable bit, for kernels that do
 * not switch the mechanism's MSR for TIF_NOCPUID: AMD CpuidUserDis (HWCR
 * bit 35) on 6.1 and 6.12, whose __switch_to_xtra() would write MSR 0x140
 * (absent on AMD: an unchecked MSR access) for a thread with TIF_NOCPUID.
 * So in this mode (cv_module_switches) no thread ever gets TIF_NOCPUID;
 * instead a sched_switch probe sets this CPU's bit to "the incoming
 * thread should fault" (masked, or the armed selftest thread), which it
 * reads live, and the resyncs do the same for the running thread.
 *
 * The probe is registered at load, in this mode only, and returns at once
 * while nothing may fault (no profile attached, selftest not armed).
 * Registering it only while a profile exists would toggle the tracepoint's
 * static key, i.e. patch __schedule() with text_poke_bp(), at every first
 * ATTACH and last DETACH, on every CPU's hottest path; under the test bed's
 * multi-threaded TCG that now and then leaves a stale int3 ("Oops: int3"
 * in __schedule, seen while a stress scenario looped ATTACH/DETACH).
 *
 * A per-CPU shadow of the bit makes a switch between two threads that want
 * the same cost one compare; kernel threads (and idle) never run user
 * code, so the bit is left as it is for them.
 *
 * A resume from suspend or hibernation resets the boot CPU's MSRs under
 * the shadow: left alone, a masked thread that is current across the
 * resume, and every masked thread after it until one that wants the bit
 * clear, would run CPUID natively (module-resume scenario). A syscore
 * resume hook, on that CPU before any thread runs, sets the bit again.
 * The other CPUs come back through CPU hotplug (faultcheck.c's online
 * callback reads their bit into the shadow).
 */

#include <linux/atomic.h>
#include <linux/irqflags.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/syscore_ops.h>
#include <linux/tracepoint.h>
#include <asm/msr.h>

#include "internal.h"

/* Set at load (faultcheck.c): the kernel does not switch our MSR. */
bool cv_module_switches;

/* This CPU's enable bit as last written (or read) by us. */
static DEFINE_PER_CPU(bool, cv_cpu_armed);

static atomic_t cv_switch_users;	/* profiles + armed selftest */
static struct tracepoint *cv_switch_tp;
static bool cv_switch_registered;

/* Interrupts off: set this CPU's bit and the shadow. */
static void cv_cpu_write(bool want)
{
	cv_cpu_set_enable(want);
	__this_cpu_write(cv_cpu_armed, want);
}

/* The stick check read (and restored) this CPU's bit. */
void cv_switch_note_cpu(bool armed)
{
	__this_cpu_write(cv_cpu_armed, armed);
}

static bool cv_switch_wants(struct task_struct *t)
{
	return !(t->flags & PF_KTHREAD) &&
	       (cv_selftest_task(t) || cv_profile_of(t));
}

/* Preemption disabled: this CPU's bit to what its current thread wants. */
void cv_switch_resync(void)
{
	unsigned long flags;

	/* Against an IPI resync in between the decision and the write. */
	local_irq_save(flags);
	cv_cpu_write(cv_switch_wants(current));
	local_irq_restore(flags);
}

/* sched_switch (6.1 and 6.12 signature): interrupts off, rq locked, before the switch. */
static void cv_tp_switch(void *data, bool preempt, struct task_struct *prev,
			 struct task_struct *next, unsigned int prev_state)
{
	bool want;

	if (!atomic_read(&cv_switch_users) || (next->flags & PF_KTHREAD))
		return;
	want = cv_switch_wants(next);
	if (want != __this_cpu_read(cv_cpu_armed))
		cv_cpu_write(want);
}

static void cv_switch_resync_ipi(void *unused)
{
	cv_switch_resync();
}

/*
 * Before whatever makes a thread want to fault is published (a profile,
 * the selftest thread): from then on every switch sets the bit for the
 * incoming thread.
 */
void cv_switch_get(void)
{
	if (cv_module_switches)
		atomic_inc(&cv_switch_users);
}

/*
 * Process context, after it was removed (and the CPUs resynced). The last
 * user clears every CPU's bit: the probe stops looking, and nothing wants
 * the bit any more.
 */
void cv_switch_put(void)
{
	if (cv_module_switches && atomic_dec_and_test(&cv_switch_users))
		on_each_cpu(cv_switch_resync_ipi, NULL, 1);
}

/* True while something may fault: a flag change may need a resync. */
bool cv_switch_active(void)
{
	return atomic_read(&cv_switch_users);
}

/* Syscore resume: the boot CPU, interrupts off, one CPU online. */
static void cv_switch_resume(CV_SYSCORE_ARG)
{
	cv_cpu_write(cv_switch_wants(current));
}

#ifdef CV_HAVE_SYSCORE_DATA
static const struct syscore_ops cv_switch_syscore_ops = {
	.resume = cv_switch_resume,
};

static struct syscore cv_switch_syscore = {
	.ops = &cv_switch_syscore_ops,
};

static void cv_switch_syscore_register(void)
{
	register_syscore(&cv_switch_syscore);
}

static void cv_switch_syscore_unregister(void)
{
	unregister_syscore(&cv_switch_syscore);
}
#else
static struct syscore_ops cv_switch_syscore = {
	.resume = cv_switch_resume,
};

static void cv_switch_syscore_register(void)
{
	register_syscore_ops(&cv_switch_syscore);
}

static void cv_switch_syscore_unregister(void)
{
	unregister_syscore_ops(&cv_switch_syscore);
}
#endif

static void cv_switch_find(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_switch"))
		cv_switch_tp = tp;
}

int cv_switch_init(void)
{
	int ret;

	if (!cv_module_switches)
		return 0;
	for_each_kernel_tracepoint(cv_switch_find, NULL);
	ret = cv_switch_tp ?
		tracepoint_probe_register(cv_switch_tp, cv_tp_switch, NULL) :
		-ENOENT;
	if (ret) {
		pr_err("cannot hook sched_switch: %d\n", ret);
		return ret;
	}
	cv_switch_syscore_register();
	cv_switch_registered = true;
	return 0;
}

/* The caller waits for running probes (tracepoint_synchronize_unregister). */
void cv_switch_exit(void)
{
	if (cv_switch_registered) {
		cv_switch_syscore_unregister();
		tracepoint_probe_unregister(cv_switch_tp, cv_tp_switch, NULL);
	}
	cv_switch_registered = false;
}
