/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootstrap.h"
#include "debs.h"
#include "dpkgdb.h"

/*
 * A stand-in for the host-side fetch, for the tests only: the set is every
 * .deb in $ROOTSTRAP_TEST_DEBS, in name order, each with its control file
 * (dpkg-deb -f) as its stanza. It lets the tests build with method=host
 * from a local package cache, without the mirror.
 */

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return (strcmp((*a)->d_name, (*b)->d_name));
}

static char *
control_of(const char *deb)
{
	struct buf	 b = { NULL, 0, 0 };
	char		*cmd, chunk[4096];
	FILE		*f;
	size_t		 n;

	xasprintf(&cmd, "dpkg-deb -f '%s'", deb);
	f = popen(cmd, "r");
	free(cmd);
	if (f == NULL)
		return (NULL);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	if (pclose(f) != 0 || b.s == NULL) {
		free(b.s);
		return (NULL);
	}
	return (b.s);
}

int
debset_fetch(const env_t *debian, const env_t *global, struct debset *out,
    char **cause)
{
	const char	*dir = getenv("ROOTSTRAP_TEST_DEBS");
	struct dirent	**names;
	struct deb	*d;
	char		*prio;
	int		 n, i;
	size_t		 len;

	(void)debian;
	(void)global;
	memset(out, 0, sizeof *out);
	if (dir == NULL || (n = scandir(dir, &names, NULL, by_name)) < 0) {
		xasprintf(cause, "ROOTSTRAP_TEST_DEBS: %s: not a directory",
		    dir != NULL ? dir : "(unset)");
		return (-1);
	}
	for (i = 0; i < n; i++) {
		len = strlen(names[i]->d_name);
		if (len > 4 && strcmp(names[i]->d_name + len - 4, ".deb") == 0) {
			out->v = xreallocarray(out->v, out->n + 1,
			    sizeof *out->v);
			d = &out->v[out->n++];
			memset(d, 0, sizeof *d);
			xasprintf(&d->path, "%s/%s", dir, names[i]->d_name);
			if ((d->control = control_of(d->path)) == NULL) {
				xasprintf(cause, "%s: dpkg-deb -f failed",
				    d->path);
				return (-1);
			}
			d->package = control_field(d->control, "Package");
			prio = control_field(d->control, "Priority");
			/* debootstrap's required set, roughly. */
			d->required = (prio != NULL &&
			    strcmp(prio, "required") == 0) ||
			    strcmp(d->package, "usr-is-merged") == 0;
			free(prio);
		}
		free(names[i]);
	}
	free(names);
	log_info("test stand-in: %zu packages from %s", out->n, dir);
	return (0);
}

void
debset_free(struct debset *set)
{
	size_t	 i;

	for (i = 0; i < set->n; i++) {
		free(set->v[i].path);
		free(set->v[i].package);
		free(set->v[i].control);
	}
	free(set->v);
	memset(set, 0, sizeof *set);
}
