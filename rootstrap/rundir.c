/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
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
	const char	*tmpdir = getenv("TMPDIR");
	char		*dir, *link;

	if (tmpdir == NULL || *tmpdir == '\0' ||
	    strpbrk(tmpdir, " \t\n\"'") != NULL)
		tmpdir = "/tmp";
	xasprintf(&dir, "%s/rootstrap.XXXXXX", tmpdir);
	if (mkdtemp(dir) == NULL) {
		xasprintf(cause, "%s: %s while making the run directory", dir,
		    strerror(errno));
		free(dir);
		return (NULL);
	}
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
