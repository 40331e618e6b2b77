/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "uml.h"

/*
 * UML puts every console descriptor that is a terminal into raw mode.
 * From its own process group, outside the terminal's foreground one, that
 * stops it with SIGTTOU: `rootstrap run` on a terminal hung until its
 * timeout. So while UML runs, our stdout and stderr, where they are
 * terminals, are pipes that a relay process (in our process group, so in
 * the foreground) copies to the terminal as the bytes come. The guest's
 * consoles are raw: the bytes pass unchanged, and UML never sees a
 * terminal to change. A progress line drawn before (run's "booting") is
 * the relay's to erase, before the first byte it copies or as it ends.
 */

/* Each pipe to its terminal until every writer is gone. */
static int
relay(struct pollfd *pfd, const int *out, int n)
{
	char	 buf[16384];
	ssize_t	 len;
	int	 i, open = n;

	while (open > 0) {
		if (poll(pfd, n, -1) == -1) {
			if (errno == EINTR)
				continue;
			return (1);
		}
		for (i = 0; i < n; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			len = read(pfd[i].fd, buf, sizeof buf);
			if (len == -1 && errno == EINTR)
				continue;
			if (len <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open--;
			} else {
				progress_clear();
				/* A terminal gone: the rest is dropped. */
				(void)fd_write_all(out[i], buf, len);
			}
		}
	}
	progress_clear();
	return (0);
}

int
ttyout_start(struct ttyout *t, char **cause)
{
	struct pollfd	 pfd[2];
	int		 out[2], wr[2], fd, n = 0, p[2], i;
	pid_t		 parent = getpid();

	t->pid = -1;
	for (fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++) {
		t->saved[fd] = -1;
		if (!isatty(fd))
			continue;
		if (pipe2(p, O_CLOEXEC) == -1) {
			xasprintf(cause, "pipe: %s", strerror(errno));
			goto fail;
		}
		pfd[n].fd = p[0];
		pfd[n].events = POLLIN;
		out[n] = fd;
		wr[n++] = p[1];
	}
	if (n == 0)
		return (0);
	if ((t->pid = fork()) == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		goto fail;
	}
	if (t->pid == 0) {
		/* Ctrl-C is for rootstrap: the relay ends with its writers. */
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		for (i = 0; i < n; i++)
			close(wr[i]);
		_exit(relay(pfd, out, n));
	}
	/* The progress line is on one of these terminals: the relay's now. */
	progress_forget();
	for (i = 0; i < n; i++) {
		close(pfd[i].fd);
		t->saved[out[i]] = fcntl(out[i], F_DUPFD_CLOEXEC, 10);
		dup2(wr[i], out[i]);
		close(wr[i]);
	}
	return (0);
fail:
	for (i = 0; i < n; i++) {
		close(pfd[i].fd);
		close(wr[i]);
	}
	return (-1);
}

/*
 * Our terminals back; the relay copies what is left and ends, or is
 * killed if a writer we do not know of still holds a pipe after 5 s.
 */
void
ttyout_stop(struct ttyout *t)
{
	struct timespec	 tick = { 0, 10 * 1000 * 1000 };
	int		 fd, i;

	for (fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++) {
		if (t->saved[fd] == -1)
			continue;
		dup2(t->saved[fd], fd);
		close(t->saved[fd]);
		t->saved[fd] = -1;
	}
	if (t->pid == -1)
		return;
	for (i = 0; i < 500; i++) {
		if (waitpid(t->pid, NULL, WNOHANG) != 0)
			break;
		nanosleep(&tick, NULL);
	}
	if (i == 500) {
		kill(t->pid, SIGKILL);
		while (waitpid(t->pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	t->pid = -1;
}
