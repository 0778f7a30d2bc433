// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU cache of the CPU's own CPUID answers. Inside a VM every real
 * CPUID is a VM exit (1-2 us on KVM, tens of us nested), so an emulation
 * that executes one costs two exits. Every leaf and subleaf is answered
 * from here once this CPU has read it (a small table per CPU).
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

#include <linux/bitmap.h>
#include <linux/cpuhotplug.h>
#include <linux/hash.h>
#include <linux/log2.h>
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
		 "answer from a per-CPU cache of the CPU's CPUID answers (default Y); N runs the real CPUID on every emulation, as before the cache (for benchmarks)");

/*
 * Up to CV_NCACHE_SIZE (leaf, subleaf) answers per CPU, open addressing
 * with CV_NCACHE_PROBES probes from the key's home; when all are taken,
 * the home entry is replaced, so keys a program invents (any ECX for a
 * leaf with subleaves) cannot keep real leaves out for long. glibc's
 * start-up asks about 30 (cache leaves 2 and 4, topology, the 0xd
 * components): at that load a full run of 16 probes is practically
 * impossible, so real keys are not evicted by each other (with 64 slots
 * and 4 probes they were: 4 real CPUIDs per ld.so start-up).
 */
#define CV_NCACHE_SIZE		128
#define CV_NCACHE_PROBES	16
#define CV_CR4_BITS		(X86_CR4_OSXSAVE | X86_CR4_PKE)

struct cv_nentry {
	u32 leaf, subleaf;
	u32 regs[CPUIDVIRT_NR_REGS];
};

struct cv_ncache {
	u32 gen;		/* cv_ncache_gen the entries belong to */
	u32 microcode;		/* revision they were read under */
	u32 cr4;		/* CV_CR4_BITS they were read under */
	u64 xcr0;		/* XCR0 the 0xd entries were read under */
	DECLARE_BITMAP(valid, CV_NCACHE_SIZE);
	struct cv_nentry e[CV_NCACHE_SIZE];
};

static DEFINE_PER_CPU(struct cv_ncache, cv_ncache);
/* A fresh CPU's entries (gen 0) are all invalid anyway: valid is empty. */
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

/*
 * Leaves that ignore ECX, as the CPU does: one entry whatever ECX is.
 * Every other leaf is keyed by its subleaf (an unknown leaf may be
 * answered from a leaf that has subleaves).
 */
static bool cv_leaf_ignores_ecx(u32 leaf)
{
	switch (leaf) {
	case 0x0 ... 0x3:
	case 0x5:
	case 0x6:
	case 0xa:
	case 0x15:
	case 0x16:
	case 0x80000000 ... 0x80000008:
		return true;
	}
	return false;
}

/*
 * The hypervisor's range is not cached: Xen's time leaf (0x40000x03)
 * carries an incarnation that changes when the VM migrates.
 */
static bool cv_leaf_is_hypervisor(u32 leaf)
{
	return leaf >= 0x40000000 && leaf <= 0x4fffffff;
}

static unsigned int cv_ncache_home(u32 leaf, u32 subleaf)
{
	return hash_64(((u64)leaf << 32) | subleaf, ilog2(CV_NCACHE_SIZE));
}

/* Drop what no longer matches this CPU's state. Preemption is off. */
static void cv_ncache_check(struct cv_ncache *c, u32 leaf)
{
	u32 gen = atomic_read(&cv_ncache_gen);
	u32 ucode = this_cpu_read(cpu_info.microcode);
	u32 cr4 = cr4_read_shadow() & CV_CR4_BITS;
	unsigned int i;
	u64 xcr0;

	if (c->gen != gen || c->microcode != ucode || c->cr4 != cr4) {
		bitmap_zero(c->valid, CV_NCACHE_SIZE);
		c->gen = gen;
		c->microcode = ucode;
		c->cr4 = cr4;
	}
	if (leaf != 0xd)
		return;
	/* XGETBV faults without CR4.OSXSAVE; leaf 0xd then has no sizes. */
	xcr0 = (cr4 & X86_CR4_OSXSAVE) ? xgetbv(XCR_XFEATURE_ENABLED_MASK) : 0;
	if (c->xcr0 == xcr0)
		return;
	c->xcr0 = xcr0;
	for (i = 0; i < CV_NCACHE_SIZE; i++)
		if (c->e[i].leaf == 0xd)
			__clear_bit(i, c->valid);
}

/* The entry for the key, or the one to fill: a free probe, else home. */
static struct cv_nentry *cv_ncache_find(struct cv_ncache *c, u32 leaf,
					u32 subleaf, bool *hit)
{
	unsigned int home = cv_ncache_home(leaf, subleaf);
	unsigned int i, idx, free = home;
	bool have_free = false;

	for (i = 0; i < CV_NCACHE_PROBES; i++) {
		idx = (home + i) % CV_NCACHE_SIZE;
		if (!test_bit(idx, c->valid)) {
			if (!have_free)
				free = idx;
			have_free = true;
			continue;
		}
		if (c->e[idx].leaf == leaf && c->e[idx].subleaf == subleaf) {
			*hit = true;
			return &c->e[idx];
		}
	}
	*hit = false;
	__clear_bit(free, c->valid);
	return &c->e[free];
}

/*
 * CPUID(leaf, subleaf) as this CPU answers it natively. Preemption is
 * off: the entries read and written are this CPU's own.
 */
void cv_cpuid(u32 leaf, u32 subleaf, u32 out[CPUIDVIRT_NR_REGS])
{
	struct cv_ncache *c;
	struct cv_nentry *e;
	bool hit;

	if (!READ_ONCE(native_cache) || cv_leaf_is_hypervisor(leaf)) {
		cv_real_cpuid(leaf, subleaf, out);
		return;
	}
	if (cv_leaf_ignores_ecx(leaf))
		subleaf = 0;
	c = this_cpu_ptr(&cv_ncache);
	cv_ncache_check(c, leaf);
	e = cv_ncache_find(c, leaf, subleaf, &hit);
	if (!hit) {
		cv_real_cpuid(leaf, subleaf, e->regs);
		e->leaf = leaf;
		e->subleaf = subleaf;
		__set_bit(e - c->e, c->valid);
	}
	memcpy(out, e->regs, sizeof(e->regs));
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
