// SPDX-License-Identifier: GPL-2.0
/*
 * Is CPUID faulting real? First which mechanism this machine offers
 * (docs/module.md, "Fault support"), then fail closed: some hypervisors
 * advertise it but drop the enable bit, or keep the bit and never trap. At
 * load the bit is checked on every online CPU; the rest is a behavioural
 * selftest driven from user space, one CPU at a time. ATTACH is refused
 * until every online CPU has trapped.
 */

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/mutex.h>
#include <linux/sched/task.h>
#include <linux/smp.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>

#include "internal.h"

static enum cpuidvirt_fault_state cv_state = CPUIDVIRT_FAULT_ABSENT;
static int cv_bad_cpu = -1;		/* the CPU that failed, for STATUS */
static struct cpumask cv_verified;	/* CPUs that trapped in a selftest */
static DEFINE_MUTEX(cv_selftest_lock);

static struct task_struct *cv_st_task;	/* armed selftest thread, referenced */
static int cv_st_trapped_cpu = -1;
static int cv_hotplug_cpu = -1;		/* last CPU onlined after a selftest */
static int cv_cpuhp_state = -1;

/* Intel's, which KVM and Xen also offer to guests of any CPU vendor. */
static const struct cv_mech cv_mech_intel = {
	.name = "Intel CPUID faulting (MSR 0x140)",
	.msr = MSR_MISC_FEATURES_ENABLES,
	.bit = MSR_MISC_FEATURES_ENABLES_CPUID_FAULT,
};

/* The mechanism in use; NULL while ABSENT. */
const struct cv_mech *cv_mech;

/* AMD's own; Linux drives it only from 6.17 on (compat.h). */
static const struct cv_mech cv_mech_amd = {
	.name = "AMD CpuidUserDis (HWCR bit 35)",
	.msr = MSR_K7_HWCR,
	.bit = BIT_ULL(CV_HWCR_CPUID_USER_DIS_BIT),
};

/* Why ABSENT, for STATUS. */
enum cv_absent {
	CV_ABSENT_NO_PINFO,
	CV_ABSENT_PINFO_CLEAR,
};

static const char *const cv_absent_why[] = {
	[CV_ABSENT_NO_PINFO] =
		"no CPUID faulting: MSR_PLATFORM_INFO cannot be read and CPUID 0x80000021 EAX bit 17 is clear",
	[CV_ABSENT_PINFO_CLEAR] =
		"no CPUID faulting: MSR_PLATFORM_INFO bit 31 is clear and CPUID 0x80000021 EAX bit 17 is clear",
};

static enum cv_absent cv_absent = CV_ABSENT_NO_PINFO;

enum cpuidvirt_fault_state cv_fault_state(void)
{
	return READ_ONCE(cv_state);
}

/* The enable bit sticks: hooks are installed and the selftest may run. */
bool cv_faulting_usable(void)
{
	return cv_fault_state() >= CPUIDVIRT_FAULT_LYING_NO_TRAP;
}

static void cv_check_stick(void *failed)
{
	const struct cv_mech *m = cv_mech;
	u64 orig, v;

	if (cv_rdmsr_safe(m->msr, &orig) ||
	    cv_wrmsr_safe(m->msr, orig | m->bit) ||
	    cv_rdmsr_safe(m->msr, &v))
		v = 0;
	/* Interrupts are off: restoring the bit covers the current thread. */
	cv_wrmsr_safe(m->msr, orig);
	cv_switch_note_cpu(orig & m->bit);
	if (!(v & m->bit))
		cpumask_set_cpu(smp_processor_id(), failed);
}

/* MSR_PLATFORM_INFO bit 31, read ourselves: -ENODEV if there is no MSR. */
static int cv_platform_info_fault(void)
{
	u64 v;

	if (cv_rdmsr_safe(MSR_PLATFORM_INFO, &v))
		return -ENODEV;
	return !!(v & MSR_PLATFORM_INFO_CPUID_FAULT);
}

