// SPDX-License-Identifier: GPL-2.0
/*
 * The #GP hook. A CPUID executed with faulting enabled raises #GP(0) in
 * user mode; the kernel's last step before SIGSEGV is
 * fixup_vdso_exception(). A kprobe there decodes the faulting instruction
 * and, if it is CPUID of a thread we fault, emulates it and makes the
 * probed function return true ("handled", no signal) by resuming in
 * cpuidvirt_handled() with the caller's return address.
 */

#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/ptrace.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/uaccess.h>
#include <asm/debugreg.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/trapnr.h>

#include "internal.h"

#define CV_MAX_INSN	15	/* longest x86 instruction */

/*
 * Timing is sampled: the first emulation and then one in CV_TIME_EVERY,
 * per profile and CPU, reads the clock (twice) and counts for
 * CV_TIME_EVERY, so an emulation reads it 1/8 of a time on average.
 */
#define CV_TIME_EVERY	16

/* The kprobed function resumes here: "the exception was handled". */
static noinline bool cpuidvirt_handled(void)
{
	return true;
}

/*
 * Length of the CPUID instruction in the n bytes of buf, 0 if it is not
 * CPUID, -EAGAIN if all n bytes may start a CPUID and the rest is unread.
 */
static int cv_decode(const u8 *buf, unsigned int n, bool is64)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		switch (buf[i]) {
		case 0x26: case 0x2e: case 0x36: case 0x3e:
		case 0x64: case 0x65: case 0x66: case 0x67:
		case 0xf2: case 0xf3:
			continue;
		}
		/*
		 * REX (40-4F) is a prefix only in 64-bit mode (inc/dec in
		 * 32-bit code). The CPU ignores one that is not right before
		 * the opcode, so it may appear among the legacy prefixes too.
		 */
		if (is64 && (buf[i] & 0xf0) == 0x40)
			continue;
		break;
	}
	if (i + 2 > n) {
		/* Prefixes, maybe a 0F, then the end of what could be read. */
		if (n < CV_MAX_INSN && (i == n || buf[i] == 0x0f))
			return -EAGAIN;
		return 0;
	}
	if (buf[i] != 0x0f || buf[i + 1] != 0xa2)
		return 0;
	return i + 2;
}

/*
 * Read len bytes of the current thread's code at addr (within one page).
 * Atomic: only what is mapped now. Otherwise pages are faulted in, and
 * code the CPU may execute but the kernel may not read (PROT_EXEC made
 * execute-only by a protection key) is read the way ptrace reads it.
 */
static bool cv_read(unsigned long addr, u8 *buf, unsigned int len, bool atomic)
{
	const u8 __user *u = (const u8 __user *)addr;

	if (atomic)
		return !copy_from_user_nofault(buf, u, len);
	if (!copy_from_user(buf, u, len))
		return true;
	return access_process_vm(current, addr, buf, len, FOLL_FORCE) == len;
}

/*
 * Read up to CV_MAX_INSN bytes at ip, page by page. An instruction may end
 * right before a page that cannot be read, so this stops at the first
 * such page and returns the bytes read; cv_decode() says if that is enough.
 */
static unsigned int cv_fetch(unsigned long ip, u8 *buf, bool atomic)
{
	unsigned int n = 0, chunk;

	while (n < CV_MAX_INSN) {
		chunk = min_t(unsigned long, CV_MAX_INSN - n,
			      PAGE_SIZE - offset_in_page(ip + n));
		if (!cv_read(ip + n, buf + n, chunk, atomic))
			break;
		n += chunk;
	}
	return n;
}

static void cv_set_result(struct pt_regs *regs, unsigned int len,
			  const u32 out[CPUIDVIRT_NR_REGS])
{
	/* Like CPUID in 64-bit mode, the upper halves are zeroed. */
	regs->ax = out[CPUIDVIRT_EAX];
	regs->bx = out[CPUIDVIRT_EBX];
	regs->cx = out[CPUIDVIRT_ECX];
	regs->dx = out[CPUIDVIRT_EDX];
	regs->ip += len;
	/*
	 * The instruction completed: the CPU clears RF, which a fault pushes
	 * set; left set it would suppress a breakpoint on the next one.
	 */
	regs->flags &= ~X86_EFLAGS_RF;
}

