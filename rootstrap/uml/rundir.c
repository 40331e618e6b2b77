/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uml.h"

/*
 * The run directory: a private host directory, in TMPDIR, that the guest
 * reaches through hostfs and may write. It holds the plan, the statuses,
 * UML's own files, and a link to the image: UML's command line splits at
 * spaces, and the image's path may have any.
 */

char *
rundir_make(const char *image, char **cause)
{
	char		*dir, *link, *lock;
	int		 fd = -1;

	xasprintf(&dir, "%s/rootstrap.XXXXXX", tmpdir());
	if (mkdtemp(dir) == NULL) {
		xasprintf(cause, "%s: %s while making the run directory", dir,
		    strerror(errno));
		free(dir);
		return (NULL);
	}
	/*
	 * The lock says the directory is in use (rundir_sweep); it is locked under
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
		file_remove_tree(dir);
		free(dir);
		return (NULL);
	}
	free(lock);
	free(link);
	xasprintf(&link, "%s/image", dir);
	if (symlink(image, link) == -1) {
		xasprintf(cause, "%s: %s", link, strerror(errno));
		file_remove_tree(dir);
		free(dir);
		dir = NULL;
	}
	free(link);
	return (dir);
}

/*
 * A run directory gone, with its UML's memory directory (launch.c) if
 * one was left: UML killed, or its launcher with it.
 */
void
rundir_remove(const char *dir)
{
	const char	*base = strrchr(dir, '/');
	struct stat	 st;
	char		*mem;

	file_remove_tree(dir);
	xasprintf(&mem, "%s/%s.mem", uml_tmpdir(), base != NULL ? base + 1 :
	    dir);
	if (lstat(mem, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == getuid())
		file_remove_tree(mem);
	free(mem);
}

/*
 * Remove the run directories of dead builds and runs in TMPDIR. One
 * without a lock file is being made right now, or is not ours: left alone.
 */
int
rundir_sweep(void)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		*dir, *lock;
	int		 n = 0;

	if ((d = opendir(tmpdir())) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "rootstrap.", 10) != 0 ||
		    strlen(de->d_name) != 16)
			continue;
		xasprintf(&dir, "%s/%s", tmpdir(), de->d_name);
		xasprintf(&lock, "%s/lock", dir);
		if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
		    st.st_uid == getuid() && lock_is_stale(lock)) {
			rundir_remove(dir);
			log_info("removed %s, left by a build that was killed",
			    dir);
			n++;
		}
		free(lock);
		free(dir);
	}
	closedir(d);
	return (n);
}

