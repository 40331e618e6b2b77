/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"

/*
 * The UML kernel a build, a run or a boot uses. kernel= names one, run as
 * it is. The default, auto, takes the fastest that works here: Debian's
 * user-mode-linux from kernel_suite (sid: from Linux 6.16 on UML has a
 * seccomp mode in which a guest's processes and page faults cost a third
 * of what they cost under ptrace), fetched and verified as any package is
 * (archive/debset.c), its ELF interpreter and run path pointed at that
 * suite's C library when the host's is too old for it (patchelf), kept in
 * the user's cache and probed before use. Without it (no network and
 * nothing cached, no patchelf, a kernel that fails its probe) auto falls
 * back to the host's linux.uml, from a copy that starts no uevent helper
 * (uml/hotplug.c).
 */

#define KERNEL_PACKAGE	"user-mode-linux"
#define LIBC_PACKAGE	"libc6"
#define PATCHELF	"patchelf"

/* $XDG_CACHE_HOME/rootstrap/kernels, or ~/.cache/...; NULL: no home. */
char *
kernel_dir(void)
{
	const char	*v;
	char		*dir;

	if ((v = getenv("XDG_CACHE_HOME")) != NULL && *v == '/')
		xasprintf(&dir, "%s/rootstrap/kernels", v);
	else if ((v = getenv("HOME")) != NULL && *v == '/')
		xasprintf(&dir, "%s/.cache/rootstrap/kernels", v);
	else
		return (NULL);
	return (dir);
}

/* Whether k can carry a build: UML, with hostfs and ubd. */
static int
kernel_usable(const struct uml_kernel *k)
{
	return (k->is_uml && k->hostfs && k->ubd);
}

/* Run argv for its first line of output (patchelf --print-...). */
static char *
first_line(char *const *argv, char **cause)
{
	struct buf	 out = { NULL, 0, 0 };
	char		*line = NULL;
	int		 rc;

	if ((rc = spawn_capture(argv, 60, &out, 65536, cause)) > 0)
		xasprintf(cause, "%s exited with status %d: %.200s", argv[0],
		    rc, out.s);
	else if (rc == 0)
		line = xstrndup(out.s, strcspn(out.s, "\n"));
	buf_free(&out);
	return (line);
}

/*
 * The kernel in dir runs on this host as it is, or is made to: its
 * interpreter and run path set to the C library in dir/lib, taken from
 * the libc .deb.
 */
static int
fast_link(const char *dir, const struct deb *libc, char **cause)
{
	static const char *const libs[] = {
		"usr/lib/*-linux-gnu/*.so*", "lib/*-linux-gnu/*.so*",
		"lib64/*.so*", NULL
	};
	char	*kernel, *lib, *interp = NULL, *ld = NULL, *out, *slash;
	char	*argv[8];
	int	 rc = -1;

	kernel = path_join(dir, "linux.uml");
	argv[0] = kernel;
	argv[1] = "--version";
	argv[2] = NULL;
	if ((out = first_line(argv, cause)) != NULL) {
		/* The host's C library is new enough. */
		free(out);
		free(kernel);
		return (0);
	}
	free(*cause);
	*cause = NULL;
	lib = path_join(dir, "lib");
	if (mkdir(lib, 0755) != 0) {
		xasprintf(cause, "%s: %s", lib, strerror(errno));
		goto out;
	}
	if (deb_extract(libc->path, libs, lib, cause) < 0)
		goto out;
	argv[0] = PATCHELF;
	argv[1] = "--print-interpreter";
	argv[2] = kernel;
	argv[3] = NULL;
	if ((interp = first_line(argv, cause)) == NULL)
		goto out;
	slash = strrchr(interp, '/');
	ld = path_join(lib, slash != NULL ? slash + 1 : interp);
	if (access(ld, R_OK) != 0) {
		xasprintf(cause, "%s has no %s", libc->path, interp);
		goto out;
	}
	argv[1] = "--set-interpreter";
	argv[2] = ld;
	argv[3] = "--set-rpath";
	argv[4] = lib;
	argv[5] = kernel;
	argv[6] = NULL;
	if ((out = first_line(argv, cause)) != NULL) {
		free(out);
		rc = 0;
	}
out:
	free(interp);
	free(ld);
	free(lib);
	free(kernel);
	return (rc);
}

