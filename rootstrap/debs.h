/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#ifndef DEBS_H
#define DEBS_H

#include <stddef.h>

#include "rootstrap.h"

/* The package set of a build, fetched and verified on the host. */
struct deb {
	char	*package, *version, *arch;
	char	*path;		/* verified .deb */
	char	*control;	/* whole Packages stanza */
	int	 essential;
	int	 required;
};

struct debset {
	struct deb	*v;
	size_t		 n;
};

int	debset_fetch(const env_t *debian_env, const env_t *global_env,
	    struct debset *out, char **cause);
void	debset_free(struct debset *);

#endif
