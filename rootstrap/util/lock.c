/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/*
 * What a killed build leaves behind. A build holds an flock on each of its
 * temporary images and on its run directory's lock file for as long as it
 * lives; the kernel drops those locks when the process dies, however it
 * dies (SIGKILL included). So a temporary file whose lock can be taken has
 * no owner left and may go, and a live build's files, still locked, are
 * never touched. The descriptors stay open until exit on purpose.
 *
 * The temporary files rootstrap makes beside what it writes are all named
 * ".NAME.rootstrap-XXXXXX" (file_temp, image_allocate), so one sweep finds
 * them all: images being built and their shrunk copies, the image cache's
 * copies, exports, files being replaced. (The run directory has a lock of
 * its own, uml/rundir.c; a package cache's .partial downloads keep their
 * names, to be resumed, in a directory that must be the user's own.)
 */

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

/* ".NAME.rootstrap-XXXXXX": mkstemp's six characters and nothing more. */
static int
lock_is_temp(const char *name)
{
	const char	*p, *next;

	if (name[0] != '.' || (p = strstr(name, ".rootstrap-")) == NULL ||
	    p == name)
		return (0);
	while ((next = strstr(p + 1, ".rootstrap-")) != NULL)
		p = next;
	return (strlen(p + 11) == 6 && strchr(p + 11, '.') == NULL);
}

/*
 * Remove the temporary files of dead rootstraps in dir: ours, regular,
 * and unlocked (lock_is_stale). Says what it removed; returns how many.
 */
int
lock_sweep(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	char		*path;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL) {
		if (!lock_is_temp(de->d_name))
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		if (lock_is_stale(path) && unlink(path) == 0) {
			/* (An export or a store too: one message for all.) */
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
 * An image in use: a long-lived instance holds its image locked for as
 * long as it lives, exclusively when it writes to it, shared when it runs
 * on a copy-on-write file (-S). A build or a run that would write the
 * image takes the lock exclusively, one that only reads it shared, and is
 * refused while the other kind holds it. The descriptor holding the lock,
 * or -1 (errno EWOULDBLOCK: in use).
 */
int
lock_image(const char *path, int exclusive)
{
	int	 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}
