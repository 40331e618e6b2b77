/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <nettle/sha2.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules/modules.h"
#include "shortcut.h"

/*
 * shortcut: while a build configures its packages (modules/debian-configure.c),
 * this program stands in for helpers that the maintainer scripts call
 * often or that run many processes: dpkg-maintscript-helper (a shell
 * script that runs basename and dpkg once or twice per call) and
 * deb-systemd-helper (perl), about a hundred calls between them;
 * update-ca-certificates (shortcut-cacerts.c); and addgroup --system
 * (shortcut-adduser.c). Under UML every process costs tens of
 * milliseconds, and on a first install nearly every one of those calls
 * does nothing: there is no old version whose conffiles to move, no mask
 * to lift, no state to read. Those calls are answered here, by one small
 * static process, exactly as the real helper would answer them. Every
 * other call, and anything unusual about one, goes to the real helper,
 * which the builder has moved aside to NAME.rootstrap-real
 * (SHORTCUT_REAL_SUFFIX), or, for addgroup, which stays where it is: the
 * shortcut is found before it on PATH (SHORTCUT_SHADOW_DIR), since adduser
 * tells what it is to do by the name it was run by.
 *
 * Static, so that it runs in any target whatever its C library.
 */

/*
 * Is the file at PATH one of SUMS (SHA256, in hex)? What a shortcut does
 * was read off those versions of the real helper, and holds for no other.
 */
