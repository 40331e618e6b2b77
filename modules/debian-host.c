/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/mount.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rootstrap.h"
#include "dpkgdb.h"

/*
 * debian, method=host, inside the guest: the host has unpacked every
 * package into the image (rootstrap/unpack.c) and left dpkg's database
 * saying "unpacked"; what is left needs root and the packages' own
 * programs. debootstrap's second stage gets there with "dpkg --install"
 * of the core packages, then "dpkg --unpack" and "dpkg --configure" of
 * the rest, about 2,000 processes and 100 s under UML, most of them
 * spent unpacking again what is already there. Here it is one preinst
 * process per package that has one (they never ran: dpkg runs them
 * before it unpacks) and a single "dpkg --configure --pending", which
 * configures everything in dependency order, as mmdebstrap's
 * --skip=essential/unpack does after its own extraction. The preinsts
 * find the files already there; for a first install ("preinst install")
 * that is what they expect from a package that was unpacked before and
 * removed without purge, and they only prepare (users, diversions,
 * conffile moves for upgrades).
 *
 * Around it, as debootstrap does: /proc mounted, a policy-rc.d that stops
 * services from starting, start-stop-daemon replaced by a no-op, the
 * noninteractive debconf frontend.
 */

#define TARGET_PATH	"PATH=/usr/local/sbin:/usr/local/bin:" \
			"/usr/sbin:/usr/bin:/sbin:/bin"
#define SSD		GUEST_TARGET "/sbin/start-stop-daemon"
#define POLICY		GUEST_TARGET "/usr/sbin/policy-rc.d"

