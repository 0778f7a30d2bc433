// SPDX-License-Identifier: GPL-2.0
/*
 * Which directory a CGROUP argument names, and whether it is a cgroup2
 * root; see cgpath.h for the rule. Unit-tested in tests/unit/test_cgpath.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgpath.h"

/* The kernel's root cgroup: its kernfs node id, which is the inode number. */
#define CGROUP_ROOT_ID	1

int cgpath_find_mount(const char *mounts_path, char *mount, size_t len)
{
	struct mntent *m;
	int ret = -ENOENT;
	FILE *f;

	f = setmntent(mounts_path, "re");
	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2"))
			continue;
		ret = (size_t)snprintf(mount, len, "%s", m->mnt_dir) < len ? 0 : -ENAMETOOLONG;
		break;
	}
	endmntent(f);
	return ret;
}

static bool is_cgroup2_dir(const char *path)
{
	struct statfs sfs;
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode) && !statfs(path, &sfs) &&
	       sfs.f_type == CGROUP2_SUPER_MAGIC;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* @path is @root or below it (by name, at a component boundary). */
static bool under(const char *path, const char *root)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	return !strncmp(path, root, n) && (path[n] == '/' || !path[n]);
}

/*
 * Drop empty and "." components, so that every spelling prints the same:
 * "/sys/fs/cgroup/./a//b/" is "/sys/fs/cgroup/a/b". ".." stays: it may
 * cross a symlink.
 */
static void tidy(char *path)
{
	char *r = path, *w = path;

	while (*r) {
		if (r[0] == '/' && (r[1] == '/' || !r[1])) {
			r++;
		} else if (r[0] == '/' && r[1] == '.' && (r[2] == '/' || !r[2])) {
			r += 2;
		} else {
			do
				*w++ = *r++;
			while (*r && *r != '/');
		}
	}
	if (w == path && *path == '/')
		*w++ = '/';
	*w = '\0';
}

/* @a, then @b joined with one '/', tidied. */
static int put(char *path, size_t len, const char *a, const char *b,
	       struct diag *diag)
{
	if ((size_t)snprintf(path, len, "%s%s%s", a, *b && b[0] != '/' ? "/" : "", b) >= len)
		return diag_set(diag, ENAMETOOLONG, NULL, 0, "cgroup path too long: %s%s", a, b);
	tidy(path);
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * 'list' and 'status' print blanks, backslashes and control characters
 * as \xHH. Decode them into @out: 1 if there was one, 0 if not, -1 if
 * the result would not fit or would hold a NUL.
 */
static int unescape(const char *arg, char *out, size_t len)
{
	int found = 0;
	size_t n = 0;

	for (; *arg; n++) {
		if (n + 1 >= len)
			return -1;
		if (arg[0] == '\\' && arg[1] == 'x' && hexval(arg[2]) >= 0 &&
		    hexval(arg[3]) >= 0) {
			out[n] = hexval(arg[2]) << 4 | hexval(arg[3]);
			if (!out[n])
				return -1;
			arg += 4;
			found = 1;
		} else {
			out[n] = *arg++;
		}
	}
	out[n] = '\0';
	return found;
}

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

static int resolve(const char *root, const char *arg, char *path, size_t len,
		   struct diag *diag)
{
	char alt[4096];

	if (!*arg)
		return diag_set(diag, EINVAL, NULL, 0, "empty cgroup path");
	if (!root)
		return put(path, len, arg, "", diag);
	if (arg[0] != '/')
		return put(path, len, root, arg, diag);
	if (under(arg, root))
		return put(path, len, arg, "", diag);
	/* '/X' outside the mount: X relative to it if only that is a cgroup. */
	if (put(alt, sizeof(alt), root, arg, diag))
		return -ENAMETOOLONG;
	if (is_cgroup2_dir(arg)) {
		if (is_cgroup2_dir(alt) && !same_file(arg, alt))
			return diag_set(diag, ENOTUNIQ, NULL, 0,
					"cgroup %s is ambiguous: both %s and %s are cgroups; give the full path",
					arg, arg, alt);
		return put(path, len, arg, "", diag);
	}
	if (is_dir(alt))
		return put(path, len, alt, "", diag);
	return put(path, len, arg, "", diag);
}

int cgpath_resolve(const char *root, const char *arg, char *path, size_t len,
		   struct diag *diag)
{
	char copy[4096], plain[4096], alt[4096];
	int ret;

