/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared declarations of the cpuidvirt module. One concept per file:
 *   main.c        load/unload order
 *   device.c      /dev/cpuidvirt and the ioctl ABI
 *   profile.c     profiles: validation, the rhashtable, attach/detach/list
 *   emulate.c     the #GP hook: decoding and emulating CPUID
 *   cache.c       per-CPU native CPUID answers and per-CPU counters
 *   arming.c      TIF_NOCPUID and MSR bit 0, the ARCH_SET_CPUID hook
 *   asked.c       the threads that armed faulting themselves
 *   faultcheck.c  is CPUID faulting real? detection and selftest
 *   switch.c      the enable bit at context switch, where the kernel does not
 *   tracepoints.c fork, exec, exit and cgroup moves
 *   testhooks.c   test-only race windows
 *   views*.c      the auxiliary vector and /proc/cpuinfo of profiled tasks
 */
#ifndef CPUIDVIRT_INTERNAL_H
#define CPUIDVIRT_INTERNAL_H

#include <linux/atomic.h>
#include <linux/cgroup.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable-types.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/cpuidvirt.h>

#include "compat.h"
#include "testhooks.h"

struct cv_rules {
	u32 flags;		/* CPUIDVIRT_ATTACH_CLAMP_* */
	u32 max_basic_leaf;
	u32 max_ext_leaf;
	u32 nr;
	struct cpuidvirt_rule rule[];	/* sorted by leaf, specific first */
};

struct cv_profile {
	struct rhash_head node;		/* in the table, RCU readers */
	struct list_head list;		/* all profiles, cv_profiles_lock */
	struct cgroup *cgrp;		/* referenced */
	u64 cgroup_id;
	struct cv_rules __rcu *rules;
	char name[CPUIDVIRT_NAME_LEN];
	struct cv_pstats __percpu *stats;
};

/* Per profile and CPU, written only by that CPU (the #GP hook). */
struct cv_pstats {
	u64 emulated;
	u64 emulated_ns;
};

/* Global counters, per CPU, summed on read (cv_stats_sum()). */
struct cv_pcpu_stats {
	u64 emulated;
	u64 emulated_ns;
	u64 stale_repaired;
	u64 foreign;
	u64 real_cpuids;	/* CPUID instructions the module executed */
};

DECLARE_PER_CPU(struct cv_pcpu_stats, cv_pcpu_stats);

/* cache.c */
void cv_real_cpuid(u32 leaf, u32 subleaf, u32 out[CPUIDVIRT_NR_REGS]);
void cv_cpuid(u32 leaf, u32 subleaf, u32 out[CPUIDVIRT_NR_REGS]);
void cv_ncache_refresh(void);
int cv_ncache_init(void);
void cv_ncache_exit(void);
void cv_stats_sum(struct cv_pcpu_stats *sum);

/* profile.c */
int cv_profiles_init(void);
void cv_profiles_exit(void);
struct cv_profile *cv_profile_of(struct task_struct *t);
struct cv_profile *cv_profile_of_current(void);
int cv_attach(const struct cpuidvirt_attach *a);
int cv_detach(const struct cpuidvirt_detach *d);
int cv_list(struct cpuidvirt_list *l);
int cv_query(struct cpuidvirt_query *q);
unsigned int cv_nr_profiles(void);
void cv_rules_apply(const struct cv_rules *r, u32 leaf, u32 subleaf,
		    u32 out[CPUIDVIRT_NR_REGS]);

/* A pending resync on behalf of a mover (tracepoints.c, arming.c). */
struct cv_move {
	struct callback_head cb;
	struct task_struct *task;	/* owner, NULL if the slot is free */
};

/* asked.c */
int cv_asked_init(void);
void cv_asked_exit(void);
bool cv_task_asked(struct task_struct *t);
int cv_asked_set(struct task_struct *t, bool asked);
unsigned int cv_nr_self_armed(void);

/* arming.c */
extern bool cv_unloading;
extern bool cv_seeding;
raw_spinlock_t *cv_task_lock(struct task_struct *t);
void cv_task_locks_init(void);
bool cv_task_wants_fault(struct task_struct *t);
bool cv_sync_task_locked(struct task_struct *t, enum cv_window w);
bool cv_sync_task(struct task_struct *t, enum cv_window w);
bool cv_repair_stale(void);
void cv_resync_move_cb(struct callback_head *cb);
void cv_sync_all(void);
void cv_resync_all(void);
void cv_cpu_set_enable(bool want);
void cv_resync_this_cpu(void);
void cv_resync_all_later(void);
int cv_arming_init(void);
void cv_arming_exit(void);

/* emulate.c */
int cv_emulate_init(void);
void cv_emulate_exit(void);
void cv_kprobe_ipmodify_post(struct kprobe *kp, struct pt_regs *regs,
			     unsigned long flags);

/* faultcheck.c */

/* A CPUID-faulting mechanism: the MSR bit that makes CPUID at CPL > 0 #GP. */
struct cv_mech {
	const char *name;	/* for STATUS and the log */
	u32 msr;
	u64 bit;
};

extern const struct cv_mech *cv_mech;	/* NULL while ABSENT */
enum cpuidvirt_fault_state cv_fault_state(void);
void cv_faultcheck_init(void);
bool cv_faulting_usable(void);
void cv_fault_reason(char *buf, size_t len);
unsigned int cv_cpus_verified(void);
int cv_selftest(struct cpuidvirt_selftest *st);
bool cv_selftest_task(struct task_struct *t);
bool cv_selftest_trap(u32 leaf, u32 out[CPUIDVIRT_NR_REGS]);
void cv_faultcheck_exit(void);
int cv_faultcheck_hotplug_init(void);
void cv_faultcheck_hotplug_exit(void);

/* switch.c */
extern bool cv_module_switches;
int cv_switch_init(void);
void cv_switch_exit(void);
void cv_switch_get(void);
void cv_switch_put(void);
bool cv_switch_active(void);
void cv_switch_resync(void);
void cv_switch_note_cpu(bool armed);

/* tracepoints.c */
int cv_tracepoints_init(void);
void cv_tracepoints_exit(void);

/* views.c, views_auxv.c, views_cpuinfo.c */
struct linux_binprm;
bool cv_views_on(void);
void cv_view_cpuid(const struct cv_rules *r, u32 leaf, u32 subleaf,
		   u32 out[CPUIDVIRT_NR_REGS]);
void cv_auxv_exec(struct linux_binprm *bprm);
void cv_cpuinfo_init(void);
void cv_cpuinfo_exit(void);

/* device.c */
int cv_device_init(void);
void cv_device_exit(void);

#endif /* CPUIDVIRT_INTERNAL_H */