/* CPUID Fn8000_0021 EAX bit 17, GpOnUserCpuid: HWCR bit 35 exists. */
static bool cv_amd_gp_on_user_cpuid(void)
{
	if (boot_cpu_data.x86_vendor != X86_VENDOR_AMD &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_HYGON)
		return false;
	if (boot_cpu_data.extended_cpuid_level < 0x80000021)
		return false;
	return cpuid_eax(0x80000021) & BIT(17);
}

/*
 * Which mechanism, and does the kernel's context switch keep its enable
 * bit equal to the incoming thread's TIF_NOCPUID (docs/module.md, "Which
 * mechanism")? If not, switch.c does it (cv_module_switches) and nobody
 * gets TIF_NOCPUID. Linux 6.1 and 6.12 set X86_FEATURE_CPUID_FAULT on
 * Intel only, but their __switch_to_xtra() writes MSR 0x140 for
 * TIF_NOCPUID on any vendor: Intel-style faulting probed here (KVM offers
 * it to AMD-vendor guests) is switched by the kernel there. Kernels that
 * know CpuidUserDis (CV_KERNEL_SWITCHES_BY_VENDOR) switch MSR 0x140 only
 * on Intel and HWCR bit 35 only on AMD, and only if they set the feature.
 * The kernel's own mechanism is preferred: it costs no probe.
 */
static const struct cv_mech *cv_detect(void)
{
	bool amd = cv_amd_gp_on_user_cpuid();
	int pinfo;

	if (boot_cpu_has(X86_FEATURE_CPUID_FAULT)) {
		if (CV_KERNEL_SWITCHES_BY_VENDOR &&
		    boot_cpu_data.x86_vendor == X86_VENDOR_AMD)
			return &cv_mech_amd;
		return &cv_mech_intel;
	}
	pinfo = cv_platform_info_fault();
	if (pinfo > 0 && !CV_KERNEL_SWITCHES_BY_VENDOR)
		return &cv_mech_intel;
	if (amd || pinfo > 0) {
		cv_module_switches = true;
		return amd ? &cv_mech_amd : &cv_mech_intel;
	}
	cv_absent = pinfo < 0 ? CV_ABSENT_NO_PINFO : CV_ABSENT_PINFO_CLEAR;
	return NULL;
}

void cv_faultcheck_init(void)
{
	static struct cpumask failed;

	cv_mech = cv_detect();
	if (!cv_mech) {
		cv_state = CPUIDVIRT_FAULT_ABSENT;
		return;
	}
	if (cv_test_module_switches())
		cv_module_switches = true;
	cpumask_clear(&failed);
	cpus_read_lock();
	on_each_cpu(cv_check_stick, &failed, 1);
	cpus_read_unlock();
	if (!cpumask_empty(&failed)) {
		cv_bad_cpu = cpumask_first(&failed);
		cv_state = CPUIDVIRT_FAULT_LYING_NO_STICK;
		return;
	}
	cv_state = CPUIDVIRT_FAULT_UNVERIFIED;
}

unsigned int cv_cpus_verified(void)
{
	return cpumask_weight_and(&cv_verified, cpu_online_mask);
}