/*
 * A CPUID executed with EFLAGS.TF set has completed: the CPU would now
 * raise a single-step #DB, and the kernel's #DB handler
 * (exc_debug_user()) would record DR6.BS and send SIGTRAP/TRAP_TRACE at
 * the next instruction. Do the same, or one step would run two
 * instructions. Not with TIF_BLOCKSTEP (DEBUGCTL.BTF): then TF traps only
 * on branches. force_sig_fault() is not exported: send_sig_info() gives
 * the same siginfo but does not override a blocked or ignored SIGTRAP,
 * for which force_sig() keeps the outcome (the thread dies of SIGTRAP).
 * May sleep on PREEMPT_RT (siglock): call it preemptible.
 */
static void cv_single_step(struct pt_regs *regs)
{
	struct task_struct *t = current;
	struct kernel_siginfo info;
	bool deliverable;

	if (!(regs->flags & X86_EFLAGS_TF) || test_thread_flag(TIF_BLOCKSTEP))
		return;

	t->thread.virtual_dr6 = DR_STEP;
	t->thread.trap_nr = X86_TRAP_DB;
	t->thread.error_code = 0;

	spin_lock_irq(&t->sighand->siglock);
	deliverable = !sigismember(&t->blocked, SIGTRAP) &&
		      (t->ptrace ||
		       t->sighand->action[SIGTRAP - 1].sa.sa_handler != SIG_IGN);
	spin_unlock_irq(&t->sighand->siglock);
	if (!deliverable) {
		force_sig(SIGTRAP);
		return;
	}
	clear_siginfo(&info);
	info.si_signo = SIGTRAP;
	info.si_code = TRAP_TRACE;
	info.si_addr = (void __user *)regs->ip;
	send_sig_info(SIGTRAP, &info, t);
}

/* Resume point when the emulated CPUID was single-stepped. */
static noinline bool cpuidvirt_handled_step(struct pt_regs *regs, int trapnr,
					    unsigned long error_code,
					    unsigned long fault_addr)
{
	cv_single_step(regs);
	return true;
}

/* Answer from profile p, counted in per-CPU counters only. */
static void cv_emulate(struct cv_profile *p, struct pt_regs *regs,
		       unsigned int len)
{
	u32 leaf = (u32)regs->ax, subleaf = (u32)regs->cx;
	u32 out[CPUIDVIRT_NR_REGS];
	u64 t0 = 0, dt;
	bool timed;

	timed = !(this_cpu_read(p->stats->emulated) % CV_TIME_EVERY);
	if (timed)
		t0 = ktime_get_ns();
	cv_rules_apply(rcu_dereference(p->rules), leaf, subleaf, out);
	cv_set_result(regs, len, out);
	this_cpu_inc(p->stats->emulated);
	this_cpu_inc(cv_pcpu_stats.emulated);
	if (timed) {
		dt = (ktime_get_ns() - t0) * CV_TIME_EVERY;
		this_cpu_add(p->stats->emulated_ns, dt);
		this_cpu_add(cv_pcpu_stats.emulated_ns, dt);
	}
}

/*
 * A CPUID of len bytes trapped in current. Preemption is disabled and the
 * RCU read lock held. Returns true if answered, false to leave the fault
 * to the kernel (SIGSEGV).
 */
static bool cv_handle_cpuid(struct pt_regs *regs, unsigned int len)
{
	u32 leaf = (u32)regs->ax, subleaf = (u32)regs->cx;
	u32 out[CPUIDVIRT_NR_REGS];
	struct cv_profile *p;
	bool selftest;

	selftest = cv_selftest_task(current);
	if (selftest && cv_selftest_trap(leaf, out)) {
		cv_set_result(regs, len, out);
		return true;
	}

	p = cv_profile_of_current();
	if (!p && !selftest) {
		/*
		 * While unloading every hook leaves the flag to the kernel,
		 * so a set flag means the task asked; otherwise decide under
		 * the task's lock.
		 */
		if (READ_ONCE(cv_unloading) ? test_thread_flag(TIF_NOCPUID) :
					      !cv_repair_stale()) {
			/* It asked (rr-style, wants SIGSEGV), or got masked. */
			p = cv_profile_of(current);
			if (!p) {
				this_cpu_inc(cv_pcpu_stats.foreign);
				return false;
			}
		} else {
			/*
			 * Nobody wants it to fault: a CPU kept bit 0 for it
			 * (a flag changed while it ran). Answered natively,
			 * the CPU repaired.
			 */
			if (READ_ONCE(cv_unloading))
				cv_resync_this_cpu();
			this_cpu_inc(cv_pcpu_stats.stale_repaired);
		}
	}
	if (p) {
		cv_emulate(p, regs, len);
		return true;
	}
	cv_cpuid(leaf, subleaf, out);
	cv_set_result(regs, len, out);
	return true;
}

