/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "archive.h"

/*
 * Downloads with one libcurl multi handle: a few transfers at a time,
 * each into DEST.partial, resumed with a Range request after a broken
 * connection, retried with growing pauses after transient errors, and
 * given up when no byte arrives for a while. A file is renamed to DEST
 * only once its size and SHA256 match what the signed index says, so the
 * cache never holds a partial or corrupt file under a usable name; a
 * file that turns out corrupt is deleted, not resumed.
 */

#define FETCH_UNKNOWN_MAX	(16 * 1024 * 1024)	/* InRelease and such */
#define FETCH_CONNECT_TIMEOUT	30L
#define FETCH_BACKOFF_MAX	8000			/* ms */
#define FETCH_REPORT_MS		10000			/* log: a line each */

enum xfer_state { XFER_QUEUED, XFER_RUNNING, XFER_DONE };

struct xfer {
	struct fetch_item	*item;
	enum xfer_state		 state;
	CURL			*easy;
	char			*partial;
	int			 fd;
	uint64_t		 offset;	/* bytes kept from before */
	uint64_t		 got;		/* bytes this time */
	int			 tries;
	int			 toobig;
	int			 werr;		/* errno of a failed write */
	long long		 not_before;	/* ms: backoff */
	char			 err[CURL_ERROR_SIZE];
};

struct fetch {
	const struct fetch_opts	*opts;
	CURLM			*multi;
	struct xfer		*x;
	size_t			 n;
	size_t			 done, running;
	uint64_t		 total, bytes;	/* to fetch, fetched */
	long long		 start, last_report;
	int			 tty;
};

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Is path the file the index describes? Size first: it costs nothing. */
int
fetch_verify(const char *path, uint64_t size, const char *sha256,
    char **cause)
{
	struct stat	 st;
	char		 hex[65];
	uint64_t	 got;

	if (stat(path, &st) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if ((uint64_t)st.st_size != size) {
		xasprintf(cause, "%s: size %llu, expected %llu", path,
		    (unsigned long long)st.st_size, (unsigned long long)size);
		return (-1);
	}
	if (sha256_file(path, hex, &got, cause) != 0)
		return (-1);
	if (strcmp(hex, sha256) != 0) {
		xasprintf(cause, "%s: SHA256 %s, expected %s", path, hex,
		    sha256);
		return (-1);
	}
	return (0);
}

static size_t
xfer_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer	*x = arg;
	size_t		 len = size * nmemb, off = 0;
	long		 code = 0;
	uint64_t	 limit;
	ssize_t		 n;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	/* An error page is not the file. */
	if (code >= 300)
		return (len);
	if (x->got == 0 && x->offset > 0 && code == 200) {
		/* The server ignored our Range: start the file over. */
		if (ftruncate(x->fd, 0) != 0 || lseek(x->fd, 0, SEEK_SET) != 0) {
			x->werr = errno;
			return (0);
		}
		x->offset = 0;
	}
	limit = x->item->size != 0 ? x->item->size : FETCH_UNKNOWN_MAX;
	if (x->offset + x->got + len > limit) {
		x->toobig = 1;
		return (0);
	}
	while (off < len) {
		if ((n = write(x->fd, data + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			x->werr = errno;
			return (0);
		}
		off += n;
	}
	x->got += len;
	return (len);
}

/* Start (or resume) one transfer. */
static int
xfer_start(struct fetch *f, struct xfer *x, char **cause)
{
	const struct fetch_opts	*o = f->opts;
	struct stat		 st;

	/*
	 * The name is known in advance, so that a broken download resumes:
	 * safe only because the cache is the user's own (debset.c checks).
	 * A link or a FIFO there is still refused rather than written on.
	 */
	x->fd = open(x->partial, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0644);
	if (x->fd == -1 || fstat(x->fd, &st) != 0) {
		xasprintf(cause, "%s: %s", x->partial, errno == ELOOP ?
		    "a symbolic link, not written through" : strerror(errno));
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: not a regular file", x->partial);
		return (-1);
	}
	x->offset = st.st_size;
	/* Unknown sizes are small files: never worth resuming. */
	if (x->item->size == 0 || x->offset >= x->item->size)
		x->offset = 0;
	if (ftruncate(x->fd, x->offset) != 0 ||
	    lseek(x->fd, x->offset, SEEK_SET) == -1) {
		xasprintf(cause, "%s: %s", x->partial, strerror(errno));
		return (-1);
	}
	x->got = 0;
	x->toobig = 0;
	x->werr = 0;
	x->err[0] = '\0';
	if ((x->easy = curl_easy_init()) == NULL) {
		xasprintf(cause, "curl_easy_init failed");
		return (-1);
	}
	curl_easy_setopt(x->easy, CURLOPT_URL, x->item->url);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, xfer_write);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->err);
	curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(x->easy, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "rootstrap/"
	    PACKAGE_VERSION);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT, FETCH_CONNECT_TIMEOUT);
	/* A stalled server: fewer than 1 byte/s for that long ends it. */
	curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_TIME, o->stall);
	if (o->proxy != NULL && *o->proxy != '\0')
		curl_easy_setopt(x->easy, CURLOPT_PROXY, o->proxy);
	if (o->noproxy != NULL && *o->noproxy != '\0')
		curl_easy_setopt(x->easy, CURLOPT_NOPROXY, o->noproxy);
	if (x->offset > 0)
		curl_easy_setopt(x->easy, CURLOPT_RESUME_FROM_LARGE,
		    (curl_off_t)x->offset);
	if (curl_multi_add_handle(f->multi, x->easy) != CURLM_OK) {
		xasprintf(cause, "curl_multi_add_handle failed");
		return (-1);
	}
	if (x->offset > 0)
		log_debug("%s: resuming at %llu bytes", x->item->url,
		    (unsigned long long)x->offset);
	x->state = XFER_RUNNING;
	x->tries++;
	f->running++;
	return (0);
}

