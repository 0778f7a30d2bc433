// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/cpuidvirt: the ioctl ABI of uapi/linux/cpuidvirt.h. Commands are
 * dispatched by number after the type is checked, so a struct that grew
 * (and so encodes another size) still reaches its command; the size field
 * inside the struct is what counts, as with copy_struct_from_user().
 */

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "version.h"

/* Sizes of the first version of each struct: smaller is a bad size. */
#define CV_MIN_SIZE(type)	sizeof(struct type)

/*
 * Copy a struct in: at least its v1 size (EINVAL), a larger one only if
 * the tail we do not know is zero (E2BIG). Keeps the caller's size.
 */
static int cv_copy_in(void *karg, size_t ksize, size_t min_size,
		      void __user *uarg, u32 *usize)
{
	u32 size;
	int ret;

	if (get_user(size, (u32 __user *)uarg))
		return -EFAULT;
	if (size < min_size || size > PAGE_SIZE)
		return -EINVAL;
	ret = copy_struct_from_user(karg, ksize, uarg, size);
	if (ret)
		return ret;
	*usize = size;
	return 0;
}

/* Write back no more than the caller's struct holds. */
static int cv_copy_out(void __user *uarg, const void *karg, size_t ksize,
		       u32 usize)
{
	if (copy_to_user(uarg, karg, min_t(size_t, ksize, usize)))
		return -EFAULT;
	return 0;
}

static long cv_ioc_version(void __user *uarg)
{
	struct cpuidvirt_version v;
	u32 usize;
	int ret;

	ret = cv_copy_in(&v, sizeof(v), CV_MIN_SIZE(cpuidvirt_version), uarg,
			 &usize);
	if (ret)
		return ret;
	if (v.flags || v.pad)
		return -EINVAL;
	memset(&v, 0, sizeof(v));
	v.size = usize;
	v.api_version = CPUIDVIRT_API_VERSION;
	strscpy(v.module_version, CPUIDVIRT_VERSION, sizeof(v.module_version));
	return cv_copy_out(uarg, &v, sizeof(v), usize);
}

static long cv_ioc_status(void __user *uarg)
{
	struct cpuidvirt_status s;
	struct cv_pcpu_stats sum;
	u32 usize;
	int ret;

	ret = cv_copy_in(&s, sizeof(s), CV_MIN_SIZE(cpuidvirt_status), uarg,
			 &usize);
	if (ret)
		return ret;
	if (s.flags)
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	s.size = usize;
	s.fault_state = cv_fault_state();
	s.nr_profiles = cv_nr_profiles();
	s.nr_cpus_online = num_online_cpus();
	s.nr_cpus_verified = cv_cpus_verified();
	cv_fault_reason(s.reason, sizeof(s.reason));
	cv_stats_sum(&sum);
	s.emulated = sum.emulated;
	s.emulated_ns = sum.emulated_ns;
	s.stale_repaired = sum.stale_repaired;
	s.foreign = sum.foreign;
	s.nr_self_armed = cv_nr_self_armed();
	s.real_cpuids = sum.real_cpuids;
	return cv_copy_out(uarg, &s, sizeof(s), usize);
}

static long cv_ioc_attach(void __user *uarg)
{
	struct cpuidvirt_attach a;
	u32 usize;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = cv_copy_in(&a, sizeof(a), CV_MIN_SIZE(cpuidvirt_attach), uarg,
			 &usize);
	if (ret)
		return ret;
	return cv_attach(&a);
}

static long cv_ioc_detach(void __user *uarg)
{
	struct cpuidvirt_detach d;
	u32 usize;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = cv_copy_in(&d, sizeof(d), CV_MIN_SIZE(cpuidvirt_detach), uarg,
			 &usize);
	if (ret)
		return ret;
	return cv_detach(&d);
}

static long cv_ioc_list(void __user *uarg)
{
	struct cpuidvirt_list l;
	u32 usize;
	int ret;

	ret = cv_copy_in(&l, sizeof(l), CV_MIN_SIZE(cpuidvirt_list), uarg,
			 &usize);
	if (ret)
		return ret;
	ret = cv_list(&l);
	if (ret)
		return ret;
	return cv_copy_out(uarg, &l, sizeof(l), usize);
}

static long cv_ioc_query(void __user *uarg)
{
	struct cpuidvirt_query q;
	u32 usize;
	int ret;

	ret = cv_copy_in(&q, sizeof(q), CV_MIN_SIZE(cpuidvirt_query), uarg,
			 &usize);
	if (ret)
		return ret;
	ret = cv_query(&q);
	if (ret)
		return ret;
	return cv_copy_out(uarg, &q, sizeof(q), usize);
}

static long cv_ioc_selftest(void __user *uarg)
{
	struct cpuidvirt_selftest st;
	u32 usize;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = cv_copy_in(&st, sizeof(st), CV_MIN_SIZE(cpuidvirt_selftest),
			 uarg, &usize);
	if (ret)
		return ret;
	ret = cv_selftest(&st);
	if (ret)
		return ret;
	return cv_copy_out(uarg, &st, sizeof(st), usize);
}

static long cv_ioc_refresh(void __user *uarg)
{
	struct cpuidvirt_refresh r;
	u32 usize;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = cv_copy_in(&r, sizeof(r), CV_MIN_SIZE(cpuidvirt_refresh), uarg,
			 &usize);
	if (ret)
		return ret;
	if (r.flags)
		return -EINVAL;
	cv_ncache_refresh();
	return 0;
}

static long cv_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	if (_IOC_TYPE(cmd) != CPUIDVIRT_IOC_MAGIC)
		return -ENOTTY;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(CPUIDVIRT_IOC_VERSION):
		return cv_ioc_version(uarg);
	case _IOC_NR(CPUIDVIRT_IOC_STATUS):
		return cv_ioc_status(uarg);
	case _IOC_NR(CPUIDVIRT_IOC_ATTACH):
		return cv_ioc_attach(uarg);
	case _IOC_NR(CPUIDVIRT_IOC_DETACH):
		return cv_ioc_detach(uarg);
	case _IOC_NR(CPUIDVIRT_IOC_LIST):
		return cv_ioc_list(uarg);
	case _IOC_NR(CPUIDVIRT_IOC_QUERY):
		return cv_ioc_query(uarg);
	case _IOC_NR(CPUIDVIRT_IOC_SELFTEST):
		return cv_ioc_selftest(uarg);
	case _IOC_NR(CPUIDVIRT_IOC_REFRESH):
		return cv_ioc_refresh(uarg);
	}
	return -ENOTTY;
}

static const struct file_operations cv_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = cv_ioctl,
	/* Every struct has the same layout for 32-bit callers. */
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice cv_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = CPUIDVIRT_DEVICE_NAME,
	.fops = &cv_fops,
	.mode = 0600,
};

int cv_device_init(void)
{
	return misc_register(&cv_misc);
}

void cv_device_exit(void)
{
	misc_deregister(&cv_misc);
}
