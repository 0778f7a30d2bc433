// SPDX-License-Identifier: GPL-2.0
/*
 * The auxiliary vector of a program exec'd in a profiled cgroup: the
 * kernel's AT_HWCAP on x86 is CPUID leaf 1 EDX and AT_HWCAP2 carries
 * ring3mwait and fsgsbase, so a masked program could find a masked
 * feature there. At the exec tracepoint (after the binary's loader wrote
 * the new stack, in the exec'ing task, before its first instruction)
 * both words are rewritten: on the new stack, which ld.so and libc read,
 * and in mm->saved_auxv, which /proc/PID/auxv shows.
 *
 * The auxv is read once, at start-up: a task moved into or out of a
 * profile keeps the words it started with until its next exec (CPUID
 * changes at once; docs/module.md, "Other views").
 */

#include <linux/binfmts.h>
#include <linux/elf.h>
#include <linux/mm_types.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <asm/hwcap2.h>

#include "internal.h"

static atomic_t cv_auxv_errors = ATOMIC_INIT(0);

static int cv_auxv_errors_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&cv_auxv_errors));
}

static const struct kernel_param_ops cv_auxv_errors_ops = {
	.get = cv_auxv_errors_get,
};

module_param_cb(auxv_errors, &cv_auxv_errors_ops, NULL, 0444);
MODULE_PARM_DESC(auxv_errors,
		 "execs in a profiled cgroup whose auxiliary vector could not be rewritten (the program saw the kernel's AT_HWCAP/AT_HWCAP2)");

/* One word of the new stack, elf_addr_t wide: 4 bytes for 32-bit ELF. */
static int cv_uword(unsigned long addr, bool is32, unsigned long *v)
{
	u32 w;

	if (!is32)
		return copy_from_user_nofault(v, (void __user *)addr, 8);
	if (copy_from_user_nofault(&w, (void __user *)addr, 4))
		return -EFAULT;
	*v = w;
	return 0;
}

static int cv_uword_put(unsigned long addr, bool is32, unsigned long v)
{
	u32 w = v;

	if (!is32)
		return copy_to_user_nofault((void __user *)addr, &v, 8);
	return copy_to_user_nofault((void __user *)addr, &w, 4);
}

/* mm->saved_auxv holds elf_addr_t entries too, packed. */
static unsigned long cv_saved(struct mm_struct *mm, bool is32, unsigned int i)
{
	return is32 ? ((u32 *)mm->saved_auxv)[i] : mm->saved_auxv[i];
}

static void cv_saved_put(struct mm_struct *mm, bool is32, unsigned int i,
			 unsigned long v)
{
	if (is32)
		WRITE_ONCE(((u32 *)mm->saved_auxv)[i], v);
	else
		WRITE_ONCE(mm->saved_auxv[i], v);
}

static void cv_auxv_failed(const char *why)
{
	atomic_inc(&cv_auxv_errors);
	pr_warn_ratelimited("pid %d (%s): auxiliary vector not rewritten (%s): it shows the kernel's AT_HWCAP/AT_HWCAP2\n",
			    task_pid_nr(current), current->comm, why);
}

/*
 * Rewrite AT_HWCAP and AT_HWCAP2. The loader put argc at mm->start_stack,
 * then argv, NULL, envp, NULL and the auxv, a copy of mm->saved_auxv
 * (create_elf_tables() in 6.1 and 6.12): so the auxv starts
 * bprm->argc + bprm->envc + 3 words up (binfmt_script's extra arguments
 * are counted in bprm->argc). Every read is checked against what the
 * layout says; the walk is bounded by saved_auxv's size.
 */
static void cv_auxv_rewrite(struct linux_binprm *bprm, unsigned long hwcap,
			    unsigned long clear2)
{
	struct mm_struct *mm = current->mm;
	unsigned int ws, nr, i;
	unsigned long base, v, id;
	bool is32;

	/* The final binary's header: binfmt_script/misc re-read it. */
	if (memcmp(bprm->buf, ELFMAG, SELFMAG))
		return;
	is32 = bprm->buf[EI_CLASS] == ELFCLASS32;
	ws = is32 ? 4 : 8;
	nr = sizeof(mm->saved_auxv) / ws;
	base = mm->start_stack + ((unsigned long)bprm->argc + bprm->envc + 3) * ws;
	if (cv_uword(mm->start_stack, is32, &v) || v != bprm->argc ||
	    cv_uword(base - ws, is32, &v) || v) {
		cv_auxv_failed("unexpected stack layout");
		return;
	}
	for (i = 0; i + 1 < nr; i += 2) {
		id = cv_saved(mm, is32, i);
		if (id == AT_NULL)
			break;
		if (id == AT_HWCAP)
			v = hwcap;
		else if (id == AT_HWCAP2)
			v = cv_saved(mm, is32, i + 1) & ~clear2;
		else
			continue;
		if (cv_uword(base + i * ws, is32, &id) ||
		    id != cv_saved(mm, is32, i) ||
		    cv_uword_put(base + (i + 1) * ws, is32, v)) {
			cv_auxv_failed("stack not writable or not the saved copy");
			return;
		}
		cv_saved_put(mm, is32, i + 1, v);
	}
}

/*
 * sched_process_exec, in the exec'ing task, preemption disabled (so the
 * stack is accessed with the _nofault helpers: its pages were written
 * by the loader a moment ago and are present).
 */
void cv_auxv_exec(struct linux_binprm *bprm)
{
	u32 l1[CPUIDVIRT_NR_REGS], l7[CPUIDVIRT_NR_REGS];
	unsigned long clear2 = 0;
	struct cv_profile *p;

	if (!cv_views_on() || !current->mm)
		return;
	rcu_read_lock();
	p = cv_profile_of(current);
	if (p) {
		const struct cv_rules *r = rcu_dereference(p->rules);

		cv_view_cpuid(r, 1, 0, l1);
		cv_view_cpuid(r, 7, 0, l7);
	}
	rcu_read_unlock();
	if (!p)
		return;
	/* fsgsbase is 7.0.EBX bit 0; ring3mwait needs MONITOR, 1.ECX bit 3. */
	if (!(l7[CPUIDVIRT_EBX] & BIT(0)))
		clear2 |= HWCAP2_FSGSBASE;
	if (!(l1[CPUIDVIRT_ECX] & BIT(3)))
		clear2 |= HWCAP2_RING3MWAIT;
	cv_auxv_rewrite(bprm, l1[CPUIDVIRT_EDX], clear2);
}
