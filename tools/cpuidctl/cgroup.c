// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v2 helpers: find the cgroup2 mount, open a cgroup directory with
 * a clear error for missing or v1 hierarchies, map cgroup ids to paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cpuidctl.h"

/* The first cgroup2 mount, usually /sys/fs/cgroup. */
const char *cgroup2_root(void)
{
	static char root[PATH_MAX];
	struct mntent *m;
	FILE *f;

	if (*root)
		return root;
	strcpy(root, "/sys/fs/cgroup");
	f = setmntent("/proc/self/mounts", "re");
	if (!f)
		return root;
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(root, sizeof(root), "%s", m->mnt_dir);
			break;
		}
	}
	endmntent(f);
	return root;
}

int cgroup_open(const char *arg, char *path, size_t len)
{
	struct statfs sfs;
	int fd, e;

	if (!*arg) {
		err_msg("empty cgroup path");
		return -EXIT_USAGE;
	}
	if (arg[0] == '/')
		snprintf(path, len, "%s", arg);
	else
		snprintf(path, len, "%s/%s", cgroup2_root(), arg);

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT)
			err_msg("cgroup %s: %s: create it first (mkdir %s) or check the path",
				path, strerror(e), path);
		else if (e == ENOTDIR)
			err_msg("cgroup %s: %s: a cgroup is a directory under %s",
				path, strerror(e), cgroup2_root());
		else
			err_msg("cgroup %s: %s", path, strerror(e));
		return -EXIT_FAIL;
	}
	if (fstatfs(fd, &sfs)) {
		err_msg("cgroup %s: fstatfs: %s", path, strerror(errno));
		close(fd);
		return -EXIT_FAIL;
	}
	if (sfs.f_type == CGROUP2_SUPER_MAGIC)
		return fd;
	if (sfs.f_type == CGROUP_SUPER_MAGIC)
		err_msg("cgroup %s: a cgroup v1 hierarchy: cpuidvirt needs cgroup v2 (mount -t cgroup2 none /sys/fs/cgroup, or boot with systemd.unified_cgroup_hierarchy=1)",
			path);
	else
		err_msg("cgroup %s: not a cgroup v2 directory (is cgroup2 mounted at /sys/fs/cgroup?)",
			path);
	close(fd);
	return -EXIT_FAIL;
}

/* On cgroup2 the kernfs node id, which the module reports, is the inode number. */
uint64_t cgroup_fd_id(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

static uint64_t walk_id;
static char walk_path[PATH_MAX];

static int walk_cb(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	if (type != FTW_D || sb->st_ino != walk_id)
		return 0;
	snprintf(walk_path, sizeof(walk_path), "%s", fpath);
	return 1;
}

/* The directory of cgroup @id, absolute (the cgroup2 mount included). */
int cgroup_id_to_abspath(uint64_t id, char *path, size_t len)
{
	walk_id = id;
	if (nftw(cgroup2_root(), walk_cb, 32, FTW_PHYS | FTW_MOUNT) != 1)
		return -ENOENT;
	snprintf(path, len, "%s", walk_path);
	return 0;
}

int cgroup_id_to_path(uint64_t id, char *path, size_t len)
{
	const char *root = cgroup2_root();
	size_t rl = strlen(root);

	walk_id = id;
	if (nftw(root, walk_cb, 32, FTW_PHYS | FTW_MOUNT) != 1)
		return -ENOENT;
	/* Print it the way users pass it: relative to the cgroup2 mount. */
	if (!strncmp(walk_path, root, rl))
		snprintf(path, len, "%s", walk_path[rl] ? walk_path + rl : "/");
	else
		snprintf(path, len, "%s", walk_path);
	return 0;
}

/* The caller's own cgroup v2 directory (from /proc/self/cgroup "0::/path"). */
int cgroup_self_path(char *path, size_t len)
{
	char line[PATH_MAX + 8];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(path, len, "%s%s", cgroup2_root(),
			 strcmp(line + 3, "/") ? line + 3 : "");
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}
