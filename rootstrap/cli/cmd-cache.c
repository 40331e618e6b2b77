/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* rootstrap cache list|clean: the image cache (build/imgcache.c). */
static int
cmd_cache(int argc, char **argv)
{
	char	*dir;
	int	 clean, rc = 0;

	if (argc != 2 || (strcmp(argv[1], "list") != 0 &&
	    strcmp(argv[1], "clean") != 0))
		return (CMD_USAGE);
	clean = strcmp(argv[1], "clean") == 0;
	if ((dir = imgcache_dir()) == NULL)
		return (0);
	if (imgcache_list(dir, clean) != 0) {
		fprintf(stderr, "rootstrap: %s: %s\n", dir, strerror(errno));
		rc = EXIT_BUILD;
	} else if (clean)
		printf("removed the cached images in %s\n", dir);
	free(dir);
	return (rc);
}

const struct cmd_entry cmd_cache_entry = {
	.name = "cache",
	.usage = "list|clean",
	.help =
"List the images the image cache holds, or remove them all. The cache is\n"
"$ROOTSTRAP_CACHE, else $XDG_CACHE_HOME/rootstrap/images, else\n"
"~/.cache/rootstrap/images.\n",
	.exec = cmd_cache,
};