static void
xfer_stop(struct fetch *f, struct xfer *x)
{
	if (x->easy != NULL) {
		curl_multi_remove_handle(f->multi, x->easy);
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
		f->running--;
	}
	if (x->fd != -1) {
		close(x->fd);
		x->fd = -1;
	}
}

/* Try again later, or give up when the tries are used up. */
static int
xfer_retry(struct fetch *f, struct xfer *x, const char *why, char **cause)
{
	long long	 wait;

	if (x->tries > f->opts->retries) {
		xasprintf(cause, "%s: %s (gave up after %d tries)",
		    x->item->url, why, x->tries);
		return (-1);
	}
	wait = 1000LL << (x->tries - 1);
	if (wait > FETCH_BACKOFF_MAX)
		wait = FETCH_BACKOFF_MAX;
	log_warnx("%s: %s; trying again in %lld s", x->item->url, why,
	    wait / 1000);
	x->not_before = now_ms() + wait;
	x->state = XFER_QUEUED;
	return (0);
}

/* One transfer ended: keep, retry or fail. */
static int
xfer_finish(struct fetch *f, struct xfer *x, CURLcode code, char **cause)
{
	struct fetch_item	*it = x->item;
	struct stat		 st;
	char			*why = NULL, *bad = NULL;
	long			 status = 0;
	int			 rc = -1;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	xfer_stop(f, x);
	if (x->werr != 0) {
		xasprintf(cause, "%s: %s", x->partial, strerror(x->werr));
		return (-1);
	}
	if (x->toobig) {
		/* More bytes than the index promised: not our file. */
		unlink(x->partial);
		if (it->size == 0) {
			xasprintf(cause, "%s: larger than %d bytes", it->url,
			    FETCH_UNKNOWN_MAX);
			return (-1);
		}
		xasprintf(&why, "larger than the %llu bytes the index says",
		    (unsigned long long)it->size);
		goto retry;
	}
	if (code != CURLE_OK) {
		xasprintf(&why, "%s", *x->err != '\0' ? x->err :
		    curl_easy_strerror(code));
		goto retry;
	}
	if (status == 416) {
		/* Our partial file does not fit the server's: start over. */
		unlink(x->partial);
		xasprintf(&why, "HTTP status 416 for a resumed download");
		goto retry;
	}
	if (status >= 500 || status == 408 || status == 429) {
		xasprintf(&why, "HTTP status %ld", status);
		goto retry;
	}
	if (status >= 300) {
		if (x->offset == 0)
			unlink(x->partial);
		xasprintf(cause, "%s: HTTP status %ld", it->url, status);
		return (-1);
	}

	/* Complete as far as the server is concerned: check it. */
	if (it->size != 0 && fetch_verify(x->partial, it->size, it->sha256,
	    &bad) != 0) {
		if (stat(x->partial, &st) != 0) {
			xasprintf(cause, "%s", bad);
			free(bad);
			return (-1);
		}
		if ((uint64_t)st.st_size < it->size) {
			/* A short file: the rest may come with a Range. */
			free(bad);
			xasprintf(&why, "got %llu of %llu bytes",
			    (unsigned long long)st.st_size,
			    (unsigned long long)it->size);
			goto retry;
		}
		/* Corrupt: it must not be resumed, let alone kept. */
		unlink(x->partial);
		xasprintf(&why, "corrupt download (%s)", bad);
		free(bad);
		goto retry;
	}
	if (rename(x->partial, it->dest) != 0) {
		xasprintf(cause, "%s: %s while renaming it to %s", x->partial,
		    strerror(errno), it->dest);
		return (-1);
	}
	x->state = XFER_DONE;
	f->done++;
	f->bytes += x->offset + x->got;
	return (0);
retry:
	rc = xfer_retry(f, x, why, cause);
	free(why);
	return (rc);
}

