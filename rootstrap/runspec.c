/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootstrap.h"

/*
 * The command `rootstrap run` hands the builder through the run directory:
 * its arguments (any bytes but NUL, escaped one per line), the host
 * directories to share and the network to bring up.
 */

#define RUNSPEC_MAGIC	"rootstrap-run 1"

int
runspec_write(const struct runspec *r, const char *path, char **cause)
{
	FILE	*f;
	char	*e;
	size_t	 i;

	if ((f = fopen(path, "w")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	fprintf(f, "%s\nnet %s\n", RUNSPEC_MAGIC, r->net);
	if (r->workdir != NULL) {
		e = str_escape(r->workdir);
		fprintf(f, "cwd %s\n", e);
		free(e);
	}
	for (i = 0; i < r->shares.n; i++) {
		e = str_escape(r->shares.v[i]);
		fprintf(f, "share %s\n", e);
		free(e);
	}
	for (i = 0; i < r->argv.n; i++) {
		e = str_escape(r->argv.v[i]);
		fprintf(f, "arg %s\n", e);
		free(e);
	}
	fprintf(f, "end\n");
	if (ferror(f) | (fclose(f) != 0)) {
		xasprintf(cause, "%s: write error", path);
		return (-1);
	}
	return (0);
}

int
runspec_read(struct runspec *r, const char *path, char **cause)
{
	char	*buf, *line, *save, *v;
	int	 ended = 0, rc = -1;

	memset(r, 0, sizeof *r);
	if ((buf = guest_read(path, 1 << 20)) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	line = strtok_r(buf, "\n", &save);
	if (line == NULL || strcmp(line, RUNSPEC_MAGIC) != 0) {
		xasprintf(cause, "%s: not a rootstrap run file", path);
		goto out;
	}
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		if (strcmp(line, "end") == 0) {
			ended = 1;
			break;
		}
		if (strncmp(line, "net ", 4) == 0) {
			free(r->net);
			r->net = xstrdup(line + 4);
			continue;
		}
		v = strchr(line, ' ') != NULL ? str_unescape(
		    strchr(line, ' ') + 1) : NULL;
		if (v != NULL && strncmp(line, "arg ", 4) == 0)
			strv_add(&r->argv, v);
		else if (v != NULL && strncmp(line, "share ", 6) == 0)
			strv_add(&r->shares, v);
		else if (v != NULL && strncmp(line, "cwd ", 4) == 0) {
			free(r->workdir);
			r->workdir = xstrdup(v);
		} else {
			free(v);
			xasprintf(cause, "%s: bad line '%s'", path, line);
			goto out;
		}
		free(v);
	}
	if (!ended || r->argv.n == 0 || r->net == NULL) {
		xasprintf(cause, "%s: truncated run file", path);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	return (rc);
}

void
runspec_free(struct runspec *r)
{
	strv_free(&r->argv);
	strv_free(&r->shares);
	free(r->net);
	free(r->workdir);
	memset(r, 0, sizeof *r);
}
