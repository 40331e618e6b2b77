/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uml.h"

/*
 * Long-lived instances by name. An instance is a run directory like a
 * build's (rundir.c), held locked by its supervisor for as long as it
 * lives, with the supervisor's record ("instance") and control socket in
 * it. Its name is a link in the user's registry: $XDG_RUNTIME_DIR/rootstrap
 * (a tmpfs that a reboot empties), else TMPDIR/rootstrap-UID, to the run
 * directory. An instance whose lock is free, or that started in another
 * boot of the host, is dead: its link and directory go wherever one is
 * looked up (as rundir_sweep removes a dead build's).
 */

#define INSTANCE_MAGIC	"rootstrap instance 1"

char *
instance_registry(char **cause)
{
	const char	*xdg = getenv("XDG_RUNTIME_DIR");
	char		*dir, *real;

	if (xdg != NULL && *xdg == '/')
		xasprintf(&dir, "%s/rootstrap", xdg);
	else
		xasprintf(&dir, "%s/rootstrap-%ju", tmpdir(),
		    (uintmax_t)getuid());
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		free(dir);
		return (NULL);
	}
	/* Only ours: another user's links could lead anywhere. */
	real = trust_dir(dir, cause);
	free(dir);
	return (real);
}

/* A name for a link and a message: letters, digits, '.', '_', '-'. */
int
instance_name_valid(const char *name)
{
	size_t	 n = strlen(name);

	return (n > 0 && n <= 64 && name[0] != '.' && name[0] != '-' &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n);
}

/*
 * The link name -> dir, made atomically: name, or (NULL) the image's base
 * name and the first free number. The name taken, or NULL with *cause.
 */
char *
instance_register(const char *name, const char *image, const char *dir,
    char **cause)
{
	char	*reg, *base, *dot, *link = NULL, *taken = NULL;
	int	 i;

	if ((reg = instance_registry(cause)) == NULL)
		return (NULL);
	base = xstrdup(strrchr(image, '/') != NULL ? strrchr(image, '/') + 1 :
	    image);
	if ((dot = strrchr(base, '.')) != NULL && dot != base)
		*dot = '\0';
	if (!instance_name_valid(base)) {
		free(base);
		base = xstrdup("instance");
	}
	for (i = 1; i < 1000; i++) {
		if (name != NULL)
			taken = xstrdup(name);
		else
			xasprintf(&taken, "%s-%d", base, i);
		free(link);
		xasprintf(&link, "%s/%s", reg, taken);
		if (symlink(dir, link) == 0)
			break;
		if (errno != EEXIST || name != NULL) {
			if (errno == EEXIST)
				xasprintf(cause, "an instance named %s is "
				    "running (rootstrap ls)", taken);
			else
				xasprintf(cause, "%s: %s", link,
				    strerror(errno));
			free(taken);
			taken = NULL;
			i = 0;
			break;
		}
		free(taken);
		taken = NULL;
	}
	if (taken == NULL && i == 1000)
		xasprintf(cause, "%s: no free name", reg);
	free(link);
	free(base);
	free(reg);
	return (taken);
}

char *
instance_boot_id(void)
{
	char	*id;

	if ((id = file_read("/proc/sys/kernel/random/boot_id", 64, NULL)) ==
	    NULL)
		return (xstrdup("unknown"));
	id[strcspn(id, "\n")] = '\0';
	return (id);
}

int
instance_write(const struct instance *in, char **cause)
{
	struct recfile	 r = { { 0 }, { 0 } };
	char		*path, *v;
	int		 rc;

	recfile_add(&r, "name", in->name);
	recfile_add(&r, "image", in->image);
	recfile_add(&r, "snapshot", in->snapshot ? "yes" : "no");
	xasprintf(&v, "%ld", (long)in->pid);
	recfile_add(&r, "pid", v);
	free(v);
	xasprintf(&v, "%lld", in->started);
	recfile_add(&r, "started", v);
	free(v);
	xasprintf(&v, "%d", in->idle);
	recfile_add(&r, "idle", v);
	free(v);
	recfile_add(&r, "boot", in->boot_id);
	xasprintf(&path, "%s/instance", in->dir);
	rc = recfile_write(path, INSTANCE_MAGIC, &r, cause);
	free(path);
	recfile_free(&r);
	return (rc);
}

