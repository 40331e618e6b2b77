/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uml.h"

/*
 * `rootstrap run`'s stdin for the command: a relay process reads ours and
 * writes it in frames (RUN_INPUT_FRAME in util.h) into a pipe UML reads as
 * con3's input, once the guest has said on con3's output that its tty is
 * raw. A process of its own, so that a slow or unread stdin never holds
 * up the loop that supervises UML; it dies with rootstrap (the death
 * signal) and is ended with UML.
 */

/* The relay's body: wait for the guest, then frames until end-of-file. */
static int
relay(int to_uml, int from_uml)
{
	unsigned char	 buf[2 + RUN_INPUT_FRAME];
	ssize_t		 n;
	char		 c;

	do {
		n = read(from_uml, &c, 1);
	} while (n == -1 && errno == EINTR);
	if (n != 1 || c != RUN_INPUT_READY)
		return (0);	/* the command never started */
	for (;;) {
		n = read(STDIN_FILENO, buf + 2, RUN_INPUT_FRAME);
		if (n == -1 && errno == EINTR)
			continue;
		if (n < 0)
			n = 0;	/* a read error ends the input too */
		buf[0] = (unsigned char)(n >> 8);
		buf[1] = (unsigned char)(n & 0xff);
		if (fd_write_all(to_uml, buf, 2 + (size_t)n) != 0)
			return (0);
		if (n == 0)
			break;
	}
	/*
	 * Held open until UML ends: at end-of-file on its input UML hangs
	 * up the tty, and the guest loses what it has not read yet.
	 */
	for (;;)
		pause();
}

/*
 * Start the relay: *u_in and *u_out are UML's ends (con3=fd:IN,fd:OUT),
 * close-on-exec, for the caller to hand over and close.
 */
int
input_start(struct input *in, int *u_in, int *u_out, char **cause)
{
	pid_t	 parent = getpid();
	int	 down[2], up[2], to, from;

	in->pid = -1;
	if (pipe2(down, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		return (-1);
	}
	if (pipe2(up, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		close(down[0]);
		close(down[1]);
		return (-1);
	}
	if ((in->pid = fork()) == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		close(down[0]);
		close(down[1]);
		close(up[0]);
		close(up[1]);
		return (-1);
	}
	if (in->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		signal(SIGPIPE, SIG_IGN);
		/* Nothing of UML's (a tap, the network's socket) but these. */
		if ((to = fcntl(down[1], F_DUPFD, 10)) == -1 ||
		    (from = fcntl(up[0], F_DUPFD, 10)) == -1 ||
		    dup2(to, 3) == -1 || dup2(from, 4) == -1)
			_exit(0);
		close_range(5, ~0U, 0);
		_exit(relay(3, 4));
	}
	close(down[1]);
	close(up[0]);
	*u_in = down[0];
	*u_out = up[1];
	return (0);
}

void
input_stop(struct input *in)
{
	if (in->pid <= 0)
		return;
	kill(in->pid, SIGKILL);
	while (waitpid(in->pid, NULL, 0) == -1 && errno == EINTR)
		continue;
	in->pid = -1;
}
