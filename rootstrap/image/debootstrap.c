/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <stdlib.h>
#include <string.h>

#include <archive_entry.h>

#include "image.h"

/*
 * The files debootstrap makes itself in a new system, around what the
 * packages bring: what a host-side unpack (unpack.c) must add so that
 * the image is what debootstrap's first stage would leave.
 */

struct base {
	struct populate		*p;
	const struct dpkgdb	*db;
	time_t			 now;
};

/* A file, directory, symlink (data: its target) or device in the image. */
static int
put(struct base *u, const char *path, mode_t mode, const char *data,
    size_t len, dev_t rdev, char **cause)
{
	return (populate_put(u->p, path, mode, data, len, rdev, u->now,
	    cause));
}

/* debootstrap's device nodes (setup_devices_simple), made without mknod. */
static int
make_devices(struct base *u, char **cause)
{
	static const struct {
		const char	*name;
		int		 major, minor;
	} nodes[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
		{ "console", 5, 1 }, { "ptmx", 5, 2 }, { NULL, 0, 0 }
	};
	static const char *const links[] = {
		"fd", "/proc/self/fd", "stdin", "/proc/self/fd/0",
		"stdout", "/proc/self/fd/1", "stderr", "/proc/self/fd/2", NULL
	};
	char	*path;
	size_t	 i;
	int	 rc = 0;

	for (i = 0; nodes[i].name != NULL && rc == 0; i++) {
		xasprintf(&path, "dev/%s", nodes[i].name);
		if (!populate_exists(u->p, path))
			rc = put(u, path, AE_IFCHR | 0666, NULL, 0,
			    makedev(nodes[i].major, nodes[i].minor), cause);
		free(path);
	}
	if (rc == 0)
		rc = put(u, "dev/pts", AE_IFDIR | 0755, NULL, 0, 0, cause);
	if (rc == 0)
		rc = put(u, "dev/shm", AE_IFDIR | 0755, NULL, 0, 0, cause);
	for (i = 0; links[i] != NULL && rc == 0; i += 2) {
		xasprintf(&path, "dev/%s", links[i]);
		if (!populate_exists(u->p, path))
			rc = put(u, path, AE_IFLNK | 0777, links[i + 1], 0, 0,
			    cause);
		free(path);
	}
	return (rc);
}

/* The database: status, available and the registered trigger interests. */
static int
write_db(struct base *u, char **cause)
{
	const struct dpkgdb	*db = u->db;
	char		*path;
	size_t		 i;
	int		 rc;

	if (put(u, "var/lib/dpkg/status", AE_IFREG | 0644, db->status.s,
	    db->status.len, 0, cause) != 0 ||
	    put(u, "var/lib/dpkg/available", AE_IFREG | 0644,
	    db->available.s, db->available.len, 0, cause) != 0 ||
	    put(u, "var/lib/dpkg/triggers/File", AE_IFREG | 0644,
	    db->file_triggers.s != NULL ? db->file_triggers.s : "",
	    db->file_triggers.len, 0, cause) != 0)
		return (-1);
	for (i = 0; i < db->trigger_names.n; i++) {
		xasprintf(&path, "var/lib/dpkg/triggers/%s",
		    db->trigger_names.v[i]);
		rc = put(u, path, AE_IFREG | 0644, db->trigger_files[i].s,
		    db->trigger_files[i].len, 0, cause);
		free(path);
		if (rc != 0)
			return (-1);
	}
	return (0);
}

/* A host file copied in when the image has none (conditional_cp). */
static int
copy_host(struct base *u, const char *path, char **cause)
{
	char	*data;
	int	 rc;

	if (populate_exists(u->p, path + 1) ||
	    (data = file_read(path, 1 << 20, NULL)) == NULL)
		return (0);
	rc = put(u, path + 1, AE_IFREG | 0644, data, strlen(data), 0, cause);
	free(data);
	return (rc);
}

/*
 * What debootstrap itself writes around the packages: its device nodes,
 * an empty fstab, the host's resolv.conf and hostname, the UTC time zone,
 * apt's sources.list and dselect method, and dpkg's database (db).
 */
int
debootstrap_base(struct populate *p, const struct dpkgdb *db,
    const env_t *debian, time_t now, char **cause)
{
	struct base	 base = { p, db, now }, *u = &base;
	struct strv	 comps = { 0 };
	char		*line, *s;
	int		 rc;

	if (make_devices(u, cause) != 0 ||
	    copy_host(u, "/etc/resolv.conf", cause) != 0 ||
	    copy_host(u, "/etc/hostname", cause) != 0)
		return (-1);
	if (!populate_exists(u->p, "etc/fstab") && put(u, "etc/fstab",
	    AE_IFREG | 0644, "# UNCONFIGURED FSTAB FOR BASE SYSTEM\n", 36, 0,
	    cause) != 0)
		return (-1);
	if (!populate_exists(u->p, "etc/localtime") && put(u, "etc/localtime",
	    AE_IFLNK | 0777, "/usr/share/zoneinfo/UTC", 0, 0, cause) != 0)
		return (-1);
	strv_split(&comps, env_get(debian, "components"), " \t,");
	s = strv_join(&comps, " ");
	strv_free(&comps);
	xasprintf(&line, "deb %s %s %s\n", env_get(debian, "mirror"),
	    env_get(debian, "dist"), s);
	free(s);
	rc = put(u, "etc/apt/sources.list", AE_IFREG | 0644, line,
	    strlen(line), 0, cause);
	free(line);
	if (rc != 0 || put(u, "var/lib/dpkg/cmethopt", AE_IFREG | 0644,
	    "apt apt\n", 8, 0, cause) != 0)
		return (-1);
	return (write_db(u, cause));
}

