// SPDX-License-Identifier: GPL-2.0
/*
 * CGROUP arguments (tools/cpuidctl/cgpath.c; issue 12, bugs 1, 2, 9): the
 * paths cpuidctl prints are taken back, older output too when it is
 * unambiguous; advice names the cgroup2 mount that was found, never a
 * fixed /sys/fs/cgroup; every spelling of the root is the root. A
 * temporary directory stands in for the cgroup2 mount.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgpath.h"
#include "unit.h"

Suite *cgpath_suite(void);

static char root[64], other[64], path[4096], want[4096], base[64];
static struct diag diag;

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/cpuidctl-unit-cg-XXXXXX");
	snprintf(other, sizeof(other), "/tmp/cpuidctl-unit-nocg-XXXXXX");
	ck_assert(mkdtemp(root));
	ck_assert(mkdtemp(other));
	/* A cgroup name that surely is no directory at the filesystem root. */
	snprintf(base, sizeof(base), "cpuidctl-unit-acc-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/%s", root, base);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s/child", root, base);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	diag_clear(&diag);
}

static void teardown(void)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", root, other);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *resolve(const char *r, const char *arg)
{
	diag_clear(&diag);
	ck_assert_msg(!cgpath_resolve(r, arg, path, sizeof(path), &diag),
		      "%s: %s", arg, diag.msg);
	return path;
}

