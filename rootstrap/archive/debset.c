/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>

#include "archive.h"

/*
 * The packages [debian] asks for, fetched and verified on the host:
 * InRelease checked with gpgv, each component's Packages.xz checked
 * against it, debootstrap's selection resolved from them, and the .debs
 * fetched into the persistent cache. Indexes are cached under their
 * SHA256 (CACHE/by-hash/SHA256/HEX), so a mirror that moved on is
 * noticed and an unchanged one costs only the InRelease.
 */

#define DEFAULT_KEYRING		"/usr/share/keyrings/debian-archive-keyring.gpg"
#define INDEX_MAX		(1024UL * 1024 * 1024)	/* uncompressed */
#define FETCH_PARALLEL		4
#define FETCH_RETRIES		3

/* The host's dpkg architecture: packages run natively under UML. */
#if defined(__x86_64__)
#define HOST_ARCH	"amd64"
#elif defined(__i386__)
#define HOST_ARCH	"i386"
#elif defined(__aarch64__)
#define HOST_ARCH	"arm64"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ARCH	"ppc64el"
#elif defined(__s390x__)
#define HOST_ARCH	"s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_ARCH	"riscv64"
#else
#error "unknown Debian architecture for this host"
#endif

static int	 debset_get(const env_t *, const env_t *, const struct strv *,
		     struct debset *, int, char **);

struct debctx {
	const env_t		*env;
	const env_t		*global;
	char			*mirror;	/* without a trailing / */
	const char		*suite;
	char			*cache;
	struct fetch_opts	 fo;
	struct release		 rel;
	struct index		 idx;
	int			 expired_ok;	/* Valid-Until not enforced */
};

/* [debian] cache, else $XDG_CACHE_HOME/rootstrap/debs, else ~/.cache/... */
static char *
debs_cache_dir(const env_t *env)
{
	const char	*v;
	char		*dir;

	if ((v = env_get(env, "cache")) != NULL && *v != '\0')
		return (xstrdup(v));
	if ((v = getenv("XDG_CACHE_HOME")) != NULL && *v == '/')
		xasprintf(&dir, "%s/rootstrap/debs", v);
	else if ((v = getenv("HOME")) != NULL && *v == '/')
		xasprintf(&dir, "%s/.cache/rootstrap/debs", v);
	else
		return (NULL);
	return (dir);
}

/*
 * Make the cache and its by-hash/SHA256, each refused if another user
 * could have written there (util/trust.c) before anything is made in it:
 * a .partial download is resumed and an index read under a name known in
 * advance, and the lock must be ours. c->cache becomes the resolved path.
 */
static int
cache_open(struct debctx *c, char **cause)
{
	static const char *const subdirs[] = { "", "/by-hash",
	    "/by-hash/SHA256", NULL };
	char	*dir, *real, *why = NULL;
	size_t	 i;

	for (i = 0; subdirs[i] != NULL; i++) {
		xasprintf(&dir, "%s%s", c->cache, subdirs[i]);
		if (file_mkdirs(dir, 0755, cause) != 0) {
			free(dir);
			return (-1);
		}
		real = trust_dir(dir, &why);
		free(dir);
		if (real == NULL) {
			xasprintf(cause, "package cache: %s; not trusted (set "
			    "[debian] cache to a directory of your own)", why);
			free(why);
			return (-1);
		}
		if (i == 0) {
			free(c->cache);
			c->cache = real;
		} else
			free(real);
	}
	return (0);
}

/* A compressed index, whole, into memory. */
static int
index_read(const char *path, const char *name, char **buf, size_t *len,
    char **cause)
{
	struct archive		*a;
	struct archive_entry	*ae;
	size_t			 cap = 0;
	la_ssize_t		 n;
	int			 rc = -1;

	*buf = NULL;
	*len = 0;
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ae) != ARCHIVE_OK) {
		xasprintf(cause, "%s: %s", name, archive_error_string(a));
		goto out;
	}
	for (;;) {
		if (*len + 65536 + 1 > cap) {
			cap = cap == 0 ? 16 * 1024 * 1024 : cap * 2;
			if (cap > INDEX_MAX) {
				xasprintf(cause, "%s: larger than %lu bytes "
				    "uncompressed", name, INDEX_MAX);
				goto out;
			}
			*buf = xreallocarray(*buf, cap, 1);
		}
		if ((n = archive_read_data(a, *buf + *len, 65536)) < 0) {
			xasprintf(cause, "%s: %s while decompressing", name,
			    archive_error_string(a));
			goto out;
		}
		if (n == 0)
			break;
		*len += n;
	}
	(*buf)[*len] = '\0';
	rc = 0;
