/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "archive.h"

/*
 * Single small requests to the mirror: whether it has the suite (the
 * preflight and `rootstrap check`), and the suite's InRelease as it is now
 * (the image cache's key). Downloads of indexes and packages are fetch.c's.
 */

#define MIRROR_MAX_BODY	(4 * 1024 * 1024)

static int	 mirror_file(const char *, const char *, const char *,
		     const char *, char **);

static size_t
body_write(char *data, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;

	if (b->len + size * n > MIRROR_MAX_BODY)
		return (0);
	buf_add(b, data, size * n);
	return (size * n);
}

/*
 * One request to url: GET into *body, or (body NULL) a GET of its first
 * byte alone, to ask whether it is there. Not HEAD: a caching proxy
 * passes HEAD to the mirror every time (apt-cacher-ng does, and answers
 * 503 when it is offline or the mirror is down) but serves a range from
 * its cache. Returns libcurl's code; *status is the HTTP status, and err
 * (CURL_ERROR_SIZE bytes) libcurl's message.
 */
int
mirror_request(const char *url, const char *proxy, char **body,
    size_t *len, long *status, char *err)
{
	CURL		*curl;
	CURLcode	 code;
	struct buf	 b = { NULL, 0, 0 };

	*status = 0;
	*err = '\0';
	if ((curl = curl_easy_init()) == NULL) {
		snprintf(err, CURL_ERROR_SIZE, "curl_easy_init failed");
		return (CURLE_FAILED_INIT);
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	if (body == NULL)
		curl_easy_setopt(curl, CURLOPT_RANGE, "0-0");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
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
		buf_add(&b, "", 0);
		*body = b.s;
		*len = b.len;
	} else
		buf_free(&b);
	return (code);
}

/* The suite's InRelease as the mirror serves it now, or NULL with *cause. */
char *
mirror_inrelease(const char *mirror, const char *dist, const char *proxy,
    size_t *len, char **cause)
{
	char	*url, *body = NULL, err[CURL_ERROR_SIZE];
	long	 status;

	xasprintf(&url, "%s/dists/%s/InRelease", mirror, dist);
	if (mirror_request(url, proxy, &body, len, &status, err) != CURLE_OK)
		xasprintf(cause, "%s: %s", url, err);
	else if (status >= 400)
		xasprintf(cause, "%s: HTTP status %ld", url, status);
	else {
		free(url);
		return (body);
	}
	free(body);
	free(url);
	return (NULL);
}

/*
 * Ask the mirror for the suite's InRelease, or its Release as debootstrap
 * falls back to (its first byte only). Returns 0 if it is there, 1 if the mirror
 * says it is not (404, or a file:// mirror without it), -1 if the mirror
 * cannot be reached; *cause says which.
 */
int
mirror_check(const char *mirror, const char *dist, const char *proxy,
    char **cause)
{
	int	 rc;

	rc = mirror_file(mirror, dist, "InRelease", proxy, cause);
	if (rc == 1) {
		free(*cause);
		*cause = NULL;
		rc = mirror_file(mirror, dist, "Release", proxy, cause);
	}
	return (rc);
}

static int
mirror_file(const char *mirror, const char *dist, const char *file,
    const char *proxy, char **cause)
{
	char	*url, err[CURL_ERROR_SIZE];
	long	 status;
	int	 code, rc = -1;

	xasprintf(&url, "%s/dists/%s/%s", mirror, dist, file);
	code = mirror_request(url, proxy, NULL, NULL, &status, err);
	if (code == CURLE_FILE_COULDNT_READ_FILE ||
	    (code == CURLE_OK && status == 404)) {
		xasprintf(cause, "no such suite '%s' on %s (%s: %s)", dist,
		    mirror, url, code == CURLE_OK ? "HTTP status 404" :
		    "no such file");
		rc = 1;
	} else if (code != CURLE_OK)
		xasprintf(cause, "cannot reach %s: %s", mirror, err);
	else if (status >= 400)
		xasprintf(cause, "%s: HTTP status %ld", url, status);
	else
		rc = 0;
	free(url);
	return (rc);
}

