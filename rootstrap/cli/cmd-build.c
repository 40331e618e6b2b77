/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/*
 * rootstrap [options] IMAGE: build an image, the original's command line
 * and more; and rootstrap import [options] TARBALL IMAGE, which builds one
 * from a root tarball's files instead of the debian module's packages.
 */

/* 0, or CMD_USAGE or CMD_HELP. */
static int
build_args(struct build_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "image-size",	required_argument,	NULL, 's' },
		{ "log",	required_argument,	NULL, 'o' },
		{ "no-cache",	no_argument,		NULL, 'C' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "umlargs",	required_argument,	NULL, 'u' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	uint64_t	 mb;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "c:hno:qs:u:vV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'h':
			return (CMD_HELP);
		case 'n':
			o->dry_run = 1;
			break;
		case 'C':
			o->no_cache = 1;
			break;
		case 'o':
			o->logfile = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 's':
			o->size = optarg;
			if (parse_uint(o->size, PARSE_MB_MAX, &mb) != 0 ||
			    mb == 0)
				errx(EXIT_USAGE, "-s: invalid size '%s' (a "
				    "whole number of MB, greater than 0)",
				    o->size);
			break;
		case 'u':
			o->umlextra = optarg;
			break;
		case 'v':
			log_verbose++;
			break;
		case 'V':
			printf("rootstrap %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			return (CMD_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (o->import != NULL) {
		if (argc != 2) {
			warnx("import: a tarball and an image file, please");
			return (CMD_USAGE);
		}
		o->import = argv[0];
		argc--;
		argv++;
	}
	if (argc != 1) {
		warnx(argc == 0 ? "no image file given" :
		    "only one image file, please");
		return (CMD_USAGE);
	}
	if (o->quiet && log_verbose) {
		warnx("-q and -v: choose one");
		return (CMD_USAGE);
	}
	o->image = argv[0];
	return (0);
}

static int
cmd_build(int argc, char **argv)
{
	struct build_opts	 o;
	int			 rc;

	memset(&o, 0, sizeof o);
	if ((rc = build_args(&o, argc, argv)) != 0)
		return (rc);
	return (build(&o));
}

/* Never cached: the tarball is not part of the key. */
static int
cmd_import(int argc, char **argv)
{
	struct build_opts	 o;
	int			 rc;

	memset(&o, 0, sizeof o);
	o.import = "";
	o.no_cache = 1;
	if ((rc = build_args(&o, argc, argv)) != 0)
		return (rc);
	return (build(&o));
}

/* The options build and import share; build also has --no-cache. */
#define OPTIONS_HEAD \
"  -c, --config FILE      read FILE after " SYSCONFDIR "/rootstrap/rootstrap.conf\n" \
"                         and ./rootstrap.conf\n" \
"  -n, --dry-run          check the configuration and print the plan\n" \
"  -o, --log LOGFILE      write the transcript to LOGFILE instead of stdout\n" \
"                         (without -o: the steps to stdout, all of it to\n" \
"                         IMAGEFILE.log)\n" \
"  -q, --quiet            show errors only (the transcript: IMAGEFILE.log)\n"
#define OPTIONS_TAIL \
"  -s, --image-size MB    initial image size (overrides initialsize)\n" \
"  -u, --umlargs ARGS     extra UML kernel arguments (added to umlargs)\n" \
"  -v, --verbose          show everything as it goes: the kernel's and the\n" \
"                         programs' output, debug lines (else the steps,\n" \
"                         and on a terminal a line with their progress)\n" \
"  -h, --help             show this help\n" \
"  -V, --version          show the version\n"

const struct cmd_entry cmd_build_entry = {
	.usage = "[-nqv] [-c file] [-o logfile] [-s MB] [-u umlargs] imagefile",
	.help =
"Build a Debian root filesystem image for User-Mode Linux, without root.\n"
"\n"
OPTIONS_HEAD
"      --no-cache         build even if the image cache has this image\n"
OPTIONS_TAIL
"\n"
"`rootstrap help COMMAND` says more about a command.\n",
	.exec = cmd_build,
};

const struct cmd_entry cmd_import_entry = {
	.name = "import",
	.usage = "[-nqv] [-c file] [-o logfile] [-s MB] tarball imagefile",
	.help =
"Make an image from a root filesystem tarball: its files, then the mount,\n"
"uml and umount modules in one UML boot.\n"
"\n"
OPTIONS_HEAD
OPTIONS_TAIL,
	.exec = cmd_import,
};
