/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/*
 * rootstrap run: boot an image under UML and run one command in it as
 * root, for test suites. The builder mounts the image and chroots into it,
 * so the image's own init is not involved and a run costs about as much as
 * booting the kernel. The command's stdout and stderr reach ours through
 * two UML consoles, our stdin it through a third (uml/input.c); its exit
 * status comes back through the run directory.
 */

struct run {
	struct machine	 m;
	int		 timeout;
	const char	*name;		/* the image as given */
	char		*image;		/* absolute */
	char		*rundir;
	struct runspec	 spec;
};

/* 0, or CMD_USAGE or CMD_HELP. */
static int
run_args(struct run *r, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "chdir",	required_argument,	NULL, 'C' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "kernel",	required_argument,	NULL, 'k' },
		{ "mem",	required_argument,	NULL, 'm' },
		{ "net",	required_argument,	NULL, 'N' },
		{ "publish",	required_argument,	NULL, 'p' },
		{ "share",	required_argument,	NULL, 's' },
		{ "snapshot",	no_argument,		NULL, 'S' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "umlargs",	required_argument,	NULL, 'u' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ NULL,		0,			NULL, 0 }
	};
	uint64_t	 secs;
	int		 ch, i;

	machine_init(&r->m, &r->spec);
	r->timeout = 600;
	/* '+': stop at the image, so the command's options stay its own. */
	while ((ch = getopt_long(argc, argv, "+C:ht:" MACHINE_OPTS, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'C':
			if (*optarg != '/')
				errx(EXIT_USAGE, "--chdir %s: not an absolute "
				    "path", optarg);
			r->spec.workdir = xstrdup(optarg);
			break;
		case 'h':
			return (CMD_HELP);
		case 't':
			if (parse_uint(optarg, PARSE_SECONDS_MAX, &secs) != 0 ||
			    secs == 0)
				errx(EXIT_USAGE, "--timeout: invalid number of "
				    "seconds '%s'", optarg);
			r->timeout = (int)secs;
			break;
		default:
			if (!machine_option(&r->m, &r->spec, ch, optarg))
				return (CMD_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	machine_args_done(&r->m, &r->spec);
	if (argc > 0 && strcmp(argv[0], "--") == 0)
		errx(EXIT_USAGE, "run: the image comes before '--'");
	if (argc < 1) {
		warnx("run: no image given");
		return (CMD_USAGE);
	}
	r->name = argv[0];
	if ((r->image = realpath(argv[0], NULL)) == NULL)
		err(EXIT_USAGE, "%s", argv[0]);
	argc--;
	argv++;
	if (argc > 0 && strcmp(argv[0], "--") == 0) {
		argc--;
		argv++;
	}
	if (argc < 1) {
		warnx("run: no command given");
		return (CMD_USAGE);
	}
	for (i = 0; i < argc; i++)
		strv_add(&r->spec.argv, argv[i]);
	return (0);
}

/* The image usable, and not under a running instance's feet. */
static void
check_image(const struct run *r)
{
	char	*holder;

	machine_image_usable(&r->m, r->image, r->name, "run");
	/* Held until we exit. */
	if (lock_image(r->image, !r->m.snapshot) == -1 &&
	    errno == EWOULDBLOCK) {
		holder = instance_holding(r->image);
		errx(EXIT_USAGE, "%s: in use by instance %s; %s", r->name,
		    holder != NULL ? holder : "(not yours)", r->m.snapshot ?
		    "stop it first" : "stop it first, or run with -S");
	}
}

/* The command's exit status, as the builder wrote it. */
static int
run_status(const struct run *r)
{
	char	*path, *buf;
	int	 status = -1;

	xasprintf(&path, "%s/status", r->rundir);
	if ((buf = file_read(path, 4096, NULL)) != NULL &&
	    sscanf(buf, "exit %d", &status) != 1)
		status = -1;
	free(buf);
	free(path);
	return (status);
}

/*
 * Whether our stdin goes to the command. Not a terminal: UML's console
 * gives the guest no terminal of ours, and a relay reading one from
 * outside the foreground would be stopped (SIGTTIN). Not /dev/null nor a
 * closed one: the command gets the guest's /dev/null, the same end of
 * input without a relay on either side (on the seccomp-mode kernel
 * about a tenth of a `run`).
 */
static int
stdin_to_relay(void)
{
	struct stat	 st, null;

	if (fstat(STDIN_FILENO, &st) == -1 || isatty(STDIN_FILENO))
		return (0);
	if (S_ISCHR(st.st_mode) && stat("/dev/null", &null) == 0 &&
	    S_ISCHR(null.st_mode) && st.st_rdev == null.st_rdev)
		return (0);
	return (1);
}

static int
cmd_run(int argc, char **argv)
{
	struct run		 r;
	struct uml		 u;
	struct uml_result	 res;
	struct kernel		 kn;
	env_t			 net = { 0 };
	char			*path, *ubd, *builder, *cause = NULL;
	int			 status;

	memset(&r, 0, sizeof r);
	log_fd = STDERR_FILENO;
	if ((status = run_args(&r, argc, argv)) != 0)
		return (status);
	check_image(&r);
	/* On a terminal (stderr): kernel=auto's fetch, then the boot. */
	progress_init(STDERR_FILENO);
	r.spec.input = stdin_to_relay();
	spawn_init();
	if (kernel_choose_default(r.m.kernel, &kn, &cause) != 0 ||
	    kn.k.path == NULL)
		errx(EXIT_USAGE, "%s: not found (apt-get install "
		    "user-mode-linux, or use --kernel)", r.m.kernel);
	memset(&u, 0, sizeof u);
	u.libexecdir = libexec_dir();
	xasprintf(&builder, "%s/builder", u.libexecdir);
	if (access(builder, X_OK) != 0)
		errx(EXIT_USAGE, "%s: %s (the builder; is rootstrap "
		    "installed?)", builder, strerror(errno));

	if ((r.rundir = rundir_make(r.image, &cause)) == NULL)
		errx(EXIT_BUILD, "%s", cause);
	xasprintf(&path, "%s/run", r.rundir);
	if (runspec_write(&r.spec, path, &cause) != 0) {
		rundir_remove(r.rundir);
		errx(EXIT_BUILD, "%s", cause);
	}
	free(path);

	if (r.m.snapshot)
		xasprintf(&ubd, "%s/cow,%s/image", r.rundir, r.rundir);
	else
		xasprintf(&ubd, "%s/image", r.rundir);
	u.kernel = kn.k.path;
	u.probe = &kn.k;
	u.ubd0 = ubd;
	u.init = builder;
	u.rundir = r.rundir;
	u.console = UML_CONSOLE_COMMAND;
	u.timeout = r.timeout;
	u.confine = 1;
	u.input = r.spec.input;
	machine_uml(&r.m, &r.spec, &u, &net);
	/*
	 * On a terminal, a line while the guest boots, gone before the
	 * command's first output; nothing on a pipe, where the command's
	 * stdout and stderr are its own bytes alone.
	 */
	progress_update("booting %s for %s", r.name, r.spec.argv.v[0]);
	uml_launch(&u, &res);
	progress_end();
	machine_uml_free(&r.m, &u, &net);
	free(ubd);
	free(builder);
	free((char *)u.libexecdir);
	kernel_free(&kn);
	status = run_status(&r);
	rundir_remove(r.rundir);

	switch (res.end) {
	case UML_INTERRUPTED:
		return (128 + spawn_signal);
	case UML_TIMEDOUT:
		log_error("run: %s timed out after %d s; the guest was killed",
		    r.spec.argv.v[0], r.timeout);
		return (EXIT_TIMEOUT);
	case UML_EXITED:
	case UML_PANICKED:
	case UML_KILLED:
		break;
	case UML_NOT_STARTED:
		/* A port to forward taken, ...: the command never ran. */
		log_error("run: %s", res.cause);
		return (EXIT_NOGUEST);
	default:
		log_error("run: %s", res.cause);
		return (EXIT_BUILD);
	}
	if (status < 0) {
		log_error("run: the guest ended (UML status %d) before %s "
		    "finished; run with -v to see why", res.end == UML_KILLED ?
		    128 + res.status : res.status, r.spec.argv.v[0]);
		return (EXIT_NOGUEST);
	}
	return (status);
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.usage = "[options] image [--] command [argument ...]",
	.help =
"Boot image under User-Mode Linux and run command in it as root. Its\n"
"output is ours, so is its input (unless a terminal), and its exit status\n"
"is rootstrap's.\n"
"\n"
"  -C, --chdir DIR        run the command in DIR (default /)\n"
"  -k, --kernel KERNEL    UML kernel (default auto: see rootstrap check)\n"
"  -m, --mem SIZE         guest memory (default 256M)\n"
"  -N, --net TRANSPORT    none (default), user, slirp, or tuntap[:HOST:GUEST]\n"
"                         (a tap through uml_net; default 10.213.47.1:.2)\n"
"  -p, --publish [ADDR:]PORT:GUESTPORT[/udp]\n"
"                         forward the host's ADDR (default 127.0.0.1) PORT\n"
"                         to the guest's GUESTPORT (implies -N user)\n"
"  -S, --snapshot         write to a copy-on-write file; image stays as it is\n"
"  -s, --share HOST[:GUEST][:rw]\n"
"                         mount host directory HOST at GUEST (default: the\n"
"                         same path), read-only unless :rw\n"
"  -t, --timeout SECONDS  kill the guest after SECONDS (default 600)\n"
"  -u, --umlargs ARGS     extra UML kernel arguments\n"
"  -v, --verbose          show the kernel's messages\n",
	.exec = cmd_run,
};
