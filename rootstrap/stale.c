/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rootstrap.h"

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
stale_lock(const char *path)
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
static int
stale_is_dead(const char *path)
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

/* ".NAME.rootstrap-XXXXXX": mkstemp's six characters and nothing more. */
static int
stale_is_temp_image(const char *name)
{
	const char	*p;

	if (name[0] != '.' || (p = strstr(name, ".rootstrap-")) == NULL ||
	    p == name)
		return (0);
	while (strstr(p + 1, ".rootstrap-") != NULL)
		p = strstr(p + 1, ".rootstrap-");
	return (strlen(p + 11) == 6 && strchr(p + 11, '.') == NULL);
}

/*
 * Remove the temporary images of dead builds in dir (and the shrink's
 * working copy beside each). Says what it removed; returns how many.
 */
int
stale_sweep_images(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	char		*path, *copy;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL) {
		if (!stale_is_temp_image(de->d_name))
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		if (stale_is_dead(path) && unlink(path) == 0) {
			xasprintf(&copy, "%s.shrink", path);
			unlink(copy);
			free(copy);
			log_info("removed %s, left by a build that was killed",
			    path);
			n++;
		}
		free(path);
	}
	closedir(d);
	return (n);
}

/*
 * Remove the run directories of dead builds and runs in tmpdir. One
 * without a lock file is being made right now, or is not ours: left alone.
 */
int
stale_sweep_rundirs(const char *tmpdir)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		*dir, *lock;
	int		 n = 0;

	if ((d = opendir(tmpdir)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "rootstrap.", 10) != 0 ||
		    strlen(de->d_name) != 16)
			continue;
		xasprintf(&dir, "%s/%s", tmpdir, de->d_name);
		xasprintf(&lock, "%s/lock", dir);
		if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
		    st.st_uid == getuid() && stale_is_dead(lock)) {
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

/* TMPDIR as rundir_make() uses it. */
const char *
stale_tmpdir(void)
{
	const char	*tmpdir = getenv("TMPDIR");

	if (tmpdir == NULL || *tmpdir == '\0' ||
	    strpbrk(tmpdir, " \t\n\"'") != NULL)
		tmpdir = "/tmp";
	return (tmpdir);
}
