/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "build.h"

/*
 * The image cache: a build whose plan, modules, builder, kernel and mirror
 * state are all unchanged copies its earlier result instead of booting UML
 * again, so a fixture in a test suite costs seconds after the first time.
 * The key is a SHA-256 over all of those; the mirror state is the suite's
 * InRelease file as the mirror serves it now.
 */

/* Where cached images live: ROOTSTRAP_CACHE, or the XDG cache dir. */
char *
imgcache_dir(void)
{
	const char	*env = getenv("ROOTSTRAP_CACHE");
	const char	*xdg = getenv("XDG_CACHE_HOME");
	const char	*home = getenv("HOME");
	char		*dir;

	if (env != NULL)
		return (*env != '\0' ? xstrdup(env) : NULL);
	if (xdg != NULL && *xdg == '/')
		xasprintf(&dir, "%s/rootstrap/images", xdg);
	else if (home != NULL && *home == '/')
		xasprintf(&dir, "%s/.cache/rootstrap/images", home);
	else
		return (NULL);
	return (dir);
}

/* The suite's InRelease, fetched now: what "mirror state" means here. */
static int
mirror_state(const env_t *debian, struct sha256_ctx *h, char **cause)
{
	char	*body;
	size_t	 len;

	if ((body = mirror_inrelease(env_get(debian, "mirror"),
	    env_get(debian, "dist"), env_get(debian, "http_proxy"), &len,
	    cause)) == NULL)
		return (-1);
	sha256_update(h, len, (const uint8_t *)body);
	free(body);
	return (0);
}

static void
hash_str(struct sha256_ctx *h, const char *s)
{
	sha256_update(h, strlen(s) + 1, (const uint8_t *)s);
}

