/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/*
 * rootstrap boot: UML with the image's own init and the console on our
 * terminal, as `linux ubd0=root_fs ...` would, plus the network rootstrap
 * provides. An image built with transport=user brings up vec0 at its first
 * boot, and vec0 needs the libslirp NAT that only rootstrap runs: this is
 * how such an image is used. The arguments are UML's own, so the
 * documented command line works with `rootstrap boot` in front of it.
 */

static int
cmd_boot(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ "kernel",	required_argument,	NULL, 'k' },
		{ "net",	required_argument,	NULL, 'N' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ NULL,		0,			NULL, 0 }
	};
	const char		*net = "user";
	struct uml		 u;
	struct uml_result	 r;
	struct kernel		 kn;
	const char		*kernel = "auto";
	env_t			 env = { 0 };
	char			*dir, *cause = NULL;
	uint64_t		 timeout = 0;
	int			 ch, i, rc;

	memset(&u, 0, sizeof u);
	while ((ch = getopt_long(argc, argv, "+hk:N:t:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			return (CMD_HELP);
		case 'k':
			kernel = optarg;
			break;
		case 'N':
			net = optarg;
			if (strcmp(net, "user") != 0 &&
			    strcmp(net, "slirp") != 0 &&
			    strcmp(net, "none") != 0)
				errx(EXIT_USAGE, "boot: -N %s: not user, slirp "
				    "or none", net);
			break;
		case 't':
			if (parse_uint(optarg, PARSE_SECONDS_MAX,
			    &timeout) != 0 || timeout == 0)
				errx(EXIT_USAGE, "--timeout: invalid number of "
				    "seconds '%s'", optarg);
			break;
		default:
			return (CMD_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		warnx("boot: no UML arguments (at least ubd0=IMAGE)");
		return (CMD_USAGE);
	}
	for (i = 0; i < argc; i++)
		strv_add(&u.args, argv[i]);
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "ubd0=", 5) == 0 ||
		    strncmp(argv[i], "ubda=", 5) == 0)
			break;
	}
	if (i == argc)
		errx(EXIT_USAGE, "boot: no ubd0=IMAGE among the UML arguments");

	/*
	 * UML keeps its pid files in uml_dir, ~/.uml unless told: a private
	 * run directory serves (its image link is not used here).
	 */
	spawn_init();
	if (kernel_choose_default(kernel, &kn, &cause) != 0 ||
	    kn.k.path == NULL)
		errx(EXIT_USAGE, "%s: not found (apt-get install "
		    "user-mode-linux, or use --kernel)", kernel);
	u.kernel = kn.k.path;
	u.probe = &kn.k;
	if ((dir = rundir_make("/dev/null", &cause)) == NULL)
		errx(EXIT_BUILD, "%s", cause);
	u.rundir = dir;
	u.console = UML_CONSOLE_TERMINAL;
	u.timeout = (int)timeout;
	/* Our uml_net first, as for builds (transport=tuntap). */
	u.libexecdir = libexec_dir();
	if (strcmp(net, "none") != 0) {
		network_env(&env, net);
		u.net = &env;
	}
	uml_launch(&u, &r);
	strv_free(&env);
	strv_free(&u.args);
	free((char *)u.libexecdir);
	kernel_free(&kn);
	file_remove_tree(dir);
	free(dir);
	switch (r.end) {
	case UML_INTERRUPTED:
		rc = 128 + spawn_signal;
		break;
	case UML_TIMEDOUT:
		log_error("boot: %s", r.cause);
		rc = EXIT_TIMEOUT;
		break;
	case UML_EXITED:
	case UML_PANICKED:
		rc = r.status;
		break;
	case UML_KILLED:
		rc = 128 + r.status;
		break;
	default:
		log_error("boot: %s", r.cause);
		rc = EXIT_BUILD;
		break;
	}
	uml_result_free(&r);
	return (rc);
}

const struct cmd_entry cmd_boot_entry = {
	.name = "boot",
	.usage = "[-N user|slirp|none] [-k kernel] [-t seconds] [--] umlarg ...",
	.help =
"Boot User-Mode Linux with umlarg (e.g. ubd0=root_fs) and the image's own\n"
"init, the console on this terminal, and rootstrap's network:\n"
"\n"
"  -k, --kernel KERNEL    UML kernel (default auto: see rootstrap check)\n"
"  -N, --net TRANSPORT    user (default: vec0, libslirp NAT run by rootstrap),\n"
"                         slirp (eth0 through the slirp program) or none\n"
"  -t, --timeout SECONDS  kill the guest after SECONDS (default: never)\n"
"\n"
"uml_net, for eth0=tuntap,,,IP arguments, is looked for in rootstrap's\n"
"own directory first.\n",
	.exec = cmd_boot,
};
