/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "image/image.h"

/*
 * unpack-debs IMAGE MIRROR DIST DEB...: unpack_debs() on its own, for the
 * tests. The set is the .debs named, in that order, without a Packages
 * stanza (the unpacker then takes each .deb's own control file).
 */

int
main(int argc, char **argv)
{
	struct debset	 set;
	env_t		 env = { 0 };
	char		*cause;
	long long	 epoch;
	int		 i;

	if (argc < 5) {
		fprintf(stderr, "usage: unpack-debs image mirror dist "
		    "deb ...\n");
		return (2);
	}
	set.n = argc - 4;
	set.v = xcalloc(set.n, sizeof *set.v);
	for (i = 4; i < argc; i++)
		set.v[i - 4].path = argv[i];
	env_set(&env, "mirror", argv[2]);
	env_set(&env, "dist", argv[3]);
	env_set(&env, "components", "main");
	if (source_date_epoch(&epoch, &cause) != 0 ||
	    unpack_debs(argv[1], &set, &env, epoch, &cause) != 0) {
		fprintf(stderr, "unpack-debs: %s\n", cause);
		return (1);
	}
	free(set.v);
	strv_free(&env);
	return (0);
}
