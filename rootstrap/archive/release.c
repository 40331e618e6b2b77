/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"

/*
 * The suite's InRelease: a clearsigned Release file. Only what gpgv says
 * the key signed is parsed (gpgv --output writes exactly that), so text
 * added around the signature cannot smuggle in other hashes. Its SHA256
 * list is what every index is checked against before use.
 */

#define GPGV		"gpgv"
#define GPGV_SAID_MAX	65536
#define GPGV_TIMEOUT	60
#define RELEASE_MAX	(16 * 1024 * 1024)

static int	 release_date(const char *, time_t *);

/*
 * Check path's signature against keyring with gpgv and return the signed
 * text in *out. A missing, bad or unknown-key signature is an error whose
 * cause ends with gpgv's own words; the caller names the file.
 */
int
release_verify(const char *keyring, const char *path, char **out,
    size_t *outlen, char **cause)
{
	struct buf	 said = { NULL, 0, 0 };
	char		*signed_path, *last, *why = NULL;
	char		*argv[] = { GPGV, "--quiet", "--keyring", (char *)keyring,
			    "--output", NULL, (char *)path, NULL };
	int		 rc;

	*out = NULL;
	*outlen = 0;
	xasprintf(&signed_path, "%s.signed", path);
	argv[5] = signed_path;
	unlink(signed_path);
	if ((rc = spawn_capture(argv, GPGV_TIMEOUT, &said, GPGV_SAID_MAX,
	    &why)) != 0) {
		/* gpgv says little; its last line is why. */
		while (said.len > 0 && said.s[said.len - 1] == '\n')
			said.s[--said.len] = '\0';
		last = said.s != NULL ? strrchr(said.s, '\n') : NULL;
		last = last != NULL ? last + 1 : said.s;
		xasprintf(cause, "signature check failed with keyring %s (%s)",
		    keyring, rc < 0 ? why : last != NULL && *last != '\0' ?
		    last : "gpgv failed");
		rc = -1;
	} else if ((*out = file_read(signed_path, RELEASE_MAX,
	    outlen)) == NULL) {
		xasprintf(cause, "%s: %s", signed_path, strerror(errno));
		rc = -1;
	}
	buf_free(&said);
	free(why);
	unlink(signed_path);
	free(signed_path);
	return (rc);
}

/* Parse the signed text of a Release file. */
int
release_parse(struct release *rel, const char *text, size_t len,
    char **cause)
{
	struct release_file	*f;
	char			*list, *line, *save = NULL, *end;
	char			 hash[65], path[1024];
	unsigned long long	 size = 0;
	size_t			 n = 0;

	memset(rel, 0, sizeof *rel);
	rel->suite = control_field(text, len, "Suite");
	rel->codename = control_field(text, len, "Codename");
	rel->date = control_field(text, len, "Date");
	rel->valid_until = control_field(text, len, "Valid-Until");
	if ((list = control_field(text, len, "SHA256")) == NULL) {
		xasprintf(cause, "no SHA256 field");
		return (-1);
	}
	/* field_get joined the lines with spaces: triples of words. */
	for (line = strtok_r(list, " ", &save); line != NULL;
	    line = strtok_r(NULL, " ", &save)) {
		if (n % 3 == 0) {
			if (strlen(line) != 64 ||
			    strspn(line, "0123456789abcdef") != 64)
				goto bad;
			memcpy(hash, line, 65);
		} else if (n % 3 == 1) {
			errno = 0;
			size = strtoull(line, &end, 10);
			if (errno != 0 || *end != '\0' ||
			    !isdigit((unsigned char)*line))
				goto bad;
		} else {
			if (strlen(line) >= sizeof path || *line == '/' ||
			    strstr(line, "..") != NULL)
				goto bad;
			rel->files = xreallocarray(rel->files,
			    rel->nfiles + 1, sizeof *rel->files);
			f = &rel->files[rel->nfiles++];
			f->path = xstrdup(line);
			memcpy(f->sha256, hash, sizeof f->sha256);
			f->size = size;
		}
		n++;
	}
	free(list);
	if (n % 3 != 0 || rel->nfiles == 0) {
		xasprintf(cause, "the SHA256 field is incomplete");
		return (-1);
	}
	return (0);
bad:
	xasprintf(cause, "bad SHA256 line near '%.80s'", line);
	free(list);
	return (-1);
}

const struct release_file *
release_find(const struct release *rel, const char *path)
{
	size_t	 i;

	for (i = 0; i < rel->nfiles; i++) {
		if (strcmp(rel->files[i].path, path) == 0)
			return (&rel->files[i]);
	}
	return (NULL);
}

/* "Sat, 10 Jun 2023 08:54:47 UTC" */
static int
release_date(const char *s, time_t *t)
{
	struct tm	 tm;
	const char	*end;

	memset(&tm, 0, sizeof tm);
	if ((end = strptime(s, "%a, %d %b %Y %H:%M:%S", &tm)) == NULL)
		return (-1);
	while (*end == ' ')
		end++;
	if (*end != '\0' && strcmp(end, "UTC") != 0 && strcmp(end, "GMT") != 0 &&
	    strcmp(end, "+0000") != 0 && strcmp(end, "Z") != 0)
		return (-1);
	*t = timegm(&tm);
	return (0);
}

/*
 * Is this the suite we asked for, and still valid? A mirror (or a man in
 * the middle) could otherwise serve another suite's, or an old, properly
 * signed file. Valid-Until is what apt checks; debootstrap does not, but
 * the archive sets it only where replaying an old file matters.
 */
int
release_check(const struct release *rel, const char *suite, time_t now,
    char **cause)
{
	if ((rel->suite == NULL || strcmp(rel->suite, suite) != 0) &&
	    (rel->codename == NULL || strcmp(rel->codename, suite) != 0)) {
		xasprintf(cause, "it is for suite '%s' (codename '%s'), not "
		    "'%s'", rel->suite != NULL ? rel->suite : "",
		    rel->codename != NULL ? rel->codename : "", suite);
		return (-1);
	}
	return (release_current(rel, now, cause));
}

/* Whether Valid-Until, if the file has one, is still ahead of now. */
int
release_current(const struct release *rel, time_t now, char **cause)
{
	time_t	 until;

	if (rel->valid_until == NULL)
		return (0);
	if (release_date(rel->valid_until, &until) != 0) {
		xasprintf(cause, "bad Valid-Until date '%.64s'",
		    rel->valid_until);
		return (-1);
	}
	if (until < now) {
		xasprintf(cause, "it expired (Valid-Until: %.64s)",
		    rel->valid_until);
		return (-1);
	}
	return (0);
}

void
release_free(struct release *rel)
{
	size_t	 i;

	for (i = 0; i < rel->nfiles; i++)
		free(rel->files[i].path);
	free(rel->files);
	free(rel->suite);
	free(rel->codename);
	free(rel->date);
	free(rel->valid_until);
	memset(rel, 0, sizeof *rel);
}
