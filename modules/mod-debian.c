/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/mount.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules.h"

/*
 * debian: install [debian] dist from mirror into the mounted image, then
 * purge and install with dpkg and apt inside it. method=host: the host has
 * fetched and unpacked the packages into the image before the boot
 * (rootstrap/build/prepare.c), and the guest configures them
 * (debian-configure.c).
 * method=debootstrap: the host's debootstrap runs in the guest, all of it.
 */

#define DEBOOTSTRAP_SCRIPTS	"/usr/share/debootstrap/scripts"
#define DEBIAN_MIN_MB		320

static const struct key debian_keys[] = {
	{ "dist",	KEY_STRING,	"bookworm",	NULL },
	{ "mirror",	KEY_STRING,	"http://deb.debian.org/debian", NULL },
	{ "variant",	KEY_STRING,	"minbase",	NULL },
	{ "components",	KEY_LIST,	"main",		NULL },
	{ "include",	KEY_LIST,	"",		NULL },
	{ "exclude",	KEY_LIST,	"",		NULL },
	{ "purge",	KEY_LIST,	"",		NULL },
	{ "install",	KEY_LIST,	"",		NULL },
	{ "cache",	KEY_STRING,	"",		NULL },
	{ "keyring",	KEY_STRING,	"",		NULL },
	{ "clean",	KEY_BOOL,	"yes",		NULL },
	{ "stall_timeout", KEY_SECONDS,	"30",		NULL },
	{ "method",	KEY_ENUM,	"host",		"host|debootstrap" },
	{ NULL,		KEY_STRING,	NULL,		NULL },
};

static void
debian_check(struct conf *c, const env_t *env)
{
	const char	*dist = env_get(env, "dist");
	const char	*mirror = env_get(env, "mirror");
	const char	*keyring = env_get(env, "keyring");
	const char	*cache = env_get(env, "cache");
	char		*script;
	uint64_t	 mb;

	if (*dist == '\0' || strchr(dist, '/') != NULL || *dist == '.')
		conf_error(c, conf_find(c, "debian", "dist"),
		    "dist: invalid suite '%s'", dist);
	else {
		xasprintf(&script, "%s/%s", DEBOOTSTRAP_SCRIPTS, dist);
		if (access(script, R_OK) != 0)
			conf_error(c, conf_find(c, "debian", "dist"),
			    "dist: unknown suite '%s' (debootstrap has no "
			    "script %s)", dist, script);
		free(script);
	}
	if (strncmp(mirror, "http://", 7) != 0 &&
	    strncmp(mirror, "https://", 8) != 0 &&
	    strncmp(mirror, "file:///", 8) != 0)
		conf_error(c, conf_find(c, "debian", "mirror"),
		    "mirror: invalid URL '%s' (http://, https:// or file:///)",
		    mirror);
	if (*keyring != '\0' && access(keyring, R_OK) != 0)
		conf_error(c, conf_find(c, "debian", "keyring"),
		    "keyring: %s: %s", keyring, strerror(errno));
	if (*cache != '\0' && *cache != '/')
		conf_error(c, conf_find(c, "debian", "cache"),
		    "cache: '%s' must be an absolute path", cache);
	if (strcmp(env_get(env, "method"), "debootstrap") != 0)
		return;
	module_check_tool(c, env, "debootstrap", "global", NULL);
	/*
	 * Found now rather than as "No space left on device" minutes into
	 * debootstrap: a minbase system with its downloaded packages takes
	 * about 300 MB while it is built (the image shrinks afterwards).
	 */
	if (parse_uint(env_get(env, "initialsize"), PARSE_MB_MAX, &mb) == 0 &&
	    mb < DEBIAN_MIN_MB)
		conf_error(c, conf_find(c, "global", "initialsize"),
		    "initialsize: %llu MB is too small for the debian module "
		    "(a minbase system needs about 300 MB while it is built; "
		    "use at least %d)", (unsigned long long)mb, DEBIAN_MIN_MB);
}

/* "a b c" as "a,b,c" for debootstrap's list options. */
static char *
commas(const char *list)
{
	struct strv	 sv = { 0 };
	char		*s;

	strv_split(&sv, list, " \t,");
	s = strv_join(&sv, ",");
	strv_free(&sv);
	return (s);
}

