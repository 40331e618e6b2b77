/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debs.h"

/*
 * The suite's InRelease: a clearsigned Release file. Only what gpgv says
 * the key signed is parsed (gpgv --output writes exactly that), so text
 * added around the signature cannot smuggle in other hashes. Its SHA256
 * list is what every index is checked against before use.
 */

#define GPGV		"gpgv"
#define GPGV_ERR_MAX	4096
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
	char	 err[GPGV_ERR_MAX], *signed_path, *nl, *last;
	char	*argv[] = { GPGV, "--quiet", "--keyring", (char *)keyring,
		    "--output", NULL, (char *)path, NULL };
	size_t	 errlen = 0, cap = 0;
	ssize_t	 n;
	pid_t	 pid;
	int	 fds[2], status, fd = -1, rc = -1, null;

	*out = NULL;
	*outlen = 0;
	xasprintf(&signed_path, "%s.signed", path);
	argv[5] = signed_path;
	unlink(signed_path);
	if (pipe2(fds, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		goto out;
	}
	if (pid == 0) {
		if ((null = open("/dev/null", O_RDWR)) != -1) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		dup2(fds[1], STDERR_FILENO);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	/* gpgv says little; keep the end of what it says. */
	while ((n = read(fds[0], err + errlen, sizeof err - 1 - errlen)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		errlen += n;
		if (errlen == sizeof err - 1)
			errlen = 0;
	}
	close(fds[0]);
	err[errlen] = '\0';
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		while (errlen > 0 && err[errlen - 1] == '\n')
			err[--errlen] = '\0';
		last = (nl = strrchr(err, '\n')) != NULL ? nl + 1 : err;
		xasprintf(cause, "signature check failed with keyring %s (%s)",
		    keyring, *last != '\0' ? last : "gpgv failed");
		goto out;
	}

	/* The signed text. */
	if ((fd = open(signed_path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", signed_path, strerror(errno));
		goto out;
	}
	for (;;) {
		if (*outlen + 65536 + 1 > cap) {
			cap = cap == 0 ? 262144 : cap * 2;
			if (cap > RELEASE_MAX) {
				xasprintf(cause, "%s: larger than %d bytes",
				    path, RELEASE_MAX);
				goto out;
			}
			*out = xreallocarray(*out, cap, 1);
		}
		if ((n = read(fd, *out + *outlen, 65536)) == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(cause, "%s: %s", signed_path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		*outlen += n;
	}
	(*out)[*outlen] = '\0';
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
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
	rel->suite = field_get(text, len, "Suite");
	rel->codename = field_get(text, len, "Codename");
	rel->date = field_get(text, len, "Date");
	rel->valid_until = field_get(text, len, "Valid-Until");
	if ((list = field_get(text, len, "SHA256")) == NULL) {
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
	time_t	 until;

	if ((rel->suite == NULL || strcmp(rel->suite, suite) != 0) &&
	    (rel->codename == NULL || strcmp(rel->codename, suite) != 0)) {
		xasprintf(cause, "it is for suite '%s' (codename '%s'), not "
		    "'%s'", rel->suite != NULL ? rel->suite : "",
		    rel->codename != NULL ? rel->codename : "", suite);
		return (-1);
	}
	if (rel->valid_until != NULL) {
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
