// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU cache of the CPU's own CPUID answers. Inside a VM every real
 * CPUID is a VM exit (1-2 us on KVM, tens of us nested), so an emulation
 * that executes one costs two exits. The leaves programs ask most are
 * answered from here; every other leaf runs the real instruction.
 *
 * Each CPU fills and reads only its own entries, with preemption off (the
 * #GP hook), so an entry is always what that CPU answered. Why the
 * dynamic fields stay exact:
 *   - APIC IDs (1.EBX[31:24], 0xb.EDX) are per CPU: the cache is per CPU.
 *   - OSXSAVE (1.ECX[27]) and OSPKE (7.0.ECX[4]) mirror CR4.OSXSAVE and
 *     CR4.PKE: the entries remember the CR4 bits they were read under
 *     (the kernel's per-CPU CR4 shadow) and are dropped when they differ.
 *   - The leaf 0xd sizes follow XCR0 and IA32_XSS: the 0xd entries
 *     remember XCR0 (XGETBV, which does not exit) and are dropped when it
 *     differs. Linux writes IA32_XSS only when it brings a CPU up (before
 *     the hotplug callback below); KVM loads a guest's XCR0/XSS only
 *     between its VM entry and exit with interrupts off, never while a
 *     user #GP is handled. XSS is not read: an RDMSR may exit.
 *   - A late microcode load can change CPUID bits: the kernel records
 *     each CPU's new revision in cpu_data(cpu).microcode, and entries
 *     read under another revision are dropped.
 *   - A CPU that comes online (hotplug callback) and CPUIDVIRT_IOC_REFRESH
 *     bump a generation: every CPU re-reads on its next emulation.
 */

#include <linux/cpuhotplug.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/fpu/xcr.h>
#include <asm/processor.h>
#include <asm/tlbflush.h>

#include "internal.h"

static bool native_cache = true;
module_param(native_cache, bool, 0644);
MODULE_PARM_DESC(native_cache,
		 "answer common leaves from a per-CPU cache of the CPU's CPUID (default Y); N runs the real CPUID on every emulation, as before the cache (for benchmarks)");

enum {
	CV_SLOT_0, CV_SLOT_1, CV_SLOT_7_0, CV_SLOT_7_1, CV_SLOT_B_0,
	CV_SLOT_B_1, CV_SLOT_D_0, CV_SLOT_D_1, CV_SLOT_E0, CV_SLOT_E1,
	CV_SLOT_E7, CV_SLOT_E8, CV_NR_SLOTS
};

#define CV_SLOTS_D	(BIT(CV_SLOT_D_0) | BIT(CV_SLOT_D_1))
#define CV_CR4_BITS	(X86_CR4_OSXSAVE | X86_CR4_PKE)

struct cv_ncache {
	u32 gen;		/* cv_ncache_gen the entries belong to */
	u32 valid;		/* BIT(slot) */
	u32 microcode;		/* revision they were read under */
	u32 cr4;		/* CV_CR4_BITS they were read under */
	u64 xcr0;		/* XCR0 the 0xd entries were read under */
	u32 regs[CV_NR_SLOTS][CPUIDVIRT_NR_REGS];
};

static DEFINE_PER_CPU(struct cv_ncache, cv_ncache);
/* A fresh CPU's entries (gen 0) are all invalid anyway: valid is 0. */
static atomic_t cv_ncache_gen = ATOMIC_INIT(1);
static int cv_ncache_cpuhp = -1;
DEFINE_PER_CPU(struct cv_pcpu_stats, cv_pcpu_stats);

/* The real instruction, counted: inside a VM each one is an exit. */
void cv_real_cpuid(u32 leaf, u32 subleaf, u32 out[CPUIDVIRT_NR_REGS])
{
	this_cpu_inc(cv_pcpu_stats.real_cpuids);
	cpuid_count(leaf, subleaf, &out[CPUIDVIRT_EAX], &out[CPUIDVIRT_EBX],
		    &out[CPUIDVIRT_ECX], &out[CPUIDVIRT_EDX]);
}

/* Leaves without subleaves ignore ECX, as the CPU does. */
static int cv_slot(u32 leaf, u32 subleaf)
{
	switch (leaf) {
	case 0x0:
		return CV_SLOT_0;
	case 0x1:
		return CV_SLOT_1;
	case 0x7:
		return subleaf <= 1 ? CV_SLOT_7_0 + subleaf : -1;
	case 0xb:
		return subleaf <= 1 ? CV_SLOT_B_0 + subleaf : -1;
	case 0xd:
		return subleaf <= 1 ? CV_SLOT_D_0 + subleaf : -1;
	case 0x80000000:
		return CV_SLOT_E0;
	case 0x80000001:
		return CV_SLOT_E1;
	case 0x80000007:
		return CV_SLOT_E7;
	case 0x80000008:
		return CV_SLOT_E8;
	}
	return -1;
}

/* Drop what no longer matches this CPU's state. Preemption is off. */
static void cv_ncache_check(struct cv_ncache *c, int slot)
{
	u32 gen = atomic_read(&cv_ncache_gen);
	u32 ucode = this_cpu_read(cpu_info.microcode);
	u32 cr4 = cr4_read_shadow() & CV_CR4_BITS;
	u64 xcr0;

	if (c->gen != gen || c->microcode != ucode || c->cr4 != cr4) {
		c->valid = 0;
		c->gen = gen;
		c->microcode = ucode;
		c->cr4 = cr4;
	}
	if (!(BIT(slot) & CV_SLOTS_D))
		return;
	/* XGETBV faults without CR4.OSXSAVE; leaf 0xd then has no sizes. */
	xcr0 = (cr4 & X86_CR4_OSXSAVE) ? xgetbv(XCR_XFEATURE_ENABLED_MASK) : 0;
	if (c->xcr0 != xcr0) {
		c->valid &= ~CV_SLOTS_D;
		c->xcr0 = xcr0;
	}
}

/*
 * CPUID(leaf, subleaf) as this CPU answers it natively. Preemption is
 * off: the entries read and written are this CPU's own.
 */
void cv_cpuid(u32 leaf, u32 subleaf, u32 out[CPUIDVIRT_NR_REGS])
{
	int slot = cv_slot(leaf, subleaf);
	struct cv_ncache *c;

	if (slot < 0 || !READ_ONCE(native_cache)) {
		cv_real_cpuid(leaf, subleaf, out);
		return;
	}
	c = this_cpu_ptr(&cv_ncache);
	cv_ncache_check(c, slot);
	if (!(c->valid & BIT(slot))) {
		cv_real_cpuid(leaf, subleaf, c->regs[slot]);
		c->valid |= BIT(slot);
	}
	memcpy(out, c->regs[slot], sizeof(c->regs[slot]));
}

/*
 * Every CPU re-reads on its next emulation. One already past its check
 * answers from before, as if it had completed before this call: no wait.
 */
void cv_ncache_refresh(void)
{
	atomic_inc(&cv_ncache_gen);
}

/* A CPU came online: it may be another CPU, or have other microcode. */
static int cv_ncache_online(unsigned int cpu)
{
	atomic_inc(&cv_ncache_gen);
	return 0;
}

int cv_ncache_init(void)
{
	int ret;

	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN,
					"cpuidvirt:ncache", cv_ncache_online,
					NULL);
	if (ret < 0) {
		pr_err("cannot follow CPU hotplug for the CPUID cache: %d\n",
		       ret);
		return ret;
	}
	cv_ncache_cpuhp = ret;
	return 0;
}

void cv_ncache_exit(void)
{
	if (cv_ncache_cpuhp >= 0)
		cpuhp_remove_state_nocalls(cv_ncache_cpuhp);
	cv_ncache_cpuhp = -1;
}

/* Counters are per CPU (no shared cache line in the #GP hook): sum them. */
void cv_stats_sum(struct cv_pcpu_stats *sum)
{
	const struct cv_pcpu_stats *s;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		s = per_cpu_ptr(&cv_pcpu_stats, cpu);
		sum->emulated += READ_ONCE(s->emulated);
		sum->emulated_ns += READ_ONCE(s->emulated_ns);
		sum->stale_repaired += READ_ONCE(s->stale_repaired);
		sum->foreign += READ_ONCE(s->foreign);
		sum->real_cpuids += READ_ONCE(s->real_cpuids);
	}
}