out:
	if (rc != 0) {
		free(*buf);
		*buf = NULL;
	}
	archive_read_free(a);
	return (rc);
}

/* Fetch, verify and parse the suite's InRelease. */
static int
debs_release(struct debctx *c, char **cause)
{
	struct fetch_item	 it;
	const char		*keyring = env_get(c->env, "keyring");
	char			*text = NULL, *why = NULL, *kr = NULL;
	size_t			 len;
	int			 rc = -1;

	if (keyring == NULL || *keyring == '\0')
		keyring = DEFAULT_KEYRING;
	/* gpgv looks a bare name up in ~/.gnupg; the config means a file. */
	if (strchr(keyring, '/') == NULL) {
		xasprintf(&kr, "./%s", keyring);
		keyring = kr;
	}
	memset(&it, 0, sizeof it);
	xasprintf(&it.url, "%s/dists/%s/InRelease", c->mirror, c->suite);
	xasprintf(&it.dest, "%s/by-hash/InRelease", c->cache);
	unlink(it.dest);
	if (fetch_files(&it, 1, &c->fo, cause) != 0)
		goto out;
	if (release_verify(keyring, it.dest, &text, &len, &why) != 0) {
		xasprintf(cause, "%s: refused: %s", it.url, why);
		goto out;
	}
	if (release_parse(&c->rel, text, len, &why) != 0 ||
	    release_check(&c->rel, c->suite, c->expired_ok ? 0 : time(NULL),
	    &why) != 0) {
		xasprintf(cause, "%s: refused: %s", it.url, why);
		goto out;
	}
	/* Said every time it happens: a waiver is not a check. */
	if (c->expired_ok && release_current(&c->rel, time(NULL), &why) != 0)
		log_warnx("%s: %s; used anyway, as asked (Valid-Until not "
		    "enforced): its signature and every file's SHA256 are "
		    "still checked", it.url, why);
	rc = 0;
out:
	unlink(it.dest);
	free(kr);
	free(why);
	free(text);
	free(it.url);
	free(it.dest);
	return (rc);
}

/*
 * The uncompressed Packages, as InRelease lists it, kept in the cache
 * beside its .xz: decompressing the 50 MB of a suite's index costs half a
 * second on every build, hashing it a twentieth of that. Read whole and
 * checked before use; a file that fails the check is removed.
 */
static int
plain_load(const struct release_file *rf, const char *path, char **buf,
    size_t *len)
{
	struct stat	 st;
	char		 hex[65];

	*buf = NULL;
	if (stat(path, &st) != 0)
		return (-1);
	if ((uint64_t)st.st_size == rf->size && rf->size <= INDEX_MAX &&
	    (*buf = file_read(path, rf->size, len)) != NULL) {
		sha256_buf(*buf, *len, hex);
		if (*len == rf->size && strcmp(hex, rf->sha256) == 0)
			return (0);
	}
	log_warnx("%s: not the index InRelease lists; decompressing it again",
	    path);
	unlink(path);
	free(*buf);
	*buf = NULL;
	return (-1);
}

/* Keep the decompressed index, if it is exactly what InRelease lists. */
static void
plain_store(const struct release_file *rf, const char *path,
    const char *buf, size_t len)
{
	char	 hex[65], *why = NULL;

	sha256_buf(buf, len, hex);
	if (len != rf->size || strcmp(hex, rf->sha256) != 0)
		log_debug("%s: the decompressed index is not the one "
		    "InRelease lists; not kept", path);
	else if (file_write(path, buf, 0644, &why) != 0)
		log_debug("%s; the decompressed index is not kept", why);
	free(why);
}

/*
 * One component's Packages: the decompressed copy in the cache if it is
 * whole; else the .xz, checked (and fetched when missing or damaged),
 * decompressed, and the result kept for the next build. url names it.
 */
