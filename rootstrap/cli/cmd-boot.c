/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <err.h>
#include <errno.h>
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

/*
 * A ubdN=COW,FILE argument whose COW file does not exist yet: UML would
 * make it beside where it is to be, which a confined UML may not (it may
 * write its images, not make files in their directories). So UML makes
 * it in the run directory, and it is moved into place when UML is done.
 */
struct new_cow {
	char	*made;		/* in the run directory */
	char	*wanted;	/* where the user asked for it */
};

static void
cows_redirect(struct strv *args, const char *rundir, struct new_cow *cows,
    size_t *n)
{
	char	*arg, *eq, *comma, *made;
	size_t	 i;

	*n = 0;
	for (i = 0; i < args->n && *n < 16; i++) {
		arg = args->v[i];
		if (strncmp(arg, "ubd", 3) != 0 ||
		    (eq = strchr(arg, '=')) == NULL ||
		    (comma = strchr(eq, ',')) == NULL || comma == eq + 1)
			continue;
		cows[*n].wanted = xstrndup(eq + 1, (size_t)(comma - eq - 1));
		if (access(cows[*n].wanted, F_OK) == 0 || errno != ENOENT) {
			free(cows[*n].wanted);
			continue;
		}
		xasprintf(&made, "%s/cow%zu", rundir, *n);
		cows[*n].made = made;
		xasprintf(&args->v[i], "%.*s%s%s", (int)(eq - arg + 1), arg,
		    made, comma);
		free(arg);
		(*n)++;
	}
}

/* The new COW files to where they were asked for: renamed, or copied. */
static void
cows_place(struct new_cow *cows, size_t n)
{
	char	*cause = NULL;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (access(cows[i].made, F_OK) == 0 &&
		    rename(cows[i].made, cows[i].wanted) == -1 &&
		    (errno != EXDEV ||
		    file_copy(cows[i].made, cows[i].wanted, &cause) != 0)) {
			log_warnx("%s: %s", cows[i].wanted, cause != NULL ?
			    cause : strerror(errno));
			free(cause);
			cause = NULL;
		}
		free(cows[i].made);
		free(cows[i].wanted);
	}
}

static int
cmd_boot(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ "kernel",	required_argument,	NULL, 'k' },
		{ "net",	required_argument,	NULL, 'N' },
		{ "publish",	required_argument,	NULL, 'p' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ NULL,		0,			NULL, 0 }
	};
	const char		*net = "user";
	struct uml		 u;
	struct uml_result	 r;
	struct kernel		 kn;
	struct new_cow		 cows[16];
	size_t			 ncows;
	const char		*kernel = "auto";
	env_t			 env = { 0 };
	char			*dir, *cause = NULL;
	struct usernet_forward	 fwd;
	uint64_t		 timeout = 0;
	int			 ch, i, rc;

	memset(&u, 0, sizeof u);
	while ((ch = getopt_long(argc, argv, "+hk:N:p:t:", longopts,
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
		case 'p':
			if (usernet_forward(optarg, &fwd, &cause) != 0)
				errx(EXIT_USAGE, "--publish %s", cause);
			strv_add(&u.forwards, optarg);
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
	if (u.forwards.n > 0 && strcmp(net, "user") != 0)
		errx(EXIT_USAGE, "--publish: ports are forwarded by the "
		    "user-mode network alone, not -N %s", net);
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
	/* kernel=auto's fetch, on a terminal. */
	progress_init(STDOUT_FILENO);
	if (kernel_choose_default(kernel, &kn, &cause) != 0 ||
	    kn.k.path == NULL)
		errx(EXIT_USAGE, "%s: not found (apt-get install "
		    "user-mode-linux, or use --kernel)", kernel);
	u.kernel = kn.k.path;
	u.probe = &kn.k;
	if ((dir = rundir_make("/dev/null", &cause)) == NULL)
		errx(EXIT_BUILD, "%s", cause);
	u.rundir = dir;
	cows_redirect(&u.args, dir, cows, &ncows);
	u.console = UML_CONSOLE_TERMINAL;
	u.timeout = (int)timeout;
	u.confine = 1;
	/* Our uml_net first, as for builds (transport=tuntap). */
	u.libexecdir = libexec_dir();
	if (strcmp(net, "none") != 0) {
		network_env(&env, net);
		u.net = &env;
	}
	log_info("booting %s on %s, the console on stdin and stdout",
	    argv[i] + 5, kn.k.path);
	uml_launch(&u, &r);
	cows_place(cows, ncows);
	strv_free(&env);
	strv_free(&u.args);
	strv_free(&u.forwards);
	free((char *)u.libexecdir);
	kernel_free(&kn);
	rundir_remove(dir);
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
	.usage = "[-N user|slirp|none] [-p [addr:]port:guestport[/udp]] ...\n"
"       [-k kernel] [-t seconds] [--] umlarg ...",
	.help =
"Boot User-Mode Linux with umlarg (e.g. ubd0=root_fs) and the image's own\n"
"init, the console on this terminal, and rootstrap's network:\n"
"\n"
"  -k, --kernel KERNEL    UML kernel (default auto: see rootstrap check)\n"
"  -N, --net TRANSPORT    user (default: vec0, libslirp NAT run by rootstrap),\n"
"                         slirp (eth0 through the slirp program) or none\n"
"  -p, --publish [ADDR:]PORT:GUESTPORT[/udp]\n"
"                         forward the host's ADDR (default 127.0.0.1) PORT\n"
"                         to the guest's GUESTPORT (with -N user)\n"
"  -t, --timeout SECONDS  kill the guest after SECONDS (default: never)\n"
"\n"
"uml_net, for eth0=tuntap,,,IP arguments, is looked for in rootstrap's\n"
"own directory first.\n",
	.exec = cmd_boot,
};
