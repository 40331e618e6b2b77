/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/mount.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "modules.h"


/*
 * debian, method=host, inside the guest: the host has unpacked every
 * package into the image (rootstrap/image/unpack.c) and left dpkg's database
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
	char	*stanza;	/* its status stanza, for tmp.ci/control */
};

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* The last PID the guest's kernel handed out: processes made since. */
static long
last_pid(void)
{
	char	*s, *p;
	long	 pid = 0;

	if ((s = file_read("/proc/loadavg", 256, NULL)) == NULL)
		return (0);
	if ((p = strrchr(s, ' ')) != NULL)
		pid = strtol(p + 1, NULL, 10);
	free(s);
	return (pid);
}

/* The packages of the target's status file, in its order. */
static struct dpkg_pkg *
read_status(size_t *n, char **dpkg_version, char **cause)
{
	struct dpkg_pkg	*v = NULL;
	char		*buf, *stanza, *next, *ma;
	const char	*path = GUEST_TARGET "/var/lib/dpkg/status";
	size_t		 len;

	*n = 0;
	*dpkg_version = NULL;
	if ((buf = file_read(path, 64 << 20, NULL)) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	for (stanza = buf; *stanza != '\0'; stanza = next) {
		if ((next = strstr(stanza, "\n\n")) != NULL) {
			next[1] = '\0';
			next += 2;
		} else
			next = stanza + strlen(stanza);
		len = strlen(stanza);
		v = xreallocarray(v, *n + 1, sizeof *v);
		v[*n].package = control_field(stanza, len, "Package");
		v[*n].arch = control_field(stanza, len, "Architecture");
		if (v[*n].package == NULL || v[*n].arch == NULL) {
			free(v[*n].package);
			free(v[*n].arch);
			continue;
		}
		ma = control_field(stanza, len, "Multi-Arch");
		if (ma != NULL && strcmp(ma, "same") == 0)
			xasprintf(&v[*n].info, "%s:%s", v[*n].package,
			    v[*n].arch);
		else
			v[*n].info = xstrdup(v[*n].package);
		free(ma);
		v[*n].stanza = xstrdup(stanza);
		if (strcmp(v[*n].package, "dpkg") == 0)
			*dpkg_version = control_field(stanza, len, "Version");
		(*n)++;
	}
	free(buf);
	if (*dpkg_version == NULL)
		*dpkg_version = xstrdup("");
	return (v);
}

/*
 * dpkg runs a new package's preinst from /var/lib/dpkg/tmp.ci, beside its
 * other control files, and debconf's confmodule takes the package's name
 * and templates from there: lay the info files out the same way.
 */
static int
stage_ci(const struct dpkg_pkg *pkg, struct strv *made, char **cause)
{
	const char	*dir = GUEST_TARGET "/var/lib/dpkg/info";
	const char	*ci = GUEST_TARGET "/var/lib/dpkg/tmp.ci";
	struct dirent	*de;
	DIR		*d;
	const char	*info = pkg->info;
	char		*from, *to;
	size_t		 len = strlen(info);

	if (mkdir(ci, 0755) == -1 && errno != EEXIST) {
		xasprintf(cause, "%s: %s", ci, strerror(errno));
		return (-1);
	}
	/* What debconf reads the package's name from. */
	xasprintf(&to, "%s/control", ci);
	strv_add(made, to);
	if (file_write(to, pkg->stanza, 0644, cause) != 0) {
		free(to);
		return (-1);
	}
	free(to);
	if ((d = opendir(dir)) == NULL) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, info, len) != 0 ||
		    de->d_name[len] != '.' || strcmp(de->d_name + len + 1,
		    "list") == 0)
			continue;
		xasprintf(&from, "%s/%s", dir, de->d_name);
		xasprintf(&to, "%s/%s", ci, de->d_name + len + 1);
		if (link(from, to) == 0)
			strv_add(made, to);
		free(from);
		free(to);
	}
	closedir(d);
	return (0);
}

