/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <nettle/sha2.h>

#include "rootstrap.h"
#include "debs.h"

/*
 * The image cache: a build whose plan, modules, builder, kernel and mirror
 * state are all unchanged copies its earlier result instead of booting UML
 * again, so a fixture in a test suite costs seconds after the first time.
 * The key is a SHA-256 over all of those; the mirror state is the suite's
 * InRelease file as the mirror serves it now.
 */

#define CACHE_MAX_RELEASE	(4 * 1024 * 1024)

struct fetch {
	char	*buf;
	size_t	 len;
};

/* Where cached images live: ROOTSTRAP_CACHE, or the XDG cache dir. */
char *
cache_dir(void)
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

static size_t
fetch_write(char *data, size_t size, size_t n, void *arg)
{
	struct fetch	*f = arg;

	if (f->len + size * n > CACHE_MAX_RELEASE)
		return (0);
	f->buf = xreallocarray(f->buf, f->len + size * n + 1, 1);
	memcpy(f->buf + f->len, data, size * n);
	f->len += size * n;
	return (size * n);
}

/*
 * One small request to the mirror, shared by the image cache's key and the
 * preflight check: GET into *body (when body is not NULL) or HEAD. Returns
 * libcurl's code; *status is the HTTP status, and err (CURL_ERROR_SIZE
 * bytes) libcurl's message.
 */
int
mirror_request(const char *url, const char *proxy, char **body,
    size_t *len, long *status, char *err)
{
	CURL		*curl;
	CURLcode	 code;
	struct fetch	 f = { NULL, 0 };

	*status = 0;
	*err = '\0';
	if ((curl = curl_easy_init()) == NULL) {
		snprintf(err, CURL_ERROR_SIZE, "curl_easy_init failed");
		return (CURLE_FAILED_INIT);
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	if (body == NULL)
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &f);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (proxy != NULL && *proxy != '\0')
		curl_easy_setopt(curl, CURLOPT_PROXY, proxy);
	code = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	if (*err == '\0' && code != CURLE_OK)
		snprintf(err, CURL_ERROR_SIZE, "%s", curl_easy_strerror(code));
	curl_easy_cleanup(curl);
	if (body != NULL) {
		*body = f.buf;
		*len = f.len;
	} else
		free(f.buf);
	return (code);
}

/* The suite's InRelease, fetched now: what "mirror state" means here. */
static int
mirror_state(const env_t *debian, struct sha256_ctx *h, char **cause)
{
	char		*url, *body = NULL, err[CURL_ERROR_SIZE];
	size_t		 len = 0;
	long		 status;
	int		 rc = -1;

	xasprintf(&url, "%s/dists/%s/InRelease", env_get(debian, "mirror"),
	    env_get(debian, "dist"));
	if (mirror_request(url, env_get(debian, "http_proxy"), &body, &len,
	    &status, err) != CURLE_OK)
		xasprintf(cause, "%s: %s", url, err);
	else if (status >= 400)
		xasprintf(cause, "%s: HTTP status %ld", url, status);
	else {
		sha256_update(h, len, (const uint8_t *)body);
		rc = 0;
	}
	free(body);
	free(url);
	return (rc);
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
	    "umlargs", "ROOTSTRAP_WORKDIR", "stall_timeout", NULL };
	size_t	 i, len;

	for (i = 0; keys[i] != NULL; i++) {
		len = strlen(keys[i]);
		if (strncmp(kv, keys[i], len) == 0 && kv[len] == '=')
			return (1);
	}
	return (0);
}

/*
 * The configuration part of a build's identity: every step's name and
 * environment (sorted, without the per-build paths) and the [network]
 * settings the uml module reads. Module files are hashed too unless
 * files is 0, which also leaves out runtime_key()s. Sets *debian if the
 * debian module runs.
 */