static int
cmp_str(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * Keys that change how a build runs but not what it makes: where packages
 * are cached, proxies, the guest's memory and kernel, the time limits, the
 * directory it was started in. A reproducible image's UUID ignores them.
 */
static int
runtime_key(const char *kv)
{
	static const char *const keys[] = { "cache", "http_proxy",
	    "https_proxy", "ftp_proxy", "no_proxy", "timeout", "mem", "kernel",
	    "kernel_suite", "kernel_check_valid_until", "umlargs",
	    "ROOTSTRAP_WORKDIR", "stall_timeout", NULL };
	size_t	 i, len;

	for (i = 0; keys[i] != NULL; i++) {
		len = strlen(keys[i]);
		if (strncmp(kv, keys[i], len) == 0 && kv[len] == '=')
			return (1);
	}
	return (0);
}

/*
 * Keys that say where a build runs, not what it makes, left out of every
 * key (and of a reproducible image's UUID) so that two machines, or two
 * checkouts, share one: the directory the modules start in
 * (ROOTSTRAP_WORKDIR), where they were found (modulepath: the files found
 * are hashed themselves), and where the stock debian step keeps its
 * packages (cache: each is checked against the signed index, so the
 * directory holding it changes nothing). A user module may read its own
 * files relative to those paths, but the path never captured what they
 * hold either: only the module's own file is in the key (README, "The
 * image cache"). A user module's own cache= key stays: what it means is
 * the module's business. Nor where the kernel is (kernel=): what it is
 * goes in the key itself (hash_programs). (s is NULL for the [network]
 * settings.)
 */
static int
place_key(const struct step *s, const char *kv)
{
	if (strncmp(kv, "ROOTSTRAP_WORKDIR=", 18) == 0 ||
	    strncmp(kv, "modulepath=", 11) == 0 ||
	    strncmp(kv, "kernel=", 7) == 0)
		return (1);
	return (s != NULL && s->stock != NULL && s->stock->reads_archive &&
	    strncmp(kv, "cache=", 6) == 0);
}

/*
 * The stock debian step's keyring=: a file whose content, not its path,
 * goes in the key (hash_keyring). It decides only whether the mirror is
 * trusted, not what the image holds, so a reproducible image's UUID
 * leaves it out.
 */
static int
keyring_key(const struct step *s, const char *kv)
{
	return (s->stock != NULL && s->stock->reads_archive &&
	    strncmp(kv, "keyring=", 8) == 0);
}

/*
 * The configuration part of a build's identity: the first n steps' names
 * and environments (sorted, without the per-build paths and place_key()s).
 * With HASH_FILES module files are hashed too, and runtime_key()s kept.
 * With HASH_STAGE, only what can change the image by step n: not the step
 * that gives the network (it only decides how the guest reaches the
 * mirror), nor the keys of later steps (modules=, freespace).
 */
#define HASH_FILES	0x1
#define HASH_STAGE	0x2

/*
 * The keyring the stock debian step checks the mirror with, by its
 * content: a copy of the same keyring elsewhere is the same keyring (an
 * empty keyring= is Debian's, as in archive/debset.c).
 */
static int
hash_keyring(struct sha256_ctx *h, const char *kv, char **cause)
{
	const char	*path = kv + strlen("keyring=");
	char		*why = NULL;

	if (*path == '\0')
		path = "/usr/share/keyrings/debian-archive-keyring.gpg";
	hash_str(h, "keyring");
	if (sha256_update_file(h, path, NULL, &why) != 0) {
		xasprintf(cause, "[debian] keyring: %s", why);
		free(why);
		return (-1);
	}
	return (0);
}

static int
hash_steps(struct sha256_ctx *h, const struct plan *p, size_t n, int how,
    char **cause)
{
	static const char *const later[] = { "modules=", "freespace=",
	    NULL };
	struct strv		 env = { 0 };
	const struct step	*s;
	size_t			 i, j, k;

	for (i = 0; i < n; i++) {
		s = &p->steps[i];
		if ((how & HASH_STAGE) && s->stock != NULL &&
		    s->stock->gives_network)
			continue;
		hash_str(h, s->name);
		if ((how & HASH_FILES) && s->path != NULL &&
		    sha256_update_file(h, s->path, NULL, cause) != 0)
			return (-1);
		for (j = 0; j < s->env.n; j++) {
			if (keyring_key(s, s->env.v[j])) {
				if ((how & HASH_FILES) &&
				    hash_keyring(h, s->env.v[j], cause) != 0) {
					strv_free(&env);
					return (-1);
				}
				continue;
			}
			for (k = 0; (how & HASH_STAGE) && later[k] != NULL; k++) {
				if (strncmp(s->env.v[j], later[k],
				    strlen(later[k])) == 0)
					break;
			}
			if (strncmp(s->env.v[j], "ROOTSTRAP_IMAGE=", 16) != 0 &&
			    strncmp(s->env.v[j], "ROOTSTRAP_RUNDIR=", 17) != 0 &&
			    !place_key(s, s->env.v[j]) &&
			    (!(how & HASH_STAGE) || later[k] == NULL) &&
			    ((how & HASH_FILES) || !runtime_key(s->env.v[j])))
				strv_add(&env, s->env.v[j]);
		}
		if (env.n > 0)
			qsort(env.v, env.n, sizeof *env.v, cmp_str);
		for (j = 0; j < env.n; j++)
			hash_str(h, env.v[j]);
		strv_free(&env);
	}
	return (0);
}

/* All the steps, and the [network] settings the uml module reads. */
static int
hash_plan(struct sha256_ctx *h, const struct plan *p, int files,
    char **cause)
{
	size_t	 j;

	if (hash_steps(h, p, p->nsteps, files ? HASH_FILES : 0, cause) != 0)
		return (-1);
	for (j = 0; j < p->net.n; j++) {
		if (!place_key(NULL, p->net.v[j]) &&
		    (files || !runtime_key(p->net.v[j])))
			hash_str(h, p->net.v[j]);
	}
	return (0);
}

/*
 * A reproducible image's filesystem UUID and directory hash seed: derived
 * from the configuration alone, so two builds of it agree.
 */
void
plan_uuids(const struct plan *p, char uuid[37], char seed[37])
{
	struct sha256_ctx	 h;
	uint8_t			 d[SHA256_DIGEST_SIZE];
	char			*cause = NULL;
	int			 k;

	sha256_init(&h);
	hash_plan(&h, p, 0, &cause);
	sha256_digest(&h, sizeof d, d);
	for (k = 0; k < 2; k++) {
		uint8_t *u = d + 16 * k;

		u[6] = (u[6] & 0x0f) | 0x40;	/* version 4 ... */
		u[8] = (u[8] & 0x3f) | 0x80;	/* ... RFC 4122 variant */
		snprintf(k == 0 ? uuid : seed, 37, "%02x%02x%02x%02x-%02x%02x-"
		    "%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		    u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
		    u[11], u[12], u[13], u[14], u[15]);
	}
}

/*
 * What runs a build: rootstrap's version, the builder and the shortcut
 * beside it (which it binds into the target), and the kernel by what it
 * is, not where it is: kernel=auto's fetched kernel by its packages'
 * names, versions and SHA256s (kernel.c: patched to run here, its bytes
 * name the directory it is in), any other by its content (some 30 MB,
 * hashed in some 50 ms: not worth a cache of digests). (The epoch is in
 * the plan: every step's SOURCE_DATE_EPOCH.)
 */
static int
hash_programs(struct sha256_ctx *h, const char *builder,
    const struct kernel *kn, char **cause)
{
	const char	*slash;
	char		*shortcut;

	hash_str(h, PACKAGE_VERSION);
	if (sha256_update_file(h, builder, NULL, cause) != 0)
		return (-1);
	if ((slash = strrchr(builder, '/')) != NULL) {
		xasprintf(&shortcut, "%.*s/shortcut", (int)(slash - builder),
		    builder);
		if (access(shortcut, F_OK) == 0 &&
		    sha256_update_file(h, shortcut, NULL, cause) != 0) {
			free(shortcut);
			return (-1);
		}
		free(shortcut);
	}
	if (kn->identity != NULL) {
		hash_str(h, "kernel packages");
		hash_str(h, kn->identity);
		return (0);
	}
	if (kn->k.path == NULL) {
		xasprintf(cause, "no kernel (%s)", kn->origin);
		return (-1);
	}
	hash_str(h, "kernel file");
	return (sha256_update_file(h, kn->k.path, NULL, cause));
}

static char *
hash_hex(struct sha256_ctx *h)
{
	uint8_t		 d[SHA256_DIGEST_SIZE];
	char		*key;
	size_t		 i;

	sha256_digest(h, sizeof d, d);
	key = xmalloc(2 * sizeof d + 1);
	for (i = 0; i < sizeof d; i++)
		snprintf(key + 2 * i, 3, "%02x", d[i]);
	return (key);
}

/*
 * The key of a build: the plan with its module files, what runs it
 * (hash_programs), the extra UML arguments and the mirror's state. NULL,
 * with *cause, if the state cannot be known: then the build is not
 * cached.
 */
char *
imgcache_key(const struct plan *p, const char *builder,
    const struct kernel *kernel, const char *extra, char **cause)
{
	struct sha256_ctx	 h;

	sha256_init(&h);
	if (hash_programs(&h, builder, kernel, cause) != 0)
		return (NULL);
	hash_str(&h, extra != NULL ? extra : "");
	if (hash_plan(&h, p, 1, cause) != 0)
		return (NULL);
	if (plan_stock(p, HAS_ARCHIVE) != NULL &&
	    mirror_state(&p->debian, &h, cause) != 0)
		return (NULL);
	return (hash_hex(&h));
}

/*
 * The key of a stage: the image as it stands after step last, the one
 * that installs the packages. As imgcache_key, but for the steps up to
 * last and what of them can change the image (hash_steps' HASH_STAGE),
 * so that a change to a later step (the hostname, [uml], a module after
 * debian) finds the stage.
 */
char *
imgcache_stage_key(const struct plan *p, size_t last, const char *builder,
    const struct kernel *kernel, const char *extra, char **cause)
{
	struct sha256_ctx	 h;

	sha256_init(&h);
	hash_str(&h, "stage");
	if (hash_programs(&h, builder, kernel, cause) != 0)
		return (NULL);
	hash_str(&h, extra != NULL ? extra : "");
	if (hash_steps(&h, p, last + 1, HASH_FILES | HASH_STAGE, cause) != 0 ||
	    mirror_state(&p->debian, &h, cause) != 0)
		return (NULL);
	return (hash_hex(&h));
}

/*
 * The cache directory dir, resolved, if no other user could have put an
 * image in it (util/trust.c); made first if make is set. NULL with *cause
 * if it is not to be trusted, NULL without one if it does not exist.
 */
static char *
cache_open(const char *dir, int make, char **cause)
{
	char	*real;

	*cause = NULL;
	if (make && file_mkdirs(dir, 0755, cause) != 0)
		return (NULL);
	if ((real = trust_dir(dir, cause)) == NULL && errno == ENOENT &&
	    !make) {
		free(*cause);
		*cause = NULL;
	}
	return (real);
}

/*
 * The cached image for key in dir: 1 and *path if there is one, 0 if
 * not, -1 with *cause if there is one another user could have written.
 */
int
imgcache_lookup(const char *dir, const char *key, char **path, char **cause)
{
	struct stat	 st;
	char		*why;

	xasprintf(path, "%s/%s.img", dir, key);
	if (lstat(*path, &st) == -1) {
		if (errno == ENOENT) {
			free(*path);
			*path = NULL;
			return (0);
		}
		why = xstrdup(strerror(errno));
	} else if (!S_ISREG(st.st_mode))
		why = xstrdup("not a regular file");
	else if ((why = trust_stat(&st)) == NULL)
		return (1);
	xasprintf(cause, "%s: %s", *path, why);
	free(why);
	free(*path);
	*path = NULL;
	return (-1);
}

/*
 * Look the build up in the image cache; a hit is copied into place and
 * ends the build (returns 1). On a miss the key is kept, to store the
 * result. A cache another user could have written to ends the build.
 */
int
imgcache_reuse(struct build *b)
{
	struct strv	 what = { 0 };
	char		*dir, *hit, *cause = NULL;
	size_t		 i;

	if (b->o->no_cache || (dir = imgcache_dir()) == NULL)
		return (0);
	if ((b->cachedir = cache_open(dir, 0, &cause)) != NULL)
		free(dir);
	else if (cause == NULL)
		b->cachedir = dir;	/* made when the image is stored */
	else {
		free(dir);
		build_fail(b, EXIT_BUILD, "image cache: %s; nothing was "
		    "built (use a directory of your own as ROOTSTRAP_CACHE, "
		    "or --no-cache)", cause);
	}
	if ((b->cachekey = imgcache_key(&b->plan, b->builder,
	    &b->kernel, b->o->umlextra, &cause)) == NULL) {
		log_warnx("image cache not used: %s", cause);
		free(cause);
		return (0);
	}
	switch (imgcache_lookup(b->cachedir, b->cachekey, &hit, &cause)) {
	case -1:
		build_fail(b, EXIT_BUILD, "image cache: %s; not reused, "
		    "nothing was built (remove it, or use --no-cache)", cause);
	case 0:
		for (i = 0; i < b->plan.nsteps; i++) {
			strv_add(&what, b->plan.steps[i].name);
			if (b->plan.steps[i].stock != NULL &&
			    b->plan.steps[i].stock->reads_archive)
				strv_addf(&what, "(%s)",
				    env_get(&b->plan.debian, "dist"));
		}
		strv_addf(&what, "-> %s/%s", b->workdir, b->image);
		b->cachewhat = strv_join(&what, " ");
		strv_free(&what);
		return (0);
	}
	if (image_allocate(b->image, 1, &b->tmpimage, &cause) != 0 ||
	    file_copy(hit, b->tmpimage, &cause) != 0)
		build_fail(b, EXIT_BUILD, "image cache: %s", cause);
	if (rename(b->tmpimage, b->image) == -1)
		build_fail(b, EXIT_BUILD, "%s: %s while renaming %s into "
		    "place", b->image, strerror(errno), b->tmpimage);
	free(b->tmpimage);
	b->tmpimage = NULL;
	log_info("reused the cached image %.16s (nothing changed since it "
	    "was built; --no-cache rebuilds)", b->cachekey);
	log_info("built %s", b->image);
	free(hit);
	return (1);
}

/*
 * The store copies in-process, where the signalfd is never read: a copy
 * to a hung or slow filesystem would make SIGINT wait for it. So for the
 * store the signals act at once: the partial copy goes, the image
 * (complete, in place) stays, and the status says which signal.
 */
static char *volatile	 store_tmp;

static void
store_signal(int sig)
{
	static const char	 msg[] = "rootstrap: interrupted; the image is "
	    "complete, not stored in the image cache\n";

	if (store_tmp != NULL)
		unlink(store_tmp);
	(void)!write(STDERR_FILENO, msg, sizeof msg - 1);
	_exit(128 + sig);
}

static void
store_interruptible(void)
{
	struct sigaction	 sa;
	sigset_t		 set;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = store_signal;
	sigfillset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/*
 * Keep a copy of src in the cache directory under key, and a line saying
 * what it is. The copy is made under a temporary name (file_temp), locked
 * while it is written: a store killed half-way leaves it unlocked, and the
 * next store, cache list or cache clean removes it.
 */
int
imgcache_put(const char *cachedir, const char *key, const char *src,
    const char *what, char **cause)
{
	char	*dir, *path, *info, *line, *tmp = NULL;
	int	 fd, rc = -1;

	if ((dir = cache_open(cachedir, 1, cause)) == NULL)
		return (-1);
	lock_sweep(dir);
	xasprintf(&path, "%s/%s.img", dir, key);
	xasprintf(&info, "%s/%s.info", dir, key);
	xasprintf(&line, "%lld %s\n", (long long)time(NULL), what);
	if ((fd = file_temp(path, &tmp, cause)) != -1) {
		store_tmp = tmp;
		if (file_copy_to(src, fd, tmp, cause) == 0 &&
		    file_write(info, line, 0644, cause) == 0) {
			if (rename(tmp, path) == 0)
				rc = 0;
			else
				xasprintf(cause, "%s: %s", path,
				    strerror(errno));
		}
		if (rc != 0)
			unlink(tmp);
		store_tmp = NULL;
		close(fd);
	}
	free(tmp);
	free(path);
	free(info);
	free(line);
	free(dir);
	return (rc);
}

/* Keep a copy of the finished image, and a line saying what it is. */
void
imgcache_store(struct build *b)
{
	char	*cause = NULL;

	if (b->cachekey == NULL)
		return;
	store_interruptible();
	if (imgcache_put(b->cachedir, b->cachekey, b->image, b->cachewhat,
	    &cause) != 0)
		log_warnx("not stored in the image cache: %s", cause);
	else
		log_info("stored in the image cache as %.16s", b->cachekey);
	free(cause);
	if (spawn_interrupted())
		build_fail(b, EXIT_BUILD, "interrupted by %s; %s is complete "
		    "and stored", strsignal(spawn_signal), b->image);
}

/* -n: the stage this build would keep or start from (stage.c), if any. */
static void
dry_run_stage(struct build *b, const char *dir)
{
	char	*key, *hit = NULL, *cause = NULL;
	ssize_t	 last;
	int	 found = 0;

	if ((last = stage_step(&b->plan)) < 0)
		return;
	if ((key = imgcache_stage_key(&b->plan, (size_t)last, b->builder,
	    &b->kernel, b->o->umlextra, &cause)) == NULL) {
		printf("stage: not used: %s\n", cause);
		free(cause);
		return;
	}
	if (dir != NULL &&
	    (found = imgcache_lookup(dir, key, &hit, &cause)) == -1) {
		printf("stage: %s (not reused: %s)\n", key, cause);
		free(cause);
	} else
		printf("stage: %s after '%s' (%s)\n", key,
		    b->plan.steps[last].name, found ? "hit: the build would "
		    "start from it" : "miss: the build would keep it");
	free(hit);
	free(key);
}

/* -n: which cached image the build would reuse, if any. */
void
imgcache_dry_run(struct build *b)
{
	char	*dir, *real, *key, *hit = NULL, *cause = NULL;
	int	 found = 0;

	if (b->o->no_cache || (dir = imgcache_dir()) == NULL) {
		printf("cache: not used\n");
		return;
	}
	if ((real = cache_open(dir, 0, &cause)) == NULL && cause != NULL) {
		printf("cache: not used: image cache %s\n", cause);
		free(cause);
		free(dir);
		return;
	}
	if ((key = imgcache_key(&b->plan, b->builder, &b->kernel,
	    b->o->umlextra, &cause)) == NULL) {
		printf("cache: not used: %s\n", cause);
		free(cause);
	} else if (real != NULL &&
	    (found = imgcache_lookup(real, key, &hit, &cause)) == -1) {
		printf("cache: %s (not reused: %s)\n", key, cause);
		free(cause);
	} else
		printf("cache: %s (%s)\n", key, found ? "hit" : "miss");
	free(hit);
	free(key);
	dry_run_stage(b, real);
	free(real);
	free(dir);
}

/*
 * List the cached images in dir (a trusted one: see cache_open), one line
 * each: key, size, when, what; or remove them (clean). What killed stores
 * left goes either way. Returns 0, or -1 with errno if dir cannot be read.
 */
int
imgcache_list(const char *dir, int clean)
{
	struct dirent	*de;
	struct stat	 st;
	struct tm	 tm;
	DIR		*d;
	char		*path, *info, *key, *text, *what, date[32];
	long long	 when;
	time_t		 t;
	size_t		 len;

	if ((d = opendir(dir)) == NULL)
		return (errno == ENOENT ? 0 : -1);
	lock_sweep(dir);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".img") != 0 ||
		    de->d_name[0] == '.')
			continue;
		key = xstrndup(de->d_name, len - 4);
		xasprintf(&path, "%s/%s", dir, de->d_name);
		xasprintf(&info, "%s/%s.info", dir, key);
		if (clean) {
			unlink(path);
			unlink(info);
		} else if (stat(path, &st) == 0) {
			text = file_read(info, 4096, NULL);
			what = text;
			snprintf(date, sizeof date, "?");
			when = text != NULL ? strtoll(text, &what, 10) : 0;
			if (what != NULL && *what == ' ')
				what++;
			t = (time_t)when;
			if (when != 0 && gmtime_r(&t, &tm) != NULL)
				strftime(date, sizeof date, "%Y-%m-%d %H:%M",
				    &tm);
			printf("%.16s  %6lld MB  %s  %s", key,
			    (long long)st.st_blocks * 512 / 1048576, date,
			    what != NULL && *what != '\0' ? what : "\n");
			free(text);
		}
		free(key);
		free(path);
		free(info);
	}
	closedir(d);
	return (0);
}
