/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rootstrap.h"

/*
 * The run directory: a private host directory, in TMPDIR, that the guest
 * reaches through hostfs and may write. It holds the plan, the statuses,
 * UML's own files, and a link to the image: UML's command line splits at
 * spaces, and the image's path may have any.
 */

char *
rundir_make(const char *image, char **cause)
{
	const char	*tmpdir = stale_tmpdir();
	char		*dir, *link, *lock;
	int		 fd = -1;

	xasprintf(&dir, "%s/rootstrap.XXXXXX", tmpdir);
	if (mkdtemp(dir) == NULL) {
		xasprintf(cause, "%s: %s while making the run directory", dir,
		    strerror(errno));
		free(dir);
		return (NULL);
	}
	/*
	 * The lock says the directory is in use (stale.c); it is locked under
	 * another name first, so it never shows unlocked. Kept open on purpose.
	 */
	xasprintf(&lock, "%s/.lock", dir);
	xasprintf(&link, "%s/lock", dir);
	if ((fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1 || flock(fd, LOCK_EX) == -1 ||
	    rename(lock, link) == -1) {
		xasprintf(cause, "%s: %s", lock, strerror(errno));
		if (fd != -1)
			close(fd);
		free(lock);
		free(link);
		rundir_remove(dir);
		free(dir);
		return (NULL);
	}
	free(lock);
	free(link);
	xasprintf(&link, "%s/image", dir);
	if (symlink(image, link) == -1) {
		xasprintf(cause, "%s: %s", link, strerror(errno));
		rundir_remove(dir);
		free(dir);
		dir = NULL;
	}
	free(link);
	return (dir);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return (0);
}

void
rundir_remove(const char *dir)
{
	if (dir != NULL)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
