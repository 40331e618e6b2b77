/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/*
 * rootstrap export image out; reproducible with SOURCE_DATE_EPOCH.
 * SIGINT, SIGTERM and SIGHUP stop it at once (the signalfd spawn_init
 * sets up is polled as the image is read), leaving nothing at out, and
 * the status says which signal: 128+N, as for a build.
 */
static int
cmd_export(int argc, char **argv)
{
	char		*cause = NULL;
	long long	 epoch;
	int		 rc;

	if (argc != 3)
		return (CMD_USAGE);
	if (source_date_epoch(&epoch, &cause) != 0)
		errx(EXIT_USAGE, "%s", cause);
	if (access(argv[1], R_OK) != 0)
		err(EXIT_USAGE, "%s", argv[1]);
	spawn_init();
	if (image_export(argv[1], argv[2], epoch, &cause) != 0) {
		fprintf(stderr, "rootstrap: %s\n", cause);
		if (spawn_signal != 0)
			rc = 128 + spawn_signal;
		else if (strstr(cause, "while opening the filesystem") != NULL)
			rc = EXIT_USAGE;
		else
			rc = EXIT_BUILD;
		free(cause);
		return (rc);
	}
	return (0);
}

const struct cmd_entry cmd_export_entry = {
	.name = "export",
	.usage = "image file.tar[.gz|.xz|.zst|...]|-",
	.help =
"Write the image's files as a tar archive, read from the image file: no\n"
"root, no mount, no UML. The suffix picks the compression; - is stdout.\n"
"With SOURCE_DATE_EPOCH set, the archive is normalised as reproducible\n"
"images are.\n",
	.exec = cmd_export,
};