START_TEST(find_mount)
{
	char mounts[96], mnt[256];
	FILE *f;

	snprintf(mounts, sizeof(mounts), "%s/mounts", other);
	f = fopen(mounts, "w");
	ck_assert(f);
	fputs("sysfs /sys sysfs rw 0 0\n"
	      "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n"
	      "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nsdelegate 0 0\n"
	      "cgroup2 /mnt/second cgroup2 rw 0 0\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(cgpath_find_mount(mounts, mnt, sizeof(mnt)), 0);
	ck_assert_str_eq(mnt, "/sys/fs/cgroup/unified");
	f = fopen(mounts, "w");
	ck_assert(f);
	fputs("cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(cgpath_find_mount(mounts, mnt, sizeof(mnt)), -ENOENT);
}
END_TEST

/* Bug 1: what is printed (the full path) and what was printed (/NAME). */
START_TEST(round_trip)
{
	char slash[4200];

	snprintf(want, sizeof(want), "%s/%s/child", root, base);
	ck_assert_str_eq(resolve(root, want), want);		/* as printed now */
	snprintf(slash, sizeof(slash), "%s/child", base);
	ck_assert_str_eq(resolve(root, slash), want);		/* relative */
	snprintf(slash, sizeof(slash), "/%s/child", base);
	ck_assert_str_eq(resolve(root, slash), want);		/* as printed before */
	/* A trailing slash on the mount does not hide that a path is under it. */
	snprintf(slash, sizeof(slash), "%s/", root);
	ck_assert_str_eq(resolve(slash, want), want);
	/* Nor one on the argument. */
	snprintf(slash, sizeof(slash), "%s/", want);
	ck_assert_str_eq(resolve(root, slash), want);
	/* Every spelling prints the same. */
	snprintf(slash, sizeof(slash), "%s/./%s//child/.", root, base);
	ck_assert_str_eq(resolve(root, slash), want);
	snprintf(slash, sizeof(slash), "./%s/child", base);
	ck_assert_str_eq(resolve(root, slash), want);
	ck_assert_str_eq(resolve(root, "."), root);
	/* No mount: the argument as given. */
	ck_assert_str_eq(resolve(NULL, "x/y"), "x/y");
	ck_assert_int_eq(cgpath_resolve(root, "", path, sizeof(path), &diag), -EINVAL);
	ck_assert_str_eq(diag.msg, "empty cgroup path");
}
END_TEST

/* 'list' prints blanks and backslashes as \xHH: taken back decoded. */
START_TEST(escaped)
{
	char arg[4200];

	snprintf(want, sizeof(want), "%s/a b\\c", root);
	ck_assert_int_eq(mkdir(want, 0700), 0);
	snprintf(arg, sizeof(arg), "%s/a\\x20b\\x5cc", root);
	ck_assert_str_eq(resolve(root, arg), want);
	ck_assert_str_eq(resolve(root, "a\\x20b\\x5cc"), want);
	/* A directory whose name really is written so wins. */
	snprintf(want, sizeof(want), "%s/a\\x20b", root);
	ck_assert_int_eq(mkdir(want, 0700), 0);
	ck_assert_str_eq(resolve(root, "a\\x20b"), want);
	/* Nothing there either way: the path as written, for the message. */
	snprintf(want, sizeof(want), "%s/no\\x20such", root);
	ck_assert_str_eq(resolve(root, "no\\x20such"), want);
}
END_TEST

/* An existing directory outside the mount stays itself, to be refused. */
START_TEST(outside_mount)
{
	ck_assert_str_eq(resolve(root, other), other);
	ck_assert_str_eq(resolve(root, "/"), root);	/* old 'list' printed / for the root */
}
END_TEST

/* Bug 1: the advice is right for each form; no 'mkdir /NAME'. */
START_TEST(missing_advice)
{
	char arg[96];

	snprintf(arg, sizeof(arg), "/%s-gone", base);
	resolve(root, arg);
	ck_assert_str_eq(path, arg);
	ck_assert_int_eq(cgpath_open(root, arg, path, &diag), -ENOENT);
	snprintf(want, sizeof(want),
		 "cgroup %s: no such cgroup: neither %s nor %s%s exists (cgroups are directories under the cgroup2 mount %s)",
		 arg, arg, root, arg, root);
	ck_assert_str_eq(diag.msg, want);

	snprintf(arg, sizeof(arg), "%s-gone", base);
	resolve(root, arg);
	ck_assert_int_eq(cgpath_open(root, arg, path, &diag), -ENOENT);
	snprintf(want, sizeof(want),
		 "cgroup %s/%s: No such file or directory (create it with 'mkdir %s/%s', or check the name)",
		 root, arg, root, arg);
	ck_assert_str_eq(diag.msg, want);
}
END_TEST

/* Bug 9: the hint names the mount that was found. */
START_TEST(hint_names_mount)
{
	ck_assert_int_eq(cgpath_open("/sys/fs/cgroup/unified", other, other, &diag), -EMEDIUMTYPE);
	snprintf(want, sizeof(want),
		 "cgroup %s: not a cgroup v2 directory (cgroups are directories under the cgroup2 mount /sys/fs/cgroup/unified)",
		 other);
	ck_assert_str_eq(diag.msg, want);
	ck_assert_int_eq(cgpath_open(NULL, other, other, &diag), -EMEDIUMTYPE);
	snprintf(want, sizeof(want),
		 "cgroup %s: not a cgroup v2 directory (no cgroup2 file system is mounted: mount -t cgroup2 none /sys/fs/cgroup)",
		 other);
	ck_assert_str_eq(diag.msg, want);
}
END_TEST

/* Bug 2: any spelling of the mount is the root; a child is not. */
START_TEST(is_root)
{
	static const char *const spell[] = { "", "/", "/.", "/./", "/%s/..", "/%s/child/../.." };
	char p[512], fmt[64];
	size_t i;
	int fd;

	for (i = 0; i < sizeof(spell) / sizeof(spell[0]); i++) {
		snprintf(fmt, sizeof(fmt), "%%s%s", spell[i]);
		snprintf(p, sizeof(p), fmt, root, base);
		fd = open(p, O_RDONLY | O_DIRECTORY);
		ck_assert_int_ge(fd, 0);
		ck_assert_msg(cgpath_is_root(fd, root), "%s is the root", p);
		close(fd);
	}
	snprintf(p, sizeof(p), "%s/%s", root, base);
	fd = open(p, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	ck_assert(!cgpath_is_root(fd, root));
	close(fd);
	fd = open(other, O_RDONLY | O_DIRECTORY);
	ck_assert(!cgpath_is_root(fd, root));
	ck_assert(!cgpath_is_root(fd, NULL));
	close(fd);
}
END_TEST

START_TEST(id_arg)
{
	ck_assert_uint_eq(cgpath_id_arg("id:42"), 42);
	ck_assert_uint_eq(cgpath_id_arg("id:18446744073709551615"), UINT64_MAX);
	ck_assert_uint_eq(cgpath_id_arg("id:"), 0);
	ck_assert_uint_eq(cgpath_id_arg("id:4x"), 0);
	ck_assert_uint_eq(cgpath_id_arg("id:-1"), 0);
	ck_assert_uint_eq(cgpath_id_arg("42"), 0);
	ck_assert_uint_eq(cgpath_id_arg("id:99999999999999999999"), 0);
}
END_TEST

Suite *cgpath_suite(void)
{
	Suite *s = suite_create("cgpath");
	TCase *tc = tcase_create("cgpath");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, find_mount);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, escaped);
	tcase_add_test(tc, outside_mount);
	tcase_add_test(tc, missing_advice);
	tcase_add_test(tc, hint_names_mount);
	tcase_add_test(tc, is_root);
	tcase_add_test(tc, id_arg);
	suite_add_tcase(s, tc);
	return s;
}