void cv_fault_reason(char *buf, size_t len)
{
	const char *mech = cv_mech ? cv_mech->name : "";
	int cpu = READ_ONCE(cv_bad_cpu);

	/* Every reason but ABSENT's starts with the mechanism's name. */
	switch (cv_fault_state()) {
	case CPUIDVIRT_FAULT_ABSENT:
		snprintf(buf, len, "%s", cv_absent_why[cv_absent]);
		break;
	case CPUIDVIRT_FAULT_LYING_NO_STICK:
		snprintf(buf, len,
			 "%s: the enable bit does not stick on CPU %d: writes to the MSR are ignored",
			 mech, cpu);
		break;
	case CPUIDVIRT_FAULT_LYING_NO_TRAP:
		if (cv_nr_profiles())
			snprintf(buf, len,
				 "%s: CPUID did not trap on CPU %d: the %u attached profiles cannot be trusted; detach them",
				 mech, cpu, cv_nr_profiles());
		else
			snprintf(buf, len,
				 "%s: CPUID did not trap on CPU %d with faulting enabled: advertised but not implemented",
				 mech, cpu);
		break;
	case CPUIDVIRT_FAULT_UNVERIFIED:
		if (READ_ONCE(cv_hotplug_cpu) >= 0)
			snprintf(buf, len,
				 "%s: CPU %d came online after the selftest; %u of %u verified: run `cpuidctl selftest`",
				 mech, READ_ONCE(cv_hotplug_cpu),
				 cv_cpus_verified(), num_online_cpus());
		else
			snprintf(buf, len,
				 "%s is advertised but verified on %u of %u CPUs: run `cpuidctl selftest`",
				 mech, cv_cpus_verified(), num_online_cpus());
		break;
	case CPUIDVIRT_FAULT_VERIFIED:
		snprintf(buf, len, "%s verified on all %u online CPUs",
			 mech, num_online_cpus());
		break;
	}
}

/* Caller holds rcu_read_lock() or has preemption disabled. */
bool cv_selftest_task(struct task_struct *t)
{
	return READ_ONCE(cv_st_task) == t;
}

/*
 * From the #GP hook, for the armed thread: record the trap and answer the
 * selftest leaf. Returns true if it answered.
 */
bool cv_selftest_trap(u32 leaf, u32 out[CPUIDVIRT_NR_REGS])
{
	int i;

	if (leaf != CPUIDVIRT_SELFTEST_LEAF)
		return false;
	WRITE_ONCE(cv_st_trapped_cpu, smp_processor_id());
	for (i = 0; i < CPUIDVIRT_NR_REGS; i++)
		out[i] = CPUIDVIRT_SELFTEST_SIGNATURE;
	return true;
}

/*
 * Disarm t and put its flag and this CPU back to what they should be.
 * True if it was armed: the caller then owes a cv_switch_put(), made
 * outside cv_selftest_lock (it waits for every CPU).
 */
static bool cv_selftest_disarm(void)
{
	struct task_struct *t = cv_st_task;
	unsigned long flags;

	if (!t)
		return false;
	WRITE_ONCE(cv_st_task, NULL);
	raw_spin_lock_irqsave(cv_task_lock(t), flags);
	cv_sync_task_locked(t, CV_WIN_EVENT);
	if (t == current)
		cv_resync_this_cpu();
	raw_spin_unlock_irqrestore(cv_task_lock(t), flags);
	put_task_struct(t);
	return true;
}

