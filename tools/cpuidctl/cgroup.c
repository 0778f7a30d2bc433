// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v2 helpers for the commands: the cgroup2 mount, CGROUP arguments
 * opened with a clear error (the rule itself is in cgpath.c), cgroup ids
 * mapped back to the paths the tool prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgpath.h"
#include "cpuidctl.h"

static char root[PATH_MAX];
static bool root_found;

/* The first cgroup2 mount, usually /sys/fs/cgroup. */
const char *cgroup2_root(void)
{
	if (*root)
		return root;
	root_found = !cgpath_find_mount("/proc/self/mounts", root, sizeof(root));
	if (!root_found)
		strcpy(root, "/sys/fs/cgroup");
	return root;
}

/* The mount found, or NULL if there is none (cgroup2_root() then guesses). */
const char *cgroup2_mount(void)
{
	cgroup2_root();
	return root_found ? root : NULL;
}

/* id:N, as 'profile list' prints a cgroup whose path it cannot find. */
static int open_by_id(uint64_t id, char *path, size_t len)
{
	if (cgroup_id_to_path(id, path, len)) {
		err_msg("cgroup id:%" PRIu64 ": no directory under %s has that id (the cgroup was removed; 'cpuidctl profile remove id:%" PRIu64 "' drops its profile)",
			id, cgroup2_root(), id);
		return -EXIT_FAIL;
	}
	return cgroup_open(path, path, len);
}

int cgroup_open(const char *arg, char *path, size_t len)
{
	const char *mnt = cgroup2_mount();
	uint64_t id = cgpath_id_arg(arg);
	struct diag diag;
	char tmp[PATH_MAX];
	int fd;

	if (id)
		return open_by_id(id, path, len);
	diag_clear(&diag);
	if (cgpath_resolve(mnt, arg, tmp, sizeof(tmp), &diag)) {
		err_msg("%s", diag.msg);
		return diag.err == ENAMETOOLONG ? -EXIT_FAIL : -EXIT_USAGE;
	}
	snprintf(path, len, "%s", tmp);
	fd = cgpath_open(mnt, arg, path, &diag);
	if (fd < 0) {
		err_msg("%s", diag.msg);
		return -EXIT_FAIL;
	}
	return fd;
}

bool cgroup_is_root(int fd)
{
	return cgpath_is_root(fd, cgroup2_mount());
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

/* The full path under the mount: the form every command takes back. */
int cgroup_id_to_path(uint64_t id, char *path, size_t len)
{
	walk_id = id;
	if (nftw(cgroup2_root(), walk_cb, 32, FTW_PHYS | FTW_MOUNT) != 1)
		return -ENOENT;
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