static void
unstage_ci(struct strv *made)
{
	size_t	 i;

	for (i = 0; i < made->n; i++)
		unlink(made->v[i]);
	strv_free(made);
	rmdir(GUEST_TARGET "/var/lib/dpkg/tmp.ci");
}

/*
 * The environment of the package tools and of the maintainer scripts in
 * the target: debootstrap's second stage's, and the proxy keys.
 */
void
debian_target_env(const env_t *env, struct strv *tenv)
{
	const char	*keep[] = { "http_proxy", "https_proxy", "ftp_proxy",
			    "no_proxy", NULL };
	size_t		 i;

	strv_add(tenv, TARGET_PATH);
	strv_add(tenv, "DEBIAN_FRONTEND=noninteractive");
	strv_add(tenv, "DEBCONF_NONINTERACTIVE_SEEN=true");
	strv_add(tenv, "LC_ALL=C.UTF-8");
	strv_add(tenv, "HOME=/root");
	/* The console is a terminal to dpkg; the transcript is a file. */
	strv_add(tenv, "DPKG_COLORS=never");
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
	struct strv	 tenv = { 0 }, made = { 0 };
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
			argv[0] = path_join(GUEST_TARGET, script);
			if (access(argv[0], X_OK) != 0) {
				free(argv[0]);
				free(script);
				continue;
			}
			free(argv[0]);
			strv_free(&tenv);
			debian_target_env(env, &tenv);
			env_set(&tenv, "DPKG_MAINTSCRIPT_PACKAGE",
			    pkgs[i].package);
			env_set(&tenv, "DPKG_MAINTSCRIPT_ARCH", pkgs[i].arch);
			env_set(&tenv, "DPKG_MAINTSCRIPT_NAME", "preinst");
			env_set(&tenv, "DPKG_RUNNING_VERSION", version);
			env_set(&tenv, "DPKG_ADMINDIR", "/var/lib/dpkg");
			env_set(&tenv, "DPKG_ROOT", "");
			argv[0] = "/var/lib/dpkg/tmp.ci/preinst";
			argv[1] = "install";
			argv[2] = NULL;
			log_debug("%s install", script);
			if (stage_ci(&pkgs[i], &made, cause) != 0 ||
			    child_run(argv, tenv.v, GUEST_TARGET, cause) != 0)
				rc = -1;
			unstage_ci(&made);
			(*count)++;
			free(script);
		}
	}
	strv_free(&tenv);
	for (i = 0; i < n; i++) {
		free(pkgs[i].package);
		free(pkgs[i].arch);
		free(pkgs[i].info);
		free(pkgs[i].stanza);
	}
	free(pkgs);
	free(version);
	return (rc);
}