/*
 * Where the kernel came from, for rootstrap check and the transcript
 * (origin), and what it is, for the image cache key (identity): the
 * packages' names, versions and SHA256s, the same wherever the cache is,
 * though the patched binary names its directory.
 */
static int
fast_origin(const char *dir, const struct debset *set, const env_t *env,
    char **cause)
{
	char	*path, *text, *ident, *sha[2];
	size_t	 i;
	int	 rc;

	for (i = 0; i < 2; i++)
		sha[i] = control_field(set->v[i].control,
		    strlen(set->v[i].control), "SHA256");
	path = path_join(dir, "lib");
	if (access(path, F_OK) == 0) {
		xasprintf(&text, "%s %s (SHA256 %s) from %s %s, verified "
		    "against its signed InRelease; its interpreter and run "
		    "path set to %s's C library, %s %s (SHA256 %s), in %s\n",
		    set->v[0].package, set->v[0].version, sha[0],
		    env_get(env, "mirror"), env_get(env, "dist"),
		    env_get(env, "dist"), set->v[1].package,
		    set->v[1].version, sha[1], path);
		xasprintf(&ident, "%s %s %s\n%s %s %s\n", set->v[0].package,
		    set->v[0].version, sha[0], set->v[1].package,
		    set->v[1].version, sha[1]);
	} else {
		xasprintf(&text, "%s %s (SHA256 %s) from %s %s, verified "
		    "against its signed InRelease\n", set->v[0].package,
		    set->v[0].version, sha[0], env_get(env, "mirror"),
		    env_get(env, "dist"));
		xasprintf(&ident, "%s %s %s\n", set->v[0].package,
		    set->v[0].version, sha[0]);
	}
	free(path);
	/* identity first: origin says the directory is whole. */
	path = path_join(dir, "identity");
	rc = file_write(path, ident, 0644, cause);
	free(path);
	if (rc == 0) {
		path = path_join(dir, "origin");
		rc = file_write(path, text, 0644, cause);
		free(path);
	}
	free(ident);
	free(text);
	free(sha[0]);
	free(sha[1]);
	return (rc);
}

/* Remove the other versions of suite's kernel in top. */
static void
fast_prune(const char *top, const char *suite, const char *keep)
{
	struct dirent	*de;
	DIR		*d;
	char		*path;
	size_t		 len = strlen(suite);

	if ((d = opendir(top)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, suite, len) != 0 ||
		    de->d_name[len] != '-' || strcmp(de->d_name, keep) == 0)
			continue;
		path = path_join(top, de->d_name);
		file_remove_tree(path);
		free(path);
	}
	closedir(d);
}

/*
 * Fetch suite's kernel into top/SUITE-VERSION, make it run here, probe
 * it, and point top/SUITE at it. Under top/.lock: one fetch at a time.
 */