/*
 * Slow path for when the instruction could not be read in full without
 * faulting (a page of it not present: dropped by MADV_DONTNEED, reclaim or
 * migration after the CPU fetched it; or execute-only): the probed
 * function is redirected here, with its arguments, in the preemptible #GP
 * context (interrupts on, no locks) where pages may be faulted in. If the
 * bytes still cannot be read, the code was unmapped or changed under the
 * thread after the CPU fetched it: left to the kernel (SIGSEGV), as a
 * fetch from the unmapped page would be. This returns false for other #GP
 * faults too, and vDSO pages are always present, so the vDSO fixup is
 * never skipped.
 */
static noinline bool cpuidvirt_gp_slow(struct pt_regs *regs, int trapnr,
				       unsigned long error_code,
				       unsigned long fault_addr)
{
	u8 buf[CV_MAX_INSN];
	bool handled = false;
	unsigned int n;
	int len;

	n = cv_fetch(regs->ip, buf, false);
	len = cv_decode(buf, n, user_64bit_mode(regs));
	if (len > 0) {
		/* cv_handle_cpuid() wants what a kprobe handler has. */
		preempt_disable();
		rcu_read_lock();
		handled = cv_handle_cpuid(regs, len);
		rcu_read_unlock();
		preempt_enable();
		if (handled)
			cv_single_step(regs);
	}
	/* Taken by cv_gp_pre: this function may sleep, so rmmod must wait. */
	module_put(THIS_MODULE);
	return handled;
}

/* kprobe on fixup_vdso_exception(regs, trapnr, error_code, fault_addr) */
static int cv_gp_pre(struct kprobe *kp, struct pt_regs *kregs)
{
	struct pt_regs *regs = (struct pt_regs *)regs_get_kernel_argument(kregs, 0);
	int trapnr = (int)regs_get_kernel_argument(kregs, 1);
	unsigned long error_code = regs_get_kernel_argument(kregs, 2);
	u8 buf[CV_MAX_INSN];
	unsigned int n;
	bool handled;
	int len;

	if (trapnr != X86_TRAP_GP || error_code || !user_mode(regs))
		return 0;
	/*
	 * Only the kernel's flat user code segments. In any other (an LDT
	 * code segment, as Wine and dosemu set up) regs->ip is an offset
	 * from the segment's base, not the instruction's address: such a
	 * CPUID is left to the kernel (SIGSEGV). user_64bit_mode() also
	 * knows Xen PV's extra 64-bit user selector.
	 */
	if (!user_64bit_mode(regs) && regs->cs != __USER32_CS)
		return 0;

	n = cv_fetch(regs->ip, buf, true);
	len = cv_decode(buf, n, user_64bit_mode(regs));
	if (!len)
		return 0;
	if (len < 0) {
		/* Part of it is not present: read it where we may sleep. */
		if (!try_module_get(THIS_MODULE))
			return 0;
		instruction_pointer_set(kregs, (unsigned long)cpuidvirt_gp_slow);
		return 1;
	}

	rcu_read_lock();
	handled = cv_handle_cpuid(regs, len);
	rcu_read_unlock();
	if (!handled)
		return 0;
	/* A single-step trap is sent from the stub, not from here (atomic). */
	if (regs->flags & X86_EFLAGS_TF)
		instruction_pointer_set(kregs, (unsigned long)cpuidvirt_handled_step);
	else
		instruction_pointer_set(kregs, (unsigned long)cpuidvirt_handled);
	return 1;
}

/*
 * Both kprobes redirect the probed function. A post_handler makes a
 * kprobe on ftrace use IPMODIFY, without which the new ip is ignored.
 */
void cv_kprobe_ipmodify_post(struct kprobe *kp, struct pt_regs *regs,
			     unsigned long flags)
{
}

static struct kprobe cv_gp_kp = {
	.symbol_name = "fixup_vdso_exception",
	.pre_handler = cv_gp_pre,
	.post_handler = cv_kprobe_ipmodify_post,
};

int cv_emulate_init(void)
{
	int ret = register_kprobe(&cv_gp_kp);

	if (ret)
		pr_err("cannot hook fixup_vdso_exception: %d\n", ret);
	return ret;
}

void cv_emulate_exit(void)
{
	unregister_kprobe(&cv_gp_kp);
}