/* Keep daemons from starting while packages are configured. */
static int
services_off(char **cause)
{
	if (file_write(POLICY, "#!/bin/sh\nexit 101\n", 0755, cause) != 0)
		return (-1);
	if (rename(SSD, SSD ".REAL") == -1) {
		xasprintf(cause, "%s: %s while moving it aside", SSD,
		    strerror(errno));
		return (-1);
	}
	return (file_write(SSD, "#!/bin/sh\necho\necho \"Warning: Fake "
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
 * The helpers rootstrap/guest/shortcut.c stands in for while packages are
 * configured: each is moved aside to NAME.rootstrap-real, and the
 * shortcut is bound over an empty file in its place; afterwards the bind
 * and the file go and the helper is moved back, the same inode as before.
 */
static const char *const shortcut_for[] = {
	SHORTCUT_MAINT_HELPER,
	SHORTCUT_SYSTEMD_HELPER,
	SHORTCUT_CACERTS,
	NULL
};

static char *
shortcut_path(void)
{
	char	 self[PATH_MAX], *slash, *path;
	ssize_t	 n;

	/* The builder's own path on the host's root, beside it the shortcut. */
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) <= 0)
		return (NULL);
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return (NULL);
	*slash = '\0';
	xasprintf(&path, "%s/shortcut", self);
	if (access(path, X_OK) != 0) {
		log_debug("%s: %s; the helpers run as they are", path,
		    strerror(errno));
		free(path);
		return (NULL);
	}
	return (path);
}

static void
shortcut_off(const char *tool)
{
	char	*path, *real;

	path = path_join(GUEST_TARGET, tool);
	xasprintf(&real, "%s" SHORTCUT_REAL_SUFFIX, path);
	umount2(path, MNT_DETACH);
	unlink(path);
	if (strncmp(tool, SHORTCUT_SHADOW_DIR "/",
	    strlen(SHORTCUT_SHADOW_DIR "/")) != 0)
		rename(real, path);
	free(real);
	free(path);
}

static void
shortcuts_off(struct strv *on)
{
	size_t	 i;

	for (i = 0; i < on->n; i++)
		shortcut_off(on->v[i]);
	strv_free(on);
}

/*
 * addgroup stays where it is (adduser tells its task by the name it runs
 * by): the shortcut is bound over a new empty file of that name in
 * SHORTCUT_SHADOW_DIR, which comes first on the scripts' PATH, and the
 * file goes afterwards. Only where the directory is there (base-files'
 * postinst makes it: so only once that has run) and has no addgroup of
 * its own.
 */
static void
shadow_on(struct strv *on)
{
	const char	*tool = SHORTCUT_SHADOW_DIR "/addgroup";
	struct stat	 st;
	char		*shortcut, *dir, *real, *path;
	int		 fd;

	if ((shortcut = shortcut_path()) == NULL)
		return;
	dir = path_join(GUEST_TARGET, SHORTCUT_SHADOW_DIR);
	real = path_join(GUEST_TARGET, SHORTCUT_ADDGROUP);
	path = path_join(GUEST_TARGET, tool);
	if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    lstat(real, &st) == 0 && lstat(path, &st) == -1 &&
	    errno == ENOENT) {
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0755)) != -1 &&
		    close(fd) == 0 &&
		    mount(shortcut, path, NULL, MS_BIND, NULL) == 0)
			strv_add(on, tool);
		else {
			log_warnx("%s: %s; it runs as it is", path,
			    strerror(errno));
			shortcut_off(tool);
		}
	}
	free(shortcut);
	free(dir);
	free(real);
	free(path);
}

/* Never fatal: without the shortcut the real helpers do the same work. */
static void
shortcuts_on(struct strv *on)
{
	struct stat	 st;
	char		*shortcut, *path, *real;
	size_t		 i;
	int		 fd;

	if ((shortcut = shortcut_path()) == NULL)
		return;
	for (i = 0; shortcut_for[i] != NULL; i++) {
		path = path_join(GUEST_TARGET, shortcut_for[i]);
		xasprintf(&real, "%s" SHORTCUT_REAL_SUFFIX, path);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    rename(path, real) == 0) {
			if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL,
			    0755)) != -1 && close(fd) == 0 &&
			    mount(shortcut, path, NULL, MS_BIND, NULL) == 0)
				strv_add(on, shortcut_for[i]);
			else {
				log_warnx("%s: %s; it runs as it is", path,
				    strerror(errno));
				shortcut_off(shortcut_for[i]);
			}
		}
		free(real);
		free(path);
	}
	free(shortcut);
}

/* debootstrap's core packages, installed first, one by one. */
static const char *const core_packages[] = {
	"base-passwd", "base-files", "dpkg", "libc6", "perl-base", "mawk",
	NULL
};