static int
hash_plan(struct sha256_ctx *h, const struct plan *p, int files,
    int *debian, char **cause)
{
	struct strv		 env = { 0 };
	const struct step	*s;
	size_t			 i, j;

	*debian = 0;
	for (i = 0; i < p->nsteps; i++) {
		s = &p->steps[i];
		hash_str(h, s->name);
		if (files && s->path != NULL &&
		    sha256_update_file(h, s->path, NULL, cause) != 0)
			return (-1);
		for (j = 0; j < s->env.n; j++) {
			if (strncmp(s->env.v[j], "ROOTSTRAP_IMAGE=", 16) != 0 &&
			    strncmp(s->env.v[j], "ROOTSTRAP_RUNDIR=", 17) != 0 &&
			    (files || !runtime_key(s->env.v[j])))
				strv_add(&env, s->env.v[j]);
		}
		if (env.n > 0)
			qsort(env.v, env.n, sizeof *env.v, cmp_str);
		for (j = 0; j < env.n; j++)
			hash_str(h, env.v[j]);
		strv_free(&env);
		*debian |= s->stock != NULL && strcmp(s->name, "debian") == 0;
	}
	for (j = 0; j < p->net.n; j++) {
		if (files || !runtime_key(p->net.v[j]))
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
	int			 debian, k;

	sha256_init(&h);
	hash_plan(&h, p, 0, &debian, &cause);
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
 * The key of a build: the plan with its module files, the builder and its
 * shortcut, the kernel, the extra UML arguments, SOURCE_DATE_EPOCH and the
 * mirror's state. NULL, with *cause, if the state cannot be known: then
 * the build is not cached.
 */
char *
cache_key(const struct plan *p, const char *builder, const char *extra,
    char **cause)
{
	struct sha256_ctx	 h;
	struct stat		 st;
	uint8_t			 d[SHA256_DIGEST_SIZE];
	const char		*slash;
	char			*key, *kernel, *shortcut;
	size_t			 i;
	int			 debian;

	sha256_init(&h);
	hash_str(&h, PACKAGE_VERSION);
	if (sha256_update_file(&h, builder, NULL, cause) != 0)
		return (NULL);
	/* And the shortcut beside it, which it binds into the target. */
	if ((slash = strrchr(builder, '/')) != NULL) {
		xasprintf(&shortcut, "%.*s/shortcut", (int)(slash - builder),
		    builder);
		if (access(shortcut, F_OK) == 0 &&
		    sha256_update_file(&h, shortcut, NULL, cause) != 0) {
			free(shortcut);
			return (NULL);
		}
		free(shortcut);
	}
	kernel = host_which(env_get(&p->global, "kernel"));
	if (kernel == NULL || stat(kernel, &st) != 0) {
		xasprintf(cause, "%s: not found", env_get(&p->global, "kernel"));
		free(kernel);
		return (NULL);
	}
	xasprintf(&key, "%s %lld %lld %lld", kernel, (long long)st.st_size,
	    (long long)st.st_mtime, source_date_epoch());
	hash_str(&h, key);
	free(key);
	free(kernel);
	hash_str(&h, extra != NULL ? extra : "");
	if (hash_plan(&h, p, 1, &debian, cause) != 0)
		return (NULL);
	if (debian && mirror_state(&p->debian, &h, cause) != 0)
		return (NULL);
	sha256_digest(&h, sizeof d, d);
	key = xmalloc(2 * sizeof d + 1);
	for (i = 0; i < sizeof d; i++)
		snprintf(key + 2 * i, 3, "%02x", d[i]);
	return (key);
}

/* Copy [*off, end) with read and write; returns bytes, or -1. */
static ssize_t
copy_slowly(int in, int out, off_t *off, off_t end)
{
	char	 buf[65536];
	ssize_t	 n, w, done, total = 0;

	while (*off < end) {
		n = pread(in, buf, end - *off < (off_t)sizeof buf ?
		    (size_t)(end - *off) : sizeof buf, *off);
		if (n <= 0)
			return (n == 0 && total > 0 ? total : -1);
		/* A short write is retried, so a full disk shows as ENOSPC. */
		for (done = 0; done < n; done += w) {
			if ((w = pwrite(out, buf + done, n - done,
			    *off + done)) <= 0)
				return (-1);
		}
		*off += n;
		total += n;
	}
	return (total);
}

/*
 * Copy a sparse file: a reflink where the filesystem can, else only its
 * data extents, so a 1 GB image with 300 MB in it costs 300 MB.
 */
int
file_copy(const char *src, const char *dst, char **cause)
{
	struct stat	 st;
	off_t		 data, hole;
	ssize_t		 n;
	int		 in, out = -1, rc = -1;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(in, &st) == -1) {
		xasprintf(cause, "%s: %s", src, strerror(errno));
		goto out;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out == -1) {
		xasprintf(cause, "%s: %s", dst, strerror(errno));
		goto out;
	}
	if (ioctl(out, FICLONE, in) == 0) {
		rc = 0;
		goto out;
	}
	for (data = 0; (data = lseek(in, data, SEEK_DATA)) != -1;
	    data = hole) {
		if ((hole = lseek(in, data, SEEK_HOLE)) == -1)
			break;
		while (data < hole) {
			n = copy_file_range(in, &data, out, &data, hole - data,
			    0);
			/* Across filesystems the kernel may refuse: copy. */
			if (n == -1 && (errno == EXDEV || errno == EINVAL ||
			    errno == ENOSYS || errno == EOPNOTSUPP))
				n = copy_slowly(in, out, &data, hole);
			if (n <= 0) {
				xasprintf(cause, "%s: %s while copying", dst,
				    n == 0 ? "short copy" : strerror(errno));
				goto out;
			}
		}
	}
	if (errno != ENXIO && data == -1) {
		xasprintf(cause, "%s: %s while copying", src, strerror(errno));
		goto out;
	}
	if (ftruncate(out, st.st_size) == -1) {
		xasprintf(cause, "%s: %s", dst, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (in != -1)
		close(in);
	if (out != -1 && close(out) == -1 && rc == 0) {
		xasprintf(cause, "%s: %s", dst, strerror(errno));
		rc = -1;
	}
	if (rc != 0 && out != -1)
		unlink(dst);
	return (rc);
}

/* The cached image for key, or NULL. */
char *
cache_lookup(const char *dir, const char *key)
{
	char	*path;

	xasprintf(&path, "%s/%s.img", dir, key);
	if (access(path, R_OK) == 0)
		return (path);
	free(path);
	return (NULL);
}

/* Where cache_store() copies an image before renaming it into place. */
char *
cache_tmpname(const char *dir, const char *key)
{
	char	*tmp;

	xasprintf(&tmp, "%s/.%s.img.tmp", dir, key);
	return (tmp);
}

/* Keep a copy of a finished image, and a line saying what it is. */
int
cache_store(const char *dir, const char *key, const char *image,
    const char *what, char **cause)
{
	char	*tmp, *path, *info, *line;
	int	 rc = -1;

	if (guest_mkdirs(dir, 0755, cause) != 0)
		return (-1);
	tmp = cache_tmpname(dir, key);
	/* A killed store's leftover (whatever it is) must not stop this one. */
	unlink(tmp);
	xasprintf(&path, "%s/%s.img", dir, key);
	xasprintf(&info, "%s/%s.info", dir, key);
	xasprintf(&line, "%lld %s\n", (long long)time(NULL), what);
	if (file_copy(image, tmp, cause) == 0 &&
	    guest_write(info, line, 0644, cause) == 0) {
		if (rename(tmp, path) == 0)
			rc = 0;
		else
			xasprintf(cause, "%s: %s", path, strerror(errno));
	}
	unlink(tmp);
	free(tmp);
	free(path);
	free(info);
	free(line);
	return (rc);
}

/* rootstrap cache list|clean */
int
cache_main(int argc, char **argv)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		*dir = cache_dir(), *path, *info, *key;
	long long	 when;
	size_t		 len;
	int		 clean;

	if (argc != 2 || (strcmp(argv[1], "list") != 0 &&
	    strcmp(argv[1], "clean") != 0)) {
		fprintf(stderr, "usage: rootstrap cache list|clean\n");
		return (EXIT_USAGE);
	}
	clean = strcmp(argv[1], "clean") == 0;
	if (dir == NULL || (d = opendir(dir)) == NULL) {
		if (dir != NULL && errno != ENOENT) {
			fprintf(stderr, "rootstrap: %s: %s\n", dir,
			    strerror(errno));
			return (EXIT_BUILD);
		}
		return (0);
	}
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
			char *text = guest_read(info, 4096);
			char *what = text, date[32] = "?";
			struct tm tm;
			time_t t;

			when = text != NULL ? strtoll(text, &what, 10) : 0;
			if (what != NULL && *what == ' ')
				what++;
			t = (time_t)when;
			if (when != 0 && gmtime_r(&t, &tm) != NULL)
				strftime(date, sizeof date, "%Y-%m-%d %H:%M", &tm);
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
	if (clean)
		printf("removed the cached images in %s\n", dir);
	free(dir);
	return (0);
}
