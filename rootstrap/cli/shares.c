/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/*
 * -s HOST[:GUEST][:rw] of run and start: a host directory mounted in the
 * guest, and what its UML may reach for it (uml/confine.c).
 */

/* HOST[:GUEST][:rw], checked and made absolute: "rw|ro HOST GUEST". */
void
share_add(struct strv *shares, const char *arg)
{
	char	*copy = xstrdup(arg), *host, *guest, *mode, *abs;
	int	 rw = 0;

	host = copy;
	if ((guest = strchr(copy, ':')) != NULL) {
		*guest++ = '\0';
		if ((mode = strchr(guest, ':')) != NULL) {
			*mode++ = '\0';
			if (strcmp(mode, "rw") != 0 && strcmp(mode, "ro") != 0)
				errx(EXIT_USAGE, "--share %s: '%s' is neither "
				    "rw nor ro", arg, mode);
			rw = strcmp(mode, "rw") == 0;
		} else if (strcmp(guest, "rw") == 0 || strcmp(guest, "ro") == 0) {
			rw = strcmp(guest, "rw") == 0;
			guest = NULL;
		}
	}
	if ((abs = realpath(host, NULL)) == NULL)
		err(EXIT_USAGE, "--share %s: %s", arg, host);
	if (guest == NULL || *guest == '\0')
		guest = abs;
	if (*guest != '/' || strstr(guest, "/../") != NULL ||
	    strchr(guest, '\n') != NULL || strchr(abs, '\n') != NULL ||
	    strchr(abs, ' ') != NULL || strchr(guest, ' ') != NULL)
		errx(EXIT_USAGE, "--share %s: paths must be absolute, without "
		    "spaces or '..'", arg);
	strv_addf(shares, "%s %s %s", rw ? "rw" : "ro", abs, guest);
	free(abs);
	free(copy);
}

/* The shares' host directories, for UML's confinement. */
void
share_reach(const struct strv *shares, struct uml *u)
{
	struct strv	 share = { 0 };
	size_t		 i;

	for (i = 0; i < shares->n; i++) {
		/* "ro|rw HOST GUEST", as share_add wrote it */
		strv_split(&share, shares->v[i], " ");
		strv_add(strcmp(share.v[0], "rw") == 0 ? &u->reach_rw :
		    &u->reach_ro, share.v[1]);
		strv_free(&share);
	}
}