static int
index_load(struct debctx *c, const char *comp, char **url, char **buf,
    size_t *len, char **cause)
{
	const struct release_file	*xz, *plain;
	struct fetch_item		 it;
	char				*path, *plainpath = NULL, *why = NULL;
	int				 rc = -1;

	memset(&it, 0, sizeof it);
	xasprintf(&path, "%s/binary-%s/Packages.xz", comp, HOST_ARCH);
	xasprintf(url, "%s/dists/%s/%s", c->mirror, c->suite, path);
	if ((xz = release_find(&c->rel, path)) == NULL) {
		xasprintf(cause, "%s/dists/%s/InRelease lists no %s (is '%s' "
		    "a component of %s?)", c->mirror, c->suite, path, comp,
		    c->suite);
		goto out;
	}
	path[strlen(path) - 3] = '\0';		/* the uncompressed one */
	if ((plain = release_find(&c->rel, path)) != NULL) {
		xasprintf(&plainpath, "%s/by-hash/SHA256/%s", c->cache,
		    plain->sha256);
		if (plain_load(plain, plainpath, buf, len) == 0) {
			rc = 0;
			goto out;
		}
	}
	it.url = *url;
	xasprintf(&it.dest, "%s/by-hash/SHA256/%s", c->cache, xz->sha256);
	memcpy(it.sha256, xz->sha256, sizeof it.sha256);
	it.size = xz->size;
	if (access(it.dest, F_OK) == 0 &&
	    fetch_verify(it.dest, it.size, it.sha256, &why) != 0) {
		log_warnx("%s; fetching it again", why);
		unlink(it.dest);
	}
	if (access(it.dest, F_OK) != 0 &&
	    fetch_files(&it, 1, &c->fo, cause) != 0)
		goto out;
	if (index_read(it.dest, *url, buf, len, cause) != 0)
		goto out;
	if (plain != NULL)
		plain_store(plain, plainpath, *buf, *len);
	rc = 0;
out:
	free(path);
	free(plainpath);
	free(it.dest);
	free(why);
	return (rc);
}

/* Each component's Packages, checked against InRelease, parsed. */
static int
debs_indexes(struct debctx *c, char **cause)
{
	struct strv	 comps = { 0 };
	char		*url, *buf;
	size_t		 i, len;
	int		 rc = -1;

	strv_split(&comps, env_get(c->env, "components"), " \t,");
	if (comps.n == 0)
		strv_add(&comps, "main");
	for (i = 0; i < comps.n; i++) {
		url = NULL;
		if (index_load(c, comps.v[i], &url, &buf, &len, cause) != 0 ||
		    index_add(&c->idx, buf, len, url, cause) != 0) {
			free(url);
			goto out;
		}
		free(url);
	}
	index_sort(&c->idx);
	rc = 0;
out:
	strv_free(&comps);
	return (rc);
}

/* The cache file of a package: its pool name, as debootstrap keeps it. */
static int
deb_item(struct debctx *c, const struct stanza *st, struct fetch_item *it,
    char **cause)
{
	const char	*base;

	if (st->filename == NULL || st->sha256 == NULL ||
	    st->version == NULL || st->arch == NULL ||
	    st->size == UINT64_MAX || st->size == 0) {
		xasprintf(cause, "%s: the index lacks its Filename, Version, "
		    "Architecture, Size or SHA256", st->package);
		return (-1);
	}
	base = strrchr(st->filename, '/');
	base = base != NULL ? base + 1 : st->filename;
	if (*st->filename == '/' || strstr(st->filename, "..") != NULL ||
	    *base == '\0' || *base == '.' || strlen(st->sha256) != 64 ||
	    strspn(st->sha256, "0123456789abcdef") != 64) {
		xasprintf(cause, "%s: bad Filename or SHA256 in the index",
		    st->package);
		return (-1);
	}
	xasprintf(&it->url, "%s/%s", c->mirror, st->filename);
	xasprintf(&it->dest, "%s/%s", c->cache, base);
	memcpy(it->sha256, st->sha256, sizeof it->sha256);
	it->size = st->size;
	return (0);
}

static void
deb_fill(struct deb *d, const struct stanza *st, const char *path)
{
	d->package = xstrdup(st->package);
	d->version = xstrdup(st->version);
	d->arch = xstrdup(st->arch);
	d->path = xstrdup(path);
	d->control = xstrndup(st->text, st->len);
	d->essential = st->essential != NULL &&
	    strcmp(st->essential, "yes") == 0;
	d->required = st->priority != NULL &&
	    strcmp(st->priority, "required") == 0;
}

