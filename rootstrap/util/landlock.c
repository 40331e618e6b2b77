/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/*
 * Landlock: a process limits, for itself and whatever it runs, which files
 * it may open, make or remove, without any privilege and without user
 * namespaces (Linux 5.13 and later, where the LSM is enabled). spawn()
 * enters a ruleset in the child just before exec; everything not allowed
 * here is refused to the program and to its children, whatever their
 * user may do. Rights are kept to those the running kernel knows (its
 * ABI version), so that a newer right is not asked of an older kernel.
 */

/* Newer than some <linux/landlock.h>: the values are the kernel's ABI. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE	(1ULL << 14)	/* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV	(1ULL << 15)	/* ABI 5 */
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION	(1U << 0)
#endif

#define FS_READ		(LANDLOCK_ACCESS_FS_READ_FILE | \
			 LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_WRITE	(LANDLOCK_ACCESS_FS_WRITE_FILE | \
			 LANDLOCK_ACCESS_FS_TRUNCATE | \
			 LANDLOCK_ACCESS_FS_REMOVE_DIR | \
			 LANDLOCK_ACCESS_FS_REMOVE_FILE | \
			 LANDLOCK_ACCESS_FS_MAKE_CHAR | \
			 LANDLOCK_ACCESS_FS_MAKE_DIR | \
			 LANDLOCK_ACCESS_FS_MAKE_REG | \
			 LANDLOCK_ACCESS_FS_MAKE_SOCK | \
			 LANDLOCK_ACCESS_FS_MAKE_FIFO | \
			 LANDLOCK_ACCESS_FS_MAKE_BLOCK | \
			 LANDLOCK_ACCESS_FS_MAKE_SYM | \
			 LANDLOCK_ACCESS_FS_REFER)
/* What may be asked of a file rather than a directory. */
#define FS_FILE		(LANDLOCK_ACCESS_FS_EXECUTE | \
			 LANDLOCK_ACCESS_FS_WRITE_FILE | \
			 LANDLOCK_ACCESS_FS_READ_FILE | \
			 LANDLOCK_ACCESS_FS_TRUNCATE | \
			 LANDLOCK_ACCESS_FS_IOCTL_DEV)

/* The rights each ABI version handles. */
static uint64_t
abi_rights(int abi)
{
	uint64_t	 all = LANDLOCK_ACCESS_FS_EXECUTE | FS_READ | FS_WRITE |
	    LANDLOCK_ACCESS_FS_IOCTL_DEV;

	if (abi < 5)
		all &= ~LANDLOCK_ACCESS_FS_IOCTL_DEV;
	if (abi < 3)
		all &= ~LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi < 2)
		all &= ~LANDLOCK_ACCESS_FS_REFER;
	return (all);
}

/*
 * A ruleset that refuses every file access the kernel can refuse; rules
 * added to it allow some. Returns 0, or -1 with *cause when this kernel
 * has no Landlock (or has it disabled).
 */
int
landlock_open(struct landlock *ll, char **cause)
{
	struct landlock_ruleset_attr	 attr;
	long				 abi;

	ll->fd = -1;
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		xasprintf(cause, "Landlock is not available here (%s)",
		    errno == EOPNOTSUPP ? "disabled at boot" :
		    errno == ENOSYS ? "the kernel has none" : strerror(errno));
		return (-1);
	}
	ll->abi = (int)abi;
	ll->handled = abi_rights(ll->abi);
	memset(&attr, 0, sizeof attr);
	attr.handled_access_fs = ll->handled;
	ll->fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr,
	    0);
	if (ll->fd == -1) {
		xasprintf(cause, "landlock_create_ruleset: %s",
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Allow what (LANDLOCK_READ, _EXEC, _WRITE, _DEVICE) on path and, for a
 * directory, everything beneath it. A path that does not exist is
 * skipped. Returns 0, or -1 with *cause.
 */
int
landlock_allow(struct landlock *ll, const char *path, int what, char **cause)
{
	struct landlock_path_beneath_attr	 pb;
	struct stat				 st;
	uint64_t				 rights = 0;
	int					 fd;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (0);
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (what & LANDLOCK_READ)
		rights |= FS_READ;
	if (what & LANDLOCK_EXEC)
		rights |= LANDLOCK_ACCESS_FS_EXECUTE;
	if (what & LANDLOCK_WRITE)
		rights |= FS_WRITE;
	if (what & LANDLOCK_DEVICE)
		rights |= LANDLOCK_ACCESS_FS_READ_FILE |
		    LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_IOCTL_DEV;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		rights &= FS_FILE;
	memset(&pb, 0, sizeof pb);
	pb.allowed_access = rights & ll->handled;
	pb.parent_fd = fd;
	if (pb.allowed_access != 0 && syscall(SYS_landlock_add_rule, ll->fd,
	    LANDLOCK_RULE_PATH_BENEATH, &pb, 0) == -1) {
		xasprintf(cause, "landlock_add_rule %s: %s", path,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}

/*
 * In the child, before exec: from here on the ruleset holds, for good.
 * Set-user-ID programs it runs gain nothing (no_new_privs, which Landlock
 * needs). Returns 0, or -1 with errno.
 */
int
landlock_enter(const struct landlock *ll)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return (-1);
	return ((int)syscall(SYS_landlock_restrict_self, ll->fd, 0));
}

void
landlock_close(struct landlock *ll)
{
	if (ll->fd != -1)
		close(ll->fd);
	ll->fd = -1;
}
