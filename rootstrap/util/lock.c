/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "util.h"

/*
 * What a killed build leaves behind. A build holds an flock on each of its
 * temporary images and on its run directory's lock file for as long as it
 * lives; the kernel drops those locks when the process dies, however it
 * dies (SIGKILL included). So a temporary file whose lock can be taken has
 * no owner left and may go, and a live build's files, still locked, are
 * never touched. The descriptors stay open until exit on purpose.
 */

/* Lock path for the rest of our life. Returns 0, or -1 with errno. */
int
lock_hold(const char *path)
{
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		return (-1);
	}
	return (0);
}

/*
 * Whether path belongs to a dead build: ours, and its lock free. The lock
 * taken to find out is dropped again; a build starting now makes new names.
 */
int
lock_is_stale(const char *path)
{
	struct stat	 st;
	int		 fd, dead;

	if (lstat(path, &st) == -1 || st.st_uid != getuid() ||
	    !S_ISREG(st.st_mode))
		return (0);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return (0);
	dead = flock(fd, LOCK_EX | LOCK_NB) == 0;
	close(fd);
	return (dead);
}