/* dpkg OPTS --configure NAMES (or --pending), in the target. */
static int
configure(const env_t *env, const char *opts, const struct strv *names,
    char **cause)
{
	struct strv	 argv = { 0 }, tenv = { 0 };
	char		*line;
	int		 rc;

	strv_add(&argv, "dpkg");
	strv_split(&argv, opts, " ");
	/* dpkg.cfg is not in place yet: it is a conffile still to move. */
	strv_add(&argv, "--log=/var/log/dpkg.log");
	strv_add(&argv, "--configure");
	if (names == NULL)
		strv_add(&argv, "--pending");
	else {
		line = strv_join(names, " ");
		strv_split(&argv, line, " ");
		free(line);
	}
	debian_target_env(env, &tenv);
	line = strv_join(&argv, " ");
	log_info("chroot %s %.200s%s", GUEST_TARGET, line,
	    strlen(line) > 200 ? " ..." : "");
	free(line);
	rc = child_run(argv.v, tenv.v, GUEST_TARGET, cause);
	strv_free(&argv);
	strv_free(&tenv);
	return (rc == 0 ? 0 : -1);
}

/*
 * The packages in the order debootstrap configures them: its core
 * packages first, then the rest of the required set (the host lists it in
 * the run directory), then everything else. The order decides, for one,
 * the order of the lines the maintainer scripts add to /etc/group, so
 * that it is debootstrap's costs two dpkg processes, under a second.
 */
static int
configure_all(const env_t *env, struct strv *shortcuts, char **cause)
{
	struct strv	 required = { 0 }, core = { 0 }, rest = { 0 };
	const char	*rundir = env_get(env, "ROOTSTRAP_RUNDIR");
	char		*path, *list = NULL;
	size_t		 i;
	int		 rc = -1;

	if (rundir != NULL) {
		xasprintf(&path, "%s/debian-required", rundir);
		list = file_read(path, 1 << 20, NULL);
		free(path);
	}
	if (list != NULL)
		strv_split(&required, list, " \n");
	free(list);
	for (i = 0; core_packages[i] != NULL; i++) {
		if (strv_has(&required, core_packages[i]))
			strv_add(&core, core_packages[i]);
	}
	for (i = 0; i < required.n; i++) {
		if (!strv_has(&core, required.v[i]))
			strv_add(&rest, required.v[i]);
	}
	if (core.n > 0 && configure(env, "--force-depends", &core, cause) != 0)
		goto out;
	shadow_on(shortcuts);
	if (rest.n > 0 && configure(env,
	    "--force-configure-any --force-depends", &rest, cause) != 0)
		goto out;
	rc = configure(env, "", NULL, cause);
out:
	strv_free(&required);
	strv_free(&core);
	strv_free(&rest);
	return (rc);
}

/*
 * The guest half of method=host: preinsts, then dpkg --configure. Says
 * where the time went, since process count is what costs here.
 */
int
debian_configure(const env_t *env, char **cause)
{
	struct strv	 shortcuts = { 0 };
	char		*proc;
	double		 t0, t1, t2;
	long		 p0, p1, p2;
	int		 rc = -1, mounted = 0, preinsts = 0;

	proc = path_join(GUEST_TARGET, "/proc");
	if (mount("proc", proc, "proc", 0, NULL) == 0)
		mounted = 1;
	if (services_off(cause) != 0)
		goto out;
	shortcuts_on(&shortcuts);
	t0 = now();
	p0 = last_pid();
	if (run_preinsts(env, &preinsts, cause) != 0)
		goto out;
	t1 = now();
	p1 = last_pid();
	if (configure_all(env, &shortcuts, cause) != 0)
		goto out;
	t2 = now();
	p2 = last_pid();
	log_info("%d preinst scripts: %.1f s, %ld processes; dpkg --configure: "
	    "%.1f s, %ld processes", preinsts, t1 - t0, p1 - p0, t2 - t1,
	    p2 - p1);
	rc = 0;
out:
	shortcuts_off(&shortcuts);
	services_on();
	if (mounted)
		umount2(proc, MNT_DETACH);
	free(proc);
	return (rc);
}