static int
debootstrap(const env_t *env, char **cause)
{
	struct strv	 argv = { 0 };
	char		*s;
	const char	*v;
	int		 rc;

	strv_add(&argv, "debootstrap");
	if (*(v = env_get(env, "variant")) != '\0')
		strv_addf(&argv, "--variant=%s", v);
	s = commas(env_get(env, "components"));
	if (*s != '\0')
		strv_addf(&argv, "--components=%s", s);
	free(s);
	s = commas(env_get(env, "include"));
	if (*s != '\0')
		strv_addf(&argv, "--include=%s", s);
	free(s);
	s = commas(env_get(env, "exclude"));
	if (*s != '\0')
		strv_addf(&argv, "--exclude=%s", s);
	free(s);
	if (*(v = env_get(env, "cache")) != '\0')
		strv_addf(&argv, "--cache-dir=%s", v);
	if (*(v = env_get(env, "keyring")) != '\0')
		strv_addf(&argv, "--keyring=%s", v);
	strv_add(&argv, env_get(env, "dist"));
	strv_add(&argv, GUEST_TARGET);
	strv_add(&argv, env_get(env, "mirror"));
	s = strv_join(&argv, " ");
	log_info("%s", s);
	free(s);
	rc = child_run(argv.v, env->v, NULL, cause);
	strv_free(&argv);
	return (rc == 0 ? 0 : -1);
}

/* Run a package tool inside the target with a plain environment. */
static int
in_target(const env_t *env, const char *tool, const char *const *opts,
    const char *list, char **cause)
{
	struct strv	 argv = { 0 }, tenv = { 0 };
	size_t		 i;
	char		*s;
	int		 rc;

	strv_add(&argv, tool);
	for (i = 0; opts[i] != NULL; i++)
		strv_add(&argv, opts[i]);
	strv_split(&argv, list, " \t,");
	s = strv_join(&argv, " ");
	log_info("chroot %s %s", GUEST_TARGET, s);
	free(s);
	debian_target_env(env, &tenv);
	rc = child_run(argv.v, tenv.v, GUEST_TARGET, cause);
	strv_free(&argv);
	strv_free(&tenv);
	return (rc == 0 ? 0 : -1);
}

/* Drop downloaded .debs: the image should not carry its own installers. */
static void
clean_archives(void)
{
	const char	*dir = GUEST_TARGET "/var/cache/apt/archives";
	struct dirent	*de;
	DIR		*d;
	char		*p;
	size_t		 len;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".deb") != 0)
			continue;
		xasprintf(&p, "%s/%s", dir, de->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
	unlink(GUEST_TARGET "/var/cache/apt/pkgcache.bin");
	unlink(GUEST_TARGET "/var/cache/apt/srcpkgcache.bin");
}

static int
debian_run(const struct plan *p, const env_t *env, char **cause)
{
	static const char *const purge_opts[] = { "--purge", NULL };
	static const char *const update_opts[] = { "update", NULL };
	static const char *const install_opts[] = { "install", "-y", NULL };
	const char	*policy = GUEST_TARGET "/usr/sbin/policy-rc.d";
	char		*proc = NULL;
	int		 rc = -1, mounted = 0;

	/* Never let debootstrap fill anything but the image. */
	if (!file_is_mountpoint(GUEST_TARGET)) {
		xasprintf(cause, "%s is not mounted (list the mount module "
		    "before debian)", GUEST_TARGET);
		return (-1);
	}
	if (strcmp(env_get(env, "method"), "host") == 0) {
		if (debian_configure(env, cause) != 0)
			return (-1);
	} else if (debootstrap(env, cause) != 0)
		return (-1);

	if (*env_get(env, "purge") == '\0' && *env_get(env, "install") == '\0')
		goto clean;

	/* Maintainer scripts want /proc and must not start daemons. */
	proc = path_join(GUEST_TARGET, "/proc");
	if (mount("proc", proc, "proc", 0, NULL) == 0)
		mounted = 1;
	if (file_write(policy, "#!/bin/sh\nexit 101\n", 0755, cause) != 0)
		goto out;
	if (*env_get(env, "purge") != '\0' &&
	    in_target(env, "dpkg", purge_opts, env_get(env, "purge"),
	    cause) != 0)
		goto out;
	if (*env_get(env, "install") != '\0' &&
	    (in_target(env, "apt-get", update_opts, "", cause) != 0 ||
	    in_target(env, "apt-get", install_opts, env_get(env, "install"),
	    cause) != 0))
		goto out;
clean:
	if (str_yes(env_get(env, "clean")))
		clean_archives();
	rc = 0;
out:
	unlink(policy);
	if (mounted)
		umount2(proc, MNT_DETACH);
	free(proc);
	return (rc);
}

/* [debian] cache: the guest's debootstrap keeps the packages there. */
static void
debian_writes(const env_t *env, struct strv *dirs)
{
	const char	*cache = env_get(env, "cache");

	if (*cache != '\0')
		strv_add(dirs, cache);
}

static int
debian_fills_on_host(const env_t *env)
{
	return (strcmp(env_get(env, "method"), "host") == 0);
}

const struct module module_debian = {
	.name = "debian",
	.keys = debian_keys,
	.check = debian_check,
	.writes = debian_writes,
	.fills_on_host = debian_fills_on_host,
	.reads_archive = 1,
	.run = debian_run,
};
