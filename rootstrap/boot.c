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

#include "rootstrap.h"

/*
 * rootstrap boot: UML with the image's own init and the console on our
 * terminal, as `linux ubd0=root_fs ...` would, plus the network rootstrap
 * provides. An image built with transport=user brings up vec0 at its first
 * boot, and vec0 needs the libslirp NAT that only rootstrap runs: this is
 * how such an image is used. The arguments are UML's own, so the
 * documented command line works with `rootstrap boot` in front of it.
 */

#define BOOT_TIMEOUT_EXIT	124

static __attribute__((noreturn)) void
boot_usage(int status)
{
	FILE	*f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: rootstrap boot [-N user|slirp|none] [-k kernel] [-t seconds] [--]\n"
"                      umlarg ...\n"
"\n"
"Boot User-Mode Linux with umlarg (e.g. ubd0=root_fs) and the image's own\n"
"init, the console on this terminal, and rootstrap's network:\n"
"\n"
"  -k, --kernel KERNEL    UML kernel (default linux.uml)\n"
"  -N, --net TRANSPORT    user (default: vec0, libslirp NAT run by rootstrap),\n"
"                         slirp (eth0 through the slirp program) or none\n"
"  -t, --timeout SECONDS  kill the guest after SECONDS (default: never)\n"
"\n"
"uml_net, for eth0=tuntap,,,IP arguments, is looked for in rootstrap's\n"
"own directory first.\n");
	exit(status);
}

/* Whether the arguments already say KEY=... (the user's choice wins). */
static int
has_arg(const struct strv *argv, const char *key)
{
	size_t	 i, n = strlen(key);

	for (i = 0; i < argv->n; i++)
		if (strncmp(argv->v[i], key, n) == 0)
			return (1);
	return (0);
}

int
boot_main(int argc, char **argv, const char *libexecdir)
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ "kernel",	required_argument,	NULL, 'k' },
		{ "net",	required_argument,	NULL, 'N' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ NULL,		0,			NULL, 0 }
	};
	const char	*kernel = "linux.uml", *net = "user";
	struct strv	 uml = { 0 };
	env_t		 env = { 0 };
	char		*dir, *cause = NULL;
	uint64_t	 timeout = 0;
	int		 ch, i, rc;

	while ((ch = getopt_long(argc, argv, "+hk:N:t:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			boot_usage(0);
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
			if (parse_mb(optarg, &timeout) != 0 || timeout == 0 ||
			    timeout > INT_MAX / 1000)
				errx(EXIT_USAGE, "--timeout: invalid number of "
				    "seconds '%s'", optarg);
			break;
		default:
			boot_usage(EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		warnx("boot: no UML arguments (at least ubd0=IMAGE)");
		boot_usage(EXIT_USAGE);
	}
	if (!host_has_program(kernel))
		errx(EXIT_USAGE, "%s: not found (apt-get install "
		    "user-mode-linux, or use --kernel)", kernel);

	strv_add(&uml, kernel);
	for (i = 0; i < argc; i++)
		strv_add(&uml, argv[i]);
	if (!has_arg(&uml, "ubd0=") && !has_arg(&uml, "ubda="))
		errx(EXIT_USAGE, "boot: no ubd0=IMAGE among the UML arguments");
	/*
	 * UML keeps its pid files in uml_dir, ~/.uml unless told: a private
	 * run directory serves (its image link is not used here).
	 */
	spawn_init();
	if ((dir = rundir_make("/dev/null", &cause)) == NULL)
		errx(EXIT_BUILD, "%s", cause);
	if (!has_arg(&uml, "uml_dir="))
		strv_addf(&uml, "uml_dir=%s", dir);
	if (!has_arg(&uml, "con0=") && !has_arg(&uml, "con="))
		strv_add(&uml, "con0=fd:0,fd:1");
	if (!has_arg(&uml, "con="))
		strv_add(&uml, "con=null");
	if (strcmp(net, "slirp") == 0)
		strv_add(&uml, "eth0=slirp,,slirp-fullbolt");
	else if (strcmp(net, "user") == 0)
		strv_addf(&uml, "vec0:transport=fd,fd=%d", USERNET_FD);

	/* Our uml_net first, as for builds (transport=tuntap). */
	free(uml_path_first(libexecdir));

	if (strcmp(net, "user") == 0) {
		env_set(&env, "transport", "user");
		env_set(&env, "netmask", "255.255.255.0");
		network_defaults(&env);
		rc = usernet_spawn(&env, uml.v, (int)timeout,
		    SPAWN_PASSTHROUGH | SPAWN_STDIN | SPAWN_ONECPU, &cause);
	} else
		rc = spawn_run(uml.v, (int)timeout,
		    SPAWN_PASSTHROUGH | SPAWN_STDIN | SPAWN_ONECPU, &cause);
	strv_free(&env);
	strv_free(&uml);
	rundir_remove(dir);
	free(dir);
	if (spawn_signal != 0)
		return (128 + spawn_signal);
	if (rc < 0 && strstr(cause, "timed out") != NULL) {
		log_error("boot: %s", cause);
		return (BOOT_TIMEOUT_EXIT);
	}
	if (rc < 0) {
		log_error("boot: %s", cause);
		return (EXIT_BUILD);
	}
	return (rc);
}