/* One package of the status file: what its maintainer scripts are told. */
struct dpkg_pkg {
	char	*package;
	char	*arch;
	char	*info;		/* info file prefix: NAME or NAME:ARCH */
};

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* The packages of the target's status file, in its order. */
static struct dpkg_pkg *
read_status(size_t *n, char **dpkg_version, char **cause)
{
	struct dpkg_pkg	*v = NULL;
	char		*buf, *stanza, *next, *ma;
	const char	*path = GUEST_TARGET "/var/lib/dpkg/status";

	*n = 0;
	*dpkg_version = NULL;
	if ((buf = guest_read(path, 64 << 20)) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	for (stanza = buf; *stanza != '\0'; stanza = next) {
		if ((next = strstr(stanza, "\n\n")) != NULL) {
			next[1] = '\0';
			next += 2;
		} else
			next = stanza + strlen(stanza);
		v = xreallocarray(v, *n + 1, sizeof *v);
		v[*n].package = control_field(stanza, "Package");
		v[*n].arch = control_field(stanza, "Architecture");
		if (v[*n].package == NULL || v[*n].arch == NULL) {
			free(v[*n].package);
			free(v[*n].arch);
			continue;
		}
		ma = control_field(stanza, "Multi-Arch");
		if (ma != NULL && strcmp(ma, "same") == 0)
			xasprintf(&v[*n].info, "%s:%s", v[*n].package,
			    v[*n].arch);
		else
			v[*n].info = xstrdup(v[*n].package);
		free(ma);
		if (strcmp(v[*n].package, "dpkg") == 0)
			*dpkg_version = control_field(stanza, "Version");
		(*n)++;
	}
	free(buf);
	if (*dpkg_version == NULL)
		*dpkg_version = xstrdup("");
	return (v);
}

/* The environment of the package tools and of the maintainer scripts. */
static void
target_env(const env_t *env, struct strv *tenv)
{
	const char	*keep[] = { "http_proxy", "https_proxy", "ftp_proxy",
			    "no_proxy", NULL };
	size_t		 i;

	strv_add(tenv, TARGET_PATH);
	strv_add(tenv, "DEBIAN_FRONTEND=noninteractive");
	strv_add(tenv, "DEBCONF_NONINTERACTIVE_SEEN=true");
	strv_add(tenv, "LC_ALL=C.UTF-8");
	strv_add(tenv, "HOME=/root");
	for (i = 0; keep[i] != NULL; i++) {
		if (env_get(env, keep[i]) != NULL)
			env_set(tenv, keep[i], env_get(env, keep[i]));
	}
}

/*
 * "preinst install" of every package that has one, base-passwd's first:
 * it writes /etc/passwd and /etc/group, which the others' users need.
 */
static int
run_preinsts(const env_t *env, int *count, char **cause)
{
	struct dpkg_pkg	*pkgs;
	struct strv	 tenv = { 0 };
	char		*version, *script, *argv[3];
	size_t		 n, i, pass, first;
	int		 rc = 0;

	if ((pkgs = read_status(&n, &version, cause)) == NULL)
		return (-1);
	for (first = 0; first < n; first++) {
		if (strcmp(pkgs[first].package, "base-passwd") == 0)
			break;
	}
	*count = 0;
	for (pass = 0; pass < 2 && rc == 0; pass++) {
		for (i = 0; i < n && rc == 0; i++) {
			if ((pass == 0) != (i == first))
				continue;
			xasprintf(&script, "/var/lib/dpkg/info/%s.preinst",
			    pkgs[i].info);
			argv[0] = guest_path(GUEST_TARGET, script);
			if (access(argv[0], X_OK) != 0) {
				free(argv[0]);
				free(script);
				continue;
			}
			free(argv[0]);
			strv_free(&tenv);
			target_env(env, &tenv);
			env_set(&tenv, "DPKG_MAINTSCRIPT_PACKAGE",
			    pkgs[i].package);
			env_set(&tenv, "DPKG_MAINTSCRIPT_ARCH", pkgs[i].arch);
			env_set(&tenv, "DPKG_MAINTSCRIPT_NAME", "preinst");
			env_set(&tenv, "DPKG_RUNNING_VERSION", version);
			env_set(&tenv, "DPKG_ADMINDIR", "/var/lib/dpkg");
			env_set(&tenv, "DPKG_ROOT", "");
			argv[0] = script;
			argv[1] = "install";
			argv[2] = NULL;
			log_debug("%s install", script);
			if (guest_run(argv, tenv.v, GUEST_TARGET, cause) != 0)
				rc = -1;
			(*count)++;
			free(script);
		}
	}
	strv_free(&tenv);
	for (i = 0; i < n; i++) {
		free(pkgs[i].package);
		free(pkgs[i].arch);
		free(pkgs[i].info);
	}
	free(pkgs);
	free(version);
	return (rc);
}

/* Keep daemons from starting while packages are configured. */
static int
services_off(char **cause)
{
	if (guest_write(POLICY, "#!/bin/sh\nexit 101\n", 0755, cause) != 0)
		return (-1);
	if (rename(SSD, SSD ".REAL") == -1) {
		xasprintf(cause, "%s: %s while moving it aside", SSD,
		    strerror(errno));
		return (-1);
	}
	return (guest_write(SSD, "#!/bin/sh\necho\necho \"Warning: Fake "
	    "start-stop-daemon called, doing nothing\"\n", 0755, cause));
}

static void
services_on(void)
{
	struct stat	 st;

	if (lstat(SSD ".REAL", &st) == 0)
		rename(SSD ".REAL", SSD);
	unlink(POLICY);
}

/*
 * The guest half of method=host: preinsts, then one dpkg --configure. Says
 * where the time went, since process count is what costs here.
 */
int
debian_host_configure(const env_t *env, char **cause)
{
	static char	*configure[] = { "dpkg", "--configure", "--pending",
			    NULL };
	struct strv	 tenv = { 0 };
	char		*proc;
	double		 t0, t1, t2;
	int		 rc = -1, mounted = 0, preinsts = 0;

	proc = guest_path(GUEST_TARGET, "/proc");
	if (mount("proc", proc, "proc", 0, NULL) == 0)
		mounted = 1;
	if (services_off(cause) != 0)
		goto out;
	t0 = now();
	if (run_preinsts(env, &preinsts, cause) != 0)
		goto out;
	t1 = now();
	target_env(env, &tenv);
	log_info("chroot %s dpkg --configure --pending", GUEST_TARGET);
	if (guest_run(configure, tenv.v, GUEST_TARGET, cause) != 0)
		goto out;
	t2 = now();
	log_info("%d preinst scripts: %.1f s; dpkg --configure: %.1f s",
	    preinsts, t1 - t0, t2 - t1);
	rc = 0;
out:
	strv_free(&tenv);
	services_on();
	if (mounted)
		umount2(proc, MNT_DETACH);
	free(proc);
	return (rc);
}