/* A [debian] key, else the [global] one (proxies live there). */
static const char *
debctx_get(const struct debctx *c, const char *key)
{
	const char	*v;

	if ((v = env_get(c->env, key)) == NULL && c->global != NULL)
		v = env_get(c->global, key);
	return (v);
}

static void
debctx_setup(struct debctx *c, const env_t *env, const env_t *global)
{
	const char	*v;
	size_t		 len;

	memset(c, 0, sizeof *c);
	c->env = env;
	c->global = global;
	if ((c->suite = env_get(env, "dist")) == NULL)
		c->suite = "";
	c->mirror = xstrdup((v = env_get(env, "mirror")) != NULL ? v : "");
	len = strlen(c->mirror);
	while (len > 0 && c->mirror[len - 1] == '/')
		c->mirror[--len] = '\0';
	/* The mirror's scheme picks the proxy key, as for curl itself. */
	c->fo.proxy = debctx_get(c, strncmp(c->mirror, "https:", 6) == 0 ?
	    "https_proxy" : "http_proxy");
	c->fo.noproxy = debctx_get(c, "no_proxy");
	c->fo.stall = 30;
	if ((v = env_get(env, "stall_timeout")) != NULL && *v != '\0')
		c->fo.stall = strtol(v, NULL, 10);
	c->fo.parallel = FETCH_PARALLEL;
	c->fo.retries = FETCH_RETRIES;
	c->expired_ok = (v = env_get(env, "check_valid_until")) != NULL &&
	    !str_yes(v);
}

/*
 * Resolve and fetch everything the [debian] section asks for; [global]
 * keys (the proxies) are taken from global_env where debian_env lacks
 * them. On success out holds the packages in installation order.
 */
int
debset_fetch(const env_t *debian_env, const env_t *global_env,
    struct debset *out, char **cause)
{
	return (debset_get(debian_env, global_env, NULL, out, 1, cause));
}

/* The same without fetching the .debs: paths are where they would be. */
int
debset_resolve(const env_t *debian_env, const env_t *global_env,
    struct debset *out, char **cause)
{
	return (debset_get(debian_env, global_env, NULL, out, 0, cause));
}

/*
 * The packages named, alone (not what they depend on), from the suite
 * and mirror of env, fetched and verified; in the order named.
 */
int
debset_named(const env_t *env, const env_t *global_env,
    const struct strv *names, struct debset *out, char **cause)
{
	return (debset_get(env, global_env, names, out, 1, cause));
}

/* The stanzas of names, in their order; -1 naming one the index lacks. */
static const struct stanza **
named_order(const struct debctx *c, const struct strv *names, size_t *n,
    char **cause)
{
	const struct stanza	**order;
	size_t			  i;

	order = xcalloc(names->n + 1, sizeof *order);
	for (i = 0; i < names->n; i++) {
		if ((order[i] = index_lookup(&c->idx, names->v[i])) == NULL) {
			xasprintf(cause, "%s %s: no package %s", c->mirror,
			    c->suite, names->v[i]);
			free(order);
			return (NULL);
		}
	}
	*n = names->n;
	return (order);
}