static int
fast_fetch(const char *top, const char *suite, const env_t *global,
    const env_t *debian, char **cause)
{
	struct debset	 set;
	struct strv	 names = { 0 };
	struct uml_kernel k;
	env_t		 env = { 0 };
	const char	*check = env_get(global, "kernel_check_valid_until");
	char		*lock, *name = NULL, *dir = NULL, *link, *tmp, *kernel;
	char		*why = NULL;
	size_t		 i;
	int		 fd, rc = -1;

	static const char *const uml_files[] = { "usr/bin/linux.uml", NULL };

	memset(&set, 0, sizeof set);
	if (file_mkdirs(top, 0755, cause) != 0)
		return (-1);
	lock = path_join(top, ".lock");
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1 ||
	    flock(fd, LOCK_EX) != 0) {
		xasprintf(cause, "%s: %s", lock, strerror(errno));
		goto out;
	}
	for (i = 0; i < debian->n; i++)
		strv_add(&env, debian->v[i]);
	env_set(&env, "dist", suite);
	env_set(&env, "components", "main");
	env_set(&env, "check_valid_until", check != NULL ? check : "yes");
	strv_add(&names, KERNEL_PACKAGE);
	strv_add(&names, LIBC_PACKAGE);
	log_info("kernel: fetching %s and %s from %s %s "
	    "(kernel_check_valid_until=%s)", KERNEL_PACKAGE, LIBC_PACKAGE,
	    env_get(&env, "mirror"), suite, env_get(&env, "check_valid_until"));
	if (debset_named(&env, global, &names, &set, cause) != 0)
		goto out;
	xasprintf(&name, "%s-%s", suite, set.v[0].version);
	dir = path_join(top, name);
	kernel = path_join(dir, "origin");
	if (access(kernel, F_OK) == 0) {
		/* That version is here already, whole. */
		free(kernel);
		rc = 0;
		goto link;
	}
	free(kernel);
	kernel = path_join(dir, "linux.uml");
	file_remove_tree(dir);
	if (mkdir(dir, 0755) != 0)
		xasprintf(cause, "%s: %s", dir, strerror(errno));
	else if (deb_extract(set.v[0].path, uml_files, dir, cause) == 1 &&
	    fast_link(dir, &set.v[1], cause) == 0) {
		uml_kernel_probe(kernel, NULL, &k);
		if (!kernel_usable(&k))
			xasprintf(cause, "%s does not run here as a UML kernel "
			    "with hostfs and ubd", kernel);
		else if (fast_origin(dir, &set, &env, cause) == 0)
			rc = 0;
		uml_kernel_free(&k);
	} else if (*cause == NULL)
		xasprintf(cause, "%s has no usr/bin/linux.uml", set.v[0].path);
	free(kernel);
	if (rc != 0) {
		file_remove_tree(dir);
		goto out;
	}
link:
	/* The suite's name points at the version, replaced at once. */
	link = path_join(top, suite);
	xasprintf(&tmp, "%s.new", link);
	unlink(tmp);
	if (symlink(name, tmp) != 0 || rename(tmp, link) != 0) {
		xasprintf(cause, "%s: %s", link, strerror(errno));
		unlink(tmp);
		rc = -1;
	} else
		fast_prune(top, suite, name);
	free(tmp);
	free(link);
out:
	if (fd != -1)
		close(fd);
	free(why);
	free(lock);
	free(name);
	free(dir);
	strv_free(&names);
	strv_free(&env);
	debset_free(&set);
	return (rc);
}

/*
 * The host's kernel, as a copy that starts no uevent helper when it has
 * one (kept in top, named after the binary), else as it is.
 */
static void
host_kernel(const char *top, struct kernel *kn)
{
	struct stat	 st;
	char		*copy, *dir, *cause = NULL;
	int		 rc;

	uml_kernel_probe("linux.uml", top, &kn->k);
	if (top == NULL || !kernel_usable(&kn->k) ||
	    stat(kn->k.path, &st) != 0) {
		xasprintf(&kn->origin, "the host's %s", kn->k.path != NULL ?
		    kn->k.path : "linux.uml (not found)");
		return;
	}
	xasprintf(&dir, "%s/host-%s-%llx-%llx", top, kn->k.version,
	    (unsigned long long)st.st_size, (unsigned long long)st.st_mtime);
	copy = path_join(dir, "linux.uml");
	rc = access(copy, X_OK) == 0 ? 1 : 0;
	if (rc == 0 && file_mkdirs(dir, 0755, &cause) == 0)
		rc = uml_kernel_unhotplug(kn->k.path, copy, &cause);
	if (rc < 0)
		log_warnx("kernel: %s; %s runs as it is", cause, kn->k.path);
	if (rc == 1) {
		xasprintf(&kn->origin, "the host's %s (%s), from a copy that "
		    "starts no uevent helper: %s", kn->k.path,
		    kn->k.version, copy);
		uml_kernel_free(&kn->k);
		uml_kernel_probe(copy, top, &kn->k);
	} else
		xasprintf(&kn->origin, "the host's %s (%s)", kn->k.path,
		    kn->k.version);
	free(cause);
	free(copy);
	free(dir);
}

