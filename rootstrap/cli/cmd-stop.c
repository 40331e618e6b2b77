/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/*
 * rootstrap stop: end a running instance. Its supervisor asks the guest
 * to end its commands and power off, kills it if it does not in time,
 * removes the instance and exits; we return when it has (its end closes
 * our connection), and check that nothing of it is left.
 */

static int
stop_one(const char *name)
{
	struct sockaddr_un	 sa;
	struct instance		 in;
	struct stat		 st;
	char			*cause = NULL, c;
	int			 fd;

	if (instance_find(name, &in, &cause) != 0) {
		log_error("stop: %s", cause);
		free(cause);
		return (EXIT_BUILD);
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/control", in.dir);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    frame_send(fd, FRAME_STOP, 0, NULL, 0) != 0) {
		log_error("stop: %s: %s", name, strerror(errno));
		instance_free(&in);
		return (EXIT_BUILD);
	}
	/* Nothing comes back: the supervisor's exit closes the socket. */
	while (read(fd, &c, 1) > 0 || errno == EINTR)
		continue;
	close(fd);
	if (lstat(in.dir, &st) == 0) {
		log_error("stop: %s: %s is left", name, in.dir);
		instance_free(&in);
		return (EXIT_BUILD);
	}
	instance_free(&in);
	return (0);
}

static int
cmd_stop(int argc, char **argv)
{
	int	 i, status = 0;

	log_fd = STDERR_FILENO;
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0))
		return (CMD_HELP);
	if (argc < 2) {
		warnx("stop: no instance given");
		return (CMD_USAGE);
	}
	for (i = 1; i < argc; i++) {
		if (stop_one(argv[i]) != 0)
			status = EXIT_BUILD;
	}
	return (status);
}

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.usage = "name ...",
	.help =
"Stop the running instances named: their commands are ended, the guest\n"
"powers off (or is killed after 10 s), and nothing of them is left.\n",
	.exec = cmd_stop,
};
