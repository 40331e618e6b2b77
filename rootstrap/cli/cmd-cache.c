/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/*
 * rootstrap cache list|clean: the image cache (build/imgcache.c), if no
 * other user could have written to it; a build trusts it no further.
 */
static int
cmd_cache(int argc, char **argv)
{
	char	*dir, *real, *cause = NULL;
	int	 clean, rc = 0;

	if (argc != 2 || (strcmp(argv[1], "list") != 0 &&
	    strcmp(argv[1], "clean") != 0))
		return (CMD_USAGE);
	clean = strcmp(argv[1], "clean") == 0;
	if ((dir = imgcache_dir()) == NULL)
		return (0);
	if ((real = trust_dir(dir, &cause)) == NULL && errno != ENOENT) {
		fprintf(stderr, "rootstrap: image cache: %s; not %s\n", cause,
		    clean ? "cleaned" : "listed");
		rc = EXIT_BUILD;
	} else if (real != NULL && imgcache_list(real, clean) != 0) {
		fprintf(stderr, "rootstrap: %s: %s\n", real, strerror(errno));
		rc = EXIT_BUILD;
	} else if (clean)
		printf("removed the cached images in %s\n", dir);
	free(cause);
	free(real);
	free(dir);
	return (rc);
}

const struct cmd_entry cmd_cache_entry = {
	.name = "cache",
	.usage = "list|clean",
	.help =
"List the images the image cache holds, or remove them all. The cache is\n"
"$ROOTSTRAP_CACHE, else $XDG_CACHE_HOME/rootstrap/images, else\n"
"~/.cache/rootstrap/images; it must be yours (or root's) and writable by\n"
"no one else, as must the directories above it unless they are sticky.\n",
	.exec = cmd_cache,
};
