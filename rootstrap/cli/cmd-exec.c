/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/*
 * rootstrap exec: one command in a running instance (rootstrap start), as
 * root, through its control socket: our stdin to it, its stdout and
 * stderr to ours, apart, and its exit status ours. The frames are in
 * util.h; the supervisor (uml/supervise.c) passes them to the agent in
 * the guest (guest/agent.c). SIGINT, SIGTERM and SIGHUP are passed on;
 * a command still running EXEC_GRACE seconds after the first is left to
 * the supervisor, which kills it once we are gone, and we end 128 + the
 * signal, as a shell would.
 */

#define EXEC_GRACE	5

struct exec {
	const char	*name;
	const char	*workdir;
	env_t		 env;
	struct strv	 argv;
	uint32_t	 timeout;
};

static int
exec_args(struct exec *x, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "chdir",	required_argument,	NULL, 'C' },
		{ "env",	required_argument,	NULL, 'e' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ NULL,		0,			NULL, 0 }
	};
	uint64_t	 secs;
	const char	*eq;
	int		 ch, i;

	x->workdir = "/";
	/* The name first, then our options, '--' and the command. */
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
		    strcmp(argv[1], "--help") == 0))
			return (CMD_HELP);
		warnx("exec: no instance given");
		return (CMD_USAGE);
	}
	x->name = argv[1];
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "+C:e:ht:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'C':
			if (*optarg != '/')
				errx(EXIT_USAGE, "--chdir %s: not an absolute "
				    "path", optarg);
			x->workdir = optarg;
			break;
		case 'e':
			if ((eq = strchr(optarg, '=')) == NULL ||
			    eq == optarg)
				errx(EXIT_USAGE, "--env %s: not VAR=VALUE",
				    optarg);
			strv_add(&x->env, optarg);
			break;
		case 'h':
			return (CMD_HELP);
		case 't':
			if (parse_uint(optarg, PARSE_SECONDS_MAX, &secs) != 0 ||
			    secs == 0)
				errx(EXIT_USAGE, "--timeout: invalid number of "
				    "seconds '%s'", optarg);
			x->timeout = (uint32_t)secs;
			break;
		default:
			return (CMD_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0 && strcmp(argv[0], "--") == 0) {
		argc--;
		argv++;
	}
	if (argc < 1) {
		warnx("exec: no command given");
		return (CMD_USAGE);
	}
	for (i = 0; i < argc; i++)
		strv_add(&x->argv, argv[i]);
	return (0);
}

/* OPEN's payload (util.h), or exit if it cannot be one frame. */
static void
open_payload(const struct exec *x, struct buf *b)
{
	unsigned char	 t[4];
	size_t		 i;

	t[0] = (unsigned char)(x->timeout >> 24);
	t[1] = (unsigned char)(x->timeout >> 16);
	t[2] = (unsigned char)(x->timeout >> 8);
	t[3] = (unsigned char)x->timeout;
	buf_add(b, t, 4);
	buf_add(b, x->workdir, strlen(x->workdir) + 1);
	for (i = 0; i < x->env.n; i++) {
		buf_add(b, "e", 1);
		buf_add(b, x->env.v[i], strlen(x->env.v[i]) + 1);
	}
	for (i = 0; i < x->argv.n; i++) {
		buf_add(b, "a", 1);
		buf_add(b, x->argv.v[i], strlen(x->argv.v[i]) + 1);
	}
	if (b->len > FRAME_MAX)
		errx(EXIT_USAGE, "exec: the command and its environment take "
		    "%zu bytes, more than %d", b->len, FRAME_MAX);
}

/* The instance's control socket, connected: NAME, or a socket's path. */
static int
exec_connect(const char *name)
{
	struct sockaddr_un	 sa;
	struct instance		 in;
	char			*cause = NULL;
	int			 fd;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strchr(name, '/') != NULL)
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", name);
	else {
		if (instance_find(name, &in, &cause) != 0)
			errx(EXIT_NOGUEST, "%s", cause);
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s/control", in.dir);
		instance_free(&in);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(EXIT_NOGUEST, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
		if (errno == EACCES)
			errx(EXIT_NOGUEST, "%s: %s (an instance is its "
			    "starter's alone)", name, strerror(errno));
		if (errno == ECONNREFUSED || errno == ENOENT)
			errx(EXIT_NOGUEST, "%s: not running (%s)", name,
			    strerror(errno));
		err(EXIT_NOGUEST, "%s", name);
	}
	return (fd);
}

/* Frames from the instance: output to ours; the status, or -1 if more. */
static int
exec_answer(const struct exec *x, struct buf *in, int *saw_exit)
{
	struct frame	 f;
	int		 status = -1;

	while (status == -1 && frame_next(in, &f)) {
		switch (f.type) {
		case FRAME_STDOUT:
			/*
			 * Whoever read our stdout is gone: we end as a command
			 * killed by SIGPIPE would, and our closed socket has
			 * the supervisor kill the command.
			 */
			if (fd_write_all(STDOUT_FILENO, f.data, f.len) != 0 &&
			    errno == EPIPE)
				status = 128 + SIGPIPE;
			break;
		case FRAME_STDERR:
			(void)!fd_write_all(STDERR_FILENO, f.data, f.len);
			break;
		case FRAME_EXIT:
			*saw_exit = 1;
			status = f.len == 1 ? f.data[0] : EXIT_NOGUEST;
			break;
		case FRAME_ERROR:
			log_error("exec: %s: %.*s", x->name, (int)f.len,
			    (const char *)f.data);
			status = EXIT_NOGUEST;
			break;
		}
		frame_drop(in, &f);
	}
	return (status);
}

