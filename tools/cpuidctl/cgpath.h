/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CGROUP arguments (cgpath.c): which directory a CGROUP argument names,
 * given the cgroup2 mount the tool found, and the root check. No output:
 * errors come back in a struct diag, so unit tests can call these with
 * any directory standing in for the mount.
 *
 * The rule (docs/cpuidctl.md, "CGROUP"): cpuidctl prints a cgroup as its
 * full path under the cgroup2 mount (/sys/fs/cgroup/acc1), or as id:N when
 * its directory is gone, and accepts back
 *   - a path under the mount, as printed;
 *   - a path relative to the mount (acc1, acc1/child);
 *   - a path starting with '/' that is not itself a cgroup2 directory but
 *     names one relative to the mount (/acc1: what versions before 2026-12
 *     printed); if both are cgroups, that is an error;
 *   - id:N (the cgroup with that id; only 'profile remove' can use it for
 *     a removed directory);
 *   - any of these with blanks, backslashes and control characters as
 *     \xHH, as 'list' and 'status' print them, when the path as written
 *     does not exist.
 */
#ifndef CPUIDCTL_CGPATH_H
#define CPUIDCTL_CGPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* The first cgroup2 mount point in @mounts_path (/proc/self/mounts format). */
int cgpath_find_mount(const char *mounts_path, char *mount, size_t len);

/*
 * The directory @arg names under the cgroup2 mount @root (NULL if none is
 * mounted) into @path. -EINVAL for an empty @arg, -ENOTUNIQ (with the two
 * candidates in @diag) when '/X' and ROOT/X are both cgroups.
 */
int cgpath_resolve(const char *root, const char *arg, char *path, size_t len,
		   struct diag *diag);

/*
 * Open @path (from cgpath_resolve) as a cgroup v2 directory: the fd, or
 * -errno with "cgroup PATH: cause (fix)" in @diag naming @root: -ENOENT,
 * -ENOTDIR, -EMEDIUMTYPE (cgroup v1, or not a cgroup at all), ...
 * @arg is what the user gave, for the advice.
 */
int cgpath_open(const char *root, const char *arg, const char *path,
		struct diag *diag);

/* "id:N" -> N; 0 if @arg is not of that form. */
uint64_t cgpath_id_arg(const char *arg);

/*
 * True if @fd is the root of a cgroup2 hierarchy: the mount @root itself
 * (whatever the spelling: ".", "/", "/sys/fs/cgroup/", a symlink), or the
 * kernel's root cgroup (id 1) through any mount.
 */
bool cgpath_is_root(int fd, const char *root);

#endif