/*
 * Choose the kernel per [global] kernel=: *kn says which, what it offers
 * and where it came from. fetch: auto may fetch a kernel it lacks.
 * Returns 0, or -1 with *cause when kernel= names no program.
 */
int
kernel_choose(const env_t *global, const env_t *debian, int fetch,
    struct kernel *kn, char **cause)
{
	const char	*name = env_get(global, "kernel");
	const char	*suite = env_get(global, "kernel_suite");
	char		*top, *fast, *why = NULL, *origin;

	memset(kn, 0, sizeof *kn);
	top = kernel_dir();
	if (strcmp(name, "auto") != 0) {
		if (uml_kernel_probe(name, top, &kn->k) != 0) {
			xasprintf(cause, "%s: not found", name);
			free(top);
			return (-1);
		}
		xasprintf(&kn->origin, "kernel=%s (%s)", name, kn->k.path);
		free(top);
		return (0);
	}
	if (top != NULL && suite != NULL && *suite != '\0') {
		xasprintf(&fast, "%s/%s/linux.uml", top, suite);
		if (access(fast, X_OK) != 0 && fetch &&
		    fast_fetch(top, suite, global, debian, &why) != 0) {
			log_warnx("kernel: no %s kernel: %s", suite, why);
			free(why);
		}
		if (access(fast, X_OK) == 0) {
			uml_kernel_probe(fast, top, &kn->k);
			if (kernel_usable(&kn->k)) {
				xasprintf(&origin, "%s/%s/origin", top, suite);
				kn->origin = file_read(origin, 65536, NULL);
				free(origin);
				if (kn->origin == NULL)
					kn->origin = xstrdup(fast);
				kn->origin[strcspn(kn->origin, "\n")] = '\0';
				/* None in a cache from before it was kept. */
				xasprintf(&origin, "%s/%s/identity", top,
				    suite);
				kn->identity = file_read(origin, 65536, NULL);
				free(origin);
				free(fast);
				free(top);
				return (0);
			}
			log_warnx("kernel: %s does not pass its probe; not "
			    "used", fast);
			uml_kernel_free(&kn->k);
		}
		free(fast);
	}
	host_kernel(top, kn);
	free(top);
	return (0);
}

/*
 * rootstrap fetch --kernel: kernel_suite's newest kernel into the cache,
 * whatever is there, for kernel=auto.
 */
int
kernel_update(const env_t *global, const env_t *debian, char **cause)
{
	const char	*suite = env_get(global, "kernel_suite");
	char		*top;
	int		 rc;

	if (*suite == '\0') {
		xasprintf(cause, "kernel_suite is empty: auto uses the host's "
		    "kernel");
		return (-1);
	}
	if ((top = kernel_dir()) == NULL) {
		xasprintf(cause, "no cache: set XDG_CACHE_HOME or HOME");
		return (-1);
	}
	rc = fast_fetch(top, suite, global, debian, cause);
	free(top);
	return (rc);
}

/*
 * kernel_choose for a command that reads no configuration (run, boot):
 * the built-in defaults of [global] and [debian], kernel=name.
 */
int
kernel_choose_default(const char *name, struct kernel *kn, char **cause)
{
	const struct key	*k;
	env_t			 global = { 0 }, debian = { 0 };
	int			 rc;

	for (k = global_keys; k->name != NULL; k++) {
		if (k->def != NULL)
			env_set(&global, k->name, k->def);
	}
	for (k = stock_module("debian")->keys; k->name != NULL; k++) {
		if (k->def != NULL)
			env_set(&debian, k->name, k->def);
	}
	env_set(&global, "kernel", name);
	rc = kernel_choose(&global, &debian, 1, kn, cause);
	strv_free(&global);
	strv_free(&debian);
	return (rc);
}

void
kernel_free(struct kernel *kn)
{
	uml_kernel_free(&kn->k);
	free(kn->origin);
	free(kn->identity);
	memset(kn, 0, sizeof *kn);
}
