/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/*
 * Finding programs. The guest sees the host's files, so a program the
 * guest will run along the configured PATH is looked for on the host,
 * along that same PATH, before anything starts.
 */

/* Where name is along the colon-separated path, or NULL. */
char *
which_in(const char *path, const char *name)
{
	struct strv	 dirs = { 0 };
	char		*p = NULL;
	size_t		 i;

	if (strchr(name, '/') != NULL)
		return (access(name, X_OK) == 0 ? xstrdup(name) : NULL);
	strv_split(&dirs, path != NULL ? path : "", ":");
	for (i = 0; i < dirs.n; i++) {
		xasprintf(&p, "%s/%s", dirs.v[i], name);
		if (access(p, X_OK) == 0)
			break;
		free(p);
		p = NULL;
	}
	strv_free(&dirs);
	return (p);
}

/* Where the host finds name (on rootstrap's own PATH), or NULL. */
char *
host_which(const char *name)
{
	const char	*path = getenv("PATH");

	return (which_in(path != NULL ? path : "/usr/bin:/bin", name));
}

int
host_has_program(const char *name)
{
	char	*p = host_which(name);

	free(p);
	return (p != NULL);
}