static int
debset_get(const env_t *debian_env, const env_t *global_env,
    const struct strv *names, struct debset *out, int download, char **cause)
{
	struct debctx		  c;
	struct resolve_in	  in;
	struct strv		  required = { 0 }, base = { 0 };
	const struct stanza	**order = NULL;
	struct fetch_item	 *items = NULL, it;
	char			 *why = NULL, *lock = NULL, *hashdir;
	size_t			  i, n = 0, nfetch = 0, cached = 0;
	uint64_t		  bytes = 0;
	int			  lockfd = -1, rc = -1;

	memset(out, 0, sizeof *out);
	debctx_setup(&c, debian_env, global_env);
	if (*c.suite == '\0' || *c.mirror == '\0') {
		xasprintf(cause, "[debian] dist and mirror must be set");
		goto out;
	}
	if ((c.cache = debs_cache_dir(debian_env)) == NULL) {
		xasprintf(cause, "no package cache: set [debian] cache, "
		    "XDG_CACHE_HOME or HOME");
		goto out;
	}
	if (cache_open(&c, cause) != 0)
		goto out;

	/* One fetch at a time per cache: .partial files are shared. */
	xasprintf(&lock, "%s/.lock", c.cache);
	if ((lockfd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0644)) == -1) {
		xasprintf(cause, "%s: %s", lock, strerror(errno));
		goto out;
	}
	if (flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
		log_info("waiting for another rootstrap using %s", c.cache);
		if (flock(lockfd, LOCK_EX) != 0) {
			xasprintf(cause, "%s: %s", lock, strerror(errno));
			goto out;
		}
	}

	/* Ours alone now: an index killed half-way through file_write goes. */
	xasprintf(&hashdir, "%s/by-hash/SHA256", c.cache);
	lock_sweep(hashdir);
	free(hashdir);

	if (debs_release(&c, cause) != 0 || debs_indexes(&c, cause) != 0)
		goto out;
	if (names != NULL &&
	    (order = named_order(&c, names, &n, cause)) == NULL)
		goto out;
	if (names != NULL)
		goto fetch;

	/* Which packages. */
	memset(&in, 0, sizeof in);
	in.suite = c.rel.codename != NULL ? c.rel.codename : c.suite;
	in.variant = env_get(debian_env, "variant");
	in.mirror = c.mirror;
	strv_split(&in.include, env_get(debian_env, "include"), " \t,");
	strv_split(&in.exclude, env_get(debian_env, "exclude"), " \t,");
	rc = resolve_select(&c.idx, &in, &required, &base, &why);
	strv_free(&in.include);
	strv_free(&in.exclude);
	if (rc != 0) {
		xasprintf(cause, "%s %s: %s", c.mirror, c.suite, why);
		goto out;
	}
	rc = -1;
	order = resolve_order(&c.idx, &required, &base, &n);
	log_debug("%s: %zu stanzas, %zu required, %zu more", __func__,
	    c.idx.n, required.n, base.n);

fetch:
	/* What the cache lacks. */
	items = xcalloc(n + 1, sizeof *items);
	for (i = 0; i < n; i++) {
		if (deb_item(&c, order[i], &items[nfetch], cause) != 0)
			goto out;
		if (download && access(items[nfetch].dest, F_OK) == 0) {
			if (fetch_verify(items[nfetch].dest,
			    items[nfetch].size, items[nfetch].sha256,
			    &why) == 0) {
				cached++;
				free(items[nfetch].url);
				free(items[nfetch].dest);
				memset(&items[nfetch], 0, sizeof *items);
				continue;
			}
			log_warnx("%s; fetching it again", why);
			free(why);
			why = NULL;
			unlink(items[nfetch].dest);
		}
		bytes += items[nfetch].size;
		nfetch++;
	}
	if (download) {
		log_info("%s %s: %zu packages, %zu cached, fetching %zu "
		    "(%.1f MB) into %s", c.mirror, c.suite, n, cached, nfetch,
		    bytes / 1048576.0, c.cache);
		if (nfetch > 0 && fetch_files(items, nfetch, &c.fo,
		    cause) != 0)
			goto out;
	}

	out->v = xcalloc(n + 1, sizeof *out->v);
	for (i = 0; i < n; i++) {
		memset(&it, 0, sizeof it);
		if (deb_item(&c, order[i], &it, cause) != 0)
			goto out;
		deb_fill(&out->v[out->n++], order[i], it.dest);
		free(it.url);
		free(it.dest);
	}
	rc = 0;
out:
	if (rc != 0)
		debset_free(out);
	for (i = 0; items != NULL && i < nfetch; i++) {
		free(items[i].url);
		free(items[i].dest);
	}
	free(items);
	free(order);
	strv_free(&required);
	strv_free(&base);
	free(why);
	if (lockfd != -1)
		close(lockfd);
	free(lock);
	index_free(&c.idx);
	release_free(&c.rel);
	free(c.mirror);
	free(c.cache);
	return (rc);
}

void
debset_free(struct debset *set)
{
	size_t	 i;

	for (i = 0; i < set->n; i++) {
		free(set->v[i].package);
		free(set->v[i].version);
		free(set->v[i].arch);
		free(set->v[i].path);
		free(set->v[i].control);
	}
	free(set->v);
	memset(set, 0, sizeof *set);
}
