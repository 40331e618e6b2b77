/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/*
 * Whether another user could have written a file or directory rootstrap
 * is about to trust: a cache whose images it reuses and whose partial
 * downloads it writes on, a ./rootstrap.conf that names programs to run.
 * The rule is ssh's for its own files (StrictModes): ours or root's, and
 * writable by nobody else. A group-writable one passes only when the group
 * is the owner's private group (the usergroups convention, umask 002).
 */

/* The owner's own group, with nobody else in it. */
static int
group_is_private(const struct stat *st)
{
	struct passwd	*pw;
	struct group	*gr;
	size_t		 i;

	if ((pw = getpwuid(st->st_uid)) == NULL || pw->pw_gid != st->st_gid ||
	    (gr = getgrgid(st->st_gid)) == NULL ||
	    strcmp(gr->gr_name, pw->pw_name) != 0)
		return (0);
	for (i = 0; gr->gr_mem[i] != NULL; i++) {
		if (strcmp(gr->gr_mem[i], pw->pw_name) != 0)
			return (0);
	}
	return (1);
}

/* Whose st is, for a message: a name where there is one. */
static char *
owner_name(uid_t uid)
{
	struct passwd	*pw;
	char		*s;

	if ((pw = getpwuid(uid)) != NULL)
		return (xstrdup(pw->pw_name));
	xasprintf(&s, "uid %lu", (unsigned long)uid);
	return (s);
}

/*
 * Why another user could have written what st describes, or NULL if no
 * one but us (or root) could have. sticky lets a directory writable by
 * others pass if its sticky bit keeps them from renaming what is ours
 * (/tmp above a cache, not the cache itself).
 */
static char *
why_untrusted(const struct stat *st, int sticky)
{
	char	*who, *why;

	if (st->st_uid != getuid() && st->st_uid != 0) {
		who = owner_name(st->st_uid);
		xasprintf(&why, "owned by %s, not by you or root", who);
		free(who);
		return (why);
	}
	if (sticky && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX))
		return (NULL);
	if (st->st_mode & S_IWOTH)
		return (xstrdup("writable by others"));
	if ((st->st_mode & S_IWGRP) && !group_is_private(st))
		return (xstrdup("writable by its group"));
	return (NULL);
}

/* NULL if no other user could have written the file st describes. */
char *
trust_stat(const struct stat *st)
{
	return (why_untrusted(st, 0));
}

/*
 * dir, resolved, if no other user could have put a file in it or swapped
 * it: it must be a directory that trust_stat accepts, and so must every
 * directory above it but for sticky ones. Use the path returned, so that
 * a link changed later does not lead elsewhere. NULL with *cause "PATH:
 * why"; with errno ENOENT when dir does not exist.
 */
char *
trust_dir(const char *dir, char **cause)
{
	struct stat	 st;
	char		*real, *p, *why = NULL, *slash;
	int		 saved;

	if ((real = realpath(dir, NULL)) == NULL) {
		saved = errno;
		xasprintf(cause, "%s: %s", dir, strerror(saved));
		errno = saved;
		return (NULL);
	}
	if (stat(real, &st) == -1)
		why = xstrdup(strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		why = xstrdup("not a directory");
	else
		why = why_untrusted(&st, 0);
	if (why != NULL) {
		xasprintf(cause, "%s: %s", real, why);
		free(why);
		free(real);
		errno = EPERM;
		return (NULL);
	}
	/* Each directory above: whoever may rename in it may swap ours. */
	p = xstrdup(real);
	while ((slash = strrchr(p, '/')) != NULL) {
		slash[slash == p ? 1 : 0] = '\0';
		if (stat(p, &st) == -1)
			why = xstrdup(strerror(errno));
		else
			why = why_untrusted(&st, 1);
		if (why != NULL) {
			xasprintf(cause, "%s (above %s): %s", p, real, why);
			free(why);
			break;
		}
		if (strcmp(p, "/") == 0) {
			free(p);
			return (real);
		}
	}
	free(p);
	free(real);
	errno = EPERM;
	return (NULL);
}
