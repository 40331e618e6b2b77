/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/*
 * rootstrap start: boot an image once for many commands (rootstrap exec),
 * as a test suite's fixture. The guest is run's (the builder mounts the
 * image and the shares and chroots each command into it), but instead of
 * one command its agent serves many, through a supervisor that outlives
 * us (uml/supervise.c). We return once commands can run, printing the
 * instance's name.
 */

struct start {
	struct machine	 m;
	const char	*name;		/* --name */
	int		 idle;
	int		 ready_timeout;
	const char	*given;		/* the image as given */
	char		*image;		/* absolute */
	struct runspec	 spec;
};

static int
seconds(const char *opt, const char *arg)
{
	uint64_t	 secs;

	if (parse_uint(arg, PARSE_SECONDS_MAX, &secs) != 0 || secs == 0)
		errx(EXIT_USAGE, "%s: invalid number of seconds '%s'", opt,
		    arg);
	return ((int)secs);
}

/* 0, or CMD_USAGE or CMD_HELP. */
static int
start_args(struct start *s, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ "idle",	required_argument,	NULL, 'i' },
		{ "kernel",	required_argument,	NULL, 'k' },
		{ "mem",	required_argument,	NULL, 'm' },
		{ "name",	required_argument,	NULL, 'n' },
		{ "net",	required_argument,	NULL, 'N' },
		{ "publish",	required_argument,	NULL, 'p' },
		{ "share",	required_argument,	NULL, 's' },
		{ "snapshot",	no_argument,		NULL, 'S' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "umlargs",	required_argument,	NULL, 'u' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ NULL,		0,			NULL, 0 }
	};
	int		 ch;

	machine_init(&s->m, &s->spec);
	s->ready_timeout = 120;
	s->spec.serve = 1;
	while ((ch = getopt_long(argc, argv, "+hi:n:t:" MACHINE_OPTS,
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return (CMD_HELP);
		case 'i':
			s->idle = seconds("--idle", optarg);
			break;
		case 'n':
			if (!instance_name_valid(optarg))
				errx(EXIT_USAGE, "--name %s: letters, digits, "
				    "'.', '_' and '-' only, at most 64, not "
				    "first '.' or '-'", optarg);
			s->name = optarg;
			break;
		case 't':
			s->ready_timeout = seconds("--timeout", optarg);
			break;
		default:
			if (!machine_option(&s->m, &s->spec, ch, optarg))
				return (CMD_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	machine_args_done(&s->m, &s->spec);
	if (argc != 1) {
		warnx(argc == 0 ? "start: no image given" : "start: one image, "
		    "and nothing after it");
		return (CMD_USAGE);
	}
	s->given = argv[0];
	if ((s->image = realpath(argv[0], NULL)) == NULL)
		err(EXIT_USAGE, "%s", argv[0]);
	return (0);
}

/*
 * The image readable (and writable unless -S), and not in use the other
 * way: held locked (lock_image) by the supervisor from here on.
 */
static void
take_image(const struct start *s)
{
	char	*holder;

	machine_image_usable(&s->m, s->image, s->given, "start");
	if (lock_image(s->image, !s->m.snapshot) != -1)
		return;
	if (errno != EWOULDBLOCK)
		err(EXIT_USAGE, "%s", s->given);
	holder = instance_holding(s->image);
	/* A snapshot is refused only by a holder that writes the image. */
	errx(EXIT_USAGE, "%s: in use by %s%s%s; %s", s->given, holder != NULL ?
	    "instance " : "another rootstrap", holder != NULL ? holder : "",
	    holder != NULL && s->m.snapshot ? " (started without -S)" : "",
	    s->m.snapshot ? "wait for it to end, or stop it" :
	    "stop it first, or start this one with -S");
}

static int
cmd_start(int argc, char **argv)
{
	struct start		 s;
	struct instance		 in;
	struct supervise	 cfg;
	struct uml		 u;
	struct kernel		 kn;
	struct instance		*list;
	env_t			 net = { 0 };
	char			*path, *ubd, *builder, *cause = NULL;
	size_t			 i, n;
	int			 status;

	memset(&s, 0, sizeof s);
	log_fd = STDERR_FILENO;
	if ((status = start_args(&s, argc, argv)) != 0)
		return (status);
	/* What dead builds, runs and instances left, swept first. */
	rundir_sweep();
	if (instance_list(&list, &n) == 0) {
		for (i = 0; i < n; i++)
			instance_free(&list[i]);
		free(list);
	}
	take_image(&s);
	spawn_init();
	if (kernel_choose_default(s.m.kernel, &kn, &cause) != 0 ||
	    kn.k.path == NULL)
		errx(EXIT_USAGE, "%s: not found (apt-get install "
		    "user-mode-linux, or use --kernel)", s.m.kernel);
	/* Interrupted while we wait, we end, and the supervisor sees it. */
	sigprocmask(SIG_SETMASK, &(sigset_t){ 0 }, NULL);
	memset(&u, 0, sizeof u);
	u.libexecdir = libexec_dir();
	xasprintf(&builder, "%s/builder", u.libexecdir);
	if (access(builder, X_OK) != 0)
		errx(EXIT_USAGE, "%s: %s (the builder; is rootstrap "
		    "installed?)", builder, strerror(errno));

	memset(&in, 0, sizeof in);
	if ((in.dir = rundir_make(s.image, &cause)) == NULL)
		errx(EXIT_BUILD, "%s", cause);
	xasprintf(&path, "%s/run", in.dir);
	if (runspec_write(&s.spec, path, &cause) != 0 ||
	    (in.name = instance_register(s.name, s.image, in.dir, &cause)) ==
	    NULL) {
		rundir_remove(in.dir);
		errx(s.name != NULL ? EXIT_USAGE : EXIT_BUILD, "%s", cause);
	}
	free(path);
	in.image = s.image;
	in.snapshot = s.m.snapshot;
	in.started = (long long)time(NULL);
	in.idle = s.idle;
	in.boot_id = instance_boot_id();

	if (s.m.snapshot)
		xasprintf(&ubd, "%s/cow,%s/image", in.dir, in.dir);
	else
		xasprintf(&ubd, "%s/image", in.dir);
	u.kernel = kn.k.path;
	u.probe = &kn.k;
	u.ubd0 = ubd;
	u.init = builder;
	u.rundir = in.dir;
	u.console = UML_CONSOLE_AGENT;
	u.confine = 1;
	machine_uml(&s.m, &s.spec, &u, &net);
	cfg.uml = &u;
	cfg.inst = &in;
	cfg.ready_timeout = s.ready_timeout;
	if (supervise_start(&cfg, &cause) != 0) {
		log_error("start: %s: %s", s.given, cause);
		return (EXIT_NOGUEST);
	}
	printf("%s\n", in.name);
	return (fflush(stdout) == 0 ? 0 : EXIT_BUILD);
}

const struct cmd_entry cmd_start_entry = {
	.name = "start",
	.usage = "[options] image",
	.help =
"Boot image under User-Mode Linux for many commands (rootstrap exec), and\n"
"print the instance's name once they can run. It runs until rootstrap stop,\n"
"its idle time, or the host's reboot; it is its starter's alone.\n"
"\n"
"  -i, --idle SECONDS     stop after SECONDS with no command or client\n"
"  -k, --kernel KERNEL    UML kernel (default auto: see rootstrap check)\n"
"  -m, --mem SIZE         guest memory (default 256M)\n"
"  -n, --name NAME        the instance's name (default: the image's, -1, -2..)\n"
"  -N, --net TRANSPORT    none (default), user, slirp, or tuntap[:HOST:GUEST]\n"
"  -p, --publish [ADDR:]PORT:GUESTPORT[/udp]\n"
"                         forward the host's ADDR (default 127.0.0.1) PORT\n"
"                         to the guest's GUESTPORT (implies -N user)\n"
"  -S, --snapshot         write to a copy-on-write file; image stays as it is\n"
"  -s, --share HOST[:GUEST][:rw]\n"
"                         mount host directory HOST at GUEST (default: the\n"
"                         same path), read-only unless :rw\n"
"  -t, --timeout SECONDS  give up if not ready after SECONDS (default 120)\n"
"  -u, --umlargs ARGS     extra UML kernel arguments\n"
"  -v, --verbose          the kernel's messages into the instance's log\n",
	.exec = cmd_start,
};
