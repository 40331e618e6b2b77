/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/*
 * rootstrap fetch: resolve and download what a build's [debian] section
 * asks for into the package cache, without building anything. Useful to
 * fill the cache ahead of time, to see the package list, and to test the
 * host-side fetch on its own.
 */

/* The configuration, checked as for a build. */
static void
fetch_config(struct conf *c, struct plan *p, const char *extra)
{
	size_t	 i;

	build_plan(c, p, extra, "IMAGE");
	/* [debian] matters here even when no build would run debian. */
	if (plan_stock(p, HAS_ARCHIVE) == NULL && c->errors.n == 0)
		stock_module("debian")->check(c, &p->debian);
	for (i = 0; i < c->errors.n; i++)
		fprintf(stderr, "%s\n", c->errors.v[i]);
	if (c->errors.n != 0)
		errx(EXIT_USAGE, "%zu error%s in the configuration; nothing "
		    "was fetched", c->errors.n, c->errors.n == 1 ? "" : "s");
}

static int
cmd_fetch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "print",	no_argument,		NULL, 'p' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "kernel",	no_argument,		NULL, 'k' },
		{ NULL,		0,			NULL, 0 }
	};
	struct conf	 c;
	struct plan	 p;
	struct debset	 set;
	const char	*config = NULL;
	char		*cause = NULL;
	size_t		 i;
	int		 ch, print = 0, dry_run = 0, kernel = 0;

	while ((ch = getopt_long(argc, argv, "+c:knpvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			kernel = 1;
			break;
		case 'c':
			config = optarg;
			break;
		case 'n':
			dry_run = 1;
			break;
		case 'p':
			print = 1;
			break;
		case 'v':
			log_verbose++;
			break;
		case 'h':
			return (CMD_HELP);
		default:
			return (CMD_USAGE);
		}
	}
	if (optind != argc)
		return (CMD_USAGE);
	/* stdout is for --print; progress and messages go to stderr. */
	log_fd = STDERR_FILENO;
	progress_init(STDERR_FILENO);
	fetch_config(&c, &p, config);
	spawn_init();
	if (kernel && kernel_update(&p.global, &p.debian, &cause) != 0) {
		log_error("fetch: kernel: %s", cause);
		free(cause);
		return (spawn_signal != 0 ? 128 + spawn_signal : EXIT_BUILD);
	}
	if ((dry_run ? debset_resolve : debset_fetch)(&p.debian, &p.global,
	    &set, &cause) != 0) {
		log_error("fetch: %s", cause);
		free(cause);
		return (spawn_signal != 0 ? 128 + spawn_signal : EXIT_BUILD);
	}
	for (i = 0; print && i < set.n; i++)
		printf("%s %s %s\n", set.v[i].package, set.v[i].version,
		    set.v[i].path);
	debset_free(&set);
	plan_free(&p);
	conf_free(&c);
	return (fflush(stdout) == 0 ? 0 : EXIT_BUILD);
}

const struct cmd_entry cmd_fetch_entry = {
	.name = "fetch",
	.usage = "[-knpv] [-c file]",
	.help =
"Resolve and download the packages [debian] asks for into the package\n"
"cache, verified against the suite's signed InRelease.\n"
"\n"
"  -c, --config FILE   read FILE after the system and ./rootstrap.conf\n"
"  -k, --kernel        also the newest kernel of kernel_suite, for\n"
"                      kernel=auto (see rootstrap check)\n"
"  -n, --dry-run       resolve only: fetch the indexes, not the packages\n"
"  -p, --print         print \"package version path\" for each package,\n"
"                      in installation order\n"
"  -v, --verbose       show debug lines\n"
"  -h, --help          show this help\n",
	.exec = cmd_fetch,
};
