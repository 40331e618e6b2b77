/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "uml.h"

/*
 * The files UML may reach in `run` and `boot` (u->confine). Through hostfs
 * the guest's root can mount any host directory and read or write, as the
 * user, whatever the user can: ~/.bashrc, ~/.ssh. UML's own hostfs=
 * prefix does not hold (a mount's root may climb out with ..), so the
 * limit is put on UML itself, from the host, with Landlock (util/
 * landlock.c): it may read and run the system's programs and libraries,
 * read what its C library and slirp read in /etc, use the devices it
 * needs, write its run and memory directories, its images and the shares
 * given as writable, and read those given read-only. Nothing else, for
 * UML, the guest behind it, or the helpers it starts.
 */

/* The system's programs and libraries: read and run. */
static const char *const system_dirs[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", NULL
};

/*
 * What the C library, slirp and UML read outside those: not /proc as a
 * whole (other processes' environments), not the terminal (its ioctls
 * could type into the user's shell).
 */
static const char *const system_files[] = {
	"/etc/ld.so.cache", "/etc/nsswitch.conf", "/etc/localtime",
	"/etc/resolv.conf", "/etc/hosts", "/etc/host.conf", "/etc/gai.conf",
	"/proc/cpuinfo", "/proc/meminfo", "/proc/filesystems", "/proc/sys",
	"/sys/devices/system/cpu", NULL
};

static const char *const devices[] = {
	"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
	"/dev/net/tun", NULL
};

/*
 * uml_net on UML's own tuntap (eth0=tuntap,,...: no tap name) gains its
 * privilege on exec, which a confined UML cannot give it.
 */
int
uml_args_need_helper(const struct strv *args)
{
	const char	*v;
	size_t		 i;

	for (i = 0; i < args->n; i++) {
		if (strncmp(args->v[i], "eth", 3) == 0 &&
		    (v = strchr(args->v[i], '=')) != NULL &&
		    strncmp(v + 1, "tuntap,", 7) == 0 && v[8] == ',')
			return (1);
	}
	return (0);
}

/*
 * The files of a ubdN[flags]=[COW,]FILE argument: the one UML writes, and
 * a copy-on-write file's backing file, read only (with -S nothing may
 * reach the image, not even a hostfs mount of it).
 */
static int
allow_ubd(struct landlock *ll, const char *arg, char **cause)
{
	const char	*eq = strchr(arg, '=');
	char		*files, *comma;
	int		 rc = 0, ro;

	if (strncmp(arg, "ubd", 3) != 0 || eq == NULL)
		return (0);
	ro = memchr(arg + 3, 'r', (size_t)(eq - arg - 3)) != NULL;
	files = xstrdup(eq + 1);
	if ((comma = strchr(files, ',')) != NULL) {
		*comma++ = '\0';
		if (*comma != '\0')
			rc = landlock_allow(ll, comma, LANDLOCK_READ, cause);
	}
	if (rc == 0 && *files != '\0')
		rc = landlock_allow(ll, files, LANDLOCK_READ |
		    (ro ? 0 : LANDLOCK_WRITE), cause);
	free(files);
	return (rc);
}

/* The directory of the program path resolves to: read and run. */
static int
allow_program_dir(struct landlock *ll, const char *path, char **cause)
{
	char	 real[PATH_MAX];

	if (path == NULL || realpath(path, real) == NULL)
		return (0);
	return (landlock_allow(ll, dirname(real), LANDLOCK_READ |
	    LANDLOCK_EXEC, cause));
}

/*
 * The ruleset for u, in *ll. Returns 0; or -1 with *cause (Landlock
 * missing, or a rule that could not be made), *ll then closed.
 */
int
uml_confine(const struct uml *u, const char *memdir, struct landlock *ll,
    char **cause)
{
	char		*arg;
	size_t		 i;
	int		 rc = 0;

	if (landlock_open(ll, cause) != 0)
		return (-1);
	for (i = 0; system_dirs[i] != NULL && rc == 0; i++)
		rc = landlock_allow(ll, system_dirs[i], LANDLOCK_READ |
		    LANDLOCK_EXEC, cause);
	for (i = 0; system_files[i] != NULL && rc == 0; i++)
		rc = landlock_allow(ll, system_files[i], LANDLOCK_READ, cause);
	for (i = 0; devices[i] != NULL && rc == 0; i++)
		rc = landlock_allow(ll, devices[i], LANDLOCK_DEVICE |
		    LANDLOCK_READ, cause);
	/* A kernel in the cache, beside the C library it is pointed at. */
	if (rc == 0)
		rc = allow_program_dir(ll, u->kernel, cause);
	if (rc == 0 && u->libexecdir != NULL)
		rc = landlock_allow(ll, u->libexecdir, LANDLOCK_READ |
		    LANDLOCK_EXEC, cause);
	if (rc == 0 && u->init != NULL)
		rc = allow_program_dir(ll, u->init, cause);
	if (rc == 0)
		rc = landlock_allow(ll, u->rundir, LANDLOCK_READ |
		    LANDLOCK_WRITE, cause);
	/* UML's memory file, made and unlinked at once: see launch.c. */
	if (rc == 0)
		rc = landlock_allow(ll, memdir, LANDLOCK_READ | LANDLOCK_WRITE,
		    cause);
	if (rc == 0 && u->ubd0 != NULL) {
		xasprintf(&arg, "ubd0=%s", u->ubd0);
		rc = allow_ubd(ll, arg, cause);
		free(arg);
	}
	for (i = 0; i < u->args.n && rc == 0; i++)
		rc = allow_ubd(ll, u->args.v[i], cause);
	for (i = 0; i < u->reach_ro.n && rc == 0; i++)
		rc = landlock_allow(ll, u->reach_ro.v[i], LANDLOCK_READ, cause);
	for (i = 0; i < u->reach_rw.n && rc == 0; i++)
		rc = landlock_allow(ll, u->reach_rw.v[i], LANDLOCK_READ |
		    LANDLOCK_WRITE, cause);
	if (rc != 0)
		landlock_close(ll);
	return (rc);
}