/* As much of out as the socket takes now; all of it sent: emptied. */
static void
send_some(int fd, struct buf *out, size_t *sent)
{
	ssize_t	 n;

	while (*sent < out->len) {
		n = send(fd, out->s + *sent, out->len - *sent, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN)
			*sent = out->len;	/* gone: its answer will say */
		if (n == -1)
			break;
		*sent += (size_t)n;
	}
	if (*sent == out->len) {
		buf_free(out);
		*sent = 0;
	}
}

static long
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static int
cmd_exec(int argc, char **argv)
{
	struct exec	 x;
	struct buf	 req = { 0 }, in = { 0 }, out = { 0 };
	size_t		 sent = 0;
	struct pollfd	 pfd[3];
	struct signalfd_siginfo si;
	sigset_t	 set;
	char		 chunk[FRAME_DATA];
	ssize_t		 n;
	int		 fd, sfd, status = -1, saw_exit = 0, input, first = 0;
	long		 give_up = -1;	/* ms on CLOCK_MONOTONIC */
	unsigned char	 sig;

	memset(&x, 0, sizeof x);
	log_fd = STDERR_FILENO;
	if ((status = exec_args(&x, argc, argv)) != 0)
		return (status);
	open_payload(&x, &req);
	/* Not a terminal: the guest has none to give (as run). */
	input = !isatty(STDIN_FILENO);	/* main made a closed one /dev/null */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		err(EXIT_NOGUEST, "signalfd");
	fd = exec_connect(x.name);
	if (frame_send(fd, FRAME_OPEN, 0, req.s, req.len) != 0)
		err(EXIT_NOGUEST, "%s", x.name);
	buf_free(&req);
	if (!input)
		(void)!frame_send(fd, FRAME_STDIN, 0, NULL, 0);
	/*
	 * Our input is sent as the instance takes it, never blocking: its
	 * answer (the command ended) must get through while input waits.
	 */
	fcntl(fd, F_SETFL, O_NONBLOCK);
	status = -1;
	while (status == -1) {
		pfd[0].fd = fd;
		pfd[0].events = POLLIN | (out.len > sent ? POLLOUT : 0);
		pfd[1].fd = sfd;
		pfd[1].events = POLLIN;
		pfd[2].fd = input && out.len == sent ? STDIN_FILENO : -1;
		pfd[2].events = POLLIN;
		if (poll(pfd, 3, give_up == -1 ? -1 : (int)(give_up -
		    mono_ms() > 0 ? give_up - mono_ms() : 0)) == -1 &&
		    errno != EINTR)
			err(EXIT_NOGUEST, "poll");
		if (give_up != -1 && mono_ms() >= give_up) {
			status = 128 + first;
			break;
		}
		if (pfd[0].revents & POLLOUT)
			send_some(fd, &out, &sent);
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (frame_fill(fd, &in) <= 0) {
				status = exec_answer(&x, &in, &saw_exit);
				if (status == -1) {
					log_error("exec: %s: the instance "
					    "ended before the command did",
					    x.name);
					status = EXIT_NOGUEST;
				}
				break;
			}
			status = exec_answer(&x, &in, &saw_exit);
		}
		if (pfd[1].revents) {
			while (read(sfd, &si, sizeof si) == sizeof si) {
				sig = (unsigned char)si.ssi_signo;
				frame_put(&out, FRAME_SIGNAL, 0, &sig, 1);
				if (first == 0) {
					first = sig;
					give_up = mono_ms() + EXEC_GRACE * 1000;
				}
			}
			send_some(fd, &out, &sent);
		}
		if (pfd[2].revents) {
			n = read(STDIN_FILENO, chunk, sizeof chunk);
			if (n == -1 && errno == EINTR)
				continue;
			if (n < 0)
				n = 0;
			frame_put(&out, FRAME_STDIN, 0, chunk, (size_t)n);
			if (n == 0)
				input = 0;
			send_some(fd, &out, &sent);
		}
	}
	close(fd);
	buf_free(&in);
	buf_free(&out);
	strv_free(&x.argv);
	strv_free(&x.env);
	return (status);
}

const struct cmd_entry cmd_exec_entry = {
	.name = "exec",
	.usage = "name [options] [--] command [argument ...]",
	.help =
"Run command as root in the running instance name (rootstrap start). Our\n"
"stdin is its (unless a terminal), its stdout and stderr ours, its exit\n"
"status rootstrap's: 124 on a timeout, 127 not found, 125 when the\n"
"instance could not run it. Commands may run side by side.\n"
"\n"
"  -C, --chdir DIR        run the command in DIR (default /)\n"
"  -e, --env VAR=VALUE    set VAR in its environment (again for more)\n"
"  -t, --timeout SECONDS  kill it after SECONDS (status 124)\n",
	.exec = cmd_exec,
};