static void
fetch_report(struct fetch *f, int last)
{
	uint64_t	 bytes = f->bytes;
	long long	 now = now_ms(), ms;
	const char	*name;
	size_t		 i;
	double		 rate;

	for (i = 0; i < f->n; i++) {
		if (f->x[i].state == XFER_RUNNING)
			bytes += f->x[i].got;
	}
	ms = now - f->start > 0 ? now - f->start : 1;
	rate = bytes / 1048576.0 / (ms / 1000.0);
	if (f->tty && !last && f->n == 1) {
		name = strrchr(f->x[0].item->url, '/');
		progress_update("%s, %.1f/%.1f MB, %.1f MB/s", name != NULL ?
		    name + 1 : f->x[0].item->url, bytes / 1048576.0,
		    f->total / 1048576.0, rate);
	} else if (f->tty && !last) {
		progress_update("%zu/%zu, %.1f/%.1f MB, %.1f MB/s", f->done,
		    f->n, bytes / 1048576.0, f->total / 1048576.0, rate);
	} else if (last || now - f->last_report >= FETCH_REPORT_MS) {
		/* On a terminal, the last report stays as a step line. */
		log_info("fetched %zu/%zu, %.1f/%.1f MB, %.1f MB/s", f->done,
		    f->n, bytes / 1048576.0, f->total / 1048576.0, rate);
		f->last_report = now;
	}
}

/*
 * Fetch items[0..n) into their dest paths. Items whose dest already
 * verifies are not fetched. 0, or -1 with *cause naming the URL; other
 * transfers are then stopped, leaving only .partial files behind.
 */
int
fetch_files(struct fetch_item *items, size_t n, const struct fetch_opts *o,
    char **cause)
{
	struct fetch	 f;
	struct xfer	*x;
	CURLMsg		*msg;
	CURLcode	 code;
	long long	 now, wait, next_report = 0;
	long		 timeout;
	size_t		 i, queued;
	int		 left, still, rc = -1;

	memset(&f, 0, sizeof f);
	f.opts = o;
	f.tty = progress_active();
	progress_begin("fetching");
	f.x = xcalloc(n + 1, sizeof *f.x);
	for (i = 0; i < n; i++) {
		x = &f.x[i];
		x->item = &items[i];
		x->fd = -1;
		xasprintf(&x->partial, "%s.partial", items[i].dest);
		x->state = XFER_QUEUED;
		f.total += items[i].size;
	}
	f.n = n;
	if ((f.multi = curl_multi_init()) == NULL) {
		xasprintf(cause, "curl_multi_init failed");
		goto out;
	}
	f.start = f.last_report = now_ms();

	for (;;) {
		if (spawn_interrupted()) {
			xasprintf(cause, "interrupted by %s",
			    strsignal(spawn_signal));
			goto out;
		}
		/* Start what may start. */
		now = now_ms();
		wait = 1000;
		queued = 0;
		for (i = 0; i < n; i++) {
			x = &f.x[i];
			if (x->state != XFER_QUEUED)
				continue;
			queued++;
			if (x->not_before > now) {
				if (x->not_before - now < wait)
					wait = x->not_before - now;
				continue;
			}
			if (f.running < (size_t)o->parallel &&
			    xfer_start(&f, x, cause) != 0)
				goto out;
		}
		if (queued == 0 && f.running == 0)
			break;

		curl_multi_perform(f.multi, &still);
		while ((msg = curl_multi_info_read(f.multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			code = msg->data.result;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&x);
			if (xfer_finish(&f, x, code, cause) != 0)
				goto out;
			/* A free slot: fill it now, not after a poll. */
			wait = 0;
		}
		/* One file of known size (the kernel's): on a terminal only. */
		if ((f.n > 1 || (f.tty && f.total > 0)) &&
		    (f.tty ? now >= next_report : 1)) {
			fetch_report(&f, 0);
			next_report = now + 250;
		}
		/*
		 * file:// transfers have no socket to wait on: only curl's
		 * own timer says when to call it again.
		 */
		if (curl_multi_timeout(f.multi, &timeout) == CURLM_OK &&
		    timeout >= 0 && timeout < wait)
			wait = timeout;
		if (wait > 0)
			curl_multi_poll(f.multi, NULL, 0, (int)wait, NULL);
	}
	if (f.n > 1)
		fetch_report(&f, 1);
	rc = 0;
out:
	progress_end();
	for (i = 0; i < n; i++) {
		xfer_stop(&f, &f.x[i]);
		free(f.x[i].partial);
	}
	if (f.multi != NULL)
		curl_multi_cleanup(f.multi);
	free(f.x);
	return (rc);
}
