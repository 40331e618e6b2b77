/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <fcntl.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/*
 * rootstrap: build a Debian root filesystem image for User-Mode Linux.
 * `rootstrap [options] IMAGE` builds; a first argument that names a
 * command runs that command instead. Each command is an entry of the
 * table below, in a cmd-*.c file of its own.
 */

static const struct cmd_entry *const cmd_table[] = {
	&cmd_build_entry,
	&cmd_run_entry,
	&cmd_start_entry,
	&cmd_exec_entry,
	&cmd_stop_entry,
	&cmd_ls_entry,
	&cmd_boot_entry,
	&cmd_cache_entry,
	&cmd_check_entry,
	&cmd_export_entry,
	&cmd_fetch_entry,
	&cmd_import_entry,
	&cmd_help_entry,
	NULL
};

/* "usage: rootstrap NAME USAGE": a command's synopsis line. */
static void
synopsis(FILE *f, const char *lead, const struct cmd_entry *e)
{
	fprintf(f, "%srootstrap%s%s %s\n", lead, e->name != NULL ? " " : "",
	    e->name != NULL ? e->name : "", e->usage);
}

/*
 * A command's usage and help: on stdout with status 0 (it was asked
 * for), else on stderr; then exit with status. The build's lists every
 * command, as `rootstrap --help` always has.
 */
static __attribute__((noreturn)) void
cmd_usage(const struct cmd_entry *e, int status)
{
	FILE	*f = status == 0 ? stdout : stderr;
	size_t	 i;

	synopsis(f, "usage: ", e);
	for (i = 0; e == &cmd_build_entry && cmd_table[i] != NULL; i++) {
		if (cmd_table[i]->name == NULL)
			continue;
		synopsis(f, "       ", cmd_table[i]);
		if (cmd_table[i]->alias != NULL)
			fprintf(f, "       rootstrap %s %s\n",
			    cmd_table[i]->alias, cmd_table[i]->usage);
	}
	if (e->help != NULL)
		fprintf(f, "\n%s", e->help);
	exit(status);
}

/* The entry for name (a command's name or alias), or NULL. */
static const struct cmd_entry *
cmd_find(const char *name)
{
	size_t	 i;

	for (i = 0; cmd_table[i] != NULL; i++) {
		if ((cmd_table[i]->name != NULL &&
		    strcmp(cmd_table[i]->name, name) == 0) ||
		    (cmd_table[i]->alias != NULL &&
		    strcmp(cmd_table[i]->alias, name) == 0))
			return (cmd_table[i]);
	}
	return (NULL);
}

/* rootstrap help [COMMAND] */
static int
cmd_help(int argc, char **argv)
{
	const struct cmd_entry	*e = &cmd_build_entry;

	if (argc > 2)
		return (CMD_USAGE);
	if (argc == 2 && (e = cmd_find(argv[1])) == NULL) {
		warnx("help: no such command '%s'", argv[1]);
		return (CMD_USAGE);
	}
	cmd_usage(e, 0);
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.usage = "[command]",
	.help = "Show how to use rootstrap, or one of its commands.\n",
	.exec = cmd_help,
};

int
main(int argc, char **argv)
{
	const struct cmd_entry	*e = &cmd_build_entry;
	int			 rc, fd;

	/*
	 * A closed stdin, stdout or stderr becomes /dev/null before anything
	 * is opened: otherwise the next open (an image's lock, a control
	 * socket) would take its number and be read or written as stdio.
	 */
	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) == -1 && open("/dev/null", O_RDWR) != fd)
			return (EXIT_FAILURE);
	}
	if (argc > 1 && (e = cmd_find(argv[1])) != NULL) {
		argc--;
		argv++;
	} else
		e = &cmd_build_entry;
	if ((rc = e->exec(argc, argv)) == CMD_USAGE)
		cmd_usage(e, EXIT_USAGE);
	if (rc == CMD_HELP)
		cmd_usage(e, 0);
	return (rc);
}