	/* @arg may be @path. */
	if ((size_t)snprintf(copy, sizeof(copy), "%s", arg) >= sizeof(copy))
		return diag_set(diag, ENAMETOOLONG, NULL, 0, "cgroup path too long: %s", arg);
	ret = resolve(root, copy, path, len, diag);
	if (ret || exists(path) || unescape(copy, plain, sizeof(plain)) != 1)
		return ret;
	/* Not there as written: the escaped form 'list' printed, if that is. */
	if (resolve(root, plain, alt, sizeof(alt), diag) || !exists(alt))
		return 0;
	return put(path, len, alt, "", diag);
}

/* Where cgroups are, for advice: "under the cgroup2 mount ROOT". */
static const char *mount_hint(const char *root, char *buf, size_t len)
{
	if (root)
		snprintf(buf, len, "cgroups are directories under the cgroup2 mount %s", root);
	else
		snprintf(buf, len, "no cgroup2 file system is mounted: mount -t cgroup2 none /sys/fs/cgroup");
	return buf;
}

static int open_error(const char *root, const char *arg, const char *path,
		      int e, struct diag *diag)
{
	char hint[4200];

	mount_hint(root, hint, sizeof(hint));
	if (e == ENOENT && root && under(path, root))
		return diag_set(diag, e, NULL, 0,
				"cgroup %s: %s (create it with 'mkdir %s', or check the name)",
				path, strerror(e), path);
	if (e == ENOENT && root && arg[0] == '/')
		return diag_set(diag, e, NULL, 0,
				"cgroup %s: no such cgroup: neither %s nor %s%s exists (%s)",
				arg, arg, root, arg, hint);
	if (e == ENOENT || e == ENOTDIR)
		return diag_set(diag, e, NULL, 0, "cgroup %s: %s (%s)",
				path, strerror(e), hint);
	return diag_set(diag, e, NULL, 0, "cgroup %s: %s", path, strerror(e));
}

int cgpath_open(const char *root, const char *arg, const char *path,
		struct diag *diag)
{
	struct statfs sfs;
	char hint[4200];
	int fd, e;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return open_error(root, arg, path, errno, diag);
	if (fstatfs(fd, &sfs)) {
		e = errno;
		close(fd);
		return diag_set(diag, e, NULL, 0, "cgroup %s: fstatfs: %s",
				path, strerror(e));
	}
	if (sfs.f_type == CGROUP2_SUPER_MAGIC)
		return fd;
	close(fd);
	if (sfs.f_type == CGROUP_SUPER_MAGIC && root)
		return diag_set(diag, EMEDIUMTYPE, NULL, 0,
				"cgroup %s: a cgroup v1 hierarchy: cpuidvirt needs cgroup v2 (%s)",
				path, mount_hint(root, hint, sizeof(hint)));
	if (sfs.f_type == CGROUP_SUPER_MAGIC)
		return diag_set(diag, EMEDIUMTYPE, NULL, 0,
				"cgroup %s: a cgroup v1 hierarchy: cpuidvirt needs cgroup v2 (mount -t cgroup2 none /sys/fs/cgroup, or boot with systemd.unified_cgroup_hierarchy=1)",
				path);
	return diag_set(diag, EMEDIUMTYPE, NULL, 0,
			"cgroup %s: not a cgroup v2 directory (%s)", path,
			mount_hint(root, hint, sizeof(hint)));
}

uint64_t cgpath_id_arg(const char *arg)
{
	unsigned long long v;
	char *end;

	if (strncmp(arg, "id:", 3) || arg[3] < '0' || arg[3] > '9')
		return 0;
	errno = 0;
	v = strtoull(arg + 3, &end, 10);
	return errno || *end ? 0 : v;
}

bool cgpath_is_root(int fd, const char *root)
{
	struct statfs sfs;
	struct stat st, rs;

	if (fstat(fd, &st))
		return false;
	if (root && !stat(root, &rs) && rs.st_dev == st.st_dev && rs.st_ino == st.st_ino)
		return true;
	return !fstatfs(fd, &sfs) && sfs.f_type == CGROUP2_SUPER_MAGIC &&
	       st.st_ino == CGROUP_ROOT_ID;
}