int cv_selftest(struct cpuidvirt_selftest *st)
{
	enum cpuidvirt_fault_state state;
	unsigned int puts = 0;
	unsigned long flags;
	int cpu, ret = 0;

	/* trapped and fault_state are outputs: a reused struct is fine. */
	if (st->flags)
		return -EINVAL;
	st->trapped = 0;
	if (!cv_faulting_usable())
		return -EOPNOTSUPP;
	if (st->cpu >= nr_cpu_ids || !cpu_online(st->cpu))
		return -EINVAL;

	/* The armed thread must fault after every switch: see switch.c. */
	if (st->op == CPUIDVIRT_SELFTEST_ARM)
		cv_switch_get();
	mutex_lock(&cv_selftest_lock);
	switch (st->op) {
	case CPUIDVIRT_SELFTEST_ARM:
		if (st->cpuids || st->pad) {
			ret = -EINVAL;
			puts++;
			break;
		}
		puts += cv_selftest_disarm();
		get_task_struct(current);
		WRITE_ONCE(cv_st_trapped_cpu, -1);
		WRITE_ONCE(cv_st_task, current);
		raw_spin_lock_irqsave(cv_task_lock(current), flags);
		cv_sync_task_locked(current, CV_WIN_EVENT);
		cv_resync_this_cpu();
		raw_spin_unlock_irqrestore(cv_task_lock(current), flags);
		break;
	case CPUIDVIRT_SELFTEST_FINISH:
		/* Nothing tested is no evidence: never a reason to distrust. */
		if (cv_st_task != current || !st->cpuids || st->pad) {
			ret = -EINVAL;
			break;
		}
		cpu = READ_ONCE(cv_st_trapped_cpu);
		puts += cv_selftest_disarm();
		if (cpu >= 0) {
			st->trapped = 1;
			cpumask_set_cpu(cpu, &cv_verified);
		} else {
			/*
			 * Sticky: a CPU that once failed to trap is not
			 * trusted, whatever is attached (STATUS says so).
			 */
			WRITE_ONCE(cv_bad_cpu, st->cpu);
			WRITE_ONCE(cv_state, CPUIDVIRT_FAULT_LYING_NO_TRAP);
			pr_warn("CPUID did not trap on CPU %u in the selftest: faulting is not trusted any more%s\n",
				st->cpu, cv_nr_profiles() ?
				" (profiles are attached: their masking cannot be trusted)" : "");
		}
		if (cv_fault_state() == CPUIDVIRT_FAULT_UNVERIFIED &&
		    cpumask_subset(cpu_online_mask, &cv_verified)) {
			WRITE_ONCE(cv_hotplug_cpu, -1);
			WRITE_ONCE(cv_state, CPUIDVIRT_FAULT_VERIFIED);
		}
		break;
	default:
		ret = -EINVAL;
	}
	state = cv_fault_state();
	mutex_unlock(&cv_selftest_lock);
	while (puts--)
		cv_switch_put();
	st->fault_state = state;
	return ret;
}

/*
 * A CPU came online (runs on it, preemptible). It never trapped for us:
 * stop trusting it until the selftest runs again, and check right away
 * that its enable bit sticks.
 */
static int cv_cpu_online(unsigned int cpu)
{
	static struct cpumask failed;

	mutex_lock(&cv_selftest_lock);
	cpumask_clear_cpu(cpu, &cv_verified);
	cpumask_clear(&failed);
	local_irq_disable();
	cv_check_stick(&failed);
	local_irq_enable();
	if (!cpumask_empty(&failed) && cv_faulting_usable()) {
		WRITE_ONCE(cv_bad_cpu, cpu);
		WRITE_ONCE(cv_state, CPUIDVIRT_FAULT_LYING_NO_TRAP);
		pr_warn("CPU %u came online and its CPUID-faulting enable bit does not stick\n",
			cpu);
	} else if (cv_fault_state() == CPUIDVIRT_FAULT_VERIFIED) {
		WRITE_ONCE(cv_hotplug_cpu, cpu);
		WRITE_ONCE(cv_state, CPUIDVIRT_FAULT_UNVERIFIED);
		pr_info("CPU %u came online after the selftest: unverified until `cpuidctl selftest` runs\n",
			cpu);
	}
	mutex_unlock(&cv_selftest_lock);
	return 0;
}

int cv_faultcheck_hotplug_init(void)
{
	int ret;

	if (!cv_faulting_usable())
		return 0;
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "cpuidvirt:online",
					cv_cpu_online, NULL);
	if (ret < 0) {
		pr_err("cannot follow CPU hotplug: %d\n", ret);
		return ret;
	}
	cv_cpuhp_state = ret;
	return 0;
}

void cv_faultcheck_hotplug_exit(void)
{
	if (cv_cpuhp_state >= 0)
		cpuhp_remove_state_nocalls(cv_cpuhp_state);
	cv_cpuhp_state = -1;
}

void cv_faultcheck_exit(void)
{
	bool armed;

	mutex_lock(&cv_selftest_lock);
	armed = cv_selftest_disarm();
	mutex_unlock(&cv_selftest_lock);
	if (armed)
		cv_switch_put();
}
