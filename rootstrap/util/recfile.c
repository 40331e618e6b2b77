/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * The files the host and the guest hand each other in the run directory
 * (the plan, `rootstrap run`'s command): a magic first line, then one
 * record a line, "TAG VALUE", the value escaped (str_escape) so that it
 * may hold any byte but NUL, and a last line "end", so that a file cut
 * short is told from a whole one.
 */

void
recfile_add(struct recfile *r, const char *tag, const char *value)
{
	strv_add(&r->tags, tag);
	strv_add(&r->values, value);
}

void
recfile_free(struct recfile *r)
{
	strv_free(&r->tags);
	strv_free(&r->values);
}

int
recfile_write(const char *path, const char *magic, const struct recfile *r,
    char **cause)
{
	FILE	*f;
	char	*e;
	size_t	 i;

	if ((f = fopen(path, "w")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	fprintf(f, "%s\n", magic);
	for (i = 0; i < r->tags.n; i++) {
		e = str_escape(r->values.v[i]);
		fprintf(f, "%s %s\n", r->tags.v[i], e);
		free(e);
	}
	fprintf(f, "end\n");
	if (ferror(f) | (fclose(f) != 0)) {
		xasprintf(cause, "%s: write error", path);
		return (-1);
	}
	return (0);
}

/* Read a file recfile_write wrote (up to max bytes) into r. */
int
recfile_read(const char *path, const char *magic, size_t max,
    struct recfile *r, char **cause)
{
	char	*buf, *line, *save, *sp, *v;
	int	 ended = 0, rc = -1;

	memset(r, 0, sizeof *r);
	if ((buf = file_read(path, max, NULL)) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	line = strtok_r(buf, "\n", &save);
	if (line == NULL || strcmp(line, magic) != 0) {
		xasprintf(cause, "%s: not a %s file", path, magic);
		goto out;
	}
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		if (strcmp(line, "end") == 0) {
			ended = 1;
			break;
		}
		if ((sp = strchr(line, ' ')) == NULL) {
			xasprintf(cause, "%s: bad line '%s'", path, line);
			goto out;
		}
		*sp = '\0';
		v = str_unescape(sp + 1);
		recfile_add(r, line, v);
		free(v);
	}
	if (!ended) {
		xasprintf(cause, "%s: cut short", path);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		recfile_free(r);
	free(buf);
	return (rc);
}