static int
instance_read(struct instance *in, char **cause)
{
	struct recfile	 r;
	const char	*tag, *v;
	char		*path;
	size_t		 i;

	xasprintf(&path, "%s/instance", in->dir);
	if (recfile_read(path, INSTANCE_MAGIC, 65536, &r, cause) != 0) {
		free(path);
		return (-1);
	}
	free(path);
	for (i = 0; i < r.tags.n; i++) {
		tag = r.tags.v[i];
		v = r.values.v[i];
		if (strcmp(tag, "image") == 0 && in->image == NULL)
			in->image = xstrdup(v);
		else if (strcmp(tag, "snapshot") == 0)
			in->snapshot = strcmp(v, "yes") == 0;
		else if (strcmp(tag, "pid") == 0)
			in->pid = (pid_t)strtol(v, NULL, 10);
		else if (strcmp(tag, "started") == 0)
			in->started = strtoll(v, NULL, 10);
		else if (strcmp(tag, "idle") == 0)
			in->idle = (int)strtol(v, NULL, 10);
		else if (strcmp(tag, "boot") == 0 && in->boot_id == NULL)
			in->boot_id = xstrdup(v);
	}
	recfile_free(&r);
	return (0);
}

/* The link and the directory of a dead (or stopped) instance, gone. */
void
instance_forget(const char *name, const char *dir)
{
	char	*reg, *link, *cause = NULL, target[4096];
	ssize_t	 n;

	if ((reg = instance_registry(&cause)) != NULL) {
		xasprintf(&link, "%s/%s", reg, name);
		/* Only if it still leads there: a new one may have the name. */
		n = readlink(link, target, sizeof target - 1);
		if (n > 0 && (target[n] = '\0', strcmp(target, dir) == 0))
			unlink(link);
		free(link);
		free(reg);
	}
	free(cause);
	if (dir != NULL && strncmp(dir, tmpdir(), strlen(tmpdir())) == 0)
		rundir_remove(dir);
}

/* Whether in (its dir known) lives: locked, and in this boot. */
static int
instance_alive(struct instance *in)
{
	char	*lock, *boot, *cause = NULL;
	int	 alive;

	xasprintf(&lock, "%s/lock", in->dir);
	alive = access(lock, F_OK) == 0 && !lock_is_stale(lock) &&
	    instance_read(in, &cause) == 0;
	free(lock);
	free(cause);
	if (alive) {
		boot = instance_boot_id();
		alive = in->boot_id != NULL && strcmp(in->boot_id, boot) == 0;
		free(boot);
	}
	return (alive);
}

/*
 * The live instance name: 0, or -1 with *cause saying it is unknown or
 * was dead (its leftovers removed then).
 */
int
instance_find(const char *name, struct instance *in, char **cause)
{
	char	*reg, *link, target[4096];
	ssize_t	 n;

	memset(in, 0, sizeof *in);
	if (!instance_name_valid(name)) {
		xasprintf(cause, "'%s' is not an instance name", name);
		return (-1);
	}
	if ((reg = instance_registry(cause)) == NULL)
		return (-1);
	xasprintf(&link, "%s/%s", reg, name);
	n = readlink(link, target, sizeof target - 1);
	free(link);
	free(reg);
	if (n <= 0) {
		/* Never started, or stopped: its name goes with it. */
		xasprintf(cause, "no instance named %s is running (rootstrap "
		    "ls lists those that are)", name);
		return (-1);
	}
	target[n] = '\0';
	in->name = xstrdup(name);
	in->dir = xstrdup(target);
	if (!instance_alive(in)) {
		instance_forget(name, in->dir);
		xasprintf(cause, "instance %s is not running any more (its "
		    "supervisor is gone); its leftovers were removed", name);
		instance_free(in);
		return (-1);
	}
	return (0);
}

static int
by_name(const void *a, const void *b)
{
	return (strcmp(((const struct instance *)a)->name,
	    ((const struct instance *)b)->name));
}

/* The live instances, by name; the dead ones swept. */
int
instance_list(struct instance **list, size_t *n)
{
	struct dirent	*de;
	struct instance	 in;
	DIR		*d;
	char		*reg, *cause = NULL;

	*list = NULL;
	*n = 0;
	if ((reg = instance_registry(&cause)) == NULL) {
		log_error("%s", cause);
		free(cause);
		return (-1);
	}
	if ((d = opendir(reg)) == NULL) {
		log_error("%s: %s", reg, strerror(errno));
		free(reg);
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (instance_find(de->d_name, &in, &cause) != 0) {
			free(cause);
			cause = NULL;
			continue;
		}
		*list = xreallocarray(*list, *n + 1, sizeof **list);
		(*list)[(*n)++] = in;
	}
	closedir(d);
	free(reg);
	if (*n > 1)
		qsort(*list, *n, sizeof **list, by_name);
	return (0);
}

/* The name of the live instance started on image (its real path), or NULL. */
char *
instance_holding(const char *image)
{
	struct instance	*list;
	char		*name = NULL;
	size_t		 i, n;

	if (instance_list(&list, &n) != 0)
		return (NULL);
	for (i = 0; i < n; i++) {
		if (name == NULL && strcmp(list[i].image, image) == 0)
			name = xstrdup(list[i].name);
		instance_free(&list[i]);
	}
	free(list);
	return (name);
}

void
instance_free(struct instance *in)
{
	free(in->name);
	free(in->dir);
	free(in->image);
	free(in->boot_id);
	memset(in, 0, sizeof *in);
}
