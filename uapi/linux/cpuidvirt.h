/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cpuidvirt: per-cgroup CPUID profiles, emulated in the kernel.
 *
 * User space talks to the module through the misc device /dev/cpuidvirt
 * (mode 0600). Every command is an ioctl whose argument is a struct that
 * starts with two __u32 fields:
 *
 *   size   sizeof() of the struct as the caller compiled it. The kernel
 *          accepts smaller (older) structs, zero-filling the tail, and larger
 *          (newer) ones if the bytes it does not know are all zero
 *          (E2BIG otherwise), like copy_struct_from_user(). Output structs
 *          are written back only up to the caller's size.
 *   flags  per-command flags. Unknown bits give EINVAL. Every "pad" or
 *          "reserved" field must be zero on input (EINVAL otherwise).
 *
 * Commands that change state (ATTACH, DETACH, SELFTEST, REFRESH) need
 * CAP_SYS_ADMIN in the initial user namespace (EPERM otherwise): a process
 * inside a container can neither change nor remove its own profile.
 *
 * CPUIDVIRT_IOC_VERSION (_IOWR, struct cpuidvirt_version)
 *   The ABI version (CPUIDVIRT_API_VERSION) and the module version string.
 *   Tools must check api_version before anything else.
 *
 * CPUIDVIRT_IOC_STATUS (_IOWR, struct cpuidvirt_status)
 *   The CPUID-faulting support state (enum cpuidvirt_fault_state) with its
 *   reason in words, the number of attached profiles and global counters.
 *
 * CPUIDVIRT_IOC_ATTACH (_IOW, struct cpuidvirt_attach)
 *   Attach a profile (an array of struct cpuidvirt_rule plus optional leaf
 *   clamps) to the cgroup v2 directory open at cgroup_fd. The profile covers
 *   that cgroup and all its descendants; the nearest profiled ancestor of a
 *   task's cgroup wins. When ATTACH returns, every thread in scope is masked:
 *   its next CPUID, on any CPU, is emulated.
 *   With CPUIDVIRT_ATTACH_REPLACE an existing profile is replaced
 *   atomically (a CPUID sees either the old or the new rules, never a mix);
 *   without it an existing profile gives EEXIST. Counters survive a replace.
 *   Errors: EOPNOTSUPP   faulting is not verified (see STATUS);
 *           EBADF        cgroup_fd is not a cgroup v2 directory;
 *           EEXIST       already attached and no REPLACE flag;
 *           E2BIG        nr_rules > CPUIDVIRT_MAX_RULES;
 *           ENOTUNIQ     two rules match the same leaf and subleaf;
 *           ERANGE       a leaf clamp is outside its range;
 *           ENOSPC       CPUIDVIRT_MAX_PROFILES profiles already attached;
 *           EFAULT       rules points to unreadable memory;
 *           EINVAL       unknown flag, non-zero pad, or bad size.
 *
 * CPUIDVIRT_IOC_DETACH (_IOW, struct cpuidvirt_detach)
 *   Remove the profile of a cgroup, by cgroup_fd, or by cgroup_id with
 *   CPUIDVIRT_DETACH_BY_ID (for a cgroup that was already removed). When
 *   DETACH returns, no thread that was covered only by this profile faults
 *   on CPUID any more. ENOENT if the cgroup has no profile.
 *
 * CPUIDVIRT_IOC_LIST (_IOWR, struct cpuidvirt_list)
 *   Copy up to nr_entries struct cpuidvirt_list_entry (attached cgroups
 *   and their counters) to entries; nr_entries is set to the total number
 *   attached, so a caller can size a second call.
 *
 * CPUIDVIRT_IOC_QUERY (_IOWR, struct cpuidvirt_query)
 *   Which profile applies to a pid (in the caller's pid namespace): the
 *   cgroup id of the profiled cgroup, or 0 for none, and whether the task
 *   is currently armed for faulting. A thread still being created (not
 *   yet run) shows the flag copied from its parent until the module sets
 *   its own, before it first runs. ESRCH if there is no such task.
 *
 * CPUIDVIRT_IOC_SELFTEST (_IOWR, struct cpuidvirt_selftest)
 *   Behavioural test of CPUID faulting, driven from user space one CPU at a
 *   time. The caller pins itself to a CPU, issues op CPUIDVIRT_SELFTEST_ARM
 *   (faulting is armed for the calling thread), executes CPUID with
 *   EAX = CPUIDVIRT_SELFTEST_LEAF, then issues op CPUIDVIRT_SELFTEST_FINISH
 *   with cpuids = the number of such CPUIDs it executed since ARM.
 *   The module records whether the CPUID really trapped, on which CPU, and
 *   returns it in trapped. Once every online CPU has trapped the state
 *   becomes VERIFIED; a CPU that did not trap makes it LYING_NO_TRAP, for
 *   good (until the module is reloaded), also while profiles are attached:
 *   they stay attached, but STATUS says their masking cannot be trusted.
 *   FINISH with cpuids = 0 tested nothing: EINVAL, the state is unchanged.
 *   A CPU brought online later has never trapped: VERIFIED drops to
 *   UNVERIFIED (no new ATTACH) until the selftest runs again.
 *   EOPNOTSUPP when the state is ABSENT or LYING_NO_STICK (nothing to test).
 *
 * CPUIDVIRT_IOC_REFRESH (_IOW, struct cpuidvirt_refresh)
 *   Drop every CPU's cache of its native CPUID answers: each CPU executes
 *   the real CPUID again on its next emulation of a cached leaf: every
 *   emulation that starts after REFRESH returned uses a fresh answer. The
 *   module keeps the cache exact by itself for the dynamic fields (APIC
 *   IDs, OSXSAVE/OSPKE, the leaf 0xd sizes), for CPUs coming online and
 *   for microcode revisions the kernel records; REFRESH is for anything
 *   else that changes what CPUID answers (a hypervisor changing a running
 *   VM's CPUID). flags must be 0 (EINVAL); needs CAP_SYS_ADMIN (EPERM).
 *
 * Counters (STATUS, LIST) are kept per CPU and summed when read, so two
 * reads a moment apart may each be a few emulations behind. emulated_ns
 * is sampled: per profile and CPU the first emulation and then one in 16
 * is timed and counts for 16, so it is an estimate (exact in the mean).
 *
 * arch_prctl(ARCH_SET_CPUID) from a masked thread is refused with EPERM
 * (not virtualized): turning faulting off would unmask it. Its
 * ARCH_GET_CPUID reports what the thread itself asked for before it was
 * masked (1 unless it called ARCH_SET_CPUID(0)), not the profile's
 * faulting. A thread outside every profile that arms faulting itself
 * (rr-style) keeps getting SIGSEGV from CPUID, exactly as without the
 * module.
 */
#ifndef _UAPI_LINUX_CPUIDVIRT_H
#define _UAPI_LINUX_CPUIDVIRT_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define CPUIDVIRT_API_VERSION		1
#define CPUIDVIRT_DEVICE_NAME		"cpuidvirt"

#define CPUIDVIRT_MAX_RULES		256
#define CPUIDVIRT_MAX_PROFILES		65536
#define CPUIDVIRT_NAME_LEN		64
#define CPUIDVIRT_REASON_LEN		128
#define CPUIDVIRT_VERSION_LEN		32

/* CPUID's answer for this leaf, in EAX..EDX, proves a trap was emulated. */
#define CPUIDVIRT_SELFTEST_LEAF		0x4cd1f0a5U
#define CPUIDVIRT_SELFTEST_SIGNATURE	0x43505556U	/* "VUPC" */

enum cpuidvirt_fault_state {
	CPUIDVIRT_FAULT_ABSENT		= 0, /* no usable mechanism (see reason) */
	CPUIDVIRT_FAULT_LYING_NO_STICK	= 1, /* enable bit does not read back */
	CPUIDVIRT_FAULT_LYING_NO_TRAP	= 2, /* bit sticks, CPUID never traps */
	CPUIDVIRT_FAULT_UNVERIFIED	= 3, /* bit sticks, selftest not run */
	CPUIDVIRT_FAULT_VERIFIED	= 4, /* every online CPU trapped */
};

enum cpuidvirt_reg {
	CPUIDVIRT_EAX = 0,
	CPUIDVIRT_EBX = 1,
	CPUIDVIRT_ECX = 2,
	CPUIDVIRT_EDX = 3,
	CPUIDVIRT_NR_REGS = 4,
};

struct cpuidvirt_version {
	__u32 size;
	__u32 flags;			/* in: 0 */
	__u32 api_version;		/* out */
	__u32 pad;
	char module_version[CPUIDVIRT_VERSION_LEN]; /* out, NUL-terminated */
};

struct cpuidvirt_status {
	__u32 size;
	__u32 flags;			/* in: 0 */
	__u32 fault_state;		/* out: enum cpuidvirt_fault_state */
	__u32 nr_profiles;		/* out */
	__u32 nr_cpus_online;		/* out */
	__u32 nr_cpus_verified;		/* out: CPUs that trapped in selftest */
	char reason[CPUIDVIRT_REASON_LEN]; /* out, NUL-terminated */
	__u64 emulated;			/* out: CPUIDs emulated, all profiles */
	__u64 emulated_ns;		/* out: time spent emulating them */
	__u64 stale_repaired;		/* out: faults of unmasked tasks answered natively */
	__u64 foreign;			/* out: faults left to the kernel (SIGSEGV) */
	/* added after the first release: callers with the older, smaller struct still work (see size) */
	__u64 nr_self_armed;		/* out: threads tracked as ARCH_SET_CPUID(0) */
	__u64 real_cpuids;		/* out: CPUID instructions the module executed */
};

/*
 * One rule: for CPUID(leaf, subleaf) each register becomes
 *	(native & and[reg]) | or[reg]
 * so and = ~0, or = 0 keeps it, and = 0 sets it to a full value.
 * CPUIDVIRT_RULE_ANY_SUBLEAF matches every subleaf of the leaf (subleaf
 * must then be 0); a rule for a specific subleaf wins over it.
 */
#define CPUIDVIRT_RULE_ANY_SUBLEAF	(1U << 0)
#define CPUIDVIRT_RULE_FLAGS		CPUIDVIRT_RULE_ANY_SUBLEAF

struct cpuidvirt_rule {
	__u32 leaf;
	__u32 subleaf;
	__u32 flags;
	__u32 pad;
	__u32 and[CPUIDVIRT_NR_REGS];
	__u32 or[CPUIDVIRT_NR_REGS];
};

/*
 * Leaf clamps. With CPUIDVIRT_ATTACH_CLAMP_BASIC, CPUID(0).EAX reports
 * min(native, max_basic_leaf) and a basic leaf above the clamp is answered
 * as the highest basic leaf, as the SDM specifies for leaves above the
 * maximum (so max_basic_leaf must itself be a leaf the CPU has: ERANGE if
 * >= 0x40000000). CPUIDVIRT_ATTACH_CLAMP_EXT does the same for CPUID
 * (0x80000000).EAX, with max_ext_leaf in [0x80000000, 0x8fffffff], and an
 * extended leaf above it is answered as the highest basic leaf. The
 * hypervisor range 0x40000000-0x4fffffff is never clamped.
 */
#define CPUIDVIRT_ATTACH_REPLACE	(1U << 0)
#define CPUIDVIRT_ATTACH_CLAMP_BASIC	(1U << 1)
#define CPUIDVIRT_ATTACH_CLAMP_EXT	(1U << 2)
#define CPUIDVIRT_ATTACH_FLAGS		(CPUIDVIRT_ATTACH_REPLACE | \
					 CPUIDVIRT_ATTACH_CLAMP_BASIC | \
					 CPUIDVIRT_ATTACH_CLAMP_EXT)

struct cpuidvirt_attach {
	__u32 size;
	__u32 flags;
	__u32 cgroup_fd;
	__u32 nr_rules;
	__u32 max_basic_leaf;
	__u32 max_ext_leaf;
	__u64 rules;			/* user pointer to cpuidvirt_rule[] */
	char name[CPUIDVIRT_NAME_LEN];	/* profile name, for LIST */
};

#define CPUIDVIRT_DETACH_BY_ID		(1U << 0)
#define CPUIDVIRT_DETACH_FLAGS		CPUIDVIRT_DETACH_BY_ID

struct cpuidvirt_detach {
	__u32 size;
	__u32 flags;
	__u32 cgroup_fd;		/* unless CPUIDVIRT_DETACH_BY_ID */
	__u32 pad;
	__u64 cgroup_id;		/* with CPUIDVIRT_DETACH_BY_ID */
};

struct cpuidvirt_list_entry {
	__u64 cgroup_id;		/* kernfs id = inode number in cgroup2fs */
	__u64 emulated;
	__u64 emulated_ns;
	__u32 nr_rules;
	__u32 flags;			/* CPUIDVIRT_ATTACH_CLAMP_* in effect */
	__u32 max_basic_leaf;
	__u32 max_ext_leaf;
	char name[CPUIDVIRT_NAME_LEN];
};

struct cpuidvirt_list {
	__u32 size;
	__u32 flags;			/* in: 0 */
	__u32 nr_entries;		/* in: capacity; out: total attached */
	__u32 pad;
	__u64 entries;			/* user pointer to cpuidvirt_list_entry[] */
};

struct cpuidvirt_query {
	__u32 size;
	__u32 flags;			/* in: 0 */
	__u32 pid;			/* in */
	__u32 armed;			/* out: 1 if the task faults on CPUID */
	__u64 cgroup_id;		/* out: profiled cgroup, 0 if none */
	char name[CPUIDVIRT_NAME_LEN];	/* out: that profile's name */
};

#define CPUIDVIRT_SELFTEST_ARM		1
#define CPUIDVIRT_SELFTEST_FINISH	2

struct cpuidvirt_selftest {
	__u32 size;
	__u32 flags;			/* in: 0 */
	__u32 op;			/* in: CPUIDVIRT_SELFTEST_* */
	__u32 cpu;			/* in: the CPU the caller is pinned to */
	__u32 trapped;			/* out (FINISH): 1 if CPUID trapped */
	__u32 fault_state;		/* out: state after this step */
	__u32 cpuids;			/* in (FINISH): selftest CPUIDs executed */
	__u32 pad;
};

struct cpuidvirt_refresh {
	__u32 size;
	__u32 flags;			/* in: 0 */
};

#define CPUIDVIRT_IOC_MAGIC	0xD9

#define CPUIDVIRT_IOC_VERSION	_IOWR(CPUIDVIRT_IOC_MAGIC, 0x00, struct cpuidvirt_version)
#define CPUIDVIRT_IOC_STATUS	_IOWR(CPUIDVIRT_IOC_MAGIC, 0x01, struct cpuidvirt_status)
#define CPUIDVIRT_IOC_ATTACH	_IOW(CPUIDVIRT_IOC_MAGIC, 0x02, struct cpuidvirt_attach)
#define CPUIDVIRT_IOC_DETACH	_IOW(CPUIDVIRT_IOC_MAGIC, 0x03, struct cpuidvirt_detach)
#define CPUIDVIRT_IOC_LIST	_IOWR(CPUIDVIRT_IOC_MAGIC, 0x04, struct cpuidvirt_list)
#define CPUIDVIRT_IOC_QUERY	_IOWR(CPUIDVIRT_IOC_MAGIC, 0x05, struct cpuidvirt_query)
#define CPUIDVIRT_IOC_SELFTEST	_IOWR(CPUIDVIRT_IOC_MAGIC, 0x06, struct cpuidvirt_selftest)
#define CPUIDVIRT_IOC_REFRESH	_IOW(CPUIDVIRT_IOC_MAGIC, 0x07, struct cpuidvirt_refresh)

#endif /* _UAPI_LINUX_CPUIDVIRT_H */