int
shortcut_known(const char *path, const char *const *sums)
{
	struct sha256_ctx	 ctx;
	uint8_t			 digest[SHA256_DIGEST_SIZE];
	char			 hex[2 * SHA256_DIGEST_SIZE + 1], buf[8192];
	ssize_t			 n;
	size_t			 i;
	int			 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	sha256_init(&ctx);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		sha256_update(&ctx, (size_t)n, (const uint8_t *)buf);
	close(fd);
	if (n != 0)
		return (0);
	sha256_digest(&ctx, sizeof digest, digest);
	for (i = 0; i < sizeof digest; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	for (i = 0; sums[i] != NULL; i++) {
		if (strcmp(hex, sums[i]) == 0)
			return (1);
	}
	return (0);
}

static int
set(const char *name)
{
	const char	*v = getenv(name);

	return (v != NULL && *v != '\0');
}

static int
absent(const char *path)
{
	struct stat	 st;

	return (lstat(path, &st) == -1 && errno == ENOENT);
}

static int
absent_with(const char *path, const char *suffix)
{
	char	 buf[4096];

	if ((size_t)snprintf(buf, sizeof buf, "%s%s", path, suffix) >=
	    sizeof buf)
		return (0);
	return (absent(buf));
}

static int
only(const char *s, const char *extra)
{
	for (; *s != '\0'; s++) {
		if (!(*s >= '0' && *s <= '9') && !(*s >= 'a' && *s <= 'z') &&
		    !(*s >= 'A' && *s <= 'Z') && strchr(extra, *s) == NULL)
			return (0);
	}
	return (1);
}

/*
 * A version "dpkg --validate-version" certainly accepts: [epoch:]upstream
 * [-revision] of the usual characters. Stricter than dpkg (no colon in the
 * upstream part, a short epoch): what it refuses, the real helper judges.
 */
static int
plain_version(const char *v)
{
	char		 buf[256];
	const char	*colon;
	char		*up, *hyphen;
	size_t		 i;

	if ((colon = strchr(v, ':')) != NULL) {
		if (colon == v || colon - v > 9)
			return (0);
		for (i = 0; v + i < colon; i++) {
			if (v[i] < '0' || v[i] > '9')
				return (0);
		}
		v = colon + 1;
	}
	if ((size_t)snprintf(buf, sizeof buf, "%s", v) >= sizeof buf)
		return (0);
	up = buf;
	if ((hyphen = strrchr(up, '-')) != NULL) {
		*hyphen = '\0';
		if (hyphen[1] == '\0' || !only(hyphen + 1, ".+~"))
			return (0);
	}
	return (*up >= '0' && *up <= '9' && only(up, ".+~-"));
}

/*
 * dpkg-maintscript-helper COMMAND PARAM... -- SCRIPT-ARGS: on a first
 * install ("preinst install" or "postinst configure" with no old version)
 * its four commands change nothing unless a .dpkg-backup or .dpkg-remove
 * from an interrupted upgrade is there. Returns the exit status, or -1 for
 * "ask the real one".
 */
static int
maint_helper_answer(int argc, char **argv, const char *real)
{
	static const struct {
		const char	*name;
		int		 paths;	/* leading absolute-path parameters */
		int		 fixed;	/* parameters before [last-version] */
	} cmds[] = {
		{ "rm_conffile",	1, 1 },
		{ "mv_conffile",	2, 2 },
		{ "symlink_to_dir",	1, 2 },
		{ "dir_to_symlink",	1, 2 },
	};
	const char	*name = getenv("DPKG_MAINTSCRIPT_NAME");
	const char	*action, *oldversion, *root = getenv("DPKG_ROOT");
	size_t		 c;
	int		 i, dashes, nparams;

	if (set("DPKG_DEBUG") || (root != NULL && *root != '\0') ||
	    !set("DPKG_MAINTSCRIPT_NAME") || !set("DPKG_MAINTSCRIPT_PACKAGE") ||
	    argc < 3)
		return (-1);
	if (strcmp(argv[1], "supports") == 0) {
		for (c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
			if (argc == 3 && strcmp(argv[2], cmds[c].name) == 0)
				return (0);
		}
		return (-1);
	}
	for (c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
		if (strcmp(argv[1], cmds[c].name) == 0)
			break;
	}
	if (c == sizeof cmds / sizeof cmds[0])
		return (-1);

	for (dashes = 2; dashes < argc; dashes++) {
		if (strcmp(argv[dashes], "--") == 0)
			break;
	}
	nparams = dashes - 2;
	if (dashes == argc || nparams < cmds[c].fixed ||
	    nparams > cmds[c].fixed + 2)
		return (-1);
	for (i = 0; i < cmds[c].fixed; i++) {
		if (argv[2 + i][0] == '\0')
			return (-1);
	}
	for (i = 0; i < cmds[c].paths; i++) {
		if (argv[2 + i][0] != '/' || strcmp(argv[2 + i], "/") == 0 ||
		    argv[2 + i][strlen(argv[2 + i]) - 1] == '/' ||
		    !absent_with(argv[2 + i], ".dpkg-backup") ||
		    !absent_with(argv[2 + i], ".dpkg-remove"))
			return (-1);
	}
	if (nparams > cmds[c].fixed && argv[2 + cmds[c].fixed][0] != '\0' &&
	    !plain_version(argv[2 + cmds[c].fixed]))
		return (-1);

	action = dashes + 1 < argc ? argv[dashes + 1] : "";
	oldversion = dashes + 2 < argc ? argv[dashes + 2] : "";
	if (*action == '\0' || *oldversion != '\0')
		return (-1);
	if ((strcmp(name, "preinst") == 0 && strcmp(action, "install") == 0) ||
	    (strcmp(name, "postinst") == 0 && strcmp(action, "configure") == 0))
		return (0);
	return (-1);
}

/*
 * deb-systemd-helper [--quiet] unmask|was-enabled UNIT...: with no mask
 * link, no masked-state directory and no enabled-state file, unmask does
 * nothing and was-enabled says "enabled" (no recorded link is missing).
 * enable UNIT on a first install: shortcut-systemd.c.
 */
static int
systemd_helper_answer(int argc, char **argv, const char *real)
{
	const char	*root = getenv("DPKG_ROOT");
	char		 path[4096];
	int		 i = 1, quiet = 0, unmask;

	if ((root != NULL && *root != '\0') ||
	    !set("DPKG_MAINTSCRIPT_PACKAGE") ||
	    set("_DEB_SYSTEMD_HELPER_DEBUG"))
		return (-1);
	if (i < argc && strcmp(argv[i], "--quiet") == 0) {
		quiet = 1;
		i++;
	}
	if (i + 1 >= argc)
		return (-1);
	if (!quiet && strcmp(argv[i], "enable") == 0)
		return (systemd_enable_answer(argc, argv, real));
	if (strcmp(argv[i], "unmask") == 0)
		unmask = 1;
	else if (strcmp(argv[i], "was-enabled") == 0)
		unmask = 0;
	else
		return (-1);
	if (unmask && (!absent("/var/lib/systemd/deb-systemd-helper-masked") ||
	    !absent("/var/lib/systemd/deb-systemd-user-helper-masked")))
		return (-1);
	for (i++; i < argc; i++) {
		if (argv[i][0] == '-' || argv[i][0] == '\0' ||
		    strchr(argv[i], '/') != NULL)
			return (-1);
		if ((size_t)snprintf(path, sizeof path, unmask ?
		    "/etc/systemd/system/%s" :
		    "/var/lib/systemd/deb-systemd-helper-enabled/%s.dsh-also",
		    argv[i]) >= sizeof path || !absent(path))
			return (-1);
		if (!unmask && !quiet)
			fputs("enabled\n", stderr);
	}
	return (0);
}

/*
 * The helpers stood in for, by the name they are called by. The real one
 * of a helper that is moved aside is at its path SHORTCUT_REAL_SUFFIX; one
 * that is shadowed (found first on PATH, in SHORTCUT_SHADOW_DIR) is where
 * it always is.
 */
static const struct {
	const char	*name;
	const char	*path;
	int		(*answer)(int, char **, const char *);
	int		 shadowed;
} helpers[] = {
	{ "dpkg-maintscript-helper", SHORTCUT_MAINT_HELPER, maint_helper_answer, 0 },
	{ "deb-systemd-helper", SHORTCUT_SYSTEMD_HELPER, systemd_helper_answer, 0 },
	{ "update-ca-certificates", SHORTCUT_CACERTS, cacerts_answer, 0 },
	{ "addgroup", SHORTCUT_ADDGROUP, addgroup_answer, 1 },
};

int
main(int argc, char **argv)
{
	const char	*self = strrchr(argv[0], '/');
	char		 real[4096];
	size_t		 i;
	int		 rc;

	self = self != NULL ? self + 1 : argv[0];
	for (i = 0; i < sizeof helpers / sizeof helpers[0]; i++) {
		if (strcmp(self, helpers[i].name) == 0)
			break;
	}
	if (i == sizeof helpers / sizeof helpers[0]) {
		fprintf(stderr, "%s: stands in for dpkg-maintscript-helper, "
		    "deb-systemd-helper, update-ca-certificates and addgroup "
		    "during a rootstrap build\n", self);
		return (2);
	}
	snprintf(real, sizeof real, "%s%s", helpers[i].path,
	    helpers[i].shadowed ? "" : SHORTCUT_REAL_SUFFIX);
	if ((rc = helpers[i].answer(argc, argv, real)) >= 0)
		return (rc);
	execv(real, argv);
	fprintf(stderr, "%s: %s: %s\n", self, real, strerror(errno));
	return (127);
}
